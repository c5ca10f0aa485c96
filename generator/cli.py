"""The `growthlog` command line: the only module that prints and picks exit codes.

Exit codes: 0 success (warnings allowed), 1 content or config problems, 2 usage errors.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import sys
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from generator import __version__
from generator.collector import collector_off
from generator.errors import GrowthlogError, ProblemsFound, sort_problems

if TYPE_CHECKING:
    from generator.errors import Problem

# Each command imports what it uses when it runs, so `--version`, `--help`, `new` and
# `check` do not pay for the whole pipeline (Markdown, Jinja, crypto) at start-up.

F = TypeVar("F", bound=Callable[..., Any])
FOLDER = click.Path(file_okay=False, path_type=Path)
"""One type for every folder argument: each click.Path made asks gettext for its name
(a look for a translation file on disk, about 0.07 ms), at every start."""
ROOT = click.argument("root", required=False, default=".", type=FOLDER)
PASSWORD_STDIN = click.option(
    "--password-stdin", is_flag=True,
    help="Read the passphrase from the first line of stdin (else $GROWTHLOG_PASSWORD or a prompt).")
WEAK_OK = click.option("--weak-ok", is_flag=True,
                       help="Accept a new passphrase zxcvbn rates under 50 bits (not advised).")


def paint(text: str, **style: Any) -> str:
    """Colour for a terminal; plain with NO_COLOR set (https://no-color.org). click.echo
    drops the colour by itself when the output is not a terminal (a pipe, a file)."""
    return text if os.environ.get("NO_COLOR") else click.style(text, **style)


def report_problems(problems: Sequence[Problem]) -> None:
    """Print every problem, then a count, to stderr."""
    for problem in sort_problems(list(problems)):
        colour = "red" if problem.is_error else "yellow"
        click.echo(paint(problem.format(), fg=colour), err=True)


def user_errors(func: F) -> F:
    """Turn GrowthlogError into a calm message and exit 1; never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ProblemsFound as exc:
            report_problems(exc.problems)
            errors = len(exc.errors)
            click.echo(paint(f"{errors} problem{'s' * (errors != 1)} to fix; nothing was "
                             "written.", fg="red", bold=True), err=True)
            sys.exit(1)
        except GrowthlogError as exc:
            click.echo(paint(f"error: {exc}", fg="red"), err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _root(root: Path) -> Path:
    if not root.is_dir():
        raise click.UsageError(f"{root} is not a folder")
    return root


def _log_root(root: Path) -> Path:
    """A folder that holds a log (growthlog.toml or content/); else say how to start one."""
    from generator.config import CONFIG_NAME

    root = _root(root)
    if not (root / CONFIG_NAME).is_file() and not (root / "content").is_dir():
        shown = "this folder" if root == Path(".") else root.as_posix()
        raise GrowthlogError(f"{shown} is not a growthlog log (it has no {CONFIG_NAME} and no "
                             "content/ folder). Start one with `growthlog init DIR`, or name "
                             "the log's folder: `growthlog COMMAND path/to/log`.")
    return root


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="growthlog")
def main() -> None:
    """Turn a growth log of job rejections into a calm, private website."""


def run() -> None:
    """The `growthlog` program (and `python -m generator`): `main`, then out of the process
    without tearing the interpreter down, which frees every object one by one (after a
    cold build: 25 ms at 100 entries, 55-65 ms at 1,000) where the system takes the
    memory back at once. Only when that loses nothing (`_leave`); else as usual.
    Without Python's cycle collector (as `collector_off`), but for `serve`, which runs for
    hours: a command's own objects are freed by leaving, and collecting them when it is
    done (as switching it on again would) is time lost."""
    gc.disable()
    try:
        main()
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):  # (a text is printed on the way)
            _leave(exc.code or 0)
        raise


def _leave(code: int) -> None:
    """Exit at once with `code` when nothing else needs the usual way out: stdout and
    stderr flushed, no other thread running, nothing registered to run at exit, no
    profiler or tracer to report (pyinstrument, cProfile, coverage). Else return."""
    import atexit

    threading = sys.modules.get("threading")
    pending = getattr(atexit, "_ncallbacks", None)  # (CPython's; elsewhere: as usual)
    if (threading is not None and threading.active_count() > 1) or pending is None \
            or pending() or sys.getprofile() is not None or sys.gettrace() is not None:
        return
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # (none at all under pythonw)
                stream.flush()
    except (OSError, ValueError):  # a closed pipe: Python says so on its way out
        return
    os._exit(code)


@main.command()
@ROOT
@click.option("-o", "--output", type=FOLDER,
              help="Output folder (default: ROOT/output).")
@click.option("--drafts", is_flag=True, help="Include entries marked draft: true.")
@click.option("--private", "private", is_flag=True, default=None,
              help="Encrypt the whole site (as `private = true` in growthlog.toml does).")
@click.option("--no-cache", is_flag=True,
              help="Neither read nor update the build cache in ROOT/.growthlog-cache.")
@PASSWORD_STDIN
@WEAK_OK
@user_errors
# No cycle collection while a build or check imports and runs: it looked through every
# object they made and found next to nothing (3-4 % of a cold build at 100 to 3,000
# entries; peak memory the same). What is left is freed by leaving (`run`).
@collector_off()
def build(root: Path, output: Path | None, drafts: bool, private: bool | None,
          no_cache: bool, password_stdin: bool, weak_ok: bool) -> None:
    """Build the site from ROOT/content into ROOT/output."""
    from generator.cache import unchanged_build

    root = _log_root(root)
    password = _build_passphrase(root, private, password_stdin, weak_ok)
    out_dir = output if output is not None else root / "output"
    report, fingerprint = (None, None) if no_cache else unchanged_build(
        root, out_dir, drafts=drafts, base_url=None, private=private)
    if report is None:  # something changed: only now load the pipeline
        from generator.meter import terminal_meter
        from generator.output import check_output_dir, copy_beside
        from generator.parallel import Workers

        workers = Workers.available()
        copied = None
        if fingerprint is not None:  # a public build over a site: the copy beside it
            check_output_dir(out_dir, root)  # (build.build) starts now, while the
            copied = copy_beside(out_dir, workers.spare)  # pipeline is still being imported
        meter = terminal_meter(sys.stderr)  # the wait for the imports is part of the build's
        from generator.build import build as build_site_files

        # No fingerprint: the cache is not for this build (--no-cache, a private log, an
        # input it cannot read), as unchanged_build just found; build() need not ask again.
        try:
            report = build_site_files(root, output=output, drafts=drafts, private=private,
                                      password=password, use_cache=fingerprint is not None,
                                      progress=meter, workers=workers,
                                      fingerprint=fingerprint, copied=copied)
        finally:
            if meter is not None:
                meter.close()
    report_problems(report.warnings)
    click.echo(paint(report.summary(), fg="green"))
    if password is not None:
        click.echo("Private build: every file is encrypted and the leak audit found nothing.")


def _build_passphrase(root: Path, private: bool | None, from_stdin: bool,
                      weak_ok: bool) -> str | None:
    """The passphrase when the build is private (flag or config); None otherwise."""
    from generator.config import load_config
    from generator.errors import raise_on_errors

    config, problems = load_config(root)
    if any(p.is_error for p in problems):
        # Every problem at once, as `check` reports them, not only the config's.
        from generator.pipeline import load_log

        raise_on_errors(load_log(root).problems)
    if not (private or config.private):
        return None
    from generator import keys
    password, created = keys.build_passphrase(
        root, iterations=config.iterations, stdin=sys.stdin if from_stdin else None,
        allow_weak=weak_ok)
    if created is not None:
        click.echo(f"Created {created.relative_to(root).as_posix()} (keep it with your "
                   "private source; it is never deployed).", err=True)
    return password


@main.command()
@ROOT
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1 on any).")
@click.option("--links", is_flag=True,
              help="Also check that every internal link of the built site resolves.")
@click.option("-o", "--output", type=FOLDER,
              help="Built site whose links --links checks (default: ROOT/output).")
@PASSWORD_STDIN
@user_errors
@collector_off()
def check(root: Path, strict: bool, links: bool, output: Path | None,
          password_stdin: bool) -> None:
    """Check config, every entry and the theme; write nothing."""
    from generator.build import check as check_log
    from generator.parallel import Workers

    root = _log_root(root)
    warnings = check_log(root, workers=Workers.available())
    report_problems(warnings)
    count = f"{len(warnings)} warning{'s' * (len(warnings) != 1)}"
    failed = False
    if strict and warnings:
        click.echo(f"{count}: --strict makes warnings errors.", err=True)
        failed = True
    if links:
        failed = _check_links(root, output, password_stdin) or failed
    if failed:
        sys.exit(1)
    click.echo(paint(f"No problems found{f' ({count})' if warnings else ''}.", fg="green"))


def _check_links(root: Path, output: Path | None, password_stdin: bool) -> bool:
    """Report every broken internal link of the built site; True when there is any."""
    from generator import keys
    from generator.config import load_valid_config
    from generator.linkcheck import check_links, is_private_build, read_site

    out_dir = output if output is not None else root / "output"
    if not (out_dir / "index.html").is_file():
        raise GrowthlogError(f"no built site in {out_dir} (run `growthlog build` first)")
    password = (keys.read_passphrase(stdin=sys.stdin if password_stdin else None)
                if is_private_build(out_dir) else None)
    pages, files = read_site(out_dir, root=root, password=password)
    broken = check_links(pages, files, load_valid_config(root).base_url)
    shown = out_dir.relative_to(root).as_posix() if out_dir.is_relative_to(root) else str(out_dir)
    for link in broken:
        click.echo(f"{shown}/{link.format()}", err=True)
    if broken:
        click.echo(f"{len(broken)} broken link{'s' * (len(broken) != 1)} in {len(pages)} pages.",
                   err=True)
    else:
        click.echo(f"No broken links in {len(pages)} pages.")
    return bool(broken)


@main.command()
@ROOT
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")
@click.option("--drafts/--no-drafts", default=True, show_default=True,
              help="Preview entries marked draft: true, marked as drafts (`build` leaves "
                   "them out).")
@click.option("--open", "open_browser", is_flag=True, help="Open the site in a web browser.")
@user_errors
def serve(root: Path, host: str, port: int, drafts: bool, open_browser: bool) -> None:
    """Preview the site, rebuilding and reloading the browser on every save."""
    import logging

    gc.enable()  # a session of hours (run): what it drops in cycles must be collected

    from generator.serve import serve as serve_log

    logging.basicConfig(level=logging.INFO, format="%(message)s")  # what serve says as it goes

    serve_log(_log_root(root), host=host, port=port, drafts=drafts, open_browser=open_browser,
              echo=click.echo)


@main.command()
@ROOT
@user_errors
def schema(root: Path) -> None:
    """Print the JSON Schema of entry front matter (for editor validation)."""
    import json

    from generator.config import load_valid_config
    from generator.schema import entry_json_schema

    config = load_valid_config(root)
    click.echo(json.dumps(entry_json_schema(config), indent=2))


@main.command()
@click.argument("directory", type=FOLDER)
@click.option("--github-actions", is_flag=True,
              help="Also write .github/workflows/pages.yml (GitHub Pro/Team: private source "
                   "repo, build with the passphrase from a repository secret).")
@click.option("--growthlog-source", metavar="URL@COMMIT",
              help="For --github-actions: the HTTPS git URL of growthlog and the full commit to "
                   "install (default: the commit this growthlog was installed from, if any).")
@user_errors
def init(directory: Path, github_actions: bool, growthlog_source: str | None) -> None:
    """Start a new log in DIRECTORY that builds straight away."""
    from generator import scaffold

    requirement = scaffold.growthlog_source(growthlog_source) if github_actions else None
    written = scaffold.init_log(directory)
    if requirement is not None:
        written.append(scaffold.write_pages_workflow(directory, requirement))
    for path in written:
        click.echo(f"  wrote {path.relative_to(directory).as_posix()}")
    click.echo(f"New log in {directory}. Next: growthlog new \"Role at Company\" {directory}")


@main.command("import")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@ROOT
@click.option("--from", "kind", type=click.Choice(["jekyll", "hugo", "obsidian", "csv"]),
              help="What SOURCE is (default: told from its shape: _posts/, .obsidian/, …).")
@click.option("--map", "maps", multiple=True, metavar="THEIRS=OURS",
              help="Read their key or column into our field, e.g. --map 'Job Link=link' "
                   "(repeatable).")
@click.option("--map-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file of THEIRS=OURS lines, one mapping a line ('#' starts a comment).")
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@user_errors
def import_notes(source: Path, root: Path, kind: str | None, maps: tuple[str, ...],
                 map_file: Path | None, dry_run: bool) -> None:
    """Bring notes from SOURCE into ROOT/content as new entries: Jekyll posts, a Hugo
    site, an Obsidian vault or a job tracker's CSV. Never overwrites a file."""
    from generator.config import load_valid_config
    from generator.import_plan import check_plan, write_plan
    from generator.importer import detect_kind, plan_import

    root = _log_root(root)
    config = load_valid_config(root)
    lines = list(maps)
    if map_file is not None:
        lines += [x.split("#", 1)[0] for x in map_file.read_text(encoding="utf-8").splitlines()]
    mapping = _mapping([x for x in lines if x.strip()])
    kind = kind or detect_kind(source)
    if kind is None:
        raise click.UsageError(f"cannot tell what {source} is; say it with --from "
                               "jekyll|hugo|obsidian|csv")
    plan = plan_import(source, kind, mapping, config)
    content = root / "content"
    problems = check_plan(plan, content, config)
    errors = [p for p in problems if p.is_error]
    if errors:
        report_problems(problems)
        click.echo(paint(f"{len(errors)} problem{'s' * (len(errors) != 1)} to fix; nothing "
                         "was imported.", fg="red", bold=True), err=True)
        sys.exit(1)
    verb = "would write" if dry_run else "wrote"
    for note in plan.notes:
        click.echo(note)
    for planned in plan.entries:
        origin = planned.source if planned.row is None else \
            f"{planned.source}, line {planned.row}"
        click.echo(f"{verb} content/{planned.target} (from {origin})")
        for note in planned.notes:
            click.echo(f"    {note}")
    for copy in plan.copies:
        click.echo(f"{'would copy' if dry_run else 'copied'} content/{copy.target}")
    report_problems(problems)
    if not dry_run:
        write_plan(plan, content)
    count = len(plan.entries)
    click.echo(paint(f"{'Dry run: would import' if dry_run else 'Imported'} {count} "
                     f"entr{'ies' if count != 1 else 'y'} and {len(plan.copies)} attachment"
                     f"{'s' * (len(plan.copies) != 1)} from {source.name}"
                     f"{'; nothing was written' if dry_run else ''}.", fg="green"))


def _mapping(lines: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for line in lines:
        theirs, equals, ours = line.partition("=")
        if not equals or not theirs.strip() or not ours.strip():
            raise click.BadParameter(f"expected THEIRS=OURS, e.g. 'Job Link=link'; found "
                                     f"{line!r}", param_hint="--map")
        mapping[theirs.strip()] = ours.strip()
    return mapping


@main.command()
@click.argument("title")
@ROOT
@click.option("--company", help="Company name.")
@click.option("--role", help="Role you applied for.")
@click.option("--stage", help="Furthest stage reached (see `stages` in growthlog.toml).")
@click.option("--date", "when", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Day the rejection came (default: today).")
@click.option("--edit", is_flag=True, help="Open the new entry in $VISUAL or $EDITOR.")
@user_errors
def new(title: str, root: Path, company: str | None, role: str | None, stage: str | None,
        when: dt.datetime | None, edit: bool) -> None:
    """Write a new entry from a template that walks through the five practices."""
    from generator import scaffold
    from generator.config import load_valid_config

    root = _log_root(root)
    config = load_valid_config(root)
    if stage is not None and stage not in config.stages:
        raise click.BadParameter(f"expected one of {', '.join(config.stages)}; found {stage!r}",
                                 param_hint="--stage")
    day = when.date() if when else today()
    path = scaffold.new_entry(root, config, scaffold.NewEntry(title, day, company, role, stage))
    click.echo(f"Wrote {path.relative_to(root).as_posix()}")
    if edit:
        from generator import children

        children.edit(path)


@main.command()
@ROOT
@click.option("--open", "open_only", is_flag=True, help="Only actions not done yet.")
@click.option("--due-before", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Only actions due before this date (YYYY-MM-DD).")
@click.option("--ics", "ics_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the dated actions to this iCalendar (.ics) file instead (it "
                   "replaces only a calendar growthlog wrote, never a file in content/).")
@click.option("--force", is_flag=True,
              help="With --ics: replace the file even if growthlog did not write it.")
@user_errors
def actions(root: Path, open_only: bool, due_before: dt.datetime | None,
            ics_file: Path | None, force: bool) -> None:
    """List action items with their entry and due date, or export them to a calendar."""
    from generator.errors import raise_on_errors
    from generator.named_files import write_named_file
    from generator.pipeline import load_log
    from generator.reminders import (
        actions_calendar,
        dated,
        format_action,
        is_our_calendar,
        list_actions,
    )

    root = _root(root)
    log = load_log(root)
    raise_on_errors(log.problems)
    items = list_actions(log.site, open_only=open_only,
                         due_before=due_before.date() if due_before else None)
    if ics_file is not None:
        stamp = (log.site.insight.as_of if log.site.insight else None) or today()
        text = actions_calendar(items, stamp=stamp, name=f"{log.config.title}: actions")
        write_named_file(ics_file, text.encode("utf-8"), root=root, ours=is_our_calendar,
                         what="calendar", force=force)
        count = len(dated(items))
        click.echo(f"Wrote {count} dated action{'s' * (count != 1)} to {ics_file}")
        return
    for item in items:
        click.echo(format_action(item, today()))
    if not items:
        click.echo("No actions match.")


@main.group()
def key() -> None:
    """Create the private-mode keyfile, change its passphrase, or make a new site key."""


@key.command("init")
@ROOT
@PASSWORD_STDIN
@WEAK_OK
@user_errors
def key_init(root: Path, password_stdin: bool, weak_ok: bool) -> None:
    """Create ROOT/.growthlog/site-key.json: a random site key wrapped by your passphrase."""
    from generator import keys
    from generator.config import load_valid_config

    root = _root(root)
    config = load_valid_config(root)
    keys.refuse_existing_keyfile(root)
    click.echo(keys.DICEWARE_ADVICE, err=True)
    password = keys.read_passphrase(stdin=sys.stdin if password_stdin else None, confirm=True,
                                    label="New passphrase",
                                    check=lambda p: keys.check_strength(p, allow_weak=weak_ok))
    path = keys.init_keyfile(root, password, iterations=config.iterations, allow_weak=weak_ok)
    click.echo(f"Wrote {path.relative_to(root).as_posix()}. Keep it with your private source; "
               "build with `growthlog build --private` or set `private = true`.")


@key.command("passwd")
@ROOT
@PASSWORD_STDIN
@WEAK_OK
@user_errors
def key_passwd(root: Path, password_stdin: bool, weak_ok: bool) -> None:
    """Re-wrap the site key with a new passphrase (stdin: current line, then new line)."""
    from generator import keys

    root = _root(root)
    stdin = sys.stdin if password_stdin else None
    old = keys.read_passphrase(stdin=stdin, label="Current passphrase")
    new = keys.read_passphrase(env=keys.NEW_PASSWORD_ENV, stdin=stdin, confirm=True,
                               label="New passphrase",
                               check=lambda p: keys.check_strength(p, allow_weak=weak_ok))
    keys.change_passphrase(root, old, new, allow_weak=weak_ok)
    click.echo("Passphrase changed. Pages and URLs stay the same; rebuild and deploy so the "
               "published key blob uses it. Copies published earlier still open with the old one.")


@key.command("rotate")
@ROOT
@PASSWORD_STDIN
@user_errors
def key_rotate(root: Path, password_stdin: bool) -> None:
    """Make a new site key (same passphrase): every file, URL and remembered key changes."""
    from generator import keys

    root = _root(root)
    password = keys.read_passphrase(stdin=sys.stdin if password_stdin else None)
    keys.rotate_key(root, password)
    click.echo("New site key. Rebuild and deploy; bookmarks and remembered devices stop "
               "working. Copies published earlier still open with the old passphrase.")


@main.group()
def reader() -> None:
    """Give a mentor, family or friends their own passphrase to the entries you share."""


READER_NAME = click.argument("name")
REVOKE_NOTE = ("What they already saw or saved cannot be taken back; the old deploy stays in "
               "any copy, cache or fork made of it.")


def _reader_passphrase(name: str, stdin: Any, generate: bool, weak_ok: bool) -> str:
    """The reader's new passphrase: generated, else $GROWTHLOG_NEW_PASSWORD, the next line of
    stdin or a prompt (asked twice), checked for strength on the first entry."""
    from generator import keys, readers

    if generate:
        return readers.generate_passphrase()
    return keys.read_passphrase(env=keys.NEW_PASSWORD_ENV, stdin=stdin, confirm=True,
                                label=f"New passphrase for {name}",
                                check=lambda p: keys.check_strength(p, allow_weak=weak_ok))


GENERATE = click.option("--generate", is_flag=True,
                        help="Make up five random diceware words and print them once.")


@reader.command("add")
@READER_NAME
@ROOT
@GENERATE
@PASSWORD_STDIN
@WEAK_OK
@user_errors
def reader_add(name: str, root: Path, generate: bool, password_stdin: bool,
               weak_ok: bool) -> None:
    """Add reader NAME with their own passphrase (stdin: your line, then theirs)."""
    from generator import keys, readers

    root = _log_root(root)
    readers.check_name(name)
    readers.refuse_existing(keys.load_readers(root), name)
    stdin = sys.stdin if password_stdin else None
    author = keys.read_passphrase(stdin=stdin, label="Your passphrase")
    passphrase = _reader_passphrase(name, stdin, generate, weak_ok)
    readers.add_reader(root, name, author, passphrase, allow_weak=weak_ok)
    if generate:
        click.echo(f"Passphrase for {name} (shown once, stored nowhere): {passphrase}")
    click.echo(f"Added reader {name}. Share entries with them (`share: [{name}]` in an entry, "
               f"or [readers.{name}] rules in growthlog.toml), then build and deploy.", err=True)


@reader.command("passwd")
@READER_NAME
@ROOT
@GENERATE
@PASSWORD_STDIN
@WEAK_OK
@user_errors
def reader_passwd(name: str, root: Path, generate: bool, password_stdin: bool,
                  weak_ok: bool) -> None:
    """Give reader NAME a new passphrase (stdin: your line, then theirs)."""
    from generator import keys, readers

    root = _log_root(root)
    readers.find_reader(keys.load_readers(root), name)
    stdin = sys.stdin if password_stdin else None
    author = keys.read_passphrase(stdin=stdin, label="Your passphrase")
    passphrase = _reader_passphrase(name, stdin, generate, weak_ok)
    readers.change_reader_passphrase(root, name, author, passphrase, allow_weak=weak_ok)
    if generate:
        click.echo(f"Passphrase for {name} (shown once, stored nowhere): {passphrase}")
    click.echo(f"New passphrase for {name}. After you build and deploy, the old one opens "
               "nothing there; a browser that remembers their key still opens their view "
               f"(`growthlog reader remove {name}` and `reader add {name}` end that too).",
               err=True)


@reader.command("remove")
@READER_NAME
@ROOT
@user_errors
def reader_remove(name: str, root: Path) -> None:
    """Remove reader NAME: the next build makes no view for them."""
    from generator import readers

    readers.remove_reader(_log_root(root), name)
    click.echo(f"Removed reader {name}. Build and deploy: their passphrase, link and "
               f"remembered key then open nothing in the new deploy. {REVOKE_NOTE}")


@reader.command("link")
@READER_NAME
@ROOT
@click.option("--url", help="The published address of the site (default: url in "
                            "growthlog.toml).")
@PASSWORD_STDIN
@user_errors
def reader_link(name: str, root: Path, url: str | None, password_stdin: bool) -> None:
    """Print an address that opens NAME's view without typing (the key is after '#')."""
    from generator import keys, readers
    from generator.config import load_valid_config

    root = _log_root(root)
    address = url or load_valid_config(root).url
    if not address:
        raise GrowthlogError("no address: set url in growthlog.toml to the published address "
                             "of the site, or pass --url")
    readers.find_reader(keys.load_readers(root), name)
    author = keys.read_passphrase(stdin=sys.stdin if password_stdin else None,
                                  label="Your passphrase")
    click.echo(readers.reader_link(root, name, author, address))
    click.echo(readers.LINK_ADVICE.format(name=name), err=True)


@reader.command("list")
@ROOT
@user_errors
def reader_list(root: Path) -> None:
    """List the log's readers."""
    from generator import keys

    found = keys.load_readers(_log_root(root))
    for item in found:
        click.echo(item.name)
    if not found:
        click.echo("No readers yet; add one with `growthlog reader add NAME`.")


@main.command()
@ROOT
@click.option("-o", "--output", type=FOLDER,
              help="Built site to scan (default: ROOT/output).")
@user_errors
def audit(root: Path, output: Path | None) -> None:
    """Check a private build: every file sealed, no file name or plaintext showing the log."""
    from generator.site_audit import audit_output

    leaks = audit_output(_root(root), output)
    for leak in leaks:
        click.echo(leak.format(), err=True)
    if leaks:
        click.echo(f"{len(leaks)} leak{'s' * (len(leaks) != 1)} found.", err=True)
        sys.exit(1)
    click.echo("No leaks found.")


@main.command()
@ROOT
@click.option("--remote", help="Git remote URL or path (default: the log's origin).")
@click.option("--branch", default="gh-pages", show_default=True, help="Branch to publish to.")
@click.option("--public", is_flag=True,
              help="Publish unencrypted (only with `private = false` in growthlog.toml).")
@click.option("--force", is_flag=True,
              help="Replace the branch even if it holds commits growthlog did not make.")
@PASSWORD_STDIN
@WEAK_OK
@user_errors
def deploy(root: Path, remote: str | None, branch: str, public: bool, force: bool,
           password_stdin: bool, weak_ok: bool) -> None:
    """Build, audit and publish only the built site as one orphan commit to a branch."""
    from generator.deploy import deploy as deploy_site

    root = _root(root)
    password = None if public else _build_passphrase(root, True, password_stdin, weak_ok)
    report = deploy_site(root, remote=remote, branch=branch, public=public, password=password,
                         force=force)
    kind = "encrypted" if report.private else "PUBLIC (readable by anyone)"
    click.echo(f"Published {report.files} {kind} files to {report.branch} of {report.remote} "
               f"as {report.commit[:12]}.")


def today() -> dt.date:
    """The build's notion of today: SOURCE_DATE_EPOCH when set (reproducible), else the clock."""
    from generator.clock import today as clock_today

    return clock_today()
