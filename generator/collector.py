"""Python's cyclic garbage collector held off for a while, then as it was."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_off() -> Iterator[None]:
    """No cycle collection inside (work that makes objects by the hundred thousand, none
    of them garbage for it to find); afterwards the collector as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
