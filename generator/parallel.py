"""One step of a build split across processes, for large logs; the same result as one process.

`fork_map` forks after the parent has built everything the step reads (the config, the
entries, the site, the Jinja environment), so each child inherits it copy-on-write and
only computes its share with a pure function: parse these entry files, render these
pages. The shares are not fixed in advance: every process, the parent too, takes a few
items at a time from one queue (a pipe) until it is empty, so a process that gets less
CPU (another program on its core) does less of the work instead of holding the others
up. Results come back pickled through a pipe and are put in the order of the items,
however many processes ran and whichever took what, so the output is byte-identical to
a build in one process. A child that fails in any way (an exception, a result that does
not unpickle, killed) costs only time: the parent computes what it did not send again
itself, and so raises what one process would have raised.

A step forks only when every process gets at least `min_share` items, an entry to parse
counting ENTRY_WEIGHT pages (forking a process of a few hundred MB and sending pages back
costs a few tens of milliseconds, more than a small log's whole step), never where there
is no fork (Windows, macOS's spawn-only builds of Python), and onto no more CPUs than are
free at that moment (`free_cpus`).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import pickle
import struct
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")

MIN_SHARE = 100
"""Items each process must get before a step is split (pages to render; an entry to
parse counts ENTRY_WEIGHT times). At 100 entries (225 pages, 65 ms in one process) two
processes render in 0.77x one's wall (median of 10 pairs; 0.68-0.77 when the second
got a CPU): the list pages sharing cached cards stay in one process, entry and tag
pages go to whichever process is free."""
ENTRY_WEIGHT = 3
"""What an entry to parse counts for against MIN_SHARE: parsing it costs about three
pages' rendering, and that step splits evenly, so a log of 67 entries or more parses in
two processes (100 entries: 50 ms against 77 in one)."""
CHUNKS_PER_PROCESS = 32
"""How finely the queue cuts the items: a process that finishes early waits at most for
one chunk (of 1,000 entries in two processes, about 16 entries: ~15 ms) of another's."""
_MAX_CHUNKS = 1024
"""The queue is written whole before the first fork: 4 bytes a chunk, within the 4 KiB a
pipe holds at the least (Linux gives a user over its pipe quota one page)."""
_CHUNK = struct.Struct("=I")


@dataclass(slots=True, eq=False, repr=False)
class Workers:
    """How far one build may split its steps: at most `processes` processes, each with at
    least `min_share` items; `used` counts the most any step ran in. The default (one
    process) is what `serve`, `check` and the tests' builds use; `growthlog build` asks
    for `Workers.available()`, which looks at how many CPUs are free when a step is large
    enough to split, not before (a small log never looks)."""

    processes: int = 1
    min_share: int = MIN_SHARE
    used: int = 1
    ask: bool = False
    """Split only onto CPUs free at the time (free_cpus); else onto `processes`."""
    seen: list[int] = field(default_factory=list, init=False, repr=False, compare=False)
    """The readings of runnable threads this build's last look took (`runnable`): when
    the next look's first reading equals their last two, it stops there, so a step after
    another takes one reading, not three a millisecond apart, when the machine stays as
    it was."""

    @classmethod
    def available(cls) -> Workers:
        """Up to one process per CPU this process may run on, as many as are free when a
        step starts; one where the system cannot fork."""
        if not hasattr(os, "fork"):
            return cls()
        try:
            cpus = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            cpus = os.cpu_count() or 1
        return cls(processes=cpus, ask=True)

    def spare(self) -> bool:
        """Whether one more process would run on a CPU of its own now (as a step worth two
        processes would split): output.copy_beside's, beside a one-edit build."""
        return self.processes_for(2, self.min_share) > 1

    def processes_for(self, count: int, weight: int = 1) -> int:
        """How many processes `count` items, each counting `weight` times, are split across."""
        if not hasattr(os, "fork"):
            return 1
        most = min(self.processes, count * weight // max(1, self.min_share))
        if most > 1 and self.ask:
            self.seen = runnable(before=self.seen[-2:])
            most = min(most, free_cpus(self.processes, self.seen))
        return max(1, most)

    def map(self, fn: Callable[[T], R], items: Sequence[T],
            done: Callable[[int], None] | None = None,
            together: Callable[[T], Hashable | None] | None = None,
            weight: int = 1, alongside: Callable[[], None] | None = None) -> list[R]:
        """fork_map over as many processes as these items are worth, each counting
        `weight` times against `min_share`. Items for which `together` gives the same key
        (not None) share cached work (list pages showing the same entries' cards): they
        all go to one process, so that work is done once. `alongside`: work of this
        process's own, done here while the others take items (fork_map)."""
        processes = self.processes_for(len(items), weight)
        self.used = max(self.used, processes)
        groups: dict[Hashable, list[int]] = {}
        if together is not None and processes > 1:
            for index, item in enumerate(items):
                key = together(item)
                if key is not None:
                    groups.setdefault(key, []).append(index)
        return fork_map(fn, items, processes, list(groups.values()), done, alongside)


def free_cpus(cpus: int, runnable: Sequence[int] | None) -> int:
    """How many of `cpus` this process and its children may use without taking one from
    another program: those not running something else now. `runnable`: a few readings,
    a millisecond apart, of how many threads on the machine can run (this one among
    them); the median is taken, so that a short command seen once does not count and a
    busy program that slept once does.

    Not the load average: it is an average over the last minute, so the commands just
    before this one (a test, the last build) count as busy CPUs for a minute after they
    ended, and a machine left idle keeps a build in one process. Linux shares a busy
    CPU between sessions (autogroup), not between processes, so a second process on a
    CPU another session keeps busy gains almost nothing (measured: docs/performance.md).
    """
    if not runnable:  # no /proc (macOS): the load average is all there is
        try:
            others = max(0.0, os.getloadavg()[0] - 1)
        except OSError:
            others = 0.0
        return max(1, min(cpus, int(cpus - others)))
    others = sorted(runnable)[(len(runnable) - 1) // 2] - 1  # the median_low
    return max(1, min(cpus, cpus - others))


def runnable(samples: int = 5, gap: float = 0.001,
             read: Callable[[], int] | None = None, before: Sequence[int] = ()) -> list[int]:
    """Readings of /proc/loadavg's count of threads that can run now (this one included),
    `gap` seconds apart: up to `samples`, and no more once one count was read more than
    `samples // 2` times (the usual case, a machine that stays as it is: three, not five),
    since the median of all `samples` is then that count whatever the others would be.
    Empty where there is no such file. `read`: one reading (default: the file's).
    `before`: readings taken earlier (for the last step, work ago): if the first new one
    equals them all, and they are enough to decide, that is the answer; else they may be
    out of date and are dropped, the new readings alone decide."""
    got: list[int] = []
    for n in range(samples):
        if n:
            time.sleep(gap)
        try:
            got.append(read() if read is not None else _threads_runnable())
        except (OSError, ValueError, IndexError):
            return []
        if (not n and before and len(before) + 1 > samples // 2
                and all(old == got[0] for old in before)):
            return [*before, got[0]]
        if got.count(got[-1]) > samples // 2:
            break
    return got


def _threads_runnable() -> int:
    with open("/proc/loadavg", "rb") as file:
        return int(file.read().split()[3].split(b"/")[0])


def fork_map(fn: Callable[[T], R], items: Sequence[T], processes: int,
             groups: Sequence[Sequence[int]] = (),
             done: Callable[[int], None] | None = None,
             alongside: Callable[[], None] | None = None) -> list[R]:
    """[fn(item) for item in items] in up to `processes` processes, a chunk of items at a
    time from one queue, by whichever process is free. The indices in each of `groups`
    are computed in one process: the largest group here, first; each other one as one
    chunk at the head of the queue. `done(n)` is told, in this process, about how many
    items are finished. `alongside()` is called here, once, after the others start and
    before this process takes its first item: the others take more items meanwhile
    (work that needs none of the results, which else would wait for all of them)."""
    plan = _plan(len(items), processes, groups)
    if plan is None:
        if alongside is not None:
            alongside()
        return _serial(fn, items, range(len(items)), done)
    held, chunks = plan
    queue = _queue(len(chunks))
    results: dict[int, R] = {}
    children: list[tuple[int, int]] = []
    # No collection here touches (and so copies) what the children share: with the
    # collector on (serve), all is frozen first. With it off (`growthlog build`, `check`)
    # none can run, and counting what is frozen walks every object frozen (2-3 ms a step
    # at 100 entries, after build.py froze the state).
    thaw = gc.isenabled() and not gc.get_freeze_count()
    if gc.isenabled():
        gc.freeze()
    try:
        for _ in range(processes - 1):
            try:
                children.append(_fork(fn, items, chunks, queue))
            except OSError:  # no process to be had (a limit, memory): fewer do it all
                break

        taken_here = [0]  # items of the chunks this process took from the queue

        def from_queue() -> Iterator[int]:
            for number in _take(queue):
                taken_here[0] += len(chunks[number])
                yield from chunks[number]

        def tick(mine: int) -> None:
            if done is not None:
                others = _taken(queue, chunks) - taken_here[0]
                done(min(len(items) - 1, mine + max(0, others)))

        if alongside is not None:
            alongside()
        try:
            mine = itertools.chain(held, from_queue())
            for n, index in enumerate(mine, 1):  # (a chunk is taken when the last is done)
                results[index] = fn(items[index])
                tick(n)
        except Exception:  # noqa: BLE001 - raised below, as one process raises it
            # Which items this process took depends on timing: one process raises at the
            # first item in order that fails, so the whole step is computed so, here.
            return _serial(fn, items, range(len(items)), None)
        while children:
            for number, got in _collect(*children.pop(0), chunks):
                results.update(zip(chunks[number], cast(list[R], got), strict=True))
        missing = [i for i in range(len(items)) if i not in results]  # a child failed
        results.update(zip(missing, _serial(fn, items, missing, None), strict=True))
        if done is not None:
            done(len(items))
    finally:
        for pid, pipe in children:  # this process raised (or gave up): stop the others
            _stop(pid, pipe)
        with contextlib.suppress(OSError):
            os.close(queue)
        if thaw:  # (serve freezes what its first build keeps: that stays frozen)
            gc.unfreeze()
    return [results[i] for i in range(len(items))]


def _plan(count: int, processes: int, groups: Sequence[Sequence[int]],
          ) -> tuple[list[int], list[list[int]]] | None:
    """(the indices this process computes first, the chunks of the queue); None when
    one process is to compute them all."""
    ordered = sorted((sorted(set(group)) for group in groups if group), key=len, reverse=True)
    if len(ordered) > _MAX_CHUNKS // 2:  # (more groups than the queue holds: one process)
        ordered = [sorted({i for group in ordered for i in group})]
    grouped = {i for group in ordered for i in group}
    rest = [i for i in range(count) if i not in grouped]
    if processes <= 1 or not (rest or len(ordered) > 1):
        return None
    return (ordered[0] if ordered else []), ordered[1:] + _chunks(
        rest, min(_MAX_CHUNKS - len(ordered), processes * CHUNKS_PER_PROCESS))


def _queue(chunks: int) -> int:
    """A pipe holding the chunk numbers 0..chunks-1, to read from; it ends (reads give
    b"") once every chunk is taken."""
    queue, feed = os.pipe()
    try:
        os.write(feed, b"".join(_CHUNK.pack(n) for n in range(chunks)))
    finally:
        os.close(feed)
    return queue


def _chunks(indices: list[int], count: int) -> list[list[int]]:
    """indices in at most `count` runs of about equal length, in order."""
    size = max(1, -(-len(indices) // max(1, count)))
    return [indices[i:i + size] for i in range(0, len(indices), size)]


def _take(queue: int) -> Iterator[int]:
    """The chunk numbers this process takes from the queue, one at a time, until it is
    empty. Each is one 4-byte read: a pipe hands a small read whole to one reader, and
    every item in it is 4 bytes, so no chunk is taken twice or in part."""
    while len(data := os.read(queue, _CHUNK.size)) == _CHUNK.size:
        number: int = _CHUNK.unpack(data)[0]
        yield number


def _taken(queue: int, chunks: list[list[int]]) -> int:
    """How many items are no longer in the queue (taken by any process); 0 when the
    queue cannot be asked."""
    import fcntl
    import termios

    try:
        left = struct.unpack("=i", fcntl.ioctl(queue, termios.FIONREAD, b"\0\0\0\0"))[0]
    except OSError:
        return 0
    return sum(map(len, chunks[: len(chunks) - left // _CHUNK.size]))


def _serial(fn: Callable[[T], R], items: Sequence[T], share: Sequence[int],
            done: Callable[[int], None] | None) -> list[R]:
    out = []
    for n, index in enumerate(share, 1):
        out.append(fn(items[index]))
        if done is not None:
            done(n)
    return out


def _fork(fn: Callable[[T], R], items: Sequence[T], chunks: list[list[int]],
          queue: int) -> tuple[int, int]:
    """Start a child computing fn over chunks it takes from the queue; (its pid, the pipe
    to read its results from)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running the parent's exits
        status = 1
        try:
            os.close(read)
            gc.disable()  # short-lived: a collection would only copy the parent's pages
            got = [(number, [fn(items[i]) for i in chunks[number]]) for number in _take(queue)]
            data = pickle.dumps(got, pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
            status = 0
        except BaseException:  # noqa: BLE001, S110 - the parent computes these chunks again
            pass
        finally:
            os._exit(status)
    os.close(write)
    return pid, read


def _collect(pid: int, pipe: int, chunks: list[list[int]]) -> list[tuple[int, list[object]]]:
    """A child's results by chunk number; none when it did not finish them all."""
    with os.fdopen(pipe, "rb") as stream:
        data = stream.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return []
    try:
        got = pickle.loads(data)
    except Exception:  # noqa: BLE001 - cut short: computed again
        return []
    if not isinstance(got, list) or not all(
            isinstance(part, tuple) and len(part) == 2 and isinstance(part[0], int)
            and 0 <= part[0] < len(chunks) and isinstance(part[1], list)
            and len(part[1]) == len(chunks[part[0]]) for part in got):
        return []
    return got


def _stop(pid: int, pipe: int) -> None:
    import signal  # only here: a step that raised (0.4 ms of every build's start)

    with contextlib.suppress(OSError):
        os.close(pipe)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGTERM)
    with contextlib.suppress(OSError):
        os.waitpid(pid, 0)
