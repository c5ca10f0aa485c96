"""The build cache in .growthlog-cache/ ([speed] issue 11): same bytes with or without it,
never trusted when it is damaged or from other code, invalidated by what it depends on."""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator import build_cache, cache, markup
from generator.build import build
from generator.cli import main
from generator.markup import LinkContext
from generator.model import Plain
from generator.output import buffer_settled, staging_dir
from generator.value import frozen

from conftest import entry, make_log, read_tree

FILES = {
    "content/2026/a.md": entry(
        "Data Engineer at Acme", "2026-03-14", tags="[sql, nerves]",
        body="## What happened\n\nSee ![chart](chart.png) and [x](gone.pdf)."),
    "content/2026/b.md": entry("Analyst at Brightline", "2026-02-01", body="- [ ] a task\n"),
    "content/2026/chart.png": b"\x89PNG fake",
}


def counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every body the real renderer is asked to render (a cache miss)."""
    seen: list[str] = []
    real = markup.render_markdown  # (cache.py imports it when it renders)

    def spy(text: str, links: LinkContext, **options: Any) -> object:
        seen.append(text)
        return real(text, links, **options)

    monkeypatch.setattr(markup, "render_markdown", spy)
    return seen


def test_output_is_byte_identical_with_and_without_the_cache(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", FILES)
    build(root, output=tmp_path / "plain")
    build(root, output=tmp_path / "cold", use_cache=True)
    build(root, output=tmp_path / "warm", use_cache=True)  # Markdown from the cache
    (root / "content/2026/b.md").write_text(entry("Analyst at Brightline", "2026-02-01",
                                                  body="Edited."), encoding="utf-8")
    build(root, output=tmp_path / "warm", use_cache=True)
    build(root, output=tmp_path / "plain2")
    assert read_tree(tmp_path / "plain") == read_tree(tmp_path / "cold")
    assert read_tree(tmp_path / "plain2") == read_tree(tmp_path / "warm")


def test_a_second_build_renders_no_markdown_and_a_third_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_log(tmp_path / "log", FILES)
    seen = counting(monkeypatch)
    first = build(root, use_cache=True)
    assert len(seen) == 2 and first.warnings
    (root / "output" / "search" / "index.json").unlink()  # the output is not as it was left
    again = build(root, use_cache=True)
    assert len(seen) == 2  # both bodies came from the cache
    assert again.written == ("search/index.json",)
    # The old site kept beside the output folder is no reason to build again.
    assert staging_dir(root / "output").is_dir()
    assert cache.unchanged_build(root, root / "output", drafts=False, base_url=None,
                                 private=None)[0] is not None
    third = build(root, use_cache=True)
    assert (third.written, third.removed, third.rendered) == ((), (), 0)
    assert (third.entries, third.tags, third.warnings) == (first.entries, first.tags,
                                                           first.warnings)
    (root / "content/2026/a.md").write_text(FILES["content/2026/a.md"] + "More.\n",
                                            encoding="utf-8")
    fourth = build(root, use_cache=True)
    assert len(seen) == 3 and "entries/data-engineer-at-acme/index.html" in fourth.written


def _stamp() -> bytes:
    return build_cache._MAGIC + cache.code_key().encode() + b"\n"


@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],                          # half-written
    lambda data: data[:len(_stamp())] + b"not a pickle at all",   # corrupt
    lambda data: b"x" + data,                                     # not ours
    lambda data: data.replace(cache.code_key().encode(), b"0" * 64, 1),  # another growthlog
    lambda data: _stamp() + pickle.dumps(("right key", "wrong shapes")),
    lambda data: _stamp() + pickle.dumps(tuple(  # each part a dict, in a tuple of 8
        {} if i not in (0, 1, 5, 6) else None for i in range(8))),
])
def test_a_damaged_or_foreign_cache_is_ignored_and_rebuilt(
        damage: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_log(tmp_path / "log", FILES)
    build(root, output=tmp_path / "plain")
    build(root, use_cache=True)
    stored = root / cache.CACHE_DIR / build_cache.STATE_FILE
    assert callable(damage)
    stored.write_bytes(damage(stored.read_bytes()))
    (root / cache.CACHE_DIR / cache.BUILD_FILE).unlink()
    seen = counting(monkeypatch)
    report = build(root, use_cache=True)
    assert len(seen) == 2  # nothing was taken from it
    assert report.rendered == first_rendered(tmp_path, root)
    assert read_tree(root / "output") == read_tree(tmp_path / "plain")
    assert stored.read_bytes().startswith(_stamp())
    assert build_cache.load_build_cache(root, cache.code_key()).parsed  # rebuilt, and trusted


def first_rendered(tmp_path: Path, root: Path) -> int:
    """Pages a build renders from nothing."""
    return build(root, output=tmp_path / "from-nothing").rendered


def test_a_changed_config_theme_or_growthlog_invalidates_what_it_affects(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_log(tmp_path / "log", FILES, config='title = "One"\n')
    build(root, use_cache=True)
    (root / "growthlog.toml").write_text('title = "Two"\n', encoding="utf-8")
    assert "<title>" in (root / "output/index.html").read_text(encoding="utf-8")
    report = build(root, use_cache=True)
    assert "index.html" in report.written
    assert "Two" in (root / "output/index.html").read_text(encoding="utf-8")

    template = root / "themes/default/templates/404.html"
    template.parent.mkdir(parents=True)
    template.write_text("{% extends 'default/404.html' %}{% block content %}Lost{% endblock %}",
                        encoding="utf-8")
    report = build(root, use_cache=True)
    assert "404.html" in report.written

    seen = counting(monkeypatch)
    monkeypatch.setattr("generator.build.code_key", lambda: "another growthlog")
    monkeypatch.setattr("generator.cache.code_key", lambda: "another growthlog")
    build(root, use_cache=True)
    assert len(seen) == 2  # a new version renders every body again


def test_no_cache_neither_reads_nor_writes_it(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", FILES)
    result = CliRunner().invoke(main, ["build", str(root), "--no-cache"])
    assert result.exit_code == 0, result.output
    assert not (root / cache.CACHE_DIR).exists()
    result = CliRunner().invoke(main, ["build", str(root)])
    assert result.exit_code == 0, result.output
    assert (root / cache.CACHE_DIR / ".gitignore").read_text(encoding="utf-8") == "*\n"
    again = CliRunner().invoke(main, ["build", str(root)])
    assert "0 files written" in again.output and "warning" in again.output


def test_a_private_build_neither_reads_nor_writes_the_cache(tmp_path: Path) -> None:
    from generator import keys

    root = make_log(tmp_path / "log", FILES, config="private = true\n")
    keys.init_keyfile(root, "correct horse battery staple lantern", allow_weak=True)
    build(root, password="correct horse battery staple lantern", use_cache=True)
    assert not (root / cache.CACHE_DIR).exists()
    with pytest.raises(Exception, match="passphrase"):
        build(root, password="wrong wrong wrong wrong", use_cache=True)


def test_links_to_other_entries_resolve_the_same_from_the_cache(tmp_path: Path) -> None:
    files = {
        "content/2026/a.md": entry("Data Engineer at Acme", "2026-03-14",
                                   body="See [b](b.md) and [[Analyst at Brightline]].\n"),
        "content/2026/b.md": entry("Analyst at Brightline", "2026-02-01", body="B.\n"),
    }
    root = make_log(tmp_path / "log", files)
    build(root, output=tmp_path / "plain")
    build(root, output=tmp_path / "cold", use_cache=True)
    build(root, output=tmp_path / "warm", use_cache=True)  # bodies from the cache
    page = (tmp_path / "warm/entries/data-engineer-at-acme/index.html").read_text("utf-8")
    assert "analyst-at-brightline/" in page
    assert "growthlog-wiki:" not in page and "growthlog-entry:" not in page
    assert read_tree(tmp_path / "plain") == read_tree(tmp_path / "warm")


def test_library_versions_are_the_ones_importlib_metadata_gives() -> None:
    """code_key reads them from .dist-info folder names: for every distribution installed
    here, the same version as importlib.metadata's (which it no longer loads)."""
    from importlib import metadata

    from generator.cache import installed_versions

    names = sorted({dist.metadata["Name"] for dist in metadata.distributions()})
    assert len(names) > 20
    found = installed_versions([*names, "no-such-distribution"])
    assert found == {name: metadata.version(name) for name in names}


def test_a_page_edited_by_hand_in_the_output_folder_is_put_right_by_the_next_build(
        tmp_path: Path) -> None:
    """The build state keeps a hash and a stamp of each page, not its bytes (the output
    folder has them): a page changed there, even in place with its size and mtime put
    back (the old site kept beside holds the same file), is rendered and written again,
    by a build with nothing else to do and by one after an edit."""
    root = make_log(tmp_path / "log", FILES)
    build(root, output=tmp_path / "clean")
    out = root / "output"
    for _ in range(2):  # the second: with the old site kept beside
        build(root, use_cache=True)
    for page, edit in (("index.html", False), ("entries/analyst-at-brightline/index.html", True)):
        target = out / page
        before = target.stat()
        with open(target, "r+b") as file:
            file.write(b"<!-- mine -->")
        os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
        if edit:
            (root / "content/2026/a.md").write_text(FILES["content/2026/a.md"] + "More.\n",
                                                    encoding="utf-8")
            build(root, output=tmp_path / "clean")
        report = build(root, use_cache=True)
        assert page in report.written
        assert read_tree(out) == read_tree(tmp_path / "clean")


def test_the_build_state_does_not_hold_the_pages_again(tmp_path: Path) -> None:
    """state.pickle held every page's bytes as well as the output folder (198 MB at 5,000
    entries): now a hash and a stamp per page, whose bytes the next build reads from the
    output folder (the output is as a build from nothing makes it)."""
    root = make_log(tmp_path / "log", FILES)
    state = root / ".growthlog-cache" / "state.pickle"
    build(root, use_cache=True)
    (root / "content/2026/a.md").write_text(FILES["content/2026/a.md"] + "More.\n",
                                            encoding="utf-8")
    assert build(root, use_cache=True).rendered < build(root, output=tmp_path / "clean").rendered
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")
    assert b"<!doctype html>" in (root / "output" / "index.html").read_bytes()
    assert b"<!doctype html>" not in state.read_bytes()


def test_a_build_left_part_way_beside_the_output_folder_is_not_taken_for_nothing_to_do(
        tmp_path: Path) -> None:
    """The old site kept beside is no reason to build again, but a folder there that a
    build was killed while writing is: the next build clears it, even with nothing else
    changed."""
    root = make_log(tmp_path / "log", FILES)
    build(root, use_cache=True)
    (root / "content/2026/b.md").write_text(entry("Analyst at Brightline", "2026-02-01",
                                                  body="Edited."), encoding="utf-8")
    build(root, use_cache=True)
    beside = staging_dir(root / "output")
    listed = beside / ".growthlog-staging.json"
    listed.write_bytes(listed.read_bytes().replace(b'"settled":true', b'"settled":false'))
    assert not buffer_settled(root / "output")
    build(root, use_cache=True)
    assert buffer_settled(root / "output") and not beside.exists()


def test_no_page_is_read(tmp_path: Path) -> None:
    """After an edit, no page the last build wrote is read from the output folder (its
    bytes are not in state.pickle either): the write knows each by its hash and stamp
    (unchanged, or rendered again to the same bytes). Other files are read once at most."""
    root = make_log(tmp_path / "log", FILES)
    for _ in range(2):
        build(root, use_cache=True)
    (root / "content/2026/b.md").write_text(entry("Analyst at Brightline", "2026-02-01",
                                                  body="Edited."), encoding="utf-8")
    out = os.fspath(root / "output") + os.sep
    opened: list[str] = []
    listening = True

    def hook(event: str, args: tuple[object, ...]) -> None:
        if listening and event == "open" and isinstance(args[0], str) \
                and args[0].startswith(out) and not args[0].endswith(".growthlog-tmp"):
            opened.append(args[0][len(out):])

    sys.addaudithook(hook)  # stays for the session, silent once `listening` is False
    try:
        build(root, use_cache=True)
    finally:
        listening = False
    assert not [path for path in opened if path.endswith(".html")]
    assert max(opened.count(path) for path in opened) == 1


def _bytes_read() -> int:
    with open("/proc/self/io", encoding="ascii") as io:
        return int(next(line for line in io if line.startswith("rchar:")).split()[1])


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="Linux counts reads there")
def test_a_build_with_nothing_changed_stats_the_log_rather_than_read_it(
        tmp_path: Path) -> None:
    """Whether anything changed is told by each input file's stamp (size, mtime, ctime,
    inode), as the cache of each entry as parsed is: a log of 4 MB is not read again to
    learn that nothing changed. An edit that puts the size and mtime back changes the
    ctime; an editor's save by rename, the inode."""
    files = {**FILES, "content/2026/notes.bin": os.urandom(4 << 20)}
    root = make_log(tmp_path / "log", files)
    build(root, use_cache=True)
    before = _bytes_read()
    nothing = build(root, use_cache=True)
    assert (nothing.written, nothing.rendered) == ((), 0)
    assert _bytes_read() - before < 1 << 20
    path = root / "content/2026/b.md"
    stamp = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace("task", "tusk"), encoding="utf-8")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_size == stamp.st_size
    assert "entries/analyst-at-brightline/index.html" in build(root, use_cache=True).written
    renamed = path.with_name("b.tmp")
    renamed.write_text(path.read_text(encoding="utf-8").replace("tusk", "desk"),
                       encoding="utf-8")
    os.utime(renamed, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    renamed.replace(path)
    assert "entries/analyst-at-brightline/index.html" in build(root, use_cache=True).written
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")


def test_a_build_from_the_command_line_takes_the_code_key_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key of growthlog's code (a look at each of its modules) goes into the nothing-
    changed check's fingerprint, and the build after it takes it from there."""
    import generator.build

    root = make_log(tmp_path / "log", FILES)
    assert CliRunner().invoke(main, ["build", str(root)]).exit_code == 0
    (root / "content/2026/b.md").write_text(entry("Analyst at Brightline", "2026-02-01",
                                                  body="Edited."), encoding="utf-8")
    taken: list[str] = []
    real = cache.code_key

    def counted() -> str:
        taken.append(real())
        return taken[-1]

    for module in (cache, generator.build):
        monkeypatch.setattr(module, "code_key", counted)
    result = CliRunner().invoke(main, ["build", str(root)])
    assert result.exit_code == 0 and " 0 files written" not in result.output  # (a build)
    assert len(taken) == 1


def test_growthlogs_code_key_changes_with_any_module(tmp_path: Path) -> None:
    """A module edited, even to the same size with its mtime put back, is another
    growthlog: nothing cached under the old key is trusted (its stamp has the ctime)."""
    import shutil
    import subprocess
    import time

    package = Path(cache.__file__).resolve().parent
    copy = tmp_path / "copy"
    shutil.copytree(package.parent / "generator", copy / "generator",
                    ignore=shutil.ignore_patterns("__pycache__"))
    run = [sys.executable, "-c", "from generator.cache import code_key; print(code_key())"]
    env = {**os.environ, "PYTHONPATH": os.fspath(copy)}

    def key() -> str:  # (of the copy's growthlog)
        return subprocess.run(run, env=env, cwd=tmp_path, capture_output=True, text=True,
                              check=True).stdout

    before, again = key(), key()
    module = copy / "generator" / "serve.py"
    stat = module.stat()
    time.sleep(0.05)  # (a file's times move in ticks of a few ms)
    module.write_bytes(module.read_bytes().replace(b"serve", b"SERVE", 1))  # (its docstring)
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert module.stat().st_size == stat.st_size
    assert before == again and key() != before


def test_growthlogs_code_key_changes_with_its_installed_version(tmp_path: Path) -> None:
    """Another release of growthlog is another key, even where its modules keep their
    stamps (a read-only image: fixed mtimes, inodes in order): as pip's .dist-info says."""
    import subprocess

    run = [sys.executable, "-c", "from generator.cache import code_key; print(code_key())"]
    package = Path(cache.__file__).resolve().parent.parent

    def key(version: str) -> str:  # (with this version's .dist-info first on sys.path)
        (tmp_path / version / f"growthlog-{version}.dist-info").mkdir(parents=True, exist_ok=True)
        path = os.pathsep.join([os.fspath(package), os.fspath(tmp_path / version)])
        return subprocess.run(run, env={**os.environ, "PYTHONPATH": path}, cwd=tmp_path,
                              capture_output=True, text=True, check=True).stdout

    assert key("1.0") == key("1.0") != key("1.1")


def test_a_theme_folder_gone_during_a_build_is_no_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The log's theme folder deleted after the build found it, before it took the stamp
    of its files (cache.files_under raised FileNotFoundError): the build renders what is
    there, and the next one names the theme that is missing."""
    import shutil

    from generator import theme

    root = make_log(tmp_path / "log", {**FILES, "themes/calm/templates/404.html": "calm"},
                    'theme = "calm"\n')
    found = theme.load_theme

    def found_then_gone(*args: Any) -> theme.Theme:
        loaded = found(*args)
        shutil.rmtree(root / "themes")
        return loaded

    monkeypatch.setattr(theme, "load_theme", found_then_gone)
    result = CliRunner().invoke(main, ["build", str(root)])
    assert result.exit_code == 0 and result.exception is None, result.output
    assert "calm" not in (root / "output/404.html").read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(root)])
    assert result.exit_code == 1 and "no theme 'calm'" in result.output
    assert not isinstance(result.exception, OSError)


def test_a_build_after_the_check_lists_content_once_and_looks_at_each_entry_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The nothing-changed check lists content/ and stats every file in it; the build
    that follows when something changed takes both from it, not from the disk again."""
    root = make_log(tmp_path / "log", FILES)
    build(root, use_cache=True)
    edited = root / "content/2026/b.md"
    edited.write_text(entry("Analyst at Brightline", "2026-02-01", body="Edited."),
                      encoding="utf-8")
    listed: list[str] = []
    looked: dict[str, int] = {}
    scandir, stat = os.scandir, os.stat

    def listing(path: Any = ".") -> Any:
        listed.append(os.fspath(path))
        return scandir(path)

    def looking(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        looked[os.fspath(path)] = looked.get(os.fspath(path), 0) + 1
        return stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", listing)
    monkeypatch.setattr(os, "stat", looking)
    report = build(root, use_cache=True)
    monkeypatch.undo()
    assert report.rendered > 0  # (a build, not the check's answer)
    assert listed.count(os.fspath(root / "content")) == 1
    entries = [os.fspath(path) for path in (root / "content").rglob("*.md")]
    assert entries and {looked.get(path, 0) for path in entries} == {1}
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")


@frozen
class _OneField(Plain):
    """attrgetter of one name gives its value bare: pickled as a tuple of one all the same."""

    only: object


@frozen
class _NoField(Plain):
    """attrgetter of no name fails: pickled with an empty tuple."""


def test_the_state_pickles_each_plain_value_as_its_own_reduce_does() -> None:
    """The build state's pickler takes a Plain value's fields in C (value.fields_getter),
    not through Plain.__reduce__: the same bytes, for no field, one or many."""
    import io

    made = []
    for kind in build_cache._field_reducers(Plain):
        if getattr(sys.modules[kind.__module__], kind.__qualname__, None) is not kind:
            continue  # (the class @dataclass(slots=True) made the slotted one from)
        value = object.__new__(kind)
        for at, name in enumerate(kind.__slots__):
            object.__setattr__(value, name, (name, at))
        made.append(value)
    assert {len(type(value).__slots__) for value in made} >= {0, 1, 2, 11}
    for value in made:
        ours = io.BytesIO()
        build_cache._Pickler(ours, {}).dump(value)
        assert ours.getvalue() == pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), value
