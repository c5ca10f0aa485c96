"""output.py: atomic writes, unchanged files left alone, only our own stale files pruned."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.errors import GrowthlogError, OutputRefused
from generator.output import JOURNAL, MANIFEST, check_output_dir, read_manifest, write_output
from generator.render import OutputFile


def _files(**pages: str) -> list[OutputFile]:
    return [OutputFile(path.replace("__", "/"), text.encode()) for path, text in pages.items()]


def test_first_write_writes_every_file_and_a_manifest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = write_output(_files(index_html="home", tags__index_html="tags"), out)
    assert report.written == ("index_html", "tags/index_html")
    assert (report.unchanged, report.removed) == (0, ())
    assert (out / "tags" / "index_html").read_text() == "tags"
    assert sorted(read_manifest(out)) == ["index_html", "tags/index_html"]
    assert json.loads((out / MANIFEST).read_text())["version"] == 1
    assert not [p for p in out.rglob("*growthlog-tmp*")]


def test_unchanged_files_are_not_rewritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(_files(a="1", b="2"), out)
    os.utime(out / "a", ns=(1_000_000_000, 1_000_000_000))
    report = write_output(_files(a="1", b="changed"), out)
    assert report.written == ("b",)
    assert report.unchanged == 1
    assert (out / "a").stat().st_mtime_ns == 1_000_000_000


def test_an_unchanged_build_does_not_touch_the_manifest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(_files(a="1"), out)
    os.utime(out / MANIFEST, ns=(1_000_000_000, 1_000_000_000))
    assert write_output(_files(a="1"), out).written == ()
    assert (out / MANIFEST).stat().st_mtime_ns == 1_000_000_000


def test_a_file_edited_by_hand_is_written_again(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(_files(a="same"), out)
    (out / "a").write_text("tampered!")
    assert write_output(_files(a="same"), out).written == ("a",)
    assert (out / "a").read_text() == "same"


def test_stale_files_we_wrote_are_removed_with_their_empty_folders(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(_files(index="x", entries__old__index="old", entries__new__index="new"), out)
    (out / "CNAME").write_text("log.example.org")
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref")
    (out / "entries" / "old" / "notes.txt").write_text("mine")
    report = write_output(_files(index="x", entries__new__index="new"), out)
    assert report.removed == ("entries/old/index",)
    assert not (out / "entries" / "old" / "index").exists()
    assert (out / "entries" / "old" / "notes.txt").read_text() == "mine"
    assert (out / "CNAME").read_text() == "log.example.org"
    assert (out / ".git" / "HEAD").read_text() == "ref"
    write_output(_files(index="x"), out)
    assert not (out / "entries" / "new").exists()


@pytest.mark.parametrize("path", ["../escape", "/etc/passwd", "a/../../b", "", "a//b", "x/"])
def test_never_writes_outside_the_output_folder(tmp_path: Path, path: str) -> None:
    out = tmp_path / "out"
    with pytest.raises(OutputRefused) as info:
        write_output([OutputFile("a.html", b"fine"), OutputFile(path, b"x")], out)
    assert str(info.value) == ("refusing to write the site; nothing was written:\n"
                               f"{path!r}: not a file path inside the output folder")
    assert sorted(p.name for p in tmp_path.rglob("*")) == []


def test_a_manifest_entry_pointing_outside_is_never_deleted(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (out / MANIFEST).write_text(json.dumps({"version": 1, "files": {"../victim.txt": "x"}}))
    assert write_output([], out).removed == ()
    assert victim.read_text() == "keep me"


def test_a_broken_manifest_is_treated_as_empty(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST).write_text("{not json")
    assert read_manifest(out) == {}
    assert write_output(_files(a="1"), out).written == ("a",)


def _refusal(out: Path, root: Path) -> str:
    with pytest.raises(OutputRefused) as info:
        check_output_dir(out, root)
    return str(info.value)


def test_refuses_the_log_root_and_its_parents(tmp_path: Path) -> None:
    root = tmp_path / "log"
    (root / "content").mkdir(parents=True)
    assert _refusal(root, root) == (f"refusing to write the site into {root}: it contains the "
                                    "log itself; choose an output folder such as output/")
    assert _refusal(tmp_path, root) == (f"refusing to write the site into {tmp_path}: it "
                                        "contains the log itself; choose an output folder such "
                                        "as output/")


def test_refuses_a_folder_inside_content(tmp_path: Path) -> None:
    root = tmp_path / "log"
    (root / "content").mkdir(parents=True)
    for out in (root / "content", root / "content" / "site"):
        assert _refusal(out, root) == (f"refusing to write the site into {out}: it is inside "
                                       "content/")


def test_refuses_a_folder_that_contains_a_content_folder(tmp_path: Path) -> None:
    root = tmp_path / "log"
    other = tmp_path / "elsewhere"
    (other / "content").mkdir(parents=True)
    root.mkdir()
    expected = (f"refusing to write the site into {other}: it holds a content/ folder, so it "
                "looks like a log; choose another output folder")
    assert _refusal(other, root) == expected
    write_output([], other)  # even with a manifest of ours it stays refused
    assert _refusal(other, root) == expected


def test_refuses_a_non_empty_folder_without_a_manifest(tmp_path: Path) -> None:
    root = tmp_path / "log"
    root.mkdir()
    out = tmp_path / "docs"
    out.mkdir()
    for name in ("a.txt", "b.txt", "c.txt", "d.txt"):
        (out / name).write_text("x")
    assert _refusal(out, root) == (
        f"refusing to write the site into {out}: it holds files growthlog did not write "
        "(a.txt, b.txt, c.txt…); empty it or choose another folder")


def test_refuses_a_file(tmp_path: Path) -> None:
    root = tmp_path / "log"
    root.mkdir()
    out = tmp_path / "out"
    out.write_text("x")
    assert _refusal(out, root) == f"refusing to write the site into {out}: it is a file"


def test_accepts_missing_empty_dot_only_and_own_folders(tmp_path: Path) -> None:
    root = tmp_path / "log"
    root.mkdir()
    check_output_dir(root / "output", root)
    (tmp_path / "empty").mkdir()
    check_output_dir(tmp_path / "empty", root)
    (tmp_path / "dots" / ".git").mkdir(parents=True)
    check_output_dir(tmp_path / "dots", root)
    write_output(_files(a="1"), tmp_path / "ours")
    check_output_dir(tmp_path / "ours", root)


def test_a_write_that_fails_is_a_calm_error(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("a file where the folder should be")
    with pytest.raises(GrowthlogError) as info:
        write_output(_files(index_html="x"), tmp_path / "out" / "site")
    # The journal is the first thing a build writes, so it is what fails first.
    assert str(info.value) == (f"could not write {tmp_path / 'out' / 'site' / JOURNAL}: "
                               "Not a directory")


def test_every_path_is_checked_before_the_first_write(tmp_path: Path) -> None:
    """Issue 9 #16: a bad path sorted after good ones used to stop the build half-way."""
    out = tmp_path / "out"
    files = [OutputFile("a/index.html", b"a"), OutputFile("stages/../../x/index.html", b"x"),
             OutputFile("b", b"file"), OutputFile("b/c", b"inside a file"),
             OutputFile("n\x00ul", b"nul"), OutputFile("x" * 256, b"long")]
    with pytest.raises(OutputRefused) as info:
        write_output(files, out)
    assert str(info.value).splitlines() == [
        "refusing to write the site; nothing was written:",
        "'b/c': 'b' is a file, so it cannot also be a folder",
        "'n\\x00ul': 'n\\x00ul' holds a NUL character, which no file name can",
        "'stages/../../x/index.html': not a file path inside the output folder",
        f"'{'x' * 256}': a name is longer than 255 bytes"]
    assert not out.exists() and not (tmp_path / "x").exists()


def test_a_file_changed_on_disk_is_written_again_whatever_the_manifest_says(
        tmp_path: Path) -> None:
    """Issue 10 #1: same size, hash unchanged in the manifest, other bytes on disk."""
    out = tmp_path / "out"
    write_output(_files(a="good", b="same"), out)
    (out / "a").write_text("evil")
    (out / "b").unlink()
    report = write_output(_files(a="good", b="same"), out)
    assert report.written == ("a", "b")
    assert (out / "a").read_text() == "good" and (out / "b").read_text() == "same"


def test_a_name_of_255_bytes_is_written(tmp_path: Path) -> None:
    """Issue 10 #1: the temp name of a legal long name used to be over 255 bytes."""
    name = "é" * 127 + "x"  # 255 bytes
    out = tmp_path / "out"
    assert write_output([OutputFile(f"media/{name}", b"data")], out).written == (
        f"media/{name}",)
    assert (out / "media" / name).read_bytes() == b"data"
    assert sorted(p.name for p in out.rglob("*")) == [MANIFEST, "media", name]


def test_a_file_of_ours_where_a_folder_is_needed_makes_way(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(_files(x="file", y__index="page"), out)
    report = write_output(_files(x__index="page", y="file"), out)
    assert report.removed == ("x", "y/index")
    assert (out / "x" / "index").read_text() == "page" and (out / "y").read_text() == "file"
    assert sorted(read_manifest(out)) == ["x/index", "y"]


def test_something_not_ours_in_the_way_is_refused_before_writing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(_files(a="1"), out)
    (out / "tags").write_text("the author's file")
    (out / "z").mkdir()
    (out / "z" / "notes.txt").write_text("the author's notes")
    with pytest.raises(OutputRefused) as info:
        write_output(_files(a="2", tags__x="page", z="page"), out)
    assert str(info.value) == (
        f"refusing to write the site into {out}: tags is a file where the site needs a folder; "
        "z is a folder where the site needs a file; move those away and build again")
    assert (out / "a").read_text() == "1"
    assert (out / "tags").read_text() == "the author's file"
    assert (out / "z" / "notes.txt").read_text() == "the author's notes"


def test_refuses_a_folder_inside_a_symlinked_content(tmp_path: Path) -> None:
    """Issue 10 #4: content/ linked elsewhere; the output inside it, named through the link."""
    root = tmp_path / "log"
    root.mkdir()
    (tmp_path / "notes").mkdir()
    (root / "content").symlink_to(tmp_path / "notes")
    for out in (root / "content" / "site", tmp_path / "notes" / "site"):
        assert _refusal(out, root) == (f"refusing to write the site into {out}: it is inside "
                                       "content/")
    assert _refusal(tmp_path, root).endswith("it contains the log itself; choose an output "
                                             "folder such as output/")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="ab./", max_size=3), min_size=1, max_size=4))
def test_output_paths_are_read_as_pathlib_reads_them(parts: list[str]) -> None:
    """Folders and absolute paths found with string operations (serve asks about every
    path of the site on every save), as PurePosixPath finds them."""
    from pathlib import PurePosixPath

    from generator.output import _invalid, _parents

    path = "/".join(parts)
    shape = not path or PurePosixPath(path).is_absolute() or path.endswith("/")
    assert (_invalid(path) == "not a file path inside the output folder") == (
        shape or any(q in ("", ".", "..") for q in path.split("/")))
    if _invalid(path) is None:
        assert _parents(path) == [p.as_posix() for p in PurePosixPath(path).parents]
