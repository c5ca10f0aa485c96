"""A build that dies at any moment leaves a folder the next plain build repairs: killed
(SIGKILL of a real process) at many points of a first and of a later build, or stopped by a
full disk; every build after it equals a clean build byte for byte, and nothing growthlog did
not write is ever deleted. Also: everything that can fail is checked before the first write."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator.build import build, check
from generator.errors import ProblemsFound

from conftest import entry, make_log, read_tree


def test_a_stage_that_is_no_folder_name_stops_check_and_build_before_any_write(
        tmp_path: Path) -> None:
    """Issue 9 #16: a stage named '../../x' stopped a public build part-way."""
    config = 'stages = ["applied", "../../x", "a/./b", "nul\\u0000"]\n'
    root = make_log(tmp_path / "log", {"content/a.md": entry(stage='"../../x"'),
                                       "content/b.md": entry("B", stage="applied")}, config)
    expected = ("growthlog.toml:1: stages: each stage names a page folder (stages/<stage>/), "
                "so no part of it between '/' may be '.' or '..', it holds no control "
                "characters, and is at most 200 bytes; found ['../../x', 'a/./b', 'nul\\x00']")
    for run in (check, build):
        with pytest.raises(ProblemsFound) as info:
            run(root)
        assert expected in str(info.value).splitlines()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_dir()) == ["content", "log"]
    (root / "growthlog.toml").write_text('stages = ["applied", "x"]\n')
    (root / "content" / "a.md").write_text(entry(stage="x"))
    assert build(root).written


# --- crash consistency -------------------------------------------------------------------

TESTS = Path(__file__).resolve().parent
TRIALS = int(os.environ.get("GROWTHLOG_KILL_TRIALS", "7"))
"""Kill points per scenario (spread over every change a build makes); 0 means all of them."""
AUTHOR_FILES = {"CNAME": b"log.example.org\n", "notes.txt": b"mine\n", ".git/HEAD": b"ref\n"}

V1 = {"content/2026/a.md": entry("Data Engineer at Acme", tags="[sql, python]",
                                 body="![d](diagram.png)"),
      "content/2026/diagram.png": b"\x89PNG not really",
      "content/2026/b.md": entry("Analyst at Brightline", "2026-02-01", company="Brightline"),
      "content/2025/c.md": entry("Intern at Corvid", "2025-06-01", stage="interview")}
V2 = {"content/2026/a.md": entry("Data Engineer at Acme", tags="[sql, rust]", body="Edited."),
      "content/2025/c.md": entry("Lead at Corvid", "2025-06-01", stage="offer"),
      "content/2026/d.md": entry("Platform at Dunmore", "2026-04-01", company="Dunmore",
                                 tags="[kubernetes]")}


def _log(folder: Path, files: dict[str, str | bytes]) -> Path:
    shutil.rmtree(folder / "content", ignore_errors=True)
    return make_log(folder, dict(files))


def _counting_build(root: Path, out: Path, kill_at: int, counter: Any) -> None:
    """In a forked child: build, SIGKILLed just before its kill_at-th change under out."""
    folder, seen = os.path.realpath(out), 0

    def hook(event: str, details: tuple[Any, ...]) -> None:
        nonlocal seen
        path = details[0] if details else None
        if event == "open" and not (isinstance(details[1], str) and details[1][0] in "wax"
                                    or details[1] is None and details[2] & os.O_CREAT):
            return
        if event in ("open", "os.rename", "os.remove", "os.mkdir", "os.rmdir") and \
                isinstance(path, str) and os.path.realpath(path).startswith(folder):
            if seen == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            seen += 1
            counter.value = seen

    sys.addaudithook(hook)
    build(root, output=out)


def _killed_at(root: Path, out: Path, kill_at: int) -> tuple[int | None, int]:
    """(exit code, changes made) of a build in a real child process killed at that point."""
    context = multiprocessing.get_context("fork")
    counter = context.Value("i", 0)
    child = context.Process(target=_counting_build, args=(root, out, kill_at, counter))
    child.start()
    child.join(60)
    return child.exitcode, counter.value


def _points(total: int) -> list[int]:
    if TRIALS == 0 or TRIALS >= total:
        return list(range(total))
    return sorted({round(i * (total - 1) / (TRIALS - 1)) for i in range(TRIALS)})


def _site(out: Path) -> dict[str, bytes]:
    return {k: v for k, v in read_tree(out).items() if k not in AUTHOR_FILES}


@pytest.mark.parametrize(("later", "then"), [(False, V2), (True, V2), (True, V1)],
                         ids=["first build", "later build", "later build, then reverted"])
def test_a_build_killed_at_any_point_is_repaired_by_the_next_plain_build(
        tmp_path: Path, later: bool, then: dict[str, str | bytes]) -> None:
    """Issue 10 #1, #2: after kill -9 the next build refused the folder (first build), or
    kept the killed build's pages and files (a later build, then the edits reverted)."""
    clean = tmp_path / "clean"
    build(_log(clean, then), output=clean / "output")
    expected = _site(clean / "output")
    root = _log(tmp_path / "log", V1)
    before = tmp_path / "before"
    if later:
        build(root, output=before)
        for name, data in AUTHOR_FILES.items():
            (before / name).parent.mkdir(parents=True, exist_ok=True)
            (before / name).write_bytes(data)
    _log(root, V2)
    out = tmp_path / "output"
    _copy(before, out)
    code, total = _killed_at(root, out, 10**9)
    assert code == 0 and total > 20
    killed = 0
    for point in _points(total):
        _copy(before, out)
        code, seen = _killed_at(root, out, point)
        assert (code, seen) == (-signal.SIGKILL, point)
        killed += 1
        _log(root, then)
        build(root, output=out)
        _log(root, V2)
        assert _site(out) == expected, f"killed before change {point} of {total}"
        for name, data in AUTHOR_FILES.items() if later else ():
            assert (out / name).read_bytes() == data
    assert killed == len(_points(total))


def _copy(source: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    if source.exists():
        shutil.copytree(source, target, copy_function=shutil.copy2)


def test_the_command_line_build_killed_mid_way_is_repaired(tmp_path: Path) -> None:
    """The same through `growthlog build` in a fresh interpreter, killed part-way."""
    root = _log(tmp_path / "log", V2)
    clean = tmp_path / "clean"
    build(root, output=clean)
    out = root / "output"
    child = [sys.executable, str(TESTS / "crash_child.py"), "25", str(out), "--", "build",
             str(root)]
    done = subprocess.run(child, capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert (out / ".growthlog-journal.json").is_file()
    build(root)
    assert read_tree(out) == read_tree(clean)
