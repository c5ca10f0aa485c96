"""[speed] `growthlog build` keeps its BuildCache on disk: a build after one entry was edited
parses that entry and renders only the pages that show it, in a new process as in the same
one, and its output is byte-identical to a build from nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_cache import counting

from generator.build import build
from generator.parallel import Workers

from conftest import REPO, make_log, read_tree

CONFIG = 'title = "State log"\nrecent = 3\n'


def _entries(count: int = 12) -> dict[str, str | bytes]:
    return {f"content/e{i:02d}.md": f"---\ntitle: Entry {i}\ndate: 2025-0{1 + i % 9}-1{i % 10}\n"
                                    f"company: Firm {i % 4}\ntags: [t{i % 3}, shared]\n"
                                    f"lessons: [Lesson {i}]\n---\nBody {i}.\n"
            for i in range(count)}


def _inodes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_ino
            for p in folder.rglob("*") if p.is_file()}


def _edit_oldest(root: Path) -> None:
    path = root / "content/e00.md"  # 2025-01-10: the oldest, so not on the home page
    path.write_text(path.read_text(encoding="utf-8").replace("Body 0.", "Body zero, edited."),
                    encoding="utf-8")


def test_a_one_entry_edit_renders_only_the_pages_that_show_it(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", _entries(), CONFIG)
    first = build(root, use_cache=True)  # each build starts from what is on disk
    before = _inodes(root / "output")
    _edit_oldest(root)
    again = build(root, use_cache=True)
    # Rendered: the pages whose data holds the entry (its page, its tags, company, year,
    # month, and the lists of all of them: 11 of 39); written, those whose bytes changed.
    assert 0 < again.rendered <= 11 < first.rendered / 3
    assert "entries/entry-0/index.html" in again.written
    assert "index.html" not in again.written
    after = _inodes(root / "output")
    assert {p for p in after if after[p] != before.get(p)} == {*again.written,
                                                               ".growthlog-manifest.json"}
    build(root, output=tmp_path / "clean")  # no cache at all
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")


def test_nothing_rendered_twice_across_processes(tmp_path: Path) -> None:
    """A new process (another str hash seed) takes entries and pages from the last one."""
    root = make_log(tmp_path / "log", _entries(), CONFIG)
    script = ("import sys; from pathlib import Path; from generator.build import build; "
              "r = build(Path(sys.argv[1]), use_cache=True); print(r.rendered, len(r.written))")

    def run(seed: str) -> tuple[int, int]:
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        done = subprocess.run([sys.executable, "-c", script, str(root)], env=env, check=True,
                              capture_output=True, text=True, cwd=REPO)
        rendered, written = done.stdout.split()
        return int(rendered), int(written)

    full, _ = run("1")
    _edit_oldest(root)
    rendered, written = run("2")
    assert 0 < rendered <= 11 < full / 3 and 0 < written < full / 3
    (root / "content/e03.md").unlink()
    rendered, _ = run("3")
    assert 0 < rendered < full / 2
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")


def test_a_config_change_parses_again_but_renders_no_markdown(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_log(tmp_path / "log", _entries(4), CONFIG)
    build(root, use_cache=True)
    _edit_oldest(root)
    build(root, use_cache=True)  # the other bodies stay in the cache, though not parsed
    seen = counting(monkeypatch)
    (root / "growthlog.toml").write_text(CONFIG.replace("State log", "Renamed"), "utf-8")
    report = build(root, use_cache=True)
    assert seen == [] and "index.html" in report.written
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")


def test_a_changed_shipped_template_renders_every_page_again(tmp_path: Path) -> None:
    """Pages from disk are reused only with the theme files they were rendered with."""
    root = make_log(tmp_path / "log", _entries(4), CONFIG)
    first = build(root, use_cache=True)
    theme = root / "themes/default/templates"
    theme.mkdir(parents=True)
    (theme / "base.html").write_text(
        "{% extends 'default/base.html' %}{% block title %}Mine{% endblock %}", "utf-8")
    again = build(root, use_cache=True)
    assert again.rendered == first.rendered
    (theme / "base.html").unlink()
    assert build(root, use_cache=True).rendered == first.rendered
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")


def test_the_cache_file_is_never_held_whole_in_memory(tmp_path: Path) -> None:
    """It holds every entry and page of the site: pickled into its files as it goes (an
    entry's record at a time) and read back as it is unpickled, a build's peak memory does
    not grow by its size (twice, with a header)."""
    import tracemalloc

    from generator.build_cache import STATE_FILE, load_build_cache, save_build_cache
    from generator.cache import CACHE_DIR, code_key

    long = {name: str(text).replace("Body", "A long body. " * 600)
            for name, text in _entries(60).items()}
    root = make_log(tmp_path / "log", long, CONFIG)
    build(root, output=tmp_path / "out", use_cache=True)
    files = [root / CACHE_DIR / STATE_FILE, root / CACHE_DIR / "state.base"]
    size = sum(file.stat().st_size for file in files)
    cache = load_build_cache(root, code_key())
    build(root, output=tmp_path / "out", cache=cache)  # the theme known again, as in a build
    cache.stored = None  # every record written again, as after a cold build
    tracemalloc.start()
    try:
        save_build_cache(root, cache, code_key())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sum(file.stat().st_size for file in files) > size / 2 and size > 1_000_000
    assert peak < size / 2  # the pickler's own bookkeeping and one record (it was twice)


@pytest.mark.parametrize("processes", [1, 2])
def test_a_body_edit_that_no_list_shows_renders_only_the_entrys_page(
        tmp_path: Path, processes: int) -> None:
    """What each page read of the entries it shows is kept on disk with it (page_reads.py),
    also of pages another process rendered: a paragraph added under an entry's summary
    changes its page only, not the tag, company, year, month and list pages holding it."""
    root = make_log(tmp_path / "log", _entries(), CONFIG)
    first = build(root, use_cache=True, workers=Workers(processes=processes, min_share=1))
    assert first.processes == processes
    path = root / "content/e00.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nA second paragraph.\n",
                    encoding="utf-8")
    again = build(root, use_cache=True)  # from what the first left on disk
    assert again.rendered == 1
    assert set(again.written) == {"entries/entry-0/index.html", "search/index.json"}
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")


def test_an_unchanged_page_is_looked_at_never_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build after an edit never opens a page it did not render again: its bytes stay in
    the output folder (output.Unread). Each is looked at twice: in the write (is it as the
    last build left it? what is in the site's way is found in the one listing of the
    folder the write makes anyway), and once after it, for both the build state's page
    stamps and what the next build checks. (It was opened and read once as the state
    loaded, and looked at four times before that.)"""
    from collections import Counter

    root = make_log(tmp_path / "log", _entries(), CONFIG)
    build(root, use_cache=True)
    _edit_oldest(root)
    out = f"{(root / 'output').resolve()}/"
    seen: Counter[str] = Counter()
    opened: Counter[str] = Counter()
    for name, counts in (("stat", seen), ("lstat", seen), ("open", opened)):
        real = getattr(os, name)

        def spy(path: object, *args: object, real: object = real,
                counts: Counter[str] = counts, **kwargs: object) -> object:
            if isinstance(path, str | Path) and str(path).startswith(out):
                counts[str(path)] += 1
            return real(path, *args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(os, name, spy)
    build(root, use_cache=True)
    monkeypatch.undo()
    unchanged = [path for path in seen if path.startswith(f"{out}entries/entry-")
                 and path.endswith("/index.html") and "/entry-0/" not in path]
    assert len(unchanged) == 11 and {seen[path] for path in unchanged} == {2}
    assert not [path for path in opened if path.endswith(".html")]
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")


def test_a_page_changed_by_hand_while_the_build_runs_is_rendered_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page not read (its bytes stay in the output folder) whose file changes while the
    build runs is rendered again, not taken from the folder, nor lost; the others are
    not rendered again for it."""
    from generator import render

    rendered: list[str] = []
    real = render._render

    def counted(env: object, plan: render.PagePlan) -> str:
        rendered.append(plan.info.path)
        return real(env, plan)  # type: ignore[arg-type]

    root = make_log(tmp_path / "log", _entries(), CONFIG)
    build(root, use_cache=True)
    _edit_oldest(root)
    page = root / "output/entries/entry-5/index.html"
    changed: list[bool] = []

    def by_hand(step: str, *_: object) -> None:
        if step == "Rendering pages" and not changed:
            page.write_bytes(page.read_bytes().replace(b"Entry 5", b"Entry 555"))
            changed.append(True)

    monkeypatch.setattr(render, "_render", counted)
    again = build(root, use_cache=True, progress=by_hand)
    monkeypatch.undo()
    assert changed and "entries/entry-5/index.html" in again.written
    assert 0 < len(rendered) <= 12  # the edit's 11 at most, and the page changed
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")


def test_a_page_emptied_since_the_last_build_is_written_again(tmp_path: Path) -> None:
    """A page not read whose file was emptied (by hand, or by a power cut before the
    page's bytes reached the disk: pages are not fsynced) is rendered and written again,
    not taken for the page it stands for."""
    root = make_log(tmp_path / "log", _entries(), CONFIG)
    build(root, use_cache=True)
    _edit_oldest(root)
    page = root / "output/entries/entry-5/index.html"
    page.write_bytes(b"")
    again = build(root, use_cache=True)
    assert "entries/entry-5/index.html" in again.written
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")


def test_the_state_loaded_from_disk_is_not_looked_through_by_collections(
        tmp_path: Path) -> None:
    """What the build state from disk holds lives through the build: frozen while it runs
    (no garbage collection walks it again), and let go after it."""
    import gc

    root = make_log(tmp_path / "log", _entries(), CONFIG)
    build(root, use_cache=True)
    _edit_oldest(root)
    frozen: list[int] = []
    gc.unfreeze()  # as in a new process (an earlier test's serve, here, kept what it froze)
    build(root, use_cache=True, progress=lambda *_: frozen.append(gc.get_freeze_count()))
    assert frozen and min(frozen) > 1000
    assert gc.get_freeze_count() == 0


def test_what_pages_read_is_noted_only_where_it_can_spare_a_render(tmp_path: Path) -> None:
    """An entry page's plan holds its entry whole: it is rendered without noting what it
    reads (a third of its rendering), list pages with it."""
    from generator.build_cache import load_build_cache
    from generator.cache import code_key

    root = make_log(tmp_path / "log", _entries(), CONFIG)
    build(root, use_cache=True)
    reads = load_build_cache(root, code_key()).restored
    assert reads is not None
    noted = set(reads[3])
    assert "timeline/index.html" in noted and "tags/t1/index.html" in noted
    assert not {path for path in noted if path.startswith("entries/")}
