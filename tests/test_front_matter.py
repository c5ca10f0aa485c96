"""front_matter.py: Hugo's TOML and JSON front matter, each problem on the line it is about,
where the mutation run found the line scanners untested: multi-line strings and arrays,
comments, quoted dotted keys, arrays of tables, errors at the end of the block, and JSON
written without spaces."""

from __future__ import annotations

import pytest

from generator.config import SiteConfig
from generator.entries import parse_entry
from generator.markup import LinkContext
from generator.sources import split_source

HEAD = '+++\ntitle = "A"\ndate = 2024-01-01\n'


def _problems(text: str) -> list[str]:
    source, problems = split_source("content/x.md", text)
    found = [p.format() for p in problems]
    if source is not None:
        found += [p.format() for p in parse_entry(source, SiteConfig(),
                                                  LinkContext("", frozenset()))[1]]
    return found


@pytest.mark.parametrize(("text", "expected"), [
    (HEAD + 'notes = """\nMet the team.\nstage = 3\n  still the notes"""\nstage = 4\n+++\n',
     ["content/x.md:8: stage: expected text; found 4"]),
    (HEAD + "notes = '''\nMet the team.\nstage = 3\n'''\nstage = 4\n+++\n",
     ["content/x.md:8: stage: expected text; found 4"]),
    (HEAD + 'notes = """one line"""\nstage = 4\n+++\n',
     ["content/x.md:5: stage: expected text; found 4"]),
    (HEAD + "notes = '''one line'''\nstage = 4\n+++\n",
     ["content/x.md:5: stage: expected text; found 4"]),
], ids=["basic string", "literal string", "basic on one line", "literal on one line"])
def test_a_key_written_inside_a_multi_line_string_is_not_taken_for_one(
        text: str, expected: list[str]) -> None:
    assert _problems(text) == expected


def test_comments_and_blank_lines_in_an_array_are_no_items_and_its_end_ends_it() -> None:
    text = HEAD + 'tags = [\n  # why these\n\n  "a",\n  3,\n]\nstage = 4\n+++\n'
    assert _problems(text) == ["content/x.md:10: stage: expected text; found 4",
                               "content/x.md:8: tags[1]: expected text; found 3"]


def test_an_unknown_array_of_tables_is_named_on_its_header() -> None:
    assert _problems(HEAD + '\n[[actionz]]\ntext = "a"\n+++\n') == [
        "content/x.md:5: warning: unknown key 'actionz'; did you mean 'actions'?"]


@pytest.mark.parametrize("key", ["feedback.'asked'", 'feedback."asked"', '"feedback".asked',
                                 "feedback . asked"])
def test_a_quoted_or_spaced_dotted_key_is_found_on_its_line(key: str) -> None:
    assert _problems(HEAD + f'stage = "interview"\n{key} = "maybe"\n+++\n') == [
        "content/x.md:5: feedback.asked: expected true or false; found 'maybe'"]


def test_toml_that_ends_too_soon_is_named_at_the_end_of_the_block() -> None:
    assert _problems(HEAD + "tags = [\n+++\n") == [
        "content/x.md:5: front matter is not valid TOML: invalid value"]


def test_json_without_spaces_is_read_with_every_line() -> None:
    source, problems = split_source(
        "content/x.md", '{"title":"A","date":"2024-01-01","feedback":{"asked":true},'
                        '"tags":["a"]}\nBody\n')
    assert problems == [] and source is not None
    assert source.lines[("feedback", "asked")] == 1 and source.body_line == 2
    assert _problems('{\n"title":"A",\n"date":"2024-01-01",\n"tags":[\n"a",\n5]}\n') == [
        "content/x.md:6: tags[1]: expected text; found 5"]
    assert _problems('{\n"title":"A",\n"date":"2024-01-01",\n"tags":[\n"a",5\n]\n}\n') == [
        "content/x.md:5: tags[1]: expected text; found 5"]


@pytest.mark.parametrize("closing", ['the end""" # see """', "the end''' # see '''",
                                     'a \\""" quote, the end"""'],
                         ids=["basic, comment", "literal, comment", "escaped quotes first"])
def test_a_multi_line_string_ends_at_its_first_closing_mark(closing: str) -> None:
    """Not at an odd count of them: a comment after the closing mark may hold another, and
    a basic string's \\" is a quote of its text."""
    mark = closing[-3:]
    text = HEAD + f"notes = {mark}\nMet the team.\n{closing}\nstage = 4\n+++\n"
    assert _problems(text) == ["content/x.md:7: stage: expected text; found 4"]
