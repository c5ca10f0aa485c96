"""The log as data: frozen dataclasses built by entries.py and site.py, read by templates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import field
from itertools import repeat
from typing import TYPE_CHECKING, Any, TypeVar

from generator.value import Value, frozen


class HashedOnce(Value):
    """Base of the frozen dataclasses that key render caches (fragments, search records)
    thousands of times per rebuild: hashed once, when made, on `_hash_key()`."""

    __slots__ = ("_hash",)
    _hash: int

    def _hash_key(self) -> tuple[object, ...]:
        raise NotImplementedError

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash(self._hash_key()))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled without the hash, which is made again: a str's hash differs from one
        process to the next (`growthlog build` keeps entries on disk, build_cache.py)."""
        return _unpickle_hashed, (type(self), tuple(getattr(self, name)
                                                    for name in type(self).__slots__))


H = TypeVar("H", bound=HashedOnce)


class Plain(Value):
    """Base of the other frozen dataclasses: pickled as a call with their fields, in
    order. The build cache on disk holds tens of thousands of them (build_cache.py), and
    dataclasses' own __getstate__ and __setstate__ look up the fields anew for each one
    (a third of loading the cache)."""

    __slots__ = ()

    def __reduce__(self) -> tuple[object, ...]:
        names: tuple[str, ...] = self.__slots__  # a dataclass's own: its fields, in order
        return type(self), tuple([getattr(self, name) for name in names])


def _unpickle_hashed(kind: type[H], values: tuple[object, ...],
                     names: tuple[str, ...] | None = None) -> H:
    """A `kind` with `values` for `names` (default: its fields), hashed, made without
    __init__ (as unpickled, or later_entry)."""
    made = object.__new__(kind)
    names = kind.__slots__ if names is None else names
    if len(names) != len(values):
        raise ValueError(f"{len(values)} values for the {len(names)} fields of {kind}")
    # The loop in C (any() of map(), each giving None): a Python loop over the fields was
    # half of loading the build state's entries (1,000 of 29 fields each).
    any(map(object.__setattr__, repeat(made, len(names)), names, values))
    object.__setattr__(made, "_hash", hash(made._hash_key()))
    return made


@frozen
class Feedback(Plain):
    """What the company said, or did not, about why (front matter `feedback`)."""

    asked: bool | None
    given_by: str | None
    received: str | None
    other_openings: str | None


@frozen
class Support(Plain):
    """Someone the author talked it through with, and what they took away."""

    who: str
    took_away: str | None


@frozen
class Postmortem(Plain):
    """What went well and what to improve, as written."""

    went_well: tuple[str, ...]
    to_improve: tuple[str, ...]


@frozen
class Bridges(Plain):
    """Whether a thank-you was sent (or when) and whether to keep in touch."""

    thank_you_sent: dt.date | bool | None
    keep_in_touch: bool | None

    @property
    def thank_you_date(self) -> dt.date | None:
        sent = self.thank_you_sent
        return sent if isinstance(sent, dt.date) else None


@frozen
class Action(Plain):
    """One next step the entry sets: done or not, and when it is due."""

    text: str
    done: bool
    due: dt.date | None


@frozen
class Practice(Plain):
    """One of the five practices: the one name every page uses for it."""

    key: str
    """Its attribute of Practices (and of insight's per-quarter shares)."""
    name: str
    """'Feedback': headings, checklists, charts and tables all say this."""
    done: str
    """What doing it is, after the name: 'Feedback asked'."""
    todo: str
    """The kind nudge while it is not done yet."""
    field: str
    """The front-matter key it is written under."""

    @property
    def label(self) -> str:
        return f"{self.name} {self.done}"


PRACTICES: tuple[Practice, ...] = (
    Practice("feedback_asked", "Feedback", "asked", "Not yet: ask for feedback", "feedback"),
    Practice("support_sought", "Support", "sought", "Not yet: talk it through with someone",
             "support"),
    Practice("postmortem_written", "Post-mortem", "written",
             "Not yet: write a short post-mortem", "postmortem"),
    Practice("thank_you_sent", "Thank-you", "sent", "Not yet: send a thank-you note",
             "bridges"),
    Practice("actions_set", "Next steps", "set", "Not yet: choose one next step", "actions"),
)
"""The five practices, in the order every page lists them."""


@frozen
class Practices(Plain):
    """The five practices as a checklist: True when the entry shows it."""

    feedback_asked: bool
    support_sought: bool
    postmortem_written: bool
    thank_you_sent: bool
    actions_set: bool

    @property
    def count(self) -> int:
        return sum((self.feedback_asked, self.support_sought, self.postmortem_written,
                    self.thank_you_sent, self.actions_set))


@frozen
class TagRef(Plain):
    """A tag as an entry names it: its slug and its name."""

    slug: str
    name: str


def exact(value: object) -> object:
    """`value` as a template may show it, for comparing: each value with its type, a
    mapping's items in order (Python finds 1, 1.0 and True equal, and two dicts with their
    keys in another order: a page would show them otherwise)."""
    if isinstance(value, Mapping):
        return Mapping, tuple((exact(k), exact(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return type(value), tuple(exact(v) for v in value)
    return type(value), value


class Extra(dict[str, Any]):
    """Entry.extra: equal to another only as exact() finds it, so that an entry parsed
    again to values of another type or order is not taken for the one before (the build
    state keeps an equal entry's pages and its object, pipeline.py)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return bool(exact(self) == exact(other))

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None


BODIES = ("body_html", "body_text")
"""An entry's fields that may be read later (_Bodies)."""


class _Bodies(HashedOnce):
    """Base of Entry: its bodies (most of its bytes) may be read when first asked for.
    The build state on disk (build_cache.py) makes each entry with a function that
    gives them, and most are never asked for (a page not rendered again)."""

    __slots__ = ("_later",)
    _later: Callable[[], tuple[str, ...]]

    if not TYPE_CHECKING:  # (mypy would take any attribute of an Entry as there)
        def __getattr__(self, name: str) -> str:
            """Only called for a field that is not set: a body not read yet."""
            try:
                later = object.__getattribute__(self, "_later") if name in BODIES else None
            except AttributeError:
                later = None
            if later is None:
                raise AttributeError(name)
            try:
                texts = later()
            except AttributeError as exc:  # not "no such field" (getattr, hasattr, Jinja)
                raise RuntimeError(f"reading an entry's {name}: {exc}") from exc
            for body, text in zip(BODIES, texts, strict=True):
                object.__setattr__(self, body, text)
            return object.__getattribute__(self, name)


def later_entry(values: tuple[object, ...], later: Callable[[], tuple[str, ...]]) -> Entry:
    """An Entry with `values` for its fields but its bodies, which `later` gives when
    either is first asked for."""
    return _unpickle_hashed(Entry, (*values, later), _LATER_SLOTS)


def bodies_later(entry: Entry) -> Callable[[], tuple[str, ...]] | None:
    """What gives the entry's bodies, if they were not read yet (else None)."""
    try:
        object.__getattribute__(entry, BODIES[0])
    except AttributeError:
        return object.__getattribute__(entry, "_later")  # type: ignore[no-any-return]
    return None


@frozen
class Entry(_Bodies):
    """One rejection and the reflection on it, as written in one file."""

    source: str
    """Path inside content/, POSIX, e.g. '2026/2026-03-14-acme.md'."""
    title: str
    date: dt.date
    company: str | None
    role: str | None
    stage: str | None
    stage_index: int | None
    """Position of `stage` in the configured stages, 0-based."""
    outcome: str | None
    applied: dt.date | None
    tags: tuple[TagRef, ...]
    feedback: Feedback | None
    support: tuple[Support, ...]
    postmortem: Postmortem | None
    bridges: Bridges | None
    lessons: tuple[str, ...]
    actions: tuple[Action, ...]
    draft: bool
    slug: str
    body_html: str
    body_text: str
    summary: str
    practices: Practices
    attachments: tuple[str, ...] = ()
    """Files in content/ (not entries) that the body links to or shows, POSIX."""
    extra: Mapping[str, Any] = field(default_factory=Extra)
    """Front-matter keys growthlog does not use (another tool's `author`, your own `mood`),
    as written: for templates."""
    old_addresses: tuple[str, ...] = ()
    """Logical paths the entry had in another blog (permalink, aliases): redirected here."""
    names: tuple[str, ...] = ()
    """Other names of the entry (Obsidian `aliases: [Acme day]`): a [[wikilink]] to one
    of them links here."""
    fields: tuple[FieldValue, ...] = ()
    """The log's own declared fields this entry sets (growthlog.toml [[fields]]), in order."""
    entry_links: tuple[tuple[int, str, str], ...] = ()
    """(file line, address, target as written) of links to other entries in body_html,
    until entry_links.resolve_entry_links makes them hrefs."""
    example: bool = False
    """`example: true`, as `growthlog init` writes: shown until the log has an entry of the
    author's own, and never counted in any figure."""
    share: tuple[str, ...] = ()
    """Readers whose view holds this entry (front matter `share:`; share.py)."""
    share_line: int | None = None
    """The file line of `share:`, for a warning about a name in it."""

    def _hash_key(self) -> tuple[object, ...]:
        return self.source, self.slug, self.title, self.date  # a few fields: enough to tell apart

    @property
    def open_actions(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if not a.done)

    @property
    def days_to_answer(self) -> int | None:
        return (self.date - self.applied).days if self.applied else None


LATER_FIELDS = tuple(name for name in Entry.__slots__ if name not in BODIES)
"""Entry's fields that later_entry is given, in order."""
_LATER_SLOTS = (*LATER_FIELDS, "_later")


@frozen
class Tag(Plain):
    """A tag and its entries, newest first."""

    slug: str
    name: str
    entries: tuple[Entry, ...]


@frozen
class Month(Plain):
    """One month of the timeline and its entries, newest first."""

    year: int
    month: int
    name: str
    entries: tuple[Entry, ...]


@frozen
class Year(Plain):
    """One year of the timeline, its months newest first."""

    year: int
    months: tuple[Month, ...]

    @property
    def count(self) -> int:
        return sum(len(m.entries) for m in self.months)


@frozen
class Lesson(HashedOnce):
    """A lesson and the entry that wrote it."""

    text: str
    entry: Entry

    def _hash_key(self) -> tuple[object, ...]:
        return self.text, self.entry


@frozen
class ActionItem(HashedOnce):
    """A next step and the entry that set it."""

    action: Action
    entry: Entry

    def _hash_key(self) -> tuple[object, ...]:
        return self.action, self.entry


@frozen
class Company(Plain):
    """Every application to one company, newest first (e.g. applying again after a year)."""

    slug: str
    name: str
    entries: tuple[Entry, ...]


@frozen
class StageFacet(Plain):
    """Applications whose furthest stage was this one, newest first."""

    stage: str
    index: int
    entries: tuple[Entry, ...]


@frozen
class Stats(Plain):
    """Headline figures for the home page."""

    entries: int
    companies: int
    furthest_stage: str | None
    furthest_count: int
    """How many entries reached the furthest stage."""
    feedback_asked: int
    thank_you_sent: int
    open_actions: int
    done_actions: int
    lessons: int


@frozen
class Site(Plain):
    """Everything the pages show, computed once from the entries."""

    entries: tuple[Entry, ...]
    """Newest first."""
    tags: tuple[Tag, ...]
    """By name."""
    timeline: tuple[Year, ...]
    """Newest year and month first."""
    lessons: tuple[Lesson, ...]
    open_actions: tuple[ActionItem, ...]
    done_actions: tuple[ActionItem, ...]
    stats: Stats
    stages: tuple[str, ...]
    companies: tuple[Company, ...] = ()
    """By name."""
    stage_facets: tuple[StageFacet, ...] = ()
    """In stage order; only stages some entry reached as its furthest."""
    insight: Insight | None = None
    """Figures for the progress page, recurring lessons and the resurfaced lesson."""


@frozen
class FieldValue(Plain):
    """A declared field's value in one entry, for the entry page and templates."""

    name: str
    label: str
    value: Any = field(compare=False)
    text: str
    """The value as the page shows it."""
    exact: object = field(default=None, repr=False)
    """exact(value), compared in its stead (2 and 2.0 show alike in `text`, not in
    `value`)."""


MIN_ENTRIES = 5
"""Fewer entries than this: show the data, but no observation about patterns."""


@frozen
class LessonPoint(HashedOnce):
    """A lesson or post-mortem point, with the entry it came from."""

    text: str
    kind: str
    """'lesson', 'to improve' or 'went well'."""
    entry: Entry

    def _hash_key(self) -> tuple[object, ...]:
        return self.text, self.kind, self.entry


@frozen
class RecurringLesson(Plain):
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


@frozen
class Resurfaced(Plain):
    """A lesson written at least three months before the as-of date, shown again."""

    text: str
    entry: Entry
    when: str
    """'March' in the as-of year, else 'March 2025'."""


@frozen
class ProgressPoint(Plain):
    """How far one application got, placed at the day it ended."""

    date: dt.date
    stage: str
    stage_index: int
    entry: Entry


@frozen
class Count(Plain):
    """A labelled count: a funnel step, an outcome, a month."""

    label: str
    count: int


@frozen
class PracticeShare(Plain):
    """One of the five practices in one quarter: how many entries showed it."""

    quarter: str
    """'2026 Q1'."""
    entries: int
    feedback_asked: int
    support_sought: int
    postmortem_written: int
    thank_you_sent: int
    actions_set: int


@frozen
class ActionQuarter(Plain):
    """Actions set in entries of one quarter, and how many of those are done now."""

    quarter: str
    opened: int
    done: int


@frozen
class StaleAction(Plain):
    """An open next step and how old it is at the as-of date."""

    item: ActionItem
    age_days: int
    """Days between the entry that set it and the as-of date."""


@frozen
class AnswerTime(Plain):
    """Days from applying to the answer, for one entry."""

    entry: Entry
    days: int


@frozen
class Insight(Plain):
    """Every figure the progress, lessons and home pages show."""

    as_of: dt.date | None
    entries: int
    progress: tuple[ProgressPoint, ...]
    funnel: tuple[Count, ...]
    """Per configured stage: applications that reached it or went further."""
    outcomes: tuple[Count, ...]
    per_month: tuple[Count, ...]
    """Entries per month ('2026-03'), every month from the first to the last."""
    practices: tuple[PracticeShare, ...]
    actions: tuple[ActionQuarter, ...]
    stale_actions: tuple[StaleAction, ...]
    answer_times: tuple[AnswerTime, ...]
    recurring: tuple[RecurringLesson, ...]
    resurfaced: Resurfaced | None
    observations: dict[str, str]
    """Figure name → one sentence; empty for a figure with too few entries."""

    @property
    def enough(self) -> bool:
        return self.entries >= MIN_ENTRIES

    @property
    def median_days(self) -> float | None:
        if not self.answer_times:
            return None
        days = sorted(a.days for a in self.answer_times)  # (statistics.median: not imported
        middle = len(days) // 2                           # for this alone, ~2 ms at start)
        return days[middle] if len(days) % 2 else (days[middle - 1] + days[middle]) / 2


def lessons_of(entry: Entry) -> tuple[Lesson, ...]:
    return tuple(Lesson(text, entry) for text in entry.lessons)


def action_items(entry: Entry) -> tuple[ActionItem, ...]:
    return tuple(ActionItem(action, entry) for action in entry.actions)
