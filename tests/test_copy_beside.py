"""The first build after one from nothing: while it reads and renders, a child process makes
the folder beside the output folder a copy of the site in it (output.copy_beside), so that
its write updates that copy as every later build's does, instead of making a folder and a
link per page. Killed copies and readers: tests/test_durable.py."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.build import build
from generator.output import MANIFEST, buffer_settled, copy_beside, staging_dir
from generator.parallel import Workers

from conftest import make_log, read_tree

CONFIG = 'title = "Copy log"\nrecent = 3\n'
TWO = Workers(processes=2)
"""Two processes, a CPU taken as free: the copy is made whatever the machine does."""


def _entries(count: int = 12) -> dict[str, str | bytes]:
    return {f"content/e{i:02d}.md": f"---\ntitle: Entry {i}\ndate: 2025-0{1 + i % 9}-1{i % 10}\n"
                                    f"tags: [t{i % 3}, shared]\n---\nBody {i}.\n"
            for i in range(count)}


def _edit(root: Path, number: int) -> None:
    path = root / f"content/e{number:02d}.md"
    path.write_text(path.read_text("utf-8").replace(f"Body {number}.", "Edited."), "utf-8")


def _changes(act: Callable[[], object], under: Path) -> dict[str, int]:
    """How many folders `act` made or removed, files it linked and files it opened to
    write under `under`, in this process (not in one it forked)."""
    counts = {"os.mkdir": 0, "os.rmdir": 0, "os.link": 0, "write": 0}
    me, base, listening = os.getpid(), os.fspath(under) + os.sep, [True]

    def hook(event: str, args: tuple[object, ...]) -> None:
        if not listening[0] or os.getpid() != me or not args:
            return
        path = args[1] if event == "os.link" else args[0]
        if not isinstance(path, str) or not path.startswith(base):
            return
        if event == "open":
            if isinstance(args[1], str) and args[1][0] in "wax" or args[1] is None and \
                    isinstance(args[2], int) and args[2] & (os.O_WRONLY | os.O_CREAT):
                counts["write"] += 1
        elif event in counts:
            counts[event] += 1

    sys.addaudithook(hook)  # stays for the session, silent once `listening` is off
    try:
        act()
    finally:
        listening[0] = False
    return counts


@pytest.mark.parametrize("caller", [False, True], ids=["by the build", "by its caller"])
def test_the_first_edit_after_a_build_from_nothing_updates_the_copy_made_beside(
        tmp_path: Path, caller: bool) -> None:
    """Issue 11: after a build from nothing (which leaves nothing beside the folder), the
    next build made the whole second tree while everything else waited: a folder and a
    link per page (at 1,000 entries +0.1-0.15 s). Now its write finds that tree made,
    and changes what a later edit's write changes: a page or a few, and its lists. The
    copy is started by the build, or by `growthlog build` before the pipeline's imports."""
    root = make_log(tmp_path / "log", _entries(), CONFIG)
    out = tmp_path / "site" / "out"
    build(root, output=out, use_cache=True, workers=TWO)
    assert not os.path.lexists(staging_dir(out))  # a build from nothing: nothing beside
    (out / "CNAME").write_text("log.example.org\n")
    (out / "docs" / "mine").mkdir(parents=True)
    old_page = (out / "entries/entry-0/index.html").read_bytes()
    _edit(root, 0)
    reports = []

    def edit_build() -> None:
        copied = copy_beside(out) if caller else None
        assert copied is not None or not caller
        reports.append(build(root, output=out, use_cache=True, workers=TWO, copied=copied))

    first = _changes(edit_build, out.parent)
    assert first["os.mkdir"] == first["os.link"] == first["os.rmdir"] == 0
    # The pages whose bytes changed, the list beside (before and after the exchange), the
    # manifest: no page read back and rendered again as if changed by hand.
    assert first["write"] == len(reports[0].written) + 3 and reports[0].rendered <= 11
    assert "entries/entry-0/index.html" in reports[0].written
    assert buffer_settled(out)
    assert (staging_dir(out) / "entries/entry-0/index.html").read_bytes() == old_page
    _edit(root, 1)
    later = _changes(lambda: build(root, output=out, use_cache=True, workers=TWO), out.parent)
    assert later["os.mkdir"] == later["os.rmdir"] == 0 and later["os.link"] <= 12
    clean = tmp_path / "clean"
    build(root, output=clean)
    site = read_tree(out)
    assert site.pop("CNAME") == b"log.example.org\n" and (out / "docs" / "mine").is_dir()
    assert {k: v for k, v in site.items() if k != MANIFEST} == \
        {k: v for k, v in read_tree(clean).items() if k != MANIFEST}


def test_what_you_change_in_the_folder_while_the_copy_is_made_is_as_you_left_it(
        tmp_path: Path) -> None:
    """A file you add to the site while the copy beside is being made is in the folder
    after the build (and in the copy kept beside next time); one you delete then does not
    come back from the copy."""
    root = make_log(tmp_path / "log", _entries(), CONFIG)
    out = tmp_path / "site" / "out"
    build(root, output=out, use_cache=True, workers=TWO)
    (out / "CNAME").write_text("log.example.org\n")
    (out / "notes.txt").write_text("mine\n")
    me, linked, armed = os.getpid(), [0], [True]

    def meanwhile(event: str, args: tuple[object, ...]) -> None:
        if armed[0] and event == "os.link" and os.getpid() != me:  # in the child copying
            linked[0] += 1
            if linked[0] == 5:
                (out / "later.txt").write_text("added\n")
                (out / "notes.txt").unlink()
                (out / "CNAME").write_text("changed.example.org\n")

    sys.addaudithook(meanwhile)  # (in this process, it counts nothing)
    _edit(root, 0)
    try:
        build(root, output=out, use_cache=True, workers=TWO)
    finally:
        armed[0] = False  # (the hook stays for the session)
    assert (out / "later.txt").read_text() == "added\n"
    assert not (out / "notes.txt").exists()
    assert (out / "CNAME").read_text() == "changed.example.org\n"
    assert buffer_settled(out)
    _edit(root, 1)
    build(root, output=out, use_cache=True, workers=TWO)
    assert (out / "later.txt").read_text() == "added\n" and not (out / "notes.txt").exists()
    assert (out / "CNAME").read_text() == "changed.example.org\n"
    assert buffer_settled(out)


def test_no_copy_is_made_for_serve_or_with_no_cpu_to_spare(tmp_path: Path) -> None:
    """serve's preview (written in place, nothing kept beside) and a build with one
    process (no CPU to spare) make no copy beside."""
    root = make_log(tmp_path / "log", _entries(4), CONFIG)
    out = tmp_path / "out"
    build(root, output=out, use_cache=True, workers=TWO)
    _edit(root, 0)
    build(root, output=out, use_cache=True, workers=TWO, keep_old=False)
    assert not os.path.lexists(staging_dir(out))
    _edit(root, 1)
    seen = _changes(lambda: build(root, output=out, use_cache=True, workers=Workers()),
                    tmp_path)
    assert seen["os.mkdir"] > 0  # the write made the tree beside itself


def test_a_build_with_nothing_to_copy_does_not_look_at_the_cpus(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether a CPU is spare is asked only when there is a site to copy: every edit after
    the first (the old site is beside already) and a build into a new folder have none,
    and a look reads the CPUs three times a millisecond apart (2 ms of such a build)."""
    import generator.parallel as parallel

    root = make_log(tmp_path / "log", _entries(4), CONFIG)
    out = tmp_path / "out"
    reads: list[int] = []
    monkeypatch.setattr(parallel, "_threads_runnable", lambda: reads.append(1) or 1)
    build(root, output=out, use_cache=True, workers=Workers(processes=2, ask=True))
    assert reads == []  # a new folder: nothing to copy
    _edit(root, 0)
    build(root, output=out, use_cache=True, workers=Workers(processes=2, ask=True))
    assert len(reads) == 3  # the first edit: a site to copy, and a CPU to ask for
    assert os.path.isdir(staging_dir(out))
    _edit(root, 1)
    reads.clear()
    build(root, output=out, use_cache=True, workers=Workers(processes=2, ask=True))
    assert reads == []  # the old site is beside already


def test_a_build_given_its_callers_fingerprint_and_no_copy_starts_none(tmp_path: Path) -> None:
    """`growthlog build` asks for the copy beside before the pipeline's imports and hands
    build() the fingerprint it took: where it started none (nothing to copy, every edit
    after the first; or no CPU to spare), build() asked again (the paths resolved, the
    folders looked at, a look at the CPUs) and could start the copy the caller refused."""
    from generator.cache import unchanged_build

    root = make_log(tmp_path / "log", _entries(4), CONFIG)
    out = tmp_path / "site" / "out"
    build(root, output=out, use_cache=True, workers=TWO)
    _edit(root, 0)
    report, fingerprint = unchanged_build(root, out, drafts=False, base_url=None, private=None)
    assert report is None and fingerprint is not None
    assert copy_beside(out, spare=lambda: False) is None  # the caller: no CPU to spare
    seen = _changes(lambda: build(root, output=out, use_cache=True, workers=TWO,
                                  fingerprint=fingerprint, copied=None), out.parent)
    assert seen["os.mkdir"] > 0  # no copy beside: the write made the tree itself
    assert buffer_settled(out)
