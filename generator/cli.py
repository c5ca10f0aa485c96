"""The `growthlog` command line: the only module that prints and picks exit codes.

Exit codes: 0 success (warnings allowed), 1 content or config problems, 2 usage errors.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from generator import __version__, scaffold
from generator.build import build as build_site_files
from generator.build import check as check_log
from generator.config import load_config
from generator.errors import GrowthlogError, Problem, ProblemsFound, sort_problems
from generator.schema import entry_json_schema

F = TypeVar("F", bound=Callable[..., Any])
ROOT = click.argument("root", required=False, default=".",
                      type=click.Path(file_okay=False, path_type=Path))


def report_problems(problems: Sequence[Problem]) -> None:
    """Print every problem, then a count, to stderr."""
    for problem in sort_problems(list(problems)):
        click.echo(problem.format(), err=True)


def user_errors(func: F) -> F:
    """Turn GrowthlogError into a calm message and exit 1; never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ProblemsFound as exc:
            report_problems(exc.problems)
            errors = len(exc.errors)
            click.echo(f"{errors} problem{'s' * (errors != 1)} to fix; nothing was written.",
                       err=True)
            sys.exit(1)
        except GrowthlogError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _root(root: Path) -> Path:
    if not root.is_dir():
        raise click.UsageError(f"{root} is not a folder")
    return root


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="growthlog")
def main() -> None:
    """Turn a growth log of job rejections into a calm, private website."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")


@main.command()
@ROOT
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: ROOT/output).")
@click.option("--drafts", is_flag=True, help="Include entries marked draft: true.")
@user_errors
def build(root: Path, output: Path | None, drafts: bool) -> None:
    """Build the site from ROOT/content into ROOT/output."""
    report = build_site_files(_root(root), output=output, drafts=drafts)
    report_problems(report.warnings)
    click.echo(report.summary())


@main.command()
@ROOT
@user_errors
def check(root: Path) -> None:
    """Check config, every entry and the theme; write nothing."""
    warnings = check_log(_root(root))
    report_problems(warnings)
    click.echo(f"No problems found{f' ({len(warnings)} warnings)' if warnings else ''}.")


@main.command()
@ROOT
@user_errors
def schema(root: Path) -> None:
    """Print the JSON Schema of entry front matter (for editor validation)."""
    config, problems = load_config(root)
    if any(p.is_error for p in problems):
        raise ProblemsFound(problems)
    click.echo(json.dumps(entry_json_schema(config), indent=2))


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@user_errors
def init(directory: Path) -> None:
    """Start a new log in DIRECTORY that builds straight away."""
    written = scaffold.init_log(directory)
    for path in written:
        click.echo(f"  wrote {path.relative_to(directory).as_posix()}")
    click.echo(f"New log in {directory}. Next: growthlog new \"Role at Company\" {directory}")


@main.command()
@click.argument("title")
@ROOT
@click.option("--company", help="Company name.")
@click.option("--role", help="Role you applied for.")
@click.option("--stage", help="Furthest stage reached (see `stages` in growthlog.toml).")
@click.option("--date", "when", type=click.DateTime(["%Y-%m-%d"]),
              help="Day the rejection came (default: today).")
@click.option("--edit", is_flag=True, help="Open the new entry in $VISUAL or $EDITOR.")
@user_errors
def new(title: str, root: Path, company: str | None, role: str | None, stage: str | None,
        when: dt.datetime | None, edit: bool) -> None:
    """Write a new entry from a template that walks through the five practices."""
    root = _root(root)
    config, problems = load_config(root)
    if any(p.is_error for p in problems):
        raise ProblemsFound(problems)
    if stage is not None and stage not in config.stages:
        raise click.BadParameter(f"expected one of {', '.join(config.stages)}; found {stage!r}",
                                 param_hint="--stage")
    day = when.date() if when else today()
    path = scaffold.new_entry(root, config, scaffold.NewEntry(title, day, company, role, stage))
    click.echo(f"Wrote {path.relative_to(root).as_posix()}")
    if edit:
        click.edit(filename=str(path))


def today() -> dt.date:
    """The build's notion of today: SOURCE_DATE_EPOCH when set (reproducible), else the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.date.today()
