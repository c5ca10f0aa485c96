"""Notes written for other tools (Jekyll, Hugo, Obsidian) build as entries as they stand."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from generator import keys
from generator.build import build
from generator.build_cache import BuildCache
from generator.config import SiteConfig
from generator.entries import parse_entry
from generator.errors import ProblemsFound
from generator.markup import LinkContext
from generator.model import Entry
from generator.pipeline import load_log
from generator.redirects import old_address
from generator.sources import is_entry_name, split_source

from conftest import entry, make_log, read_tree

PASSWORD = "orbit lantern quiet maple fennel harbor"


def _entries(root: Path) -> dict[str, Entry]:
    log = load_log(root, drafts=True)
    assert [p.format() for p in log.problems if p.is_error] == []
    return {e.source: e for e in log.site.entries}


def _one(path: str, text: str) -> tuple[Entry | None, list[str]]:
    source, problems = split_source(path, text)
    assert source is not None, problems
    found, more = parse_entry(source, SiteConfig(), LinkContext("", frozenset()))
    return found, [p.format() for p in problems + more]


@pytest.mark.parametrize("name", ["post.markdown", "post.mdown", "post.mkd", "POST.MD",
                                  "post.Markdown"])
def test_every_markdown_extension_is_an_entry_and_never_published_raw(
        tmp_path: Path, name: str) -> None:
    root = make_log(tmp_path / "log", {f"content/{name}": entry("Analyst at Beta",
                                                                draft="true")})
    report = build(root)
    assert report.entries == 0  # a draft: left out, and its source is not published either
    assert not [p for p in read_tree(root / "output") if "post" in p.lower()]
    build(root, drafts=True)
    assert (root / "output/entries/analyst-at-beta/index.html").is_file()
    assert not [p for p in read_tree(root / "output") if p.startswith("media/")]


def test_a_non_markdown_file_that_holds_front_matter_is_not_published(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {
        "content/a.md": entry(),
        "content/about.html": "---\nlayout: page\ntitle: Secret\n---\n<p>Secret</p>\n",
        "content/notes.txt": "+++\ntitle = 'Secret'\n+++\nSecret\n",
        "content/plain.txt": "--- not front matter\nhello\n",
        "content/data.yml": "---\na: 1\n---\nb: 2\n",
    })
    report = build(root)
    published = read_tree(root / "output")
    assert "media/plain.txt" in published and "media/data.yml" in published
    assert not [p for p in published if "about" in p or "notes" in p]
    assert [p.format() for p in report.warnings] == [
        f"content/{name}:1: warning: starts with front matter but is not a Markdown file "
        "(.md, .markdown, .mdown, .mkd), so it is not published; rename it to .md to make it "
        "an entry" for name in ("about.html", "notes.txt")]


def test_the_watcher_and_the_build_agree_on_what_an_entry_is(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    cache = BuildCache()
    build(root, cache=cache)
    saved = root / "content/2016-03-10-news.markdown"
    saved.write_text("---\ntitle: News\n---\nBody.\n", encoding="utf-8")
    assert cache.listing_after([saved], root / "content"), "a saved .markdown is an entry save"
    assert build(root, cache=cache, seen=[saved]).entries == 2
    assert all(is_entry_name(n) for n in ("a.md", "b.markdown", "c.mdown", "d.mkd"))
    assert not any(is_entry_name(n) for n in ("a.txt", "md", "a.md.bak", "a.markdownx"))


def test_date_and_title_come_from_the_file_name_when_front_matter_has_none(
        tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {
        "content/_posts/2016-03-10-making-it-easier.markdown": "---\nlayout: post\n---\nHi.\n",
        "content/daily/2024-03-10 Acme call.md": "Spoke to the recruiter.\n",
        "content/2024-03-11.md": "Just the day.\n",
        "content/2024-03-12-acme.md": "\n# Onsite at Acme\n\nIt went *well*.\n",
        "content/2024-03-13-beta.md": "Intro.\n\n# Not the opening line\n\nMore.\n",
        "content/dated.md": "---\ntitle: Own title\ndate: 2020-01-02\n---\nB\n",
        "content/2024-03-14-own.md": "---\ntitle: Kept\ndate: 2020-01-02 12:00:00 -0800\n---\n",
    })
    found = {s: (e.title, e.date) for s, e in _entries(root).items()}
    assert found == {
        "_posts/2016-03-10-making-it-easier.markdown": ("Making it easier", dt.date(2016, 3, 10)),
        "daily/2024-03-10 Acme call.md": ("Acme call", dt.date(2024, 3, 10)),
        "2024-03-11.md": ("2024-03-11", dt.date(2024, 3, 11)),
        "2024-03-12-acme.md": ("Onsite at Acme", dt.date(2024, 3, 12)),
        "2024-03-13-beta.md": ("Not the opening line", dt.date(2024, 3, 13)),
        "dated.md": ("Own title", dt.date(2020, 1, 2)),
        "2024-03-14-own.md": ("Kept", dt.date(2020, 1, 2)),
    }
    bodies = {s: e.body_html for s, e in _entries(root).items()}
    assert bodies["2024-03-12-acme.md"] == "<p>It went <em>well</em>.</p>\n"  # not twice
    assert "Not the opening line</h1>" in bodies["2024-03-13-beta.md"]


def test_a_heading_inside_a_code_fence_is_not_the_title() -> None:
    found, problems = _one("content/2024-01-01-x.md", "```\n# comment\n```\n\n# Real\n")
    assert problems == []
    assert found is not None and found.title == "Real"


def test_without_any_date_the_error_gives_both_ways_to_fix_it() -> None:
    assert _one("content/notes/acme.md", "# Acme\n")[1] == [
        "content/notes/acme.md:1: date: is required; start the file with front matter: a line "
        "'---', 'date: 2026-03-14', another '---', or start the file name with the date "
        "(2026-03-14-acme.md)"]
    assert _one("content/acme.markdown", "---\ntitle: Acme\n---\n")[1] == [
        "content/acme.markdown:1: date: is required; add a line 'date: 2026-03-14' to the "
        "front matter, or start the file name with the date (2026-03-14-acme.markdown)"]


def test_an_impossible_date_in_the_file_name_is_one_clear_error() -> None:
    assert _one("content/2016-02-30-leap.md", "Text.\n")[1] == [
        "content/2016-02-30-leap.md:1: date: the file name starts with 2016-02-30, which is not "
        "a date; start it with the day as YYYY-MM-DD (2026-03-14-leap.md), or add a line "
        "'date: 2026-03-14' to the front matter"]


def test_a_broken_entry_of_another_extension_stops_the_build(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.mkd": "---\ntitle: A\ndate: soon\n---\n"})
    with pytest.raises(ProblemsFound) as caught:
        build(root)
    assert [p.format() for p in caught.value.problems] == [
        "content/a.mkd:3: date: expected a date like 2026-03-14; found 'soon'"]


SOURCES = Path(__file__).parent / "fixtures" / "sources"


def _copy_into_content(tmp_path: Path, source: str, config: str | None = None) -> Path:
    root = make_log(tmp_path / "log", {}, config)
    shutil.copytree(SOURCES / source, root / "content")
    return root


def test_jekyll_posts_build_as_they_stand(tmp_path: Path) -> None:
    root = _copy_into_content(tmp_path, "jekyll")
    report = build(root)
    # about.html holds front matter: withheld; Liquid growthlog does not read is named
    assert sorted(p.format() for p in report.warnings) == [
        "content/_posts/2013-05-06-onsite-at-acme-rejected.markdown:19: warning: "
        "{% link _docs/debrief.md %} is Liquid, which growthlog does not run; it is shown "
        "as written",
        "content/_posts/2014-06-04-screen-with-beta.markdown:10: warning: {{ page.title }} is "
        "Liquid, which growthlog does not run; it is shown as written",
        "content/_posts/2016-03-10-making-it-easier.md:16: warning: {% include note.html "
        'content="Prepared, still a no." %} is Liquid, which growthlog does not run; it is '
        "shown as written",
        "content/about.html:1: warning: starts with front matter but is not a Markdown file "
        "(.md, .markdown, .mdown, .mkd), so it is not published; rename it to .md to make it "
        "an entry"]
    entries = _entries(root)
    assert report.entries == 3  # `published: false` is a draft
    assert entries["_posts/2016-04-01-unsent-draft.markdown"].draft
    acme = entries["_posts/2013-05-06-onsite-at-acme-rejected.markdown"]
    assert (acme.title, acme.date) == ("Onsite at Acme: rejected", dt.date(2013, 5, 6))
    assert [t.name for t in acme.tags] == ["rejection"]
    assert acme.extra == {"layout": "news_item", "author": "parkr", "version": "1.0.0",
                          "categories": ["rejection"]}  # as written, for templates
    beta = entries["_posts/2014-06-04-screen-with-beta.markdown"]
    assert beta.date == dt.date(2014, 6, 4)
    assert [t.name for t in beta.tags] == ["interview", "screening"]
    assert beta.summary == "Twenty minutes, friendly, and a no two days later."
    easier = entries["_posts/2016-03-10-making-it-easier.md"]
    assert easier.date == dt.date(2016, 3, 10)
    assert [t.name for t in easier.tags] == ["habits", "reflection"]
    assert easier.summary == "What I keep doing that works."
    # the old address sends readers on to the entry's page
    moved = (root / "output/news/2014/beta-screen/index.html").read_text(encoding="utf-8")
    assert 'http-equiv="refresh" content="0; url=/entries/phone-screen-with-beta/"' in moved
    assert (root / "output/entries/phone-screen-with-beta/index.html").is_file()
    # Liquid is read, never run
    page = (root / "output/entries/onsite-at-acme-rejected/index.html").read_text("utf-8")
    assert '<pre><code class="language-ruby">def trade_offs' in page
    assert "{%" not in page.split("{% link")[0] and '<a href="/docs/debrief/">' in page


def test_old_addresses_are_not_published_in_private_mode(tmp_path: Path) -> None:
    root = _copy_into_content(tmp_path, "jekyll")
    keys.init_keyfile(root, PASSWORD)
    build(root, private=True, password=PASSWORD)
    names = list(read_tree(root / "output"))
    assert not [n for n in names if "news" in n or "beta" in n]


@pytest.mark.parametrize(("address", "logical"), [
    ("/news/2014/beta-screen/", "news/2014/beta-screen/"),
    ("/news/2014/beta-screen", "news/2014/beta-screen/"),
    ("/2016/03/10/making-it-easier.html", "2016/03/10/making-it-easier.html"),
    ("https://old.example/blog/acme/?ref=x#top", "blog/acme/"),
    ("/blog/caf%C3%A9/", "blog/café/"),
    ("/:categories/:year/:title/", None),
    ("/", None),
    ("/../../etc/", None),
    ("mailto:me@example.com", None),
])
def test_old_address_becomes_a_path_inside_the_site(address: str, logical: str | None) -> None:
    assert old_address(address)[0] == logical


def test_an_old_address_that_cannot_be_kept_is_a_warning_with_its_line() -> None:
    found, problems = _one("content/2020-01-01-a.md",
                           "---\ntitle: A\naliases:\n  - /old/a/\n  - /../x/\n---\n")
    assert found is not None and found.old_addresses == ("old/a/",)
    assert problems == ["content/2020-01-01-a.md:5: warning: aliases[1]: '/../x/' cannot be "
                        "kept as an old address: it leaves the site"]


def test_other_tools_keys_are_quiet_but_near_misses_still_get_did_you_mean() -> None:
    found, problems = _one("content/2020-01-01-a.md",
                           "---\ntitle: A\nlayout: post\nauthor: Me\nmood: tired\n"
                           "categores: [x]\ndescripton: Hi\nlesons: [One]\n---\n")
    assert problems == [
        "content/2020-01-01-a.md:6: warning: unknown key 'categores'; did you mean "
        "'categories'?",
        "content/2020-01-01-a.md:7: warning: unknown key 'descripton'; did you mean "
        "'description'?",
        "content/2020-01-01-a.md:8: warning: unknown key 'lesons'; did you mean 'lessons'?"]
    assert found is not None
    assert found.extra["mood"] == "tired" and found.extra["author"] == "Me"


def test_mapped_keys_report_problems_on_their_own_lines() -> None:
    assert _one("content/2020-01-01-a.md",
                "---\ntitle: A\ncategories: {a: 1}\npublished: maybe\n---\n")[1] == [
        "content/2020-01-01-a.md:3: categories: expected a list, or words separated by "
        "spaces; found 'key: value' lines",
        "content/2020-01-01-a.md:4: published: expected true or false; found 'maybe'"]
    assert _one("content/a.md", "---\ntitle: A\ncreated: soon\n---\n")[1] == [
        "content/a.md:3: date: expected a date like 2026-03-14; found 'soon'"]
    assert _one("content/2020-01-01-a.md",
                "---\ntitle: A\ntags: [a]\ncategories:\n  - b\n  - ''\n---\n")[1] == [
        "content/2020-01-01-a.md:6: tags[2]: expected some text; found ''"]


def test_hugo_posts_with_toml_json_and_yaml_build_as_they_stand(tmp_path: Path) -> None:
    root = _copy_into_content(tmp_path, "hugo")
    report = build(root)
    assert report.warnings == ()
    entries = _entries(root)
    acme = entries["posts/acme-onsite.md"]
    assert (acme.title, acme.date, acme.slug) == ("Onsite at Acme", dt.date(2024, 3, 14),
                                                  "acme-onsite")
    assert [t.name for t in acme.tags] == ["system-design", "nerves", "interviews"]
    assert acme.summary == "Four rounds, one no."
    assert acme.feedback is not None and acme.feedback.asked
    assert [s.who for s in acme.support] == ["Sam (mentor)"]
    beta = entries["posts/2024-04-02-beta-screen.md"]
    assert beta.date == dt.date(2024, 4, 2)
    assert beta.bridges is not None and beta.bridges.keep_in_touch
    assert beta.lessons == ("Ask about the team before the role",)
    assert beta.body_html.startswith("<p>Short call.")
    gamma = entries["posts/gamma-take-home.md"]
    assert [t.name for t in gamma.tags] == ["take-home"]
    moved = (root / "output/posts/acme/index.html").read_text(encoding="utf-8")
    assert 'url=/entries/acme-onsite/"' in moved


def test_toml_front_matter_maps_every_key_and_item_to_its_line() -> None:
    source, problems = split_source("content/x.md", (SOURCES / "hugo/posts/acme-onsite.md")
                                    .read_text(encoding="utf-8"))
    assert problems == [] and source is not None and source.syntax == "toml"
    assert source.lines[("title",)] == 2
    assert source.lines[("tags", 1)] == 5
    assert source.lines[("feedback",)] == 13
    assert source.lines[("feedback", "received")] == 15
    assert source.lines[("support", 0, "took_away")] == 19
    assert source.body_line == 21


def test_json_front_matter_maps_every_key_and_item_to_its_line() -> None:
    source, problems = split_source("content/x.md", (SOURCES / "hugo/posts/"
                                    "2024-04-02-beta-screen.md").read_text(encoding="utf-8"))
    assert problems == [] and source is not None and source.syntax == "json"
    assert source.lines[("tags", 0)] == 3
    assert source.lines[("lessons", 0)] == 5
    assert source.lines[("bridges", "keep_in_touch")] == 7
    assert source.body_line == 10


@pytest.mark.parametrize(("text", "expected"), [
    ('+++\ntitle = "A"\ndate = 2024-01-01\nstage = 3\n+++\n',
     "content/x.md:4: stage: expected text; found 3"),
    ('+++\ntitle = "A"\ndate = 2024-01-01\n\n[feedback]\nasked = "maybe"\n+++\n',
     "content/x.md:6: feedback.asked: expected true or false; found 'maybe'"),
    ('+++\ntitle = "A"\ndate = 2024-01-01\ntags = [\n  "a",\n  3,\n]\n+++\n',
     "content/x.md:6: tags[1]: expected text; found 3"),
    ('+++\ntitle = "A"\nnotes = """\nstage = 3\n"""\ndate = "x"\n+++\n',
     "content/x.md:6: date: expected a date like 2026-03-14; found 'x'"),
    ('+++\ntitle = "A"\ndate = 2024-01-01\n[[actions]]\ntext = "a"\n[[actions]]\ndone = 1\n+++\n',
     "content/x.md:6: actions[1].text: is required; add a line 'text = \"Update resume summary\"'"),
    ('+++\ntitle = "A"\ndate = 2024-01-01\ntitle = "B"\n+++\n',
     "content/x.md:4: front matter is not valid TOML: cannot overwrite a value"),
    ('+++\ntitle = "A"\ndate = 2024-01-01\ncompany = Acme\n+++\n',
     "content/x.md:4: front matter is not valid TOML: invalid value"),
    ('+++\ntitle = "A"\n',
     "content/x.md:1: front matter is not closed; add a line '+++' after the last "
     "front-matter key"),
    ('+++\ntitle = "A"\n+++\n',
     "content/x.md:1: date: is required; add a line 'date = 2026-03-14' to the front matter, "
     "or start the file name with the date (2026-03-14-x.md)"),
    ('{\n  "title": "A",\n  "date": "2024-01-01",\n}\nBody\n',
     "content/x.md:4: front matter is not valid JSON: expecting property name enclosed in "
     "double quotes"),
    ('{\n  "title": "A"\n  "date": "2024-01-01"\n}\n',
     "content/x.md:3: front matter is not valid JSON: expecting ',' delimiter"),
    ('{\n  "title": "A",\n  "date": "2024-01-01",\n  "feedback": {\n    "asked": "maybe"\n'
     '  }\n}\n', "content/x.md:5: feedback.asked: expected true or false; found 'maybe'"),
    ('{\n  "title": "A",\n  "date": "2024-01-01",\n  "tags": ["a",\n    5]\n}\n',
     "content/x.md:5: tags[1]: expected text; found 5"),
    ('{"title": "A"}\n',
     "content/x.md:1: date: is required; add a line '\"date\": \"2026-03-14\"' to the front "
     "matter, or start the file name with the date (2026-03-14-x.md)"),
], ids=["toml-type", "toml-table", "toml-array-item", "toml-multiline-string",
        "toml-array-of-tables", "toml-twice", "toml-syntax", "toml-unclosed", "toml-no-date",
        "json-trailing-comma", "json-comma", "json-nested", "json-item", "json-no-date"])
def test_toml_and_json_problems_name_the_exact_line(text: str, expected: str) -> None:
    source, problems = split_source("content/x.md", text)
    found = [p.format() for p in problems]
    if source is not None:
        found += _one("content/x.md", text)[1]
    assert found == [expected]


def test_a_body_that_opens_with_braces_is_not_json() -> None:
    found, problems = _one("content/2024-01-01-x.md", "{{ liquid }} and {braces}\n")
    assert problems == [] and found is not None
    assert found.body_html == "<p>{{ liquid }} and {braces}</p>\n"


FIELDS = """
[[fields]]
name = "mood"
type = "choice"
choices = ["calm", "tired", "hopeful"]

[[fields]]
name = "salary_range"
label = "Salary range"

[[fields]]
name = "recruiter"
type = "text"
label = "Recruiter"

[[fields]]
name = "offers_seen"
type = "number"
"""


def test_declared_fields_are_validated_shown_and_given_to_templates(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {
        "content/a.md": entry(mood="hopeful", salary_range="'80-95k'", recruiter="Dana Lee",
                              offers_seen="2", vibe="good"),
        "themes/default/templates/entry.html":
            '{% extends "default/entry.html" %}{% block content %}{{ super() }}'
            '<p id="t">{{ entry.extra.vibe }}/{{ entry.extra.mood }}/'
            '{{ entry.fields|map(attribute="name")|join(",") }}</p>{% endblock %}',
    }, FIELDS)
    report = build(root)
    assert report.warnings == ()
    page = (root / "output/entries/data-engineer-at-acme/index.html").read_text("utf-8")
    for label, shown in (("Mood", "hopeful"), ("Salary range", "80-95k"),
                         ("Recruiter", "Dana Lee"), ("Offers seen", "2")):
        assert f"<div><dt>{label}</dt><dd>{shown}</dd></div>" in page
    assert '<p id="t">good/hopeful/mood,salary_range,recruiter,offers_seen</p>' in page


def test_declared_fields_get_errors_and_did_you_mean_like_built_in_ones(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {
        "content/a.md": entry(mood="grumpy", offers_seen="many", recruter="Dana"),
    }, FIELDS)
    with pytest.raises(ProblemsFound) as caught:
        build(root)
    assert [p.format() for p in caught.value.problems] == [
        "content/a.md:4: mood: expected one of calm, tired, hopeful; found 'grumpy'",
        "content/a.md:5: offers_seen: expected a number; found 'many'",
        "content/a.md:6: warning: unknown key 'recruter'; did you mean 'recruiter'?"]


def test_bad_field_declarations_are_config_errors(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()}, """
        title = "Log"
        [[fields]]
        name = "tags"
        [[fields]]
        name = "mood"
        type = "colour"
        [[fields]]
        name = "level"
        type = "choice"
        [[fields]]
        nme = "x"
        """)
    with pytest.raises(ProblemsFound) as caught:
        build(root)
    assert [p.format() for p in caught.value.problems] == [
        "growthlog.toml:3: fields[0]: name: 'tags' is a built-in field; choose another name",
        "growthlog.toml:5: fields[1]: type: expected one of text, number, date, true/false, "
        "list, choice; found 'colour'",
        "growthlog.toml:8: fields[2]: choices: a choice field needs a list of text; found []",
        "growthlog.toml:11: fields[3]: name: expected a front-matter key such as 'mood'; "
        "found None",
        "growthlog.toml:11: fields[3]: unknown key 'nme'; did you mean 'name'?"]


def test_declared_fields_are_in_the_json_schema(tmp_path: Path) -> None:
    from generator.config import load_config
    from generator.schema import entry_json_schema
    root = make_log(tmp_path / "log", {}, FIELDS)
    properties = entry_json_schema(load_config(root)[0])["properties"]
    assert properties["mood"] == {"description": "Mood", "enum": ["calm", "tired", "hopeful"]}
    assert properties["offers_seen"] == {"description": "Offers seen", "type": "number"}


def test_an_obsidian_vault_links_embeds_callouts_and_inline_tags(tmp_path: Path) -> None:
    root = _copy_into_content(tmp_path, "obsidian")
    report = build(root)
    assert [p.format() for p in report.warnings] == [
        "content/Jobs/2024-03-10 Acme onsite.md:12: warning: links to 'Gamma take-home', which "
        "is not an entry in content/; it is shown as plain text"]
    entries = _entries(root)
    acme = entries["Jobs/2024-03-10 Acme onsite.md"]
    assert (acme.company, acme.role, acme.title) == ("Acme", "Data Engineer", "Acme onsite")
    assert [t.name for t in acme.tags] == ["interview", "system-design"]
    page = (root / "output/entries/acme-onsite/index.html").read_text("utf-8")
    assert '<a href="/entries/screen-with-beta/">the Beta call</a>' in page
    assert '<a href="/entries/screen-with-beta/#what-went-well">' in page
    assert '<img src="/media/attachments/whiteboard.png" alt="whiteboard.png"' in page
    assert '<aside class="callout callout-question" role="note">' in page
    assert '<p class="callout-title">Why did the design round go badly?</p>' in page
    assert "Gamma take-home" in page and "growthlog-" not in page
    assert "<code>[[not a link]]</code>" in page
    beta = (root / "output/entries/screen-with-beta/index.html").read_text("utf-8")
    assert '<a href="/entries/acme-onsite/">the Acme day</a>' in beta
    assert not [p for p, data in read_tree(root / "output").items()
                if b"growthlog-wiki" in data or b"growthlog-entry" in data]


def test_entry_links_are_opaque_in_private_mode(tmp_path: Path) -> None:
    root = _copy_into_content(tmp_path, "obsidian")
    keys.init_keyfile(root, PASSWORD)
    build(root, private=True, password=PASSWORD)
    names = list(read_tree(root / "output"))
    assert not [n for n in names if "beta" in n.lower() or "acme" in n.lower()]


def test_obsidian_aliases_are_other_names_for_wikilinks_not_old_addresses(
        tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {
        "content/Jobs/2024-03-10 Acme onsite.md":
            "---\naliases: [Acme day, The big one]\nalias: Acme\n---\nFour rounds.\n",
        "content/Jobs/2024-04-01 Beta screen.md":
            "---\naliases:\n  - /old/beta/\n---\n"
            "Better than [[Acme day]], [[the BIG one|that one]] and [[Acme#Rounds]].\n",
    })
    report = build(root)
    assert report.warnings == ()
    entries = _entries(root)
    acme = entries["Jobs/2024-03-10 Acme onsite.md"]
    assert acme.names == ("Acme day", "The big one", "Acme") and acme.old_addresses == ()
    assert entries["Jobs/2024-04-01 Beta screen.md"].old_addresses == ("old/beta/",)
    page = (root / "output/entries/beta-screen/index.html").read_text("utf-8")
    assert ('<a href="/entries/acme-onsite/">Acme day</a>, '
            '<a href="/entries/acme-onsite/">that one</a> and '
            '<a href="/entries/acme-onsite/#rounds">Acme › Rounds</a>') in page
    published = read_tree(root / "output")
    assert not [p for p in published if "acme" in p.lower() and "entries/" not in p]
    assert not [p for p in published if "big" in p.lower()]
    assert "old/beta/index.html" in published  # an address is still kept


def test_hugo_relative_aliases_in_toml_stay_addresses() -> None:
    found, problems = _one("content/x.md",
                           '+++\ntitle = "A"\ndate = 2024-01-01\naliases = ["old-a"]\n+++\n')
    assert problems == [] and found is not None
    assert (found.old_addresses, found.names) == (("old-a/",), ())


def test_common_liquid_tags_are_read_and_the_rest_are_named(tmp_path: Path) -> None:
    root = _copy_into_content(tmp_path, "jekyll")
    build(root)
    page = (root / "output/entries/making-it-easier-notes-to-self/index.html").read_text(
        "utf-8")
    assert "Keep a list. {{ not liquid }}</p>" in page  # raw: as written, markers gone
    assert ('<a href="/entries/onsite-at-acme-rejected/">the Acme onsite</a>' in page)
    assert '<img src="/media/assets/board.png" alt="The board"' in page
    assert ("<code class=\"language-liquid\">{% if page.title %}{{ page.title }}"
            "{% endif %}\n</code>") in page
    assert "raw %}" not in page and "post_url" not in page and "relative_url" not in page
    assert '{% include note.html content="Prepared, still a no." %}' in page.replace(
        "&quot;", '"')


@pytest.mark.parametrize(("body", "html", "warnings"), [
    ("{% highlight python linenos %}\nx = 1\n{% endhighlight %}\n",
     '<pre><code class="language-python">x = 1\n</code></pre>\n', []),
    ("- item\n\n  {% highlight sh %}\n  ls\n  {% endhighlight %}\n",
     '<ul>\n<li>\n<p>item</p>\n<pre><code class="language-sh">ls\n</code></pre>\n</li>\n'
     "</ul>\n", []),
    ("`{% include x %}` and\n```\n{{ page.title }}\n```\n",
     "<p><code>{% include x %}</code> and</p>\n<pre><code>{{ page.title }}\n</code></pre>\n",
     []),
    ("[me]({{ site.baseurl }}/about/) {{ site.title | upcase }}\n",
     '<p><a href="/about/">me</a> {{ site.title | upcase }}</p>\n',
     ["content/2020-01-01-a.md:5: warning: {{ site.title | upcase }} is Liquid, which "
      "growthlog does not run; it is shown as written"]),
    ("Hugo: {{< figure src=x >}} {{% notice %}}hi{{% /notice %}} {{ liquid }}\n",
     "<p>Hugo: {{&lt; figure src=x &gt;}} {{% notice %}}hi{{% /notice %}} {{ liquid }}</p>\n",
     []),
    ("Raw over lines: {% raw %}\n{% if x %}\n{% endraw %} done {% if y %}\n",
     "<p>Raw over lines:\n{% if x %}\ndone {% if y %}</p>\n",
     ["content/2020-01-01-a.md:7: warning: {% if y %} is Liquid, which growthlog does not "
      "run; it is shown as written"]),
    ("Bare {% post_url 2013-05-06-x %}\n", "<p>Bare {% post_url 2013-05-06-x %}</p>\n",
     ["content/2020-01-01-a.md:5: warning: {% post_url 2013-05-06-x %} is Liquid, which "
      "growthlog does not run; it is shown as written"]),
    # Jekyll's own docs write examples of Liquid this way: the raw markers never show.
    ("{% highlight liquid %}\n{% raw %}\n{{ '/x/' | relative_url }} => /p/x\n{% endraw %}\n"
     "{% endhighlight %}\nAfter {{ page.title }}\n",
     "<pre><code class=\"language-liquid\">{{ '/x/' | relative_url }} =&gt; /p/x\n</code></pre>\n"
     "<p>After {{ page.title }}</p>\n",
     ["content/2020-01-01-a.md:10: warning: {{ page.title }} is Liquid, which growthlog does "
      "not run; it is shown as written"]),
    ("{% highlight sh %}\n\n{% raw %}ls {{ x }}{% endraw %}\n\n{% endhighlight %}\n",
     '<pre><code class="language-sh">ls {{ x }}\n</code></pre>\n', []),
    # Jekyll's 3.6.2 post wraps a link tag over two lines, in the middle of a paragraph.
    ("their [first\ncontribution]({% link\n_posts/2017-10-19-b.markdown %}) too\nand on\n",
     '<p>their <a href="growthlog-wiki:_posts/2017-10-19-b.markdown">first\ncontribution</a>'
     " too\nand on</p>\n", []),
    ("Over lines {% include note.html\n   content=\"x\" %} done\n\n{{ page.title\n}}\n",
     "<p>Over lines {% include note.html\ncontent=&quot;x&quot; %} done</p>\n"
     "<p>{{ page.title\n}}</p>\n",
     ["content/2020-01-01-a.md:5: warning: {% include note.html content=\"x\" %} is Liquid, "
      "which growthlog does not run; it is shown as written",
      "content/2020-01-01-a.md:8: warning: {{ page.title }} is Liquid, which growthlog does "
      "not run; it is shown as written"]),
    # Jekyll's 4.1.0 post: relative_url gives an address from the site's root.
    ("[docs][d] and [abs]({{ \"https://x.org/a\" | absolute_url }})\n\n"
     "[d]: {{ 'docs/liquid/filters/' | relative_url }}\n",
     '<p><a href="/docs/liquid/filters/">docs</a> and <a href="https://x.org/a">abs</a></p>\n',
     []),
], ids=["highlight", "highlight-in-list", "code", "baseurl-and-filter", "hugo-shortcodes",
        "raw-over-lines", "post-url-outside-a-link", "raw-inside-highlight",
        "highlight-trimmed", "link-over-two-lines", "tags-over-lines-are-named",
        "relative-url-without-a-slash"])
def test_liquid_in_a_body(body: str, html: str, warnings: list[str]) -> None:
    found, problems = _one("content/2020-01-01-a.md", "---\ntitle: A\n---\n\n" + body)
    assert found is not None and found.body_html == html
    assert problems == warnings


def test_render_with_liquid_false_leaves_every_tag_as_written() -> None:
    found, problems = _one("content/2020-01-01-a.md", "---\ntitle: A\nrender_with_liquid: "
                           "false\n---\n{% raw %}{{ page.title }}{% endraw %}\n")
    assert problems == [] and found is not None
    assert found.body_html == "<p>{% raw %}{{ page.title }}{% endraw %}</p>\n"


def test_raw_html_shown_as_text_is_one_warning_with_its_line() -> None:
    # Jekyll's sponsoring post centres a logo in a <div>; growthlog escapes raw HTML unless
    # the log lets it through, so the page would show the tags: say so once, where they are.
    text = ("---\ntitle: A\n---\nThanks, all. `<span>` is code.\n\n<div align=\"center\">\n"
            "  <img src=\"/img/logo.png\" alt=\"Logo\" width=\"300\" />\n</div>\n\n"
            "More <br /> text\n")
    found, problems = _one("content/2018-08-01-a.markdown", text)
    assert found is not None and "&lt;div" in found.body_html
    assert problems == ["content/2018-08-01-a.markdown:6: warning: raw HTML (<div>) is shown "
                        "as text; set unsafe_html = true in growthlog.toml to let it through"]
    source, _ = split_source("content/2018-08-01-a.markdown", text)
    assert source is not None
    let_through, more = parse_entry(source, SiteConfig(unsafe_html=True),
                                    LinkContext("", frozenset()))
    assert more == [] and let_through is not None and '<div align="center">' in \
        let_through.body_html
    _, quoted = _one("content/a.md", "---\ntitle: A\ndate: 2024-01-01\n---\n"
                     "```html\n<div>x</div>\n```\n\nA `<br>` and <https://x.org>, a<b.\n")
    assert quoted == []


def test_site_absolute_links_to_an_old_address_reach_the_entry(tmp_path: Path) -> None:
    # Jekyll's 3.1.4 post links to '/news/2016/04/19/jekyll-3-0-4-released/', the address
    # Jekyll gave 2016-04-19-jekyll-3-0-4-released.markdown; a permalink is one too.
    root = make_log(tmp_path / "log", {
        "content/2016-04-19-acme-onsite.markdown": "---\ntitle: Onsite at Acme\n---\nLong.\n",
        "content/2016-04-20-beta.md": "---\ntitle: Beta screen\n"
                                      "permalink: /notes/2016/04/20/b/\n---\nShort.\n",
        "content/2016-05-18-later.markdown": (
            "---\ntitle: Later\n---\nAs [at Acme](/news/2016/04/19/acme-onsite/#day) and\n"
            "[Beta](/notes/2016/04/20/b) and [the old one](/2016/04/19/acme-onsite.html), not\n"
            "[the docs](/docs/history/?x=1&y=2#v3) or [gone](/x/2016/01/02/gone/?a=1&b=2).\n"),
    })
    report = build(root)
    assert report.warnings == ()
    page = (root / "output/entries/later/index.html").read_text("utf-8")
    assert '<a href="/entries/onsite-at-acme/#day">at Acme</a>' in page
    assert '<a href="/entries/beta-screen/">Beta</a>' in page
    assert '<a href="/entries/onsite-at-acme/">the old one</a>' in page
    assert '<a href="/docs/history/?x=1&amp;y=2#v3">the docs</a>' in page
    assert '<a href="/x/2016/01/02/gone/?a=1&amp;b=2">gone</a>' in page  # as written
