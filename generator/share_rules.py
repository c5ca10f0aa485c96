"""Which entries a reader may read, and what of them: [readers.NAME] tables of
growthlog.toml (tags, since, hide) and an entry's `share: [NAME]`. Pure.

An entry is in NAME's view when its front matter shares it with NAME, or when the table has
rules and the entry meets all of them: one of `tags`, on or after `since`. Drafts never are.
`hide` empties fields in every entry of the view, as if they had not been written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from generator.errors import Problem
from generator.suggest import closest_key
from generator.value import Value, frozen

READER_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")
"""A reader's name (`growthlog reader add NAME`, `share: [NAME]`, [readers.NAME])."""

if TYPE_CHECKING:
    from generator.custom_fields import CustomField
    from generator.model import Entry

RULE_KEYS = ("tags", "since", "hide")
HIDEABLE = ("company", "role", "stage", "outcome", "applied", "tags", "feedback", "support",
            "postmortem", "bridges", "lessons", "actions", "body")
"""Built-in fields a view can leave out; a log's own [[fields]] can be hidden too."""
_PRACTICE_OF = {"feedback": "feedback_asked", "support": "support_sought",
                "postmortem": "postmortem_written", "bridges": "thank_you_sent",
                "actions": "actions_set"}
_EMAIL = re.compile(r"[^@\s?&#%<>\"]+@[^@\s?&#%<>\"]+\.[^@\s?&#%<>\"]+")


@frozen
class ReaderRules(Value):
    """One reader of a private log and what their view holds."""

    name: str
    tags: tuple[str, ...] = ()
    since: dt.date | None = None
    hide: tuple[str, ...] = ()

    @property
    def has_rules(self) -> bool:
        return bool(self.tags) or self.since is not None


def check_reply_to(value: str) -> str | None:
    """Why reply_to is no e-mail address, or None."""
    if _EMAIL.fullmatch(value.strip()):
        return None
    return f"expected an e-mail address such as 'me@example.com'; found {value!r}"


def parse_readers(value: Any, config_name: str,
                  lines: dict[str, int]) -> tuple[tuple[ReaderRules, ...], list[Problem]]:
    """The [readers.NAME] tables; every problem at once, at its line."""
    def problem(message: str, where: str) -> None:
        line = lines.get(where) or lines.get(where.rsplit(".", 1)[0]) or lines.get("readers")
        problems.append(Problem(config_name, message, line=line, field=where))

    problems: list[Problem] = []
    if not isinstance(value, dict):
        problem(f"expected [readers.NAME] tables; found {value!r}", "readers")
        return (), problems
    found: list[ReaderRules] = []
    for name, table in value.items():
        where = f"readers.{name}"
        if not READER_NAME.fullmatch(name):
            problem("expected a reader name (lower-case letters, digits, '-' or '_', starting "
                    f"with a letter); found {name!r}", where)
            continue
        if not isinstance(table, dict):
            problem(f"expected a table of {', '.join(RULE_KEYS)}; found {table!r}", where)
            continue
        rules, ok = ReaderRules(name), True
        for key, item in table.items():
            here = f"{where}.{key}"
            if key not in RULE_KEYS:
                close = closest_key(key, RULE_KEYS)
                problem(f"unknown key '{key}'" + (f"; did you mean '{close}'?" if close else "")
                        + f" (a reader's table takes {', '.join(RULE_KEYS)})", here)
                ok = False
            elif key in ("tags", "hide"):
                items = [item] if isinstance(item, str) else item
                if not isinstance(items, list) or not items or not all(
                        isinstance(v, str) and v.strip() for v in items):
                    problem(f"expected a non-empty list of text; found {item!r}", here)
                    ok = False
                else:
                    unique = tuple(dict.fromkeys(items))
                    rules = (replace(rules, tags=unique) if key == "tags"
                             else replace(rules, hide=unique))
            else:
                since = _date(item)
                if since is None:
                    problem(f"expected a date like 2026-01-01; found {item!r}", here)
                    ok = False
                else:
                    rules = replace(rules, since=since)
        if ok:
            found.append(rules)
    return tuple(found), problems


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def check_hidden(readers: Sequence[ReaderRules], declared: Sequence[CustomField],
                 config_name: str, lines: dict[str, int]) -> list[Problem]:
    """A `hide` entry that names no field is an error: the author meant to hide something."""
    known = (*HIDEABLE, *(f.name for f in declared))
    problems = []
    for rules in readers:
        for name in rules.hide:
            if name not in known:
                close = closest_key(name, known)
                where = f"readers.{rules.name}.hide"
                problems.append(Problem(
                    config_name, f"'{name}' is no field a view can hide"
                    + (f"; did you mean '{close}'?" if close else "")
                    + f" (expected one of {', '.join(known)})",
                    line=lines.get(where) or lines.get(f"readers.{rules.name}"), field=where))
    return problems


def rules_for(readers: Iterable[ReaderRules], name: str) -> ReaderRules:
    return next((r for r in readers if r.name == name), ReaderRules(name))


def shared_with(entry: Entry, rules: ReaderRules) -> bool:
    if entry.draft or entry.example:
        return False
    if rules.name in entry.share:
        return True
    if not rules.has_rules:
        return False
    from generator.slugs import make_slug  # (python-slugify: not for reading the config)

    wanted = {make_slug(t) for t in rules.tags}
    return ((not wanted or any(t.slug in wanted for t in entry.tags))
            and (rules.since is None or entry.date >= rules.since))


def as_shared(entry: Entry, hide: Collection[str]) -> Entry:
    """The entry as a view shows it: hidden fields emptied, and no reader names."""
    from generator.model import Extra

    empty: dict[str, Any] = {"share": ()}
    for name in hide:
        if name in ("company", "role", "stage", "outcome", "applied", "feedback",
                    "postmortem", "bridges"):
            empty[name] = None
            if name == "stage":
                empty["stage_index"] = None
        elif name in ("tags", "support", "lessons", "actions"):
            empty[name] = ()
        elif name == "body":
            empty.update(body_html="", body_text="", summary="", attachments=(),
                         entry_links=())
    practices = entry.practices
    for name, flag in _PRACTICE_OF.items():
        if name in hide:
            practices = replace(practices, **{flag: False})
    fields = tuple(f for f in entry.fields if f.name not in hide)
    extra = Extra((k, v) for k, v in entry.extra.items() if k not in hide)
    return replace(entry, **empty, practices=practices, fields=fields, extra=extra)


def view_entries(entries: Iterable[Entry], rules: ReaderRules) -> list[Entry]:
    """The entries of one reader's view, as that view shows them."""
    return [as_shared(e, rules.hide) for e in entries if shared_with(e, rules)]


def unknown_reader_message(name: str, readers: Collection[str]) -> str:
    """Why nothing is shared with NAME, and what to do: add the reader, or fix a typo."""
    close = closest_key(name, readers)
    known = ", ".join(sorted(readers)) or "none yet"
    fix = f"did you mean '{close}'?" if close else \
        f"add them with `growthlog reader add {name}`"
    return f"{name} is no reader of .growthlog/site-key.json; {fix} (readers: {known})"


def share_problems(entries: Iterable[Entry], rules: Iterable[ReaderRules],
                   readers: Collection[str]) -> list[Problem]:
    """Names in `share:` or [readers.NAME] that are no reader of the keyfile: warnings,
    since nothing is shared with a name that has no view."""
    from generator.errors import Severity

    problems = [Problem("growthlog.toml", unknown_reader_message(r.name, readers),
                        field=f"readers.{r.name}", severity=Severity.WARNING)
                for r in rules if r.name not in readers]
    for entry in entries:
        for name in entry.share:
            if name not in readers:
                problems.append(Problem(f"content/{entry.source}",
                                        unknown_reader_message(name, readers),
                                        line=entry.share_line, field="share",
                                        severity=Severity.WARNING))
    return problems
