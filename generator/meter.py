"""A build's progress bar on stderr: only in a terminal, only once the build has taken more
than a moment, and gone from the screen before the summary is printed."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TextIO

Tick = Callable[[str, int, int], None]
"""progress(phase, done, total): e.g. ('Reading entries', 40, 200)."""

AFTER_SECONDS = 0.5
"""A build quicker than this shows no bar at all."""
WIDTH = 24


class Meter:
    """Draws `phase [#####-----] done/total` on one line, redrawn in place with \\r."""

    def __init__(self, stream: TextIO, *, after: float = AFTER_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream, self.after, self.clock = stream, after, clock
        self.started = clock()
        self.drawn_at = -1.0
        self.shown = 0  # length of the line on screen

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = self.clock()
        if now - self.started < self.after:
            return
        if done < total and now - self.drawn_at < 0.1:  # a terminal needs no more
            return
        filled = WIDTH * done // total if total else WIDTH
        line = f"{phase} [{'#' * filled}{'-' * (WIDTH - filled)}] {done}/{total}"
        self.stream.write("\r" + line.ljust(self.shown))
        self.stream.flush()
        self.shown, self.drawn_at = len(line), now

    def close(self) -> None:
        """Blank the bar's line, so what is printed next starts on a clean line."""
        if self.shown:
            self.stream.write("\r" + " " * self.shown + "\r")
            self.stream.flush()
            self.shown = 0


def terminal_meter(stream: TextIO) -> Meter | None:
    """A Meter when `stream` is an interactive terminal; None for a pipe, a file, TERM=dumb."""
    try:
        interactive = stream.isatty()
    except ValueError:  # closed
        return None
    return Meter(stream) if interactive and os.environ.get("TERM") != "dumb" else None
