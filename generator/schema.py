"""The entry front matter, declared once: validated with pydantic, exported as JSON Schema.

Field order here is the order `growthlog new` writes and the JSON Schema lists.
Stages and outcomes come from the log's config, passed as validation context.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Annotated, Any, Protocol

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from generator.custom_fields import CustomField
from generator.share_rules import READER_NAME

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


def _show(value: Any) -> str:
    return "nothing" if value is None else repr(value) if isinstance(value, str) else str(value)


Date = Annotated[dt.date, BeforeValidator(_to_date)]
Text = Annotated[str, Field(min_length=1)]
TextList = Annotated[list[Text], BeforeValidator(_to_list, json_schema_input_type=str | list[str])]
ShareList = Annotated[list[Text],
                      BeforeValidator(_to_share, json_schema_input_type=str | list[str]),
                      AfterValidator(_reader_names)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class FeedbackSchema(_Strict):
    """Practice 1: ask for feedback."""

    asked: bool | None = Field(None, description="Did you ask for feedback?")
    from_: Text | None = Field(None, alias="from", description="Who gave it (a role is enough).")
    received: Text | None = Field(None, description="What they said, in your words.")
    other_openings: Text | None = Field(None, description="Other openings they mentioned.")


class SupportSchema(_Strict):
    """Practice 2: talk to family and friends."""

    who: Text = Field(description="Who you talked to.")
    took_away: Text | None = Field(None, description="Advice or leads that came out of it.")


class PostmortemSchema(_Strict):
    """Practice 3: the interview post-mortem."""

    went_well: TextList = Field(default_factory=list, description="What went well.")
    to_improve: TextList = Field(default_factory=list, description="What to improve.")


class BridgesSchema(_Strict):
    """Practice 4: never burn bridges."""

    thank_you_sent: Annotated[dt.date | bool | None, BeforeValidator(_to_date_or_bool)] = Field(
        None, description="When you sent a thank-you note (a date), or true/false.")
    keep_in_touch: bool | None = Field(None, description="Do you intend to stay in touch?")


class ActionSchema(_Strict):
    """Practice 5: a change you will make."""

    text: Text = Field(description="The action, e.g. 'Update resume summary'.")
    done: bool = Field(False, description="Done yet?")
    due: Date | None = Field(None, description="When you want it done.")


class EntrySchema(_Strict):
    """Front matter of one growth-log entry (a job rejection and what you learned)."""

    title: Text = Field(description="Required. E.g. 'Senior Data Engineer at Acme'.")
    date: Date = Field(description="Required. The day the rejection came.")
    company: Text | None = None
    role: Text | None = None
    stage: Text | None = Field(None, description="Furthest stage reached.")
    outcome: Text | None = Field(None, description="How it ended.")
    applied: Date | None = Field(None, description="The day you applied.")
    tags: TextList = Field(default_factory=list)
    feedback: FeedbackSchema | None = None
    support: list[SupportSchema] = Field(default_factory=list)
    postmortem: PostmortemSchema | None = None
    bridges: BridgesSchema | None = None
    lessons: TextList = Field(default_factory=list, description="One sentence each.")
    actions: list[Annotated[ActionSchema, BeforeValidator(
        _to_action, json_schema_input_type=str | ActionSchema)]] = Field(default_factory=list)
    draft: bool = Field(False, description="Drafts are only built with --drafts.")
    example: bool = Field(
        False, description="The example `growthlog init` wrote: shown and marked until the log "
                           "has an entry of your own, and never counted in any figure.")
    slug: Text | None = Field(None, description="Overrides the URL slug made from the title.")
    description: Text | None = Field(
        None, description="A one-line summary, shown in lists instead of the first paragraph.")
    permalink: Text | None = Field(
        None, description="The entry's address in another blog, e.g. /2016/03/10/acme.html: "
                          "a public build puts a page there that sends readers on.")
    aliases: TextList = Field(default_factory=list, description=(
        "Old addresses starting with / (Hugo), sent on like permalink; or other names of "
        "the entry (Obsidian), which [[wikilinks]] may use."))
    share: ShareList = Field(default_factory=list, description="Readers (`growthlog reader "
                             "add NAME`) whose view of a private build holds this entry.")

    @field_validator("stage", "outcome")
    @classmethod
    def _one_of_configured(cls, value: str | None, info: ValidationInfo) -> str | None:
        allowed: tuple[str, ...] = (info.context or {}).get(info.field_name, ())
        if value is not None and allowed and value not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}; found {value!r}")
        return value


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


# Which mapping keys hold nested models, for unknown-key warnings at every level.
NESTED_MAPPINGS: dict[str, type[BaseModel]] = {
    "feedback": FeedbackSchema, "postmortem": PostmortemSchema, "bridges": BridgesSchema}
NESTED_LISTS: dict[str, type[BaseModel]] = {"support": SupportSchema, "actions": ActionSchema}


def known_keys(model: type[BaseModel]) -> tuple[str, ...]:
    """The keys an author may write for this model (aliases, not Python names)."""
    return tuple(f.alias or name for name, f in model.model_fields.items())


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
    schema = EntrySchema.model_json_schema(by_alias=True)
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
