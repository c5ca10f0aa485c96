"""output.py with swap=True (what `build` does): the new site is put together beside the
output folder and exchanged with it in one step, so the folder is always the old site or the
new one; what growthlog did not write is carried over, never deleted. Killed builds and a
reader that watches the folder: tests/test_durable.py."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from generator.build import build
from generator.errors import OutputRefused
from generator.output import MANIFEST, STAGING_LIST, read_manifest, staging_dir, write_output
from generator.render import OutputFile

from conftest import entry, make_log, read_tree


def _files(**pages: str) -> list[OutputFile]:
    return [OutputFile(path.replace("__", "/"), text.encode()) for path, text in pages.items()]


def _author_files(out: Path) -> None:
    (out / ".git" / "objects" / "ab").mkdir(parents=True)
    (out / ".git" / "objects" / "ab" / "cdef").write_bytes(b"blob")
    (out / ".git" / "HEAD").write_text("ref: refs/heads/gh-pages\n")
    (out / "CNAME").write_text("log.example.org\n")
    (out / "empty").mkdir()
    (out / "tags" / "mine.txt").write_text("mine")
    os.symlink("CNAME", out / "link")


def test_the_folder_is_exchanged_whole_and_keeps_what_growthlog_did_not_write(
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(_files(index_html="home", tags__index_html="tags", old_html="old"), out,
                 swap=True)
    _author_files(out)
    before = os.stat(out).st_ino
    unchanged = os.stat(out / "index_html").st_ino
    report = write_output(_files(index_html="home", tags__index_html="new tags"), out,
                          swap=True)
    assert (report.written, report.unchanged, report.removed) == (
        ("tags/index_html",), 1, ("old_html",))
    assert os.stat(out).st_ino != before  # a new folder, swapped in
    assert os.stat(out / "index_html").st_ino == unchanged  # hard-linked, not rewritten
    assert read_tree(out) == {
        ".git/HEAD": b"ref: refs/heads/gh-pages\n", ".git/objects/ab/cdef": b"blob",
        "CNAME": b"log.example.org\n", "index_html": b"home", "tags/index_html": b"new tags",
        "tags/mine.txt": b"mine", MANIFEST: (out / MANIFEST).read_bytes(),
        "link": b"log.example.org\n"}
    assert os.readlink(out / "link") == "CNAME" and (out / "empty").is_dir()
    assert sorted(read_manifest(out)) == ["index_html", "tags/index_html"]
    assert not staging_dir(out).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_build_with_nothing_to_change_touches_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(_files(a="1", b="2"), out, swap=True)
    stamps = {p: os.stat(p) for p in [out, *out.rglob("*")]}
    report = write_output(_files(a="1", b="2"), out, swap=True)
    assert (report.written, report.unchanged, report.removed) == ((), 2, ())
    assert {p: (s.st_ino, s.st_mtime_ns) for p, s in stamps.items()} == {
        p: (os.stat(p).st_ino, os.stat(p).st_mtime_ns) for p in stamps}


def test_a_symlinked_output_folder_stays_a_link_to_the_new_site(tmp_path: Path) -> None:
    real = tmp_path / "sites" / "real"
    real.mkdir(parents=True)
    out = tmp_path / "out"
    out.symlink_to(real, target_is_directory=True)
    write_output(_files(a="1"), out, swap=True)
    write_output(_files(a="2"), out, swap=True)
    assert out.is_symlink() and out.resolve() == real.resolve()
    assert (real / "a").read_text() == "2"
    assert sorted(p.name for p in (tmp_path / "sites").iterdir()) == ["real"]


def test_what_a_killed_build_left_beside_the_folder_is_cleared_but_never_a_file_of_yours(
        tmp_path: Path) -> None:
    """A staging folder left by a build killed before the swap: growthlog's files there go;
    a file that is not (saved there by hand) is moved into the output folder."""
    out = tmp_path / "out"
    write_output(_files(a="1"), out, swap=True)
    staging = staging_dir(out)
    (staging / "sub").mkdir(parents=True)
    (staging / STAGING_LIST).write_text(json.dumps({"version": 1, "pending": ["a", "sub/b"]}))
    (staging / "a").write_text("half")
    (staging / "sub" / "b").write_text("half")
    (staging / "sub" / "notes.txt").write_text("mine")
    (out / "CNAME").write_text("log.example.org\n")
    os.link(out / "CNAME", staging / "CNAME")  # carried over: the same file as out/CNAME
    write_output(_files(a="1", sub__b="2"), out, swap=True)
    assert not staging.exists()
    assert read_tree(out) == {"CNAME": b"log.example.org\n", "a": b"1", "sub/b": b"2",
                              "sub/notes.txt": b"mine", MANIFEST: (out / MANIFEST).read_bytes()}


def test_something_not_ours_in_the_way_is_refused_before_anything_is_made(
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(_files(a="1"), out, swap=True)
    (out / "tags").write_text("mine")
    with pytest.raises(OutputRefused, match="tags is a file where the site needs a folder"):
        write_output(_files(a="1", tags__index_html="t"), out, swap=True)
    assert (out / "tags").read_text() == "mine"
    assert not staging_dir(out).exists()


def test_a_first_build_appears_whole(tmp_path: Path) -> None:
    out = tmp_path / "new" / "out"
    out.parent.mkdir()
    report = write_output(_files(a="1", b__c="2"), out, swap=True)
    assert report.written == ("a", "b/c")
    assert sorted(read_tree(out)) == [MANIFEST, "a", "b/c"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]


def test_build_swaps_and_a_later_build_in_the_same_process_for_the_same_folder_too(
        tmp_path: Path) -> None:
    """`build` swaps; only a folder rebuilt by the same BuildState (serve's preview) is
    written in place."""
    root = make_log(tmp_path / "log", {"content/a.md": entry("A")})
    out = root / "output"
    build(root)
    first = os.stat(out).st_ino
    (root / "content" / "a.md").write_text(entry("A, edited"))
    build(root)
    assert os.stat(out).st_ino != first
    assert not staging_dir(out).exists()
