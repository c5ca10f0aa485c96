"""What output.py promises and the mutation run found untested: a write interrupted part-way
(its journal, its temp files) is finished by the next one, a swapped build falls back to
writing in place where it must, and what a killed build left beside the folder is cleared
without a page of it ending up in the site. Real folders and files throughout.

The bookkeeping files are named as they are on disk, not through output.py's constants: a
folder an earlier growthlog wrote, or a build of it left when killed, must still be known
(and the workflow `init` writes, the audit and .gitignore name them too)."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.errors import GrowthlogError, OutputRefused
from generator.output import check_output_dir, read_manifest, write_output
from generator.render import OutputFile

from conftest import read_tree, run_in_own_namespace

MANIFEST = ".growthlog-manifest.json"
JOURNAL = ".growthlog-journal.json"
STAGING_LIST = ".growthlog-staging.json"


def staging_dir(out: Path) -> Path:
    return out.with_name(f".{out.name}.growthlog-staging")


def _files(**pages: str) -> list[OutputFile]:
    return [OutputFile(path.replace("__", "/"), text.encode()) for path, text in pages.items()]


def _temp(folder: Path, name: str) -> Path:
    """Where a write of folder/name keeps its bytes until the rename (output.py's scheme)."""
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return folder / f".{digest}.growthlog-tmp"


def _leftovers(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.growthlog-tmp"))


def test_an_output_folder_holding_the_logs_linked_content_is_refused(tmp_path: Path) -> None:
    """content/ linked from elsewhere: the folder it lives in is no place for the site."""
    root = tmp_path / "log"
    root.mkdir()
    (tmp_path / "notes" / "content").mkdir(parents=True)
    (root / "content").symlink_to(tmp_path / "notes" / "content")
    with pytest.raises(OutputRefused) as info:
        check_output_dir(tmp_path / "notes", root)
    assert str(info.value) == (f"refusing to write the site into {tmp_path / 'notes'}: it "
                               "holds the log's content/ folder; choose another output folder")


@pytest.mark.parametrize("swap", [False, True], ids=["in place", "swap"])
def test_a_write_interrupted_part_way_is_finished_by_the_next(tmp_path: Path,
                                                               swap: bool) -> None:
    """An in-place write killed after its journal: the pages it had written (not yet in a
    manifest) and its temp files go with the next write, swapped or not, and so does the
    journal; what the author put there stays."""
    out = tmp_path / "out"
    write_output(_files(a="1", b="2"), out)
    (out / JOURNAL).write_text(json.dumps({"version": 1, "pending": ["half", "new/page"]}))
    (out / "half").write_text("written by the killed build")
    (out / "new").mkdir()
    (out / "new" / "page").write_text("also")
    _temp(out, "a").write_text("half of a")
    _temp(out / "new", "page").write_text("half of page")
    (out / "CNAME").write_text("log.example.org\n")
    report = write_output(_files(a="1", b="two"), out, swap=swap)
    assert (report.written, report.removed) == (("b",), ("half", "new/page"))
    assert read_tree(out) == {"CNAME": b"log.example.org\n", "a": b"1", "b": b"two",
                              MANIFEST: (out / MANIFEST).read_bytes()}
    assert sorted(read_manifest(out)) == ["a", "b"]


def test_a_journal_without_its_list_still_clears_the_temp_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(_files(a="1"), out)
    (out / JOURNAL).write_text('{"version": 1}')
    _temp(out, "a").write_text("half")
    report = write_output(_files(a="1"), out)
    assert (report.written, report.unchanged) == ((), 1)
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "a"]


def test_temp_files_of_the_manifest_and_journal_a_killed_write_left_are_removed(
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(_files(a="1"), out)
    _temp(out, MANIFEST).write_text("{half")
    _temp(out, JOURNAL).write_text("{half")
    write_output(_files(a="1"), out)
    assert _leftovers(out) == []


def test_a_stale_page_goes_with_the_temp_file_a_killed_write_of_it_left(
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(_files(a="1", old__page="2"), out)
    _temp(out / "old", "page").write_text("half")
    assert write_output(_files(a="1"), out).removed == ("old/page",)
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "a"]


def test_a_swapped_write_into_a_file_is_refused_and_leaves_the_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("the author's file")
    with pytest.raises(GrowthlogError) as info:
        write_output(_files(a="1"), out, swap=True)
    assert str(info.value) == f"could not write {out / JOURNAL}: File exists"
    assert out.read_text() == "the author's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_file_of_yours_left_beside_the_folder_is_kept_and_the_site_written_in_place(
        tmp_path: Path) -> None:
    """The staging folder holds a file growthlog did not write whose name the output folder
    already has: it cannot be moved in, so it stays, and the build writes in place."""
    out = tmp_path / "out"
    write_output(_files(a="1"), out, swap=True)
    (out / "notes.txt").write_text("in the site")
    staging = staging_dir(out)
    staging.mkdir()
    (staging / "notes.txt").write_text("beside it")
    folder = os.stat(out).st_ino
    report = write_output(_files(a="2"), out, swap=True)
    assert report.written == ("a",)
    assert os.stat(out).st_ino == folder  # written in place
    assert (out / "a").read_text() == "2" and (out / "notes.txt").read_text() == "in the site"
    assert (staging / "notes.txt").read_text() == "beside it"


def test_a_page_a_killed_swapped_build_wrote_is_not_carried_into_the_site(
        tmp_path: Path) -> None:
    """Killed before the exchange, a build leaves the staging folder with the list of what it
    was writing: a page of that list the next build does not want is deleted, not taken
    for a file of the author's and moved into the site."""
    out = tmp_path / "out"
    write_output(_files(a="1"), out, swap=True)
    staging = staging_dir(out)
    (staging / "drafts").mkdir(parents=True)
    (staging / STAGING_LIST).write_text(json.dumps({"version": 1,
                                                    "pending": ["a", "drafts/secret"]}))
    (staging / "drafts" / "secret").write_text("a draft page")
    (staging / "notes" / "2026").mkdir(parents=True)  # the author's, saved there by hand
    (staging / "notes" / "2026" / "mine.txt").write_text("mine")
    write_output(_files(a="1"), out, swap=True)
    assert not staging.exists()
    assert read_tree(out) == {"a": b"1", "notes/2026/mine.txt": b"mine",
                              MANIFEST: (out / MANIFEST).read_bytes()}


def test_a_folder_an_earlier_build_wrote_is_still_known_as_the_sites(tmp_path: Path) -> None:
    """Its manifest, as on disk: the folder is not refused, and a page it lists that the
    site no longer has is removed."""
    root = tmp_path / "log"
    root.mkdir()
    out = tmp_path / "site"
    out.mkdir()
    (out / "old.html").write_text("old")
    (out / MANIFEST).write_text(json.dumps({"version": 1, "files": {"old.html": "x"}}))
    check_output_dir(out, root)
    assert write_output(_files(a="1"), out, swap=True).removed == ("old.html",)
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "a"]


def test_an_unchanged_write_in_place_changes_nothing_in_the_folder(tmp_path: Path) -> None:
    """Not even a journal written and removed again: the folder's own mtime stays."""
    out = tmp_path / "out"
    write_output(_files(a="1", b__c="2"), out)
    stamps = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in [out, *out.rglob("*")]}
    report = write_output(_files(a="1", b__c="2"), out)
    assert (report.written, report.unchanged, report.removed) == ((), 2, ())
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in [out, *out.rglob("*")]} == stamps


def test_serves_fast_path_does_not_read_the_pages_it_wrote_last_time(tmp_path: Path) -> None:
    """serve passes the bytes it wrote last: equal bytes are skipped without opening the
    file on disk, so a rebuild of a large site costs no reading of it."""
    out = tmp_path / "out"
    files = _files(a="page a", b__c="page c", d="page d")  # not one byte: no shared object
    write_output(files, out)
    opened: list[str] = []
    listening = True

    def hook(event: str, args: tuple[object, ...]) -> None:
        if listening and event == "open" and isinstance(args[0], str | Path):
            opened.append(Path(args[0]).relative_to(out).as_posix()
                          if Path(args[0]).is_relative_to(out) else "")

    sys.addaudithook(hook)  # stays for the session, silent once `listening` is False
    try:
        again = _files(a="page a", b__c="page c", d="page D")  # d: the same size, read
        report = write_output(again, out, {f.path: f.data for f in files})
    finally:
        listening = False
    assert report.written == ("d",)
    assert sorted(p for p in opened if p and not p.startswith(".")) == ["d"]


def test_the_output_folder_keeps_its_permissions_through_a_swap(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(_files(a="1"), out, swap=True)
    out.chmod(0o750)
    folder = os.stat(out).st_ino
    write_output(_files(a="2"), out, swap=True)
    assert os.stat(out).st_ino != folder  # swapped
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o750


def test_a_path_too_long_for_the_system_names_the_output_folder_and_changes_nothing(
        tmp_path: Path) -> None:
    """Each name is legal, the whole path is not (over 4,096 bytes): the error names the
    folder the author asked for, never the hidden one beside it, and the site is as it was."""
    out = tmp_path / "out"
    write_output(_files(a="1"), out, swap=True)
    deep = "/".join(["d" * 250] * 20) + "/index.html"
    with pytest.raises(GrowthlogError) as info:  # b, a new page, is written before it fails
        write_output([*_files(a="2", b="new"), OutputFile(deep, b"x")], out, swap=True)
    message = str(info.value)
    assert message.startswith(f"could not write {out}/{'d' * 250}/")
    assert message.endswith(": File name too long") and "staging" not in message
    assert read_tree(out) == {"a": b"1", MANIFEST: (out / MANIFEST).read_bytes()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_bad_name_under_a_file_is_named_for_what_is_wrong_with_it(tmp_path: Path) -> None:
    with pytest.raises(OutputRefused) as info:
        write_output([OutputFile("b", b"file"), OutputFile("b/n\x00ul", b"nul")],
                     tmp_path / "out")
    assert str(info.value).splitlines()[1:] == [
        "'b/n\\x00ul': 'n\\x00ul' holds a NUL character, which no file name can"]


def test_a_write_in_place_records_its_journal_first_and_once(
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(_files(a="1", b="2", c="3", old="4"), out)
    renamed: list[str] = []
    listening = True

    def hook(event: str, args: tuple[object, ...]) -> None:
        if listening and event == "os.rename" and isinstance(args[1], str | Path):
            renamed.append(Path(args[1]).name)

    sys.addaudithook(hook)  # stays for the session, silent once `listening` is False
    try:
        report = write_output(_files(a="one", b="two", c="three"), out)
    finally:
        listening = False
    assert (report.written, report.removed) == (("a", "b", "c"), ("old",))
    assert renamed == [JOURNAL, "a", "b", "c", MANIFEST]  # the journal before any page
    assert not (out / JOURNAL).exists()


def _tree(folder: Path) -> set[str]:
    """Every path under folder, folders (with a slash) and symbolic links too."""
    found = set()
    for here, dirs, names in os.walk(folder):
        relative = Path(here).relative_to(folder)
        found |= {(relative / d).as_posix() + "/" for d in dirs}
        found |= {(relative / n).as_posix() for n in names}
    return found


def test_the_files_of_yours_are_in_the_folder_from_the_moment_it_is_swapped_in(
        tmp_path: Path) -> None:
    """A reader (a server, git) looking at the folder just after the exchange, before the old
    one is cleared, sees the author's files, folders and links already there."""
    out = tmp_path / "out"
    write_output(_files(index_html="old", tags__index_html="tags"), out, swap=True)
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref\n")
    (out / "CNAME").write_text("log.example.org\n")
    (out / "empty").mkdir()
    (out / "tags" / "mine.txt").write_text("mine")
    os.symlink("CNAME", out / "link")
    os.symlink(".git", out / "folder-link")
    yours = {".git/", ".git/HEAD", "CNAME", "empty/", "tags/mine.txt", "link", "folder-link/"}
    seen: list[set[str]] = []
    state = {"swapped": False, "listening": True}

    def hook(event: str, args: tuple[object, ...]) -> None:
        if not state["listening"]:
            return
        if event == "ctypes.dlsym" and args[1] == "renameat2":  # called right after
            state["swapped"] = True
        elif state["swapped"] and event == "open" and not seen:
            state["listening"] = False  # the first file opened after it: look now
            seen.append(_tree(out))

    sys.addaudithook(hook)  # stays for the session, silent once it has looked
    try:
        write_output(_files(index_html="new", tags__index_html="tags"), out, swap=True)
    finally:
        state["listening"] = False
    assert seen and yours <= seen[0]
    assert {"index_html", "tags/index_html"} <= seen[0]
    assert yours <= _tree(out) and os.readlink(out / "link") == "CNAME"


def test_a_stale_page_already_deleted_by_hand_is_not_counted_as_removed(
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(_files(a="1", old="2", gone="3"), out)
    (out / "gone").unlink()
    assert write_output(_files(a="1"), out).removed == ("old",)
    assert sorted(read_manifest(out)) == ["a"]


@pytest.mark.parametrize("path", ["./a", "a/./b", "a/."])
def test_a_path_with_a_dot_for_a_folder_is_refused(tmp_path: Path, path: str) -> None:
    """'a/./b' would be written as a/b while the manifest listed another name."""
    with pytest.raises(OutputRefused) as info:
        write_output([OutputFile(path, b"x")], tmp_path / "out")
    assert str(info.value).splitlines()[1:] == [
        f"{path!r}: not a file path inside the output folder"]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("count", "last"), [(10, "'09/../x': not a file path inside the "
                                                   "output folder"), (11, "… and 1 more")])
def test_more_than_ten_bad_paths_are_counted_not_listed(tmp_path: Path, count: int,
                                                        last: str) -> None:
    bad = [OutputFile(f"{n:02}/../x", b"x") for n in range(count)]
    with pytest.raises(OutputRefused) as info:
        write_output(bad, tmp_path / "out")
    lines = str(info.value).splitlines()
    assert len(lines) == min(count, 11) + 1 and lines[-1] == last


def test_a_folder_the_site_no_longer_has_is_gone_after_a_swap(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(_files(a="1", old__deep__page="2"), out, swap=True)
    report = write_output(_files(a="1"), out, swap=True)
    assert report.removed == ("old/deep/page",)
    assert _tree(out) == {"a", MANIFEST}


def test_a_first_swapped_build_makes_the_folder_as_any_program_would(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    out = tmp_path / "out"
    write_output(_files(a="1"), out, swap=True)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o777 & ~umask


def test_a_name_that_is_not_utf8_is_written_as_it_came(tmp_path: Path) -> None:
    """An attachment saved with a Latin-1 name (b'caf\\xe9.png', read as 'caf\\udce9.png')."""
    out = tmp_path / "out"
    name = os.fsdecode(b"caf\xe9.png")
    written = [write_output([OutputFile(f"media/{name}", data)], out, swap=swap).written
               for swap, data in ((False, b"png"), (True, b"png, again"))]
    assert written == [(f"media/{name}",)] * 2
    assert os.listdir(os.fsencode(out / "media")) == [b"caf\xe9.png"]
    assert (out / "media" / name).read_bytes() == b"png, again"


def test_what_is_in_the_way_is_named_ten_at_most(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(_files(a="1"), out)
    for n in range(11):
        (out / f"p{n:02}").write_text("the author's file")
    with pytest.raises(OutputRefused) as info:
        write_output([OutputFile(f"p{n:02}/index.html", b"x") for n in range(11)], out)
    named = str(info.value).split(": ", 1)[1].split("; ")
    assert named[:-1] == [f"p{n:02} is a file where the site needs a folder" for n in range(10)]
    assert named[-1] == "move those away and build again"


def test_what_a_failed_write_in_place_wrote_goes_with_the_next(tmp_path: Path) -> None:
    """The journal it left lists the page it wrote before failing: the next write, which no
    longer wants it, removes it."""
    out = tmp_path / "out"
    write_output(_files(a="1"), out)
    deep = "/".join(["d" * 250] * 20) + "/index.html"
    with pytest.raises(GrowthlogError):
        write_output([*_files(a="1", b="new"), OutputFile(deep, b"x")], out)
    assert (out / "b").read_text() == "new"
    assert write_output(_files(a="1"), out).removed == ("b",)
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "a"]


def test_a_file_of_yours_beside_the_folder_goes_into_a_folder_the_site_has(
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(_files(tags__index_html="tags"), out, swap=True)
    staging = staging_dir(out)
    (staging / "tags").mkdir(parents=True)
    (staging / "tags" / "mine.txt").write_text("mine")
    write_output(_files(tags__index_html="tags"), out, swap=True)
    assert not staging.exists() and (out / "tags" / "mine.txt").read_text() == "mine"


def _on_exchange(act: Callable[[], None]) -> Callable[[str, tuple[object, ...]], None]:
    """An audit hook that runs `act` once, as a swapped build looks up renameat2: after the
    new site is put together beside the folder, just before the two are exchanged. Hooks
    stay for the session, so this one goes silent once it has acted."""
    state = {"done": False}

    def hook(event: str, args: tuple[object, ...]) -> None:
        if not state["done"] and event == "ctypes.dlsym" and args[1] == "renameat2":
            state["done"] = True
            act()
    return hook


def test_an_empty_folder_made_while_a_swapped_build_runs_is_kept(tmp_path: Path) -> None:
    """The author makes empty folders in the site while a build is writing the new one (after
    it linked their files over): they are in the folder after the swap, nested ones too."""
    out = tmp_path / "out"
    write_output(_files(index_html="old", tags__index_html="tags"), out, swap=True)

    def make() -> None:
        (out / "drafts").mkdir()
        (out / "notes" / "later").mkdir(parents=True)
    sys.addaudithook(_on_exchange(make))
    report = write_output(_files(index_html="new", tags__index_html="tags"), out, swap=True)
    assert report.written == ("index_html",)
    assert (out / "index_html").read_text() == "new"
    assert (out / "drafts").is_dir() and (out / "notes" / "later").is_dir()
    assert not staging_dir(out).exists()


def test_a_libc_without_renameat2_writes_the_site_in_place(tmp_path: Path) -> None:
    """An older C library has no renameat2 (ctypes then raises AttributeError, as the audit
    hook makes it here): the build writes the new site in place, and nothing is left beside."""
    out = tmp_path / "out"
    write_output(_files(index_html="old", tags__index_html="tags"), out, swap=True)
    (out / "CNAME").write_text("log.example.org\n")
    before = (out / "tags" / "index_html").stat().st_ino

    def missing() -> None:
        raise AttributeError("undefined symbol: renameat2")
    sys.addaudithook(_on_exchange(missing))
    report = write_output(_files(index_html="new", tags__index_html="tags"), out, swap=True)
    assert report.written == ("index_html",)
    site = read_tree(out)
    assert set(json.loads(site.pop(MANIFEST))["files"]) == {"index_html", "tags/index_html"}
    assert site == {"index_html": b"new", "tags/index_html": b"tags", "CNAME": b"log.example.org\n"}
    assert (out / "tags" / "index_html").stat().st_ino == before  # in place: left alone
    assert not staging_dir(out).exists()


@pytest.mark.parametrize("kind", ["overlay", "bind", "protected"])
def test_a_folder_that_cannot_be_exchanged_gets_the_site_written_in_place(
        tmp_path: Path, kind: str) -> None:
    """A container's output folder from its image (the lower layer of an overlay), or one
    bind-mounted into it, cannot be exchanged with a sibling: the build writes the new site in
    place, the author's file stays, and the folder it put the new site together in is gone.
    So does one holding a file of another user that the kernel lets no one else link
    (fs.protected_hardlinks). (Both failed every build after the first: "could not write
    out: Invalid cross-device link", "…: Operation not permitted".)"""
    mount = tmp_path / "mnt"
    mount.mkdir()
    if kind == "protected":
        if os.geteuid() != 0 or Path("/proc/sys/fs/protected_hardlinks").read_text() != "1\n":
            pytest.skip("needs root to give a file to another user, and protected_hardlinks")
        write_output(_files(**{"index.html": "old", "tags__index.html": "tags"}), mount,
                     swap=True)
        (mount / "CNAME").write_text("log.example.org\n")
        os.chown(mount / "CNAME", 4242, 4242)
        os.chmod(mount / "CNAME", 0o644)
    # In a user namespace alone for "protected": 4242 is not mapped there.
    done = run_in_own_namespace("mount_child.py", kind, str(mount), what=kind,
                                mounts=kind != "protected", timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["written"] == ["index.html"] and seen["unchanged"] == 1
    files = seen["files"]
    assert set(json.loads(files.pop(MANIFEST))["files"]) == {"index.html", "tags/index.html"}
    assert files == {"index.html": "new", "tags/index.html": "tags",
                     "CNAME": "log.example.org\n"}
    assert not seen["left_beside"]
