"""Every internal href and src resolves: on disk and over HTTP, at / and under a base_url."""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from click.testing import CliRunner

from generator.build import build
from generator.cli import main
from generator.linkcheck import SEARCH_INDEX, check_links, is_external, page_url, read_site

from conftest import entry, make_log
from pages import PASSWORD, Built, serve


@pytest.mark.parametrize("name", ["sample", "feature", "under"])
def test_every_internal_link_resolves(built_sites: dict[str, Built], name: str) -> None:
    site = built_sites[name]
    pages, files = read_site(site.out, root=site.root, password=PASSWORD)
    assert len(pages) > 60
    assert all("<main" in html for path, html in pages.items() if path != SEARCH_INDEX)
    entry_pages = [p for p in files if p.startswith("entries/") and p.endswith("/index.html")]
    assert pages[SEARCH_INDEX].count("<a ") == len(entry_pages) > 12
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
