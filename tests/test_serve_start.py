"""[speed] `serve` starts from what the last `serve` (else `build`) of the log left in
.growthlog-cache/: its first build parses no unchanged entry and renders no unchanged page,
and the preview is byte for byte the one a start from nothing makes. A private log's
preview is kept nowhere but its temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_check_cache import Work
from test_watch import Served

from generator.build import build
from generator.serve import Rebuilder
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
    rebuilder.keep(result)
    return rebuilder, result.report.rendered


def test_serve_after_a_build_and_again_parses_and_renders_nothing_unchanged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_log(tmp_path / "log", FILES)
    monkeypatch.chdir(root)
    build(Path("."), use_cache=True)  # `growthlog build` in the log's folder: relative paths
    work = Work(monkeypatch)
    _, rendered = _start(root, tmp_path / "p1")
    # The build left the draft out; serve previews it: its page and the lists it is on.
    assert work.parsed == [] and 0 < rendered < 10
    assert read_tree(tmp_path / "p1") == _fresh(root, tmp_path / "fresh1")
    work.clear()
    rebuilder, rendered = _start(root, tmp_path / "p2")  # from what the first serve kept
    assert (work.parsed, work.compiled, rendered) == ([], [], 0)
    assert read_tree(tmp_path / "p2") == read_tree(tmp_path / "p1")
    # Saves after such a start show as they do after a start from nothing.
    assert rebuilder.cache.markdown is None  # no record of every body asked, save after save
    edited = root / "content/2026/b.md"
    edited.write_text(entry("Analyst at Brightline", "2026-02-01", body="Edited."),
                      encoding="utf-8")
    assert rebuilder.rebuild(classify([edited], rebuilder.root)).ok
    assert work.parsed == ["b.md"]
    assert read_tree(tmp_path / "p2") == _fresh(root, tmp_path / "fresh2")


def test_a_log_with_a_base_url_starts_warm_from_the_last_serve(tmp_path: Path) -> None:
    """A build's pages link under base_url, the preview's under /: not reused, but the
    first serve's are."""
    root = make_log(tmp_path / "log", FILES, 'title = "Log"\nbase_url = "/log/"\n')
    build(root, use_cache=True)
    _, rendered = _start(root, tmp_path / "p1")
    assert rendered > 10
    _, rendered = _start(root, tmp_path / "p2")
    assert rendered == 0
    assert read_tree(tmp_path / "p2") == _fresh(root, tmp_path / "fresh")


def test_a_cache_kept_with_a_broken_entry_is_not_kept(tmp_path: Path) -> None:
    """An entry held at its last good version is no parse to keep: the next start says
    what is wrong with it."""
    root = make_log(tmp_path / "log", FILES)
    rebuilder, _ = _start(root, tmp_path / "p1")
    os.remove(root / ".growthlog-cache/serve.pickle")
    broken = root / "content/2026/b.md"
    broken.write_text(entry("Analyst at Brightline", "2026-02-01", stage="on-site"),
                      encoding="utf-8")
    rebuilder = Rebuilder(root, tmp_path / "p2", disk=True)
    result = rebuilder.rebuild()
    rebuilder.keep(result)
    assert not result.ok
    assert not (root / ".growthlog-cache/serve.pickle").exists()


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
