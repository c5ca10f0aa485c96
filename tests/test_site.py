"""site.py: drafts, order, unique slugs, canonical tags, timeline, lessons, actions, figures."""

from __future__ import annotations

from generator.config import SiteConfig
from generator.entries import parse_entry
from generator.markup import LinkContext
from generator.model import Entry
from generator.site import build_site
from generator.sources import split_source


def _entry(title: str, date: str, extra: str = "", source: str | None = None) -> Entry:
    path = source or f"content/{date}-{title[:12]}.md"
    src, problems = split_source(path, f"---\ntitle: '{title}'\ndate: {date}\n{extra}---\nB\n")
    assert src is not None, problems
    entry, problems = parse_entry(src, SiteConfig(), LinkContext("", frozenset()))
    assert entry is not None, problems
    return entry


def test_entries_newest_first_and_drafts_only_on_request() -> None:
    old = _entry("Old", "2025-05-01")
    new = _entry("New", "2026-02-01")
    draft = _entry("Draft", "2026-03-01", "draft: true\n")
    site = build_site([old, draft, new], SiteConfig())
    assert [e.title for e in site.entries] == ["New", "Old"]
    with_drafts = build_site([old, draft, new], SiteConfig(), drafts=True)
    assert [e.title for e in with_drafts.entries] == ["Draft", "New", "Old"]


def test_draft_tags_lessons_and_actions_stay_hidden() -> None:
    draft = _entry("Draft", "2026-03-01",
                   "draft: true\ntags: [secret]\nlessons: [Hidden]\nactions: [Hidden]\n")
    site = build_site([draft, _entry("Shown", "2026-01-01")], SiteConfig())
    assert site.tags == ()
    assert site.lessons == ()
    assert site.open_actions == ()
    assert site.stats.entries == 1


def test_same_title_entries_get_unique_slugs_oldest_keeps_plain() -> None:
    a = _entry("Data Engineer at Acme", "2025-01-01", source="content/a.md")
    b = _entry("Data Engineer at Acme", "2026-01-01", source="content/b.md")
    c = _entry("Data Engineer at Acme", "2026-06-01", source="content/c.md")
    site = build_site([c, a, b], SiteConfig())
    assert [(e.source, e.slug) for e in site.entries] == [
        ("c.md", "data-engineer-at-acme-3"), ("b.md", "data-engineer-at-acme-2"),
        ("a.md", "data-engineer-at-acme")]


def test_slug_collision_with_an_existing_numbered_slug() -> None:
    a = _entry("Acme", "2025-01-01", "slug: acme-2\n")
    b = _entry("Acme", "2025-02-01")
    c = _entry("Acme", "2025-03-01")
    slugs = sorted(e.slug for e in build_site([a, b, c], SiteConfig()).entries)
    assert len(set(slugs)) == 3


def test_tags_merge_across_entries_with_the_most_common_spelling() -> None:
    entries = [_entry("A", "2026-01-01", "tags: [System Design]\n"),
               _entry("B", "2026-01-02", "tags: [system-design]\n"),
               _entry("C", "2026-01-03", "tags: [System Design, Nerves]\n")]
    site = build_site(entries, SiteConfig())
    assert [(t.slug, t.name, len(t.entries)) for t in site.tags] == [
        ("nerves", "Nerves", 1), ("system-design", "System Design", 3)]
    assert all(t.name == "System Design" for e in site.entries for t in e.tags
               if t.slug == "system-design")


def test_c_cplusplus_and_csharp_stay_three_tags() -> None:
    entries = [_entry("A", "2026-01-01", "tags: [C, C++, 'C#', c++]\n")]
    assert [(t.slug, t.name) for t in build_site(entries, SiteConfig()).tags] == [
        ("c", "C"), ("c-sharp", "C#"), ("c-plus-plus", "C++")]


def test_tag_spelling_tie_is_broken_alphabetically() -> None:
    entries = [_entry("A", "2026-01-01", "tags: [system-design]\n"),
               _entry("B", "2026-01-02", "tags: [System Design]\n")]
    assert [t.name for t in build_site(entries, SiteConfig()).tags] == ["System Design"]


def test_timeline_groups_by_year_and_month_newest_first() -> None:
    entries = [_entry("A", "2025-11-03"), _entry("B", "2026-01-20"), _entry("C", "2026-01-05"),
               _entry("D", "2026-03-01")]
    timeline = build_site(entries, SiteConfig()).timeline
    assert [(y.year, y.count) for y in timeline] == [(2026, 3), (2025, 1)]
    assert [(m.name, [e.title for e in m.entries]) for m in timeline[0].months] == [
        ("March", ["D"]), ("January", ["B", "C"])]


def test_lessons_and_actions_keep_their_entries() -> None:
    entries = [_entry("A", "2026-01-01", "lessons: [Say I]\n"
                                         "actions: [Mock, {text: Resume, done: true}]\n"),
               _entry("B", "2026-02-01", "lessons: [Breathe, Ask early]\n")]
    site = build_site(entries, SiteConfig())
    assert [(lesson.text, lesson.entry.title) for lesson in site.lessons] == [
        ("Breathe", "B"), ("Ask early", "B"), ("Say I", "A")]
    assert [(i.action.text, i.entry.title) for i in site.open_actions] == [("Mock", "A")]
    assert [(i.action.text, i.entry.title) for i in site.done_actions] == [("Resume", "A")]


def test_headline_figures() -> None:
    entries = [
        _entry("A", "2026-01-01", "company: Acme\nstage: interview\n"
                                  "feedback: {asked: true}\nbridges: {thank_you_sent: true}\n"),
        _entry("B", "2026-02-01", "company: ACME\nstage: final\nlessons: [x, y]\n"),
        _entry("C", "2026-03-01",
               "company: Beta\nstage: final\nactions: [a, {text: b, done: true}]\n"),
        _entry("D", "2026-04-01")]
    stats = build_site(entries, SiteConfig()).stats
    assert (stats.entries, stats.companies) == (4, 2)
    assert (stats.furthest_stage, stats.furthest_count) == ("final", 2)
    assert (stats.feedback_asked, stats.thank_you_sent) == (1, 1)
    assert (stats.open_actions, stats.done_actions, stats.lessons) == (1, 1, 2)


def test_empty_log() -> None:
    site = build_site([], SiteConfig())
    assert site.entries == () and site.tags == () and site.timeline == ()
    assert site.stats.furthest_stage is None
    assert site.stages == SiteConfig().stages
