"""Entries → lessons that come back across entries, and one old lesson resurfaced; pure.

Part of [insight]: wording is compared after normalising (case, punctuation) with a
difflib ratio; points that are not repeats are grouped by a tag their entries share.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import functools
import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from generator.model import Entry, HashedOnce, TagRef

SIMILAR = 0.8
"""difflib ratio above which two normalised lessons count as the same wording."""
RESURFACE_MONTHS = 3


@dataclass(frozen=True, slots=True)
class LessonPoint(HashedOnce):
    """A lesson or post-mortem point, with the entry it came from."""

    text: str
    kind: str
    """'lesson', 'to improve' or 'went well'."""
    entry: Entry

    __hash__ = HashedOnce.__hash__

    def _hash_key(self) -> tuple[object, ...]:
        return self.text, self.kind, self.entry


@dataclass(frozen=True, slots=True)
class RecurringLesson:
    """Points that come back across entries: near-identical wording, or one shared tag."""

    label: str
    """The wording (earliest occurrence) or the tag's name."""
    tag: TagRef | None
    """Set when the points are grouped by a tag rather than by wording."""
    points: tuple[LessonPoint, ...]
    """Oldest first; from at least two different entries."""

    @property
    def entry_count(self) -> int:
        return len({p.entry.source for p in self.points})


@dataclass(frozen=True, slots=True)
class Resurfaced:
    """A lesson written at least three months before the as-of date, shown again."""

    text: str
    entry: Entry
    when: str
    """'March' in the as-of year, else 'March 2025'."""


@functools.lru_cache(maxsize=1 << 14)
def normalise(text: str) -> str:
    """Lower-case words only: 'Lead with trade-offs!' → 'lead with trade offs'."""
    return " ".join(re.findall(r"[a-z0-9]+", text.casefold()))


def _points(oldest: Sequence[Entry]) -> list[LessonPoint]:
    return [point for entry in oldest for point in _entry_points(entry)]


@functools.lru_cache(maxsize=1 << 14)
def _entry_points(entry: Entry) -> tuple[LessonPoint, ...]:
    # Memoised: serve recomputes recurring lessons on every save, for one changed entry.
    points = [LessonPoint(t, "lesson", entry) for t in entry.lessons]
    if entry.postmortem:
        points += [LessonPoint(t, "to improve", entry) for t in entry.postmortem.to_improve]
        points += [LessonPoint(t, "went well", entry) for t in entry.postmortem.went_well]
    return tuple(points)


@functools.lru_cache(maxsize=1 << 16)
def _same_wording(a: str, b: str) -> bool:
    # Cached because serve recomputes this on every rebuild; the quick upper bounds
    # reject most pairs before the full (quadratic) ratio is computed.
    if a == b:
        return True
    matcher = difflib.SequenceMatcher(None, a, b)
    return (matcher.real_quick_ratio() >= SIMILAR and matcher.quick_ratio() >= SIMILAR
            and matcher.ratio() >= SIMILAR)


def recurring_lessons(oldest: Sequence[Entry]) -> tuple[RecurringLesson, ...]:
    """Wording that recurs across entries, then tags whose entries share points to improve.

    Groups by wording come first (most entries first); then, for each tag on at least two
    entries with lessons, those lessons. A point already in a wording group is not repeated.
    """
    points = _points(oldest)
    clusters: list[list[LessonPoint]] = []
    keys: list[str] = []
    # Wording seen before joins the same cluster as last time: the keys before that one
    # have not changed, and did not match it then.
    cluster_of: dict[str, int] = {}
    for point in points:
        if point.kind == "went well":
            continue
        key = normalise(point.text)
        index = cluster_of.get(key)
        if index is None:
            index = next((i for i, existing in enumerate(keys)
                          if _same_wording(key, existing)), len(keys))
            if index == len(keys):
                keys.append(key)
                clusters.append([])
            cluster_of[key] = index
        clusters[index].append(point)
    by_wording = [RecurringLesson(c[0].text, None, tuple(c)) for c in clusters
                  if len({p.entry.source for p in c}) >= 2]
    by_wording.sort(key=lambda r: -r.entry_count)
    grouped = {id(p) for r in by_wording for p in r.points}
    tagged: dict[TagRef, list[LessonPoint]] = defaultdict(list)
    for point in points:
        if point.kind == "lesson" and id(point) not in grouped:
            for tag in point.entry.tags:
                tagged[tag].append(point)
    by_tag = [RecurringLesson(tag.name, tag, tuple(points))
              for tag, points in sorted(tagged.items(), key=lambda i: (i[0].name, i[0].slug))
              if len({p.entry.source for p in points}) >= 2]
    by_tag.sort(key=lambda r: -r.entry_count)
    return tuple(by_wording + by_tag)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (clamped to the month's length)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def resurface(oldest: Sequence[Entry], as_of: dt.date) -> Resurfaced | None:
    """One lesson from at least three months before as_of, picked by a hash of as_of."""
    cutoff = months_before(as_of, RESURFACE_MONTHS)
    candidates = [(text, e) for e in oldest if e.date <= cutoff for text in e.lessons]
    if not candidates:
        return None
    digest = hashlib.sha256(as_of.isoformat().encode("ascii")).digest()
    text, entry = candidates[int.from_bytes(digest[:8], "big") % len(candidates)]
    month = calendar.month_name[entry.date.month]
    when = month if entry.date.year == as_of.year else f"{month} {entry.date.year}"
    return Resurfaced(text, entry, when)
