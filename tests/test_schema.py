"""schema.py: the front matter declared once and exported as JSON Schema for editors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import ValidationError

from generator.config import SiteConfig
from generator.schema import EntrySchema, entry_json_schema, known_keys, validate_entry

FULL = {
    "title": "Senior Data Engineer at Acme", "date": "2026-03-14", "company": "Acme",
    "role": "Senior Data Engineer", "stage": "interview", "outcome": "rejected",
    "applied": "2026-02-01", "tags": ["system-design", "nerves"],
    "feedback": {"asked": True, "from": "Hiring manager", "received": "Weak on trade-offs",
                 "other_openings": "Platform team"},
    "support": [{"who": "Sam", "took_away": "Say trade-offs out loud"}],
    "postmortem": {"went_well": ["Rapport"], "to_improve": ["Data modelling"]},
    "bridges": {"thank_you_sent": "2026-03-15", "keep_in_touch": True},
    "lessons": ["Lead with trade-offs"],
    "actions": ["Two mocks a week", {"text": "Update resume", "done": True, "due": "2026-04-01"}],
    "draft": False, "slug": "acme",
}


def test_json_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = entry_json_schema(SiteConfig())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert sorted(schema["required"]) == ["date", "title"]


def test_json_schema_accepts_a_full_entry_and_rejects_a_bad_stage() -> None:
    validator = jsonschema.Draft202012Validator(entry_json_schema(SiteConfig()))
    assert list(validator.iter_errors(FULL)) == []
    errors = list(validator.iter_errors({**FULL, "stage": "onsight"}))
    assert [list(e.path) for e in errors] == [["stage"]]
    assert list(validator.iter_errors({"title": "x"})) != []


def test_json_schema_lists_every_field_in_declaration_order() -> None:
    properties = list(entry_json_schema(SiteConfig())["properties"])
    assert properties == ["title", "date", "company", "role", "stage", "outcome", "applied",
                          "tags", "feedback", "support", "postmortem", "bridges", "lessons",
                          "actions", "draft", "example", "slug", "description", "permalink",
                          "aliases", "share"]


def test_json_schema_stage_and_outcome_enums_follow_config() -> None:
    default = entry_json_schema(SiteConfig())["properties"]
    assert default["stage"]["enum"] == ["applied", "screen", "assessment", "interview",
                                        "final", "offer"]
    assert default["outcome"]["enum"] == ["rejected", "ghosted", "withdrew", "closed"]
    custom = entry_json_schema(SiteConfig(stages=("applied", "onsite"), outcomes=("no",)))
    assert custom["properties"]["stage"]["enum"] == ["applied", "onsite"]
    assert custom["properties"]["outcome"]["enum"] == ["no"]


def test_feedback_uses_the_written_key_from_not_the_python_name() -> None:
    schema = entry_json_schema(SiteConfig())
    feedback = schema["$defs"]["FeedbackSchema"]["properties"]
    assert "from" in feedback and "from_" not in feedback
    assert known_keys(EntrySchema)[:2] == ("title", "date")


def test_full_entry_validates_to_typed_values() -> None:
    data = validate_entry(FULL, SiteConfig().stages, SiteConfig().outcomes)
    assert data["date"] == dt.date(2026, 3, 14)
    assert data["applied"] == dt.date(2026, 2, 1)
    assert data["feedback"] is not None and data["feedback"]["from"] == "Hiring manager"
    assert data["bridges"] is not None
    assert data["bridges"]["thank_you_sent"] == dt.date(2026, 3, 15)
    assert [(a["text"], a["done"], a["due"]) for a in data["actions"]] == [
        ("Two mocks a week", False, None), ("Update resume", True, dt.date(2026, 4, 1))]


@pytest.mark.parametrize("value", [
    dt.date(2026, 3, 14), dt.datetime(2026, 3, 14, 9, 30),
    dt.datetime(2026, 3, 14, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    "2026-03-14", "2026-03-14T09:30:00", "2026-03-14 09:30:00+02:00", "2026-03-14T09:30Z",
    " 2026-03-14 "])
def test_date_accepts_dates_and_datetimes(value: object) -> None:
    assert validate_entry({"title": "t", "date": value})["date"] == dt.date(2026, 3, 14)


@pytest.mark.parametrize("value", [True, False, dt.date(2026, 1, 2), "2026-01-02"])
def test_thank_you_sent_is_a_date_or_a_boolean(value: object) -> None:
    data = validate_entry({"title": "t", "date": "2026-01-01",
                           "bridges": {"thank_you_sent": value}})
    assert data["bridges"] is not None
    assert data["bridges"]["thank_you_sent"] == (dt.date(2026, 1, 2) if value == "2026-01-02"
                                           else value)


def test_a_single_tag_or_lesson_becomes_a_list_of_one() -> None:
    data = validate_entry({"title": "t", "date": "2026-01-01", "tags": "nerves",
                           "lessons": "Breathe"})
    assert data["tags"] == ["nerves"]
    assert data["lessons"] == ["Breathe"]


def test_stage_must_be_one_of_the_configured_stages() -> None:
    with pytest.raises(ValidationError) as info:
        validate_entry({"title": "t", "date": "2026-01-01", "stage": "onsite"},
                       stages=("applied", "screen"))
    assert "expected one of applied, screen; found 'onsite'" in str(info.value)
    ok = validate_entry({"title": "t", "date": "2026-01-01", "stage": "onsite"},
                        stages=("applied", "onsite"))
    assert ok["stage"] == "onsite"


@pytest.fixture(scope="module")
def pydantic_entry() -> Any:
    """The model classes schema.py declared the front matter with until the validator was
    built without pydantic, as they were: the reference the validator must match."""
    from typing import Annotated

    from pydantic import (
        AfterValidator,
        BaseModel,
        BeforeValidator,
        ConfigDict,
        Field,
        ValidationInfo,
        field_validator,
    )

    from generator import schema

    date = Annotated[dt.date, BeforeValidator(schema._to_date)]
    text = Annotated[str, Field(min_length=1)]
    texts = Annotated[list[text], BeforeValidator(schema._to_list)]
    shares = Annotated[list[text], BeforeValidator(schema._to_share),
                       AfterValidator(schema._reader_names)]

    class Strict(BaseModel):
        model_config = ConfigDict(extra="ignore", frozen=True)

    class Feedback(Strict):
        asked: bool | None = None
        from_: text | None = Field(None, alias="from")
        received: text | None = None
        other_openings: text | None = None

    class Support(Strict):
        who: text
        took_away: text | None = None

    class Postmortem(Strict):
        went_well: texts = Field(default_factory=list)
        to_improve: texts = Field(default_factory=list)

    class Bridges(Strict):
        thank_you_sent: Annotated[dt.date | bool | None,
                                  BeforeValidator(schema._to_date_or_bool)] = None
        keep_in_touch: bool | None = None

    class Action(Strict):
        text: text
        done: bool = False
        due: date | None = None

    class Entry(Strict):
        title: text
        date: date
        company: text | None = None
        role: text | None = None
        stage: text | None = None
        outcome: text | None = None
        applied: date | None = None
        tags: texts = Field(default_factory=list)
        feedback: Feedback | None = None
        support: list[Support] = Field(default_factory=list)
        postmortem: Postmortem | None = None
        bridges: Bridges | None = None
        lessons: texts = Field(default_factory=list)
        actions: list[Annotated[Action, BeforeValidator(schema._to_action)]] = Field(
            default_factory=list)
        draft: bool = False
        example: bool = False
        slug: text | None = None
        description: text | None = None
        permalink: text | None = None
        aliases: texts = Field(default_factory=list)
        share: shares = Field(default_factory=list)

        @field_validator("stage", "outcome")
        @classmethod
        def _one_of_configured(cls, value: str | None, info: ValidationInfo) -> str | None:
            allowed: tuple[str, ...] = (info.context or {}).get(info.field_name, ())
            if value is not None and allowed and value not in allowed:
                raise ValueError(f"expected one of {', '.join(allowed)}; found {value!r}")
            return value

    return Entry


def _outcome(validate: Any, meta: dict[str, Any]) -> object:
    """What a validator made of `meta`: its values, or each problem's kind, place, input
    and (for our own checks) message. A mapping where one is expected is reported as
    'model_type' by pydantic's classes and 'dict_type' by the validator: both are shown
    as "'key: value' lines"."""
    try:
        return ("ok", validate(meta))
    except ValidationError as exc:
        return ("errors", [("dict_type" if e["type"] == "model_type" else e["type"],
                            e["loc"], repr(e["input"]),
                            str(e["ctx"]["error"]) if e["type"] == "value_error" else "")
                           for e in exc.errors()])


_TEXTS = st.sampled_from([
    "", " ", "x", "yes", "no", "on", "off", "true", "False", "0", "1", "2", "onsite",
    "interview", "rejected", "sam", "Sam", "a b", "2026-03-14", "2026-02-30",
    "2026-03-14 12:00:00 -0800", "14/03/2026"])
_SCALARS = st.one_of(
    _TEXTS, st.booleans(), st.none(), st.integers(-2, 3), st.sampled_from([0.0, 1.0, 0.5, 1e100]),
    st.dates(), st.datetimes(timezones=st.just(dt.UTC)))
_INNER = st.one_of(_TEXTS, _SCALARS, st.lists(_SCALARS, max_size=3))
_MAPPINGS = st.dictionaries(st.sampled_from([
    "text", "done", "due", "who", "took_away", "asked", "from", "from_", "received",
    "went_well", "to_improve", "thank_you_sent", "keep_in_touch", "other"]), _INNER, max_size=4)
_VALUES = st.one_of(_TEXTS, _SCALARS, st.lists(st.one_of(_SCALARS, _MAPPINGS), max_size=3),
                    _MAPPINGS)
_KEYS = st.sampled_from([key.name for key in EntrySchema.keys] + ["other", "from_"])


@settings(max_examples=500, deadline=None)
@given(meta=st.dictionaries(_KEYS, _VALUES, max_size=8), title=st.sampled_from([None, "t", ""]),
       day=st.sampled_from([None, "2026-03-14", dt.date(2026, 3, 14), "soon"]),
       checked=st.booleans())
def test_the_validator_gives_what_pydantics_model_classes_gave(
        pydantic_entry: Any, meta: dict[str, Any], title: str | None, day: object,
        checked: bool) -> None:
    """Whatever the front matter holds, the values or the problems are those the model
    classes gave before (pydantic-core's own coercions either way)."""
    meta = {**({"title": title} if title is not None else {}),
            **({"date": day} if day is not None else {}), **meta}
    stages, outcomes = (("applied", "interview"), ("rejected",)) if checked else ((), ())
    old = _outcome(lambda m: pydantic_entry.model_validate(m, context={
        "stage": stages, "outcome": outcomes}).model_dump(by_alias=True), meta)
    assert _outcome(lambda m: validate_entry(m, stages, outcomes), meta) == old


def test_the_typed_dicts_for_mypy_name_the_keys_the_schema_declares() -> None:
    """schema.py's TypedDicts (for mypy only, so not run) repeat each schema's keys: a key
    declared in one and not the other would pass mypy and fail only where it is used."""
    import ast
    import inspect

    import generator.schema as schema

    declared: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(inspect.getsource(schema))):
        if isinstance(node, ast.ClassDef) and node.name.endswith("Data"):
            declared[node.name] = {item.target.id for item in node.body if isinstance(
                item, ast.AnnAssign) and isinstance(item.target, ast.Name)}
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                and getattr(node.value.func, "id", "") == "TypedDict":
            name, keys = node.value.args
            assert isinstance(name, ast.Constant) and isinstance(keys, ast.Dict)
            declared[name.value] = {k.value for k in keys.keys if isinstance(k, ast.Constant)}
    schemas = [schema.EntrySchema, *schema.NESTED_MAPPINGS.values(),
               *schema.NESTED_LISTS.values()]
    assert {s.name.removesuffix("Schema") + "Data": set(known_keys(s)) for s in schemas} \
        == declared
