"""[Entry] → Site: drafts, order, unique slugs, tags, timeline, lessons, actions, figures; pure."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from generator.config import SiteConfig
from generator.insight import compute_insight, entry_parts
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
    parts = [entry_parts(e, memo) for e in counted]
    items = [item for own, _ in parts for item in own]
    open_actions = tuple(item for item in items if not item.action.done)
    done_actions = tuple(item for item in items if item.action.done)
    companies = _companies(counted, memo)
    return Site(
        entries=tuple(shown),
        tags=_tags(shown),
        timeline=_timeline(shown),
        lessons=tuple(lesson for _, own in parts for lesson in own),
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
    if len({entry.slug for entry in newest_first}) == len(newest_first):
        return newest_first  # no two alike: each keeps its own (serve asks on every save)
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
    first: dict[str, str] = {}
    if all(first.setdefault(tag.slug, tag.name) == tag.name
           for entry in entries for tag in entry.tags):
        return entries  # one spelling of each: nothing to rename (serve asks on every save)
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
    members: dict[tuple[str, str], list[Entry]] = defaultdict(list)  # (slug, name): a tag
    for entry in entries:
        for tag in entry.tags:
            members[tag.slug, tag.name].append(entry)
    return tuple(Tag(slug, name, tuple(group))
                 for (slug, name), group in sorted(members.items(),
                                                   key=lambda i: (i[0][1].lower(), i[0][0])))


def _companies(entries: list[Entry], memo: Memo) -> tuple[Company, ...]:
    """One facet per company (case-insensitive), named by its most common spelling."""
    groups: dict[str, list[Entry]] = defaultdict(list)
    slugs: dict[str, str] = {}
    for entry in entries:
        if (company := entry.company) and company.strip():
            slug = slugs.get(company)
            if slug is None:  # each spelling once: serve asks on every save
                slug = slugs[company] = memo.get(("company slug", company), None,
                                                 lambda: make_slug(company))  # noqa: B023
            groups[slug].append(entry)
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
