"""Full build vs one-entry rebuild in `growthlog serve`, for logs of 100, 1,000 and 5,000 entries.

    python benchmarks/bench_serve.py                 # all sizes, a table on stdout
    python benchmarks/bench_serve.py --sizes 1000 --edits 20 --json

For each size a log of realistic entries is generated in a temp folder. Each
measurement runs in a fresh process, as a user runs the commands (Python's start-up
and imports are not counted):

* full build: `build` with a fresh BuildCache into an empty folder, what
  `growthlog build` does (median of --full-runs processes);
* rebuild: in one process, as `serve` runs: a first build, then one entry saved at a
  time (a body sentence or a front-matter value changes) and `Rebuilder.rebuild` with
  what the watcher reports, until the files are on disk (median of --edits edits), wall
  and CPU time (on a machine shared with other work, wall time is mostly waiting);
* save → disk with the real watcher: the same, through watchfiles (adds its 10 ms
  quiet window), from the write until the rebuild that saw it finished;
* peak RSS (ru_maxrss) of the serve process and of a full-build process.

A baseline measured in the same run (rendering one fixed Markdown document 200
times) lets figures from different machines be compared as ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

COMPANIES = ["Acme", "Northwind", "Brightline", "Lanternway", "Emberlane", "Wrenfield",
             "Fernhollow", "Quillstone", "Marrowfield", "Kestrel", "Greyfield", "Saffron",
             "Saltmere", "Dovetrail", "Copperleaf", "Ironbark", "Bluefin", "Oakmoor"]
ROLES = ["Data Engineer", "Senior Data Engineer", "Backend Engineer", "Platform Engineer",
         "Analytics Engineer", "Staff Engineer", "Lead Data Engineer"]
STAGES = ["applied", "screen", "assessment", "interview", "final", "offer"]
TAGS = ["system-design", "nerves", "sql", "referral", "take-home", "salary", "python",
        "behavioural", "data-modelling", "recruiter", "remote", "networking", "leadership",
        "spark", "cloud", "presentation", "ghosted", "internal-candidate", "coding", "culture"]
SENTENCES = [
    "I prepared the system design round by drawing three past projects from memory.",
    "The recruiter was warm and clear about the timeline, which helped a lot.",
    "I talked too long about the migration and ran out of time for questions.",
    "Next time I will lead with the trade-offs and only then name components.",
    "The take-home took twice the suggested time, and I said so in the write-up.",
    "Sam suggested I practise saying my salary range out loud until it feels normal.",
    "They chose someone with more streaming experience; fair, and now I know the gap.",
    "I sent a thank-you note the same evening and asked to stay in touch.",
]


def entry_text(n: int, rng: random.Random) -> str:
    """One realistic entry: most practices filled in, a few paragraphs of reflection."""
    company, role = rng.choice(COMPANIES), rng.choice(ROLES)
    day = f"{2019 + n % 8}-{1 + n % 12:02d}-{1 + n % 28:02d}"
    tags = ", ".join(rng.sample(TAGS, rng.randint(1, 4)))
    lessons = "".join(f"  - {rng.choice(SENTENCES)}\n" for _ in range(rng.randint(0, 2)))
    actions = "".join(f"  - {{text: '{rng.choice(SENTENCES)[:-1]}', done: {rng.random() < .4}}}\n"
                      .replace("True", "true").replace("False", "false")
                      for _ in range(rng.randint(0, 3)))
    empty = "  []\n"
    body = "\n\n".join(" ".join(rng.choice(SENTENCES) for _ in range(rng.randint(2, 5)))
                       for _ in range(rng.randint(2, 5)))
    return (f"---\ntitle: {role} at {company} #{n}\ndate: {day}\ncompany: {company}\n"
            f"role: {role}\nstage: {rng.choice(STAGES[:-1])}\noutcome: rejected\n"
            f"tags: [{tags}]\nfeedback:\n  asked: {str(rng.random() < .7).lower()}\n"
            f"  received: {rng.choice(SENTENCES)}\n"
            f"support:\n  - who: Sam (mentor)\n    took_away: {rng.choice(SENTENCES)}\n"
            f"postmortem:\n  went_well: [{rng.choice(SENTENCES)[:-1]}]\n"
            f"  to_improve: [{rng.choice(SENTENCES)[:-1]}]\n"
            f"bridges:\n  thank_you_sent: {str(rng.random() < .6).lower()}\n"
            f"lessons:\n{lessons or empty}actions:\n{actions or empty}"
            f"---\n{body}\n")


def make_log(root: Path, size: int, seed: int = 1) -> list[Path]:
    rng = random.Random(seed)
    (root / "content").mkdir(parents=True)
    (root / "growthlog.toml").write_text('title = "Benchmark log"\n', encoding="utf-8")
    paths = []
    for n in range(size):
        path = root / "content" / f"{2019 + n % 8}" / f"entry-{n:05d}.md"
        path.parent.mkdir(exist_ok=True)
        path.write_text(entry_text(n, rng), encoding="utf-8")
        paths.append(path)
    return paths


def baseline(repeat: int = 5) -> float:
    """Seconds to render one fixed 2 KB Markdown document 200 times (median of runs)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    text = "\n\n".join(" ".join(SENTENCES) for _ in range(3)) + "\n\n- a\n- b\n\n**bold**"
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(200):
            md.render(text)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def edit(path: Path, i: int) -> None:
    """Alternate body edits and front-matter edits, like an author would."""
    text = path.read_text(encoding="utf-8")
    if i % 2:
        text = text.rstrip("\n") + f" Edit {i}.\n"
    else:
        text = text.replace("\nrole: ", f"\nrole: (rev {i}) ", 1) if "(rev" not in text else \
            text.replace("(rev ", f"(rev {i}.", 1)
    path.write_text(text, encoding="utf-8")


def full_build(root: Path) -> dict[str, float]:
    """One `growthlog build` of the log at root into an empty folder, in this process."""
    from generator.build import build
    from generator.build_cache import BuildCache

    with tempfile.TemporaryDirectory(prefix="growthlog-bench-out-") as out:
        started = time.perf_counter()
        build(root, output=Path(out) / "site", cache=BuildCache(), base_url="/")
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_rss_mb": _peak_rss_mb()}


def serve_session(root: Path, edits: int, watcher: bool) -> dict[str, object]:
    """What `serve` does: a first build, then one save at a time, in this process."""
    from generator.serve import Rebuilder
    from generator.watch import classify

    paths = sorted((root / "content").rglob("*.md"))
    with tempfile.TemporaryDirectory(prefix="growthlog-bench-preview-") as tmp:
        preview = Path(tmp) / "preview"
        rebuilder = Rebuilder(root, preview)
        first = rebuilder.rebuild()
        assert first.ok, first.problem_lines
        rng = random.Random(7)
        times, cpu, rendered = [], [], []
        for i in range(edits):
            path = rng.choice(paths)
            edit(path, i)
            started, used = time.perf_counter(), time.process_time()
            result = rebuilder.rebuild(classify([path], root.resolve()))
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
            rendered.append(result.report.rendered if result.report else -1)
        watched = _watched_edits(root, preview, rebuilder, paths, edits) if watcher else []
        return {
            "files": len(first.changed), "first_build_s": first.seconds,
            "rebuild_s": statistics.median(times), "rebuild_max_s": max(times),
            "rebuild_cpu_s": statistics.median(cpu),
            "pages_rendered_median": statistics.median(rendered),
            "save_to_disk_s": statistics.median(watched) if watched else None,
            "peak_rss_mb": _peak_rss_mb(),
        }


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(size: int, edits: int, full_runs: int, watcher: bool) -> dict[str, object]:
    """Generate a log of `size` entries; time full builds and a serve session on it."""
    with tempfile.TemporaryDirectory(prefix="growthlog-bench-") as tmp:
        root = Path(tmp) / "log"
        make_log(root, size)
        fulls = [_child(["--full", str(root)]) for _ in range(full_runs)]
        session = _child(["--serve", str(root), "--edits", str(edits)]
                         + ([] if watcher else ["--no-watcher"]))
    return {"entries": size,
            "full_build_s": statistics.median(float(f["seconds"]) for f in fulls),
            "full_peak_rss_mb": max(float(f["peak_rss_mb"]) for f in fulls),
            **session}


def _child(args: list[str]) -> dict[str, object]:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True,
                         text=True).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def _watched_edits(root: Path, preview: Path, rebuilder: object, paths: list[Path],
                   edits: int) -> list[float]:
    """Save → files on disk through the real watcher (as `serve` runs it)."""
    from generator.serve import Rebuilder
    from generator.watch import watch_changes

    assert isinstance(rebuilder, Rebuilder)
    stop = threading.Event()
    rebuilds: list[tuple[float, float]] = []  # (started, finished) of each rebuild

    def loop() -> None:
        for changes in watch_changes(root, stop):
            started = time.perf_counter()
            rebuilder.rebuild(changes)
            rebuilds.append((started, time.perf_counter()))

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    time.sleep(0.5)  # let the watcher start
    times = []
    for i in range(edits):
        saved = time.perf_counter()
        edit(paths[i], 1000 + i)
        deadline = saved + 600
        while time.perf_counter() < deadline:
            done = [end for start, end in rebuilds if start >= saved]
            if done:
                times.append(done[0] - saved)
                break
            time.sleep(0.002)
        time.sleep(0.1)
    stop.set()
    thread.join(30)
    return times


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--edits", type=int, default=15)
    parser.add_argument("--full-runs", type=int, default=3)
    parser.add_argument("--no-watcher", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--full", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.full:
        print(json.dumps(full_build(args.full)))
        return
    if args.serve:
        print(json.dumps(serve_session(args.serve, args.edits, not args.no_watcher)))
        return
    base = baseline()
    rows = [measure(int(size), args.edits, args.full_runs, not args.no_watcher)
            for size in args.sizes.split(",")]
    if args.json:
        print(json.dumps({"machine": machine(), "baseline_s": base, "results": rows}, indent=1))
        return
    print(f"machine: {machine()}")
    print(f"baseline (200 Markdown renders): {base * 1000:.1f} ms")
    print("| entries | full build | one-entry rebuild (CPU) | rebuild / full | save → disk "
          "(watcher) | full / baseline | rebuild / baseline | pages rendered | peak RSS serve "
          "/ build |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        full, reb, saved = r["full_build_s"], r["rebuild_s"], r["save_to_disk_s"]
        saved_text = f"{saved * 1000:.0f} ms" if saved is not None else "–"
        print(f"| {r['entries']:,} | {full:.2f} s | {reb * 1000:.0f} ms "
              f"({r['rebuild_cpu_s'] * 1000:.0f} ms) | {reb / full:.1%} | "
              f"{saved_text} | {full / base:.0f}× | {reb / base:.2f}× | "
              f"{r['pages_rendered_median']:.0f} | {r['peak_rss_mb']:.0f} / "
              f"{r['full_peak_rss_mb']:.0f} MB |")


if __name__ == "__main__":
    main()
