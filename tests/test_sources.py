"""sources.py: finding content files, reading them, splitting front matter with a line map."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import Severity
from generator.sources import find_content_files, is_ignored_name, read_source, split_source


def _problems(text: str) -> list[str]:
    source, problems = split_source("content/x.md", text)
    assert source is None
    return [p.format() for p in problems]


def test_split_maps_keys_and_items_to_file_lines() -> None:
    text = ("---\ntitle: Acme\ndate: 2026-03-14\n\nfeedback:\n  asked: true\n"
            "actions:\n  - One\n  - {text: Two, done: true}\n---\nFirst line of body.\n")
    source, problems = split_source("content/x.md", text)
    assert problems == []
    assert source is not None
    assert source.meta["title"] == "Acme"
    assert source.lines[("title",)] == 2
    assert source.lines[("date",)] == 3
    assert source.lines[("feedback",)] == 5
    assert source.lines[("feedback", "asked")] == 6
    assert source.lines[("actions", 0)] == 8
    assert source.lines[("actions", 1, "done")] == 9
    assert source.body == "First line of body.\n"
    assert source.body_line == 11


def test_blank_lines_after_opening_do_not_shift_lines() -> None:
    source, _ = split_source("content/x.md", "---\n\n\ntitle: A\ndate: 2026-01-01\n---\nB\n")
    assert source is not None
    assert source.lines[("title",)] == 4
    assert source.body_line == 7


def test_crlf_and_byte_order_mark_are_accepted() -> None:
    source, problems = split_source(
        "content/x.md", "\ufeff---\r\ntitle: A\r\ndate: 2026-01-01\r\n---\r\nBody\r\n")
    assert problems == []
    assert source is not None
    assert source.meta["title"] == "A"
    assert source.lines[("date",)] == 3


def test_scalars_remember_how_they_were_written() -> None:
    source, _ = split_source("content/x.md", "---\ncompany: no\nrole: 'no'\n---\n")
    assert source is not None
    assert source.scalars[("company",)].is_plain is True
    assert source.scalars[("role",)].is_plain is False
    assert source.scalars[("company",)].text == "no"


@pytest.mark.parametrize(("text", "expected"), [
    ("---\ntitle: A\ndate: 2026-01-01\nNo closing line.\n",
     "content/x.md:1: front matter is not closed; add a line '---' after the last "
     "front-matter key"),
    ("---\n- a\n- b\n---\nBody\n",
     "content/x.md:2: front matter must be 'key: value' lines (a mapping); found list"),
    ("---\njust some words\n---\nBody\n",
     "content/x.md:2: front matter must be 'key: value' lines (a mapping); found str"),
    ("---\n---\nBody\n",
     "content/x.md:2: front matter must be 'key: value' lines (a mapping); found nothing"),
    ("---\ntitle: A\ndate: 2026-01-01\ntags: [a, b\n---\n",
     "content/x.md:4: front matter: the list opened on line 4 is never closed with ]"),
    ("---\ntitle: A\ncompany: Acme: Corp\n---\n",
     "content/x.md:3: front matter: line 3 has a second ': ' in its value; put the value in "
     'quotes: company: "Acme: Corp"'),
    ("---\ntitle: A\n\tcompany: Acme\n---\n",
     "content/x.md:3: front matter: line 3 is indented with a tab; indent with spaces"),
    ("---\ntitle: A\nfeedback: {asked: true\ncompany: Acme\n---\n",
     "content/x.md:3: front matter: the { opened on line 3 is never closed with }"),
    ('---\ntitle: "Acme\ncompany: x\n---\n',
     "content/x.md:2: front matter: the quote opened on line 2 is never closed"),
    ("---\ntitle: A\nlessons\n---\n",
     "content/x.md:3: front matter: line 3 is not a `key: value` line: add a ':' after "
     "lessons"),
    ("---\ntitle: A\nfeedback:\n  asked: true\n   received: x\n---\n",
     "content/x.md:5: front matter: line 5 is indented more than the key above it; line "
     "keys of the same level up under each other"),
    ("---\ntitle: *draft\n---\n",
     "content/x.md:2: front matter: line 2 has a value starting with *, which YAML reads as "
     "a reference; put the value in quotes"),
], ids=["unclosed", "list", "scalar", "empty", "flow", "colon", "tab",
        "flow-mapping", "quote", "no-colon", "indent", "alias"])
def test_broken_front_matter_names_file_and_line(text: str, expected: str) -> None:
    assert _problems(text) == [expected]


def test_an_unclosed_list_is_named_where_it_opens_not_where_yaml_gave_up() -> None:
    keys = "".join(f"k{i}: v\n" for i in range(7))  # lines 2-8
    text = f"---\n{keys}title: A\ntags: [sql, nerves\ncompany: Acme\nrole: Eng\nstage: x\n---\n"
    assert _problems(text) == [
        "content/x.md:10: front matter: the list opened on line 10 is never closed with ]"]


def test_a_body_line_inside_the_front_matter_is_named_with_the_likely_cause() -> None:
    keys = "".join(f"k{i}: v\n" for i in range(37))  # lines 2-38
    text = (f"---\n{keys}\nWhat happened, and what I take from it.\nMore of the story.\n"
            "---\nA horizontal rule above ends the front matter by mistake.\n")
    assert _problems(text) == [
        "content/x.md:40: front matter: line 40 is not a `key: value` line: did the front "
        "matter miss its closing ---?"]


def test_impossible_date_is_kept_as_text_for_the_schema_to_report() -> None:
    # PyYAML raises a bare ValueError (no line) for 2026-13-45; the loader must not.
    source, problems = split_source("content/x.md", "---\ntitle: A\ndate: 2026-13-45\n---\n")
    assert problems == []
    assert source is not None
    assert source.meta["date"] == "2026-13-45"


def test_duplicate_key_is_a_warning_on_its_second_line() -> None:
    source, problems = split_source("content/x.md",
                                    "---\ntitle: A\ndate: 2026-01-01\ntitle: B\n---\n")
    assert source is not None
    assert source.meta["title"] == "B"
    assert [p.format() for p in problems] == [
        "content/x.md:4: warning: title: appears twice; the later value is used"]
    assert problems[0].severity is Severity.WARNING


def test_invalid_utf8_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_bytes(b"---\ntitle: A\ndate: 2026-01-01\n---\nCaf\xe9\n")
    source, problems = read_source(path, "content/x.md")
    assert source is None
    assert [p.format() for p in problems] == [
        "content/x.md:5: is not valid UTF-8 text (byte 38); save it as UTF-8"]


def test_read_source_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text("---\ntitle: Ünïcödé 日本\ndate: 2026-01-01\n---\nBody\n", encoding="utf-8")
    source, problems = read_source(path, "content/x.md")
    assert problems == []
    assert source is not None
    assert source.path == "content/x.md"
    assert source.meta["title"] == "Ünïcödé 日本"


def test_find_content_files_sorts_entries_and_assets_and_skips_editor_files(
        tmp_path: Path) -> None:
    content = tmp_path / "content"
    for name in ["b.md", "a/c.MD", "a/pic.png", "notes.pdf", ".hidden.md", "a/.#lock.md",
                 "b.md.swp", "b.md~", ".git/x.md", "#b.md#", "node_modules/x/readme.md"]:
        (content / name).parent.mkdir(parents=True, exist_ok=True)
        (content / name).write_text("x", encoding="utf-8")
    entries, assets = find_content_files(content)
    assert [p.relative_to(content).as_posix() for p in entries] == ["a/c.MD", "b.md"]
    assert [p.relative_to(content).as_posix() for p in assets] == ["a/pic.png", "notes.pdf"]


def test_missing_content_folder_is_empty(tmp_path: Path) -> None:
    assert find_content_files(tmp_path / "content") == ([], [])


@pytest.mark.parametrize("name", [".DS_Store", "x.swp", "x~", "#x#", "x.bak", "x.tmp"])
def test_ignored_names(name: str) -> None:
    assert is_ignored_name(name)


def test_ordinary_names_are_not_ignored() -> None:
    assert not is_ignored_name("2026-03-14-acme.md")
    assert not is_ignored_name("whiteboard.svg")


def test_nested_aliases_do_not_blow_up() -> None:
    lines = ["title: T", "date: 2026-01-01", "x0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    text = "---\n" + "\n".join(lines) + "\n---\n"
    source, problems = split_source("content/x.md", text)  # 9**10 paths if walked naively
    assert problems == []
    assert source is not None
    assert source.lines[("x9",)] == 13
    assert source.lines[("x0", 8)] == 4


def test_aliases_reuse_values() -> None:
    source, _ = split_source("content/x.md", "---\ntitle: T\ndate: 2026-01-01\n"
                             "tags: &t [sql]\nlessons: *t\n---\n")
    assert source is not None
    assert source.meta["lessons"] == ["sql"]
