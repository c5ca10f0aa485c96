"""What a user of the output folder relies on, whatever the writer's design: a file
deleted from output/ comes back, a failed write leaves no temp file, and serve's fast
path (bytes it wrote last time) writes exactly what changed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from generator.build import build
from generator.errors import GrowthlogError
from generator.output import read_manifest, write_atomic, write_output
from generator.render import OutputFile

from conftest import REPO, read_tree


def _files(**pages: str) -> list[OutputFile]:
    return [OutputFile(path.replace("__", "/"), text.encode()) for path, text in pages.items()]


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def test_a_page_deleted_from_output_is_restored_by_the_next_build(tmp_path: Path) -> None:
    root = tmp_path / "log"
    shutil.copytree(REPO / "content", root / "content")
    build(root)
    clean = read_tree(root / "output")
    for gone in ("tags/sql/index.html", "static/style.css", "index.html"):
        (root / "output" / gone).unlink()
    shutil.rmtree(root / "output" / "companies")
    report = build(root)
    assert read_tree(root / "output") == clean
    assert {"tags/sql/index.html", "static/style.css", "index.html"} <= set(report.written)
    assert any(path.startswith("companies/") for path in report.written)


def test_a_file_deleted_from_output_is_written_again(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(_files(a="1", b__c="2"), out)
    (out / "b" / "c").unlink()
    report = write_output(_files(a="1", b__c="2"), out)
    assert report.written == ("b/c",) and report.unchanged == 1
    assert (out / "b" / "c").read_text() == "2"


def test_a_failed_write_leaves_no_temp_file_and_the_target_as_it_was(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "page").mkdir(parents=True)  # a folder where the file should go
    (site / "page" / "keep.txt").write_text("mine")
    with pytest.raises(GrowthlogError) as info:
        write_atomic(site / "page", b"new bytes")
    assert str(info.value).startswith(f"could not write {site / 'page'}: ")
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*")) == [
        "page", "page/keep.txt"]


def test_a_write_into_a_read_only_folder_leaves_nothing(tmp_path: Path) -> None:
    if os.geteuid() == 0:  # root writes anyway: make the rename fail instead
        target = tmp_path / "site" / "x"
        target.mkdir(parents=True)
        (target / "inner").write_text("")
    else:
        (tmp_path / "site").mkdir()
        (tmp_path / "site").chmod(0o500)
        target = tmp_path / "site" / "x"
    try:
        with pytest.raises(GrowthlogError):
            write_atomic(target, b"data")
        assert not [p for p in (tmp_path / "site").iterdir() if p.name != "x"]
    finally:
        (tmp_path / "site").chmod(0o700)


def test_serve_fast_path_skips_bytes_it_wrote_and_writes_what_changed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = _files(a="1", b="2", c="3")
    write_output(first, out)
    manifest = read_manifest(out)
    stamps = {name: _stamp(out / name) for name in "abc"}
    last = {f.path: f.data for f in first}
    # Re-rendered: equal bytes in new objects; b changed; d is new although `last` has it.
    again = _files(a="1", b="two", c="3", d="4")
    report = write_output(again, out, {**last, "d": b"4"})
    assert report.written == ("b", "d")
    assert (report.unchanged, report.removed) == (2, ())
    assert _stamp(out / "a") == stamps["a"] and _stamp(out / "c") == stamps["c"]
    assert (out / "b").read_text() == "two" and (out / "d").read_text() == "4"
    now = read_manifest(out)
    assert now["a"] == manifest["a"] and now["c"] == manifest["c"]
    assert now["b"] != manifest["b"] and set(now) == {"a", "b", "c", "d"}


def test_serve_fast_path_with_the_same_objects_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = _files(a="1", b__c="2")
    write_output(files, out)
    before = {p: _stamp(p) for p in out.rglob("*") if p.is_file()}
    report = write_output(files, out, {f.path: f.data for f in files})
    assert report.written == () and report.unchanged == 2 and report.removed == ()
    assert {p: _stamp(p) for p in out.rglob("*") if p.is_file()} == before


def test_serve_fast_path_still_removes_what_is_gone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = _files(a="1", old__page="2")
    write_output(files, out)
    report = write_output(files[:1], out, {f.path: f.data for f in files})
    assert report.removed == ("old/page",)
    assert not (out / "old").exists() and sorted(read_manifest(out)) == ["a"]
