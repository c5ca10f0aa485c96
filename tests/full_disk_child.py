"""Builds stopped by a full disk, on a real small file system (tmpfs), then a plain build
after the disk has room again: run by test_durable.py in a mount namespace of its own.

    unshare --mount python full_disk_child.py SCENARIO MOUNT_POINT TRIALS

SCENARIO is 'first', 'later' or 'reverted' (as the kill trials). Mounts a 4 MiB tmpfs on
MOUNT_POINT (seen by this namespace only) and, for each trial, lays the log on it, fills
the disk to leave a chosen number of bytes free, runs `growthlog build`, frees the disk,
and runs a plain `growthlog build` again. Prints one JSON object: what each trial did and
the output folder it left. Exit code 3: the file system could not be mounted here.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from test_durable import AUTHOR_FILES, V1, V2, _log

from generator.cli import main as growthlog
from generator.output import buffer_settled

from conftest import read_tree

CANNOT_MOUNT = 3


def main() -> None:
    scenario, mount, trials = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "growthlog-full", mount],
                          capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stderr.strip() or "mount failed", file=sys.stderr)
        raise SystemExit(CANNOT_MOUNT)
    needed = _trial(scenario, mount, None)["needed"]
    assert isinstance(needed, int)
    # From a disk full before the first byte to one a page short of what the build takes.
    points = sorted({round(i * (needed - 4096) / max(trials - 1, 1)) for i in range(trials)})
    print(json.dumps({"needed": needed,
                      "trials": [_trial(scenario, mount, free) for free in points]}))


def _trial(scenario: str, mount: Path, free: int | None) -> dict[str, object]:
    """One build on a disk with `free` bytes left (None: as much as it takes), then a plain
    build with room again."""
    for item in mount.iterdir():
        shutil.rmtree(item) if item.is_dir() else item.unlink()
    root = _log(mount / "log", V1)
    if scenario != "first":
        assert _build(root)[0] == 0
        for name, data in AUTHOR_FILES.items():
            (root / "output" / name).parent.mkdir(parents=True, exist_ok=True)
            (root / "output" / name).write_bytes(data)
    _log(root, V2)
    out = root / "output"
    old = {p.stat().st_ino for p in out.rglob("*")} if out.is_dir() else set()
    filler = mount / "filler"
    if free is not None:
        _fill(filler, _free(mount) - free)
    code, said = _build(root)
    # What the build wrote (not what it hard-linked from the old site): what it needs free.
    needed = sum(s.st_blocks * 512 for s in (p.stat() for p in out.rglob("*") if p.is_file())
                 if s.st_ino not in old) if out.is_dir() else 0
    filler.unlink(missing_ok=True)
    _log(root, V1 if scenario == "reverted" else V2)
    again, said_again = _build(root)
    return {"free": free, "needed": needed, "code": code, "said": said, "again": again,
            "said_again": said_again, "unsettled_left": not buffer_settled(out),
            "output": {k: hashlib.sha256(v).hexdigest() for k, v in read_tree(out).items()}
            if out.is_dir() else {}}


def _build(root: Path) -> tuple[int, str]:
    """`growthlog build ROOT`: exit code and everything it printed (a traceback too)."""
    result = CliRunner().invoke(growthlog, ["build", str(root)], env={"NO_COLOR": "1"})
    said = result.stdout + result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        said += f"\nTraceback: {result.exception!r}"
    return result.exit_code, said


def _free(mount: Path) -> int:
    stat = os.statvfs(mount)
    return stat.f_bavail * stat.f_frsize


def _fill(filler: Path, size: int) -> None:
    with filler.open("wb") as stream:
        chunk = b"\0" * (1 << 16)
        while size > 0:
            size -= stream.write(chunk[:size])


if __name__ == "__main__":
    main()
