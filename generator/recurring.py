"""Entries → lessons that come back across entries, and one old lesson resurfaced; pure.

Part of [insight]: wording is compared after normalising (case, punctuation) with a
difflib ratio, only against the few earlier wordings that share its rarest trigrams (so
the cost grows with the number of lessons, not its square); points that are not repeats
are grouped by a tag their entries share.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from generator.memo import Memo
from generator.model import Entry, LessonPoint, RecurringLesson, Resurfaced, TagRef
from generator.value import Value, frozen

SIMILAR = 0.8
"""difflib ratio above which two normalised lessons count as the same wording."""
POSTINGS_READ = 128
"""Per wording, at most this many (trigram, cluster) pairs are read to find likely clusters."""
OVERLAP = 0.3
"""Per wording, only clusters whose first wording shares this share of trigrams (Dice)."""
CANDIDATES = 4
"""Per wording, at most this many likely clusters are compared with difflib."""
RESURFACE_MONTHS = 3


def normalise(text: str) -> str:
    """Lower-case words only: 'Lead with trade-offs!' → 'lead with trade offs'."""
    return " ".join(re.findall(r"[a-z0-9]+", text.casefold()))


_Points = tuple[tuple[LessonPoint, ...], tuple[tuple[LessonPoint, str], ...]]


def _entry_points(entry: Entry) -> _Points:
    """The entry's points and, for those compared by wording, each with its wording
    normalised."""
    points = [LessonPoint(t, "lesson", entry) for t in entry.lessons]
    if entry.postmortem:
        points += [LessonPoint(t, "to improve", entry) for t in entry.postmortem.to_improve]
        points += [LessonPoint(t, "went well", entry) for t in entry.postmortem.went_well]
    return tuple(points), tuple((p, normalise(p.text)) for p in points if p.kind != "went well")


def _same_wording(a: str, b: str) -> bool:
    # Cached because serve recomputes this on every rebuild; the quick upper bounds
    # reject most pairs before the full (quadratic) ratio is computed.
    if a == b:
        return True
    import difflib  # (not for a build whose lessons are as they were: memo.py)

    matcher = difflib.SequenceMatcher(None, a, b)
    return (matcher.real_quick_ratio() >= SIMILAR and matcher.quick_ratio() >= SIMILAR
            and matcher.ratio() >= SIMILAR)


@frozen
class Clustering(Value):
    """Which cluster each wording joined, and the work it took (for the tests)."""

    cluster_of: tuple[int, ...]
    """Per wording, the index of its cluster; clusters are numbered by first wording."""
    postings_read: int
    comparisons: int


def _trigrams(wording: str) -> frozenset[str]:
    padded = f" {wording} "
    return frozenset(padded[i:i + 3] for i in range(len(padded) - 2))


def _band(length: int) -> int:
    """Lengths in bands 50 % wide, so that postings hold only wordings of nearby length."""
    return int(math.log(max(length, 1), 1.5))


def cluster_wordings(wordings: Sequence[str],
                     same: Callable[[str, str], bool] = _same_wording) -> Clustering:
    """Each distinct normalised wording joins the first earlier cluster whose first wording
    is `same`, else starts one.

    Comparing with every cluster was quadratic (~170k difflib pairs at 200 entries), so a
    wording is compared only with likely clusters: those whose first wording holds one of
    its rarest trigrams (rarest over all wordings; of a length that can reach SIMILAR; at
    most POSTINGS_READ cluster ids read); of the 2 * CANDIDATES holding most of those, the
    CANDIDATES that share most trigrams (Dice, at least OVERLAP), in cluster order.
    Near-identical wordings share most trigrams, rare ones included, so on real logs this
    finds the clusters that comparing with all of them found (tests/test_recurring.py)."""
    grams = [_trigrams(w) for w in wordings]
    frequency: Counter[str] = Counter()
    for own in grams:
        frequency.update(own)
    rarest_first = {gram: rank for rank, gram
                    in enumerate(sorted(frequency, key=lambda g: (frequency[g], g)))}
    firsts: list[tuple[str, frozenset[str]]] = []
    holding: dict[tuple[str, int], list[int]] = defaultdict(list)
    """(trigram, length band) → the clusters whose first wording holds it, in cluster order."""
    cluster_of: list[int] = []
    postings_read = comparisons = 0
    for wording, own in zip(wordings, grams, strict=True):
        # Only lengths within 2/3..3/2 of this one can reach SIMILAR (real_quick_ratio).
        bands = range(_band(-(-2 * len(wording) // 3)), _band(3 * len(wording) // 2) + 1)
        shared: Counter[int] = Counter()
        budget = POSTINGS_READ
        for gram in sorted(own, key=rarest_first.__getitem__):
            for band in bands:
                clusters = holding.get((gram, band), ())[:budget]
                shared.update(clusters)
                budget -= len(clusters)
            if budget <= 0:
                break
        postings_read += POSTINGS_READ - budget
        scored: list[tuple[float, int]] = []
        for candidate, _ in shared.most_common(2 * CANDIDATES):
            first, first_grams = firsts[candidate]
            length = len(wording) + len(first)
            # Lengths this far apart cannot reach SIMILAR (difflib's real_quick_ratio).
            if 2 * min(len(wording), len(first)) < SIMILAR * length:
                continue
            dice = 2 * len(own & first_grams) / (len(own) + len(first_grams))
            if dice >= OVERLAP:
                scored.append((-dice, candidate))
        index = len(firsts)
        for candidate in sorted(i for _, i in heapq.nsmallest(CANDIDATES, scored)):
            comparisons += 1
            if same(wording, firsts[candidate][0]):
                index = candidate
                break
        if index == len(firsts):
            firsts.append((wording, own))
            band = _band(len(wording))
            for gram in own:
                holding[gram, band].append(index)
        cluster_of.append(index)
    return Clustering(tuple(cluster_of), postings_read, comparisons)


@frozen
class _Grouped(Value):
    """The clusters of a log's wordings, with every verdict of `_same_wording` they took."""

    cluster_of: dict[str, int]
    verdicts: dict[tuple[str, str], bool]


def _group(wordings: list[str], known: dict[tuple[str, str], bool]) -> _Grouped:
    """cluster_wordings, taking a verdict from `known` (the last grouping's) when it has one:
    serve groups again after a lesson was edited, and most pairs are as they were."""
    verdicts: dict[tuple[str, str], bool] = {}

    def same(a: str, b: str) -> bool:
        verdict = known.get((a, b))
        if verdict is None:
            verdict = _same_wording(a, b)
        verdicts[a, b] = verdict
        return verdict

    clusters = cluster_wordings(wordings, same).cluster_of
    return _Grouped(dict(zip(wordings, clusters, strict=True)), verdicts)


def recurring_lessons(oldest: Sequence[Entry],
                      memo: Memo | None = None) -> tuple[RecurringLesson, ...]:
    """Wording that recurs across entries, then tags whose entries share points to improve.

    Groups by wording come first (most entries first); then, for each tag on at least two
    entries with lessons, those lessons. A point already in a wording group is not repeated.
    `memo`: the build cache's. serve asks again on every save, for one changed entry: each
    entry's points are made once, and the wordings grouped again only when they changed.
    """
    memo = memo if memo is not None else Memo()
    points: list[LessonPoint] = []
    compared: list[tuple[LessonPoint, str]] = []
    for entry in oldest:
        own, pairs = memo.get(("lesson points", entry.source), entry,
                              lambda: _entry_points(entry))  # noqa: B023 - called at once
        points += own
        compared += pairs
    distinct = tuple(dict.fromkeys(wording for _, wording in compared))
    last = memo.last(("wording groups",))
    grouped = memo.get(("wording groups",), distinct, lambda: _group(
        list(distinct), last.verdicts if isinstance(last, _Grouped) else {}))
    clusters: list[list[LessonPoint]] = [[] for _ in set(grouped.cluster_of.values())]
    for point, wording in compared:
        clusters[grouped.cluster_of[wording]].append(point)
    by_wording = [RecurringLesson(c[0].text, None, tuple(c)) for c in clusters
                  if len({p.entry.source for p in c}) >= 2]
    by_wording.sort(key=lambda r: -r.entry_count)
    grouped_points = {id(p) for r in by_wording for p in r.points}
    tagged: dict[TagRef, list[LessonPoint]] = defaultdict(list)
    for point in points:
        if point.kind == "lesson" and id(point) not in grouped_points:
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
