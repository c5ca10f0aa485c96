"""recurring.py: lessons that recur are found in near-linear work, with the groups that
comparing every wording with every earlier group found."""

from __future__ import annotations

import dataclasses
import difflib
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from insight_log import FILES

from generator import recurring
from generator.pipeline import load_log
from generator.recurring import (
    CANDIDATES,
    POSTINGS_READ,
    _same_wording,
    cluster_wordings,
    normalise,
    recurring_lessons,
)
from generator.serve import Rebuilder
from generator.watch import classify

from conftest import entry, make_log

REPO = Path(__file__).resolve().parent.parent


def every_cluster(wordings: Sequence[str]) -> tuple[int, ...]:
    """The old way, quadratic: each wording is compared with every earlier group's first."""
    firsts: list[str] = []
    cluster_of = []
    for wording in wordings:
        index = next((i for i, first in enumerate(firsts) if _same_wording(wording, first)),
                     len(firsts))
        if index == len(firsts):
            firsts.append(wording)
        cluster_of.append(index)
    return tuple(cluster_of)


def _sample_log_words() -> list[str]:
    """Words as the sample log's author writes them, as often as they write them."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "content").rglob("*.md")))
    return re.findall(r"[a-z]+(?:[-'][a-z]+)?", text.casefold())


def _reworded(rng: random.Random, words: list[str], lesson: str) -> str:
    """The same lesson written again some months later: a word dropped, added or swapped,
    letters swapped or mistyped, a clause added, other punctuation and case."""
    parts = lesson.split()
    change = rng.randrange(7)
    if change == 0 and len(parts) > 2:
        del parts[rng.randrange(len(parts))]
    elif change == 1:
        parts.insert(rng.randrange(len(parts) + 1), rng.choice(words))
    elif change == 2:
        parts[rng.randrange(len(parts))] = rng.choice(words)
    elif change in (3, 4):
        i = rng.randrange(len(parts))
        word = parts[i]
        j = rng.randrange(max(len(word) - 1, 1))
        parts[i] = (word[:j] + word[j + 1:j + 2] + word[j:j + 1] + word[j + 2:] if change == 3
                    else word[:j] + rng.choice("aeioustnr") + word[j + 1:])
    elif change == 5:
        parts += rng.sample(words, rng.randint(1, 3))
    text = " ".join(parts)
    return text.capitalize() + rng.choice([".", "!", "", " ..."])


def realistic_lessons(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    words = _sample_log_words()
    lessons: list[str] = []
    for _ in range(count):
        if lessons and rng.random() < 0.35:
            lessons.append(_reworded(rng, words, rng.choice(lessons)))
        else:
            lessons.append(" ".join(rng.choices(words, k=rng.randint(3, 14))))
    return lessons


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_groups_are_those_of_comparing_with_every_group_on_realistic_lessons(seed: int) -> None:
    wordings = list(dict.fromkeys(normalise(t) for t in realistic_lessons(seed, 400)))
    expected = every_cluster(wordings)
    assert len(set(expected)) < len(wordings) - 60  # many lessons do recur
    assert cluster_wordings(wordings).cluster_of == expected


def test_groups_are_those_of_comparing_with_every_group_on_the_sample_log() -> None:
    site = load_log(REPO).site
    points = [p for e in site.entries for p in [*e.lessons,
              *(e.postmortem.to_improve if e.postmortem else ())]]
    wordings = list(dict.fromkeys(normalise(t) for t in points))
    expected = every_cluster(wordings)
    assert len(set(expected)) < len(wordings)
    assert cluster_wordings(wordings).cluster_of == expected


@pytest.mark.parametrize("count", [1_000, 4_000])
def test_the_work_per_lesson_is_bounded_however_many_lessons_there_are(count: int) -> None:
    wordings = list(dict.fromkeys(normalise(t) for t in realistic_lessons(9, count)))
    compared = 0

    def same(a: str, b: str) -> bool:
        nonlocal compared
        compared += 1
        return _same_wording(a, b)

    result = cluster_wordings(wordings, same)
    # Comparing with every group: about groups**2 / 2 comparisons (1.3e6 at 4,000).
    assert result.comparisons == compared <= 3 * len(wordings) <= CANDIDATES * len(wordings)
    assert result.postings_read <= POSTINGS_READ * len(wordings)


def test_the_recurring_lessons_of_a_log_with_6000_lessons_are_found_in_bounded_work(
        log_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through recurring_lessons, counting the real difflib matchers it makes: comparing
    every lesson with every earlier one made ~1.8e7; at most CANDIDATES per lesson now."""
    entry = load_log(log_factory(FILES)).site.entries[0]
    rng = random.Random(11)
    vocabulary = sorted(set(_sample_log_words()))
    lessons = [" ".join(rng.sample(vocabulary, rng.randint(4, 12))) for _ in range(6_000)]
    lessons[-1] = lessons[0].upper() + "!"  # written again in the last entry
    entries = [dataclasses.replace(entry, source=f"{i:04}.md", slug=f"e{i}", postmortem=None,
                                   lessons=tuple(lessons[i * 10:(i + 1) * 10]), tags=())
               for i in range(600)]
    made = 0
    limit = CANDIDATES * len(lessons)

    class Counted(difflib.SequenceMatcher[str]):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            nonlocal made
            made += 1
            if made > limit:
                raise AssertionError(f"more than {limit} difflib comparisons")
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(difflib, "SequenceMatcher", Counted)
    recurring = recurring_lessons(entries)
    assert [(r.label, r.entry_count) for r in recurring] == [(lessons[0], 2)]
    assert made <= limit


def test_a_save_in_serve_groups_lessons_again_only_when_wording_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """serve finds recurring lessons on every save: after a body edit the wordings are not
    grouped again; after a lesson edit they are, comparing only pairs with the new wording
    (counting real groupings and difflib matchers)."""
    lessons = [t.replace("'", "''") for t in realistic_lessons(5, 120)]  # YAML-quoted
    files = {f"content/e{n:02}.md": entry(f"Entry {n}", f"2025-01-{n % 28 + 1:02}",
                                        lessons="[" + ", ".join(
                                            f"'{t}'" for t in lessons[n * 3:n * 3 + 3]) + "]")
             for n in range(40)}
    root = make_log(tmp_path / "log", files)
    rebuilder = Rebuilder(root, tmp_path / "preview")
    assert rebuilder.rebuild().ok
    made = grouped = 0

    class Counted(difflib.SequenceMatcher[str]):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            nonlocal made
            made += 1
            super().__init__(*args, **kwargs)

    def counted(*args: Any) -> Any:
        nonlocal grouped
        grouped += 1
        return cluster_wordings(*args)

    monkeypatch.setattr(difflib, "SequenceMatcher", Counted)
    monkeypatch.setattr(recurring, "cluster_wordings", counted)
    path = root / "content/e07.md"
    path.write_text(path.read_text() + "\nOne more sentence.\n")
    assert rebuilder.rebuild(classify([path], root.resolve())).ok
    assert (grouped, made) == (0, 0)
    path.write_text(path.read_text().replace(lessons[21], lessons[0] + " again", 1))
    result = rebuilder.rebuild(classify([path], root.resolve()))
    assert result.ok
    assert grouped == 1 and 0 < made <= CANDIDATES
    assert "again" in (tmp_path / "preview/lessons/index.html").read_text()
