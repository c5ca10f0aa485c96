"""[speed] The Obsidian text pass (notes.prepare) walks only bodies it can change: one with
no '[[', no '::' and no '#' before a word character (a tag) comes back as it is, without a
walk over its lines, and that is what the walk would have given."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import notes
from generator.notes import Prepared, prepare

ASSETS = frozenset({"img/chart.png"})


def _walked(body: str) -> Prepared:
    """What prepare gives with its shortcut off: every body walked line by line."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(notes, "_HASH_WORD", re.compile(""))
        return prepare(body, "", ASSETS)


def test_headings_and_lone_hashes_are_not_walked(monkeypatch: pytest.MonkeyPatch) -> None:
    walks: list[int] = []
    real = notes.outside_fences

    def counted(lines: list[str]) -> object:
        walks.append(len(lines))
        return real(lines)

    monkeypatch.setattr(notes, "outside_fences", counted)
    body = "## What went well\n\nI said C# # and ## twice.\n\n### Next\n- ask #\n"
    assert prepare(body, "", ASSETS) == Prepared(body)
    assert walks == []
    assert prepare("## Next\nBack to #sql soon.\n", "", ASSETS).tags == ("sql",)
    assert walks == [3]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="#[]!:|`~ \n\tab1_-/.é", max_size=60))
def test_the_shortcut_gives_what_the_walk_gives(body: str) -> None:
    assert prepare(body, "", ASSETS) == _walked(body)
