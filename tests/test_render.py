"""render.py: every page planned with its data, rendered through the theme; nothing on disk."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from insight_log import FILES

from generator.build import build
from generator.config import SiteConfig
from generator.entries import parse_entry
from generator.errors import ProblemsFound
from generator.markup import LinkContext
from generator.model import Entry, Site
from generator.render import RenderCache, plan_pages, render_site
from generator.site import build_site
from generator.sources import split_source
from generator.theme import load_theme
from generator.urls import Urls

from conftest import make_log


def _entry(title: str, date: str, extra: str = "", body: str = "Body.") -> Entry:
    source, _ = split_source(f"content/{date}.md",
                             f"---\ntitle: {title!r}\ndate: {date}\n{extra}---\n{body}\n")
    assert source is not None
    entry, problems = parse_entry(source, SiteConfig(), LinkContext("", frozenset()))
    assert entry is not None, problems
    return entry


def _site() -> Site:
    return build_site([
        _entry("Data Engineer at Acme", "2026-03-14", "tags: [SQL, System Design]\n"
               "lessons: [Say I]\nactions: [Mock interview]\nstage: final\n"),
        _entry("Analyst at Beta", "2025-11-02", "tags: [sql]\n")], SiteConfig())


def test_plan_has_every_page_kind_at_its_pretty_path() -> None:
    paths = {(p.info.kind, p.info.path) for p in plan_pages(_site(), SiteConfig())}
    assert {("home", ""), ("timeline", "timeline/"), ("tags", "tags/"),
            ("lessons", "lessons/"), ("actions", "actions/"), ("404", "404.html"),
            ("entry", "entries/data-engineer-at-acme/"), ("entry", "entries/analyst-at-beta/"),
            ("tag", "tags/sql/"), ("tag", "tags/system-design/")} <= paths


def test_entry_pages_link_newer_and_older() -> None:
    plans = {p.info.path: p for p in plan_pages(_site(), SiteConfig())}
    newest = plans["entries/data-engineer-at-acme/"].context
    assert newest["newer"] is None
    assert newest["older"] == ("Analyst at Beta", "entries/analyst-at-beta/")


def test_render_site_gives_one_file_per_page(tmp_path: Path) -> None:
    site, config = _site(), SiteConfig()
    plans = plan_pages(site, config)
    files = render_site(plans, load_theme(tmp_path, config), Urls("/"), config)
    paths = [f.path for f in files]
    assert len(paths) == len(set(paths)) == len(plans)
    assert {"index.html", "404.html", "tags/index.html", "tags/sql/index.html",
            "entries/analyst-at-beta/index.html", "timeline/index.html",
            "lessons/index.html", "actions/index.html"} <= set(paths)
    pages = {f.path: f.data.decode() for f in files}
    assert "Data Engineer at Acme" in pages["entries/data-engineer-at-acme/index.html"]
    assert "Say I" in pages["lessons/index.html"]
    assert "Mock interview" in pages["actions/index.html"]
    tag_page = pages["tags/sql/index.html"]
    assert "Data Engineer at Acme" in tag_page and "Analyst at Beta" in tag_page


def test_titles_and_bodies_are_escaped(tmp_path: Path) -> None:
    config = SiteConfig()
    site = build_site([_entry("<script>alert(1)</script>", "2026-01-01", "tags: ['<b>x</b>']\n",
                              body="<script>alert(2)</script>")], config)
    files = render_site(plan_pages(site, config), load_theme(tmp_path, config), Urls(), config)
    everything = b"".join(f.data for f in files).decode()
    assert "<script>alert" not in everything
    assert "<b>x</b>" not in everything
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in everything


def test_unchanged_pages_are_reused_from_the_cache(tmp_path: Path) -> None:
    config = SiteConfig()
    theme = load_theme(tmp_path, config)
    cache = RenderCache()
    plans = plan_pages(_site(), config)
    first = render_site(plans, theme, Urls(), config, cache)
    assert cache.rendered == len(plans)
    second = render_site(plan_pages(_site(), config), theme, Urls(), config, cache)
    assert cache.rendered == 0
    assert first == second
    render_site(plans, theme, Urls("/other/"), config, cache)
    assert cache.rendered == len(plans)


def _render_with(tmp_path: Path, templates: dict[str, str]) -> list[str]:
    root = make_log(tmp_path / "log", {f"themes/default/templates/{name}": text
                                       for name, text in templates.items()})
    config = SiteConfig()
    with pytest.raises(ProblemsFound) as info:
        render_site(plan_pages(_site(), config), load_theme(root, config), Urls(), config)
    return [p.format() for p in info.value.problems]


def test_missing_variable_names_the_template_file_and_line(tmp_path: Path) -> None:
    assert _render_with(tmp_path, {"tags.html": '{% extends "base.html" %}\n'
                                   "{% block content %}\n{{ tag_list }}\n{% endblock %}\n"}) == [
        "themes/default/templates/tags.html:3: template error: 'tag_list' is undefined "
        "(rendering tags page 'Tags')"]


def test_missing_attribute_is_reported_for_every_page_using_it(tmp_path: Path) -> None:
    assert _render_with(tmp_path, {"tag.html": "x\n{{ tag.colour }}\n"}) == [
        "themes/default/templates/tag.html:2: template error: 'generator.model.Tag object' "
        "has no attribute 'colour' (rendering tag page 'Tag: SQL')",
        "themes/default/templates/tag.html:2: template error: 'generator.model.Tag object' "
        "has no attribute 'colour' (rendering tag page 'Tag: System Design')"]


def test_template_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    assert _render_with(tmp_path, {"lessons.html": "ok\n{% if %}\n"}) == [
        "themes/default/templates/lessons.html:2: template syntax error: Expected an "
        "expression, got 'end of statement block' (rendering lessons page 'Lessons')"]


def test_an_error_raised_inside_a_template_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    assert _render_with(tmp_path, {"404.html": "{{ 1 // 0 }}"}) == [
        "themes/default/templates/404.html:1: template error: integer division or modulo by "
        "zero (rendering 404 page 'Page not found')"]


def test_a_missing_included_template_names_the_including_file(tmp_path: Path) -> None:
    assert _render_with(tmp_path, {"404.html": "\n{% include 'card.html' %}"}) == [
        "themes/default/templates/404.html:2: template 'card.html' not found in the theme "
        "(rendering 404 page 'Page not found')"]


def test_the_five_practices_have_one_name_each_on_every_page(tmp_path: Path) -> None:
    from generator.model import PRACTICES  # here: on older code only this test fails

    root = make_log(tmp_path / "log", dict(FILES))
    build(root)
    out = root / "output"
    names = [p.name for p in PRACTICES]
    assert names == ["Feedback", "Support", "Post-mortem", "Thank-you", "Next steps"]
    entry_page = (out / "entries/data-engineer-at-acme/index.html").read_text(encoding="utf-8")
    headings = re.findall(r'<h3 id="p-[a-z]+">.*?</span> (.*?)</h3>', entry_page)
    assert headings == names
    home = (out / "index.html").read_text(encoding="utf-8")
    done = re.findall(r'<li class="done">.*?</span> (.*?)<span class="visually-hidden"> '
                      r'(\w+)</span>', home)
    assert done and all(f"{name} {state}" in [p.label for p in PRACTICES]
                        for name, state in done)
    progress = (out / "progress/index.html").read_text(encoding="utf-8")
    table = progress.split('id="chart-practices"')[1]
    for practice in PRACTICES:
        assert f"<th scope=\"col\">{practice.label}</th>" in table, practice.label
    assert "Feedback received" not in progress
    lessons = (out / "lessons/index.html").read_text(encoding="utf-8")
    assert ">Theme<" not in lessons
