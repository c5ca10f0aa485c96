"""[speed] A large log is parsed and rendered in several processes (parallel.py): the site is
byte-identical to one process's, errors are the same, a child that fails costs only time,
and a small log stays in one process."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

from generator.build import build, check
from generator.collector import collector_off
from generator.errors import ProblemsFound
from generator.parallel import ENTRY_WEIGHT, MIN_SHARE, Workers, fork_map, free_cpus, runnable

from conftest import REPO, make_log, read_tree

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")


def _log(root: Path, count: int, files: dict[str, str | bytes] | None = None) -> Path:
    entries: dict[str, str | bytes] = {
        f"content/{2020 + i % 3}/e{i:03d}.md":
            f"---\ntitle: Entry {i}\ndate: {2020 + i % 3}-0{1 + i % 9}-1{i % 10}\n"
            f"company: Firm {i % 7}\nstage: {('applied', 'screen', 'interview')[i % 3]}\n"
            f"tags: [t{i % 5}, t{i % 11}, shared]\nlessons: [Lesson {i % 13}]\n"
            f"actions: [{{text: Do {i}, done: {'true' if i % 2 else 'false'}}}]\n---\n"
            f"Body {i} with [a link](https://example.org/{i}) and *emphasis*.\n"
        for i in range(count)}
    return make_log(root, {**entries, **(files or {})}, 'title = "Parallel"\n')


@needs_fork
def test_a_build_in_two_processes_is_byte_identical_to_one_in_one(tmp_path: Path) -> None:
    root = _log(tmp_path / "log", 60)
    one = build(root, output=tmp_path / "one")
    two = build(root, output=tmp_path / "two", workers=Workers(2, min_share=5))
    assert (one.processes, two.processes) == (1, 2)
    assert one.rendered == two.rendered > 60
    assert read_tree(tmp_path / "one") == read_tree(tmp_path / "two")


@needs_fork
def test_check_splits_as_build_does_and_finds_the_same_problems(tmp_path: Path) -> None:
    """`growthlog check` of a log never built parses and renders as a cold build does
    (it asks for the CPUs free, as build does): in two processes, the same warnings,
    from whichever process read each entry."""
    odd = {f"content/odd{i}.md": f"---\ntitle: Odd {i}\ndate: 2021-02-0{1 + i}\ntgas: [x]\n---\n"
           for i in range(3)}
    root = _log(tmp_path / "log", 100, odd)
    one = check(root)
    workers = Workers(processes=2)
    two = check(root, workers=workers)
    assert workers.used == 2
    assert [p.format() for p in two] == [p.format() for p in one]
    assert sum("unknown key 'tgas'" in p.format() for p in one) == 3


@needs_fork
def test_the_sample_log_in_three_processes_is_byte_identical(tmp_path: Path) -> None:
    one = build(REPO, output=tmp_path / "one")
    three = build(REPO, output=tmp_path / "three", workers=Workers(3, min_share=2))
    assert three.processes == 3
    assert (one.warnings, one.entries) == (three.warnings, three.entries)
    assert read_tree(tmp_path / "one") == read_tree(tmp_path / "three")


def test_a_small_log_stays_in_one_process(tmp_path: Path) -> None:
    """However many CPUs are free, a log that gives a process fewer than MIN_SHARE pages or
    MIN_SHARE / ENTRY_WEIGHT entries is built in one: forking would cost more than it
    saves."""
    entries = 2 * MIN_SHARE // ENTRY_WEIGHT - 1
    root = _log(tmp_path / "log", entries)
    workers = Workers(processes=8)
    report = build(root, output=tmp_path / "out", workers=workers)
    assert report.processes == workers.used == 1
    assert Workers.available().processes_for(MIN_SHARE - 1) == 1
    assert Workers.available().processes_for(entries, ENTRY_WEIGHT) == 1


@needs_fork
def test_a_log_of_a_hundred_entries_parses_in_two_processes(tmp_path: Path) -> None:
    """Parsing is most of a small build's work after the imports, and splits evenly: with
    two CPUs free, 100 entries parse in two processes (two took 0.67x one's wall); its
    fewer than 2 x MIN_SHARE pages render in one. The site is the same."""
    root = _log(tmp_path / "log", 100)
    one = build(root, output=tmp_path / "one")
    workers = Workers(processes=2)
    two = build(root, output=tmp_path / "two", workers=workers)
    assert one.rendered == two.rendered < 2 * MIN_SHARE
    assert (one.processes, two.processes, workers.used) == (1, 2, 2)
    assert read_tree(tmp_path / "one") == read_tree(tmp_path / "two")


@needs_fork
def test_template_errors_are_the_same_from_any_process(tmp_path: Path) -> None:
    broken = {"themes/default/templates/entry.html":
              '{% extends "base.html" %}{% block content %}{{ entry.nope.deeper }}'
              '{% endblock %}'}
    root = _log(tmp_path / "log", 30, broken)
    found = []
    for workers in (Workers(), Workers(2, min_share=5)):
        with pytest.raises(ProblemsFound) as raised:
            build(root, output=tmp_path / "out", workers=workers)
        found.append([str(p) for p in raised.value.problems])
    assert len(found[0]) == 30
    assert found[0] == found[1]


@needs_fork
def test_a_child_that_fails_costs_only_time() -> None:
    """Its share is computed again in the parent: same results, in order."""
    parent = os.getpid()

    def square(n: int) -> int:
        if os.getpid() != parent and n % 2:
            raise RuntimeError("lost in a child")
        return n * n

    items = list(range(25))
    assert fork_map(square, items, 3) == [n * n for n in items]


@needs_fork
def test_a_split_step_counts_nothing_frozen_with_the_collector_off(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`growthlog build` runs without the cycle collector, its state frozen (build.py): no
    collection can run while the children work, so a step freezes nothing more and does
    not ask how much is frozen (gc.get_freeze_count walks every frozen object: 2-3 ms a
    step at 100 entries). With the collector on (serve), what the children share is
    frozen while they run, and thawed after if it was not frozen before."""
    real = gc.get_freeze_count
    asked: list[int] = []
    monkeypatch.setattr(gc, "get_freeze_count", lambda: asked.append(1) or real())
    with collector_off():
        assert fork_map(lambda n: n + 1, list(range(40)), 2) == list(range(1, 41))
    assert asked == []

    gc.unfreeze()
    frozen_inside: list[int] = []

    def note(n: int) -> int:
        frozen_inside.append(real())
        return n

    enabled = gc.isenabled()
    gc.enable()
    try:
        # (item 0 in a group of its own: this process always computes one item)
        assert fork_map(note, list(range(40)), 2, groups=[[0]]) == list(range(40))
    finally:
        if not enabled:
            gc.disable()
    assert frozen_inside and min(frozen_inside) > 0
    assert real() == 0


@needs_fork
@pytest.mark.parametrize("processes", [1, 2])
def test_work_alongside_is_done_here_once_before_this_process_takes_an_item(
        processes: int) -> None:
    """The data files (search index, feed) need no page: they are made in the parent
    while the other processes render, which take more pages meanwhile, not after all
    pages are done while the others wait (pipeline.site_files)."""
    parent = os.getpid()
    events: list[str] = []

    def square(n: int) -> int:
        if os.getpid() == parent:
            events.append("item")
        return n * n

    def alongside() -> None:
        assert os.getpid() == parent
        events.append("alongside")

    items = list(range(60))
    assert fork_map(square, items, processes, alongside=alongside) == [n * n for n in items]
    assert events[0] == "alongside" and events.count("alongside") == 1
    assert Workers(processes, min_share=5).map(square, items, alongside=alongside) == \
        [n * n for n in items]
    assert events.count("alongside") == 2


@needs_fork
def test_an_error_in_every_process_is_raised_as_one_process_raises_it() -> None:
    def fail(n: int) -> int:
        raise ValueError(f"item {n}")

    with pytest.raises(ValueError, match="item 0"):
        fork_map(fail, list(range(10)), 2)


@needs_fork
def test_the_first_failing_item_in_order_is_raised_whoever_took_it() -> None:
    """Which process takes which chunk depends on timing; the error does not."""
    import time

    parent = os.getpid()

    def fail_some(n: int) -> int:
        if n == 0 and os.getpid() == parent:
            time.sleep(0.3)  # meanwhile a child takes the next chunks, 137's among them
        if n in (137, 301):
            raise ValueError(f"item {n}")
        return n

    for processes in (2, 3):
        with pytest.raises(ValueError, match="item 137"):
            fork_map(fail_some, list(range(400)), processes)


@needs_fork
def test_pages_that_share_cached_rows_stay_in_one_process() -> None:
    """Each group of items is computed in one process (their shared work done once): the
    largest here; the rest anywhere."""
    parent = os.getpid()
    items = list(range(600))
    groups = [[1, 4, 77, 599], [2, 3, 5, 8, 13, 21, 34], [100, 200]]
    got = fork_map(lambda n: (n * n, os.getpid()), items, 3, groups)
    assert [square for square, _ in got] == [n * n for n in items]
    assert {got[i][1] for i in groups[1]} == {parent}
    for group in groups:
        assert len({got[i][1] for i in group}) == 1


@needs_fork
def test_groups_alone_are_split_too() -> None:
    """Two groups and nothing else: one here, one in a child."""
    import time

    parent = os.getpid()

    def slow(n: int) -> int:
        time.sleep(0.002)  # the child has 0.4 s to start and take the other group
        return os.getpid()

    got = fork_map(slow, list(range(400)), 2, [list(range(200)), list(range(200, 400))])
    assert set(got[:200]) == {parent}
    assert len(set(got[200:])) == 1 and got[200] != parent


def test_workers_group_items_by_key() -> None:
    """`together` gives a key: items with the same one go to one process; None: anywhere."""
    workers = Workers(processes=2, min_share=10)
    keys = [None, "cards", None, "rows", "cards", None] * 20
    pids = workers.map(lambda key: (key, os.getpid()), keys, together=lambda key: key)
    for key in ("cards", "rows"):
        assert len({pid for k, pid in pids if k == key}) == 1
    assert workers.used == 2


@needs_fork
def test_a_process_that_gets_no_cpu_does_little_of_the_work() -> None:
    """The items are taken from one queue by whichever process is free, so a child held
    up (here: sleeping, as on a CPU another program keeps busy) does not hold up the
    step with a fixed half of it; every item is still computed once, in order."""
    import time

    parent = os.getpid()

    def slow_in_child(n: int) -> tuple[int, int]:
        if os.getpid() != parent:
            time.sleep(0.2)
        return n, os.getpid()

    got = fork_map(slow_in_child, list(range(64)), 2)
    assert [n for n, _ in got] == list(range(64))
    assert sum(pid != parent for _, pid in got) <= 8


def test_progress_counts_the_items_this_process_took_once() -> None:
    """What the meter is told: the items done here and those the others took, each once
    (it counted this process's own chunks twice, and ran ahead of the work)."""
    import time

    parent = os.getpid()
    told: list[tuple[int, int]] = []  # (told, done here so far)
    done_here = [0]

    def slow_in_child(n: int) -> int:
        if os.getpid() != parent:
            time.sleep(0.2)
        else:
            done_here[0] += 1
        return n

    fork_map(slow_in_child, list(range(640)), 2, done=lambda n: told.append((n, done_here[0])))
    assert told and told[-1][0] == 640
    # The child, asleep on its first item, took at most a chunk or two (10 items each).
    assert all(n <= here + 20 for n, here in told[:-1]), max(n - here for n, here in told)


def test_only_cpus_not_busy_now_are_used() -> None:
    """From the threads runnable now (this one among them), not from the last minute's
    load average: a machine that was busy a moment ago but is idle now gets every CPU."""
    assert free_cpus(2, [1, 1, 1, 1, 1]) == 2
    assert free_cpus(2, [2, 2, 1, 2, 2]) == 1  # another program running on a core
    assert free_cpus(2, [1, 1, 3, 1, 1]) == 2  # a command seen once (ps, a compiler's start)
    assert free_cpus(8, [4, 4, 4, 4, 4]) == 5
    assert free_cpus(2, [9, 9, 9, 9, 9]) == 1
    assert free_cpus(4, [1, 1, 1, 1, 1]) == 4


def test_cpus_are_counted_from_as_few_readings_as_decide_them() -> None:
    """A machine that stays as it is is read three times, not five (each reading waits a
    millisecond: 2 ms of every step's start), and what is free is what all five give."""
    import itertools

    reads: list[int] = []
    assert runnable(5, 0, read=lambda: reads.append(1) or 1) == [1, 1, 1]
    assert len(reads) == 3
    for readings in itertools.product((1, 2, 3), repeat=5):
        more = iter(readings)
        got = runnable(5, 0, read=more.__next__)
        assert list(readings[:len(got)]) == got
        assert all(free_cpus(cpus, got) == free_cpus(cpus, list(readings)) for cpus in (1, 2, 4))


def test_a_step_after_another_reads_the_cpus_once_when_they_stay_as_they_were(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A build's second step (rendering, after parsing) stops at its first reading when it
    agrees with the last two of the first step: no millisecond waits (2 ms of every split
    step's start); more when the machine changed."""
    import generator.parallel as parallel

    counts = iter([1, 1, 1, 1, 2, 2, 2, 1])
    reads: list[int] = []
    monkeypatch.setattr(parallel, "_threads_runnable",
                        lambda: reads.append(1) or next(counts))
    workers = Workers(processes=2, ask=True)
    assert workers.processes_for(10 * MIN_SHARE) == 2
    assert len(reads) == 3
    assert workers.processes_for(10 * MIN_SHARE) == 2
    assert len(reads) == 4  # one more: it agrees with the last two
    assert workers.processes_for(10 * MIN_SHARE) == 1  # another program started
    assert len(reads) == 7  # three more were read, and those decide
    assert runnable(5, 0, read=lambda: 2, before=[1, 1]) == [2, 2, 2]


def test_the_last_steps_readings_never_outvote_fresh_ones(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The last step's readings may be a second old: when the first new reading differs
    from them, the new readings alone decide. A busy program that started meanwhile, seen
    sleeping once (3, 1, 3, 3 runnable threads), keeps the next step in one process, as
    it would a first step; the two old readings of 1 do not make it look idle."""
    import generator.parallel as parallel

    counts = iter([1, 1, 1, 3, 1, 3, 3])
    monkeypatch.setattr(parallel, "_threads_runnable", lambda: next(counts))
    workers = Workers(processes=2, ask=True)
    assert workers.processes_for(10 * MIN_SHARE) == 2
    assert workers.processes_for(10 * MIN_SHARE) == 1
    assert runnable(5, 0, read=iter([3, 1, 3, 3]).__next__, before=[1, 1]) == [3, 1, 3, 3]


@needs_fork
def test_busy_cpus_keep_a_build_in_one_process() -> None:
    """With a busy program on every CPU, a large step stays in one process."""
    import subprocess
    import sys

    cpus = len(os.sched_getaffinity(0))
    spin = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cpus)]
    try:
        import time

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and min(runnable()) < cpus + 1:
            time.sleep(0.05)  # until they are past their start-up
        assert Workers.available().processes_for(10 * MIN_SHARE * cpus) == 1
    finally:
        for process in spin:
            process.kill()
            process.wait()


@needs_fork
def test_a_private_build_in_two_processes_seals_the_same_pages(tmp_path: Path) -> None:
    """Opaque names and sealing follow from the keyfile, whichever process rendered a page:
    every page opens to the same text as a one-process build's."""
    from test_private import PASSWORD, open_page, sample_log

    root = sample_log(tmp_path / "log")
    build(root, output=tmp_path / "one", private=True, password=PASSWORD)
    two = build(root, output=tmp_path / "two", private=True, password=PASSWORD,
                workers=Workers(2, min_share=2))
    assert two.processes == 2
    one_tree, two_tree = read_tree(tmp_path / "one"), read_tree(tmp_path / "two")
    assert sorted(one_tree) == sorted(two_tree)
    pages = [path for path in one_tree if path.endswith("index.html")]
    assert len(pages) > 20
    for path in pages:
        assert open_page(root, path, one_tree[path]) == open_page(root, path, two_tree[path])


@needs_fork
def test_a_fork_refused_leaves_the_work_to_fewer_processes() -> None:
    """Where the system gives no more processes (RLIMIT_NPROC, memory: fork raises), the
    step is done by the processes there are. (Refused through an audit hook on os.fork,
    in a process of its own: a hook cannot be removed.)"""
    import subprocess
    import sys

    child = (
        "import os, sys\n"
        "from generator.parallel import fork_map\n"
        "forks = []\n"
        "def refuse(event, args):\n"
        "    if event == 'os.fork':\n"
        "        forks.append(1)\n"
        "        if len(forks) > 1:\n"
        "            raise BlockingIOError(11, 'Resource temporarily unavailable')\n"
        "sys.addaudithook(refuse)\n"
        "got = fork_map(lambda n: n * n, list(range(500)), 4)\n"
        "print(got == [n * n for n in range(500)], len(forks))\n")
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                          cwd=REPO, timeout=60)
    assert done.stdout.split() == ["True", "2"], done.stderr


def test_pages_that_share_no_fragment_but_card_bodies_go_to_any_process(
        tmp_path: Path) -> None:
    """Entry and tag pages (a tag page's chips mark its own tag) are dealt to whichever
    process is free; the other list pages, which share cards' chips, and the timeline and
    year pages, which share rows, each stay together. At 100 entries the tag pages held
    with the list pages made those half the pages, and the step waited for them."""
    from generator.memo import Memo
    from generator.pipeline import load_log
    from generator.render import _sharing, plan_pages

    loaded = load_log(_log(tmp_path / "log", 30))
    keys = {(plan.info.kind, _sharing(plan))
            for plan in plan_pages(loaded.site, loaded.config, Memo())}
    assert {"entry", "tag", "timeline", "month", "home"} <= {kind for kind, _ in keys}
    for kind, key in keys:
        assert key == (None if kind in ("entry", "tag") else
                       "rows" if kind in ("timeline", "year") else "cards"), (kind, key)
