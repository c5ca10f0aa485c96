"""[Entry] → Site: drafts, order, unique slugs, tags, timeline, lessons, actions, figures; pure."""

from __future__ import annotations

import calendar
import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable

from generator.config import SiteConfig
from generator.model import (
    ActionItem,
    Entry,
    Lesson,
    Month,
    Site,
    Stats,
    Tag,
    TagRef,
    Year,
)


def build_site(entries: Iterable[Entry], config: SiteConfig, *, drafts: bool = False) -> Site:
    """Organise parsed entries into everything the pages show."""
    kept = sorted((e for e in entries if drafts or not e.draft),
                  key=lambda e: (e.date, e.source), reverse=True)
    kept = _canonical_tags(_unique_slugs(kept))
    open_actions = tuple(ActionItem(a, e) for e in kept for a in e.actions if not a.done)
    done_actions = tuple(ActionItem(a, e) for e in kept for a in e.actions if a.done)
    return Site(
        entries=tuple(kept),
        tags=_tags(kept),
        timeline=_timeline(kept),
        lessons=tuple(Lesson(text, e) for e in kept for text in e.lessons),
        open_actions=open_actions,
        done_actions=done_actions,
        stats=_stats(kept, config, len(open_actions), len(done_actions)),
        stages=config.stages,
    )


def _unique_slugs(newest_first: list[Entry]) -> list[Entry]:
    """Oldest entry keeps the plain slug; later ones with the same slug get -2, -3 …"""
    taken: set[str] = set()
    unique: dict[int, Entry] = {}
    for index in range(len(newest_first) - 1, -1, -1):
        entry = newest_first[index]
        slug, n = entry.slug, 1
        while slug in taken:
            n += 1
            slug = f"{entry.slug}-{n}"
        taken.add(slug)
        unique[index] = entry if slug == entry.slug else dataclasses.replace(entry, slug=slug)
    return [unique[i] for i in range(len(newest_first))]


def _canonical_tags(entries: list[Entry]) -> list[Entry]:
    """One tag per slug, named by its most common spelling (ties: the first alphabetically)."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in entries:
        for tag in entry.tags:
            spellings[tag.slug][tag.name] += 1
    names = {slug: min(c, key=lambda n: (-c[n], n)) for slug, c in spellings.items()}
    return [e if all(t.name == names[t.slug] for t in e.tags) else dataclasses.replace(
        e, tags=tuple(TagRef(t.slug, names[t.slug]) for t in e.tags)) for e in entries]


def _tags(entries: list[Entry]) -> tuple[Tag, ...]:
    members: dict[TagRef, list[Entry]] = defaultdict(list)
    for entry in entries:
        for tag in entry.tags:
            members[tag].append(entry)
    return tuple(Tag(ref.slug, ref.name, tuple(group))
                 for ref, group in sorted(members.items(), key=lambda i: (i[0].name.lower(),
                                                                          i[0].slug)))


def _timeline(entries: list[Entry]) -> tuple[Year, ...]:
    months: dict[tuple[int, int], list[Entry]] = defaultdict(list)
    for entry in entries:
        months[(entry.date.year, entry.date.month)].append(entry)
    years: dict[int, list[Month]] = defaultdict(list)
    for (year, month), group in sorted(months.items(), reverse=True):
        years[year].append(Month(year, month, calendar.month_name[month], tuple(group)))
    return tuple(Year(year, tuple(ms)) for year, ms in years.items())


def _stats(entries: list[Entry], config: SiteConfig, open_count: int, done_count: int) -> Stats:
    reached = [e.stage_index for e in entries if e.stage_index is not None]
    furthest = max(reached) if reached else None
    return Stats(
        entries=len(entries),
        companies=len({e.company.casefold() for e in entries if e.company}),
        furthest_stage=config.stages[furthest] if furthest is not None else None,
        furthest_count=reached.count(furthest) if furthest is not None else 0,
        feedback_asked=sum(e.practices.feedback_asked for e in entries),
        thank_you_sent=sum(e.practices.thank_you_sent for e in entries),
        open_actions=open_count,
        done_actions=done_count,
        lessons=sum(len(e.lessons) for e in entries),
    )
