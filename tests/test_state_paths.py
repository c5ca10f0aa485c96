"""[speed] The build state is one log's, however its path is spelled: a build of `log`, of
`/abs/log`, of `log/` or through a link to the log, with `-o` spelled either way, parses
only the entry edited since the last build (by any spelling), renders only the pages that
show it, and leaves a state no bigger than a build by one spelling leaves."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest
from test_check_cache import Work

from generator.build import build
from generator.build_cache import STATE_FILE
from generator.cache import CACHE_DIR, unchanged_build

from conftest import entry, make_log, read_tree

THEME = "{% extends 'default/base.html' %}\n"


def _entries(count: int = 12) -> dict[str, str | bytes]:
    return {f"content/2025/e{i:02d}.md": entry(f"Role {i} at Firm {i % 4}",
                                               f"2025-0{1 + i % 9}-1{i % 10}",
                                               tags=f"[t{i % 3}, shared]", body=f"Body {i}.")
            for i in range(count)}


def _state(root: Path) -> int:
    """Bytes of the state a load reads whole (its journal is appended one record an edit)."""
    folder = root / CACHE_DIR
    return sum((folder / name).stat().st_size for name in (STATE_FILE, "state.base"))


def _touch(folder: Path) -> None:
    """Every file in `folder` a second newer (as a `git checkout` leaves them)."""
    for path in folder.iterdir():
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))


def test_one_log_under_every_spelling_parses_only_the_edited_entry(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_log(tmp_path / "log", {**_entries(),
                                       "themes/mine/templates/page.html": THEME},
                    'title = "Paths"\ntheme = "mine"\n')
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere/link").symlink_to(root)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    build(Path("log"), output=Path("out"), use_cache=True)
    edited = root / "content/2025/e00.md"  # the oldest: shown on few pages
    edits = 0

    def edit_and_build(log: Path, output: Path) -> tuple[list[str], int]:
        nonlocal edits
        edits += 1
        edited.write_text(edited.read_text("utf-8") + f"\nEdit {edits}.\n", "utf-8")
        work = Work(monkeypatch)
        report = build(log, output=output, use_cache=True)
        return work.parsed, report.rendered

    parsed, rendered = edit_and_build(Path("log"), Path("out"))
    assert parsed == ["e00.md"]
    size = _state(root)
    spellings = [(Path("log"), out), (root, Path("out")), (Path("log/"), Path("./out/")),
                 (Path("elsewhere/link"), out), (tmp_path / "elsewhere/link", Path("out")),
                 (Path("./log"), out)]
    for log, output in spellings:
        assert edit_and_build(log, output) == (["e00.md"], rendered), (log, output)
        assert _state(root) <= size * 1.05, (log, output)
        # Nothing changed since a build by another spelling: the check finds so at once.
        assert unchanged_build(log, output, drafts=False, base_url=None,
                               private=None)[0] is not None, (log, output)
    build(root, output=tmp_path / "clean")  # no state at all
    assert read_tree(out) == read_tree(tmp_path / "clean")


def test_serve_starts_from_a_build_by_a_relative_path_without_parsing_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """serve keys nothing by where it runs: the build's state is its own, as it was left."""
    from generator.serve import Rebuilder

    root = make_log(tmp_path / "log", _entries(), 'title = "Paths"\n')
    monkeypatch.chdir(tmp_path)
    build(Path("log"), use_cache=True)
    monkeypatch.chdir(tmp_path / "log/content")  # not where the build ran
    work = Work(monkeypatch)
    result = Rebuilder(root, tmp_path / "preview", drafts=False, disk=True).rebuild()
    assert result.ok and work.parsed == []
    assert os.listdir(tmp_path / "preview")


def test_a_second_serve_starts_from_the_first_ones_state_after_a_build_by_any_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first serve's state is its own (serve.base), not a journal of the build's."""
    from generator.serve import Rebuilder

    root = make_log(tmp_path / "log", {**_entries(),
                                       "content/2025/draft.md": entry(
                                           "Draft at Corvid", "2025-11-02", draft="true")},
                    'title = "Paths"\n')
    build(root, use_cache=True)  # the draft left out: serve shows it
    first = Rebuilder(root, tmp_path / "p1", disk=True)
    rendered = first.rebuild().report
    assert rendered is not None and 0 < rendered.rendered < 12
    first.keep()
    work = Work(monkeypatch)
    again = Rebuilder(root, tmp_path / "p2", disk=True).rebuild().report
    assert again is not None and (work.parsed, again.rendered) == ([], 0)
    assert read_tree(tmp_path / "p2") == read_tree(tmp_path / "p1")


def test_entries_parsed_again_unchanged_leave_the_state_as_big_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file touched (a `git checkout`), a new title in the config: each entry is parsed
    again to what it was, and the state holds each once, not an old copy beside it."""
    root = make_log(tmp_path / "log", _entries(), 'title = "Paths"\n')
    build(root, use_cache=True)
    edited = root / "content/2025/e00.md"
    edited.write_text(edited.read_text("utf-8") + "\nEdited.\n", "utf-8")
    build(root, use_cache=True)
    size = _state(root)
    for step in range(2):
        _touch(root / "content/2025")
        work = Work(monkeypatch)
        build(root, use_cache=True)
        assert len(work.parsed) == 12
        assert _state(root) <= size * 1.05, step
        (root / "growthlog.toml").write_text(f'title = "Paths {step}"\n', "utf-8")
        build(root, use_cache=True)
        assert _state(root) <= size * 1.05, step
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")
    # serve: its first pages read the entries they show no body of but for their bodies,
    # the rest of the build parses them; a session holds each entry once all the same.
    from generator.serve import Rebuilder, first_pages

    for step in range(2):
        _touch(root / "content/2025")
        rebuilder = Rebuilder(root, tmp_path / f"preview{step}", drafts=False, disk=True)
        assert rebuilder.rebuild(only=first_pages).ok and rebuilder.rebuild().ok
        assert _entries_held(rebuilder.cache) == 12, step
        rebuilder.keep()


def _entries_held(cache: object) -> int:
    """How many Entry objects `cache` holds (each entry's one, or old copies beside)."""
    from generator.model import Entry

    seen: set[int] = set()
    found = 0
    todo = [cache]
    while todo:
        held = todo.pop()
        if id(held) in seen or isinstance(held, type):
            continue
        seen.add(id(held))
        found += type(held) is Entry
        todo += gc.get_referents(held)
    return found


def test_an_entry_parsed_again_to_values_of_another_type_or_order_is_shown_anew(
        tmp_path: Path) -> None:
    """`rating: 1` made `rating: true`, two unknown keys swapped, a number field's `2` made
    `2.0`: Python finds each equal to what it was, a template shows it otherwise; the
    page shows the new values, as a build without the state does."""
    shown = ('{% extends "default/entry.html" %}{% block content %}{{ super() }}'
             '<p id="t">{% if entry.extra %}{{ entry.extra.rating }}{% endif %}|'
             '{% for k, v in entry.extra.items() %}{{ k }}={{ v }};{% endfor %}|'
             '{% for f in entry.fields %}{{ f.value }}{% endfor %}</p>{% endblock %}')
    config = 'title = "Paths"\n[[fields]]\nname = "offers"\ntype = "number"\n'
    root = make_log(tmp_path / "log", {
        **_entries(), "themes/default/templates/entry.html": shown,
        "content/2025/x.md": entry("Rated at Firm", "2025-05-05", rating="1", mood="calm",
                                   vibe="[1, 1]", offers="2")}, config)
    build(root, use_cache=True)
    page = root / "output/entries/rated-at-firm/index.html"
    assert '<p id="t">1|rating=1;mood=calm;vibe=[1, 1];offers=2;|2</p>' in page.read_text("utf-8")
    path = root / "content/2025/x.md"
    path.write_text(entry("Rated at Firm", "2025-05-05", rating="true", vibe="[1.0, true]",
                          mood="calm", offers="2.0"), "utf-8")
    build(root, use_cache=True)
    assert ('<p id="t">True|rating=True;vibe=[1.0, True];mood=calm;offers=2.0;|2.0</p>'
            in page.read_text("utf-8"))
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")
