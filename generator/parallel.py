"""One step of a build split across processes, for large logs; the same result as one process.

`fork_map` forks after the parent has built everything the step reads (the config, the
entries, the site, the Jinja environment), so each child inherits it copy-on-write and
only computes its share with a pure function: parse these entry files, render these
pages. Results come back pickled through a pipe and are put in the order of the items,
however many processes ran, so the output is byte-identical to a build in one process.
A child that fails in any way (an exception, a result that does not unpickle, killed)
costs only time: the parent computes that share again itself, and so raises what one
process would have raised.

A step forks only when every process gets at least `min_share` items (forking a process
of a few hundred MB and sending pages back costs a few tens of milliseconds, more than a
small log's whole step), and never where there is no fork (Windows, macOS's spawn-only
builds of Python) or only one CPU to use.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")

MIN_SHARE = 200
"""Items each process must get before a step is split (entries to parse, pages to render)."""


@dataclass(slots=True)
class Workers:
    """How far one build may split its steps: at most `processes` processes, each with at
    least `min_share` items; `used` counts the most any step ran in. The default (one
    process) is what `serve`, `check` and the tests' builds use; `growthlog build` asks
    for `Workers.available()`."""

    processes: int = 1
    min_share: int = MIN_SHARE
    used: int = 1

    @classmethod
    def available(cls) -> Workers:
        """One process per CPU this process may run on and that is not busy already
        (the load average says how many are); one where the system cannot fork. A busy
        CPU is no gain: Linux shares it between sessions, not processes, so a second
        process of this build would only take time from the first."""
        if not hasattr(os, "fork"):
            return cls()
        try:
            cpus = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            cpus = os.cpu_count() or 1
        try:
            busy = os.getloadavg()[0]
        except OSError:
            busy = 0.0
        # The load counts this build's own process (and the command run just before it).
        return cls(processes=max(1, min(cpus, int(cpus + 1 - busy))))

    def processes_for(self, count: int) -> int:
        """How many processes `count` items are split across."""
        if not hasattr(os, "fork"):
            return 1
        return max(1, min(self.processes, count // max(1, self.min_share)))

    def map(self, fn: Callable[[T], R], items: Sequence[T],
            done: Callable[[int], None] | None = None,
            together: Callable[[T], bool] | None = None) -> list[R]:
        """fork_map over as many processes as these items are worth. Items for which
        `together` holds share cached work (pages listing the same entries' cards): they
        all go to one process, so that work is done once."""
        processes = self.processes_for(len(items))
        self.used = max(self.used, processes)
        kept = [i for i, item in enumerate(items) if together(item)] if together else []
        return fork_map(fn, items, split(len(items), processes, kept), done)


def split(count: int, processes: int, kept: Sequence[int] = ()) -> list[list[int]]:
    """The indices 0..count-1 in `processes` shares: those in `kept` all in the first, the
    others dealt in turn to the rest (to all, when nothing is kept), so that costs growing
    along the list are shared evenly."""
    if processes <= 1:
        return [list(range(count))]
    held = set(kept)
    shares: list[list[int]] = [sorted(held)] + [[] for _ in range(processes - 1)]
    dealt = shares[1:] if held else shares
    for n, index in enumerate(i for i in range(count) if i not in held):
        dealt[n % len(dealt)].append(index)
    return [share for share in shares if share]


def fork_map(fn: Callable[[T], R], items: Sequence[T], shares: list[list[int]],
             done: Callable[[int], None] | None = None) -> list[R]:
    """[fn(item) for item in items], each share of indices computed in its own process:
    the first here, each other in a forked child. `done(n)` is told, in this process, about
    how many items are finished."""
    if len(shares) <= 1:
        return _serial(fn, items, range(len(items)), done)
    results: list[R | None] = [None] * len(items)
    children: list[tuple[int, int, list[int]]] = []
    scale = len(items) / max(1, len(shares[0]))  # the others go at about the same pace
    frozen = gc.get_freeze_count()
    gc.freeze()  # no collection here touches (and so copies) what the children share
    try:
        for share in shares[1:]:
            children.append((*_fork(fn, items, share), share))
        own = _serial(fn, items, shares[0], done and (
            lambda n: done(min(len(items) - 1, int(n * scale)))))
        for index, result in zip(shares[0], own, strict=True):
            results[index] = result
        while children:
            pid, pipe, share = children.pop(0)
            got: list[R] | None = _collect(pid, pipe, len(share))
            if got is None:  # the child failed: its share again, here
                got = _serial(fn, items, share, None)
            for index, result in zip(share, got, strict=True):
                results[index] = result
        if done is not None:
            done(len(items))
    finally:
        for pid, pipe, _ in children:  # this process raised: stop the others
            _stop(pid, pipe)
        if not frozen:  # (serve freezes what its first build keeps: that stays frozen)
            gc.unfreeze()
    return cast(list[R], results)  # every index was filled


def _serial(fn: Callable[[T], R], items: Sequence[T], share: Sequence[int],
            done: Callable[[int], None] | None) -> list[R]:
    out = []
    for n, index in enumerate(share, 1):
        out.append(fn(items[index]))
        if done is not None:
            done(n)
    return out


def _fork(fn: Callable[[T], R], items: Sequence[T], share: list[int]) -> tuple[int, int]:
    """Start a child computing fn over this share; (its pid, the pipe to read it from)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running the parent's exits
        status = 1
        try:
            os.close(read)
            gc.disable()  # short-lived: a collection would only copy the parent's pages
            data = pickle.dumps([fn(items[i]) for i in share], pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
            status = 0
        except BaseException:  # noqa: BLE001, S110 - the parent computes this share again
            pass
        finally:
            os._exit(status)
    os.close(write)
    return pid, read


def _collect(pid: int, pipe: int, expected: int) -> list[R] | None:
    """A child's results, or None when it did not finish them."""
    with os.fdopen(pipe, "rb") as stream:
        data = stream.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return None
    try:
        got = pickle.loads(data)
    except Exception:  # noqa: BLE001 - cut short: computed again
        return None
    return got if isinstance(got, list) and len(got) == expected else None


def _stop(pid: int, pipe: int) -> None:
    with contextlib.suppress(OSError):
        os.close(pipe)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGTERM)
    with contextlib.suppress(OSError):
        os.waitpid(pid, 0)
