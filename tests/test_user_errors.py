"""Issue 10 #7: a user error is never a traceback. Every case below runs the real command
line in a child process and must exit non-zero with a message that names the file (and,
for front matter, the line and field), never "Traceback" or "internal error".

Tests here may run as root, who reads and writes through any permission bit. Cases that
need a file root cannot read or a folder root cannot write run the child without the
capabilities that let root do so (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, dropped from its
bounding set with prctl): the kernel then refuses it as it would refuse the author."""

from __future__ import annotations

import base64
import ctypes
import json
import os
import subprocess
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main

from conftest import entry, make_log

GROWTHLOG = Path(sys.executable).parent / "growthlog"
PHRASE = "cobalt hazel dune tripod plaza"
_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _as_the_author() -> None:
    """In the child before exec: give up root's power to ignore permission bits."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
            if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@dataclass
class Run:
    args: list[str]
    names: list[str]
    """Text the message must hold: the file, and line/field where there is one."""
    env: dict[str, str] = field(default_factory=dict)
    stdin: bytes = b""
    permissions: bool = False
    """Run as the author would be: permission bits apply even to root."""


def growthlog(run: Run, cwd: Path) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of the command line: a child process where the kernel
    or the bytes on stdin matter, else in this process (a raised exception fails here)."""
    env = {"NO_COLOR": "1", "GROWTHLOG_PASSWORD": "", **run.env}
    if not run.permissions and run.stdin.isascii():
        result = CliRunner().invoke(main, run.args, env=env, input=run.stdin)
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            "".join(traceback.format_exception(result.exception))
        return result.exit_code, result.stdout, result.stderr
    done = subprocess.run([str(GROWTHLOG), *run.args], cwd=cwd, input=run.stdin,
                          env={**os.environ, **env}, capture_output=True, timeout=120,
                          preexec_fn=_as_the_author if run.permissions else None)
    return (done.returncode, done.stdout.decode("utf-8", "replace"),
            done.stderr.decode("utf-8", "replace"))


OTHER = {"content/b.md": entry("Other", stage="nowhere")}
"""A second broken entry: one file's problem must not hide another's."""
OTHER_LINE = "content/b.md:4: stage: expected one of"


def _tag(value: str) -> Callable[[Path], list[Run]]:
    def case(root: Path) -> list[Run]:
        make_log(root, {"content/a.md": entry(company=value), **OTHER})
        names = [f"content/a.md:4: company{'[0]' * value.startswith('[')}: marked !!",
                 OTHER_LINE]
        return [Run(["check", str(root)], names), Run(["build", str(root)], names)]
    return case


def _due_9999(root: Path) -> list[Run]:
    make_log(root, {"content/a.md": entry(actions="\n  - text: x\n    due: 9999-12-31")})
    (root / "calendar.ics").write_text("my own notes\n")
    return [Run(["actions", str(root), "--ics", str(root / "calendar.ics")],
                [f"{root / 'calendar.ics'}: already exists and is not a calendar growthlog"])]


def _epoch(root: Path) -> list[Run]:
    make_log(root, {"content/a.md": entry()})
    huge = {"SOURCE_DATE_EPOCH": "99999999999999"}
    return [Run([command, str(root)], ["SOURCE_DATE_EPOCH", "99999999999999"], env=huge)
            for command in ("build", "check", "actions")]


def _loop(root: Path) -> list[Run]:
    make_log(root, {"content/a.md": entry()})
    os.symlink("loop-b", root / "content" / "loop-a")
    os.symlink("loop-a", root / "content" / "loop-b")
    names = ["content/loop-a: cannot be read (Too many levels of symbolic links)"]
    return [Run(["check", str(root)], names), Run(["build", str(root)], names)]


def _unreadable_attachment(root: Path) -> list[Run]:
    make_log(root, {"content/a.md": entry(body="![chart](chart.png)"),
                    "content/chart.png": b"\x89PNG\r\n"})
    (root / "content" / "chart.png").chmod(0)
    names = ["content/chart.png: cannot be read (Permission denied)"]
    return [Run(["check", str(root)], names, permissions=True),
            Run(["build", str(root)], names, permissions=True)]


def _unreadable_folder(root: Path) -> list[Run]:
    make_log(root, {"content/2023/a.md": entry(), "content/b.md": entry("B")})
    (root / "content" / "2023").chmod(0)
    names = ["content/2023: cannot be read (Permission denied)"]
    return [Run(["check", str(root)], names, permissions=True),
            Run(["build", str(root)], names, permissions=True)]


def _stage_nul(root: Path) -> list[Run]:
    make_log(root, {"content/a.md": entry(stage='"a\\0b"')}, 'stages = ["a", "a\\u0000b"]\n')
    names = ["growthlog.toml:1: stages: each stage names a page folder"]
    return [Run(["check", str(root)], names), Run(["build", str(root)], names)]


def _ics_paths(root: Path) -> list[Run]:
    make_log(root, {"content/a.md": entry(actions="\n  - text: x\n    due: 2026-04-01")})
    (root.parent / "a-file").write_text("x")
    missing, under_file = root.parent / "nowhere" / "a.ics", root.parent / "a-file" / "a.ics"
    return [Run(["actions", str(root), "--ics", str(missing)],
                [str(missing), f"the folder {missing.parent} does not exist"]),
            Run(["actions", str(root), "--ics", str(under_file)],
                [str(under_file), f"{under_file.parent} is not a folder"]),
            Run(["actions", str(root), "--ics", "/dev/full"],
                ["/dev/full: cannot be written: No space left on device"]),
            Run(["actions", str(root), "--ics", "/proc/version"], ["/proc/version"])]


def _new_content_is_a_file(root: Path) -> list[Run]:
    make_log(root, {"content": "not a folder\n"}, 'title = "Log"\n')
    return [Run(["new", "Analyst at Beta", str(root)],
                [f"{root / 'content'}: is a file, not a folder"]),
            Run(["check", str(root)], ["content: cannot be read (Not a directory)"])]


def _new_read_only(root: Path) -> list[Run]:
    make_log(root, {"content/a.md": entry()}, 'title = "Log"\n')
    (root / "content").chmod(0o555)
    return [Run(["new", "Analyst at Beta", str(root), "--date", "2026-03-15"],
                [str(root / "content" / "2026-03-15-analyst-at-beta.md"), "Permission denied"],
                permissions=True)]


def _init(root: Path) -> list[Run]:
    root.mkdir()
    (root / "a-file").write_text("x")
    (root / "locked").mkdir(mode=0o555)
    return [Run(["init", str(root / "a-file" / "log")], [f"{root / 'a-file'} is a file"]),
            Run(["init", str(root / "locked" / "log")],
                [str(root / "locked" / "log"), "Permission denied"], permissions=True)]


def _key_init_bytes(root: Path) -> list[Run]:
    make_log(root, {"content/a.md": entry()})
    line = PHRASE.encode() + b"\xff\xfe\n"
    return [Run(["key", "init", str(root), "--password-stdin"],
                ["--password-stdin: expected UTF-8 text"], stdin=line * 2)]


def _iterations(root: Path) -> list[Run]:
    make_log(root, {"content/a.md": entry()}, "iterations = 99999999999999999999\n")
    names = ["growthlog.toml:1: iterations: expected at most"]
    return [Run(["check", str(root)], names),
            Run(["build", str(root), "--private", "--password-stdin"], names,
                stdin=f"{PHRASE}\n{PHRASE}\n".encode())]


def _keyfile_iter(root: Path) -> list[Run]:
    make_log(root, {"content/a.md": entry()})
    keyfile = root / ".growthlog" / "site-key.json"
    keyfile.parent.mkdir()
    keyfile.write_text(json.dumps({"v": "gl-private-v1", "site": "s", "kdf": "PBKDF2-HMAC-SHA256",
                                   "iter": 10 ** 30, "salt": b64(bytes(16)), "wiv": b64(bytes(12)),
                                   "wrapped": b64(bytes(48))}))
    return [Run(["build", str(root), "--private", "--password-stdin"],
                [str(keyfile), "iter: expected at most"], stdin=f"{PHRASE}\n".encode())]


CASES: dict[str, Callable[[Path], list[Run]]] = {
    "tag !!int hello": _tag("!!int hello"), "empty !!int": _tag("!!int"),
    "tag !!float x": _tag("!!float x"), "tag !!bool maybe": _tag("!!bool maybe"),
    "tag !!timestamp hello": _tag("!!timestamp hello"),
    "tags in a list": _tag("[!!bool maybe, !!int x]"),
    "actions due 9999-12-31 onto a file growthlog did not write": _due_9999,
    "huge SOURCE_DATE_EPOCH": _epoch, "symlink loop in content/": _loop,
    "unreadable attachment": _unreadable_attachment, "unreadable folder": _unreadable_folder,
    "stage holding NUL": _stage_nul, "actions --ics to paths that cannot be written": _ics_paths,
    "new when content is a file": _new_content_is_a_file,
    "new in a read-only log": _new_read_only, "init where nothing can be written": _init,
    "key init with bytes that are not UTF-8": _key_init_bytes,
    "huge iterations in config": _iterations, "huge iter in the keyfile": _keyfile_iter,
}


@pytest.mark.parametrize("case", CASES)
def test_a_user_error_names_the_file_and_never_shows_a_traceback(case: str,
                                                                  tmp_path: Path) -> None:
    for run in CASES[case](tmp_path / "log"):
        code, out, err = growthlog(run, tmp_path)
        said = out + err
        assert "Traceback" not in said and "internal error" not in said, said
        assert code == 1, (run.args, said)
        for name in run.names:
            assert name in said, (run.args, said)


def test_check_and_build_report_the_same_problems(tmp_path: Path) -> None:
    """What `check` passes, `build` builds; what it refuses, `build` refuses alike."""
    for case in ("tag !!bool maybe", "symlink loop in content/", "stage holding NUL"):
        runs = CASES[case](tmp_path / case.replace(" ", "-").replace("/", ""))
        said = [growthlog(run, tmp_path)[2].splitlines() for run in runs]
        assert said[0] == said[1], case


def test_dates_at_the_edges_build_and_export(tmp_path: Path) -> None:
    """A newest entry in year 1, an action due 9999-12-31, `new --date 9999-12-18`."""
    root = make_log(tmp_path / "log", {
        "content/a.md": entry(date="0001-01-01"),
        "content/b.md": entry("B", date="0001-02-01",
                              actions="\n  - text: x\n    due: 9999-12-31")})
    for args in (["check", root], ["build", root], ["actions", root],
                 ["actions", root, "--ics", tmp_path / "due.ics"],
                 ["new", "Far ahead", root, "--date", "9999-12-18"]):
        code, _, err = growthlog(Run([str(a) for a in args], []), tmp_path)
        assert code == 0, (args, err)
    calendar = (tmp_path / "due.ics").read_text()
    assert "DTSTART;VALUE=DATE:99991231" in calendar
    assert "DTEND" not in calendar  # no day after 9999-12-31: the event lasts its one day
    code, _, err = growthlog(Run(["check", str(root)], []), tmp_path)
    assert code == 0, err


def test_what_cannot_be_read_stops_the_build_and_removes_no_page(tmp_path: Path) -> None:
    """Issue 10 #3: with content/2023 unreadable, or content/ moved away, `build` exited 0
    and pruned those pages ("0 entries … 10 removed")."""
    from conftest import read_tree

    root = make_log(tmp_path / "log", {"content/2023/a.md": entry("Old one", "2023-05-01"),
                                       "content/b.md": entry("New one")}, 'title = "Log"\n')
    assert growthlog(Run(["build", str(root)], []), tmp_path)[0] == 0
    built = read_tree(root / "output")
    (root / "content" / "2023").chmod(0)
    code, _, err = growthlog(Run(["build", str(root)], [], permissions=True), tmp_path)
    assert code == 1 and "content/2023: cannot be read (Permission denied)" in err, err
    assert read_tree(root / "output") == built
    (root / "content" / "2023").chmod(0o755)
    (root / "content").rename(root / "moved")
    code, _, err = growthlog(Run(["build", str(root)], []), tmp_path)
    assert code == 1 and "content: cannot be read (No such file or directory)" in err, err
    assert read_tree(root / "output") == built
