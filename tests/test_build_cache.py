"""[speed] A long serve session holds one version of each entry, however often it is edited."""

from __future__ import annotations

import gc
from pathlib import Path

from generator.model import Entry
from generator.serve import Rebuilder
from generator.watch import classify

from conftest import make_log

ENTRIES = 6


def _entry(n: int, edit: int) -> str:
    # Every edit changes what the pages show: the title (and so the slug, which two entries
    # share), tags, a lesson, an action, the body.
    return (f"---\ntitle: Data Engineer at Acme rev {edit % 3}\ndate: 2025-0{1 + n % 6}-1{n}\n"
            f"company: Acme {n % 2}\ntags: [sql, Tag {edit}]\nlessons:\n  - Lesson {edit}\n"
            f"postmortem:\n  to_improve: [Point {edit}]\n"
            f"actions:\n  - {{text: Step {edit}, done: {str(edit % 2 == 0).lower()}}}\n"
            f"---\nBody of entry {n}, edit {edit}.\n")


def _live_entries() -> int:
    gc.collect()
    return sum(isinstance(o, Entry) for o in gc.get_objects())


def test_many_edits_leave_one_version_of_each_entry_in_memory(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {f"content/e{n}.md": _entry(n, 0) for n in range(ENTRIES)})
    rebuilder = Rebuilder(root, tmp_path / "preview")
    assert rebuilder.rebuild().ok
    before = _live_entries()
    counts = []
    for edit in range(1, 241):
        path = root / "content" / f"e{edit % ENTRIES}.md"
        path.write_text(_entry(edit % ENTRIES, edit), encoding="utf-8")
        result = rebuilder.rebuild(classify([path], root.resolve()))
        assert result.ok, result.problem_lines
        if edit % 120 == 0:
            counts.append(_live_entries())
    # Each entry as parsed, and as renamed (unique slug, canonical tags) where it is; and
    # the version a page not rendered since was rendered from (render.py: it shows nothing
    # that changed), as the fragments of that page hold it. No more however many edits.
    assert counts[1] <= counts[0] <= max(before, 3 * ENTRIES)
    held = rebuilder.cache.held()
    assert held["parsed"] == ENTRIES and held["entry plan"] == ENTRIES
    texts = 2 * ENTRIES  # a lesson and a point to improve per entry, by wording
    limits = {"chart": 7, "pages": held["pages"]}
    for part, count in held.items():
        assert count <= limits.get(str(part), ENTRIES), f"{part}: {count} results held"
    grouped = rebuilder.cache.memo.last(("wording groups",))  # with each verdict it took
    assert 0 < len(grouped.verdicts) <= texts * texts


def test_a_deleted_entry_is_forgotten(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {f"content/e{n}.md": _entry(n, 0) for n in range(ENTRIES)})
    rebuilder = Rebuilder(root, tmp_path / "preview")
    assert rebuilder.rebuild().ok
    gone = root / "content" / "e0.md"
    gone.unlink()
    assert rebuilder.rebuild(classify([gone], root.resolve())).ok
    held = rebuilder.cache.held()
    assert held["parsed"] == ENTRIES - 1
    assert held["entry plan"] == held["search record"] == ENTRIES - 1
