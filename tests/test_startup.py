"""Start-up: each command loads only what it uses ([speed] issue 11).

`growthlog --version` used to import the whole pipeline (Markdown, Jinja, pydantic,
cryptography): ~0.6 s of CPU before printing one line. Timing belongs in benchmarks/;
here we check which libraries a real process has loaded when the command is done.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, entry, make_log

PROBE = """
import sys
from generator.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
names = sorted(sys.modules)
import json  # after the list is made: the probe's own import is not counted
print(json.dumps(names), file=sys.stderr)
"""
HEAVY = ("markdown_it", "mdit_py_plugins", "markdown_it_pyrs", "jinja2", "pydantic",
         "pydantic_core", "yaml", "cryptography", "watchfiles")


def loaded(*args: str | Path, cwd: Path = REPO) -> set[str]:
    """Modules a fresh `growthlog ARGS` process has imported when it finishes."""
    done = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, check=True)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["build", "--help"],
                                  ["new", "--help"]])
def test_version_and_help_load_no_library_but_click(args: list[str]) -> None:
    assert loaded(*args) & set(HEAVY) == set()


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help_load_only_the_command_line(args: list[str]) -> None:
    """Not even the standard library's logging or json: the commands that use them (serve,
    schema) import them (`--help` was 1.6-1.9x `hugo version`'s CPU)."""
    mods = loaded(*args)
    assert {m for m in mods if m.startswith("generator")} == {
        "generator", "generator.cli", "generator.collector", "generator.errors",
        "generator.value"}
    assert mods & {"json", "logging"} == set()


def test_new_loads_neither_markdown_nor_templates_nor_crypto(tmp_path: Path) -> None:
    log = make_log(tmp_path / "log", {"content/a.md": entry()})
    mods = loaded("new", "Data Engineer at Acme", log, "--date", "2026-03-20")
    assert (log / "content" / "2026-03-20-data-engineer-at-acme.md").is_file()
    assert mods & {"markdown_it", "markdown_it_pyrs", "jinja2", "cryptography",
                   "generator.render", "generator.build"} == set()


def test_check_and_actions_of_a_public_log_load_no_crypto(tmp_path: Path) -> None:
    log = make_log(tmp_path / "log", {"content/a.md": entry()})
    for args in (["check", log], ["actions", log]):
        mods = loaded(*args)
        assert "generator.entries" in mods  # it did read the log
        assert mods & {"cryptography", "generator.crypto", "generator.keys",
                       "generator.private", "watchfiles"} == set()


def test_a_build_with_nothing_changed_loads_no_pipeline(tmp_path: Path) -> None:
    """Nor the model types (creating their classes: ~10 ms), the Markdown module,
    python-slugify or tempfile (with shutil, lzma, bz2: ~2.4 ms; the build cache's files
    are written without it, and Jinja, which imports it, is not loaded): it reads the
    config, lists the files and compares (0.78x the CPU)."""
    log = make_log(tmp_path / "log", {"content/a.md": entry()})
    first = loaded("build", log)
    assert {"jinja2", "generator.render"} <= first
    again = loaded("build", log)
    assert again & {"markdown_it", "markdown_it_pyrs", "jinja2", "cryptography", "generator.render",
                    "generator.entries", "generator.build", "generator.model",
                    "generator.markup", "slugify", "tempfile", "shutil"} == set()


def test_an_edit_outside_the_feed_and_the_figures_loads_no_xml(tmp_path: Path) -> None:
    """xml.etree (0.8 ms of a build's start) draws the charts and writes the feed, which
    the build state keeps as they were: an edit of an old entry's words loads it not."""
    log = make_log(tmp_path / "log", {
        f"content/e{n:02}.md": entry(f"Role {n}", date=f"2025-{1 + n // 2:02}-{1 + n:02}")
        for n in range(24)})
    assert "xml.etree.ElementTree" in loaded("build", log)
    oldest = log / "content" / "e00.md"
    oldest.write_text(oldest.read_text(encoding="utf-8") + "More words.\n", encoding="utf-8")
    assert "xml.etree.ElementTree" not in loaded("build", log)


def test_a_check_after_a_build_parses_nothing_so_loads_no_validator_or_renderer(
        tmp_path: Path) -> None:
    """The validator and the Markdown renderers are for files to parse: a check
    of a log whose entries the last build parsed needs neither. An edited entry does."""
    log = make_log(tmp_path / "log", {"content/a.md": entry(), "content/b.md": entry("B")})
    loaded("build", log)
    mods = loaded("check", log)
    assert "generator.build" in mods  # it did check the log
    assert mods & {"pydantic_core._pydantic_core", "markdown_it", "markdown_it_pyrs",
                   "generator.entries", "generator.schema"} == set()
    (log / "content/b.md").write_text(entry("B", body="Edited."), encoding="utf-8")
    assert {"pydantic_core._pydantic_core", "markdown_it_pyrs"} <= loaded("check", log)


def test_check_looks_for_the_keyfile_where_keys_writes_it() -> None:
    from generator import keys, share_check

    assert share_check.KEYFILE == keys.KEYFILE


def test_no_build_or_check_loads_pydantic_or_importlib_metadata(tmp_path: Path) -> None:
    """Entries are validated by pydantic-core with a schema of growthlog's own: pydantic's
    model classes took ~0.07 s to import and build, a sixth of a cold build of 100 entries,
    and pydantic loaded importlib.metadata to look for plugins. The cache key's library
    versions come from their .dist-info folders' names: importlib.metadata and the email
    parser it loads were 12 ms of a build with nothing changed (0.11 s)."""
    log = make_log(tmp_path / "log", {"content/a.md": entry()})
    for args in (["check", log], ["build", log], ["build", log], ["check", log]):
        mods = loaded(*args)
        assert "generator.cache" in mods
        assert mods & {"importlib.metadata", "email", "pydantic"} == set()
    (log / "content/a.md").write_text(entry(body="Edited."), encoding="utf-8")
    mods = loaded("build", log)
    assert {"generator.entries", "pydantic_core._pydantic_core"} <= mods  # it did parse
    assert mods & {"importlib.metadata", "email", "pydantic"} == set()


GC_PROBE = """
import gc, sys
from generator.cli import main
collections, running = [], []
for command in main.commands.values():  # counted while a command runs, not click's parsing
    def counted(*args, __run=command.callback, **kwargs):
        running.append(True)
        try:
            return __run(*args, **kwargs)
        finally:
            running.pop()
    command.callback = counted
gc.callbacks.append(lambda phase, info: phase == "start" and running and collections.append(info))
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(len(collections), gc.isenabled(), file=sys.stderr)
"""


def test_build_and_check_run_without_the_cycle_collector(tmp_path: Path) -> None:
    """Its collections were 3-4 % of a cold build and found next to nothing (cli.py):
    none while a build or check runs (an import of theirs neither; 43 here before), and
    it is on again after (`main` called in a process that goes on: then one collection,
    set off as it is switched on again)."""
    log = make_log(tmp_path / "log", {f"content/e{n}.md": entry(f"E{n}") for n in range(30)})
    for args in (["build", log], ["check", log], ["build", log, "--no-cache"]):
        done = subprocess.run([sys.executable, "-c", GC_PROBE, *map(str, args)], cwd=REPO,
                              capture_output=True, text=True, check=True)
        count, enabled = done.stderr.split()[-2:]
        assert int(count) <= 1 and enabled == "True", (args, done.stderr)


PROGRAM_GC_PROBE = """
import gc, os, sys
collections = []
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info))
leave = os._exit
def counted(code):
    print("collections", len(collections), file=sys.stderr, flush=True)
    leave(code)
os._exit = counted
sys.argv = ["growthlog", *sys.argv[1:]]
from generator.__main__ import main
main()
"""


def test_the_program_runs_without_the_cycle_collector_but_serve(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`growthlog` and `python -m generator` switch it off before their first import (the
    command line's imports set off some twenty collections, a cold build's end one more:
    24 here before), and leave without it; `serve`, which runs for hours, switches it on."""
    log = make_log(tmp_path / "log", {f"content/e{n}.md": entry(f"E{n}") for n in range(30)})
    for args in (["--version"], ["build", log], ["check", log]):
        done = subprocess.run([sys.executable, "-c", PROGRAM_GC_PROBE, *map(str, args)],
                              cwd=REPO, capture_output=True, text=True, check=True)
        said, count = done.stderr.split()[-2:]  # (one may come before its first line)
        assert said == "collections" and int(count) <= 1, (args, done.stderr)
    import gc

    from generator import cli, serve

    seen: list[bool] = []
    monkeypatch.setattr(serve, "serve", lambda *args, **kwargs: seen.append(gc.isenabled()))
    gc.disable()
    try:
        cli.main(["serve", str(log)], standalone_mode=False)
    finally:
        gc.enable()
    assert seen == [True]


def test_a_build_loads_no_module_it_has_no_use_for(tmp_path: Path) -> None:
    """statistics (two medians, with fractions and decimal: ~2 ms), traceback (a
    theme's error only: ~1 ms) and difflib (lessons worded differently only: 0.4 ms) are
    not imported by a build that needs none of them."""
    log = make_log(tmp_path / "log", {"content/a.md": entry(), "content/b.md": entry("B")})
    for args in (["build", log], ["check", log]):
        assert loaded(*args) & {"statistics", "traceback", "fractions", "decimal",
                                "difflib"} == set()


def test_a_build_into_a_new_folder_loads_neither_ctypes_nor_signal(tmp_path: Path) -> None:
    """ctypes (1.2 ms) swaps an old site for a new one (renameat2): a build into a new
    folder renames its staging folder. signal stops a worker process when a split step
    raised. Neither is imported when not used."""
    log = make_log(tmp_path / "log", {"content/a.md": entry(), "content/b.md": entry("B")})
    assert loaded("build", log, "-o", tmp_path / "site") & {"ctypes", "signal"} == set()


def test_jinja_loads_while_other_processes_parse(tmp_path: Path) -> None:
    """What the steps after parsing take (Jinja, the theme, compiled templates, the charts,
    the site's figures, the feed: ~16-20 ms of a cold build's start) is loaded by the
    parent while the other processes parse entries, not before the first fork: the parse
    step forks without them, the render step with them. (Seen at each fork through an
    audit hook, in a process of its own.)"""
    log = make_log(tmp_path / "log", {f"content/e{i}.md": entry(f"Entry {i}")
                                      for i in range(40)})
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "forks = []\n"
        "sys.addaudithook(lambda event, args: event == 'os.fork'"
        " and forks.append(str(any(name in sys.modules for name in"
        " ('jinja2', 'generator.site', 'generator.feed')))))\n"
        "from generator.build import build\n"
        "from generator.parallel import Workers\n"
        "loaded = 'jinja2' in sys.modules\n"
        "build(Path(sys.argv[1]), output=Path(sys.argv[2]), workers=Workers(2, min_share=5))\n"
        "print(loaded, forks)\n")
    done = subprocess.run([sys.executable, "-c", probe, str(log), str(tmp_path / "out")],
                          cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.split(maxsplit=1) == ["False", "['False', 'True']\n"], done.stderr
    assert (tmp_path / "out" / "index.html").is_file()


def test_parsing_loads_pydantic_cores_validator_not_its_schema_builders(tmp_path: Path) -> None:
    """The schema is plain dicts (schema.py): the pydantic_core package's __init__, which
    imports its core_schema builders (~200 TypedDicts, about 10 ms of a cold build of 100
    entries), is not run; an entry with an error is still reported as before."""
    log = make_log(tmp_path / "log", {"content/a.md": entry(), "content/b.md": entry()})
    mods = loaded("build", log)
    assert "pydantic_core._pydantic_core" in mods
    assert mods & {"pydantic_core", "pydantic_core.core_schema", "typing_extensions"} == set()
    (log / "content/b.md").write_text("---\ntitle: B\ndate: someday\n---\nText.\n",
                                      encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "generator", "build", str(log)], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert "content/b.md" in done.stderr and "date" in done.stderr
    assert "Traceback" not in done.stderr


EXIT_PROBE = """
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
write = os.write

class Torn:  # freed when the interpreter is torn down
    def __del__(self, fd=fd, write=write):
        write(fd, b"torn down\\n")

torn = Torn()
if sys.argv[2] == "atexit":
    import atexit
    atexit.register(lambda: write(fd, b"at exit\\n"))
elif sys.argv[2] == "thread":  # still working when the command is done, however long it took
    import threading, time
    import generator.cli as cli
    command, done = cli.main, threading.Event()
    def main(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        finally:
            done.set()
    cli.main = main
    threading.Thread(target=lambda: (done.wait(), time.sleep(0.5),
                                     write(fd, b"thread done\\n"))).start()
from generator.cli import run
sys.argv = ["growthlog", *sys.argv[3:]]
run()
"""


def _run_program(tmp_path: Path, way: str, *args: str | Path
                 ) -> tuple[subprocess.CompletedProcess[str], str]:
    """`growthlog ARGS` as the installed program runs it (cli.run), with a probe object
    that says whether the interpreter was torn down; (the process, what was said)."""
    said = tmp_path / f"said-{way}-{len(list(tmp_path.glob('said-*')))}.txt"
    done = subprocess.run([sys.executable, "-c", EXIT_PROBE, str(said), way, *map(str, args)],
                          cwd=REPO, capture_output=True, text=True, check=False)
    return done, said.read_text(encoding="utf-8") if said.exists() else ""


def test_the_program_leaves_without_tearing_the_interpreter_down(tmp_path: Path) -> None:
    """Freeing every object one by one took 25 ms after a cold build of 100 entries and
    55-65 ms at 1,000: the program skips it, with the same exit codes and output."""
    log = make_log(tmp_path / "log", {"content/a.md": entry()})
    bad = make_log(tmp_path / "bad", {"content/a.md": entry(date="soon")})
    built, said = _run_program(tmp_path, "plain", "build", log)
    assert (built.returncode, said) == (0, "")
    assert "1 entries" in built.stdout or "1 entry" in built.stdout
    refused, said = _run_program(tmp_path, "plain", "build", bad)
    assert (refused.returncode, said) == (1, "")
    assert "content/a.md" in refused.stderr and "nothing was written" in refused.stderr
    usage, said = _run_program(tmp_path, "plain", "--bogus")
    assert (usage.returncode, said) == (2, "")
    assert "No such option" in usage.stderr


@pytest.mark.parametrize(("way", "then"), [("atexit", "at exit\n"), ("thread", "thread done\n")])
def test_the_program_leaves_as_usual_when_something_waits_for_it(
        tmp_path: Path, way: str, then: str) -> None:
    """A function registered to run at exit runs; a thread still working is waited for."""
    log = make_log(tmp_path / "log", {"content/a.md": entry()})
    done, said = _run_program(tmp_path, way, "build", log)
    assert done.returncode == 0
    assert said == then + "torn down\n"
