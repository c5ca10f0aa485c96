"""Readers' views in real headless Chromium: a log with three readers and overlapping
shares, deployed to a local bare repository and served from what was pushed."""

from __future__ import annotations

import functools
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from generator import readers
from generator.deploy import deploy

from share_log import AUTHOR, PASSPHRASES, VIEWS, make_share_log, subset_log


class _Quiet(SimpleHTTPRequestHandler):
    """Serves 404.html for a missing file, as GitHub Pages does."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _serve(folder: Path) -> tuple[str, ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/", server


def _git(*args: str) -> None:
    subprocess.run(["git", *args], check=True, capture_output=True)


def _deploy(root: Path, remote: Path, clone: Path) -> None:
    deploy(root, remote=str(remote), password=AUTHOR)
    if clone.exists():  # an orphan force-push: take the new tree as it is
        _git("-C", str(clone), "fetch", "-q", "origin")
        _git("-C", str(clone), "reset", "-q", "--hard", "origin/gh-pages")
    else:
        _git("clone", "-q", "--branch", "gh-pages", str(remote), str(clone))


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("views")
    root = make_share_log(base / "log")
    remote, clone = base / "remote.git", base / "pushed"
    _git("init", "-q", "--bare", str(remote))
    _deploy(root, remote, clone)
    url, server = _serve(clone)
    public = {}
    servers = [server]
    for name in VIEWS:
        public[name], extra = _serve(subset_log(base / f"public-{name}", name) / "output")
        servers.append(extra)
    yield {"root": root, "remote": remote, "clone": clone, "url": url, "public": public}
    for each in servers:
        each.shutdown()


def _unlock(page: Any, passphrase: str, remember: bool = False) -> None:
    page.wait_for_selector("#gl-form:not([hidden])")
    page.fill("#gl-pass", passphrase)
    if remember:
        page.check("#gl-remember")
    page.click("#gl-form button[type=submit]")


def _shown(page: Any) -> str:
    """What the reader sees of the page (its words), without the Lock button."""
    page.wait_for_selector("html[data-gl-unlocked]", timeout=15_000)
    return _words(page).removesuffix(" Lock")


def _words(page: Any) -> str:
    return " ".join(str(page.evaluate("() => document.body.innerText")).split())


def _search(page: Any) -> list[str]:
    page.fill("#site-search-q", "at")
    page.locator(".search-dropdown .search-hit a").first.wait_for(timeout=5000)
    return sorted(page.locator(".search-dropdown .search-hit a").all_inner_texts())


def _tour(page: Any) -> list[str]:
    """The home page, the tags page and a search, as shown."""
    home = _shown(page)
    hits = _search(page)
    page.click("nav a:text-is('Tags')")
    page.wait_for_function("() => document.querySelector('h1')?.textContent.includes('Tags')")
    return [home, _shown(page), "\n".join(hits)]  # (the hits as they were on the home page)


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_a_readers_passphrase_opens_their_view_as_a_public_build_of_it_reads(
        deployed: dict[str, Any], browser: Any, name: str) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(deployed["url"])  # the author's home: the key decides where it goes
        _unlock(page, PASSPHRASES[name])
        page.wait_for_url(lambda url: url != deployed["url"], timeout=15_000)
        seen = _tour(page)
        public = context.new_page()
        public.goto(deployed["public"][name])
        public.wait_for_selector("#site-search-q")
        expected = [_words(public), "", ""]
        expected[2] = "\n".join(_search(public))
        public.click("nav a:text-is('Tags')")
        public.wait_for_function("() => document.querySelector('h1')?.textContent.includes('Tags')")
        expected[1] = _words(public)
        assert seen[2].splitlines() == sorted(VIEWS[name])
        assert seen == expected
    finally:
        context.close()


def test_a_readers_key_opens_no_page_outside_their_view(deployed: dict[str, Any],
                                                        browser: Any) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(deployed["url"])
        _unlock(page, AUTHOR)
        _shown(page)
        page.fill("#site-search-q", "Take-home")  # Globex: shared with kim only
        page.locator(".search-dropdown .search-hit a").first.click()
        globex = page.url
        assert "Take-home task" in _shown(page)
        page.click("#gl-lock")
        page.wait_for_selector("#gl-form:not([hidden])")
        for name in ("sam", "lee"):
            page.goto(globex)
            _unlock(page, PASSPHRASES[name])
            page.wait_for_url(lambda url: url != globex, timeout=15_000)
            text = _shown(page)
            assert "Data Analyst at Globex" not in text and "Take-home" not in text
            page.goto(globex)  # with their key in the tab: sent home again, never shown
            page.wait_for_url(lambda url: url != globex, timeout=15_000)
            assert "Take-home" not in _shown(page)
            page.click("#gl-lock")
            page.wait_for_selector("#gl-form:not([hidden])")
    finally:
        context.close()


def test_a_link_opens_the_view_and_leaves_no_key_in_the_address(deployed: dict[str, Any],
                                                                browser: Any) -> None:
    link = readers.reader_link(deployed["root"], "kim", AUTHOR, deployed["url"])
    assert link.startswith(deployed["url"] + "#key=") and "?" not in link
    context = browser.new_context()
    try:
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(link)
        text = _shown(page)
        assert "Data Analyst at Globex" in text and "Umbrella" not in text
        assert "#" not in page.url and "key=" not in str(page.evaluate("() => location.href"))
        assert not any("key=" in url or "#" in url for url in requests)
    finally:
        context.close()


def test_after_removing_a_reader_their_passphrase_and_remembered_key_open_nothing(
        deployed: dict[str, Any], browser: Any) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(deployed["url"])
        _unlock(page, PASSPHRASES["sam"], remember=True)
        page.wait_for_url(lambda url: url != deployed["url"], timeout=15_000)
        home = page.url
        assert "SRE at Initech" in _shown(page)
        readers.remove_reader(deployed["root"], "sam")
        _deploy(deployed["root"], deployed["remote"], deployed["clone"])
        fresh = context.new_page()  # a new tab: only the remembered key is left
        for address in (home, deployed["url"]):
            fresh.goto(address)
            fresh.wait_for_selector("#gl-form:not([hidden])", timeout=15_000)
        _unlock(fresh, PASSPHRASES["sam"])
        fresh.wait_for_function("() => document.getElementById('gl-msg').textContent")
        assert "does not open" in fresh.inner_text("#gl-msg")
        assert fresh.locator("html[data-gl-unlocked]").count() == 0
        _unlock(fresh, PASSPHRASES["kim"])  # the others still open theirs
        fresh.wait_for_url(lambda url: url != deployed["url"], timeout=15_000)
        assert "Data Analyst at Globex" in _shown(fresh)
    finally:
        context.close()
