"""page_reads.py: what a page reads of each entry is noted wherever a template can see an
entry; a page is reused only when what it read is unchanged; templates render the same."""

from __future__ import annotations

import dataclasses
from typing import Any

import jinja2
import pytest

from generator.fragments import FragmentCache
from generator.model import Entry, Tag
from generator.page_reads import EVERYTHING, ReadingEnvironment, same_view
from generator.pipeline import load_log
from generator.urls import Urls

from conftest import entry, make_log


@pytest.fixture
def entries(tmp_path: Any) -> tuple[Entry, ...]:
    root = make_log(tmp_path / "log", {
        f"content/e{n}.md": entry(f"Role {n}", f"2025-01-0{n + 1}", body=f"Body {n}.",
                                  company="Acme", tags="[sql]") for n in range(3)})
    return load_log(root).site.entries


def _env(kind: type[jinja2.Environment], templates: dict[str, str]) -> jinja2.Environment:
    env = kind(loader=jinja2.DictLoader(templates), autoescape=True,
               extensions=[FragmentCache], undefined=jinja2.StrictUndefined)
    env.globals["url"] = Urls("/").href
    if isinstance(env, ReadingEnvironment):
        env.watch_filters()
        env.fragment_store.noting = True  # type: ignore[attr-defined]
    return env


def _reads(env: jinja2.Environment, name: str, **context: Any) -> tuple[str, frozenset[str]]:
    store = env.fragment_store  # type: ignore[attr-defined]
    store.begin_page()
    html = env.get_template(name).render(**context)
    store.end_page(name)
    return html, store.page_reads[name]


FILTERS = ("{{ e.title|upper }} {{ e.title|truncate(5) }} {{ e.title|replace('R', 'r') }} "
           "{{ e.tags|map(attribute='name')|list|join(', ') }} "
           "{{ es|map(attribute='title')|list }} "
           "{{ es|sort(attribute='date')|first|attr('slug') }} {{ e.title|wordcount }} "
           "{{ '%s-%s'|format(e.slug, e.date) }} {{ e.title|urlencode }} "
           "{{ {'a': e.title}|tojson }} {{ es|selectattr('company')|list|length }} "
           "{{ es|groupby('company')|list|length }} {{ e.date|string }} {{ 3.14159|round(2) }}")


def test_templates_render_the_same_while_their_reads_are_noted(
        entries: tuple[Entry, ...]) -> None:
    plain = _env(jinja2.Environment, {"t.html": FILTERS})
    noting = _env(ReadingEnvironment, {"t.html": FILTERS})
    html, reads = _reads(noting, "t.html", e=entries[0], es=entries)
    assert html == plain.get_template("t.html").render(e=entries[0], es=entries)
    assert {"title", "tags", "date", "slug", "company"} <= reads
    assert EVERYTHING not in reads


@pytest.mark.parametrize(("template", "read"), [
    ("{{ e.title }}", {"title"}),
    ("{{ e['company'] }}", {"company"}),
    ("{{ url(e) }}", {"slug"}),
    ("{% for t in e.tags %}{{ t.name }}{% endfor %}", {"tags"}),
    ("{{ es|map(attribute='summary')|list|join }}", {"summary"}),
    ("{{ e|string }}", {EVERYTHING}),
    ("{{ es|join(', ') }}", {EVERYTHING}),
    ("{{ es|batch(2)|list|join }}", {EVERYTHING}),  # lists in a list
    ("{{ es|map(attribute='summary')|join }}", {"summary", EVERYTHING}),  # a generator
    ("{{ site|string }}", {EVERYTHING}),  # a model object holding entries
    ("{{ e.open_actions|length }}", {"open_actions"}),
    ("{{ ns.f(e) }}", {EVERYTHING}),
])
def test_each_way_a_template_sees_an_entry_is_noted(
        entries: tuple[Entry, ...], template: str, read: set[str]) -> None:
    env = _env(ReadingEnvironment, {"t.html": template})
    _, reads = _reads(env, "t.html", e=entries[0], es=entries, site=Tag("a", "A", entries),
                      ns=type("NS", (), {"f": staticmethod(lambda x: x.body_html)}))
    assert reads == read


def test_a_reused_fragment_brings_what_it_read(entries: tuple[Entry, ...]) -> None:
    env = _env(ReadingEnvironment, {
        "a.html": "{% cache e %}{{ e.summary }}{% endcache %}",
        "b.html": "{{ e.title }}{% cache e %}{{ e.summary }}{% endcache %}"})
    _, first = _reads(env, "a.html", e=entries[0])
    _, second = _reads(env, "b.html", e=entries[0])  # the fragment comes from a.html
    assert first == {"summary"} and second == {"title", "summary"}


def test_plans_are_the_same_view_only_when_what_was_read_is_equal(
        entries: tuple[Entry, ...]) -> None:
    one = entries[1]
    edited = dataclasses.replace(one, body_html="<p>New.</p>", body_text="New.")
    old = {"rows": entries, "count": 3}
    new = {"rows": (entries[0], edited, entries[2]), "count": 3}
    assert same_view(old, new, frozenset({"title", "date"}))
    assert not same_view(old, new, frozenset({"title", "body_html"}))
    assert not same_view(old, {**new, "count": 4}, frozenset({"title"}))
    renamed = dataclasses.replace(one, source="elsewhere.md")
    assert not same_view(old, {**new, "rows": (entries[0], renamed, entries[2])},
                         frozenset({"title"}))
    assert not same_view(old, {**new, "rows": entries[:2]}, frozenset({"title"}))
