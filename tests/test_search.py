"""search_index.py and static/search.js: the index, and searching in a real Chromium."""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from insight_log import FILES

from generator.build import build

from conftest import entry


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def built(log_factory: Any) -> Path:
    root = log_factory(FILES, config='title = "Search test"\nbase_url = "/my-log/"\n')
    build(root)
    return root / "output"


@pytest.fixture
def served(built: Path) -> Iterator[str]:
    """The built site served at http://127.0.0.1:<port>/my-log/ (its base path)."""
    site = built.parent / "served"
    (site / "my-log").parent.mkdir(parents=True, exist_ok=True)
    (site / "my-log").symlink_to(built, target_is_directory=True)
    handler = functools.partial(_Quiet, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/my-log/"
    server.shutdown()
    server.server_close()


def test_index_holds_every_searchable_field(built: Path) -> None:
    data = json.loads((built / "search" / "index.json").read_bytes())
    assert data["v"] == 1
    records = {r["t"]: r for r in data["entries"]}
    assert list(records) == ["Staff Engineer at Umbrella", "Senior Data Engineer at Acme",
                             "Analyst at Initech", "Backend Engineer at Globex",
                             "Data Engineer at Acme"]
    acme = records["Data Engineer at Acme"]
    assert acme == {"u": "/my-log/entries/data-engineer-at-acme/", "t": "Data Engineer at Acme",
                    "c": "Acme", "r": "Data Engineer", "d": "2025-01-10", "g": ["sql"],
                    "l": ["Have a salary range ready."],
                    "x": "The recruiter asked about my pelican migration project."}


def test_every_page_has_the_search_box_and_script(built: Path) -> None:
    for page in ("index.html", "progress/index.html", "entries/analyst-at-initech/index.html",
                 "search/index.html", "404.html"):
        html = (built / page).read_text(encoding="utf-8")
        assert 'data-search-index="/my-log/search/index.json"' in html, page
        assert '<script src="/my-log/static/search.js" defer></script>' in html, page
    assert (built / "static" / "search.js").is_file()


def test_search_page_explains_itself_without_javascript(built: Path) -> None:
    html = (built / "search" / "index.html").read_text(encoding="utf-8")
    assert "<noscript>" in html and "needs JavaScript" in html


def test_typing_a_body_word_lists_that_entry(browser: Any, served: str) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(served)
        page.fill("#site-search-q", "pelican")
        hits = page.locator(".search-dropdown .search-hit a")
        hits.first.wait_for(timeout=5000)
        assert hits.all_inner_texts() == ["Data Engineer at Acme"]
        assert hits.first.get_attribute("href") == "/my-log/entries/data-engineer-at-acme/"
        page.fill("#site-search-q", "acme")
        page.wait_for_function(
            "document.querySelectorAll('.search-dropdown .search-hit').length === 2")
        page.fill("#site-search-q", "zebra")
        page.locator(".search-dropdown .search-none").wait_for(timeout=5000)
        # Enter goes to the search page, which answers from the same index.
        page.fill("#site-search-q", "trade-offs")
        page.press("#site-search-q", "Enter")
        page.wait_for_url("**/search/#q=trade-offs")
        results = page.locator("#search-page-results .search-hit a")
        results.first.wait_for(timeout=5000)
        assert sorted(results.all_inner_texts()) == ["Analyst at Initech",
                                                     "Backend Engineer at Globex"]
        assert errors == []
    finally:
        page.close()


def test_a_page_runtime_can_supply_the_index(browser: Any, served: str) -> None:
    """The hook private mode uses: window.growthlogLoadIndex(url) resolves to the index."""
    context = browser.new_context()
    requested: list[str] = []
    context.route("**/search/index.json", lambda route: route.abort())
    context.add_init_script("""
        window.growthlogLoadIndex = function (url) {
          window.__asked = url;
          return Promise.resolve({v: 1, entries: [{u: "/x/", t: "Decrypted entry", c: "",
            r: "", d: "2026-01-01", g: [], l: [], x: "only the runtime knows this word"}]});
        };""")
    page = context.new_page()
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto(served)
        page.fill("#site-search-q", "runtime")
        page.locator(".search-dropdown .search-hit a").first.wait_for(timeout=5000)
        assert page.locator(".search-dropdown .search-hit a").all_inner_texts() == [
            "Decrypted entry"]
        assert page.evaluate("window.__asked") == "/my-log/search/index.json"
        assert not [url for url in requested if url.endswith("index.json")]
    finally:
        context.close()


PASSWORD = "cobalt hazel dune tripod plaza"


def test_private_index_is_one_sealed_file_with_opaque_links(log_factory: Any) -> None:
    from generator import keys
    from generator.crypto import open_file
    from generator.private import OpaqueNames

    root = log_factory(FILES, config='title = "Search test"\n')
    keys.init_keyfile(root, PASSWORD)
    build(root, private=True, password=PASSWORD)
    tree = {p.relative_to(root / "output").as_posix(): p.read_bytes()
            for p in (root / "output").rglob("*") if p.is_file()}
    assert not [p for p in tree if p.endswith(".json") and not p.startswith(".growthlog")]
    assert not [p for p, data in tree.items() if b"pelican" in data]
    _, site_keys = keys.unlock(root, PASSWORD)
    names = OpaqueNames(site_keys.slug)
    sealed_name = names("search/index.json")
    meta, body = open_file(site_keys, sealed_name, tree[sealed_name])
    data = json.loads(body)
    acme = next(r for r in data["entries"] if r["t"] == "Data Engineer at Acme")
    assert acme["x"] == "The recruiter asked about my pelican migration project."
    assert acme["u"] == "/" + names("entries/data-engineer-at-acme/")


def test_private_search_works_after_unlock(browser: Any, log_factory: Any) -> None:
    from generator import keys

    root = log_factory(FILES, config='title = "Search test"\n')
    keys.init_keyfile(root, PASSWORD)
    build(root, private=True, password=PASSWORD)
    handler = functools.partial(_Quiet, directory=str(root / "output"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        page.wait_for_selector("#gl-form:not([hidden])")
        page.fill("#gl-pass", PASSWORD)
        page.click("#gl-form button[type=submit]")
        page.wait_for_selector("html[data-gl-unlocked]", timeout=10_000)
        page.fill("#site-search-q", "pelican")
        hits = page.locator(".search-dropdown .search-hit a")
        hits.first.wait_for(timeout=3000)
        assert hits.all_inner_texts() == ["Data Engineer at Acme"]
        page.press("#site-search-q", "Enter")
        results = page.locator("#search-page-results .search-hit a")
        results.first.wait_for(timeout=5000)
        address, history = page.url, page.evaluate("history.length")
        page.fill("#search-page-q", "")
        page.type("#search-page-q", "trade-offs", delay=40)  # as you type, no Enter
        page.wait_for_function("() => document.querySelectorAll('#search-page-results a')"
                               ".length === 2")
        # Private: the query is in no address and no history entry, before or after.
        assert page.url == address and "trade" not in address and "pelican" not in address
        assert page.evaluate("history.length") == history
    finally:
        context.close()
        server.shutdown()
        server.server_close()


LONG = ("Before the call I read the job advert twice, made notes on the team, and wrote down "
        "three questions. The recruiter, kind but busy, asked about my Pélican migration "
        "project, and then about the dashboards I built for the finance team, which took "
        "most of the hour. Next time I will bring numbers, and a story about a mistake.")


def test_results_page_searches_as_you_type_with_marked_words_and_site_dates(
        browser: Any, log_factory: Any) -> None:
    root = log_factory({"content/a.md": entry("Data Engineer at Acme", "2026-09-22",
                                              body=LONG, company="Acme")})
    build(root)
    handler = functools.partial(_Quiet, directory=str(root / "output"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page = browser.new_page()
    try:
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/search/")
        history = page.evaluate("history.length")
        page.type("#search-page-q", "pelican", delay=40)  # no Enter
        hit = page.locator("#search-page-results .search-hit")
        # A pause in the typing (a loaded machine) shows the hits of "peli" first: wait for
        # those of the whole word, seven letters marked.
        page.wait_for_function("""() => [...document.querySelectorAll(
            '#search-page-results .search-hit mark')].some(m => m.textContent.length === 7)""",
                               timeout=5000)
        assert hit.locator(".search-meta").inner_text() == "Acme · 22 September 2026"
        snippet = hit.locator(".search-snippet")
        assert snippet.locator("mark").all_inner_texts() == ["Pélican"]  # as written
        text = snippet.inner_text()
        assert text.startswith("…") and text.endswith("…") and len(text) < len(LONG)
        inner = text.strip("…")
        at = LONG.index(inner)  # cut between words, nothing doubled at either end
        assert LONG[at - 1] == " " and LONG[at + len(inner)] in " ,."
        assert not re.search(r"[.,;:]…|……", text)
        page.type("#search-page-q", " finance", delay=40)
        page.wait_for_url("**/search/#q=pelican%20finance")
        page.wait_for_function("() => [...document.querySelectorAll('.search-snippet mark')]"
                               ".map(m => m.textContent).join() === 'Pélican,finance'")
        assert page.evaluate("history.length") == history  # replaced, never pushed
    finally:
        page.close()
        server.shutdown()
        server.server_close()


def test_index_text_drops_markdown_marks() -> None:
    from generator.search_index import plain_text

    assert plain_text("It was *about* `when`, see [my notes](a.md) and ![a plan](p.svg)\n"
                      "for snake_case and _this_.") == \
        "It was about when, see my notes and a plan for snake_case and this."


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="ab _*`[]()!\n.é", max_size=40) | st.text(alphabet="a![]()", max_size=30))
def test_index_text_is_the_marks_pattern_applied_once(text: str) -> None:
    """The shortcut for text without underscores drops exactly what the pattern drops, and
    links found by their '[' (an image's '!' dropped with it) are what `!?[` finds."""
    from generator.search_index import plain_text

    link = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
    marks = re.compile(r"[*`]+|(?<!\w)_+|_+(?!\w)")
    assert plain_text(text) == " ".join(marks.sub("", link.sub(r"\1", text)).split())
