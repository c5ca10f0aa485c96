"""output.py with swap=True (what `build` does): the new site is put together beside the
output folder and exchanged with it in one step, so the folder is always the old site or the
new one; what growthlog did not write is carried over, never deleted. Killed builds and a
reader that watches the folder: tests/test_durable.py."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.build import build
from generator.errors import GrowthlogError, OutputRefused
from generator.output import (
    MANIFEST,
    STAGING_LIST,
    buffer_settled,
    path_problems,
    read_manifest,
    staging_dir,
    write_output,
)
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
    (out / "tags").mkdir(exist_ok=True)
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
    """`build` swaps, and keeps the old site beside: the next build updates that folder
    and swaps it back in. Only a folder rebuilt by the same BuildState (serve's preview)
    is written in place."""
    root = make_log(tmp_path / "log", {"content/a.md": entry("A")})
    out = root / "output"
    build(root)
    first = os.stat(out).st_ino
    (root / "content" / "a.md").write_text(entry("A, edited"))
    build(root)
    second = os.stat(out).st_ino
    assert second != first and os.stat(staging_dir(out)).st_ino == first
    (root / "content" / "a.md").write_text(entry("A, edited again"))
    build(root)
    assert os.stat(out).st_ino == first and os.stat(staging_dir(out)).st_ino == second


# --- the old site kept beside: the next build's starting point ---------------------------

def _changes_while(act: Callable[[], object], folder: Path) -> list[tuple[str, str]]:
    """(event, path inside folder's parent) of every change `act` makes there: files opened
    for writing, renames, removals, folders made or removed."""
    seen: list[tuple[str, str]] = []
    listening = True
    base = os.fspath(folder.parent) + os.sep

    def hook(event: str, args: tuple[object, ...]) -> None:
        if not listening or not args or not isinstance(args[0], str | os.PathLike):
            return
        path = os.fspath(args[0])
        if not isinstance(path, str) or not path.startswith(base):
            return
        writing = event == "open" and (isinstance(args[1], str) and args[1][0] in "wax"
                                       or args[1] is None and isinstance(args[2], int)
                                       and args[2] & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
        if writing or event in ("os.rename", "os.remove", "os.mkdir", "os.rmdir"):
            seen.append((event, path[len(base):]))

    sys.addaudithook(hook)  # stays for the session, silent once `listening` is False
    try:
        act()
    finally:
        listening = False
    return seen


def _replaced(path: str) -> list[tuple[str, str]]:
    """A file written through its temp file (output.py's scheme) and renamed."""
    folder, name = path.rsplit("/", 1)
    temp = f"{folder}/.{hashlib.sha256(name.encode()).hexdigest()[:16]}.growthlog-tmp"
    return [("open", temp), ("os.rename", temp)]


def _written(path: str) -> list[tuple[str, str]]:
    """A page (or the manifest) written into the old site beside: any file under its temp
    name and the file there removed (it could be a link to the output folder's), then a
    new one made at its name."""
    return [("os.remove", _replaced(path)[0][1]), ("os.remove", path), ("open", path)]


def _site(pages: int, changed: int = -1) -> list[OutputFile]:
    return [OutputFile(f"p{i}/index.html", f"page {i}{' edited' * (i == changed)}".encode())
            for i in range(pages)]


def test_a_build_after_one_change_changes_only_that_page_in_the_old_site_kept_beside(
        tmp_path: Path) -> None:
    """Issue 11: a build after one entry was edited made a whole new copy of the site
    (a folder and a link per page) and removed the old one, folder by folder: at 1,000
    entries 1,000 mkdir and 1,000 rmdir, most of its time. The old site kept beside is
    updated instead: one page written and the bookkeeping, no folder made or removed."""
    out = tmp_path / "out"
    for changed in (-1, 3):
        write_output(_site(50, changed), out, swap=True, keep=True)
    (out / "CNAME").write_text("log.example.org\n")
    write_output(_site(50, 3), out, swap=True, keep=True)  # CNAME linked over
    before = {p: os.stat(p).st_ino for p in out.rglob("*") if p.is_file()}
    seen = _changes_while(lambda: write_output(_site(50, 7), out, swap=True, keep=True), out)
    staging = staging_dir(out).name
    assert sorted(seen) == sorted([
        *_replaced(f"{staging}/{STAGING_LIST}"),  # what the folder holds of growthlog's
        *_written(f"{staging}/p7/index.html"),  # p3: the old site had its bytes
        *_written(f"{staging}/{MANIFEST}"), ("os.remove", f"{staging}/{STAGING_LIST}"),
        *_replaced(f"{staging}/{STAGING_LIST}")])  # after the exchange: the old site's
    assert read_tree(out) == {**{f.path: f.data for f in _site(50, 7)}, "CNAME":
                              b"log.example.org\n", MANIFEST: (out / MANIFEST).read_bytes()}
    after = {p: os.stat(p).st_ino for p in out.rglob("*") if p.is_file()}
    # Unchanged pages and the author's file: the same files as before, hard-linked.
    assert {p for p in before if after.get(p) != before[p]} == {
        out / "p3" / "index.html", out / "p7" / "index.html", out / MANIFEST}
    # Next: p9 edited. Beside, p3 is the edited page of two builds ago: replaced by a link
    # to the output folder's, through a temp name; p7's old bytes are there already.
    seen = _changes_while(lambda: write_output(_site(50, 9), out, swap=True, keep=True), out)
    p3 = _replaced(f"{staging}/p3/index.html")
    assert sorted(seen) == sorted([
        *_replaced(f"{staging}/{STAGING_LIST}"), ("os.remove", p3[0][1]), p3[1],
        *_written(f"{staging}/p9/index.html"), *_written(f"{staging}/{MANIFEST}"),
        ("os.remove", f"{staging}/{STAGING_LIST}"), *_replaced(f"{staging}/{STAGING_LIST}")])
    assert read_tree(out) == {**{f.path: f.data for f in _site(50, 9)}, "CNAME":
                              b"log.example.org\n", MANIFEST: (out / MANIFEST).read_bytes()}


def _kept(out: Path, *sites: dict[str, str]) -> None:
    """Build these sites in turn, keeping the old site beside."""
    for pages in sites:
        write_output(_files(**pages), out, swap=True, keep=True)


@pytest.mark.parametrize("keep", [True, False], ids=["kept again", "cleared"])
def test_a_file_you_deleted_from_the_folder_does_not_come_back_from_the_old_site_beside(
        tmp_path: Path, keep: bool) -> None:
    """The old site kept beside holds links to your files as they were: one you deleted
    since is deleted there too, by the next build that keeps it and by one that clears it
    (a private build); so is a folder you removed."""
    out = tmp_path / "out"
    _kept(out, {"a": "1"})
    _author_files(out)
    _kept(out, {"a": "2"}, {"a": "3"})  # your files linked over twice: in both folders
    for path in ("CNAME", ".git/HEAD", "tags/mine.txt", "link"):
        (out / path).unlink()
    for folder in ("empty", "tags"):
        (out / folder).rmdir()
    write_output(_files(a="4"), out, swap=True, keep=keep)
    assert read_tree(out) == {".git/objects/ab/cdef": b"blob", "a": b"4",
                              MANIFEST: (out / MANIFEST).read_bytes()}
    assert sorted(p.name for p in out.iterdir()) == [".git", MANIFEST, "a"]
    assert staging_dir(out).exists() == keep


def test_your_files_changed_in_the_folder_are_carried_over_as_they_are_now(
        tmp_path: Path) -> None:
    """Replaced (git writes a new file and renames it over), added, or a folder made
    empty: the next build's folder has them as the old one has them."""
    out = tmp_path / "out"
    _kept(out, {"a": "1"})
    _author_files(out)
    _kept(out, {"a": "2"}, {"a": "3"})
    (out / "HEAD.new").write_text("ref: refs/heads/main\n")
    os.replace(out / "HEAD.new", out / ".git" / "HEAD")
    (out / "tags" / "later.txt").write_text("later")
    (out / ".git" / "objects" / "ab" / "cdef").unlink()
    _kept(out, {"a": "4"})
    tree = read_tree(out)
    assert tree.pop(MANIFEST) and tree == {
        ".git/HEAD": b"ref: refs/heads/main\n", "CNAME": b"log.example.org\n", "a": b"4",
        "tags/mine.txt": b"mine", "tags/later.txt": b"later", "link": b"log.example.org\n"}
    assert (out / ".git" / "objects" / "ab").is_dir() and (out / "empty").is_dir()


def test_a_file_you_put_in_the_old_site_beside_is_not_lost(tmp_path: Path) -> None:
    """Saved into the hidden folder by hand: not growthlog's, so it is never deleted. At a
    path of its own it goes into the site with the folder; where the new site needs its
    path, it is moved into the output folder when that has nothing there, and kept beside
    (the site written in place) when it has."""
    out = tmp_path / "out"
    _kept(out, {"a": "1"}, {"a": "2"})
    staging = staging_dir(out)
    (staging / "notes.txt").write_text("mine")
    (staging / "new").write_text("mine too")
    _kept(out, {"a": "3", "new": "a new page"})
    assert read_tree(out) == {"a": b"3", "new": b"a new page", "notes.txt": b"mine",
                              MANIFEST: (out / MANIFEST).read_bytes()}
    assert (staging / "new").read_text() == "mine too"  # kept beside: written in place


def test_the_old_site_beside_edited_by_hand_is_not_trusted(tmp_path: Path) -> None:
    """A page of it replaced, another edited in place (a hard link: the site's file too),
    its list damaged: the site built over it equals one built from nothing."""
    out, clean = tmp_path / "out", tmp_path / "clean"
    site = {"a": "1", "b__c": "2", "d": "3"}
    _kept(clean, site)
    _kept(out, site, {**site, "a": "changed"})
    staging = staging_dir(out)
    (staging / "b" / "c.new").write_text("not 2")
    os.replace(staging / "b" / "c.new", staging / "b" / "c")  # unchanged page, replaced
    stray = f".{hashlib.sha256(b'c').hexdigest()[:16]}.growthlog-tmp"  # its temp file's name
    (staging / "b" / stray).write_text("a stray file")
    with open(staging / "d", "r+b") as file:  # the same file as out/d
        file.write(b"4")
    _kept(out, site)
    assert read_tree(out) == read_tree(clean) and not (out / "b" / stray).exists()
    (staging / STAGING_LIST).write_text('{"version": 2, "settled": true, "pending": ["../x"]}')
    (staging / "b" / "c").write_text("not 2")  # in place: now a file of the site's too
    _kept(out, {**site, "a": "again"}, site)
    assert read_tree(out) == read_tree(clean)
    assert json.loads((staging / STAGING_LIST).read_text())["settled"] is True


def test_the_old_site_beside_goes_when_the_folder_goes(tmp_path: Path) -> None:
    """You deleted the output folder: the next build starts from the old site beside, and
    none of your files in it come back."""
    out = tmp_path / "out"
    _kept(out, {"a": "1"})
    _author_files(out)
    _kept(out, {"a": "2"}, {"a": "3"})
    shutil.rmtree(out)
    _kept(out, {"a": "4", "b": "5"})
    assert read_tree(out) == {"a": b"4", "b": b"5", MANIFEST: (out / MANIFEST).read_bytes()}
    assert not staging_dir(out).exists()  # the old site was not there to keep


def test_a_list_beside_that_names_a_path_outside_is_not_followed(tmp_path: Path) -> None:
    """The old site's list names a file beside the folders (by its inode, as a link of
    yours it made): the list is not trusted, and that file is not touched."""
    out = tmp_path / "out"
    _kept(out, {"a": "1"}, {"a": "2"})
    victim = tmp_path / "victim"
    victim.write_text("not the site's")
    listed = staging_dir(out) / STAGING_LIST
    data = json.loads(listed.read_text())
    data["carried"] = {"../victim": [victim.stat().st_ino]}
    listed.write_text(json.dumps(data))
    _kept(out, {"a": "3"})
    assert victim.read_text() == "not the site's"
    assert read_tree(out) == {"a": b"3", MANIFEST: (out / MANIFEST).read_bytes()}


def _page_made_a_folder_by_hand(page: Path) -> None:
    """The author replaces a page of the old site beside by a folder holding a file."""
    page.unlink()
    page.mkdir()
    (page / "mine.txt").write_text("mine")


def test_a_folder_in_the_old_site_beside_where_a_page_now_is(tmp_path: Path) -> None:
    """The old site kept beside has a folder where the new site has a page the output
    folder holds already (the site changed shape; or a page there replaced by a folder by
    hand): the site is put together from nothing instead, and your file in that folder is
    kept."""
    out = tmp_path / "out"
    _kept(out, {"a__b": "1"}, {"a": "2"})
    assert (staging_dir(out) / "a").is_dir()
    _kept(out, {"a": "2", "c": "3"})
    assert read_tree(out) == {"a": b"2", "c": b"3", MANIFEST: (out / MANIFEST).read_bytes()}
    _kept(out, {"a": "2", "c": "4"})
    beside = staging_dir(out)
    _page_made_a_folder_by_hand(beside / "a")
    _kept(out, {"a": "2", "c": "5"})
    assert read_tree(out) == {"a": b"2", "c": b"5", MANIFEST: (out / MANIFEST).read_bytes()}
    assert (beside / "a" / "mine.txt").read_text() == "mine"


class _Killed(BaseException):
    """As a SIGKILL would: nothing after it runs, not even the build's own clean-up."""


def test_a_build_killed_after_linking_your_files_beside_does_not_bring_back_one_you_delete(
        tmp_path: Path) -> None:
    """Killed after it linked your files into the old site beside (before the exchange):
    the list there names them (by inode) from the start, so one you then delete from the
    output folder goes from beside it too, and does not come back into the site."""
    out = tmp_path / "out"
    _kept(out, {"a": "1"}, {"a": "2"})
    (out / "CNAME").write_text("log.example.org\n")
    manifest = staging_dir(out) / MANIFEST
    armed = True

    def kill(event: str, args: tuple[object, ...]) -> None:
        nonlocal armed
        if armed and event == "open" and str(args[0]) == str(manifest) and args[2]:
            armed = False
            raise _Killed

    sys.addaudithook(kill)  # stays for the session, silent once it has acted
    with pytest.raises(_Killed):
        _kept(out, {"a": "3"})
    assert (staging_dir(out) / "CNAME").is_file()  # linked over before the kill
    assert not buffer_settled(out)  # so it is cleared, not built on
    (out / "CNAME").unlink()
    _kept(out, {"a": "3"})
    assert read_tree(out) == {"a": b"3", MANIFEST: (out / MANIFEST).read_bytes()}


@pytest.mark.parametrize("keep", [True, False], ids=["kept beside", "cleared"])
def test_what_you_put_in_the_folder_while_a_build_runs_is_in_it_after_the_swap(
        tmp_path: Path, keep: bool) -> None:
    """Files and empty folders you make in the site while a build writes the new one (after
    it linked your files over): they are in the folder after the swap, not left in the old
    site beside it."""
    out = tmp_path / "out"
    _kept(out, {"index_html": "old", "tags__index_html": "tags"},
          {"index_html": "older", "tags__index_html": "tags"})
    armed = True

    def make(event: str, args: tuple[object, ...]) -> None:
        nonlocal armed
        if armed and event == "ctypes.dlsym" and args[1] == "renameat2":  # the exchange
            armed = False
            (out / "drafts").mkdir()
            (out / "notes" / "later").mkdir(parents=True)
            (out / "tags" / "mine.txt").write_text("mine")
            (out / "ideas").mkdir()
            (out / "ideas" / "one.txt").write_text("one")

    sys.addaudithook(make)
    write_output(_files(index_html="new", tags__index_html="tags"), out, swap=True, keep=keep)
    assert (out / "drafts").is_dir() and (out / "notes" / "later").is_dir()
    assert (out / "tags" / "mine.txt").read_text() == "mine"
    assert (out / "ideas" / "one.txt").read_text() == "one"
    assert (out / "index_html").read_text() == "new"


def test_what_is_gone_from_beside_or_yours_there_now_is_left_alone(tmp_path: Path) -> None:
    """A page of the old site beside that is no longer needed was deleted there by hand, and
    a file of yours it had linked was replaced there by one of your own: the build removes
    neither (nothing of the first is left; the second is yours), and puts the site together."""
    out = tmp_path / "out"
    _kept(out, {"a": "1", "b": "2"})
    (out / "CNAME").write_text("log.example.org\n")
    _kept(out, {"a": "2", "b": "2"})  # beside: a, b and CNAME, linked from out
    beside = staging_dir(out)
    (beside / "b").unlink()
    (beside / "CNAME.new").write_text("mine, beside\n")  # made while the old one is there:
    (out / "CNAME").unlink()  # a new inode (a freed one may be given to the next new file)
    os.replace(beside / "CNAME.new", beside / "CNAME")
    _kept(out, {"a": "4"})
    assert read_tree(out) == {"a": b"4", "CNAME": b"mine, beside\n",
                              MANIFEST: (out / MANIFEST).read_bytes()}


def test_a_page_in_the_old_site_beside_where_a_folder_now_is(tmp_path: Path) -> None:
    """The old site kept beside has a page where the new site needs a folder: the page is
    removed there and the folder made. Where that file is yours (put there by hand), it is
    moved into the output folder, like any file of yours found beside, and there it is in
    the site's way: refused, as in the output folder itself."""
    out = tmp_path / "out"
    _kept(out, {"a": "1"}, {"a": "2"}, {"a__b": "3"})
    assert read_tree(out) == {"a/b": b"3", MANIFEST: (out / MANIFEST).read_bytes()}
    _kept(out, {"c": "4"})  # beside: a/b
    beside = staging_dir(out)
    shutil.rmtree(beside / "a")
    (beside / "a").write_text("mine")
    with pytest.raises(OutputRefused, match="a is a file where the site needs a folder"):
        _kept(out, {"a__b": "5"})
    assert (out / "a").read_text() == "mine" and not beside.exists()


def test_the_output_folder_keeps_its_permissions_through_a_swap_from_the_old_site(
        tmp_path: Path) -> None:
    """Changed since the old site beside was made: the folder swapped in has them too."""
    out = tmp_path / "out"
    _kept(out, {"a": "1"}, {"a": "2"})
    out.chmod(0o750)
    beside = os.stat(staging_dir(out)).st_ino
    _kept(out, {"a": "3"})
    assert os.stat(out).st_ino == beside  # the old site, updated and swapped in
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o750


def test_a_page_rendered_anew_where_the_old_site_beside_has_a_folder(tmp_path: Path) -> None:
    """A page of the old site beside replaced by a folder by hand, and the page changed:
    the site is put together from nothing, your file in that folder kept beside."""
    out = tmp_path / "out"
    _kept(out, {"a": "1", "c": "1"}, {"a": "2", "c": "2"})
    beside = staging_dir(out)
    _page_made_a_folder_by_hand(beside / "a")
    _kept(out, {"a": "3", "c": "3"})
    assert read_tree(out) == {"a": b"3", "c": b"3", MANIFEST: (out / MANIFEST).read_bytes()}
    assert (beside / "a" / "mine.txt").read_text() == "mine"


def test_a_file_you_make_where_the_new_site_has_a_page_stays_beside(tmp_path: Path) -> None:
    """Made in the folder while a build runs, under a name the new site has as a page: it
    cannot go into the site; it stays beside, and the rest is settled as usual."""
    out = tmp_path / "out"
    _kept(out, {"a": "1"}, {"a": "2"})
    armed = True

    def make(event: str, args: tuple[object, ...]) -> None:
        nonlocal armed
        if armed and event == "ctypes.dlsym" and args[1] == "renameat2":  # the exchange
            armed = False
            (out / "fresh").mkdir()
            (out / "fresh" / "mine.txt").write_text("mine")
            (out / "also").write_text("mine too")
            (out / "notes.txt").write_text("notes")

    sys.addaudithook(make)
    _kept(out, {"a": "3", "fresh": "a new page", "also": "another"})
    assert (out / "fresh").read_text() == "a new page"
    assert (out / "also").read_text() == "another"
    assert (out / "notes.txt").read_text() == "notes"
    assert (staging_dir(out) / "fresh" / "mine.txt").read_text() == "mine"
    assert (staging_dir(out) / "also").read_text() == "mine too"
    assert buffer_settled(out)


def test_your_folders_keep_their_permissions_through_a_swap_from_the_old_site(
        tmp_path: Path) -> None:
    """A folder of yours (a .git) whose permissions you changed since the old site beside
    was made has them in the folder swapped in."""
    out = tmp_path / "out"
    _kept(out, {"a": "1"})
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref\n")
    _kept(out, {"a": "2"}, {"a": "3"})
    (out / ".git").chmod(0o700)
    _kept(out, {"a": "4"})
    assert stat.S_IMODE(os.stat(out / ".git").st_mode) == 0o700
    assert (out / ".git" / "HEAD").read_text() == "ref\n"


def test_folders_the_new_site_no_longer_has_are_gone_from_it(tmp_path: Path) -> None:
    """Pages of the old site beside, nested in folders the new site does not have: those
    folders go with them (deepest first), and new folders are made as mkdir makes them."""
    out = tmp_path / "out"
    _kept(out, {"a__b__c": "1", "d": "1"}, {"a__b__c": "1", "d": "2"})
    _kept(out, {"d": "3"})  # beside: a/b/c, removed there
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "d"]
    _kept(out, {"d": "4", "e__f": "5"})
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(out / "e").st_mode) == 0o777 & ~umask
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "d", "e"]


def test_a_link_of_yours_changed_stays_a_link(tmp_path: Path) -> None:
    """A symbolic link in the output folder pointed elsewhere since the old site beside was
    made: the folder swapped in has the link as it is now, a link, not what it points to."""
    out = tmp_path / "out"
    _kept(out, {"a": "1"})
    (out / "CNAME").write_text("log.example.org\n")
    os.symlink("CNAME", out / "link")
    _kept(out, {"a": "2"}, {"a": "3"})
    (out / "link").unlink()
    os.symlink("a", out / "link")
    _kept(out, {"a": "4"})
    assert os.readlink(out / "link") == "a"


def test_a_page_is_never_written_into_a_file_the_site_has(tmp_path: Path) -> None:
    """A file under a page's temp name beside that is a link to the output folder's page
    (left there by hand, or by a build killed mid-link): the build removes it before it
    writes, so the site in the output folder never changes under a reader before the swap,
    and it does not go into the site with the exchange."""
    out = tmp_path / "out"
    _kept(out, {"a": "1", "b": "1"}, {"a": "1", "b": "2"})
    temp = f".{hashlib.sha256(b'a').hexdigest()[:16]}.growthlog-tmp"
    os.link(out / "a", staging_dir(out) / temp)
    _kept(out, {"a": "3", "b": "2"})
    assert (out / "a").read_text() == "3"
    assert (staging_dir(out) / "a").read_text() == "1"  # the old site, as it was
    assert not (out / temp).exists()


def test_a_new_site_is_written_once_per_file_without_temp_names(tmp_path: Path) -> None:
    """Into a staging folder it has just made (a cold build, a private one), nothing can
    be in the way: each page is created under its own name (never into a file there), not
    written under a temp name and renamed; each folder is made without a look first. The
    same bytes and modes as a site written the careful way, which a folder holding a file
    of yours still gets (tests above)."""
    events: list[tuple[str, str]] = []
    counting = [True]

    def hook(event: str, args: tuple[object, ...]) -> None:
        if counting[0] and event in ("open", "os.rename") and args and isinstance(
                args[0], str | bytes | os.PathLike):
            events.append((event, os.fsdecode(args[0])))

    sys.addaudithook(hook)  # (no way to remove one: it stops counting below)
    pages = {f"entries__e{n}__index.html": f"<p>{n}</p>" * n for n in range(40)}
    try:
        write_output(_files(**pages, **{"index.html": "home"}), tmp_path / "out", swap=True,
                     keep=True)
    finally:
        counting[0] = False
    renamed = [path for event, path in events if event == "os.rename"]
    opened = [path for event, path in events if event == "open" and "entries" in path]
    assert len(renamed) <= 3  # the list of what it writes, the manifest, the folder
    assert len(opened) == 40 and all(path.endswith("index.html") for path in opened)
    assert read_tree(tmp_path / "out") == {**{k.replace("__", "/"): v.encode() for k, v in
                                              pages.items()}, "index.html": b"home",
                                           MANIFEST: (tmp_path / "out" / MANIFEST).read_bytes()}
    (tmp_path / "like").write_bytes(b"x")
    assert os.stat(tmp_path / "out/entries/e3/index.html").st_mode == \
        os.stat(tmp_path / "like").st_mode


def test_a_site_built_into_folders_not_made_yet_makes_them(tmp_path: Path) -> None:
    """`growthlog build -o site/2026/out` with no site/ yet failed ("could not write …:
    No such file or directory"): the folder beside, where the new site is put together,
    could not be made. The folders are made, as `mkdir -p` would."""
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    build(root, output=tmp_path / "site" / "2026" / "out")
    assert (tmp_path / "site" / "2026" / "out" / "index.html").is_file()
    write_output(_files(a="1"), tmp_path / "pages" / "out", swap=True, keep=True)
    assert read_tree(tmp_path / "pages" / "out")["a"] == b"1"
    (tmp_path / "file").write_text("mine")
    with pytest.raises(GrowthlogError, match="could not write .*file/out: Not a directory$"):
        write_output(_files(a="1"), tmp_path / "file" / "out", swap=True, keep=True)
    assert (tmp_path / "file").read_text() == "mine"


def test_a_write_over_the_old_site_beside_checks_each_path_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11: a one-edit build checked every page's path three times (the new site's
    paths, the list beside, the old site's manifest there): 3,400 checks at 1,000
    entries. The paths of the new site are checked once; the others only when not
    among them."""
    import generator.output as output

    out = tmp_path / "out"
    for changed in (-1, 3):
        write_output(_site(200, changed), out, swap=True, keep=True)
    checked: list[str] = []
    check = output._invalid
    monkeypatch.setattr(output, "_invalid", lambda path: checked.append(path) or check(path))
    write_output(_site(200, 7), out, swap=True, keep=True)
    assert len(checked) <= 200 + 5
    assert (out / "p7" / "index.html").read_bytes() == b"page 7 edited"


def test_a_one_edit_build_looks_again_only_at_the_files_it_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11: after the write, every file of the site was looked at again (its size
    and times recorded for the next build: 1,141 stat calls at 1,000 entries), though the
    write had just looked at each one it left alone. Only the files it wrote are; the
    next build still finds nothing changed, or only what was edited by hand."""
    import generator.build as build_module

    entries = {f"content/e{i}.md": entry(f"Entry {i}", f"2026-01-{i + 10}", f"Body {i}.")
               for i in range(8)}
    root = make_log(tmp_path / "log", entries)
    out = tmp_path / "out"
    for number in (1, 2):  # from nothing, then over the site: the old site kept beside
        (root / "content/e1.md").write_text(entry("Entry 1", "2026-01-11", f"Edit {number}."))
        build(root, output=out, use_cache=True)
    asked: list[str] = []
    stat_files = build_module.stat_files
    monkeypatch.setattr(build_module, "stat_files",
                        lambda folder, paths: stat_files(folder, asked.extend(paths) or paths))
    (root / "content/e1.md").write_text(entry("Entry 1", "2026-01-11", "Edit 3."))
    report = build(root, output=out, use_cache=True)
    assert sorted(asked) == sorted([*report.written, MANIFEST])
    assert build(root, output=out, use_cache=True).rendered == 0  # nothing changed
    page = out / "entries" / "entry-2" / "index.html"
    page.write_text("edited by hand")
    again = build(root, output=out, use_cache=True)
    assert again.written == ("entries/entry-2/index.html",)
    assert page.read_text() != "edited by hand"


def test_after_the_exchange_only_folders_changed_during_the_build_are_listed_again(
        tmp_path: Path) -> None:
    """Issue 11: after the exchange, every folder of the old site was listed again to find
    what the author put there while the build ran (1,000 listings at 1,000 entries, a
    fifth of a one-edit build's write). A folder nothing was put into since it was listed
    (its ctime) is not listed again; what you put in one, even a tree of folders older
    than the build moved in, is still in the site after the swap."""
    out = tmp_path / "out"
    for changed in (-1, 3):
        write_output(_site(60, changed), out, swap=True, keep=True)
    (out / "notes" / "deep").mkdir(parents=True)
    (out / "notes" / "deep" / "a.txt").write_text("a")
    (tmp_path / "old" / "deep").mkdir(parents=True)  # to be moved in over notes/
    (tmp_path / "old" / "deep" / "b.txt").write_text("b")
    time.sleep(0.2)  # (older than a clock tick when the next build lists them)
    beside = os.fspath(staging_dir(out)) + os.sep
    listed: list[str] = []
    armed = [True]

    def hook(event: str, args: tuple[object, ...]) -> None:
        if not armed[0]:
            return
        if event == "ctypes.dlsym" and args[1] == "renameat2":  # right before the exchange
            (out / "p9" / "mine.txt").write_text("mine")
            shutil.rmtree(out / "notes")
            (tmp_path / "old").rename(out / "notes")
        elif event == "os.scandir" and isinstance(args[0], str) and args[0].startswith(beside):
            listed.append(args[0][len(beside):])

    sys.addaudithook(hook)
    try:
        write_output(_site(60, 7), out, swap=True, keep=True)
    finally:
        armed[0] = False
    assert sorted(listed) == ["notes", "notes/deep", "p9"]  # and the top folder
    assert (out / "p9" / "mine.txt").read_text() == "mine"
    assert (out / "notes" / "deep" / "b.txt").read_text() == "b"
    assert (out / "p7" / "index.html").read_bytes() == b"page 7 edited"


def test_a_folder_swapped_for_a_link_during_the_build_moves_nothing_from_where_it_points(
        tmp_path: Path) -> None:
    """After the exchange, each folder listed before it is looked up by its path: one under
    a folder replaced by a symbolic link meanwhile was reached through the link, and what
    the folder it points to held was moved into the site, out of its own folder."""
    out = tmp_path / "out"
    for changed in (-1, 3):
        write_output(_site(4, changed), out, swap=True, keep=True)
    (out / "x" / "y").mkdir(parents=True)
    (out / "x" / "y" / "mine.txt").write_text("mine")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "y").mkdir(parents=True)
    (elsewhere / "y" / "secret.txt").write_text("secret")
    armed = [True]

    def hook(event: str, args: tuple[object, ...]) -> None:
        if armed[0] and event == "ctypes.dlsym" and args[1] == "renameat2":
            armed[0] = False  # right before the exchange
            shutil.rmtree(out / "x")
            os.symlink(elsewhere, out / "x")

    sys.addaudithook(hook)
    try:
        write_output(_site(4, 2), out, swap=True, keep=True)
    finally:
        armed[0] = False
    assert (elsewhere / "y" / "secret.txt").read_text() == "secret"
    assert not (out / "x" / "y" / "secret.txt").exists()
    assert (out / "p2" / "index.html").read_bytes() == b"page 2 edited"


def test_a_page_written_over_the_old_site_beside_is_a_new_file_not_renamed_over_it(
        tmp_path: Path) -> None:
    """Issue 11: a page that changed again (the search index, in every one-edit build)
    was written under a temp name and renamed over the old site's file beside, and ext4
    then writes a file renamed over another out at once: 4 ms for a 5 MB index, a tenth of
    a one-edit build's write. It is a new file in its place: the only renames are those
    of the list beside."""
    out = tmp_path / "out"
    for size in (5000, 7000):  # beside: the first site's index, no link to the site's
        write_output(_site(20, 3) + [OutputFile("index.json", b"i" * size)], out,
                     swap=True, keep=True)
    renamed: list[str] = []
    armed = [True]

    def hook(event: str, args: tuple[object, ...]) -> None:
        if armed[0] and event == "os.rename":
            renamed.append(os.path.basename(os.fsdecode(args[1])))  # type: ignore[arg-type]

    sys.addaudithook(hook)
    try:
        write_output(_site(20, 4) + [OutputFile("index.json", b"j" * 6000)], out, swap=True,
                     keep=True)
    finally:
        armed[0] = False
    assert renamed == [STAGING_LIST, STAGING_LIST]
    assert read_tree(out) == {**{f"p{i}/index.html": f"page {i}{' edited' * (i == 4)}".encode()
                                 for i in range(20)}, "index.json": b"j" * 6000,
                              MANIFEST: (out / MANIFEST).read_bytes()}
    assert (staging_dir(out) / "index.json").read_bytes() == b"i" * 7000
    assert (staging_dir(out) / "p3" / "index.html").read_bytes() == b"page 3 edited"
    assert json.loads((staging_dir(out) / STAGING_LIST).read_bytes())["settled"] is True


def test_a_one_edit_build_checks_no_name_an_earlier_build_wrote(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11: every build checked every page's name again (2-3 ms of a one-edit build's
    write at 1,000 entries), though the last build wrote each of those names: only new
    ones are, and whether a path is a folder of another is still checked for all."""
    import generator.output as output

    entries = {f"content/e{i}.md": entry(f"Entry {i}", f"2026-01-{i + 10}", f"Body {i}.")
               for i in range(8)}
    root = make_log(tmp_path / "log", entries)
    out = tmp_path / "out"
    for number in (1, 2):
        (root / "content/e1.md").write_text(entry("Entry 1", "2026-01-11", f"Edit {number}."))
        build(root, output=out, use_cache=True)
    checked: list[str] = []
    check = output._invalid
    monkeypatch.setattr(output, "_invalid", lambda path: checked.append(path) or check(path))
    (root / "content/e1.md").write_text(entry("Entry 1", "2026-01-11", "Edit 3."))
    (root / "content/e9.md").write_text(entry("Entry 9", "2026-01-19", "New."))
    report = build(root, output=out, use_cache=True)
    assert "entries/entry-9/index.html" in checked
    assert len(checked) < 10 < len(report.written) + report.unchanged
    assert b"Edit 3." in (out / "entries" / "entry-1" / "index.html").read_bytes()


def test_a_new_path_that_is_the_folder_of_a_known_one_is_still_refused() -> None:
    known = {"a/index.html", "b", "c/d/index.html"}
    assert path_problems(["a/index.html", "b", "c/d/index.html", "c-e"], known) == []
    assert path_problems(["a/index.html", "a", "b", "b/x", "c/d/index.html", "c/d"],
                         known) == ["'a/index.html': 'a' is a file, so it cannot also be a folder",
                                    "'b/x': 'b' is a file, so it cannot also be a folder",
                                    "'c/d/index.html': 'c/d' is a file, so it cannot also be a "
                                    "folder"]
    assert path_problems(["a-b", "a", "a/c"]) == [
        "'a/c': 'a' is a file, so it cannot also be a folder"]


def test_a_large_file_is_hashed_beside_the_look_at_the_folders_and_left_alone_if_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11: the search index (5 MB at 1,000 entries, made anew by every edit) was
    hashed for the manifest before the write looked at the output folder: 2.3 ms of a
    one-edit build's write. A file of a megabyte or more is hashed in a thread of its own
    meanwhile; what the write decides is as before: the same bytes (by stamp and hash, or
    read) are left as they are, other bytes written, the manifest has their hash."""
    import threading

    import generator.output as output

    out = tmp_path / "out"
    index = bytes(range(256)) * 6000  # 1.5 MB
    write_output([OutputFile("index.json", index), *_site(3)], out, swap=True, keep=True)
    threads: list[str] = []
    sha256 = hashlib.sha256

    def hashing(data: bytes = b"") -> hashlib._Hash:
        if len(data) >= 1 << 20:
            threads.append(threading.current_thread().name)
        return sha256(data)

    monkeypatch.setattr(output.hashlib, "sha256", hashing)
    found = os.lstat(out / "index.json")
    on_disk = {"index.json": (output.Unread(found.st_size), sha256(index).hexdigest(),
                              output.file_stamp(found))}
    again = write_output([OutputFile("index.json", bytes(index)), *_site(3, 1)], out,
                         swap=True, keep=True, on_disk=on_disk)  # the same bytes, stamped
    assert again.written == ("p1/index.html",)
    assert os.lstat(out / "index.json").st_ino == found.st_ino
    changed = index[:-1] + b"!"
    third = write_output([OutputFile("index.json", changed), *_site(3, 1)], out, swap=True,
                         keep=True)  # other bytes of the same size, no stamp known: read
    assert third.written == ("index.json",)
    assert (out / "index.json").read_bytes() == changed
    assert read_manifest(out)["index.json"] == sha256(changed).hexdigest()
    assert len(threads) == 2 and threading.current_thread().name not in threads


def test_a_write_that_stops_before_the_exchange_leaves_no_thread_hashing(
        tmp_path: Path) -> None:
    """A write stopped by a page changed since the build began (PagesChanged: build.py
    renders it again, and may fork processes to) waits for the thread hashing a large
    file: no thread of the write outlives it."""
    import threading

    import generator.output as output

    out = tmp_path / "out"
    write_output(_site(3), out, swap=True, keep=True)
    found = os.lstat(out / "p1" / "index.html")
    on_disk = {"p1/index.html": (output.Unread(found.st_size), "0" * 64,
                                 (found.st_size, found.st_mtime_ns, 0, found.st_ino))}
    files = [OutputFile("big", bytes(64 << 20)),
             OutputFile("p0/index.html", b"page 0"), OutputFile("p1/index.html", on_disk[
                 "p1/index.html"][0]), OutputFile("p2/index.html", b"page 2")]
    before = threading.active_count()
    with pytest.raises(output.PagesChanged):
        write_output(files, out, swap=True, keep=True, on_disk=on_disk)
    assert threading.active_count() == before
    assert not (out / "big").exists()
