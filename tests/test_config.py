"""config.py: growthlog.toml → SiteConfig, every problem at once, unknown keys as warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import (
    DEFAULT_OUTCOMES,
    DEFAULT_STAGES,
    SiteConfig,
    load_config,
    normalise_base_url,
    parse_config,
)
from generator.errors import Severity


def _formatted(data: dict[str, object]) -> list[str]:
    return [p.format() for p in parse_config(data)[1]]


def test_defaults_when_there_is_no_config_file(tmp_path: Path) -> None:
    config, problems = load_config(tmp_path)
    assert problems == []
    assert config == SiteConfig()
    assert config.stages == ("applied", "screen", "assessment", "interview", "final", "offer")
    assert config.outcomes == ("rejected", "ghosted", "withdrew", "closed")
    assert config.base_url == "/"
    assert config.unsafe_html is False


def test_values_are_read_and_lists_become_tuples() -> None:
    config, problems = parse_config({
        "title": "Lena's log", "stages": ["applied", "call", "onsite"],
        "outcomes": ["no", "silence"], "recent": 3, "unsafe_html": True, "theme": "quiet",
        "extra": {"motto": "onwards"}})
    assert problems == []
    assert config.title == "Lena's log"
    assert config.stages == ("applied", "call", "onsite")
    assert config.outcomes == ("no", "silence")
    assert config.recent == 3
    assert config.unsafe_html is True
    assert config.theme == "quiet"
    assert config.extra == {"motto": "onwards"}


def test_unknown_key_is_a_warning_with_the_closest_key() -> None:
    config, problems = parse_config({"titel": "x"})
    assert [p.format() for p in problems] == [
        "growthlog.toml: warning: unknown key 'titel'; did you mean 'title'?"]
    assert problems[0].severity is Severity.WARNING
    assert config == SiteConfig()


def test_unknown_key_without_a_close_match_has_no_hint() -> None:
    assert _formatted({"zzzzzz": 1}) == ["growthlog.toml: warning: unknown key 'zzzzzz'"]


def test_every_problem_is_reported_at_once() -> None:
    assert _formatted({"recent": 0, "base_url": 3, "stages": ["a", "a"],
                       "unsafe_html": "yes", "outcomes": []}) == [
        "growthlog.toml: base_url: expected text; found 3",
        "growthlog.toml: stages: lists a value twice: ['a', 'a']",
        "growthlog.toml: unsafe_html: expected true or false; found 'yes'",
        "growthlog.toml: outcomes: expected a non-empty list of text; found []",
        "growthlog.toml: recent: expected at least 1; found 0",
    ]


def test_recent_must_be_a_whole_number_not_a_boolean() -> None:
    assert _formatted({"recent": True}) == [
        "growthlog.toml: recent: expected a whole number; found True"]


def test_stages_must_be_text() -> None:
    assert _formatted({"stages": ["applied", 3]}) == [
        "growthlog.toml: stages: expected a non-empty list of text; found ['applied', 3]"]


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "growthlog.toml").write_text('title = "x\n', encoding="utf-8")
    config, problems = load_config(tmp_path)
    assert config == SiteConfig()
    assert [p.format() for p in problems] == [
        "growthlog.toml:1: is not valid TOML: Illegal character '\\n' (at line 1, column 11)"]


def test_config_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "growthlog.toml").write_bytes(b'title = "\xff"\n')
    _, problems = load_config(tmp_path)
    assert [p.format() for p in problems] == [
        "growthlog.toml:1: is not valid UTF-8 text; save it as UTF-8"]


def test_config_file_problems_name_the_line(tmp_path: Path) -> None:
    (tmp_path / "growthlog.toml").write_text(
        '# my log\ntitle = "Log"\n\ntitel = 1\n"recent" = 0\n\n[extra]\nrecent = 2\n',
        encoding="utf-8")
    _, problems = load_config(tmp_path)
    assert [p.format() for p in problems] == [
        "growthlog.toml:4: warning: unknown key 'titel'; did you mean 'title'?",
        "growthlog.toml:5: recent: expected at least 1; found 0",
    ]


def test_stages_override_from_file(tmp_path: Path) -> None:
    (tmp_path / "growthlog.toml").write_text('stages = ["applied", "onsite"]\n',
                                            encoding="utf-8")
    config, problems = load_config(tmp_path)
    assert problems == []
    assert config.stages == ("applied", "onsite")
    assert config.outcomes == DEFAULT_OUTCOMES
    assert DEFAULT_STAGES != config.stages


def test_base_url_is_normalised() -> None:
    assert normalise_base_url("my-log") == "/my-log/"
    assert normalise_base_url("/my-log") == "/my-log/"
    assert normalise_base_url("/my-log/") == "/my-log/"
    assert normalise_base_url("") == "/"
    assert normalise_base_url("https://me.github.io/log") == "https://me.github.io/log/"
    assert parse_config({"base_url": "my-log"})[0].base_url == "/my-log/"


@pytest.mark.parametrize("theme", ["a" * 300, "a\x00b", "../../etc", "dark/blue", ""])
def test_a_theme_that_is_no_folder_name_is_a_config_error_not_a_traceback(
        tmp_path: Path, theme: str) -> None:
    """A 300-character theme name made check and build end in OSError('File name too
    long') and the preview in 'internal error' (found by the config fuzz test)."""
    import json

    from generator.build import build, check
    from generator.errors import ProblemsFound
    from generator.serve import Rebuilder

    from conftest import entry, make_log

    root = make_log(tmp_path / "log", {"content/a.md": entry()},
                    f'title = "T"\ntheme = {json.dumps(theme)}\n')
    for run in (check, build):
        with pytest.raises(ProblemsFound) as info:
            run(root)
        [problem] = info.value.problems
        assert problem.format().startswith("growthlog.toml:2: theme: expected the name of a "
                                           "theme: one folder name"), problem.format()
    result = Rebuilder(root, tmp_path / "preview").rebuild()
    assert [line[:50] for line in result.errors] == [
        "growthlog.toml:2: theme: expected the name of a th"]
