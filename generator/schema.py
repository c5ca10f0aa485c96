"""The entry front matter, declared once: validated by pydantic-core, exported as JSON Schema.

Field order here is the order `growthlog new` writes and the JSON Schema lists.
Stages and outcomes come from the log's config, passed as validation context.

The validator is pydantic-core's, the Rust half of pydantic (its lax coercions, its error
types), given a schema built here from the declarations below. pydantic's model classes
built the same schema at import: with pydantic's own import, ~0.07 s of every process
that parses an entry (a cold build of 100 entries takes ~0.4 s).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

from generator.custom_fields import CustomField
from generator.share_rules import READER_NAME

if TYPE_CHECKING:
    from types import ModuleType
    from typing import TypedDict

    from pydantic_core import CoreSchema, SchemaValidator
    from pydantic_core import ValidationError as ValidationError  # (also imported from here)
    from pydantic_core.core_schema import ValidationInfo

    FeedbackData = TypedDict("FeedbackData", {
        "asked": bool | None, "from": str | None, "received": str | None,
        "other_openings": str | None})

    class SupportData(TypedDict):
        who: str
        took_away: str | None

    class PostmortemData(TypedDict):
        went_well: list[str]
        to_improve: list[str]

    class BridgesData(TypedDict):
        thank_you_sent: dt.date | bool | None
        keep_in_touch: bool | None

    class ActionData(TypedDict):
        text: str
        done: bool
        due: dt.date | None

    class EntryData(TypedDict):
        """Validated front matter: every key of EntrySchema, defaults filled in."""

        title: str
        date: dt.date
        company: str | None
        role: str | None
        stage: str | None
        outcome: str | None
        applied: dt.date | None
        tags: list[str]
        feedback: FeedbackData | None
        support: list[SupportData]
        postmortem: PostmortemData | None
        bridges: BridgesData | None
        lessons: list[str]
        actions: list[ActionData]
        draft: bool
        example: bool
        slug: str | None
        description: str | None
        permalink: str | None
        aliases: list[str]
        share: list[str]

_DATE_TEXT = re.compile(
    r"\s*(\d{4})-(\d{1,2})-(\d{1,2})"  # the day as written, whatever its time and zone
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
    r"(?:\s*(?:Z|[+-]\d{2}(?::?\d{2})?|[A-Za-z]{1,5}))?)?"
    r"\s*\Z")


def _to_date(value: Any) -> Any:
    """Dates, datetimes (any time zone) and date strings (with a time and an offset, as
    Jekyll writes them: '2016-03-10 12:00:00 -0800'), quoted or not, become dates."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        match = _DATE_TEXT.match(value)
        if match:
            try:
                return dt.date(*map(int, match.groups()))
            except ValueError:
                pass
    raise ValueError(f"expected a date like 2026-03-14; found {_show(value)}")


def _to_date_or_bool(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    try:
        return _to_date(value)
    except ValueError:
        raise ValueError("expected a date like 2026-03-15, or true/false; "
                         f"found {_show(value)}") from None


def _to_list(value: Any) -> Any:
    """A single value where a list is expected is a list of one."""
    return [value] if isinstance(value, str | int | float) else value


def _to_action(value: Any) -> Any:
    return {"text": value} if isinstance(value, str) else value


def _to_share(value: Any) -> Any:
    """`share: sam` is a list of one; another tool's `share: true/false` (share buttons,
    as in Hugo themes) names no reader."""
    return [] if isinstance(value, bool) or value is None else _to_list(value)


def _reader_names(names: list[str]) -> list[str]:
    bad = [n for n in names if not READER_NAME.fullmatch(n)]
    if bad:
        raise ValueError("expected reader names (lower-case letters, digits, '-' or '_', "
                         f"starting with a letter); found {', '.join(map(repr, bad))}")
    return names


def _one_of_configured(key: str) -> Callable[[Any, ValidationInfo], Any]:
    """The check that a stage or outcome is one the config lists (no list: any)."""

    def check(value: str | None, info: ValidationInfo) -> str | None:
        allowed: tuple[str, ...] = (info.context or {}).get(key, ())
        if value is not None and allowed and value not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}; found {value!r}")
        return value

    return check


def _show(value: Any) -> str:
    return "nothing" if value is None else repr(value) if isinstance(value, str) else str(value)


class Key:
    """One front-matter key: its kind (below), description, and the schema it holds."""

    __slots__ = ("name", "kind", "description", "model")

    def __init__(self, name: str, kind: str, description: str | None = None,
                 model: Schema | None = None) -> None:
        self.name, self.kind, self.description, self.model = name, kind, description, model


class Schema:
    """A mapping of keys (the entry, or one nested in it), named as in the JSON Schema."""

    __slots__ = ("name", "doc", "keys")

    def __init__(self, name: str, doc: str, *keys: Key) -> None:
        self.name, self.doc, self.keys = name, doc, keys


# Kinds: "text" (at least one character) and "date" are required, "flag" (true/false)
# defaults to false; ending in "?", each may be left out (nothing); "date-or-flag?" is a
# date, true/false or nothing; "texts" is a list of text (one text is a list of one);
# "share" such a list of reader names; "one" a mapping of `model` or nothing, "many" a
# list of them, "actions" a list of them where text is its text.
FeedbackSchema = Schema(
    "FeedbackSchema", "Practice 1: ask for feedback.",
    Key("asked", "flag?", "Did you ask for feedback?"),
    Key("from", "text?", "Who gave it (a role is enough)."),
    Key("received", "text?", "What they said, in your words."),
    Key("other_openings", "text?", "Other openings they mentioned."))
SupportSchema = Schema(
    "SupportSchema", "Practice 2: talk to family and friends.",
    Key("who", "text", "Who you talked to."),
    Key("took_away", "text?", "Advice or leads that came out of it."))
PostmortemSchema = Schema(
    "PostmortemSchema", "Practice 3: the interview post-mortem.",
    Key("went_well", "texts", "What went well."),
    Key("to_improve", "texts", "What to improve."))
BridgesSchema = Schema(
    "BridgesSchema", "Practice 4: never burn bridges.",
    Key("thank_you_sent", "date-or-flag?",
        "When you sent a thank-you note (a date), or true/false."),
    Key("keep_in_touch", "flag?", "Do you intend to stay in touch?"))
ActionSchema = Schema(
    "ActionSchema", "Practice 5: a change you will make.",
    Key("text", "text", "The action, e.g. 'Update resume summary'."),
    Key("done", "flag", "Done yet?"),
    Key("due", "date?", "When you want it done."))
EntrySchema = Schema(
    "EntrySchema", "Front matter of one growth-log entry (a job rejection and what you learned).",
    Key("title", "text", "Required. E.g. 'Senior Data Engineer at Acme'."),
    Key("date", "date", "Required. The day the rejection came."),
    Key("company", "text?"),
    Key("role", "text?"),
    Key("stage", "text?", "Furthest stage reached."),
    Key("outcome", "text?", "How it ended."),
    Key("applied", "date?", "The day you applied."),
    Key("tags", "texts"),
    Key("feedback", "one", model=FeedbackSchema),
    Key("support", "many", model=SupportSchema),
    Key("postmortem", "one", model=PostmortemSchema),
    Key("bridges", "one", model=BridgesSchema),
    Key("lessons", "texts", "One sentence each."),
    Key("actions", "actions", model=ActionSchema),
    Key("draft", "flag", "Drafts are only built with --drafts."),
    Key("example", "flag", "The example `growthlog init` wrote: shown and marked until the "
                           "log has an entry of your own, and never counted in any figure."),
    Key("slug", "text?", "Overrides the URL slug made from the title."),
    Key("description", "text?",
        "A one-line summary, shown in lists instead of the first paragraph."),
    Key("permalink", "text?", "The entry's address in another blog, e.g. "
                              "/2016/03/10/acme.html: a public build puts a page there "
                              "that sends readers on."),
    Key("aliases", "texts", "Old addresses starting with / (Hugo), sent on like permalink; "
                            "or other names of the entry (Obsidian), which [[wikilinks]] "
                            "may use."),
    Key("share", "share", "Readers (`growthlog reader add NAME`) whose view of a private "
                          "build holds this entry."))


# pydantic-core's schema, written as the plain dicts its core_schema builders return:
# importing those builders (the pydantic_core package) takes ~10 ms of ~200 TypedDicts.
CoreDict = dict[str, Any]


def _core(schema: Schema) -> CoreDict:
    """pydantic-core's schema for one mapping: what pydantic built from the model classes
    that declared it before (no extra key is an error: it is warned about, elsewhere)."""
    fields: dict[str, CoreDict] = {}
    for key in schema.keys:
        inner = _core_value(key)
        if key.name in ("stage", "outcome"):
            inner = _function("after", "with-info", _one_of_configured(key.name), inner)
        if key.kind in ("text", "date"):
            fields[key.name] = {"type": "typed-dict-field", "schema": inner, "required": True}
            continue
        if key.kind.endswith("?") or key.kind == "one":
            inner = {"type": "default", "schema": inner, "default": None}
        elif key.kind == "flag":
            inner = {"type": "default", "schema": inner, "default": False}
        else:
            inner = {"type": "default", "schema": inner, "default_factory": list}
        fields[key.name] = {"type": "typed-dict-field", "schema": inner, "required": False}
    return {"type": "typed-dict", "fields": fields, "extra_behavior": "ignore"}


def _function(when: str, info: str, function: Callable[..., Any], schema: CoreDict) -> CoreDict:
    """A validator function run before or after `schema`'s, given the validation info
    ("with-info") or not ("no-info")."""
    return {"type": f"function-{when}", "function": {"type": info, "function": function},
            "schema": schema}


def _nullable(schema: CoreDict) -> CoreDict:
    return {"type": "nullable", "schema": schema}


def _list(items: CoreDict) -> CoreDict:
    return {"type": "list", "items_schema": items}


_TEXT: CoreDict = {"type": "str", "min_length": 1}


def _core_value(key: Key) -> CoreDict:
    kind = key.kind.removesuffix("?")
    if kind == "text":
        value = _TEXT
    elif kind == "date":
        value = _function("before", "no-info", _to_date, {"type": "date"})
    elif kind == "flag":
        value = {"type": "bool"}
    elif kind == "date-or-flag":
        return _function("before", "no-info", _to_date_or_bool, _nullable(
            {"type": "union", "choices": [{"type": "date"}, {"type": "bool"}]}))
    elif kind == "texts":
        return _function("before", "no-info", _to_list, _list(_TEXT))
    elif kind == "share":
        return _function("after", "no-info", _reader_names,
                         _function("before", "no-info", _to_share, _list(_TEXT)))
    else:
        assert key.model is not None
        model = _core(key.model)
        if kind == "one":
            return _nullable(model)
        return _list(model if kind == "many"
                     else _function("before", "no-info", _to_action, model))
    return _nullable(value) if key.kind.endswith("?") else value


def _compiled() -> ModuleType:
    """pydantic-core's compiled module (the validator, its errors), loaded without the
    package's __init__, which imports the core_schema builders (about 10 ms at every
    start that parses an entry). As usual where it is not found so (another layout), or
    when the package is loaded already; either way once: it is then in sys.modules, and a
    later `import pydantic_core` (pydantic's, the validator's own on an error) uses it."""
    import importlib.machinery
    import importlib.util
    import sys

    name = "pydantic_core._pydantic_core"
    if name not in sys.modules:
        package = importlib.util.find_spec("pydantic_core")  # found, not imported
        where = package.submodule_search_locations if package is not None else None
        spec = importlib.machinery.PathFinder.find_spec(name, list(where)) if where else None
        if spec is not None and spec.loader is not None and isinstance(
                spec.loader, importlib.machinery.ExtensionFileLoader):
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[name]
                raise
    if name in sys.modules:
        return sys.modules[name]
    import pydantic_core._pydantic_core as compiled

    return compiled


if not TYPE_CHECKING:  # (for mypy, the package's own names, imported above)
    SchemaValidator = _compiled().SchemaValidator
    ValidationError = _compiled().ValidationError
    """pydantic-core's, which validate_entry raises."""
_VALIDATOR = SchemaValidator(cast("CoreSchema", _core(EntrySchema)))


def validate_entry(meta: dict[str, Any], stages: Sequence[str] = (),
                   outcomes: Sequence[str] = ()) -> EntryData:
    """The front matter as typed values, defaults filled in; pydantic-core's
    ValidationError with every problem found. A stage or outcome is checked against
    `stages` or `outcomes` unless that is empty."""
    data: EntryData = _VALIDATOR.validate_python(
        meta, context={"stage": tuple(stages), "outcome": tuple(outcomes)})
    return data


MAPPED_KEYS: dict[str, str] = {
    "categories": "tags", "category": "tags", "summary": "description",
    "excerpt": "description", "published": "draft", "created": "date", "url": "permalink",
    "redirect_from": "aliases", "alias": "aliases"}
"""Other tools' names for growthlog's keys (Jekyll, Hugo, Obsidian): read into the key named."""
OTHER_TOOL_KEYS = frozenset({
    "layout", "author", "authors", "comments", "image", "images", "cover", "featured",
    "toc", "weight", "type", "lastmod", "last_modified_at", "modified", "updated",
    "publishdate", "publishDate", "expirydate", "expiryDate", "keywords", "series", "menu",
    "cssclass", "cssclasses", "excerpt_separator", "sitemap", "render_with_liquid",
    "redirect_to", "markup", "math", "hidden", "pin", "id", "uid", "version", "lang",
    "translationKey", "headless", "outputs", "resources", "linkTitle", "banner", "icon",
    "date_modified"})
"""Keys that only mean something to another tool: accepted quietly, kept for templates."""


# Which mapping keys hold nested mappings, for unknown-key warnings at every level.
NESTED_MAPPINGS: dict[str, Schema] = {
    key.name: key.model for key in EntrySchema.keys if key.kind == "one" and key.model}
NESTED_LISTS: dict[str, Schema] = {
    key.name: key.model for key in EntrySchema.keys if key.kind != "one" and key.model}


def known_keys(schema: Schema) -> tuple[str, ...]:
    """The keys an author may write in this mapping."""
    return tuple(key.name for key in schema.keys)


_FIELD_SCHEMAS: dict[str, dict[str, Any]] = {
    "text": {"type": ["string", "number"]}, "number": {"type": "number"},
    "date": {"type": "string", "format": "date"}, "true/false": {"type": "boolean"},
    "list": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}}


def builtin_keys() -> tuple[str, ...]:
    """Every top-level key growthlog reads itself (a custom field may not take one)."""
    return (*known_keys(EntrySchema), *MAPPED_KEYS)


class Declared(Protocol):
    """What the JSON Schema takes from the log's config (a config.SiteConfig)."""

    @property
    def stages(self) -> Sequence[str]: ...
    @property
    def outcomes(self) -> Sequence[str]: ...
    @property
    def fields(self) -> Sequence[CustomField]: ...


def entry_json_schema(config: Declared) -> dict[str, Any]:
    """JSON Schema of the front matter, with the log's configured stages and outcomes."""
    defs = {schema.name: _json_object(schema) for schema in sorted(
        {key.model for key in EntrySchema.keys if key.model}, key=lambda s: s.name)}
    schema = {"$defs": defs, **_json_object(EntrySchema)}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "growthlog entry"
    properties = schema["properties"]
    for name, allowed in (("stage", config.stages), ("outcome", config.outcomes)):
        properties[name] = {"enum": list(allowed), "description": properties[name].get(
            "description", name)}
    for declared in config.fields:
        properties[declared.name] = {"description": declared.label, **_FIELD_SCHEMAS.get(
            declared.type, {"enum": list(declared.choices)})}
    return schema


def _json_object(schema: Schema) -> dict[str, Any]:
    """As pydantic wrote it for the model classes: keys in sorted order but for each
    object's properties; each property titled after its key, unless it is one mapping."""
    properties = {}
    for key in schema.keys:
        value = _json_value(key)
        if key.description:
            value["description"] = key.description
        if key.kind != "one":
            value["title"] = key.name.title().replace("_", " ")
        properties[key.name] = dict(sorted(value.items()))
    required = [key.name for key in schema.keys if key.kind in ("text", "date")]
    return {"description": schema.doc, "properties": properties,
            **({"required": required} if required else {}), "title": schema.name,
            "type": "object"}


def _json_value(key: Key) -> dict[str, Any]:
    kind = key.kind.removesuffix("?")
    ref = {"$ref": f"#/$defs/{key.model.name}"} if key.model else {}
    if kind in ("texts", "share"):
        return {"anyOf": [{"type": "string"}, {"items": {"type": "string"}, "type": "array"}]}
    if kind in ("many", "actions"):
        return {"items": ref if kind == "many" else {"anyOf": [{"type": "string"}, ref]},
                "type": "array"}
    kinds: dict[str, list[dict[str, Any]]] = {
        "text": [{"minLength": 1, "type": "string"}], "flag": [{"type": "boolean"}],
        "date": [{"format": "date", "type": "string"}], "one": [ref],
        "date-or-flag": [{"format": "date", "type": "string"}, {"type": "boolean"}]}
    found = kinds[kind]
    if key.kind.endswith("?") or kind == "one":
        return {"anyOf": [*found, {"type": "null"}], "default": None}
    return {**found[0], "default": False} if kind == "flag" else found[0]
