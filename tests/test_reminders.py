"""reminders.py and `growthlog actions`: listing, filters, and an .ics icalendar can read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import icalendar
import pytest
from click.testing import CliRunner
from insight_log import FILES, fixture_site

from generator.cli import main
from generator.reminders import actions_calendar, fold, list_actions

LONG = ("Write a long, careful note; with commas, semicolons and a backslash \\ "
        "and an accented café, then keep going well past seventy-five octets")


@pytest.fixture
def log(log_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    # As of the newest entry's day, which the expected dates below were worked out for.
    monkeypatch.setenv("SOURCE_DATE_EPOCH",
                       str(int(dt.datetime(2025, 7, 5, tzinfo=dt.UTC).timestamp())))
    files = dict(FILES)
    files["content/f.md"] = (
        "---\ntitle: Long one\ndate: 2025-03-03\nactions:\n"
        f"  - {{text: \"{LONG.replace(chr(92), chr(92) * 2)}\", due: 2025-08-01}}\n---\nB\n")
    return log_factory(files)


def test_list_orders_open_first_and_filters(log: Path) -> None:
    site = fixture_site(log)
    texts = [i.action.text for i in list_actions(site)]
    assert texts == ["Mock interviews", "Write thank-you", LONG, "Update resume",
                     "Research bands"]
    assert [i.action.text for i in list_actions(site, open_only=True)] == texts[:4]
    due = list_actions(site, due_before=dt.date(2025, 7, 10))
    assert [i.action.text for i in due] == ["Mock interviews", "Research bands"]


def test_cli_lists_actions_with_entry_and_due_date(log: Path) -> None:
    result = CliRunner().invoke(main, ["actions", str(log), "--open", "--due-before",
                                       "2025-07-11"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "[ ] 2025-03-01  Mock interviews  (Backend Engineer at Globex, 2025-02-15)  "
        "past its date: do it, or give it a new one",
        "[ ] 2025-07-10  Write thank-you  (Staff Engineer at Umbrella, 2025-07-05)"]


def test_ics_parses_and_holds_each_dated_action(log: Path, tmp_path: Path) -> None:
    target = tmp_path / "actions.ics"
    result = CliRunner().invoke(main, ["actions", str(log), "--ics", str(target)])
    assert result.exit_code == 0, result.output
    assert "Wrote 4 dated actions" in result.output
    data = target.read_bytes()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    calendar = icalendar.Calendar.from_ical(data)
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Mock interviews", "Write thank-you", LONG, "Done: Research bands"}
    assert events[LONG]["DTSTART"].dt == dt.date(2025, 8, 1)
    assert events["Mock interviews"]["DTSTART"].dt == dt.date(2025, 3, 1)
    assert events["Mock interviews"]["DTEND"].dt == dt.date(2025, 3, 2)
    assert "Backend Engineer at Globex" in str(events["Mock interviews"]["DESCRIPTION"])
    assert events["Mock interviews"]["DTSTAMP"].dt == dt.datetime(2025, 7, 5, tzinfo=dt.UTC)
    assert len({str(e["UID"]) for e in events.values()}) == 4
    assert events["Mock interviews"].walk("VALARM")
    assert not events["Done: Research bands"].walk("VALARM")


def test_uids_are_stable_across_exports(log: Path) -> None:
    site = fixture_site(log)
    first = actions_calendar(list_actions(site), stamp=dt.date(2025, 7, 5))
    again = actions_calendar(list_actions(site, open_only=True), stamp=dt.date(2025, 7, 5))
    uid = [line for line in first.split("\r\n") if line.startswith("UID:")][0]
    assert uid in again


def test_fold_splits_on_characters_not_inside_them() -> None:
    line = "SUMMARY:" + "é" * 60
    folded = fold(line)
    parts = folded.split("\r\n ")
    assert "".join(parts) == line
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
