"""Save-to-visible in a real `growthlog serve`: the author saves, clients browse (issue 10, item 5).

    python benchmarks/bench_save_to_visible.py                    # 1,000 entries; 1, 3, 8 clients
    python benchmarks/bench_save_to_visible.py --clients 8 --saves 5 --json

A log of --entries generated entries (benchmarks/bench_serve.py's) is served by
`growthlog serve` in a child process, as the author runs it. For each client count, that
many threads fetch pages of the site one after another, as fast as the server answers
(home, timeline, tags, lessons, actions and entry pages), while the author saves one
entry --saves times, each save a new sentence in its body. Save-to-visible is the time
from the write to the first answer of the entry's page that holds the new sentence; a
save not visible within --timeout seconds is missed. The same is measured again while
another entry is broken (front matter that does not parse), which must not hold the
other saves back: the broken entry keeps its last good page under the error overlay.
Beside each save time: the server's own rebuild times (the rest is watching, waiting and
answering) and the connections the kernel dropped meanwhile ("dropped", machine-wide:
each one is retried by its client a second later, so a save shows 1 or 2 s late).

A baseline measured in the same run (rendering one fixed Markdown document 200 times)
lets figures from different machines be compared as ratios.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(REPO))

from bench_serve import baseline, make_log  # noqa: E402

TARGET = "content/target-entry.md"
TARGET_PAGE = "entries/target-entry/"
BROKEN = "content/broken-entry.md"
OVERLAY = 'id="growthlog-overlay"'
BAD_YAML = "---\ntitle: [Broken entry\ndate: 2026-01-10\n---\nBody.\n"


def entry(title: str, body: str) -> str:
    return (f"---\ntitle: {title}\ndate: 2026-01-10\ncompany: Acme\nstage: interview\n"
            f"tags: [nerves]\n---\n{body}\n")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def fetch(url: str, timeout: float = 30.0) -> str:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return str(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        return str(exc.read().decode("utf-8"))


class Server:
    """`growthlog serve ROOT --port N` in a child process, its output in a list."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", str(root), "--port", str(self.port)],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_ready(self, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(line.startswith("Serving ") for line in self.lines):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("growthlog serve did not start:\n" + "\n".join(self.lines))
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Clients:
    """N threads fetching pages of the site back to back until stopped."""

    def __init__(self, url: str, pages: list[str], count: int) -> None:
        self.stop = threading.Event()
        self.requests = 0
        self.errors = 0
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._browse, args=(url, pages, n), daemon=True)
                        for n in range(count)]
        for thread in self.threads:
            thread.start()

    def _browse(self, url: str, pages: list[str], n: int) -> None:
        rng = random.Random(n)
        while not self.stop.is_set():
            try:
                fetch(url + rng.choice(pages))
                ok = True
            except OSError:
                ok = False
            with self._lock:
                self.requests += 1
                self.errors += not ok

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def listen_overflows() -> int | None:
    """Connections this machine's kernel dropped because a listening socket's queue was full
    (Linux; every process counts): each one a client retries only a second later."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return None
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:], strict=True))
            return int(table.get("ListenOverflows", 0))
    return None


def site_pages(url: str) -> list[str]:
    """The index pages and every entry page linked from the timeline."""
    timeline = fetch(url + "timeline/")
    entries = sorted(set(re.findall(r'href="/(entries/[^"#?]+/)"', timeline)))
    return ["", "timeline/", "tags/", "lessons/", "actions/", *entries]


def save_and_wait(root: Path, url: str, marker: str, timeout: float) -> float | None:
    """Seconds from writing the target entry to its page showing `marker` (None: missed)."""
    (root / TARGET).write_text(entry("Target entry", marker), encoding="utf-8")
    started = time.perf_counter()
    deadline = started + timeout
    while time.perf_counter() < deadline:
        try:
            if marker in fetch(url + TARGET_PAGE, timeout=timeout):
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.02)
    return None


def wait_for(predicate: object, timeout: float) -> bool:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def series(root: Path, server: Server, label: str, saves: int, timeout: float,
           pause: float) -> dict[str, object]:
    """`saves` saves of the target entry, each waited for; with the server's own rebuild
    times over the same span (the rest of save-to-visible is watching and serving)."""
    times: list[float] = []
    missed = 0
    first_line = len(server.lines)
    for i in range(saves):
        took = save_and_wait(root, server.url, f"Save {label} number {i} is here.", timeout)
        if took is None:
            missed += 1
        else:
            times.append(took)
        time.sleep(pause)
    rebuilds = [int(m.group(1)) / 1000 for line in server.lines[first_line:]
                if (m := re.search(r"rendered in (\d+) ms", line))]
    return {"saves": saves, "missed": missed,
            "median_s": round(statistics.median(times), 3) if times else None,
            "max_s": round(max(times), 3) if times else None,
            "rebuild_median_s": round(statistics.median(rebuilds), 3) if rebuilds else None,
            "rebuild_max_s": round(max(rebuilds), 3) if rebuilds else None}


def run(args: argparse.Namespace) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="growthlog-bench-visible-") as tmp:
        root = Path(tmp) / "log"
        make_log(root, args.entries - 2)
        (root / TARGET).write_text(entry("Target entry", "First words."), encoding="utf-8")
        (root / BROKEN).write_text(entry("Broken entry", "Its last good words."),
                                   encoding="utf-8")
        server = Server(root)
        results: dict[str, object] = {"entries": args.entries, "baseline_s": baseline()}
        try:
            server.wait_ready()
            pages = site_pages(server.url)
            for count in args.clients:
                overflows = listen_overflows()
                clients = Clients(server.url, pages, count)
                time.sleep(1.0)
                started = time.perf_counter()
                healthy = series(root, server, f"c{count}h", args.saves, args.timeout,
                                 args.pause)
                (root / BROKEN).write_text(BAD_YAML, encoding="utf-8")
                shown = wait_for(lambda: OVERLAY in fetch(server.url), args.timeout)
                broken = series(root, server, f"c{count}b", args.saves, args.timeout,
                                args.pause)
                kept = "Its last good words." in fetch(server.url + "entries/broken-entry/")
                (root / BROKEN).write_text(entry("Broken entry", "Its last good words."),
                                           encoding="utf-8")
                wait_for(lambda: OVERLAY not in fetch(server.url), args.timeout)
                clients.close()
                rate = clients.requests / (time.perf_counter() - started)
                after = listen_overflows()
                results[f"{count} clients"] = {
                    "requests": clients.requests, "requests_per_s": round(rate, 1),
                    "request_errors": clients.errors,
                    "listen_overflows": None if overflows is None or after is None
                    else after - overflows,
                    "healthy": healthy, "broken": {**broken, "overlay_shown": shown,
                                                   "broken_page_kept": kept}}
        finally:
            server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 3, 8])
    parser.add_argument("--saves", type=int, default=10, help="saves per client count and state")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds after which a save counts as missed")
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between saves")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(args)
    if args.json:
        print(json.dumps(results))
        return
    print(f"{args.entries} entries; baseline {results['baseline_s']:.3f} s "
          "(200 renders of one Markdown document)")
    print(f"{'clients':>7}  {'state':<8} {'saves':>5} {'missed':>6} {'median s':>9} "
          f"{'max s':>7} {'rebuild med/max s':>17} {'req/s':>6} {'dropped':>7}")
    for count in args.clients:
        row = results[f"{count} clients"]
        assert isinstance(row, dict)
        for state in ("healthy", "broken"):
            r = row[state]
            extra = "" if state == "healthy" else (
                f"  overlay {'shown' if r['overlay_shown'] else 'NOT shown'}, broken page "
                f"{'kept' if r['broken_page_kept'] else 'NOT kept'}")
            rebuild = f"{_num(r['rebuild_median_s'])}/{_num(r['rebuild_max_s'])}"
            print(f"{count:>7}  {state:<8} {r['saves']:>5} {r['missed']:>6} "
                  f"{_num(r['median_s']):>9} {_num(r['max_s']):>7} {rebuild:>17} "
                  f"{row['requests_per_s']:>6} {_num(row['listen_overflows']):>7}{extra}")


def _num(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    return "-" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
