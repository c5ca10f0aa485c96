"""Run `growthlog build` in this process and SIGKILL it just before its Nth change to the
output folder (a file opened for writing, a rename, a removal, a folder made or removed).

    python crash_child.py KILL_AT OUTPUT -- growthlog arguments...

Prints the number of changes seen to stderr when it is not killed. Test code only: the
kill comes from Python's audit hooks, so the build runs unmodified.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def main() -> None:
    kill_at, output = int(sys.argv[1]), os.path.realpath(sys.argv[2])
    args = sys.argv[sys.argv.index("--") + 1:]
    seen = 0

    def changes(event: str, details: tuple[Any, ...]) -> bool:
        if event == "open":
            path, mode, flags = details
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                mode is None and isinstance(flags, int) and flags & WRITE_FLAGS)
            return bool(writing) and isinstance(path, str) and _inside(path, output)
        if event in ("os.rename", "os.remove", "os.mkdir", "os.rmdir"):
            return isinstance(details[0], str | os.PathLike) and _inside(
                os.fspath(details[0]), output)
        return False

    def hook(event: str, details: tuple[Any, ...]) -> None:
        nonlocal seen
        if changes(event, details):
            if seen == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            seen += 1

    sys.addaudithook(hook)
    from generator.cli import main as growthlog

    try:
        growthlog(args, standalone_mode=False)
    finally:
        print(seen, file=sys.stderr)


def _inside(path: str, folder: str) -> bool:
    """Inside the output folder, or the hidden sibling a build puts the new site together in."""
    full = os.path.realpath(os.path.abspath(path))
    staging = os.path.join(os.path.dirname(folder),
                           f".{os.path.basename(folder)}.growthlog-staging")
    return any(full == f or full.startswith(f + os.sep) for f in (folder, staging))


if __name__ == "__main__":
    main()
