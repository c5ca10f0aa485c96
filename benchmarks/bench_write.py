"""The write of a one-edit build, this checkout's output.py against another's, paired.

    python benchmarks/bench_write.py ../other-checkout          # 1,000 entries, 40 rounds
    python benchmarks/bench_write.py ../other-checkout --entries 5000 --rounds 10

The benchmark's corpus (bench_tools.py) is built once; then each checkout's
`write_output` (swap, old site kept beside, as `growthlog build` writes) puts that site
into a folder of its own again and again, two pages changed each time and every other
page handed over unread with the stamp the folder's file has (as build_cache.py gives
them), but for the search index: made anew with every edit and never held unread, as
a build makes it. The two run in turn, A then B, B then A, and each round's A/B wall ratio is
taken: the median and quartiles are printed with the load average.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

INDEX = "search/index.json"
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO), str(HERE)]

import bench_tools  # noqa: E402

from generator.render import OutputFile  # noqa: E402


def _load(repo: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, repo / "generator" / "output.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class Writer:
    """One checkout's write_output into its own folder, with what it last wrote."""

    def __init__(self, module: ModuleType, out: Path, files: dict[str, bytes]) -> None:
        self.module, self.out, self.now = module, out, dict(files)
        self.on_disk: dict[str, tuple[bytes, str, tuple[int, int, int, int]]] = {}

    def write(self, changed: set[str], mark: bytes) -> float:
        site = []
        for path, data in self.now.items():
            if path in changed or path == INDEX:
                self.now[path] = data = data.split(b"<!-- round")[0] + mark
                site.append(OutputFile(path, data))
            elif path in self.on_disk:
                site.append(OutputFile(path, self.on_disk[path][0]))
            else:
                site.append(OutputFile(path, data))
        started = time.perf_counter()
        self.module.write_output(site, self.out, swap=True, keep=True, on_disk=self.on_disk)
        took = time.perf_counter() - started
        real = os.fspath(self.out.resolve())
        for path, data in self.now.items():  # (as the build state keeps them: not timed)
            if path == INDEX:
                continue
            found = os.lstat(f"{real}/{path}")
            self.on_disk[path] = (self.module.Unread(found.st_size),
                                  hashlib.sha256(data).hexdigest(),
                                  self.module.file_stamp(found))
        return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("other", type=Path, help="the other checkout (B)")
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-write-") as folder:
        work = Path(folder)
        bench_tools.write_growthlog(work / "log", bench_tools.corpus(args.entries))
        subprocess.run([sys.executable, "-m", "generator", "build", str(work / "log"), "-o",
                        str(work / "site"), "--no-cache"], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL)
        files = {p.relative_to(work / "site").as_posix(): p.read_bytes()
                 for p in sorted((work / "site").rglob("*"))
                 if p.is_file() and not p.name.startswith(".growthlog")}
        shutil.rmtree(work / "site")
        paths = sorted(files)
        writers = {"A": Writer(_load(REPO, "output_a"), work / "a", files),
                   "B": Writer(_load(args.other.resolve(), "output_b"), work / "b", files)}
        times: dict[str, list[float]] = {"A": [], "B": []}
        ratios = []
        for n in range(-3, args.rounds):  # three rounds first, not counted: the old site
            changed = {paths[(n * 7) % len(paths)], paths[(n * 13 + 5) % len(paths)]}
            took = {}
            for name in ("A", "B") if n % 2 else ("B", "A"):
                took[name] = writers[name].write(changed, f"<!-- round {n} -->".encode())
            if n >= 0:
                for name in took:
                    times[name].append(took[name])
                ratios.append(took["A"] / took["B"])
    low, _, high = statistics.quantiles(ratios, n=4)
    a, b = (statistics.median(times[name]) * 1000 for name in ("A", "B"))
    print(f"{args.entries} entries, {args.rounds} rounds: A {a:.1f} ms, B {b:.1f} ms "
          f"(medians); A/B paired median {statistics.median(ratios):.3f} (quartiles "
          f"{low:.3f}-{high:.3f}); load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
