"""[speed] `serve` starts from what the last `serve` (else `build`) of the log left in
.growthlog-cache/: its first build parses no unchanged entry and renders no unchanged page,
and the preview is byte for byte the one a start from nothing makes. A private log's
preview is kept nowhere but its temporary folder."""

from __future__ import annotations

import re
import shutil
import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from test_check_cache import Work
from test_render import _entry as parsed_entry
from test_watch import Served, eventually

from generator import markup
from generator.build import build
from generator.pipeline import _entries_in
from generator.render import PageInfo, PagePlan
from generator.serve import Rebuilder, first_pages
from generator.watch import classify

from conftest import entry, make_log, read_tree

FILES: dict[str, str | bytes] = {
    "content/2026/a.md": entry("Data Engineer at Acme", "2026-03-14", tags="[sql, nerves]",
                               body="See ![chart](chart.png)."),
    "content/2026/b.md": entry("Analyst at Brightline", "2026-02-01", body="- [ ] a task\n"),
    "content/2026/chart.png": b"\x89PNG fake",
    "content/2025/c.md": entry("Draft at Corvid", "2025-11-05", draft="true"),
}


def _fresh(root: Path, folder: Path) -> dict[str, bytes]:
    """The preview a serve that starts from nothing makes."""
    Rebuilder(root, folder).rebuild()
    return read_tree(folder)


def _start(root: Path, folder: Path) -> tuple[Rebuilder, int]:
    """A serve's first build, from disk: the rebuilder and the pages it rendered."""
    rebuilder = Rebuilder(root, folder, disk=True)
    result = rebuilder.rebuild()
    assert result.ok and result.report is not None
    # Past the first build no record of every body asked, save after save.
    assert rebuilder.cache.markdown is None
    return rebuilder, result.report.rendered


def _session(root: Path, folder: Path) -> int:
    """A whole serve session with no save: the pages its first build rendered."""
    rebuilder, rendered = _start(root, folder)
    rebuilder.keep()  # as serve does when it stops
    return rendered


def test_serve_after_a_build_and_again_parses_and_renders_nothing_unchanged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_log(tmp_path / "log", FILES)
    monkeypatch.chdir(root)
    build(Path("."), use_cache=True)  # `growthlog build` in the log's folder: relative paths
    work = Work(monkeypatch)
    rendered = _session(root, tmp_path / "p1")
    # The build left the draft out; serve previews it: its page and the lists it is on.
    assert work.parsed == [] and 0 < rendered < 10
    assert read_tree(tmp_path / "p1") == _fresh(root, tmp_path / "fresh1")
    work.clear()
    rebuilder, rendered = _start(root, tmp_path / "p2")  # from what the first serve kept
    assert (work.parsed, work.compiled, rendered) == ([], [], 0)
    assert read_tree(tmp_path / "p2") == read_tree(tmp_path / "p1")
    # Saves after such a start show as they do after a start from nothing.
    edited = root / "content/2026/b.md"
    edited.write_text(entry("Analyst at Brightline", "2026-02-01", body="Edited."),
                      encoding="utf-8")
    assert rebuilder.rebuild(classify([edited], rebuilder.root)).ok
    assert work.parsed == ["b.md"]
    assert read_tree(tmp_path / "p2") == _fresh(root, tmp_path / "fresh2")
    # What the session built last is kept when it stops: the next start redoes nothing.
    rebuilder.keep()
    work.clear()
    assert _session(root, tmp_path / "p3") == 0 and work.parsed == []
    assert read_tree(tmp_path / "p3") == read_tree(tmp_path / "p2")


def test_a_log_with_a_base_url_starts_warm_from_the_last_serve(tmp_path: Path) -> None:
    """A build's pages link under base_url, the preview's under /: not reused, but the
    first serve's are."""
    root = make_log(tmp_path / "log", FILES, 'title = "Log"\nbase_url = "/log/"\n')
    build(root, use_cache=True)
    assert _session(root, tmp_path / "p1") > 10
    assert _session(root, tmp_path / "p2") == 0
    assert read_tree(tmp_path / "p2") == _fresh(root, tmp_path / "fresh")


def test_a_session_that_ends_with_a_broken_entry_keeps_nothing(tmp_path: Path) -> None:
    """An entry held at its last good version is no parse to keep: the next start says
    what is wrong with it."""
    root = make_log(tmp_path / "log", FILES)
    rebuilder, _ = _start(root, tmp_path / "p1")
    broken = root / "content/2026/b.md"
    broken.write_text(entry("Analyst at Brightline", "2026-02-01", stage="on-site"),
                      encoding="utf-8")
    result = rebuilder.rebuild(classify([broken], rebuilder.root))
    assert not result.ok and result.held == ("content/2026/b.md",)
    rebuilder.keep()
    assert not (root / ".growthlog-cache/serve.pickle").exists()
    result = Rebuilder(root, tmp_path / "p2", disk=True).rebuild()
    assert any(line.startswith("content/2026/b.md:4: stage:") for line in result.errors)


def test_a_private_log_is_served_without_the_cache(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", FILES, 'title = "Log"\nprivate = true\n')
    server = Served(root)
    server.thread.start()
    try:
        assert server.ready.wait(30), server.lines
        status, page = server.get("/")
        assert status == 200 and "Data Engineer at Acme" in page
    finally:
        server.stop.set()
        server.thread.join(10)
    assert not (root / ".growthlog-cache").exists()


def test_the_first_build_writes_the_new_preview_folder_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nobody deploys the preview, and it starts empty: no staging folder to put together
    and swap in (that took half of a warm start at 1,000 entries)."""
    from generator import output

    swapped: list[Path] = []
    real = output._write_swapped

    def spy(ordered: list[output.OutputFile], out_dir: Path, *rest: Any) -> object:
        swapped.append(out_dir)
        return real(ordered, out_dir, *rest)

    monkeypatch.setattr(output, "_write_swapped", spy)
    root = make_log(tmp_path / "log", FILES)
    (tmp_path / "preview").mkdir()
    assert Rebuilder(root, tmp_path / "preview").rebuild().ok
    assert swapped == []
    build(root, output=tmp_path / "swapped", drafts=True, base_url="/", private=False)
    assert swapped == [tmp_path / "swapped"]
    assert read_tree(tmp_path / "preview") == read_tree(tmp_path / "swapped")


def test_the_first_pages_are_built_first_and_the_rest_after_as_one_build_would(
        tmp_path: Path) -> None:
    """serve's first build writes the home page, the 404 page and the theme's files, then
    the rest: no page is rendered twice, and the preview is the one a single build makes."""
    root = make_log(tmp_path / "log", FILES)
    rebuilder = Rebuilder(root, tmp_path / "p")
    first = rebuilder.rebuild(only=first_pages)
    assert first.ok and first.report is not None and first.report.rendered == 2
    written = sorted(read_tree(tmp_path / "p"))
    assert {"index.html", "404.html"} < set(written)
    assert all(first_pages(name) for name in written if not name.startswith("."))
    rest = rebuilder.rebuild()
    fresh = Rebuilder(root, tmp_path / "fresh").rebuild()
    assert rest.ok and rest.report is not None and fresh.report is not None
    assert rest.report.rendered == fresh.report.rendered - 2
    assert not set(rest.report.written) & set(first.report.written)
    assert read_tree(tmp_path / "p") == read_tree(tmp_path / "fresh")


# --- from nothing: the home page renders only the bodies it shows ---------------------------

SAMPLE = Path(__file__).resolve().parent.parent
SOURCES = Path(__file__).parent / "fixtures" / "sources"


def _recent_and_held(old: int) -> dict[str, str | bytes]:
    """Five recent entries (the home page's list), and `old` older ones that no list of
    the home page shows (no lesson, no action), their bodies marked HELD."""
    files: dict[str, str | bytes] = {
        f"content/2026/new-{n}.md": entry(f"Recent role {n}", f"2026-03-0{n}",
                                          lessons=f"['Lesson {n}: prepare examples']",
                                          body=f"Fresh body {n}: what the day *taught*.")
        for n in range(1, 6)}
    files.update({f"content/2025/old-{n:02}.md": entry(
        f"Old role {n}", f"2025-01-{n:02}", body=f"HELD body {n}, with a [link](old-01.md).")
        for n in range(1, old + 1)})
    return files


def _hold_bodies(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, list[str]]:
    """Every body marked HELD waits for the event before it is rendered; the bodies
    rendered, in order."""
    gate = threading.Event()
    rendered: list[str] = []
    real = markup.Markdown.__call__

    def held(self: markup.Markdown, text: str, links: markup.LinkContext, *,
             unsafe_html: bool = False) -> markup.RenderedMarkdown:
        if "HELD" in text:
            gate.wait(60)
        rendered.append(text)
        return real(self, text, links, unsafe_html=unsafe_html)

    monkeypatch.setattr(markup.Markdown, "__call__", held)
    return gate, rendered


def test_serve_from_nothing_answers_its_home_page_before_rendering_bodies_it_does_not_show(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The home page needs every entry's front matter (counts, tags, the recent list) but
    only the bodies it shows: it is answered while every other body still waits to be
    rendered, byte for byte as a whole build makes it; a page whose body is not rendered
    yet is waited for, never a 404."""
    root = make_log(tmp_path / "log", _recent_and_held(30))
    build(root, output=tmp_path / "whole", drafts=True, base_url="/", private=False)
    whole = read_tree(tmp_path / "whole")
    gate, rendered = _hold_bodies(monkeypatch)
    server = Served(root)
    server.thread.start()
    try:
        eventually(lambda: any(line.startswith("Serving") for line in server.lines), 20)
        with urllib.request.urlopen(server.url, timeout=10) as reply:
            assert re.sub(rb'<script src="/__growthlog__/livereload.js"[^>]*></script>', b"",
                          reply.read()) == whole["index.html"]
        assert sorted(text.split(":")[0] for text in rendered) == [
            f"Fresh body {n}" for n in range(1, 6)]  # and no HELD body
        waiting: list[tuple[int, bytes]] = []

        def ask() -> None:
            with urllib.request.urlopen(server.url + "entries/old-role-7/", timeout=60) as page:
                waiting.append((page.status, page.read()))

        asker = threading.Thread(target=ask)
        asker.start()
        asker.join(0.5)
        assert asker.is_alive() and not waiting  # not written yet: waited for
        gate.set()
        asker.join(60)
        assert waiting and waiting[0][0] == 200 and b"HELD body 7" in waiting[0][1]
        assert server.ready.wait(20)
        assert len(rendered) == 35  # each body rendered once
    finally:
        gate.set()
        server.stop.set()
        server.thread.join(20)


def test_a_broken_entry_does_not_hold_up_the_home_page_and_shows_over_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From nothing, an entry with an error is left out of the preview (as always): the
    home page is answered before the other bodies are rendered all the same, with the
    error over it, as every page shows it after the whole first build."""
    files = _recent_and_held(30)
    files["content/2025/bad.md"] = entry("Bad role", "2025-02-01", applied="someday")
    root = make_log(tmp_path / "log", files)
    gate, rendered = _hold_bodies(monkeypatch)
    server = Served(root)
    server.thread.start()
    try:
        eventually(lambda: any(line.startswith("Serving") for line in server.lines), 20)
        status, page = server.get("")
        assert status == 200 and "Recent role 5" in page
        assert "content/2025/bad.md:4: applied:" in page  # the problems box
        assert not any("HELD" in text for text in rendered)
        gate.set()
        assert server.ready.wait(20)
        status, later = server.get("")
        assert status == 200 and "content/2025/bad.md:4: applied:" in later
    finally:
        gate.set()
        server.stop.set()
        server.thread.join(20)


def test_every_problem_of_every_entry_is_said_when_bodies_wait_for_the_first_page(
        tmp_path: Path) -> None:
    """Warnings of bodies the home page does not show (a broken link, raw HTML), and
    errors anywhere, come out of serve's first build as a whole build says them."""
    files = _recent_and_held(3)
    files["content/2025/old-02.md"] = entry("Old role 2", "2025-01-02",
                                            body="Line one.\n\nSee [gone](gone.md) and <b>x</b>.")
    for broken in (False, True):
        if broken:
            files["content/2025/old-03.md"] = entry("Old role 3", "2025-01-03",
                                                    applied="someday", body="HELD <i>y</i>")
        root = make_log(tmp_path / f"log-{broken}", files)
        rebuilder = Rebuilder(root, tmp_path / f"p-{broken}")
        first = rebuilder.rebuild(only=first_pages)
        assert first.ok is not broken
        rest = rebuilder.rebuild()
        whole = Rebuilder(root, tmp_path / f"whole-{broken}").rebuild()
        assert rest.problem_lines == whole.problem_lines
        assert any(line.startswith("content/2025/old-02.md:7: warning: links to 'gone.md'")
                   for line in rest.problem_lines)
        assert any(line.startswith("content/2025/old-02.md:7: warning: raw HTML")
                   for line in rest.problem_lines)
        assert any(line.startswith("content/2025/old-03.md:") for line in rest.problem_lines) \
            is broken
        assert read_tree(tmp_path / f"p-{broken}") == read_tree(tmp_path / f"whole-{broken}")


@pytest.mark.parametrize("log", ["sample", "hugo", "jekyll", "obsidian"])
def test_the_first_pages_are_byte_for_byte_a_whole_builds(tmp_path: Path, log: str) -> None:
    """Whatever the log, the pages of the first build are the ones a whole build makes."""
    root = make_log(tmp_path / "log", {})
    shutil.copytree(SAMPLE / "content" if log == "sample" else SOURCES / log, root / "content")
    first = Rebuilder(root, tmp_path / "first").rebuild(only=first_pages)
    assert first.ok
    whole = Rebuilder(root, tmp_path / "whole").rebuild()
    assert whole.ok
    tree, early = read_tree(tmp_path / "whole"), read_tree(tmp_path / "first")
    assert "index.html" in early
    assert {name: tree[name] for name in early if not name.startswith(".")} \
        == {name: data for name, data in early.items() if not name.startswith(".")}


def test_front_matter_alone_is_split_across_processes_only_for_a_large_log(
        tmp_path: Path) -> None:
    """Reading front matter is a fraction of parsing an entry: serve's first build reads
    those of 100 entries in one process, with CPUs free (two took 1.0-1.3x one's wall
    there), where a build parsing them whole splits; 2 x MIN_SHARE are split."""
    from generator.parallel import MIN_SHARE, Workers

    for count, split in ((100, 1), (2 * MIN_SHARE, 2)):
        root = make_log(tmp_path / f"log{count}", {
            f"content/e{n:03d}.md": entry(f"Role {n}", f"2025-01-{1 + n % 28:02}")
            for n in range(count)})
        first = Workers(processes=2)
        assert Rebuilder(root, tmp_path / f"p{count}").rebuild(only=first_pages,
                                                                 workers=first).ok
        whole = Workers(processes=2)
        build(root, output=tmp_path / f"whole{count}", workers=whole)
        assert (first.used, whole.used) == (split, 2)


def test_what_a_first_page_shows_is_found_in_its_plan_or_every_body_is_rendered() -> None:
    """The entries a page's plan holds, through lists, mappings and model objects; an
    object it cannot look into may hold one, so it answers that it cannot tell (and the
    first build then renders every body)."""
    a, b = parsed_entry("A", "2026-01-02"), parsed_entry("B", "2026-01-01")
    found: set[str] = set()
    plan = PagePlan(PageInfo("home", "Home", ""), "index.html",
                    {"entries": (a,), "more": [{"x": b}], "n": 3, "when": None})
    assert _entries_in(plan.context, found) and found == {a.source, b.source}

    class Opaque:
        def __init__(self) -> None:
            self.entry = a

    assert not _entries_in({"entries": (Opaque(),)}, set())
