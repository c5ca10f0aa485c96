"""[speed] What one save in `serve` repeats for the whole log: counted, never timed.

A one-entry save at 1,000 entries must rebuild in under 50 ms (issue 11), so work that
grows with the log (an href per entry, a row per company, a plan per entry) is done only
for what the save changed; the preview stays the one a full build makes
(tests/test_incremental.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.memo import Memo
from generator.search_index import build_search_index
from generator.serve import Rebuilder
from generator.urls import Urls
from generator.watch import classify

from conftest import entry, make_log, read_tree

COMPANIES = 8


def _log(tmp_path: Path) -> Path:
    files: dict[str, str | bytes] = {
        f"content/e{n:02d}.md": entry(f"Role {n}", f"2025-{1 + n % 12:02d}-{1 + n % 27:02d}",
                                      body=f"Body {n}.", company=f"Firm {n % COMPANIES}",
                                      stage="applied", tags=f"[t{n % 3}]")
        for n in range(40)}
    return make_log(tmp_path / "log", files)


class _Counting(Urls):
    """Urls that count the hrefs asked, by the kind of thing linked to."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.asked: list[str] = []

    def href(self, target: Any, **kwargs: Any) -> str:
        self.asked.append(type(target).__name__)
        return super().href(target, **kwargs)


def test_the_search_index_asks_no_href_of_an_unchanged_entry(tmp_path: Path) -> None:
    from generator.pipeline import load_log

    site = load_log(_log(tmp_path)).site
    memo = Memo()
    first, again = _Counting("/"), _Counting("/")  # each build makes its own Urls
    index = build_search_index(site.entries, first, memo)
    assert first.asked.count("Entry") == len(site.entries)
    assert build_search_index(site.entries, again, memo) == index
    assert again.asked == []
    other = _Counting("/log/")  # another base URL: every record again
    assert b'"/log/entries/' in build_search_index(site.entries, other, memo)
    assert other.asked.count("Entry") == len(site.entries)


def test_the_search_index_of_kept_records_is_one_copy_of_them(tmp_path: Path) -> None:
    """Records kept from the last build are put together once: joining them as text and
    then encoding the whole made three copies of the index (5 MB at 1,000 entries)."""
    import tracemalloc

    from generator.pipeline import load_log

    words = " ".join(f"word{n}" for n in range(1_000))  # records of ~8 KB, as a real body's
    site = load_log(make_log(tmp_path / "log", {
        f"content/e{n:02d}.md": entry(f"Role {n}", f"2025-01-{1 + n:02d}", body=words)
        for n in range(20)})).site
    memo, urls = Memo(), Urls("/")
    index = build_search_index(site.entries, urls, memo)
    tracemalloc.start()
    try:
        assert build_search_index(site.entries, urls, memo) == index
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.5 * len(index), (peak, len(index))


def test_a_save_renders_the_companies_row_of_its_company_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    href = Urls.href

    def counted(self: Urls, target: Any, **kwargs: Any) -> str:
        asked.append(type(target).__name__)
        return href(self, target, **kwargs)

    monkeypatch.setattr(Urls, "href", counted)  # before the templates' `url` is made
    root = _log(tmp_path)
    preview = tmp_path / "preview"
    rebuilder = Rebuilder(root, preview)
    assert rebuilder.rebuild().ok
    asked.clear()
    path = root / "content/e05.md"
    path.write_text(path.read_text().replace("stage: applied", "stage: screen"))
    result = rebuilder.rebuild(classify([path], root.resolve()))
    assert result.ok and "companies/index.html" in result.changed
    # Its row on /companies/ and its own page's link: not every company's row.
    assert asked.count("Company") <= 2 < COMPANIES
    monkeypatch.undo()
    Rebuilder(root, tmp_path / "fresh").rebuild()
    assert read_tree(preview) == read_tree(tmp_path / "fresh")


def test_a_body_edit_plans_its_page_and_its_neighbours_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every other entry page's plan is last build's: not even the links to its newer and
    older entries are made again (counting the entry paths made while planning)."""
    from generator import render

    root = _log(tmp_path)
    rebuilder = Rebuilder(root, tmp_path / "preview")
    assert rebuilder.rebuild().ok
    made: list[str] = []
    entry_path = render.entry_path

    def counted(target: Any) -> str:
        made.append(target.source)
        return entry_path(target)

    monkeypatch.setattr(render, "entry_path", counted)
    path = root / "content/e05.md"
    path.write_text(path.read_text().replace("Body 5.", "Body five."))
    assert rebuilder.rebuild(classify([path], root.resolve())).ok
    # Its page and its two neighbours' pages (which link to it), three paths each.
    assert 0 < len(made) <= 9


def _two_paragraphs(tmp_path: Path, templates: dict[str, str] | None = None) -> Path:
    files: dict[str, str | bytes] = {
        f"content/e{n:02d}.md": entry(f"Role {n}", f"2025-{1 + n % 12:02d}-{1 + n % 27:02d}",
                                      body=f"Summary {n}.\n\nMore of {n}.",
                                      company=f"Firm {n % 3}", tags=f"[t{n % 3}]",
                                      lessons=f"[Lesson {n}]")
        for n in range(24)}
    files.update({f"themes/default/templates/{name}": text
                  for name, text in (templates or {}).items()})
    return make_log(tmp_path / "log", files)


def _edit_second_paragraph(root: Path) -> Path:
    path = root / "content/e05.md"
    path.write_text(path.read_text().replace("More of 5.", "More of five, edited."))
    return path


def test_a_page_that_shows_nothing_a_save_changed_is_not_rendered_again(
        tmp_path: Path) -> None:
    """The second paragraph of a body is on the entry's own page only (lists show its
    summary, the first): the timeline, tag, company, month, lesson pages... are not
    rendered again, and the preview is still the one a full build makes."""
    root = _two_paragraphs(tmp_path)
    rebuilder = Rebuilder(root, tmp_path / "preview")
    assert rebuilder.rebuild().ok
    result = rebuilder.rebuild(classify([_edit_second_paragraph(root)], root.resolve()))
    assert result.ok and result.report is not None
    assert result.report.rendered == 1  # the entry's page
    assert "entries/role-5/index.html" in result.changed
    title = root / "content/e05.md"
    title.write_text(title.read_text().replace("title: Role 5", "title: Role five"))
    result = rebuilder.rebuild(classify([title], root.resolve()))
    assert result.ok and result.report is not None and result.report.rendered > 8
    Rebuilder(root, tmp_path / "fresh").rebuild()
    assert read_tree(tmp_path / "preview") == read_tree(tmp_path / "fresh")


def test_with_templates_of_the_log_own_every_page_that_holds_the_entry_is_rendered(
        tmp_path: Path) -> None:
    """A template of the log's own may show an entry whole, which nothing notes: then a
    page is rendered again whenever its entries differ at all."""
    root = _two_paragraphs(tmp_path, {"tag.html": "{% for e in tag.entries %}{{ e }}\n"
                                                  "{% endfor %}"})
    preview = tmp_path / "preview"
    rebuilder = Rebuilder(root, preview)
    assert rebuilder.rebuild().ok
    result = rebuilder.rebuild(classify([_edit_second_paragraph(root)], root.resolve()))
    assert "five, edited" in (preview / "tags/t2/index.html").read_text()
    assert result.ok and result.report is not None and result.report.rendered > 8


def test_a_save_of_an_entry_not_in_the_feed_makes_no_feed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import feed

    root = _log(tmp_path)  # 40 entries: the feed holds the newest 20
    rebuilder = Rebuilder(root, tmp_path / "preview")
    assert rebuilder.rebuild().ok
    made: list[int] = []
    make = feed._feed

    def counted(entries: Any, config: Any) -> bytes:
        made.append(len(entries))
        return make(entries, config)

    monkeypatch.setattr(feed, "_feed", counted)
    newest = max(range(40), key=lambda n: (1 + n % 12, 1 + n % 27, f"e{n:02d}"))
    oldest = min(range(40), key=lambda n: (1 + n % 12, 1 + n % 27, f"e{n:02d}"))
    for n, feeds in ((oldest, 0), (newest, 1)):
        path = root / f"content/e{n:02d}.md"
        path.write_text(path.read_text().replace(f"Role {n}", f"Role {n}, renamed"))
        assert rebuilder.rebuild(classify([path], root.resolve())).ok
        assert len(made) == feeds, n
    assert b"renamed" in (tmp_path / "preview/atom.xml").read_bytes()


def test_a_copy_of_growthlogs_own_templates_counts_as_them(tmp_path: Path) -> None:
    """A log holding a byte-for-byte copy of the default theme (as the incremental ==
    full property test does) is rendered as with the shipped one; change one byte of
    one template and every page that holds a changed entry is rendered again."""
    import shutil

    from generator.theme import packaged_themes_dir

    root = _two_paragraphs(tmp_path)
    shutil.copytree(packaged_themes_dir() / "default", root / "themes/default")
    rebuilder = Rebuilder(root, tmp_path / "preview")
    assert rebuilder.rebuild().ok
    result = rebuilder.rebuild(classify([_edit_second_paragraph(root)], root.resolve()))
    assert result.ok and result.report is not None and result.report.rendered == 1
    timeline = root / "themes/default/templates/timeline.html"
    timeline.write_text(timeline.read_text() + "{# mine #}\n")
    again = Rebuilder(root, tmp_path / "again")
    assert again.rebuild().ok
    path = root / "content/e05.md"
    path.write_text(path.read_text().replace("edited.", "edited twice."))
    result = again.rebuild(classify([path], root.resolve()))
    assert result.ok and result.report is not None and result.report.rendered > 8
