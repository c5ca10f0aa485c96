"""Entries → figures for the progress page (lessons that recur: recurring.py); pure.

Every figure is a frozen dataclass computed from the entries (oldest first) and an
`as_of` date passed in by the build (SOURCE_DATE_EPOCH or the newest entry's date), so
the same log always gives the same figures. Nothing here claims a pattern on fewer than
MIN_ENTRIES entries; findings are phrased as observations, never verdicts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from operator import attrgetter

from generator.memo import Memo
from generator.model import (
    MIN_ENTRIES,
    PRACTICES,
    ActionItem,
    ActionQuarter,
    AnswerTime,
    Count,
    Entry,
    Insight,
    Lesson,
    PracticeShare,
    ProgressPoint,
    StaleAction,
    action_items,
    lessons_of,
)
from generator.recurring import recurring_lessons, resurface

STALE_DAYS = 30
"""An open action set more than this many days before the as-of date is called out."""


def compute_insight(entries: Sequence[Entry], stages: Sequence[str], outcomes: Sequence[str],
                    as_of: dt.date | None, memo: Memo | None = None) -> Insight:
    """All figures for a log; entries in any order, as_of from the build (`memo`: the
    build cache's, for what is computed per entry)."""
    memo = memo if memo is not None else Memo()
    oldest = sorted(entries, key=lambda e: (e.date, e.source))
    insight = Insight(
        as_of=as_of, entries=len(oldest), progress=progress_points(oldest),
        funnel=funnel(oldest, stages), outcomes=outcome_counts(oldest, outcomes),
        per_month=entries_per_month(oldest), practices=practices_by_quarter(oldest),
        actions=actions_by_quarter(oldest),
        stale_actions=stale_actions(oldest, as_of, memo) if as_of else (),
        answer_times=answer_times(oldest), recurring=recurring_lessons(oldest, memo),
        resurfaced=resurface(oldest, as_of) if as_of else None, observations={})
    return dataclasses.replace(insight, observations=observe(insight, stages))


def progress_points(oldest: Sequence[Entry]) -> tuple[ProgressPoint, ...]:
    """Furthest stage of each application with a stage, oldest first."""
    return tuple(ProgressPoint(e.date, e.stage, e.stage_index, e) for e in oldest
                 if e.stage is not None and e.stage_index is not None)


def funnel(entries: Sequence[Entry], stages: Sequence[str]) -> tuple[Count, ...]:
    """How many applications reached each stage (reaching a later one counts for all before)."""
    at = Counter(e.stage_index for e in entries if e.stage_index is not None)
    counts, further = [], sum(n for index, n in at.items() if index >= len(stages))
    for index in range(len(stages) - 1, -1, -1):
        further += at[index]
        counts.append(further)
    return tuple(Count(stage, n) for stage, n in zip(stages, reversed(counts), strict=True))


def outcome_counts(entries: Sequence[Entry], outcomes: Sequence[str]) -> tuple[Count, ...]:
    """Entries per configured outcome (in config order), then 'not recorded'; zeros left out."""
    at = Counter(e.outcome for e in entries)
    counts = [Count(o, at[o]) for o in outcomes]
    counts.append(Count("not recorded", at[None]))
    return tuple(c for c in counts if c.count)


MAX_MONTHS = 600
"""A span of more months (50 years) lists only the months that have entries."""


def entries_per_month(oldest: Sequence[Entry]) -> tuple[Count, ...]:
    """Entries per calendar month from the first entry's month to the last's, gaps as 0."""
    if not oldest:
        return ()
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for entry in oldest:
        counts[(entry.date.year, entry.date.month)] += 1
    year, month = oldest[0].date.year, oldest[0].date.month
    last = (oldest[-1].date.year, oldest[-1].date.month)
    if (last[0] - year) * 12 + last[1] - month >= MAX_MONTHS:
        # A date like 0024 (warned about in entries.py) would make every month of 2,000
        # years a column and a row (a 2.9 MB page, issue 10 #8): only months with entries.
        return tuple(Count(f"{y}-{m:02d}", n) for (y, m), n in sorted(counts.items()))
    months: list[Count] = []
    while (year, month) <= last:
        months.append(Count(f"{year}-{month:02d}", counts[(year, month)]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(months)


def _by_quarter(oldest: Sequence[Entry]) -> dict[str, list[Entry]]:
    """Entries by quarter ('2025 Q3') of their date, in the order of `oldest`."""
    groups: dict[tuple[int, int], list[Entry]] = {}
    for entry in oldest:
        groups.setdefault((entry.date.year, (entry.date.month + 2) // 3), []).append(entry)
    return {f"{year} Q{quarter}": group for (year, quarter), group in groups.items()}


def practices_by_quarter(oldest: Sequence[Entry]) -> tuple[PracticeShare, ...]:
    """For each quarter with entries: how many showed each practice."""
    shares = []
    for quarter, group in _by_quarter(oldest).items():
        shown = [e.practices for e in group]
        shares.append(PracticeShare(quarter, len(group), **{
            p.key: sum(map(attrgetter(p.key), shown)) for p in PRACTICES}))
    return tuple(shares)


def actions_by_quarter(oldest: Sequence[Entry]) -> tuple[ActionQuarter, ...]:
    """Actions set per quarter (by their entry's date) and how many of them are done."""
    return tuple(ActionQuarter(quarter, sum(len(e.actions) for e in group),
                               sum(a.done for e in group for a in e.actions))
                 for quarter, group in _by_quarter(oldest).items())


Parts = tuple[tuple[ActionItem, ...], tuple[Lesson, ...]]
_NO_PARTS: Parts = ((), ())


def entry_parts(entry: Entry, memo: Memo) -> Parts:
    """The entry's action items and lessons, through the memo (the same objects while the
    entry is equal: the pages that list them are then found unchanged at once)."""
    if not entry.actions and not entry.lessons:
        return _NO_PARTS
    return memo.get(("entry parts", entry.source), entry,
                    lambda: (action_items(entry), lessons_of(entry)))


def stale_actions(oldest: Sequence[Entry], as_of: dt.date,
                  memo: Memo | None = None) -> tuple[StaleAction, ...]:
    """Open actions set more than STALE_DAYS before as_of, oldest first."""
    memo = memo if memo is not None else Memo()
    return tuple(StaleAction(item, (as_of - e.date).days) for e in oldest
                 if e.actions and (as_of - e.date).days > STALE_DAYS
                 for item in entry_parts(e, memo)[0] if not item.action.done)


def answer_times(oldest: Sequence[Entry]) -> tuple[AnswerTime, ...]:
    """Days from application to answer, for entries with both dates (never negative)."""
    return tuple(AnswerTime(e, (e.date - e.applied).days) for e in oldest
                 if e.applied is not None and e.applied <= e.date)


def _share(part: int, whole: int) -> str:
    return f"{part} of {whole}"


def _median_low(values: list[int]) -> int:
    """statistics.median_low, without importing statistics (~2 ms at start)."""
    return sorted(values)[(len(values) - 1) // 2]


def observe(insight: Insight, stages: Sequence[str]) -> dict[str, str]:
    """One calm sentence per figure, only for figures with at least MIN_ENTRIES entries."""
    notes: dict[str, str] = {}
    points = insight.progress
    if len(points) >= MIN_ENTRIES:
        half = len(points) // 2
        early = _median_low([p.stage_index for p in points[:half]])
        late = _median_low([p.stage_index for p in points[-half:]])
        notes["progress"] = (f"Your latest {half} applications got as far as "
                             f"'{stages[late]}' at the median; your first {half}, "
                             f"'{stages[early]}'.")
    reached = insight.funnel[0].count if insight.funnel else 0
    if reached >= MIN_ENTRIES and len(insight.funnel) > 1:
        notes["funnel"] = (f"{_share(insight.funnel[1].count, reached)} applications went "
                           f"past '{insight.funnel[0].label}'.")
    if insight.entries >= MIN_ENTRIES:
        top = max(insight.outcomes, key=lambda c: c.count)
        notes["outcomes"] = (f"The most common ending so far is '{top.label}' "
                             f"({_share(top.count, insight.entries)} entries).")
        busiest = max(insight.per_month, key=lambda c: c.count)
        quiet = sum(not m.count for m in insight.per_month)
        span = f"{insight.entries} entries over {len(insight.per_month)} months"
        notes["per_month"] = (
            f"{span}, never more than one in a month." if busiest.count == 1 else
            f"{span}; the busiest was {busiest.label} with {busiest.count}.") + (
            f" {quiet} months had none." if quiet else "")
        first, last = insight.practices[0], insight.practices[-1]
        notes["practices"] = (
            f"Feedback asked: {_share(last.feedback_asked, last.entries)} entries in "
            f"{last.quarter}, {_share(first.feedback_asked, first.entries)} in {first.quarter}.")
        opened = sum(q.opened for q in insight.actions)
        done = sum(q.done for q in insight.actions)
        if opened:
            notes["actions"] = f"{_share(done, opened)} actions you set yourself are done."
    if len(insight.answer_times) >= MIN_ENTRIES and insight.median_days is not None:
        notes["answer_times"] = (f"Answers took {insight.median_days:g} days at the median "
                                 f"({len(insight.answer_times)} applications with both dates).")
    return notes
