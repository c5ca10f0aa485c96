"""Every internal href and src resolves: on disk, over HTTP (at / and under a base_url), and
in the private site once unlocked."""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from click.testing import CliRunner

from generator.build import build
from generator.cli import main
from generator.linkcheck import SEARCH_INDEX, check_links, is_external, page_url, read_site

from conftest import entry, make_log
from pages import PASSWORD, Built, serve


@pytest.mark.parametrize("name", ["sample", "feature", "under", "private"])
def test_every_internal_link_resolves(built_sites: dict[str, Built], name: str) -> None:
    site = built_sites[name]
    pages, files = read_site(site.out, root=site.root, password=PASSWORD)
    assert len(pages) > 60
    assert all("<main" in html for path, html in pages.items() if path != SEARCH_INDEX)
    if not site.private:
        entries = [p for p in files if p.startswith("entries/") and p.endswith("/index.html")]
        assert pages[SEARCH_INDEX].count("<a ") == len(entries) > 12
    broken = check_links(pages, files, site.base_url)
    assert not broken, f"{len(broken)} broken:\n" + "\n".join(b.format() for b in broken[:40])


def test_the_link_check_finds_what_is_broken() -> None:
    pages = {"index.html": '<a href="gone/">x</a>\n<a href="#nowhere">y</a><a href="tags/#a">z</a>'
                           '<img src="/elsewhere/a.png"><a href="https://x.org/">out</a>',
             "tags/index.html": '<h2 id="a">A</h2><a href="../">home</a>',
             "404.html": '<a href="tags/">relative in the 404 page</a><a href="/my/">fine</a>'}
    broken = {(b.page, b.target): b.reason for b in check_links(pages, ["x.css"], "/my/")}
    assert broken == {
        ("index.html", "gone/"): "no such file in the built site",
        ("index.html", "#nowhere"): "no element with id 'nowhere' on index.html",
        ("index.html", "/elsewhere/a.png"): "points outside the site (base_url is /my/)",
        ("404.html", "tags/"): "no such file in the built site"}


@pytest.mark.parametrize("name", ["feature", "under"])
def test_every_link_answers_over_http(built_sites: dict[str, Built], name: str) -> None:
    site = built_sites[name]
    pages, _ = read_site(site.out)
    with serve(site.out, site.base_url) as url:
        origin = url.removesuffix(site.base_url)
        targets = {urljoin(origin + page_url(path, site.base_url), href).split("#")[0]
                   for path, html in pages.items() if path not in ("404.html", SEARCH_INDEX)
                   for href in _hrefs(html) if not is_external(href)}
        failed = []
        for target in sorted(targets):
            try:
                with urllib.request.urlopen(target, timeout=10) as response:
                    assert response.status == 200
            except urllib.error.HTTPError as error:
                failed.append(f"{target}: {error.code}")
        missing = urllib.request.Request(url + "no/such/page/")
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(missing, timeout=10)
    assert len(targets) > 80
    assert all(urlsplit(t).path.startswith(site.base_url) for t in targets)
    assert not failed, failed


def _hrefs(html: str) -> list[str]:
    import re

    return re.findall(r'(?:href|src)="([^"]*)"', html)


def test_private_links_work_in_the_browser_after_unlock(built_sites: dict[str, Built],
                                                        browser: Any) -> None:
    site = built_sites["private"]
    with serve(site.out) as url:
        context = browser.new_context()
        try:
            page = context.new_page()
            requests: list[str] = []
            failed: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.on("response", lambda r: failed.append(f"{r.url}: {r.status}")
                    if r.status >= 400 else None)
            page.goto(url)
            page.wait_for_selector("#gl-form:not([hidden])")
            page.fill("#gl-pass", PASSWORD)
            page.click("#gl-form button[type=submit]")
            page.wait_for_selector("html[data-gl-unlocked]", timeout=10_000)
            visited = 0
            for label in ("Timeline", "Tags", "Lessons", "Actions", "Progress"):
                page.click(f"nav a:has-text('{label}')")
                page.wait_for_selector("html[data-gl-unlocked]", timeout=10_000)
                visited += 1
            page.goto(url)
            page.wait_for_selector("html[data-gl-unlocked]", timeout=10_000)
            page.click("main a:has-text('O\u2019Brien') >> nth=0")
            page.wait_for_selector("html[data-gl-unlocked]", timeout=10_000)
            assert "Staff Engineer" in page.inner_text("h1")
            page.wait_for_function("() => [...document.querySelectorAll('main img')]"
                                   ".every(i => i.complete && i.naturalWidth > 0)")
            # Every same-origin link on the unlocked entry page answers.
            links = page.evaluate("""async () => {
                const out = [];
                for (const a of document.querySelectorAll('a[href]')) {
                  const u = new URL(a.getAttribute('href'), location.href);
                  if (u.origin !== location.origin) continue;
                  const r = await fetch(u.href.split('#')[0]);
                  out.push([a.getAttribute('href'), r.status]);
                }
                return out; }""")
        finally:
            context.close()
    assert visited == 5 and len(links) > 10
    assert [link for link in links if link[1] != 200] == []
    assert not failed, failed


def test_check_links_names_each_broken_link(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {
        "content/a.md": entry("Data Engineer at Acme", tags="[sql]"),
        "content/b.md": entry("Analyst at Globex", "2026-04-01", tags="[sql]")})
    build(root)
    runner = CliRunner()
    clean = runner.invoke(main, ["check", "--links", str(root)])
    assert clean.exit_code == 0, clean.output
    assert "No broken links" in clean.output
    shutil.rmtree(root / "output" / "tags" / "sql")
    broken = runner.invoke(main, ["check", "--links", str(root)])
    assert broken.exit_code == 1
    lines = [line for line in broken.output.splitlines() if "tags/sql/" in line]
    assert lines and all(": no such file in the built site" in line for line in lines)
    assert any(line.startswith("output/entries/data-engineer-at-acme/index.html:")
               for line in lines), lines
    assert f"{len(lines)} broken link" in broken.output


def test_a_build_made_private_by_the_flag_links_no_feed(built_sites: dict[str, Built]) -> None:
    """`build --private` with no `private = true` in the config: the pages (decrypted) must
    not link the Atom feed a private build never publishes."""
    site = built_sites["private"]
    assert "private" not in (site.root / "growthlog.toml").read_text()
    pages, files = read_site(site.out, root=site.root, password=PASSWORD)
    assert len(pages) > 60
    assert not [path for path, html in pages.items() if "application/atom+xml" in html]
