"""SourceFile + SiteConfig → Entry, or the problems that stop it; pure.

Unknown keys are warnings with the closest known key; wrong types and values are
errors naming the line and field, with a hint for YAML 1.1 surprises (bare `no`).
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from generator.config import SiteConfig
from generator.custom_fields import check_values
from generator.entry_links import plain_wikilinks
from generator.errors import Problem, Severity
from generator.liquid import read_liquid
from generator.markup import LinkContext, RenderMarkdown, render_markdown
from generator.model import (
    Action,
    Bridges,
    Entry,
    Extra,
    Feedback,
    FieldValue,
    Postmortem,
    Practices,
    Support,
    TagRef,
)
from generator.notes import callouts, prepare
from generator.raw_html import escaped_tag
from generator.redirects import old_address
from generator.schema import (
    MAPPED_KEYS,
    NESTED_LISTS,
    NESTED_MAPPINGS,
    OTHER_TOOL_KEYS,
    EntrySchema,
    Schema,
    ValidationError,
    known_keys,
    validate_entry,
)
from generator.slugs import make_slug as make_slug  # also imported from here
from generator.sources import (
    KeyPath,
    SourceFile,
    entry_stem,
    first_heading,
    name_date,
    title_from_name,
)
from generator.suggest import closest_key, unknown_key_message
from generator.value import Value, frozen

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

    from generator.schema import EntryData

_EXPECTED = {
    "string_type": "text", "bool_type": "true or false", "bool_parsing": "true or false",
    "list_type": "a list", "dict_type": "'key: value' lines", "string_too_short": "some text",
}


def parse_entry(source: SourceFile, config: SiteConfig, links: LinkContext,
                render: RenderMarkdown = render_markdown) -> tuple[Entry | None, list[Problem]]:
    """Validate one file's front matter and render its body (`render`: the build cache's)."""
    front, problems = read_front(source, config, links)
    if front is None:
        return None, problems
    return finish_entry(front, links, render, unsafe_html=config.unsafe_html)


@frozen
class Front(Value):
    """An entry file read but for its Markdown body (`finish_entry` renders it): serve's
    first page renders only the bodies it shows. Its errors are all found by now."""

    entry: Entry
    """The entry with what its body gives left empty (html, text, attachments, links; the
    summary too, unless the front matter sets a description)."""
    path: str
    """The file, as problems name it: 'content/x.md'."""
    body: str
    body_line: int
    """The file line the body starts on."""
    before: tuple[Problem, ...]
    """What reading the front matter said (said before the body's warnings)."""
    after: tuple[Problem, ...]
    """Said after the body's warnings."""


def read_front(source: SourceFile, config: SiteConfig, links: LinkContext,
               slugs: dict[str, str] | None = None) -> tuple[Front | None, list[Problem]]:
    """Validate one file's front matter (and read the body's Obsidian fields and tags):
    the entry but for its rendered body, or None and the problems that stop it. `slugs`:
    tags slugified so far (one build's entries share a few dozen tags), filled in."""
    declared = tuple(f.name for f in config.fields)
    problems = _unknown_keys(source, EntrySchema, source.meta, (), declared)
    source, inline_tags, more = _read_notes(source, links, declared)
    problems += more
    source, meta, body, more = _with_defaults(source)
    problems += more
    if any(p.is_error for p in more):
        return None, problems
    if inline_tags and isinstance(meta.get("tags", []), list | str):
        meta["tags"] = [*_to_list(meta.get("tags", [])), *inline_tags]
    data: EntryData | None
    try:
        data = validate_entry(  # () checks nothing
            meta, () if "stages" in config.unchecked else config.stages,
            () if "outcomes" in config.unchecked else config.outcomes)
    except ValidationError as exc:
        problems += [_problem(source, error) for error in exc.errors()]
        data = None
    fields, wrong = check_values(meta, config.fields)
    problems += [Problem(source.path, message, line=source.lines.get((name,)), field=name)
                 for name, message in wrong]
    if data is None or wrong:
        return None, problems
    addresses, names, more = _old_addresses(source, data)
    tags = _tag_refs(data["tags"], slugs if slugs is not None else {})
    more += _far_off_dates(source, data) + _long_lists(source, data, len(tags))
    entry = _entry(source, data, tags, config, addresses, names, fields)
    return Front(entry, source.path, body, source.body_line, tuple(problems),
                 tuple(more)), problems + more


def finish_entry(front: Front, links: LinkContext, render: RenderMarkdown = render_markdown,
                 *, unsafe_html: bool = False) -> tuple[Entry, list[Problem]]:
    """The entry with its body rendered, and every problem of its file (what parse_entry
    gives): `links` and `unsafe_html` as `read_front` had them."""
    body = front.body
    rendered = render(body, links, unsafe_html=unsafe_html)
    said: list[Problem] = []
    for line, target in rendered.broken_links:
        said.append(Problem(front.path, f"links to '{target}', which is not in content/",
                            line=_body_line(front.body_line, line), severity=Severity.WARNING))
    shown = None if unsafe_html else escaped_tag(rendered.html, body)
    if shown is not None:  # as a Jekyll or Hugo site would not: say so, and how to change it
        said.append(Problem(
            front.path, f"raw HTML ({shown[0]}) is shown as text; set unsafe_html = true in "
            "growthlog.toml to let it through", line=_body_line(front.body_line, shown[1]),
            severity=Severity.WARNING))
    pending = tuple((_body_line(front.body_line, line) or 0, address, written)
                    for line, address, written in rendered.entry_links)
    entry = replace(front.entry, body_html=callouts(rendered.html),
                    body_text=plain_wikilinks(rendered.text),
                    summary=front.entry.summary or plain_wikilinks(rendered.summary),
                    attachments=rendered.attachments, entry_links=pending)
    return entry, [*front.before, *said, *front.after]


def _body_line(body_line: int, line: int) -> int | None:
    return body_line + line - 1 if line else None


_INLINE_KEYS = frozenset({"title", "date", "company", "role", "stage", "outcome", "applied",
                          "description"})
"""Obsidian `key:: value` lines read into front matter (when it does not set the key)."""


def _read_notes(source: SourceFile, links: LinkContext, declared: tuple[str, ...]
                ) -> tuple[SourceFile, list[str], list[Problem]]:
    """The body after the Liquid pass (Jekyll) and the Obsidian pass (wikilinks, embeds),
    with its `key:: value` fields read into the front matter; the body's inline #tags;
    a warning for each Liquid tag shown as written."""
    body, said = (source.body, []) if source.meta.get("render_with_liquid") is False \
        else read_liquid(source.body)
    warnings = [Problem(source.path, message, line=source.body_line + number,
                        severity=Severity.WARNING) for number, message in said]
    prepared = prepare(body, links.source_dir, links.assets)
    meta, lines = source.meta, source.lines
    for key, value, number in prepared.fields:
        if (key in _INLINE_KEYS or key in declared) and key not in meta:
            meta, lines = {**meta, key: value}, {**lines, (key,): source.body_line + number}
    return (replace(source, meta=meta, lines=lines, body=prepared.text), list(prepared.tags),
            warnings)


_SCHEMA_KEYS = frozenset(known_keys(EntrySchema))


def _with_defaults(source: SourceFile) -> tuple[SourceFile, dict[str, Any], str, list[Problem]]:
    """The front matter with other tools' keys read into growthlog's (Jekyll's categories
    join the tags) and what they leave out filled in: the date from the file name, the
    title from the first '# Heading' (taken out of the body) or the file name."""
    meta = dict(source.meta)
    lines = dict(source.lines)
    problems = _other_tools(source, meta, lines)
    source = replace(source, lines=lines)
    body = source.body
    day, rest = name_date(source.path)
    if "date" not in meta:
        if day is None:
            return source, meta, body, [_missing_date(source)]
        try:
            meta["date"] = dt.date.fromisoformat(day)
        except ValueError:
            return source, meta, body, [Problem(
                source.path, f"the file name starts with {day}, which is not a date; start "
                f"it with the day as YYYY-MM-DD ({_renamed(source.path, day)}), or add a "
                f"line {_key_line(source, 'date', '2026-03-14')} to the front matter",
                line=1, field="date")]
    if "title" not in meta:
        heading = first_heading(body)
        if heading is not None:
            meta["title"], number, opening = heading
            if opening:  # shown as the page title: not twice. A blank keeps line numbers.
                body_lines = body.split("\n")
                body_lines[number] = ""
                body = "\n".join(body_lines)
        else:
            meta["title"] = title_from_name(rest) or entry_stem(source.path)
    return source, meta, body, problems


def _other_tools(source: SourceFile, meta: dict[str, Any],
                 lines: dict[KeyPath, int]) -> list[Problem]:
    """Read MAPPED_KEYS into the keys they stand for, moving their lines along."""
    problems: list[Problem] = []
    for key, into in MAPPED_KEYS.items():
        if key not in meta:
            continue
        value = meta.pop(key)
        if into in ("tags", "aliases"):
            words = _words(value) if into == "tags" else _to_list(value)
            if not isinstance(words, list):
                problems.append(Problem(source.path, "expected a list, or words separated by "
                                        f"spaces; found {_found(source, (key,), value)}",
                                        line=lines.get((key,)), field=key))
                continue
            present = meta.get(into, [])
            if not isinstance(present, list | str):
                continue  # the schema reports the key's own wrong type
            present = _to_list(present)
            _move(lines, key, into, len(present))
            meta[into] = [*present, *words]
        elif into == "draft":
            if not isinstance(value, bool):
                problems.append(Problem(source.path, "expected true or false; found "
                                        f"{_found(source, (key,), value)}",
                                        line=lines.get((key,)), field=key))
            elif "draft" not in meta:
                meta["draft"] = not value
        elif into not in meta:
            meta[into] = value
            _move(lines, key, into)
    return problems


def _words(value: Any) -> Any:
    """Jekyll's categories: a list, or one string of space-separated words."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
                for v in value]
    return value


def _to_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _move(lines: dict[KeyPath, int], key: str, into: str, offset: int = 0) -> None:
    for path, line in list(lines.items()):
        if path[0] == key:
            rest = path[1:]
            if offset and rest and isinstance(rest[0], int):
                rest = (rest[0] + offset, *rest[1:])
            lines.setdefault((into, *rest), line)


PLAUSIBLE_YEARS = range(1900, 2101)
"""Dates outside are almost always a typo (0024 for 2024), and charts span every month
from the oldest entry to the newest."""


def _far_off_dates(source: SourceFile, data: EntryData) -> list[Problem]:
    dated: list[tuple[KeyPath, dt.date | None]] = [(("date",), data["date"]),
                                                   (("applied",), data["applied"])]
    dated += [(("actions", i, "due"), a["due"]) for i, a in enumerate(data["actions"])]
    return [Problem(source.path, f"the year {day.year} is far from now; is it a typo? "
                    f"(charts span every month from the oldest date to the newest)",
                    line=source.lines.get(at) or source.lines.get(at[:1]),
                    field=_field_name(at), severity=Severity.WARNING)
            for at, day in dated if day is not None and day.year not in PLAUSIBLE_YEARS]


MANY_TAGS = 100
"""Tags in one entry past which they are likely not meant as tags: each is a page."""
MANY_ITEMS = 1000
"""Items in one list of an entry past which it is likely a mistake (a pasted file, a
generated list): the entry's page shows every one."""


def _long_lists(source: SourceFile, data: EntryData, tags: int) -> list[Problem]:
    """A warning for each list far longer than an entry needs (issue 10 #8: 100,000 tags
    built 100,000 tag pages without a word). Building them costs time linear in their
    length, so they are built; the author is asked. `tags`: how many different tags."""
    found: list[tuple[KeyPath, str]] = []
    if tags > MANY_TAGS:
        found.append((("tags",), f"{tags:,} tags, and each tag is a page of its own: "
                                 "are these meant as tags?"))
    nested = [((key,), value) for key, value in source.meta.items()] + [
        ((key, inner), value) for key, table in source.meta.items() if isinstance(table, dict)
        for inner, value in table.items()]
    for at, value in nested:
        if at != ("tags",) and isinstance(value, list) and len(value) > MANY_ITEMS:
            found.append((at, f"{len(value):,} items, all shown on the entry's page: is the "
                              "list meant to be this long?"))
    return [Problem(source.path, message, line=source.lines.get(at), field=_field_name(at),
                    severity=Severity.WARNING) for at, message in found]


def _old_addresses(source: SourceFile, data: EntryData
                   ) -> tuple[tuple[str, ...], tuple[str, ...], list[Problem]]:
    """Old addresses to send readers on from, and the entry's other names."""
    found: list[str] = []
    names: list[str] = []
    problems: list[Problem] = []
    written: list[tuple[str, int | None, str]] = [("permalink", None, data["permalink"])] \
        if data["permalink"] else []
    for number, alias in enumerate(data["aliases"]):
        if is_address(alias, source.syntax):
            written.append(("aliases", number, alias))
        elif " ".join(alias.split()) not in names:
            names.append(" ".join(alias.split()))
    for key, index, address in written:
        logical, why = old_address(address)
        if logical is None:
            at: KeyPath = (key,) if index is None else (key, index)
            problems.append(Problem(
                source.path, f"'{address}' cannot be kept as an old address: {why}",
                line=source.lines.get(at) or source.lines.get((key,)),
                field=key if index is None else f"{key}[{index}]", severity=Severity.WARNING))
        elif logical not in found:
            found.append(logical)
    return tuple(found), tuple(names), problems


def is_address(alias: str, syntax: str) -> bool:
    """Hugo's aliases are old addresses ('/posts/acme/', 'https://…'); Obsidian's are other
    names of the note ('Acme day'), which wikilinks use. TOML and JSON front matter is
    Hugo's, so a relative alias there is an address too."""
    alias = alias.strip()
    return alias.startswith("/") or "://" in alias or syntax in ("toml", "json") or (
        "/" in alias and " " not in alias)


def _renamed(path: str, day: str) -> str:
    """The file's name with a real date in place of `day`: '2026-03-14-acme.md'."""
    name = posixpath.basename(path)
    return "2026-03-14" + name[name.index(day) + len(day):] if day in name else name


def _missing_date(source: SourceFile) -> Problem:
    example = f"2026-03-14-{posixpath.basename(source.path)}"
    if source.syntax:
        how = f"add a line {_key_line(source, 'date', '2026-03-14')} to the front matter"
    else:
        how = "start the file with front matter: a line '---', 'date: 2026-03-14', another '---'"
    return Problem(source.path, f"is required; {how}, or start the file name with the date "
                                f"({example})", line=1, field="date")


def _entry(source: SourceFile, data: EntryData, tags: tuple[TagRef, ...], config: SiteConfig,
           addresses: tuple[str, ...], names: tuple[str, ...],
           fields: tuple[FieldValue, ...]) -> Entry:
    """The entry but for what its body gives (finish_entry)."""
    fb, pm, br = data["feedback"], data["postmortem"], data["bridges"]
    feedback = Feedback(fb["asked"], fb["from"], fb["received"], fb["other_openings"]) \
        if fb else None
    postmortem = Postmortem(tuple(pm["went_well"]), tuple(pm["to_improve"])) if pm else None
    bridges = Bridges(br["thank_you_sent"], br["keep_in_touch"]) if br else None
    support = tuple(Support(s["who"], s["took_away"]) for s in data["support"])
    actions = tuple(Action(a["text"], a["done"], a["due"]) for a in data["actions"])
    practices = Practices(
        feedback_asked=bool(feedback and (feedback.asked or feedback.received)),
        support_sought=bool(support),
        postmortem_written=bool(postmortem and (postmortem.went_well or postmortem.to_improve)),
        thank_you_sent=bool(bridges and bridges.thank_you_sent),
        actions_set=bool(actions),
    )
    stage = data["stage"]
    return Entry(
        source=source.path.removeprefix("content/"), title=data["title"], date=data["date"],
        company=data["company"], role=data["role"], stage=stage,
        stage_index=config.stages.index(stage) if stage in config.stages else None,
        outcome=data["outcome"], applied=data["applied"],
        tags=tags,
        feedback=feedback, support=support, postmortem=postmortem, bridges=bridges,
        lessons=tuple(data["lessons"]), actions=actions, draft=data["draft"],
        example=data["example"], slug=make_slug(data["slug"] or data["title"]), body_html="",
        body_text="", summary=data["description"] or "", practices=practices,
        extra=Extra((k, v) for k, v in source.meta.items() if k not in _SCHEMA_KEYS),
        old_addresses=addresses, names=names, fields=fields,
        share=tuple(dict.fromkeys(data["share"])), share_line=source.lines.get(("share",)),
    )


def _tag_refs(tags: list[str], slugs: dict[str, str]) -> tuple[TagRef, ...]:
    """Each different tag (by slug: the first spelling wins) once, in order; each tag is
    slugified once (python-slugify is a tenth of reading an entry's front matter), `slugs`
    keeping those done."""
    seen: dict[str, str] = {}
    for tag in tags:
        slug = slugs.get(tag)
        if slug is None:
            slug = slugs[tag] = make_slug(tag)
        seen.setdefault(slug, tag)
    return tuple(TagRef(slug, " ".join(tag.split())) for slug, tag in seen.items())


def _unknown_keys(source: SourceFile, model: Schema, data: Any,
                  at: KeyPath, declared: tuple[str, ...] = ()) -> list[Problem]:
    if not isinstance(data, dict):
        return []
    known = known_keys(model) if at else (*known_keys(model), *MAPPED_KEYS, *declared)
    problems: list[Problem] = []
    for key, value in data.items():
        here = (*at, str(key))
        name = source.written_keys.get(here, str(key))  # `~`, not 'None'
        if key not in known and not at and (key in OTHER_TOOL_KEYS
                                            or closest_key(name, known) is None):
            continue  # another tool's key, or the author's own: kept for templates
        if key not in known:
            problems.append(Problem(source.path, unknown_key_message(name, known),
                                    line=source.lines.get(here), severity=Severity.WARNING))
        elif not at and key in NESTED_MAPPINGS:
            problems += _unknown_keys(source, NESTED_MAPPINGS[key], value, here)
        elif not at and key in NESTED_LISTS and isinstance(value, list):
            for index, item in enumerate(value):
                problems += _unknown_keys(source, NESTED_LISTS[key], item, (*here, index))
    return problems


def _problem(source: SourceFile, error: ErrorDetails) -> Problem:
    loc = tuple(error["loc"])
    field = _field_name(loc)
    if error["type"] == "missing":
        line: int | None = source.lines.get(loc[:-1], 1) if len(loc) > 1 else 1
        example = _key_line(source, loc[-1], REQUIRED_EXAMPLES.get(str(loc[-1]), "…"))
        return Problem(source.path, f"is required; add a line {example}", line=line,
                       field=field)
    line = source.lines.get(loc) or source.lines.get(loc[:1])
    if error["type"] == "value_error":
        message = str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
    else:
        expected = _EXPECTED.get(error["type"], error["msg"].lower())
        message = f"expected {expected}; found {_found(source, loc, error['input'])}"
    return Problem(source.path, message, line=line, field=field)


REQUIRED_EXAMPLES = {"title": "Data Analyst at Acme", "date": "2026-03-14",
                     "text": "Update resume summary", "who": "A friend"}
"""A real value for each required key, for the message that asks for it."""


def _key_line(source: SourceFile, key: str | int, value: str = "…") -> str:
    """How a key is written in this file's front matter: 'date: …', 'date = …', '"date": …'."""
    if source.syntax == "toml":
        plain = value == "…" or re.fullmatch(r"\d{4}-\d\d-\d\d", value)
        return f"'{key} = {value}'" if plain else f"'{key} = \"{value}\"'"
    if source.syntax == "json":
        return f"'\"{key}\": {value}'" if value == "…" else f"'\"{key}\": \"{value}\"'"
    return f"'{key}: {value}'"


def _field_name(loc: tuple[int | str, ...]) -> str:
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def _found(source: SourceFile, loc: KeyPath, value: Any) -> str:
    scalar = source.scalars.get(loc)
    if scalar is not None and scalar.is_plain and isinstance(value, bool | dt.date | int | float):
        # YAML 1.1 reads bare no/yes/on/off as booleans and 2026-03-14 as a date.
        return (f"{scalar.text} (YAML reads a bare {scalar.text} as "
                f"{type(value).__name__}; put it in quotes: '{scalar.text}')")
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "'key: value' lines"
    if isinstance(value, list):
        return "a list"
    return repr(value) if isinstance(value, str) else str(value)


def source_dir(path: str) -> str:
    """The folder of an entry inside content/, for resolving its relative links."""
    return posixpath.dirname(path.removeprefix("content/"))
