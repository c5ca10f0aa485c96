"""[Entry] → Site: drafts, order, unique slugs, tags, timeline, lessons, actions, figures; pure."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from generator.config import SiteConfig
from generator.insight import compute_insight
from generator.memo import Memo
from generator.model import (
    Company,
    Entry,
    Month,
    Site,
    StageFacet,
    Stats,
    Tag,
    TagRef,
    Year,
    action_items,
    lessons_of,
)
from generator.slugs import make_slug


def build_site(entries: Iterable[Entry], config: SiteConfig, *, drafts: bool = False,
               as_of: dt.date | None = None, memo: Memo | None = None) -> Site:
    """Organise parsed entries into everything the pages show.

    `as_of` is the build's date for insight figures (SOURCE_DATE_EPOCH, from the build);
    without it, the newest entry's date. `memo`: the build cache's, so that an unchanged
    entry comes out as the same object as last build (pages that show it are then found
    unchanged at once); without it, everything is computed afresh (same result).
    """
    memo = memo if memo is not None else Memo()
    kept = sorted((e for e in entries if drafts or not e.draft),
                  key=lambda e: (e.date, e.source), reverse=True)
    own = [e for e in kept if not e.example]
    # init's example shows only until the author writes an entry, and never counts.
    shown = _canonical_tags(_unique_slugs(own or kept, memo), memo)
    counted = [e for e in shown if not e.example]
    items = [item for e in counted for item in memo.get(("action items", e.source), e,
                                                        lambda: action_items(e))]  # noqa: B023
    open_actions = tuple(item for item in items if not item.action.done)
    done_actions = tuple(item for item in items if item.action.done)
    companies = _companies(counted, memo)
    return Site(
        entries=tuple(shown),
        tags=_tags(shown),
        timeline=_timeline(shown),
        lessons=tuple(lesson for e in counted for lesson in memo.get(
            ("lessons", e.source), e, lambda: lessons_of(e))),  # noqa: B023
        open_actions=open_actions,
        done_actions=done_actions,
        stats=_stats(counted, config, len(companies), len(open_actions), len(done_actions)),
        stages=config.stages,
        companies=companies,
        stage_facets=_stage_facets(counted, config),
        insight=compute_insight(counted, config.stages, config.outcomes,
                                as_of or (counted[0].date if counted else None), memo),
    )


def _unique_slugs(newest_first: list[Entry], memo: Memo) -> list[Entry]:
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
        unique[index] = entry if slug == entry.slug else memo.get(
            ("unique slug", entry.source), (entry, slug),
            lambda: dataclasses.replace(entry, slug=slug))  # noqa: B023 - called at once
    return [unique[i] for i in range(len(newest_first))]


def _canonical_tags(entries: list[Entry], memo: Memo) -> list[Entry]:
    """One tag per slug, named by its most common spelling (ties: the first alphabetically)."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in entries:
        for tag in entry.tags:
            spellings[tag.slug][tag.name] += 1
    names = {slug: min(c, key=lambda n: (-c[n], n)) for slug, c in spellings.items()}
    return [e if all(t.name == names[t.slug] for t in e.tags) else _with_tags(
        e, tuple(TagRef(t.slug, names[t.slug]) for t in e.tags), memo) for e in entries]


def _with_tags(entry: Entry, tags: tuple[TagRef, ...], memo: Memo) -> Entry:
    return memo.get(("canonical tags", entry.source), (entry, tags),
                    lambda: dataclasses.replace(entry, tags=tags))


def _tags(entries: list[Entry]) -> tuple[Tag, ...]:
    members: dict[TagRef, list[Entry]] = defaultdict(list)
    for entry in entries:
        for tag in entry.tags:
            members[tag].append(entry)
    return tuple(Tag(ref.slug, ref.name, tuple(group))
                 for ref, group in sorted(members.items(), key=lambda i: (i[0].name.lower(),
                                                                          i[0].slug)))


def _companies(entries: list[Entry], memo: Memo) -> tuple[Company, ...]:
    """One facet per company (case-insensitive), named by its most common spelling."""
    groups: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        if (company := entry.company) and company.strip():
            groups[memo.get(("company slug", entry.source), company,
                            lambda: make_slug(company))].append(entry)  # noqa: B023
    companies = []
    for slug, group in groups.items():
        names = Counter(" ".join(e.company.split()) for e in group if e.company)
        companies.append(Company(slug, min(names, key=lambda n: (-names[n], n)), tuple(group)))
    return tuple(sorted(companies, key=lambda c: (c.name.casefold(), c.slug)))


def _stage_facets(entries: list[Entry], config: SiteConfig) -> tuple[StageFacet, ...]:
    return tuple(StageFacet(stage, index, group) for index, stage in enumerate(config.stages)
                 if (group := tuple(e for e in entries if e.stage_index == index)))


def _timeline(entries: list[Entry]) -> tuple[Year, ...]:
    months: dict[tuple[int, int], list[Entry]] = defaultdict(list)
    for entry in entries:
        months[(entry.date.year, entry.date.month)].append(entry)
    years: dict[int, list[Month]] = defaultdict(list)
    for (year, month), group in sorted(months.items(), reverse=True):
        years[year].append(Month(year, month, calendar.month_name[month], tuple(group)))
    return tuple(Year(year, tuple(ms)) for year, ms in years.items())


def _stats(entries: list[Entry], config: SiteConfig, companies: int, open_count: int,
           done_count: int) -> Stats:
    reached = [e.stage_index for e in entries if e.stage_index is not None]
    furthest = max(reached) if reached else None
    return Stats(
        entries=len(entries),
        companies=companies,  # as /companies/ groups them, so the two pages agree
        furthest_stage=config.stages[furthest] if furthest is not None else None,
        furthest_count=reached.count(furthest) if furthest is not None else 0,
        feedback_asked=sum(e.practices.feedback_asked for e in entries),
        thank_you_sent=sum(e.practices.thank_you_sent for e in entries),
        open_actions=open_count,
        done_actions=done_count,
        lessons=sum(len(e.lessons) for e in entries),
    )
