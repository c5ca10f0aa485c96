"""Accessibility of every page kind in real Chromium: axe-core, the keyboard, and contrast.

Light and dark (prefers-color-scheme), desktop and a 390 px phone, public pages and the
private site after unlock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pages import AXE_JS, PASSWORD, Built, checker, decrypt_pages, one_of_each_kind, serve

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
VARIANTS = [("light", DESKTOP), ("dark", DESKTOP), ("light", PHONE), ("dark", PHONE)]
FEATURE_PAGE = "entries/staff-engineer-at-obrien-sons-ltd/index.html"

# Non-text contrast (WCAG 1.4.11): the stage dots carry the stage reached, so the
# unfilled dot's ring and the filled dot, as painted (opacity included), need 3:1
# against what is behind them.
GRAPHICS_CONTRAST = """() => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05); };
  const backdrop = el => { for (let e = el.parentElement; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c.slice(0, 3); }
    return [255, 255, 255]; };
  const opacity = el => { let o = 1;
    for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
    return o; };
  return [...document.querySelectorAll('span.dot')].filter(d => d.checkVisibility()).map(d => {
    const s = getComputedStyle(d), back = backdrop(d);
    const filled = rgb(s.backgroundColor).length === 3 || rgb(s.backgroundColor)[3] > 0;
    const paint = rgb(filled ? s.backgroundColor : s.borderTopColor);
    const a = opacity(d) * (paint.length === 4 ? paint[3] : 1);
    const seen = paint.slice(0, 3).map((v, i) => a * v + (1 - a) * back[i]);
    return {dot: d.getAttribute('class'), ratio: ratio(seen, back)};
  });
}"""


@pytest.fixture(scope="module")
def public(built_sites: dict[str, Built]) -> Iterator[tuple[str, list[str]]]:
    site = built_sites["feature"]
    kinds = one_of_each_kind(site.out)
    assert (site.out / FEATURE_PAGE).is_file()
    with serve(site.out) as url:
        yield url, sorted({*kinds, FEATURE_PAGE})


def _axe(page: Any, axe: Path) -> list[str]:
    page.add_script_tag(path=str(axe))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {len(v['nodes'])}x {v['nodes'][0]['target']}"
            f" {v['help']}" for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize(("scheme", "viewport"), VARIANTS,
                         ids=[f"{s}-{v['width']}" for s, v in VARIANTS])
def test_every_page_kind_has_no_serious_axe_violation(
        browser: Any, public: tuple[str, list[str]], scheme: str, viewport: dict[str, int]) -> None:
    axe = checker(AXE_JS, "axe-core")
    url, paths = public
    context = browser.new_context(color_scheme=scheme, viewport=viewport)
    try:
        page = context.new_page()
        found = {}
        for path in paths:
            page.goto(url + path.removesuffix("index.html"))
            if violations := _axe(page, axe):
                found[path] = violations
    finally:
        context.close()
    assert len(paths) >= 15
    assert not found, "\n".join(f"{p}: {v}" for p, vs in found.items() for v in vs)


def test_axe_reports_what_it_should(browser: Any, public: tuple[str, list[str]]) -> None:
    """The check can fail: a page with a low-contrast paragraph and an unlabelled input."""
    axe = checker(AXE_JS, "axe-core")
    page = browser.new_page()
    try:
        page.set_content('<!doctype html><html lang="en"><title>t</title><main>'
                         '<p style="color:#bbb;background:#fff">faint</p><input></main>')
        ids = {v.split(" ")[0] for v in _axe(page, axe)}
    finally:
        page.close()
    assert {"color-contrast", "label"} <= ids


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_stage_dots_meet_graphics_contrast(browser: Any, public: tuple[str, list[str]],
                                           scheme: str) -> None:
    url, paths = public
    context = browser.new_context(color_scheme=scheme, viewport=DESKTOP)
    low: list[str] = []
    seen = 0
    try:
        page = context.new_page()
        for path in paths:
            page.goto(url + path.removesuffix("index.html"))
            for dot in page.evaluate(GRAPHICS_CONTRAST):
                seen += 1
                if dot["ratio"] < 3:
                    low.append(f"{path}: .{dot['dot'].replace(' ', '.')} {dot['ratio']:.2f}:1")
    finally:
        context.close()
    assert seen > 50
    assert not low, f"{len(low)} dots under 3:1, e.g. " + "; ".join(sorted(set(low))[:8])


def _visible_links(page: Any) -> list[str]:
    return list(page.evaluate("""() => [...document.querySelectorAll('a[href]')]
        .filter(a => a.checkVisibility()).map(a => a.outerHTML.slice(0, 120))"""))


def test_keyboard_alone_reaches_every_link_skip_link_first(
        browser: Any, public: tuple[str, list[str]]) -> None:
    url, paths = public
    page = browser.new_page(viewport=DESKTOP)
    missed: dict[str, list[str]] = {}
    try:
        for path in paths:
            page.goto(url + path.removesuffix("index.html"))
            links = _visible_links(page)
            reached: list[str] = []
            for _ in range(len(links) + 30):
                page.keyboard.press("Tab")
                focused = page.evaluate("""() => { const a = document.activeElement;
                    return a && a.matches('a[href]') ? a.outerHTML.slice(0, 120) : a.tagName; }""")
                if reached and focused == reached[0]:
                    break  # wrapped round
                reached.append(focused)
            first = page.evaluate("() => document.querySelector('a.skip-link').outerHTML")
            assert reached[0] == first, f"{path}: the first Tab reaches {reached[0]}"
            if lost := [a for a in links if a not in reached]:
                missed[path] = lost
            page.keyboard.press("Shift+Tab")
        # The skip link moves focus into the main content.
        page.goto(url)
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.querySelector('main').contains("
                             "document.activeElement)")
    finally:
        page.close()
    assert not missed, missed


@pytest.fixture(scope="module")
def private(built_sites: dict[str, Built], tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[str, dict[str, str]]]:
    """The private site served, and {logical page: opaque path} for a few kinds."""
    site = built_sites["private"]
    plain = decrypt_pages(site, tmp_path_factory.mktemp("decrypted"))
    chosen: dict[str, str] = {}
    for page in sorted(plain.rglob("index.html")):
        text = page.read_text(encoding="utf-8")
        relative = page.relative_to(plain).as_posix()
        for name, marker in (("entry", "Staff Engineer at O\u2019Brien"),
                             ("progress", 'id="chart-'), ("timeline", 'class="year"')):
            if name not in chosen and re.search(rf"<h1[^>]*>[^<]*{marker}" if name == "entry"
                                                else marker, text):
                chosen[name] = relative
    chosen["home"] = "index.html"
    with serve(site.out) as url:
        yield url, chosen


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_private_pages_after_unlock_have_no_serious_axe_violation(
        browser: Any, private: tuple[str, dict[str, str]], scheme: str) -> None:
    axe = checker(AXE_JS, "axe-core")
    url, chosen = private
    # The shell's policy pins its own scripts by hash; axe is injected past it.
    context = browser.new_context(color_scheme=scheme, viewport=DESKTOP, bypass_csp=True)
    found: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("#gl-form:not([hidden])")
        if violations := _axe(page, axe):
            found["unlock form"] = violations
        page.fill("#gl-pass", PASSWORD)
        page.click("#gl-form button[type=submit]")
        page.wait_for_selector("html[data-gl-unlocked]", timeout=10_000)
        for name, path in sorted(chosen.items()):
            page.goto(url + path.removesuffix("index.html"))
            page.wait_for_selector("html[data-gl-unlocked]", timeout=10_000)
            if violations := _axe(page, axe):
                found[name] = violations
    finally:
        context.close()
    assert set(chosen) == {"home", "entry", "progress", "timeline"}, chosen
    assert not found, found
