"""theme.py: finding the theme, overriding single templates, strict and escaping Jinja."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jinja2
import pytest

from generator.config import SiteConfig
from generator.errors import ProblemsFound
from generator.theme import (
    format_long_date,
    format_short_date,
    load_theme,
    packaged_themes_dir,
    theme_dirs,
)

from conftest import make_log


def test_packaged_default_theme_has_every_page_template() -> None:
    templates = packaged_themes_dir() / "default" / "templates"
    for name in ("base", "index", "entry", "tags", "tag", "timeline", "lessons", "actions",
                 "404"):
        assert (templates / f"{name}.html").is_file(), name


def test_default_theme_without_overrides(tmp_path: Path) -> None:
    theme = load_theme(tmp_path, SiteConfig())
    assert theme.template_dirs == (packaged_themes_dir() / "default" / "templates",)
    assert theme.environment().get_template("entry.html").filename == str(
        packaged_themes_dir() / "default" / "templates" / "entry.html")


def test_a_single_template_can_be_overridden(tmp_path: Path) -> None:
    root = make_log(tmp_path, {"themes/default/templates/404.html": "Mine {{ page }}"})
    theme = load_theme(root, SiteConfig())
    assert theme.environment().get_template("404.html").render(page="x") == "Mine x"
    assert theme.environment().get_template("tags.html").filename == str(
        packaged_themes_dir() / "default" / "templates" / "tags.html")


def test_an_override_can_extend_the_template_it_replaces(tmp_path: Path) -> None:
    root = make_log(tmp_path, {"themes/default/templates/base.html":
                               '{% extends "default/base.html" %}'
                               '{% block content %}[[mine]]{% endblock %}'})
    env = load_theme(root, SiteConfig()).environment()
    env.globals.update(url=lambda p: "/" + p, config=SiteConfig(), nav=(), stages=())
    html = env.get_template("base.html").render(page={"kind": "x", "title": "T", "path": "x"})
    assert "[[mine]]" in html
    assert "<!doctype html>" in html.lower()


def test_theme_option_picks_a_theme_folder_of_the_log(tmp_path: Path) -> None:
    root = make_log(tmp_path, {"themes/calm/templates/404.html": "calm",
                               "themes/calm/static/extra.css": "x",
                               "themes/default/templates/404.html": "not used"})
    config = SiteConfig(theme="calm")
    theme = load_theme(root, config)
    assert theme.environment().get_template("404.html").render() == "calm"
    assert theme_dirs(root, config) == [root / "themes" / "calm",
                                        packaged_themes_dir() / "default"]
    assert theme.static_dirs[0] == root / "themes" / "calm" / "static"


def test_a_missing_theme_is_a_config_problem(tmp_path: Path) -> None:
    root = make_log(tmp_path, {}, config='title = "Log"\ntheme = "calm"\n')
    with pytest.raises(ProblemsFound) as info:
        load_theme(root, SiteConfig(theme="calm"))
    assert [p.format() for p in info.value.problems] == [
        "growthlog.toml:2: theme: no theme 'calm'; expected a folder themes/calm/templates in "
        "the log, or a shipped theme (default)"]


def test_undefined_variables_are_errors(tmp_path: Path) -> None:
    root = make_log(tmp_path, {"themes/default/templates/404.html": "{{ nope }}"})
    with pytest.raises(jinja2.UndefinedError):
        load_theme(root, SiteConfig()).environment().get_template("404.html").render()


def test_autoescaping_is_on(tmp_path: Path) -> None:
    root = make_log(tmp_path, {"themes/default/templates/404.html": "{{ title }}"})
    html = load_theme(root, SiteConfig()).environment().get_template("404.html").render(
        title="<script>x</script>")
    assert html == "&lt;script&gt;x&lt;/script&gt;"


def test_date_filters() -> None:
    assert format_long_date(dt.date(2026, 3, 4)) == "4 March 2026"
    assert format_short_date(dt.date(2026, 3, 14)) == "14 Mar 2026"


def test_a_build_looks_at_each_template_file_once_not_once_a_page(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Jinja's auto_reload looked at a template's file again each time a page used it
    (three looks a page: its template, the base, the macros); a theme file changed makes
    a new Theme instead (serve's watcher, the theme's hash in the build cache)."""
    import os

    from generator.build import build

    from conftest import entry

    root = make_log(tmp_path / "log", {f"content/e{i}.md": entry(f"Entry {i}", tags="[a, b]")
                                       for i in range(30)})
    looked: list[str] = []
    getmtime = os.path.getmtime

    def noted(path: str) -> float:
        looked.append(str(path))
        return getmtime(path)

    monkeypatch.setattr(os.path, "getmtime", noted)
    report = build(root, output=tmp_path / "out")
    templates = [path for path in looked if path.endswith(".html")]
    assert report.rendered > 30
    assert len(templates) <= 2 * len(set(templates)) < 60
