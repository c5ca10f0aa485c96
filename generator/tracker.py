"""`growthlog import` from a job tracker's CSV export (a spreadsheet, Huntr, Teal, …):
one entry per row, columns matched by name (or `--map 'Column=field'`), the notes
cell as the body, byte for byte.

Every cell that cannot be read is a problem naming the file, the row's line and the
column; a column growthlog has no field for is kept under its own name, for templates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from generator.config import SiteConfig
from generator.errors import Problem
from generator.import_plan import ImportPlan, Planned, Provenance
from generator.slugs import make_slug

COLUMNS: dict[str, str] = {
    "company": "company", "company name": "company", "employer": "company",
    "organization": "company", "organisation": "company",
    "role": "role", "position": "role", "job title": "role", "job": "role", "title": "role",
    "position title": "role",
    "date applied": "applied", "applied": "applied", "applied on": "applied",
    "application date": "applied", "applied date": "applied",
    "date": "date", "rejected on": "date", "rejection date": "date", "date rejected": "date",
    "response date": "date", "decision date": "date", "closed on": "date",
    "stage": "stage", "furthest stage": "stage", "last stage": "stage", "round": "stage",
    "outcome": "outcome", "result": "outcome", "status": "outcome",
    "notes": "body", "note": "body", "comments": "body", "details": "body",
    "tags": "tags", "labels": "tags", "lessons": "lessons", "takeaways": "lessons",
}
"""Column names trackers use (lower case, spaces for punctuation) → growthlog's field."""
FIELDS = ("title", "date", "company", "role", "stage", "outcome", "applied", "tags",
          "lessons", "body")
_DATES = ("date", "applied")
_LISTS = ("tags", "lessons")
_SYNONYMS = {
    "phone screen": "screen", "phone": "screen", "recruiter screen": "screen",
    "recruiter call": "screen", "screening": "screen", "take home": "assessment",
    "take-home": "assessment", "technical test": "assessment", "coding test": "assessment",
    "onsite": "final", "on-site": "final", "final round": "final", "interviewing": "interview",
    "technical interview": "interview", "no response": "ghosted", "withdrawn": "withdrew",
}
_MONTH_NAMES = ("%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y")


def header_key(name: str) -> str:
    """'Date Applied', 'date_applied' and 'DATE-APPLIED ' → 'date applied'."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", name.lower()).split())


def plan_csv(path: Path, mapping: dict[str, str], config: SiteConfig) -> ImportPlan:
    """One planned entry per row of a tracker CSV; nothing is written."""
    shown = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return ImportPlan((), (), (Problem(shown, f"could not be read: {exc.strerror}"),))
    except UnicodeDecodeError:
        return ImportPlan((), (), (Problem(shown, "is not UTF-8 text; export the sheet as "
                                           "CSV UTF-8", line=1),))
    rows = _rows(text)
    if not rows:
        return ImportPlan((), (), (Problem(shown, "holds no header row", line=1),))
    (_, header), body = rows[0], rows[1:]
    columns, problems = _columns(shown, header, mapping)
    if not any(field == "date" or field == "applied" for field in columns.values()):
        problems.append(Problem(shown, "no column gives a date (Date, Date applied, …); name "
                                "one with --map 'Column=date'", line=1))
    day_first = {i: _day_first(i, body) for i, f in columns.items() if f in _DATES}
    entries: list[Planned] = []
    names: set[str] = set()
    for line, cells in body:
        if not any(c.strip() for c in cells):
            continue
        planned, wrong = _row(shown, line, cells, header, columns, day_first, config)
        problems += wrong
        if planned is not None:
            target, note = _name(planned, names)
            entries.append(_with(planned, target, note))
    return ImportPlan(tuple(entries), (), tuple(problems), _column_notes(header, columns))


def _column_notes(header: list[str], columns: dict[int, str]) -> tuple[str, ...]:
    read = [f"'{header[i]}' as {'the body' if f == 'body' else f}"
            for i, f in columns.items() if f in FIELDS]
    kept = [f"'{header[i]}' as {f}" for i, f in columns.items() if f not in FIELDS]
    return (f"columns read: {', '.join(read)}",
            *([f"columns kept as written, for templates: {', '.join(kept)}"] if kept else []))


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """(line the row starts on, cells) of each row; a quoted cell may span lines."""
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    for cells in reader:
        rows.append((start, cells))
        start = reader.line_num + 1
    return rows


def _columns(shown: str, header: list[str],
             mapping: dict[str, str]) -> tuple[dict[int, str], list[Problem]]:
    """Column index → the front-matter key its cells go to."""
    wanted = {header_key(k): v for k, v in mapping.items()}
    columns: dict[int, str] = {}
    problems: list[Problem] = []
    for index, name in enumerate(header):
        key = header_key(name)
        field = wanted.get(key) or COLUMNS.get(key) or key.replace(" ", "_")
        if not key:
            continue
        if field in columns.values() and field in FIELDS:
            first = header[next(i for i, f in columns.items() if f == field)]
            problems.append(Problem(shown, f"columns '{first}' and '{name}' both give "
                                    f"{field}; keep one with --map '{name}=other_name'",
                                    line=1, field=name))
            continue
        columns[index] = field
    return columns, problems


def _day_first(index: int, rows: list[tuple[int, list[str]]]) -> bool:
    """Whether a column writes 03/04/2024 as 3 April: only if some cell says so (13/04)."""
    for _, cells in rows:
        parts = cells[index].strip().split("/") if index < len(cells) else []
        if len(parts) == 3 and parts[0].isdigit() and int(parts[0]) > 12:
            return True
    return False


def _row(shown: str, line: int, cells: list[str], header: list[str], columns: dict[int, str],
         day_first: dict[int, bool], config: SiteConfig) -> tuple[Planned | None, list[Problem]]:
    meta: dict[str, Any] = {}
    provenance: Provenance = {}
    problems: list[Problem] = []
    body = ""
    for index, field in columns.items():
        cell = cells[index] if index < len(cells) else ""
        if not cell.strip():
            continue
        provenance[field] = (line, header[index])
        if field == "body":
            body = cell if cell.endswith("\n") else cell + "\n"
        elif field in _DATES:
            day = read_date(cell, day_first.get(index, False))
            if day is None:
                problems.append(Problem(shown, "expected a date like 2026-03-14, 03/14/2026 or "
                                        f"14 Mar 2026; found {cell.strip()!r}", line=line,
                                        field=header[index]))
            else:
                meta[field] = day
        elif field in ("stage", "outcome"):
            allowed = config.stages if field == "stage" else config.outcomes
            value = _one_of(cell, allowed)
            if value is None:
                problems.append(Problem(
                    shown, f"expected one of {', '.join(allowed)}; found {cell.strip()!r} "
                    f"(or add it to {field}s in growthlog.toml)", line=line, field=header[index]))
            else:
                meta[field] = value
        elif field in _LISTS:
            meta[field] = [v.strip() for v in re.split(r"[;,\n]", cell) if v.strip()]
        else:
            meta[field] = cell.strip()
    if problems:
        return None, problems
    company, role = meta.get("company"), meta.get("role")
    title = f"{role} at {company}" if company and role else company or role
    if not title:
        return None, [Problem(shown, "the row has neither a company nor a role, so it has no "
                              "title", line=line)]
    notes = []
    if "date" not in meta and "applied" not in meta:
        return None, [Problem(shown, "the row has no date (neither the answer's nor the "
                              "application's)", line=line)]
    if "date" not in meta:
        meta["date"] = meta["applied"]
        provenance["date"] = provenance["applied"]
        notes.append(f"date from '{provenance['applied'][1]}' (no date of the answer)")
    ordered = {"title": meta.pop("title", title), "date": meta.pop("date", None)}
    ordered.update(meta)
    return Planned(shown, "", {k: v for k, v in ordered.items() if v is not None}, body,
                   tuple(notes), provenance, line, row=line), []


def read_date(text: str, day_first: bool = False) -> dt.date | None:
    """2024-03-01, 2024/03/01, 03/01/2024 (or 01/03/2024 day first), 1 Mar 2024,
    March 1, 2024; a time after the day is ignored. None when it is none of these."""
    text = text.strip()
    iso = re.match(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?\Z", text)
    slash = re.match(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?:[ T].*)?\Z", text)
    try:
        if iso:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        if slash:
            first, second = int(slash[1]), int(slash[2])
            month, day = (second, first) if day_first else (first, second)
            return dt.date(int(slash[3]), month, day)
    except ValueError:
        return None
    for pattern in _MONTH_NAMES:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _one_of(cell: str, allowed: tuple[str, ...]) -> str | None:
    """A stage or outcome as the log names it: 'Onsite' or 'Final' → 'final'."""
    said = " ".join(cell.lower().replace("_", " ").split())
    for candidate in (said, said.replace(" ", "-"), _SYNONYMS.get(said, "")):
        for value in allowed:
            if candidate and candidate == value.lower():
                return value
    return None


def _name(planned: Planned, taken: set[str]) -> tuple[str, str]:
    """content/<date>-<company>-<role>.md; a second row with the same name gets -2."""
    day = planned.meta["date"].isoformat()
    words = " ".join(str(planned.meta[k]) for k in ("company", "role") if k in planned.meta)
    stem = f"{day}-{make_slug(words)}"
    name, number = f"{stem}.md", 1
    while name in taken:
        number += 1
        name = f"{stem}-{number}.md"
    taken.add(name)
    return name, (f"named {name}: another row has the same date and title" if number > 1
                  else "")


def _with(planned: Planned, target: str, note: str) -> Planned:
    return replace(planned, target=target, notes=(*planned.notes, *([note] if note else [])))
