"""The unlock runtime in real headless Chromium against a local server (a secure context)."""

from __future__ import annotations

import base64
import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from generator import keys
from generator.build import build
from generator.crypto import derive_kek

from conftest import REPO

PASSWORD = "cobalt hazel dune tripod plaza"
WRONG = "quiet lantern orbit maple fennel"
INJECTED = """---
title: Platform Engineer at Zephyrine Labs
date: 2024-01-05
company: Zephyrine Labs
---
Zephyrine asked about incident response in a calm and thoughtful way.

<script>window.__pwned = 'script';</script>
<img src="nowhere.png" onerror="window.__pwned = 'handler'">
<a id="js-link" href="javascript:window.__pwned='link'">a link</a>
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@functools.cache
def _serve(folder: str) -> str:
    handler = functools.partial(_Quiet, directory=folder)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("browser") / "log"
    shutil.copytree(REPO / "content", root / "content")
    (root / "content" / "2024-01-05-zephyrine.md").write_text(INJECTED, encoding="utf-8")
    (root / "growthlog.toml").write_text("unsafe_html = true\nremember_days = 7\n")
    keys.init_keyfile(root, PASSWORD)
    build(root, private=True, password=PASSWORD)
    build(root, output=root / "public")
    yield {"root": root, "private": _serve(str(root / "output")),
           "public": _serve(str(root / "public"))}


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context()
    yield ctx
    ctx.close()


def _watch(page: Any) -> list[str]:
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    page.on("pageerror", lambda e: messages.append(str(e)))
    return messages


def _unlock(page: Any, password: str = PASSWORD, remember: bool = False) -> None:
    page.wait_for_selector("#gl-form:not([hidden])")
    page.fill("#gl-pass", password)
    if remember:
        page.check("#gl-remember")
    page.click("#gl-form button[type=submit]")


def _unlocked(page: Any) -> None:
    page.wait_for_selector("html[data-gl-unlocked]", timeout=10_000)
    assert page.locator("#gl-form").count() == 0


def test_unlock_read_an_entry_and_browse_without_asking_again(site: dict[str, Any],
                                                              context: Any) -> None:
    page = context.new_page()
    messages = _watch(page)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(site["private"])
    assert page.title() == "Journal"
    assert "Marrowfield" not in page.content()
    _unlock(page)
    _unlocked(page)
    assert page.title() == "Journal"
    page.click("main a:has-text('Marrowfield Bank')")
    _unlocked(page)
    assert "Say \u201cI\u201d when describing my own work." in page.inner_text("main") or \
        "when describing my own work" in page.inner_text("main")
    visited = set()
    for label in ("Timeline", "Tags", "Lessons", "Actions"):
        page.click(f"nav a:has-text('{label}')")
        _unlocked(page)
        visited.add(page.url)
        assert page.locator("main").inner_text().strip()
    assert len(visited) == 4 and all("/entries/" not in url and "/tags/" not in url
                                     for url in visited)
    styles = page.eval_on_selector_all("head style", "els => els.map(e => e.textContent.length)")
    assert len(styles) >= 2  # the shell's own and the theme's stylesheet, decrypted
    assert not [m for m in messages if "Content Security Policy" in m or "Refused" in m], messages
    assert requests and all(url.startswith((site["private"], "blob:", "data:"))
                            for url in requests), requests


def test_the_decrypted_page_shows_what_the_public_page_shows(site: dict[str, Any],
                                                              context: Any) -> None:
    page = context.new_page()
    page.goto(site["public"])
    with page.expect_navigation(wait_until="load"):
        page.click("main a:has-text('Marrowfield Bank')")
    public_text = page.inner_text("main")
    public_color = page.eval_on_selector("body", "b => getComputedStyle(b).color")
    page.goto(site["private"])
    _unlock(page)
    _unlocked(page)
    page.click("main a:has-text('Marrowfield Bank')")
    _unlocked(page)
    assert page.inner_text("main") == public_text
    assert page.eval_on_selector("body", "b => getComputedStyle(b).color") == public_color


def test_attachment_image_is_decrypted_into_a_blob(site: dict[str, Any], context: Any) -> None:
    page = context.new_page()
    page.goto(site["private"])
    _unlock(page)
    _unlocked(page)
    page.goto(site["private"])
    page.click("nav a:has-text('Timeline')")
    _unlocked(page)
    page.click("main a:has-text('Northwind Analytics') >> nth=0")
    _unlocked(page)
    if page.locator("main img").count() == 0:  # the other Northwind entry holds the image
        page.go_back()
        _unlocked(page)
        page.click("main a:has-text('Northwind Analytics') >> nth=1")
        _unlocked(page)
    image = page.locator("main img").first
    page.wait_for_function("img => img.src.startsWith('blob:') && img.naturalWidth > 0",
                           arg=image.element_handle())


def test_lock_forgets_the_key(site: dict[str, Any], context: Any) -> None:
    page = context.new_page()
    page.goto(site["private"])
    _unlock(page)
    _unlocked(page)
    page.click("#gl-lock")
    page.wait_for_selector("#gl-form:not([hidden])")
    assert page.evaluate("Object.keys(sessionStorage).length") == 0
    assert "Marrowfield" not in page.content()
    page.goto(site["private"] + "404.html")
    page.wait_for_selector("#gl-form:not([hidden])")


def test_remember_on_this_device_then_lock_everywhere(site: dict[str, Any],
                                                      context: Any) -> None:
    first = context.new_page()
    first.goto(site["private"])
    first.wait_for_selector("#gl-form:not([hidden])")
    assert first.is_visible("#gl-remember") and first.inner_text("#gl-days") == "7"
    _unlock(first, remember=True)
    _unlocked(first)
    second = context.new_page()  # a new tab: empty sessionStorage, key from IndexedDB
    second.goto(site["private"])
    _unlocked(second)
    assert second.evaluate("Object.keys(sessionStorage).length") == 0
    second.click("#gl-lock")
    second.wait_for_selector("#gl-form:not([hidden])")
    first.wait_for_selector("#gl-form:not([hidden])")  # told through BroadcastChannel
    third = context.new_page()
    third.goto(site["private"])
    third.wait_for_selector("#gl-form:not([hidden])")


def test_wrong_passphrase_shows_a_message_and_no_plaintext(site: dict[str, Any],
                                                           context: Any) -> None:
    page = context.new_page()
    page.goto(site["private"])
    _unlock(page, WRONG)
    page.wait_for_function("() => document.getElementById('gl-msg').textContent.length > 0")
    assert "does not open this journal" in page.inner_text("#gl-msg")
    html = page.content()
    for secret in ("Marrowfield", "Northwind", "system-design", "My growth log"):
        assert secret not in html
    assert page.evaluate("Object.keys(sessionStorage).length") == 0


def test_python_and_webcrypto_derive_the_same_keys(site: dict[str, Any], context: Any) -> None:
    page = context.new_page()
    page.goto(site["private"])
    page.wait_for_selector("#gl-form:not([hidden])")
    salt = bytes(range(16))
    for password in (PASSWORD, "caf\u00e9 \u00fcber na\u0308ive"):
        js = page.evaluate("([p, s]) => growthlogPrivate.deriveKekHex(p, s, 600000)",
                           [password, base64.b64encode(salt).decode()])
        assert js == derive_kek(password, salt, 600_000).hex()
    _unlock(page)
    _unlocked(page)
    stored = page.evaluate("Object.values(sessionStorage)[0]")
    _, site_keys = keys.unlock(site["root"], PASSWORD)
    assert base64.b64decode(stored) == site_keys.content


def test_scripts_and_handlers_inside_an_entry_do_not_run(site: dict[str, Any],
                                                         context: Any) -> None:
    page = context.new_page()
    page.goto(site["private"])
    _unlock(page)
    _unlocked(page)
    page.click("nav a:has-text('Timeline')")
    _unlocked(page)
    page.click("main a:has-text('Zephyrine Labs')")
    _unlocked(page)
    assert "incident response" in page.inner_text("main")
    page.click("#js-link")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned === undefined")


def test_outside_a_secure_context_it_says_to_use_https(site: dict[str, Any],
                                                       context: Any) -> None:
    shell = (site["root"] / "output" / "index.html").read_bytes()
    page = context.new_page()
    page.route("http://insecure.test/**", lambda route: route.fulfill(
        status=200, content_type="text/html", body=shell))
    page.goto("http://insecure.test/")
    page.wait_for_function(
        "() => document.getElementById('gl-note').textContent.includes('HTTPS')")
    assert page.is_hidden("#gl-form")


def test_it_refuses_to_unlock_inside_a_frame(site: dict[str, Any], context: Any) -> None:
    page = context.new_page()
    page.route(site["private"] + "framed.html", lambda route: route.fulfill(
        status=200, content_type="text/html", body='<iframe src="/"></iframe>'))
    page.goto(site["private"] + "framed.html")
    frame = page.frame_locator("iframe")
    frame.locator("#gl-note:has-text('inside a frame')").wait_for()
    assert frame.locator("#gl-form").is_hidden()
