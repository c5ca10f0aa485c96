"""The unlock runtime in real headless Chromium against a local server (a secure context)."""

from __future__ import annotations

import base64
import functools
import json
import re
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from generator import keys
from generator.build import build
from generator.crypto import derive_kek, open_file, unwrap_site_key
from generator.private import shell_parts

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
           "public": _serve(str(root / "public")), "swapped": _serve(str(_swapped(root)))}


def _swapped(root: Path) -> Path:
    """A copy of the private site where a host put shells under other pages' addresses:
    an entry's shell as the home page, and one whose id was edited to match its new address."""
    folder = root / "swapped"
    shutil.copytree(root / "output", folder)
    shells = sorted(p for p in folder.glob("*/index.html"))
    entry = next(p for p in shells if b"Marrowfield" in _plain(root, p, folder))
    other = next(p for p in shells if p != entry)
    (folder / "index.html").write_bytes(entry.read_bytes())
    own_id = entry.relative_to(folder).as_posix()
    other.write_bytes(entry.read_bytes().replace(
        f'"id":"{own_id}"'.encode(), f'"id":"{other.relative_to(folder).as_posix()}"'.encode()))
    return folder


def _plain(root: Path, shell: Path, folder: Path) -> bytes:
    match = re.search(rb'id="gl-page">(.*?)</script>', shell.read_bytes(), re.S)
    assert match is not None
    page = json.loads(match.group(1))
    _, site_keys = keys.unlock(root, PASSWORD)
    return open_file(site_keys, page["id"], base64.b64decode(page["payload"]))[1]


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
    _unlocked(page)  # the browser's key opened a page Python sealed


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


def test_an_unlock_script_changed_on_the_host_never_runs(site: dict[str, Any],
                                                        context: Any) -> None:
    """The runtime is a file anyone who can place files on the origin can change: the
    shell's policy pins its bytes, so a changed one is refused and the page says so."""
    page = context.new_page()
    messages = _watch(page)
    runtime = shell_parts().runtime

    def changed(route: Any) -> None:
        route.fulfill(status=200, content_type="text/javascript",
                      body=runtime.replace("'use strict';", "'use strict'; window.__pwned = 1;"))

    page.route(f"**/{shell_parts().runtime_file}", changed)
    page.goto(site["private"])
    page.wait_for_function(
        "() => document.getElementById('gl-note').textContent.includes('could not load')")
    assert page.evaluate("window.__pwned === undefined")
    assert page.is_hidden("#gl-form")
    assert any("Content Security Policy" in m for m in messages), messages


def test_outside_a_secure_context_it_says_to_use_https(site: dict[str, Any],
                                                       context: Any) -> None:
    out = site["root"] / "output"
    page = context.new_page()
    page.route("http://insecure.test/**", lambda route: route.fulfill(  # the site, over HTTP
        status=200, body=(out / (urlsplit(route.request.url).path[1:] or "index.html"))
        .read_bytes(), content_type="text/html"))
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


STORAGE = """async () => {
  const seen = [];
  const walk = async (value, where) => {
    if (value instanceof CryptoKey) {
      let raw = null;
      try { raw = new Uint8Array(await crypto.subtle.exportKey('raw', value)); } catch (e) { }
      seen.push({where, cryptoKey: true, extractable: value.extractable, usages: value.usages,
                 raw: raw && Array.from(raw)});
    } else if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
      seen.push({where, bytes: Array.from(new Uint8Array(value.buffer || value))});
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) await walk(v, where + '.' + k);
    } else {
      seen.push({where, text: String(value)});
    }
  };
  for (const [name, area] of [['session', sessionStorage], ['local', localStorage]]) {
    for (const k of Object.keys(area)) await walk(area.getItem(k), name + ':' + k);
  }
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((ok, no) => {
      const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); r.onerror = no; });
    for (const name of db.objectStoreNames) {
      const store = db.transaction(name, 'readonly').objectStore(name);
      const all = (r) => new Promise((ok) => { r.onsuccess = () => ok(r.result); });
      const [ids, values] = [await all(store.getAllKeys()), await all(store.getAll())];
      for (let i = 0; i < ids.length; i++) {
        await walk(String(ids[i]), `idb:${info.name}/${name}#key`);
        await walk(values[i], `idb:${info.name}/${name}/${ids[i]}`);
      }
    }
    db.close();
  }
  return seen;
}"""


def _storage(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate(STORAGE))


def _key_forms(secret: bytes) -> list[str]:
    return [base64.b64encode(secret).decode(), base64.urlsafe_b64encode(secret).decode(),
            base64.b64encode(secret).decode().rstrip("="), secret.hex(), secret.hex().upper(),
            secret.decode("latin-1")]


def test_no_storage_a_page_script_reads_yields_raw_key_bytes(site: dict[str, Any],
                                                              context: Any) -> None:
    """Finding 6: the tab keeps a non-extractable key; nothing readable is the key itself."""
    blob, site_keys = keys.unlock(site["root"], PASSWORD)
    site_key = unwrap_site_key(blob, PASSWORD)
    secrets = (site_keys.content, site_key, site_keys.slug, site_keys.nonce)
    page = context.new_page()
    page.goto(site["private"])
    _unlock(page, remember=True)
    _unlocked(page)
    page.click("nav a:has-text('Timeline')")  # the next page in the tab needs no passphrase
    _unlocked(page)
    stored = _storage(page)
    handles = [s for s in stored if s.get("cryptoKey")]
    assert len(handles) == 2, stored  # this tab's key and the remembered one
    assert all(not h["extractable"] and h["raw"] is None and h["usages"] == ["decrypt"]
               for h in handles), handles
    for item in stored:
        found = bytes(item["bytes"]) if "bytes" in item else item.get("text", "").encode(
            "latin-1", "replace")
        for secret in secrets:
            assert secret not in found and not any(
                form.encode("latin-1") in found for form in _key_forms(secret)), item
    page.click("#gl-lock")
    page.wait_for_selector("#gl-form:not([hidden])")
    assert not [s for s in _storage(page) if s.get("cryptoKey")]
    assert page.evaluate("Object.keys(sessionStorage).length") == 0


def test_a_new_tab_asks_again_and_an_expired_tab_key_is_removed(site: dict[str, Any],
                                                                context: Any) -> None:
    page = context.new_page()
    page.goto(site["private"])
    _unlock(page)
    _unlocked(page)
    other = context.new_page()
    other.goto(site["private"])
    other.wait_for_selector("#gl-form:not([hidden])")
    assert len([s for s in _storage(page) if s.get("cryptoKey")]) == 1
    page.evaluate("""() => new Promise((ok) => {
      const r = indexedDB.open('growthlog-private');
      r.onsuccess = () => {
        const tx = r.result.transaction('keys', 'readwrite');
        const store = tx.objectStore('keys');
        store.openCursor().onsuccess = (e) => {
          const c = e.target.result;
          if (c) { c.update({...c.value, expires: Date.now() - 1}); c.continue(); }
        };
        tx.oncomplete = () => { r.result.close(); ok(); };
      };
    })""")
    page.reload()
    page.wait_for_selector("#gl-form:not([hidden])")
    page.wait_for_function("""() => new Promise((ok) => {
      const r = indexedDB.open('growthlog-private');
      r.onsuccess = () => { const q = r.result.transaction('keys').objectStore('keys').count();
                            q.onsuccess = () => { r.result.close(); ok(q.result === 0); }; };
    })""")


CRAFTED = ("#%E0%A4%A", "#%", "?q=%E0%A4%A", "?%ZZ=1#%E0%A4%A", "#lock%", "#gl-%ZZ%ZZ")


def test_bad_input_in_the_address_keeps_the_key_and_the_page(site: dict[str, Any],
                                                             context: Any) -> None:
    """Finding 8: a crafted link never throws, never forgets the remembered key."""
    first = context.new_page()
    first.goto(site["private"])
    _unlock(first, remember=True)
    _unlocked(first)
    entry = first.get_attribute("main a:has-text('Marrowfield Bank')", "href")
    assert entry
    for address in (site["private"], site["private"] + entry.lstrip("/")):
        for crafted in CRAFTED:
            tab = context.new_page()  # a fresh load that finds only the remembered key
            messages = _watch(tab)
            tab.goto(address + crafted)
            _unlocked(tab)
            assert tab.locator("main").inner_text().strip()
            assert not [m for m in messages if "Error" in m], (crafted, messages)
            tab.close()
    last = context.new_page()
    last.goto(site["private"])
    _unlocked(last)


def test_a_shell_under_another_pages_address_refuses_to_open(site: dict[str, Any],
                                                             context: Any) -> None:
    """Finding 9: each payload opens only at the address it was sealed for."""
    page = context.new_page()
    page.goto(site["swapped"])
    page.wait_for_function("() => /another address/.test(document.body.innerText)")
    assert page.is_hidden("#gl-form") and "Marrowfield" not in page.content()
    swapped = page
    folder = site["root"] / "swapped"
    edited = next(p for p in sorted(folder.glob("*/index.html"))
                  if p.read_bytes() != (site["root"] / "output" / p.relative_to(folder))
                  .read_bytes())
    swapped.goto(site["swapped"] + edited.parent.name + "/")
    _unlock(swapped)
    swapped.wait_for_function("() => /could not be opened/.test(document.body.innerText)")
    assert "Marrowfield" not in swapped.content()
    assert swapped.locator("html[data-gl-unlocked]").count() == 0


def test_the_not_found_page_opens_at_any_missing_address(site: dict[str, Any],
                                                         context: Any) -> None:
    shell = (site["root"] / "output" / "404.html").read_bytes()
    page = context.new_page()
    page.route(site["private"] + "no/such/page/", lambda route: route.fulfill(
        status=404, content_type="text/html", body=shell))
    page.goto(site["private"])
    _unlock(page)
    _unlocked(page)
    page.goto(site["private"] + "no/such/page/")
    _unlocked(page)


def test_a_build_with_remembering_off_drops_the_remembered_key(site: dict[str, Any],
                                                              context: Any) -> None:
    """Finding 7: once a build turns remembering off (a shared origin), devices forget."""
    first = context.new_page()
    first.goto(site["private"])
    _unlock(first, remember=True)
    _unlocked(first)
    off = (site["root"] / "output" / "index.html").read_bytes().replace(
        b'"remember_days":7', b'"remember_days":0')
    second = context.new_page()
    second.route(site["private"], lambda route: route.fulfill(
        status=200, content_type="text/html", body=off))
    second.goto(site["private"])
    second.wait_for_selector("#gl-form:not([hidden])")
    assert second.is_hidden("#gl-remember-row")
    second.wait_for_function("""() => new Promise((ok) => {
      const r = indexedDB.open('growthlog-private');
      r.onsuccess = () => { const q = r.result.transaction('keys').objectStore('keys').getAllKeys();
                            q.onsuccess = () => { r.result.close();
                                                  ok(!q.result.some((k) => !k.includes('|'))); }; };
    })""")
    third = context.new_page()
    third.goto(site["private"])
    third.wait_for_selector("#gl-form:not([hidden])")


_LOOK = """() => {
  const style = sel => getComputedStyle(document.querySelector(sel));
  const first = font => font.split(',')[0].trim().replace(/"/g, '');
  return {
    background: getComputedStyle(document.documentElement).backgroundColor !== 'rgba(0, 0, 0, 0)'
      ? getComputedStyle(document.documentElement).backgroundColor : style('body').backgroundColor,
    heading: first(style('h1').fontFamily),
    body: first(style('main').fontFamily),
    accent: document.querySelector('#gl-form button')
      ? style('#gl-form button').backgroundColor
      : style('.site-nav a[aria-current]').borderBottomColor,
    lines: document.body.innerText.split('\\n').map(s => s.trim()).filter(Boolean),
    title: document.title,
  };
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_unlock_page_wears_the_theme_and_names_nothing(site: dict[str, Any], browser: Any,
                                                         scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(site["public"])
        theme = page.evaluate(_LOOK)
        page.goto(site["private"])
        page.wait_for_selector("#gl-form:not([hidden])")
        gate = page.evaluate(_LOOK)
        # The theme's paper, ink, serif heading, sans text and accent: not the browser's
        # default form (white page, Times, a grey button).
        for key in ("background", "heading", "body", "accent"):
            assert gate[key] == theme[key], (key, gate[key], theme[key])
        assert gate["heading"] != gate["body"]
        assert page.evaluate("getComputedStyle(document.querySelector('#gl-form button'))"
                             ".borderRadius") != "0px"
        # Nothing that identifies the log: no title, author or word of any entry.
        assert gate["title"] == "Journal"
        assert set(gate["lines"]) <= {
            "Journal", "This journal is private. Enter the passphrase to read it.",
            "Passphrase", "Remember on this device for 7 days", "Unlock"}
    finally:
        context.close()
