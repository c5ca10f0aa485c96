"""The default theme as a reader sees it in a real Chromium: every page kind, phone and
desktop, light and dark ([newcomer] issue 12)."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from insight_log import FILES

from generator.build import build

from conftest import make_log

# One page of every kind the theme renders (the insight log has each of them).
PAGE_KINDS = {
    "home": "", "entry": "entries/data-engineer-at-acme/", "timeline": "timeline/",
    "year": "timeline/2025/", "month": "timeline/2025/01/", "tags": "tags/",
    "tag": "tags/sql/", "lessons": "lessons/", "actions": "actions/", "progress": "progress/",
    "companies": "companies/", "company": "companies/acme/",
    "stage": "stages/screen/", "search": "search/", "404": "404.html",
}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The five-entry insight log, built and served over HTTP."""
    root = make_log(tmp_path_factory.mktemp("theme") / "log", dict(FILES),
                    'title = "Theme test"\n')
    build(root)
    handler = functools.partial(_Quiet, directory=str(root / "output"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_every_page_kind_exists(site: str, browser: Any) -> None:
    page = browser.new_page()
    try:
        for kind, path in PAGE_KINDS.items():
            response = page.goto(site + path)
            assert response is not None and response.status == 200, (kind, path)
    finally:
        page.close()


_WIDER = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (el.closest('.visually-hidden')) continue;
    if (box.right > width + 0.5 || box.left < -0.5) {
      wide.push(`${el.tagName.toLowerCase()}.${el.className.baseVal ?? el.className}`
                + ` ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  return {width, scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 8)};
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_element_is_wider_than_a_390px_phone(site: str, browser: Any, scheme: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  color_scheme=scheme)
    page = context.new_page()
    try:
        for kind, path in PAGE_KINDS.items():
            page.goto(site + path)
            found = page.evaluate(_WIDER)
            assert found["wide"] == [] and found["scroll"] <= found["width"], (kind, found)
    finally:
        context.close()


_DOT_CONTRAST = """() => {
  function rgb(text) { return text.match(/[\\d.]+/g).map(Number); }
  function lum([r, g, b]) {
    const c = [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92
                                                        : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  function background(el) {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  }
  const ratios = [];
  for (const dot of document.querySelectorAll('.dot:not(.on)')) {
    const style = getComputedStyle(dot);
    const a = lum(rgb(style.borderTopColor)), b = lum(background(dot.parentElement));
    ratios.push((Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) * Number(style.opacity));
  }
  return ratios;
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_unfilled_stage_dots_have_3_to_1_contrast(site: str, browser: Any,
                                                   scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    try:
        for path in ("", "entries/data-engineer-at-acme/", "timeline/"):
            page.goto(site + path)
            ratios = page.evaluate(_DOT_CONTRAST)
            assert ratios and min(ratios) >= 3.0, (path, sorted(ratios)[:3])
    finally:
        context.close()


def test_a_site_with_one_stage_builds(tmp_path: Path) -> None:
    files = {name: re.sub(r"(?m)^stage: .*$", "stage: applied", text)
             for name, text in FILES.items()}
    root = make_log(tmp_path / "log", files, 'stages = ["applied"]\n')
    report = build(root)
    assert report.entries == len(FILES)
    assert "<svg" in (root / "output/progress/index.html").read_text(encoding="utf-8")


_HEADER = """() => {
  const box = el => el.getBoundingClientRect();
  const middle = b => b.top + b.height / 2;
  const links = [...document.querySelectorAll('.site-nav a')];
  const rows = {};
  for (const a of links) (rows[Math.round(box(a).top)] ||= []).push(a.textContent.trim());
  return {
    header: box(document.querySelector('.site-header')).height,
    title: middle(box(document.querySelector('.site-title'))),
    search: middle(box(document.querySelector('.site-search-input'))),
    rows: Object.values(rows),
    current: links.filter(a => a.getAttribute('aria-current') === 'page')
                  .map(a => a.textContent.trim()),
  };
}"""


def test_header_nav_favicon_and_the_current_tag(site: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    try:
        for width in (768, 1024, 1280):  # title and search on one row, every link on the next
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(site)
            found = page.evaluate(_HEADER)
            assert abs(found["title"] - found["search"]) < 6, (width, found)
            assert len(found["rows"]) == 1 and found["header"] <= 100, (width, found)
            assert found["rows"][0] == ["Home", "Timeline", "Tags", "Lessons", "Actions",
                                        "Companies", "Progress"]
        for width in (390, 360):  # a phone: no link alone on a line
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(site)
            found = page.evaluate(_HEADER)
            assert min(len(row) for row in found["rows"]) >= 2, (width, found["rows"])
        page.goto(site + "companies/")
        assert page.evaluate(_HEADER)["current"] == ["Companies"]
        assert "furthest stage" in page.inner_text("main .lede")
        assert "Acme 2 applications · reached final" in page.inner_text(".facet-list")

        page.goto(site + "tags/sql/")
        marked = page.locator(".chip[aria-current='page']")
        assert marked.count() == len(page.locator(".card").all()) > 0
        assert set(marked.all_inner_texts()) == {"sql"}
        colours = page.evaluate("""() => [...document.querySelectorAll('main .chip')].map(
            c => [c.getAttribute('aria-current'), getComputedStyle(c).backgroundColor])""")
        assert {bg for cur, bg in colours if cur}.isdisjoint({bg for cur, bg in colours
                                                              if not cur})
        icon = page.evaluate("document.querySelector('link[rel=icon]').href")
        response = page.request.get(icon)
        assert response.status == 200
        assert response.headers["content-type"].startswith("image/svg+xml")
        assert failed == []  # no favicon 404 (nor anything else)
    finally:
        context.close()


_BAR_CONTRAST = """() => {
  function rgb(text) { return text.match(/[\\d.]+/g).map(Number).slice(0, 3); }
  function lum([r, g, b]) {
    const c = [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92
                                                        : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  const ratios = [];
  for (const bar of document.querySelectorAll('.chart .bar.track, .chart .bar.soft')) {
    const style = getComputedStyle(bar);
    const frame = lum(rgb(getComputedStyle(bar.closest('.chart-frame')).backgroundColor));
    // what marks the bar's extent: its outline when it has one, else its fill
    const edge = style.stroke !== 'none' && Number(style.strokeOpacity) > 0.9 ? style.stroke
                                                                              : style.fill;
    const a = lum(rgb(edge));
    ratios.push((Math.max(a, frame) + 0.05) / (Math.min(a, frame) + 0.05)
                * Number(style.opacity));
  }
  return ratios;
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_dark_practice_bars_stand_out_from_the_chart(site: str, browser: Any,
                                                     scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(site + "progress/")
        ratios = page.evaluate(_BAR_CONTRAST)
        assert ratios
        if scheme == "dark":
            assert min(ratios) >= 3.0, sorted(ratios)[:3]
    finally:
        context.close()
