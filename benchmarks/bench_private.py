"""What a private build costs against a public build of the same log (goal: at most 1.3x at
1,000 entries), and what the leak audit costs within it.

    python benchmarks/bench_private.py                       # 1,000 entries, 5 pairs
    python benchmarks/bench_private.py --entries 100 --pairs 3 --json

A log of generated entries is written to a temp folder, with words drawn from a large
made-up vocabulary so that, like a real log, nearly every entry brings needles of its own
(companies, roles, tags, lessons, feedback, actions, body sentences). Each build runs in a
fresh process into an empty folder; the time is measured inside the process around
`build()` (Python's start-up and imports are not counted; the private build's PBKDF2 unlock
is). The public build is a cold one that neither reads nor writes the on-disk build cache
(.growthlog-cache/), as a private build never does: the work is the same but for sealing.
Public and private builds alternate, and each private build is divided by the public build
next to it: the figures are the medians of those paired ratios, of wall-clock time and of
CPU time. On a loaded machine a build's CPU time itself swings by a third (other sessions'
load on the same cores); the ratio of the least CPU time each kind of build took is given
too, and is about as noisy. A last process times the audit alone on the
private output (needles from the log, then every file checked and the plaintext searched).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PASSWORD = "cobalt hazel dune tripod plaza"
SYLLABLES = ["ka", "lo", "mi", "ne", "su", "ra", "ti", "vo", "be", "da", "fe", "go", "hu",
             "ji", "ko", "le", "ma", "no", "pi", "qu", "ro", "sa", "te", "un", "ve", "wi", "xo",
             "ya", "ze", "an", "el", "or", "is", "ut"]
STAGES = ["applied", "screen", "assessment", "interview", "final"]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4)))


def _sentence(rng: random.Random, words: list[str]) -> str:
    text = " ".join(rng.choice(words) for _ in range(rng.randint(6, 14)))
    return text[0].upper() + text[1:] + "."


def entry_text(n: int, rng: random.Random, words: list[str], tags: list[str]) -> str:
    company = " ".join(rng.choice(words).capitalize() for _ in range(2))
    role = f"{rng.choice(words).capitalize()} Engineer"
    day = f"{2016 + n % 10}-{1 + n % 12:02d}-{1 + n % 28:02d}"

    def quoted(text: str) -> str:
        return json.dumps(text)

    lessons = "".join(f"  - {quoted(_sentence(rng, words))}\n" for _ in range(rng.randint(1, 3)))
    actions = "".join(f"  - {{text: {quoted(_sentence(rng, words)[:-1])}, done: false}}\n"
                      for _ in range(rng.randint(0, 3)))
    body = "\n\n".join(" ".join(_sentence(rng, words) for _ in range(rng.randint(2, 5)))
                       for _ in range(rng.randint(2, 4)))
    return (f"---\ntitle: {quoted(f'{role} at {company} #{n}')}\ndate: {day}\n"
            f"company: {quoted(company)}\nrole: {quoted(role)}\n"
            f"stage: {rng.choice(STAGES)}\noutcome: rejected\n"
            f"tags: [{', '.join(map(quoted, rng.sample(tags, rng.randint(1, 4))))}]\n"
            f"feedback:\n  asked: true\n  received: {quoted(_sentence(rng, words))}\n"
            f"support:\n  - who: {quoted(rng.choice(words).capitalize())}\n"
            f"    took_away: {quoted(_sentence(rng, words))}\n"
            f"postmortem:\n  went_well: [{quoted(_sentence(rng, words))}]\n"
            f"  to_improve: [{quoted(_sentence(rng, words))}]\n"
            f"lessons:\n{lessons}actions:\n{actions or '  []'}\n---\n{body}\n")


def make_log(root: Path, entries: int, seed: int = 7) -> Path:
    from generator import keys

    rng = random.Random(seed)
    words = sorted({_word(rng) for _ in range(6000)})
    tags = sorted({_word(rng) for _ in range(400)})
    for n in range(entries):
        path = root / "content" / str(2016 + n % 10) / f"entry-{n:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(entry_text(n, rng, words, tags), encoding="utf-8")
    keys.init_keyfile(root, PASSWORD)
    return root


def child(mode: str, root: Path, out: Path) -> None:
    """One measured build (or, for 'audit', the audit of a built private folder)."""
    from generator.build import build

    def cpu() -> float:  # with any process the build forked (parallel.py)
        return sum(usage.ru_utime + usage.ru_stime for usage in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN)))

    started, cpu_started = time.perf_counter(), cpu()
    if mode == "audit":
        from generator.audit import audit_files, site_needles
        from generator.keys import unlock
        from generator.pipeline import load_log
        from generator.private import shell_parts
        from generator.site_audit import read_site

        files = read_site(out)
        started, cpu_started = time.perf_counter(), cpu()
        log = load_log(root, drafts=True)
        loaded = time.perf_counter()
        needles = site_needles(log.site, log.config)
        leaks = audit_files(files, needles, shell_parts(), unlock(root, PASSWORD)[1])
        assert leaks == [], leaks[:5]
        extra = {"files": len(files), "needles": len(needles),
                 "load_log_s": loaded - started}
    else:
        build(root, output=out, private=mode == "private", password=PASSWORD, use_cache=False)
        assert not (root / ".growthlog-cache").exists(), "a cached build is not a cold one"
        extra = {}
    print(json.dumps({"wall": time.perf_counter() - started, "cpu": cpu() - cpu_started,
                      **extra}))


def _run(mode: str, root: Path, out: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--child", mode, str(root), str(out)],
                          capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "ROOT", "OUT"), help="internal")
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    with tempfile.TemporaryDirectory(prefix="growthlog-bench-private-") as temp:
        root = make_log(Path(temp) / "log", args.entries)
        pairs = []
        for n in range(args.pairs):
            order = ("public", "private") if n % 2 == 0 else ("private", "public")
            runs = {mode: _run(mode, root, Path(temp) / f"{mode}-{n}") for mode in order}
            pairs.append(runs)
        audit = _run("audit", root, Path(temp) / "private-0")
        files = sum(1 for p in (Path(temp) / "private-0").rglob("*") if p.is_file())

    def median(mode: str, key: str) -> float:
        return statistics.median(p[mode][key] for p in pairs)

    ratios = {key: sorted(p["private"][key] / p["public"][key] for p in pairs)
              for key in ("wall", "cpu")}
    report = {
        "entries": args.entries, "pairs": args.pairs, "private_files": files,
        "python": sys.version.split()[0], "cpus": os.cpu_count(),
        "public_wall_s": median("public", "wall"), "private_wall_s": median("private", "wall"),
        "public_cpu_s": median("public", "cpu"), "private_cpu_s": median("private", "cpu"),
        "ratio_wall_median": statistics.median(ratios["wall"]),
        "ratio_wall_range": [ratios["wall"][0], ratios["wall"][-1]],
        "ratio_cpu_median": statistics.median(ratios["cpu"]),
        "ratio_cpu_range": [ratios["cpu"][0], ratios["cpu"][-1]],
        "ratio_cpu_least": min(p["private"]["cpu"] for p in pairs)
        / min(p["public"]["cpu"] for p in pairs),
        "load_average": list(os.getloadavg()),
        "audit": audit, "runs": pairs,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{args.entries:,} entries, {files:,} private files, {args.pairs} pairs "
          f"(Python {report['python']}, {report['cpus']} CPUs)")
    print(f"  public build   wall {report['public_wall_s']:.2f} s   cpu "
          f"{report['public_cpu_s']:.2f} s   (medians)")
    print(f"  private build  wall {report['private_wall_s']:.2f} s   cpu "
          f"{report['private_cpu_s']:.2f} s")
    print(f"  private/public, paired: wall {report['ratio_wall_median']:.2f}x "
          f"({ratios['wall'][0]:.2f}-{ratios['wall'][-1]:.2f}), cpu "
          f"{report['ratio_cpu_median']:.2f}x ({ratios['cpu'][0]:.2f}-{ratios['cpu'][-1]:.2f}); "
          f"least cpu of each {report['ratio_cpu_least']:.2f}x; load average "
          + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    print(f"  audit alone: {audit['needles']:,.0f} needles, {audit['files']:,.0f} files: "
          f"wall {audit['wall']:.2f} s (loading the log {audit['load_log_s']:.2f} s), "
          f"cpu {audit['cpu']:.2f} s")


if __name__ == "__main__":
    main()
