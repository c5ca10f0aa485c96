"""What `growthlog import` will write, checked before any byte is: new entry files that
pass `check`, attachments to copy, and no existing file touched.

importer.py (Markdown folders) and tracker.py (a CSV) make an ImportPlan; check_plan
validates every planned entry with the build's own parser and refuses every clash;
write_plan writes it, each file created whole and never over an existing one.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import tempfile
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path
from typing import Any

import yaml

from generator.config import SiteConfig
from generator.errors import Problem, Severity
from generator.sources import find_content_files, split_source
from generator.value import Value, frozen

Provenance = dict[str, tuple[int | None, str]]
"""Our front-matter key → (line in the source, the source's name for it)."""


@frozen
class Planned(Value):
    """One entry file to write."""

    source: str
    """The source as shown in messages: 'tracker.csv' or '_posts/2016-03-10-x.markdown'."""
    target: str
    """Path inside content/, POSIX."""
    meta: dict[str, Any]
    body: str
    """The author's text, byte for byte."""
    notes: tuple[str, ...] = ()
    """What was mapped, kept or taken from where: for the report."""
    provenance: Provenance = field(default_factory=dict)
    body_line: int = 1
    """The line of the source where the body starts (CSV: the row's line)."""
    row: int | None = None
    """The line a CSV row starts on; None for a note, which is a file of its own."""

    def text(self) -> str:
        """The file as it will be written: growthlog's YAML front matter, then the body."""
        return front_matter_text(self.meta) + self.body


@frozen
class Copy(Value):
    """One attachment to copy into content/."""

    source: Path
    target: str
    """Path inside content/, POSIX."""


@frozen
class ImportPlan(Value):
    """Everything an import will write, and what stops it."""

    entries: tuple[Planned, ...]
    copies: tuple[Copy, ...] = ()
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()
    """What the whole source was read as (a CSV's columns): for the report."""


def front_matter_text(meta: Mapping[str, Any]) -> str:
    """'---\\n<YAML>---\\n'; dates as YYYY-MM-DD, text that YAML would misread quoted."""
    if not meta:
        return "---\n---\n"
    dumped = yaml.safe_dump(dict(meta), sort_keys=False, allow_unicode=True,
                            default_flow_style=False, width=100_000)
    return f"---\n{dumped}---\n"


def check_plan(plan: ImportPlan, content: Path, config: SiteConfig) -> list[Problem]:
    """Every problem that stops the import: the plan's own, any planned file that would not
    pass `check` (reported at its source line), and every name clash. Warnings too."""
    from generator.entries import parse_entry, source_dir
    from generator.markup import LinkContext, Markdown

    markdown = Markdown()
    problems = list(plan.problems)
    present = set(_content_assets(content))
    assets = frozenset(present | {c.target for c in plan.copies})
    targets: dict[str, str] = {}
    for planned in plan.entries:
        if planned.target in targets:
            problems.append(Problem(planned.source, f"would be written to content/"
                                    f"{planned.target}, as {targets[planned.target]} is",
                                    line=planned.row))
            continue
        targets[planned.target] = planned.source
        if (content / planned.target).exists():
            problems.append(Problem(planned.source, f"content/{planned.target} already exists; "
                                    "it is not overwritten (move or rename it to import again)",
                                    line=planned.row))
        path = f"content/{planned.target}"
        source, split = split_source(path, planned.text())
        found = split
        if source is not None:
            _, parsed = parse_entry(source, config, LinkContext(source_dir(path), assets),
                                    markdown)
            found = [*split, *parsed]
        head_lines = planned.text().count("\n", 0, len(planned.text()) - len(planned.body))
        keys = {line: str(at[0]) for at, line in (source.lines if source else {}).items()}
        problems += [_at_source(p, planned, head_lines, keys) for p in found]
    for copy in plan.copies:
        existing = content / copy.target
        if existing.exists() and (not existing.is_file()
                                  or existing.read_bytes() != copy.source.read_bytes()):
            problems.append(Problem(str(copy.source), f"content/{copy.target} already exists "
                                    "with other bytes; it is not overwritten"))
    return problems


def _content_assets(content: Path) -> list[str]:
    if not content.is_dir():
        return []
    return [p.relative_to(content).as_posix() for p in find_content_files(content)[1]]


def _at_source(problem: Problem, planned: Planned, head_lines: int,
               keys: dict[int, str]) -> Problem:
    """A problem in a planned file, named at the source's file and line (`keys`: the
    planned front matter's top-level key on each line)."""
    line: int | None = None
    key = (problem.field or "").split(".")[0].split("[")[0] or keys.get(problem.line or 0, "")
    if problem.line is not None and problem.line > head_lines:
        line = planned.body_line + problem.line - head_lines - 1
    elif key in planned.provenance:
        line, theirs = planned.provenance[key]
        if theirs != key and problem.field:
            return Problem(planned.source, problem.message, line=line,
                           field=f"{theirs} (read as {problem.field})",
                           severity=problem.severity)
    return Problem(planned.source, problem.message, line=line, field=problem.field,
                   severity=problem.severity)


def write_plan(plan: ImportPlan, content: Path) -> list[str]:
    """Write every planned file and copy; each is created whole (a temporary file linked
    into place), never over an existing file. The paths written, inside content/."""
    written: list[str] = []
    for copy in plan.copies:
        target = content / copy.target
        if target.is_file() and target.read_bytes() == copy.source.read_bytes():
            continue  # already there, byte for byte (another note embeds it too)
        _create(target, copy.source.read_bytes())
        written.append(copy.target)
    for planned in plan.entries:
        _create(content / planned.target, planned.text().encode("utf-8"))
        written.append(planned.target)
    return written


def _create(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".growthlog-import-")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.link(temporary, target)  # fails if the target exists: nothing is overwritten
    finally:
        os.unlink(temporary)


def iso_day(value: Any) -> str | None:
    """'2024-03-01' for a date or datetime; None otherwise."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return value.isoformat() if isinstance(value, dt.date) else None


def inside(path: str) -> str | None:
    """A POSIX path normalised to stay inside its folder, or None when it leaves it."""
    normal = posixpath.normpath(path.lstrip("/"))
    return None if normal in (".", "") or normal.startswith("../") or normal == ".." else normal


def warning(path: str, message: str, line: int | None = None,
            field_name: str | None = None) -> Problem:
    """A warning an import reports but does not stop on."""
    return Problem(path, message, line=line, field=field_name, severity=Severity.WARNING)
