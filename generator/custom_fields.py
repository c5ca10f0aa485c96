"""A log's own front-matter fields, declared in growthlog.toml and checked like built-in ones.

    [[fields]]
    name = "salary_range"     # the front-matter key
    type = "text"             # text, number, date, true/false, list, or choice
    label = "Salary range"    # shown on the entry page (default: from the name)
    choices = ["low", "fair"] # only for type = "choice"
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from generator.errors import Problem
from generator.suggest import closest_key
from generator.value import Value, frozen

if TYPE_CHECKING:  # the config (a build with nothing changed) needs no model types
    from generator.model import FieldValue

FIELD_TYPES = ("text", "number", "date", "true/false", "list", "choice")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_TYPE_ALIASES = {"bool": "true/false", "boolean": "true/false", "string": "text",
                 "int": "number", "float": "number", "integer": "number"}


@frozen
class CustomField(Value):
    """One declared field."""

    name: str
    type: str
    label: str
    choices: tuple[str, ...] = ()


def parse_fields(value: Any, builtin: Collection[str], config_name: str,
                 lines: dict[str, int]) -> tuple[tuple[CustomField, ...], list[Problem]]:
    """The [[fields]] tables of growthlog.toml, each checked; every problem at once.
    `lines` has the line of each table's header as 'fields[0]', 'fields[1]'."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        return (), [Problem(config_name, "expected [[fields]] tables, each with a name and a "
                            f"type; found {value!r}", line=lines.get("fields"), field="fields")]
    found: list[CustomField] = []
    problems: list[Problem] = []
    for index, table in enumerate(value):
        where = f"fields[{index}]"

        def problem(message: str, where: str = where) -> None:
            problems.append(Problem(config_name, message, line=lines.get(where), field=where))

        name, kind = table.get("name"), table.get("type", "text")
        kind = _TYPE_ALIASES.get(kind, kind) if isinstance(kind, str) else kind
        label = table.get("label", name.replace("_", " ").capitalize()
                          if isinstance(name, str) else "")
        choices = table.get("choices", [])
        for key in table:
            if key not in ("name", "type", "label", "choices"):
                close = closest_key(key, ("name", "type", "label", "choices"))
                problem(f"unknown key '{key}'" + (f"; did you mean '{close}'?" if close else ""))
        if not isinstance(name, str) or not _NAME.match(name):
            problem(f"name: expected a front-matter key such as 'mood'; found {name!r}")
            continue
        if name in builtin:
            problem(f"name: '{name}' is a built-in field; choose another name")
            continue
        if name in {f.name for f in found}:
            problem(f"name: '{name}' is declared twice")
            continue
        if kind not in FIELD_TYPES:
            close = closest_key(str(kind), FIELD_TYPES)
            problem(f"type: expected one of {', '.join(FIELD_TYPES)}; found {kind!r}"
                    + (f"; did you mean '{close}'?" if close else ""))
            continue
        if not isinstance(label, str) or not label.strip():
            problem(f"label: expected some text; found {label!r}")
            continue
        if kind == "choice" and (not isinstance(choices, list) or not choices
                                 or not all(isinstance(c, str) and c for c in choices)):
            problem(f"choices: a choice field needs a list of text; found {choices!r}")
            continue
        found.append(CustomField(name, kind, label.strip(),
                                 tuple(choices) if kind == "choice" else ()))
    return tuple(found), problems


def check_values(meta: dict[str, Any], fields: tuple[CustomField, ...],
                 ) -> tuple[tuple[FieldValue, ...], list[tuple[str, str]]]:
    """The declared fields an entry sets, in declared order, and (field, message) for
    each value of the wrong type."""
    from generator.model import FieldValue, exact

    values: list[FieldValue] = []
    wrong: list[tuple[str, str]] = []
    for declared in fields:
        if declared.name not in meta or meta[declared.name] is None:
            continue
        value = meta[declared.name]
        text, message = _check(declared, value)
        if message:
            wrong.append((declared.name, message))
        else:
            values.append(FieldValue(declared.name, declared.label, value, text,
                                     exact(value)))
    return tuple(values), wrong


def _check(field: CustomField, value: Any) -> tuple[str, str]:
    """(display text, '') or ('', what was expected and found)."""
    found = repr(value) if isinstance(value, str) else str(value)
    if field.type == "text":
        if isinstance(value, str) and value.strip():
            return value.strip(), ""
        if isinstance(value, int | float | dt.date) and not isinstance(value, bool):
            return str(value), ""
        return "", f"expected text; found {found}"
    if field.type == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"{value:g}" if isinstance(value, float) else str(value), ""
        return "", f"expected a number; found {found}"
    if field.type == "date":
        if isinstance(value, dt.date):
            day = value.date() if isinstance(value, dt.datetime) else value
            return day.isoformat(), ""
        return "", f"expected a date like 2026-03-14; found {found}"
    if field.type == "true/false":
        if isinstance(value, bool):
            return ("yes" if value else "no"), ""
        return "", f"expected true or false; found {found}"
    if field.type == "list":
        items = [value] if isinstance(value, str) else value
        if isinstance(items, list) and all(isinstance(i, str) and i.strip() for i in items):
            return ", ".join(i.strip() for i in items), ""
        return "", f"expected a list of text; found {found}"
    if isinstance(value, str) and value in field.choices:
        return value, ""
    return "", f"expected one of {', '.join(field.choices)}; found {found}"
