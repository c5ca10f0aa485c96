"""`growthlog build` shows a progress bar in a terminal, and only there."""

from __future__ import annotations

import datetime as dt
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from conftest import entry, make_log

ENTRIES = 3000  # on one CPU, a cold build of this many takes about three times the half second
# before a bar shows (600 took 0.42 s on 4 December, after the build got faster)


def _log(tmp_path: Path) -> Path:
    day = dt.date(2026, 1, 1)
    return make_log(tmp_path / "log", {
        f"content/{day + dt.timedelta(n)}-e{n}.md": entry(
            f"Analyst {n} at Co{n % 9}", str(day + dt.timedelta(n)), lessons=f"[Lesson {n}]")
        for n in range(ENTRIES)})


def _in_a_terminal(args: list[str]) -> str:
    """Everything the command writes to a terminal (stdout and stderr both on a pty)."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"TERM": "xterm"}
    # On one CPU, as a busy machine gives it: with two free, the build forks and can end
    # before the half second.
    one_cpu = {min(os.sched_getaffinity(0))}
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=follower,
                               stderr=follower, env=env,
                               preexec_fn=lambda: os.sched_setaffinity(0, one_cpu))
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=120) == 0
    return b"".join(chunks).decode()


def test_a_build_shows_a_bar_in_a_terminal_and_none_in_a_pipe(tmp_path: Path) -> None:
    root = _log(tmp_path)
    piped = subprocess.run([sys.executable, "-m", "generator", "build", str(root)],
                           capture_output=True, text=True, check=True)
    assert piped.stderr == ""
    assert piped.stdout.startswith(f"{ENTRIES} entries, ")

    shown = _in_a_terminal([sys.executable, "-m", "generator", "build", "--no-cache", str(root)])
    shown = re.sub(r"\x1b\[[0-9;]*m", "", shown)  # the summary's colour
    # Whichever phase the half second ends in (reading entries, rendering pages), it is drawn.
    assert re.search(r"(Reading entries|Rendering pages) \[[#-]{24}\] \d+/\d+", shown)
    # The bar's line is blanked, and the summary is written over it, starting clean:
    match = re.fullmatch(r"(.*)\r( +)\r(\d+ entries, [^\r]*)\r\n", shown, re.S)
    assert match, shown[-300:]
    bar, blank, summary = match.groups()
    assert bar.rpartition("\r")[2].startswith("Rendering pages [")
    assert len(blank) >= len(bar.rpartition("\r")[2])
    assert summary.startswith(f"{ENTRIES} entries, ") and "[" not in summary
