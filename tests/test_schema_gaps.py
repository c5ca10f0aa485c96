"""What schema.py decides that an author notices, and that the mutation run found untested:
other tools' keys read or accepted quietly, the draft and example defaults, reader names in
`share:`, the messages for a bad date, and the log's own fields in the JSON Schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jsonschema
import pytest

from generator.build import build
from generator.config import SiteConfig, load_config
from generator.custom_fields import CustomField
from generator.entries import parse_entry
from generator.markup import LinkContext
from generator.model import Entry
from generator.schema import entry_json_schema
from generator.sources import split_source

from conftest import entry, make_log

HEAD = "title: T\ndate: 2026-01-01\n"


def _parse(front: str, config: SiteConfig | None = None) -> tuple[Entry | None, list[str]]:
    source, problems = split_source("content/x.md", f"---\n{front}---\nBody.\n")
    assert source is not None and not problems
    found, more = parse_entry(source, config or SiteConfig(), LinkContext("", frozenset()))
    return found, [p.format() for p in more]


@pytest.mark.parametrize(("front", "read"), [
    (HEAD + "categories: [sql, python]\n", lambda e: [t.name for t in e.tags] == ["sql", "python"]),
    (HEAD + "category: sql\n", lambda e: [t.name for t in e.tags] == ["sql"]),
    (HEAD + "summary: In short.\n", lambda e: e.summary == "In short."),
    (HEAD + "excerpt: In short.\n", lambda e: e.summary == "In short."),
    (HEAD + "published: false\n", lambda e: e.draft is True),
    ("title: T\ncreated: 2026-02-03\n", lambda e: e.date == dt.date(2026, 2, 3)),
    (HEAD + "url: /2016/03/10/acme.html\n",
     lambda e: e.old_addresses == ("2016/03/10/acme.html",)),
    (HEAD + "redirect_from: [/old/acme/]\n",
     lambda e: e.old_addresses == ("old/acme/",)),
    (HEAD + "alias: Acme interview\n", lambda e: e.names == ("Acme interview",)),
], ids=["categories", "category", "summary", "excerpt", "published", "created", "url",
        "redirect_from", "alias"])
def test_other_tools_names_for_growthlogs_keys_are_read_quietly(front: str, read: Any) -> None:
    found, problems = _parse(front)
    assert problems == []
    assert found is not None and read(found)


# Written out, not imported: the list is what an author relies on.
OTHER_TOOLS_ONLY = [
    "layout", "author", "authors", "comments", "image", "images", "cover", "featured",
    "toc", "weight", "type", "lastmod", "last_modified_at", "modified", "updated",
    "publishdate", "publishDate", "expirydate", "expiryDate", "keywords", "series", "menu",
    "cssclass", "cssclasses", "excerpt_separator", "sitemap", "render_with_liquid",
    "redirect_to", "markup", "math", "hidden", "pin", "id", "uid", "version", "lang",
    "translationKey", "headless", "outputs", "resources", "linkTitle", "banner", "icon",
    "date_modified"]


@pytest.mark.parametrize("key", OTHER_TOOLS_ONLY)
def test_a_key_only_another_tool_reads_is_accepted_quietly_and_kept(key: str) -> None:
    """'updated' is close to 'date', 'image' to 'stage', and any of them may be close to a
    field the log declares (here `<key>s`): still no did-you-mean for them."""
    value = "false" if key == "render_with_liquid" else "x"
    own = SiteConfig(fields=(CustomField(f"{key}s", "text", "Own"),))
    found, problems = _parse(HEAD + f"{key}: {value}\n", own)
    assert problems == []
    assert found is not None and key in found.extra


def test_an_entry_is_built_unless_it_says_draft_and_counts_unless_it_says_example(
        tmp_path: Any) -> None:
    root = make_log(tmp_path / "log", {
        "content/2026-01-02-plain.md": entry("Analyst at Plainfield", "2026-01-02"),
        "content/2026-01-03-draft.md": entry("Lead at Draftwood", "2026-01-03",
                                             draft="true"),
        "content/2026-01-04-example.md": entry("Engineer at Example", "2026-01-04",
                                               example="true")})
    report = build(root)
    assert report.entries == 1
    assert [(w.path, w.message[:34]) for w in report.warnings] == [
        ("content/2026-01-04-example.md", "is the example `growthlog init` wr")]
    pages = {p for p in report.written if p.endswith("/index.html")}
    assert any("analyst-at-plainfield" in p for p in pages)
    assert not any("draftwood" in p for p in pages)
    # The example shows only while the log has no entry of its own: here it has one.
    assert not any("engineer-at-example" in p for p in pages)
    home = (root / "output" / "index.html").read_text(encoding="utf-8")
    assert "Plainfield" in home and "Draftwood" not in home and "Example" not in home


@pytest.mark.parametrize(("share", "readers", "problems"), [
    ("true", (), []), ("false", (), []), ("", (), []), ("sam", ("sam",), []),
    ("[sam, jo-2]", ("sam", "jo-2"), []),
    ("[Sam, 9x, " + "a" * 41 + "]", None, [
        "content/x.md:4: share: expected reader names (lower-case letters, digits, '-' or "
        f"'_', starting with a letter); found 'Sam', '9x', '{'a' * 41}'"])])
def test_share_names_readers_and_anything_else_is_named_back(
        share: str, readers: tuple[str, ...] | None, problems: list[str]) -> None:
    found, said = _parse(f"{HEAD}share: {share}\n")
    assert said == problems
    assert (found.share if found is not None else None) == readers


@pytest.mark.parametrize(("front", "message"), [
    ("title: T\ndate:\n", "content/x.md:3: date: expected a date like 2026-03-14; found "
                          "nothing"),
    (HEAD + "applied: 2026-02-30\n",
     "content/x.md:4: applied: expected a date like 2026-03-14; found '2026-02-30'"),
    (HEAD + "applied: 12\n", "content/x.md:4: applied: expected a date like 2026-03-14; "
                             "found 12"),
    (HEAD + "bridges:\n  thank_you_sent: soon\n",
     "content/x.md:5: bridges.thank_you_sent: expected a date like 2026-03-15, or "
     "true/false; found 'soon'"),
    (HEAD + "tags: 2026\n", "content/x.md:4: tags[0]: expected text; found 2026"),
    (HEAD + "lessons: 1.5\n", "content/x.md:4: lessons[0]: expected text; found 1.5"),
])
def test_a_wrong_value_is_named_with_what_was_expected(front: str, message: str) -> None:
    found, problems = _parse(front)
    assert found is None and problems == [message]


@pytest.mark.parametrize(("front", "value"), [
    ("bridges:\n  thank_you_sent:\n", None), ("bridges:\n  thank_you_sent: true\n", True),
    ("bridges:\n  thank_you_sent: 2016-03-10 12:00:00 -0800\n", dt.date(2016, 3, 10)),
])
def test_a_thank_you_is_a_day_yes_no_or_left_empty(front: str, value: object) -> None:
    found, problems = _parse(HEAD + front)
    assert problems == [] and found is not None and found.bridges is not None
    assert found.bridges.thank_you_sent == value


def test_the_json_schema_describes_the_logs_own_fields_for_the_editor(tmp_path: Any) -> None:
    root = make_log(tmp_path / "log", {}, config="""
        [[fields]]
        name = "salary"
        type = "number"
        label = "Salary offered"
        [[fields]]
        name = "recruiter"
        type = "text"
        [[fields]]
        name = "heard_back"
        type = "date"
        [[fields]]
        name = "remote"
        type = "true/false"
        [[fields]]
        name = "panel"
        type = "list"
        [[fields]]
        name = "fit"
        type = "choice"
        choices = ["poor", "good"]
        """)
    config, problems = load_config(root)
    assert problems == []
    assert [f.name for f in config.fields] == ["salary", "recruiter", "heard_back", "remote",
                                               "panel", "fit"]
    schema = entry_json_schema(config)
    properties = schema["properties"]
    assert {name: properties[name] for name in list(properties)[-6:]} == {
        "salary": {"description": "Salary offered", "type": "number"},
        "recruiter": {"description": "Recruiter", "type": ["string", "number"]},
        "heard_back": {"description": "Heard back", "type": "string", "format": "date"},
        "remote": {"description": "Remote", "type": "boolean"},
        "panel": {"description": "Panel", "anyOf": [
            {"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "fit": {"description": "Fit", "enum": ["poor", "good"]}}
    assert schema["title"] == "growthlog entry"
    assert properties["stage"]["description"] == "Furthest stage reached."
    assert properties["outcome"]["description"] == "How it ended."
    validator = jsonschema.Draft202012Validator(schema)
    good = {"title": "t", "date": "2026-01-01", "salary": 90000, "recruiter": "Jo",
            "heard_back": "2026-01-05", "remote": True, "panel": ["a", "b"], "fit": "good"}
    assert list(validator.iter_errors(good)) == []
    for wrong in ({"salary": "lots"}, {"recruiter": True}, {"remote": "yes"},
                  {"panel": [1]}, {"fit": "great"}):
        errors = list(validator.iter_errors({**good, **wrong}))
        assert [list(e.path) for e in errors] == [list(wrong)], wrong


def test_one_character_is_text_enough_and_nothing_is_not(tmp_path: Any) -> None:
    found, problems = _parse(HEAD + "company: X\nrole: Y\ntags: [a]\nlessons: Z\n")
    assert problems == [] and found is not None
    assert (found.company, found.role, [t.name for t in found.tags], found.lessons) == (
        "X", "Y", ["a"], ("Z",))
    assert _parse(HEAD + "company: ''\n")[1] == [
        "content/x.md:4: company: expected some text; found ''"]


@pytest.mark.parametrize("name", ["summary", "categories", "slug"])
def test_a_field_of_the_log_may_not_take_a_name_growthlog_reads(
        tmp_path: Any, name: str) -> None:
    root = make_log(tmp_path / "log", {}, config=f"""
        [[fields]]
        name = "{name}"
        type = "text"
        """)
    assert [p.format() for p in load_config(root)[1]] == [
        f"growthlog.toml:2: fields[0]: name: '{name}' is a built-in field; choose another name"]
