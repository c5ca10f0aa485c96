"""Unknown keys warn at every level of the front matter, with the closest known key, and
the entry is still built from the keys that are known."""

from __future__ import annotations

import pytest

from generator.config import SiteConfig
from generator.entries import parse_entry
from generator.errors import Severity
from generator.markup import LinkContext
from generator.schema import NESTED_LISTS, NESTED_MAPPINGS, EntrySchema, known_keys
from generator.sources import split_source


def _parse(front: str) -> tuple[object, list[str], list[Severity]]:
    source, problems = split_source("content/x.md", f"---\ntitle: T\ndate: 2026-01-01\n{front}"
                                    "---\nBody.\n")
    assert source is not None and not problems
    entry, found = parse_entry(source, SiteConfig(), LinkContext("", frozenset()))
    return entry, [p.format() for p in found], [p.severity for p in found]


def test_unknown_keys_inside_postmortem_warn() -> None:
    entry, problems, severities = _parse(
        "postmortem:\n  went_wel: [Rapport]\n  to_improve: [Modelling]\n  mood: fine\n")
    assert problems == [
        "content/x.md:5: warning: unknown key 'went_wel'; did you mean 'went_well'?",
        "content/x.md:7: warning: unknown key 'mood'"]
    assert severities == [Severity.WARNING] * 2
    assert entry.postmortem.to_improve == ("Modelling",)  # type: ignore[attr-defined]
    assert entry.postmortem.went_well == ()  # type: ignore[attr-defined]


def test_unknown_keys_inside_bridges_warn() -> None:
    entry, problems, severities = _parse("bridges:\n  thank_you: 2026-01-02\n"
                                         "  keep_in_touch: true\n")
    assert problems == [
        "content/x.md:5: warning: unknown key 'thank_you'; did you mean 'thank_you_sent'?"]
    assert severities == [Severity.WARNING]
    assert entry.bridges.keep_in_touch is True  # type: ignore[attr-defined]
    assert entry.bridges.thank_you_sent is None  # type: ignore[attr-defined]


def test_unknown_keys_in_an_inline_mapping_and_in_list_items_warn() -> None:
    _, problems, _ = _parse("feedback: {asked: true, form: HR}\n"
                            "support:\n  - {who: Sam, tookaway: x}\n"
                            "actions:\n  - {text: Mock, dne: true}\n")
    assert problems == [
        "content/x.md:4: warning: unknown key 'form'; did you mean 'from'?",
        "content/x.md:6: warning: unknown key 'tookaway'; did you mean 'took_away'?",
        "content/x.md:8: warning: unknown key 'dne'; did you mean 'done'?"]


@pytest.mark.parametrize("name", sorted({**NESTED_MAPPINGS, **NESTED_LISTS}))
def test_every_known_nested_key_is_accepted_quietly(name: str) -> None:
    model = {**NESTED_MAPPINGS, **NESTED_LISTS}[name]
    values = {"asked": "true", "keep_in_touch": "true", "done": "false",
              "thank_you_sent": "2026-01-02", "due": "2026-02-01"}
    pairs = ", ".join(f"{key}: {values.get(key, 'x')}" for key in known_keys(model))
    text = f"{name}: [{{{pairs}}}]\n" if name in NESTED_LISTS else f"{name}: {{{pairs}}}\n"
    entry, problems, _ = _parse(text)
    assert entry is not None and problems == []
    assert name in known_keys(EntrySchema)


def test_a_key_warned_about_is_not_read_even_when_it_is_a_python_name() -> None:
    """`from_` (the field's name in the code) is unknown like any other typo of `from`:
    warned about, and not shown as who gave the feedback."""
    entry, problems, _ = _parse("feedback:\n  from_: HR\n  asked: true\n")
    assert problems == ["content/x.md:5: warning: unknown key 'from_'; did you mean 'from'?"]
    assert entry.feedback.given_by is None  # type: ignore[attr-defined]
    assert entry.feedback.asked is True  # type: ignore[attr-defined]
