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


def _axe(page: Any, axe: Path | None = None) -> list[str]:
    if axe is not None:
        page.add_script_tag(path=str(axe))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {len(v['nodes'])}x {v['nodes'][0]['target']}"
            f" {v['help']}" for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("part", range(4))
def test_every_page_kind_has_no_serious_axe_violation(
        browser: Any, public: tuple[str, list[str]], part: int) -> None:
    """Each page is loaded once and checked in all four variants (a quarter per test)."""
    axe = checker(AXE_JS, "axe-core")
    url, paths = public
    context = browser.new_context()
    context.add_init_script(path=str(axe))
    found = {}
    try:
        page = context.new_page()
        for path in paths[part::4]:
            page.goto(url + path.removesuffix("index.html"))
            for scheme, viewport in VARIANTS:
                page.set_viewport_size(viewport)
                page.emulate_media(color_scheme=scheme)
                if violations := _axe(page):
                    found[f"{path} {scheme} {viewport['width']}px"] = violations
    finally:
        context.close()
    assert len(paths) >= 15 and paths[part::4]
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


def test_stage_dots_meet_graphics_contrast(browser: Any, public: tuple[str, list[str]]) -> None:
    url, paths = public
    page = browser.new_page(viewport=DESKTOP)
    low: list[str] = []
    seen = 0
    try:
        for path in paths:
            page.goto(url + path.removesuffix("index.html"))
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                for dot in page.evaluate(GRAPHICS_CONTRAST):
                    seen += 1
                    if dot["ratio"] < 3:
                        low.append(f"{path} {scheme}: .{dot['dot'].replace(' ', '.')} "
                                   f"{dot['ratio']:.2f}:1")
    finally:
        page.close()
    assert seen > 100
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
            page.evaluate("""() => { window.__focused = [];
                document.addEventListener('focusin', e => window.__focused.push(
                    e.target.matches('a[href]') ? e.target.outerHTML.slice(0, 120)
                                                : e.target.tagName)); }""")
            stops = page.evaluate("""() => [...document.querySelectorAll(
                'a[href], button, input, select, textarea, summary, [tabindex]')]
                .filter(e => e.checkVisibility() && e.tabIndex >= 0).length""")
            for _ in range(stops + 2):
                page.keyboard.press("Tab")
            reached: list[str] = page.evaluate("() => window.__focused")
            first = page.evaluate("() => document.querySelector('a.skip-link').outerHTML")
            assert reached[0] == first, f"{path}: the first Tab reaches {reached[0]}"
            if lost := [a for a in links if a not in reached]:
                missed[path] = lost
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


def test_private_pages_after_unlock_have_no_serious_axe_violation(
        browser: Any, private: tuple[str, dict[str, str]]) -> None:
    axe = checker(AXE_JS, "axe-core")
    url, chosen = private
    # The shell's policy pins its own scripts by hash; axe is injected past it.
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)
    found: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("#gl-form:not([hidden])")
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            if violations := _axe(page, axe if scheme == "light" else None):
                found[f"unlock form {scheme}"] = violations
        page.fill("#gl-pass", PASSWORD)
        page.click("#gl-form button[type=submit]")
        page.wait_for_selector("html[data-gl-unlocked]", timeout=10_000)
        for name, path in sorted(chosen.items()):
            page.goto(url + path.removesuffix("index.html"))
            page.wait_for_selector("html[data-gl-unlocked]", timeout=10_000)
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                if violations := _axe(page, axe if scheme == "light" else None):
                    found[f"{name} {scheme}"] = violations
    finally:
        context.close()
    assert set(chosen) == {"home", "entry", "progress", "timeline"}, chosen
    assert not found, found
