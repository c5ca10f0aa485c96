"""schema.py: the front matter declared once and exported as JSON Schema for editors."""

from __future__ import annotations

import datetime as dt

import jsonschema
import pytest
from pydantic import ValidationError

from generator.config import SiteConfig
from generator.schema import EntrySchema, entry_json_schema, known_keys

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
CONTEXT = {"stage": SiteConfig().stages, "outcome": SiteConfig().outcomes}


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
    data = EntrySchema.model_validate(FULL, context=CONTEXT)
    assert data.date == dt.date(2026, 3, 14)
    assert data.applied == dt.date(2026, 2, 1)
    assert data.feedback is not None and data.feedback.from_ == "Hiring manager"
    assert data.bridges is not None and data.bridges.thank_you_sent == dt.date(2026, 3, 15)
    assert [(a.text, a.done, a.due) for a in data.actions] == [
        ("Two mocks a week", False, None), ("Update resume", True, dt.date(2026, 4, 1))]


@pytest.mark.parametrize("value", [
    dt.date(2026, 3, 14), dt.datetime(2026, 3, 14, 9, 30),
    dt.datetime(2026, 3, 14, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    "2026-03-14", "2026-03-14T09:30:00", "2026-03-14 09:30:00+02:00", "2026-03-14T09:30Z",
    " 2026-03-14 "])
def test_date_accepts_dates_and_datetimes(value: object) -> None:
    assert EntrySchema.model_validate({"title": "t", "date": value}).date == dt.date(2026, 3, 14)


@pytest.mark.parametrize("value", [True, False, dt.date(2026, 1, 2), "2026-01-02"])
def test_thank_you_sent_is_a_date_or_a_boolean(value: object) -> None:
    data = EntrySchema.model_validate({"title": "t", "date": "2026-01-01",
                                       "bridges": {"thank_you_sent": value}})
    assert data.bridges is not None
    assert data.bridges.thank_you_sent == (dt.date(2026, 1, 2) if value == "2026-01-02"
                                           else value)


def test_a_single_tag_or_lesson_becomes_a_list_of_one() -> None:
    data = EntrySchema.model_validate({"title": "t", "date": "2026-01-01", "tags": "nerves",
                                       "lessons": "Breathe"})
    assert data.tags == ["nerves"]
    assert data.lessons == ["Breathe"]


def test_stage_must_be_one_of_the_configured_stages() -> None:
    with pytest.raises(ValidationError) as info:
        EntrySchema.model_validate({"title": "t", "date": "2026-01-01", "stage": "onsite"},
                                   context={"stage": ("applied", "screen")})
    assert "expected one of applied, screen; found 'onsite'" in str(info.value)
    ok = EntrySchema.model_validate({"title": "t", "date": "2026-01-01", "stage": "onsite"},
                                    context={"stage": ("applied", "onsite")})
    assert ok.stage == "onsite"
