"""Memory and rebuild time of a long `growthlog serve` session: N saves of edited entries.

    python benchmarks/bench_serve_memory.py                       # 1,000 entries, 1,050 saves
    python benchmarks/bench_serve_memory.py --entries 1000 --saves 1200 --json

A log of realistic entries (benchmarks/bench_serve.py's generator) is built once, as
`serve` does, into a preview folder; then one entry at a time is edited (a body sentence
or a front-matter value, alternately) and rebuilt with what the watcher would report,
in this one process. Resident memory (VmRSS, not the peak) is read after the first build,
after 50 saves and every 100 saves after that. Target (issue 11): from save 50 to save
1,050, RSS grows by at most 10 %; a one-entry save at 1,000 entries rebuilds in under 50 ms.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_serve import edit, machine, make_log  # noqa: E402


def rss_mb() -> float:
    """Resident memory now, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def session(entries: int, saves: int, seed: int) -> dict[str, object]:
    from generator.serve import Rebuilder
    from generator.watch import classify

    with tempfile.TemporaryDirectory(prefix="growthlog-bench-mem-") as tmp:
        root = Path(tmp) / "log"
        paths = make_log(root, entries)
        rebuilder = Rebuilder(root, Path(tmp) / "preview")
        started = time.perf_counter()
        first = rebuilder.rebuild()
        assert first.ok, first.problem_lines
        first_s = time.perf_counter() - started
        samples: list[tuple[int, float]] = [(0, rss_mb())]
        rng = random.Random(seed)
        times: list[float] = []
        for i in range(1, saves + 1):
            path = rng.choice(paths)
            edit(path, i)
            started = time.perf_counter()
            result = rebuilder.rebuild(classify([path], root.resolve()))
            times.append(time.perf_counter() - started)
            assert result.ok, result.problem_lines
            if i == 50 or i % 100 == 0 or i == saves:
                gc.collect()
                samples.append((i, rss_mb()))
        at = dict(samples)
        after_50 = at.get(50)
        last = samples[-1]
        growth = (last[1] / after_50 - 1) if after_50 and last[0] > 50 else None
        return {"entries": entries, "saves": saves, "first_build_s": first_s,
                "rebuild_median_ms": statistics.median(times) * 1000,
                "rebuild_p90_ms": statistics.quantiles(times, n=10)[-1] * 1000,
                "rss_mb": samples, "growth_after_50": growth}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--saves", type=int, default=1050)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = session(args.entries, args.saves, args.seed)
    if args.json:
        print(json.dumps({"machine": machine(), **result}))
        return
    print(f"machine: {machine()}")
    print(f"{result['entries']:,} entries, {result['saves']:,} saves; first build "
          f"{result['first_build_s']:.2f} s")
    print(f"rebuild per save: median {result['rebuild_median_ms']:.0f} ms, "
          f"90th percentile {result['rebuild_p90_ms']:.0f} ms")
    print("| saves | RSS |\n|---:|---:|")
    for saves, mb in result["rss_mb"]:  # type: ignore[attr-defined]
        print(f"| {saves:,} | {mb:.0f} MB |")
    growth = result["growth_after_50"]
    if isinstance(growth, float):
        verdict = "met" if growth <= 0.10 else "not met"
        print(f"growth from save 50 to the last: {growth:+.1%} (target at most +10 %: {verdict})")


if __name__ == "__main__":
    main()
