"""Action items → a listing for `growthlog actions` and an iCalendar file; pure.

The .ics file is written by hand per RFC 5545 (CRLF line ends, lines folded at 75
octets, text escaped) with one all-day event per dated action. UIDs come from the entry's
file and the action's text, so re-exporting updates events instead of duplicating them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence

from generator.model import ActionItem, Site

PRODID = "-//growthlog//actions//EN"


def list_actions(site: Site, *, open_only: bool = False,
                 due_before: dt.date | None = None) -> list[ActionItem]:
    """Actions to show: open ones first by due date (undated last), then done ones."""
    items = list(site.open_actions) + ([] if open_only else list(site.done_actions))
    if due_before is not None:
        items = [i for i in items if i.action.due is not None and i.action.due < due_before]
    far = dt.date.max
    return sorted(items, key=lambda i: (i.action.done, i.action.due or far, i.entry.date,
                                        i.entry.source))


def is_overdue(item: ActionItem, today: dt.date | None) -> bool:
    """Open, with a due date before today."""
    due = item.action.due
    return today is not None and due is not None and not item.action.done and due < today


def format_action(item: ActionItem, today: dt.date | None = None) -> str:
    """'[ ] 2026-12-15  Cut the presentation  (Senior Data Engineer at Northwind, 2026-06-16)'
    and, when it is open and its date has passed, a kind note saying so."""
    box = "[x]" if item.action.done else "[ ]"
    due = item.action.due.isoformat() if item.action.due else "no date   "
    late = "  past its date: do it, or give it a new one" if is_overdue(item, today) else ""
    return f"{box} {due}  {item.action.text}  ({item.entry.title}, {item.entry.date}){late}"


def escape_text(value: str) -> str:
    """RFC 5545 §3.3.11: backslash, semicolon, comma and newlines escaped."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line: str) -> str:
    """RFC 5545 §3.1: lines longer than 75 octets continue after CRLF and a space."""
    parts: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # continuation lines start with a space
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def action_uid(item: ActionItem, occurrence: int = 1) -> str:
    key = f"{item.entry.source}\n{item.action.text}\n{occurrence}"
    return f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@growthlog"


def _event(item: ActionItem, uid: str, stamp: str) -> list[str]:
    due = item.action.due
    assert due is not None
    summary = ("Done: " if item.action.done else "") + item.action.text
    lines = [
        "BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{due:%Y%m%d}",
        # DTEND is the day after (exclusive); without one the event lasts the one day
        # (RFC 5545 3.6.1), which is all 9999-12-31 can say.
        *([f"DTEND;VALUE=DATE:{due + dt.timedelta(days=1):%Y%m%d}"] if due < dt.date.max
          else []),
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(f'From {item.entry.title} ({item.entry.date}).')}",
        "TRANSP:TRANSPARENT",
    ]
    if not item.action.done:
        lines += ["BEGIN:VALARM", "ACTION:DISPLAY", f"DESCRIPTION:{escape_text(summary)}",
                  "TRIGGER;RELATED=START:PT9H", "END:VALARM"]
    return lines + ["END:VEVENT"]


def actions_calendar(items: Iterable[ActionItem], *, stamp: dt.date,
                     name: str = "growthlog actions") -> str:
    """An iCalendar text with one all-day event per dated action; `stamp` fixes DTSTAMP."""
    stamp_text = f"{stamp:%Y%m%d}T000000Z"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape_text(name)}"]
    seen: Counter[tuple[str, str]] = Counter()
    for item in dated(items):
        seen[(item.entry.source, item.action.text)] += 1
        uid = action_uid(item, seen[(item.entry.source, item.action.text)])
        lines += _event(item, uid, stamp_text)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def is_our_calendar(head: bytes) -> bool:
    """Whether a file's first bytes are a calendar `actions_calendar` wrote."""
    return head.startswith(b"BEGIN:VCALENDAR\r\n") and f"PRODID:{PRODID}\r\n".encode() in head


def dated(items: Iterable[ActionItem]) -> Sequence[ActionItem]:
    """Only the actions with a due date, in the order given."""
    return [i for i in items if i.action.due is not None]
