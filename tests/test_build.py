"""build.py: the whole pipeline on small logs on disk: pages, links, determinism, safety."""

from __future__ import annotations

import os
import posixpath
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from generator.build import BuildReport, build, check
from generator.errors import OutputRefused, Problem, ProblemsFound, Severity
from generator.output import STAGING_LIST, staging_dir

from conftest import entry, make_log, read_tree

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000000000500010d0a2db40000000049454e44ae426082")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("href", "src") and value]


def links(html: bytes) -> list[str]:
    parser = _Links()
    parser.feed(html.decode("utf-8"))
    return parser.found


def page_url(path: str, base: str = "/") -> str:
    """The URL a written file is served at ('tags/index.html' → '/tags/')."""
    return base + (path[: -len("index.html")] if path.endswith("index.html") else path)


def served_file(out: Path, url: str, base: str = "/") -> Path | None:
    """The output file a same-site URL points at, or None when it is external."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    assert parts.path.startswith(base), f"{url} is outside the site's base {base}"
    relative = unquote(parts.path[len(base):])
    if relative == "" or relative.endswith("/"):
        relative += "index.html"
    return out / posixpath.normpath(relative)


def assert_internal_links_resolve(out: Path, base: str = "/") -> int:
    """Every internal href/src of every page, joined with the page's URL, is a written file."""
    checked = 0
    for path, data in read_tree(out).items():
        if not path.endswith(".html"):
            continue
        here = page_url(path, base)
        for link in links(data):
            target = served_file(out, urljoin(here, link), base)
            if target is None or link.startswith("#"):
                continue  # another site, or a place on this page
            assert target.is_file(), f"{path}: broken link {link}"
            checked += 1
    return checked


def except_output(root: Path) -> dict[str, bytes]:
    return {k: v for k, v in read_tree(root).items() if not k.startswith("output/")}


SMALL = {
    "content/2026/acme.md": entry(tags="[System Design, nerves]", stage="final",
                                  lessons="[Lead with trade-offs]",
                                  actions="[Two mocks a week, {text: Resume, done: true}]"),
    "content/2025/beta.md": entry("Analyst at Beta", "2025-10-01", tags="[system-design]"),
    "content/2025/gamma.md": entry("Engineer at Gamma", "2025-11-01", tags="['system  design']"),
    "content/draft.md": entry("Secret draft", "2026-04-01", draft="true", tags="[hidden-tag]"),
}


def test_builds_every_page_at_its_pretty_url(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", SMALL)
    report = build(root)
    out = root / "output"
    assert report.entries == 3
    for page in ("index.html", "404.html", "timeline/index.html", "tags/index.html",
                 "lessons/index.html", "actions/index.html",
                 "entries/data-engineer-at-acme/index.html",
                 "entries/analyst-at-beta/index.html", "tags/system-design/index.html",
                 "tags/nerves/index.html", "static/style.css"):
        assert (out / page).is_file(), page
    assert b"Lead with trade-offs" in (out / "lessons" / "index.html").read_bytes()
    assert b"Two mocks a week" in (out / "actions" / "index.html").read_bytes()
    assert assert_internal_links_resolve(out) > 20


def test_drafts_are_absent_unless_asked_for(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", SMALL)
    build(root)
    site = read_tree(root / "output")
    assert not any("secret-draft" in path or "hidden-tag" in path for path in site)
    assert not any(b"Secret draft" in data or b"hidden-tag" in data for data in site.values())
    report = build(root, drafts=True)
    assert report.entries == 4
    assert (root / "output" / "entries" / "secret-draft" / "index.html").is_file()
    assert (root / "output" / "tags" / "hidden-tag" / "index.html").is_file()
    build(root)
    assert not (root / "output" / "entries" / "secret-draft").exists()


def test_tag_spellings_merge_into_one_page_with_the_most_common_spelling(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", SMALL)
    build(root)
    tag_pages = sorted(p for p in read_tree(root / "output") if p.startswith("tags/"))
    assert tag_pages == ["tags/index.html", "tags/nerves/index.html",
                         "tags/system-design/index.html"]
    page = (root / "output" / "tags" / "system-design" / "index.html").read_text()
    assert "<h1>System Design</h1>" in page
    for title in ("Data Engineer at Acme", "Analyst at Beta", "Engineer at Gamma"):
        assert title in page
    assert "system  design" not in (root / "output" / "tags" / "index.html").read_text()


def test_base_url_prefixes_every_internal_link_and_asset(tmp_path: Path) -> None:
    files = {**SMALL, "content/2026/board.png": PNG,
             "content/2026/linked.md": entry("Linked", "2026-02-02", body="![b](board.png)")}
    root = make_log(tmp_path / "log", files, config='base_url = "/my-log/"\n')
    build(root)
    out = root / "output"
    rooted = 0
    for path, data in read_tree(out).items():
        if path.endswith(".html"):
            for link in links(data):
                if link.startswith("/"):
                    assert link.startswith("/my-log/"), f"{path}: {link}"
                    rooted += 1
    assert rooted > 30
    assert assert_internal_links_resolve(out, "/my-log/") > 30


def test_two_builds_are_byte_identical_and_the_second_writes_nothing(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {**SMALL, "content/pic.png": PNG})
    first = build(root, output=tmp_path / "one")
    assert len(first.written) > 10
    mtimes = {p: p.stat().st_mtime_ns for p in (tmp_path / "one").rglob("*") if p.is_file()}
    second = build(root, output=tmp_path / "one")
    assert second.written == ()
    assert second.removed == ()
    assert "0 files written" in second.summary()
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes
    build(root, output=tmp_path / "two")
    assert read_tree(tmp_path / "one") == read_tree(tmp_path / "two")


def test_only_changed_files_are_rewritten(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", SMALL)
    build(root)
    (root / "content" / "2025" / "gamma.md").write_text(
        entry("Engineer at Gamma", "2025-11-01", tags="['system  design']", body="Edited."))
    report = build(root)
    assert "entries/engineer-at-gamma/index.html" in report.written
    assert "entries/analyst-at-beta/index.html" not in report.written
    assert report.unchanged > 5


def test_stale_pages_go_but_files_we_did_not_write_stay(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", SMALL)
    build(root)
    out = root / "output"
    (out / "CNAME").write_text("log.example.org\n")
    (out / ".git").mkdir()
    (out / ".git" / "config").write_text("[core]\n")
    (out / "entries" / "analyst-at-beta" / "notes.txt").write_text("mine")
    (root / "content" / "2025" / "beta.md").unlink()
    report = build(root)
    assert "entries/analyst-at-beta/index.html" in report.removed
    assert not (out / "entries" / "analyst-at-beta" / "index.html").exists()
    assert (out / "entries" / "analyst-at-beta" / "notes.txt").read_text() == "mine"
    assert (out / "CNAME").read_text() == "log.example.org\n"
    assert (out / ".git" / "config").read_text() == "[core]\n"


def test_a_failed_build_leaves_the_previous_site_exactly_as_it_was(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", SMALL)
    build(root)
    before = read_tree(root / "output")
    mtimes = {p: p.stat().st_mtime_ns for p in (root / "output").rglob("*")}
    (root / "content" / "2026" / "acme.md").write_text(entry(stage="onsight"))
    (root / "content" / "new.md").write_text(entry("New one", date="soon"))
    with pytest.raises(ProblemsFound) as info:
        build(root)
    assert [p.format() for p in info.value.errors] == [
        "content/2026/acme.md:4: stage: expected one of applied, screen, assessment, "
        "interview, final, offer; found 'onsight'",
        "content/new.md:3: date: expected a date like 2026-03-14; found 'soon'"]
    assert read_tree(root / "output") == before
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes


def test_nothing_is_written_outside_the_output_folder(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {**SMALL, "content/pic.png": PNG})
    outside = sorted(p.name for p in tmp_path.iterdir())
    before = except_output(root)
    build(root)
    first = read_tree(root / "output")
    build(root, drafts=True)
    kept = staging_dir(root / "output")  # beside it: the old site, for the next build
    assert {k: v for k, v in except_output(root).items()
            if not k.startswith(f"{kept.name}/")} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == outside
    assert {k: v for k, v in read_tree(kept).items() if k != STAGING_LIST} == first


@pytest.mark.parametrize("where", ["root", "content", "inside-content"])
def test_refuses_unsafe_output_folders(tmp_path: Path, where: str) -> None:
    root = make_log(tmp_path / "log", SMALL)
    out = {"root": root, "content": root / "content",
           "inside-content": root / "content" / "site"}[where]
    before = read_tree(root)
    with pytest.raises(OutputRefused):
        build(root, output=out)
    assert read_tree(root) == before


def test_refuses_a_non_empty_folder_it_did_not_write(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", SMALL)
    docs = make_log(tmp_path / "docs", {"index.html": "my own page"})
    with pytest.raises(OutputRefused) as info:
        build(root, output=docs)
    assert str(info.value) == (f"refusing to write the site into {docs}: it holds files "
                               "growthlog did not write (index.html…); empty it or choose "
                               "another folder")
    assert (docs / "index.html").read_text() == "my own page"


def test_attachments_are_copied_and_relative_links_resolve_from_the_entry(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {
        "content/2026/03/acme.md": entry(body="![Board](img/board.png)\n\n"
                                              "[CV](../../cv.pdf) and [gone](nothere.pdf)"),
        "content/2026/03/img/board.png": PNG,
        "content/cv.pdf": b"%PDF-1.4 fake"})
    report = build(root)
    out = root / "output"
    assert (out / "media" / "2026" / "03" / "img" / "board.png").read_bytes() == PNG
    assert (out / "media" / "cv.pdf").read_bytes() == b"%PDF-1.4 fake"
    page_path = "entries/data-engineer-at-acme/index.html"
    page = (out / page_path).read_bytes()
    targets = [link for link in links(page) if "board" in link or "cv.pdf" in link]
    assert len(targets) == 2
    for link in targets:
        served = served_file(out, urljoin(page_url(page_path), link))
        assert served is not None and served.is_file(), link
    assert [p.format() for p in report.warnings] == [
        "content/2026/03/acme.md:7: warning: links to 'nothere.pdf', which is not in content/"]


def test_raw_html_is_escaped_unless_unsafe_html_is_on(tmp_path: Path) -> None:
    files = {"content/a.md": entry(body="<script>alert('x')</script>\n\n<b>bold</b>")}
    root = make_log(tmp_path / "log", files)
    build(root)
    page = (root / "output" / "entries" / "data-engineer-at-acme" / "index.html").read_text()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page
    (root / "growthlog.toml").write_text("unsafe_html = true\n")
    build(root)
    page = (root / "output" / "entries" / "data-engineer-at-acme" / "index.html").read_text()
    assert "<script>alert('x')</script>" in page
    assert "<b>bold</b>" in page


HOSTILE = {
    "content/a.md": entry("../../../etc/passwd", "2026-01-01", tags="['../up', '/abs', '..']"),
    "content/b.md": entry("a/b/c", "2026-01-02", slug="'../../etc'"),
    "content/c.md": entry("'..'", "2026-01-03", tags="['/']"),
    "content/d.md": entry("'/absolute/path'", "2026-01-04"),
    "content/e.md": entry("数据工程师 at 字节跳动", "2026-01-05", tags="[系统设计, Ünïcode Tag]"),
    "content/f.md": entry("Ingénieure données — Café Crème", "2026-01-06", tags="[café]"),
    "content/g1.md": entry("Same Title", "2026-02-01"),
    "content/g2.md": entry("Same Title", "2026-02-02"),
    "content/2026/03/deep/nested/h.md": entry("Nested", "2026-03-01",
                                              body="![pic](img/p.png) <script>bad()</script>"),
    "content/2026/03/deep/nested/img/p.png": PNG,
    "content/big.md": entry("Big one", "2026-03-02",
                            body="\n\n".join(f"Paragraph {i} " + "word " * 100
                                             for i in range(100))),
}


def test_a_hostile_log_builds_safely_and_completely(tmp_path: Path) -> None:
    assert len(HOSTILE["content/big.md"]) > 50_000
    root = make_log(tmp_path / "log", HOSTILE)
    before = except_output(root)
    outside = sorted(p.name for p in tmp_path.iterdir())
    report = build(root)
    out = root / "output"
    assert report.entries == 10
    entry_pages = sorted(p for p in read_tree(out) if p.startswith("entries/"))
    assert len(entry_pages) == 10
    assert all(p.isascii() and p.count("/") == 2 for p in entry_pages)
    assert "entries/same-title/index.html" in entry_pages
    assert "entries/same-title-2/index.html" in entry_pages
    assert "entries/etc/index.html" in entry_pages
    for path in read_tree(out):
        resolved = (out / path).resolve()
        assert resolved.is_relative_to(out.resolve()), path
        assert path.isascii(), path
    assert except_output(root) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == outside
    everything = b"".join(data for path, data in read_tree(out).items()
                          if path.endswith(".html"))
    assert b"<script>bad()" not in everything
    assert "数据工程师 at 字节跳动".encode() in everything
    assert "系统设计".encode() in everything
    assert b"Paragraph 99 " in (out / "entries" / "big-one" / "index.html").read_bytes()
    assert (out / "media" / "2026" / "03" / "deep" / "nested" / "img" / "p.png").is_file()
    assert assert_internal_links_resolve(out) > 50


def test_check_validates_without_writing(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {**SMALL, "content/w.md": entry("W", tgas="[x]")})
    before = read_tree(root)
    warnings = check(root)
    assert [p.format() for p in warnings] == [
        "content/w.md:4: warning: unknown key 'tgas'; did you mean 'tags'?"]
    assert read_tree(root) == before
    assert not (root / "output").exists()


def test_empty_log_builds(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {})
    (root / "content").mkdir()
    report = build(root)
    assert report.entries == 0
    assert (root / "output" / "index.html").is_file()


def test_build_does_not_depend_on_the_current_folder(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_log(tmp_path / "log", SMALL)
    build(root, output=tmp_path / "a")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    build(Path(os.path.relpath(root)), output=Path("../b"))
    assert read_tree(tmp_path / "a") == read_tree(tmp_path / "b")
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_theme_overrides_reach_the_built_pages(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {
        **SMALL,
        "themes/default/templates/entry.html":
            '{% extends "default/entry.html" %}{% block content %}<p id="mine">{{ entry.title }}'
            "</p>{{ super() }}{% endblock %}",
        "themes/default/static/style.css": "body { color: teal }",
        "themes/calm/templates/404.html": "calm 404"})
    build(root)
    out = root / "output"
    page = (out / "entries" / "analyst-at-beta" / "index.html").read_text()
    assert '<p id="mine">Analyst at Beta</p>' in page
    assert "Analyst at Beta</h1>" in page
    assert (out / "static" / "style.css").read_text() == "body { color: teal }"
    (root / "growthlog.toml").write_text('theme = "calm"\n')
    build(root)
    assert (out / "404.html").read_text() == "calm 404"
    assert '<p id="mine">' not in (out / "entries" / "analyst-at-beta" / "index.html").read_text()


def test_attachment_names_with_spaces_hashes_and_unicode_resolve(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {
        "content/a.md": entry(body="[plan](plan%20%231%20(v2).pdf) ![pic](<我的 图.png>)"),
        "content/plan #1 (v2).pdf": b"pdf", "content/我的 图.png": PNG})
    report = build(root)
    assert report.warnings == ()
    out = root / "output"
    page_path = "entries/data-engineer-at-acme/index.html"
    found = [link for link in links((out / page_path).read_bytes()) if "media" in link]
    assert [served_file(out, urljoin(page_url(page_path), link)) for link in found] == [
        out / "media" / "plan #1 (v2).pdf", out / "media" / "我的 图.png"]
    assert assert_internal_links_resolve(out) > 10


def test_output_does_not_depend_on_hash_seed_or_where_the_log_lives(tmp_path: Path) -> None:
    growthlog = Path(sys.executable).parent / "growthlog"
    for name, seed in (("a", "1"), ("b", "2")):
        root = make_log(tmp_path / name / "log", {**HOSTILE, **SMALL})
        done = subprocess.run([str(growthlog), "build", str(root)], capture_output=True,
                              text=True, env={**os.environ, "PYTHONHASHSEED": seed},
                              timeout=60)
        assert done.returncode == 0, done.stderr
    assert read_tree(tmp_path / "a" / "log" / "output") == read_tree(
        tmp_path / "b" / "log" / "output")


def test_summary_line_reads_naturally() -> None:
    report = BuildReport(entries=1, tags=1, written=("index.html",), unchanged=0, removed=(),
                         rendered=1, seconds=0.5, warnings=())
    assert report.summary() == ("1 entry, 1 tag: 1 file written, 0 unchanged, 0 removed in "
                                "0.50 s")
    report = BuildReport(entries=3, tags=0, written=(), unchanged=12, removed=("a", "b"),
                         rendered=0, seconds=0.25,
                         warnings=(Problem("content/a.md", "x", severity=Severity.WARNING),) * 2)
    assert report.summary() == ("3 entries, 0 tags: 0 files written, 12 unchanged, 2 removed "
                                "in 0.25 s; 2 warnings")
