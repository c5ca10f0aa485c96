"""Page weight: the home page and an entry page, with everything they load (images aside),
stay under 60 KB gzipped, in a log of 13 entries and one of 200; nothing is loaded from
another site."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from generator.build import build
from generator.linkcheck import is_external, page_url

from pages import Built, serve

BUDGET = 60 * 1024
# What a browser loads by itself while showing a page (links the reader follows aside).
LOADED = re.compile(r'<(?:link\b[^>]*\brel="(?:stylesheet|icon|preload|modulepreload|manifest)"'
                    r'[^>]*|script\b[^>]*|img\b[^>]*|source\b[^>]*|iframe\b[^>]*|video\b[^>]*'
                    r'|audio\b[^>]*|image\b[^>]*|use\b[^>]*)>', re.S)
SOURCE = re.compile(r'\b(?:href|src|srcset|xlink:href)="([^"]*)"')
IMAGE = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg", ".ico")


def _loads(html: str) -> list[str]:
    return [value.split()[0] for tag in LOADED.findall(html) for value in SOURCE.findall(tag)
            if value.strip()]


def _weight(out: Path, page: str, base_url: str = "/") -> tuple[int, list[str]]:
    """Gzipped bytes of the page and what it loads (images aside), and what it loads."""
    html = (out / page).read_text(encoding="utf-8")
    here = page_url(page, base_url)
    loaded = _loads(html)
    css = [urljoin(here, u) for u in loaded if urlsplit(u).path.endswith(".css")]
    for sheet in css:
        text = (out / urlsplit(sheet).path.removeprefix(base_url)).read_text(encoding="utf-8")
        loaded += [urljoin(sheet, u.strip("'\"")) for u in re.findall(r"url\(([^)]*)\)", text)]
        loaded += re.findall(r'@import\s+["\']([^"\']+)', text)
    total = len(gzip.compress(html.encode("utf-8")))
    for address in {urljoin(here, u).split("#")[0] for u in loaded if not is_external(u)}:
        path = urlsplit(address).path.removeprefix(base_url)
        if not path.lower().endswith(IMAGE):
            total += len(gzip.compress((out / path).read_bytes()))
    return total, loaded


def _big_log(root: Path, entries: int) -> Path:
    shutil.copytree(Path(__file__).resolve().parent.parent / "content", root / "content")
    samples = sorted((root / "content").rglob("*.md"))
    for i in range(entries - len(samples)):
        source = samples[i % len(samples)]
        text = source.read_text(encoding="utf-8")
        text = re.sub(r'^title: "?(.*?)"?$', lambda m, i=i: f"title: 'Round {i} of {m[1]}'", text,
                      count=1, flags=re.M)
        text = re.sub(r"^date: \d{4}-\d\d-\d\d", f"date: {2019 + i % 7}-{1 + i % 12:02d}-"
                      f"{1 + i % 28:02d}", text, count=1, flags=re.M)
        (source.parent / f"gen-{i:03d}.md").write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _big_log(tmp_path_factory.mktemp("weight") / "log", 200)
    build(root)
    return root / "output"


def _pages(out: Path) -> list[str]:
    entries = sorted((out / "entries").iterdir(), key=lambda p: -(p / "index.html").stat().st_size)
    return ["index.html", f"entries/{entries[0].name}/index.html"]  # the heaviest entry page


def test_home_and_entry_pages_stay_under_60_kb_gzipped(built_sites: dict[str, Built],
                                                        big: Path) -> None:
    over = []
    for out, base in ((built_sites["feature"].out, "/"), (built_sites["under"].out, "/my-log/"),
                      (big, "/")):
        for page in _pages(out):
            weight, loaded = _weight(out, page, base)
            assert any(u.endswith(".css") for u in loaded), loaded  # the stylesheet counts
            if weight > BUDGET:
                over.append(f"{out.parent.name}/{page}: {weight / 1024:.1f} KB")
    assert not over, over


def test_no_page_loads_anything_from_another_site(built_sites: dict[str, Built]) -> None:
    out = built_sites["feature"].out
    external = {page.relative_to(out).as_posix(): found for page in out.rglob("*.html")
                if (found := [u for u in _loads(page.read_text(encoding="utf-8"))
                              if is_external(u) and not u.startswith(("data:", "blob:"))])}
    assert not external, external
    for sheet in out.rglob("*.css"):
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//|@import", sheet.read_text()), sheet


def test_the_browser_requests_nothing_from_another_site(built_sites: dict[str, Built],
                                                        browser: Any) -> None:
    site = built_sites["feature"]
    with serve(site.out) as url:
        page = browser.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        try:
            for path in _pages(site.out) + ["progress/", "search/?q=sql"]:
                page.goto(url + path.removesuffix("index.html"), wait_until="networkidle")
            page.fill("input[type=search]", "trade")
            page.wait_for_timeout(200)
        finally:
            page.close()
    assert len(requests) > 8
    assert all(r.startswith(url) for r in requests), [r for r in requests if
                                                      not r.startswith(url)]
