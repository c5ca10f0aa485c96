"""Private mode: rendered OutputFiles → opaque names, sealed payloads and the unlock shell.

Every page becomes the same generic shell (generic title, noindex, no-referrer, a hash-pinned
CSP, the unlock form) carrying its own sealed payload; every other file (stylesheets,
attachments, data files, the theme's search script) becomes a sealed `.bin` the runtime
fetches after unlocking. The unlock runtime is one file of growthlog's own, published once
(`unlock-<hash>.js`) and loaded by a short loader in each shell: the CSP pins both by hash,
so nothing but those exact bytes runs, whoever can place files on the origin.
Names are keyed HMACs of the real paths (OpaqueNames is the Urls rename hook), so links in
the decrypted pages already point at other shells. Sitemaps and feeds are never published.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from urllib.parse import quote

from generator.config import SiteConfig, remembering
from generator.crypto import KeyBlob, SiteKeys, Slot, opaque_token, seal_file
from generator.render import OutputFile
from generator.value import Value, frozen

ROBOTS_TXT = b"User-agent: *\nDisallow: /\n"
NEVER_PUBLISHED = frozenset({"sitemap.xml", "feed.xml", "atom.xml", "rss.xml", "index.xml",
                             "feed.json"})
"""Logical paths dropped in private mode: listings meant for crawlers and feed readers."""
KEPT_NAMES = frozenset({"", "404.html"})
"""Logical paths that keep their name: the site root and GitHub Pages' not-found page."""

Nonce = Callable[[], bytes]


@dataclass(eq=False, repr=False)
class OpaqueNames:
    """The Urls rename hook: 'entries/acme/' → '<16 base32>/', 'static/x.css' → '<…>.bin'."""

    slug_key: bytes
    kept: frozenset[str] = KEPT_NAMES
    """Paths that keep their name: a reader's view keeps none (its home is opaque)."""
    logical: dict[str, str] = field(default_factory=dict, compare=False)
    """Renamed path → the logical path it came from (filled as paths are renamed)."""
    renamed: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    """Logical path → its name: each HMAC is computed once per build, not per link."""

    def __call__(self, logical: str) -> str:
        # A logical path is a path, never a URL: '#', '?', '%' or '://' in it belong to a
        # name (a stage may be called anything), so every path but the kept ones is renamed.
        # Fragments are added to hrefs after renaming (Urls.href).
        known = self.renamed.get(logical)
        if known is not None:
            return known
        if logical in self.kept:
            return logical
        token = opaque_token(self.slug_key, logical)
        page = logical == "" or logical.endswith(("/", ".html"))  # '': a view's home
        renamed = f"{token}/" if page else f"{token}.bin"
        self.logical[renamed] = logical
        self.renamed[logical] = renamed
        return renamed


def _asset(name: str) -> str:
    return resources.files("generator").joinpath("assets", name).read_text(encoding="utf-8")


SEARCH_SCRIPT = "static/search.js"
"""The theme's search: sealed like any file; the runtime runs it after unlocking, and the
CSP pins it by hash (it holds no log content)."""


@frozen
class ShellParts(Value):
    """growthlog's own bytes in a private site, as `encrypt_site` publishes them: the audit
    checks shells and the runtime file against them byte for byte, so none of it is ever
    taken for a leak."""

    template: str
    """shell.html with its @@FIELD@@ placeholders."""
    runtime: str
    """unlock.js, published once as `runtime_file`."""
    runtime_file: str
    """unlock-<16 hex of its SHA-256>.js: a new runtime is a new name, so no cache serves
    an old one to a new shell (the CSP would refuse it)."""
    loader: str
    """The script every shell inlines: it fetches the runtime file and runs it."""
    style: str


def shell_parts() -> ShellParts:
    runtime = _asset("unlock.js")
    name = f"unlock-{hashlib.sha256(runtime.encode()).hexdigest()[:16]}.js"
    return ShellParts(_asset("shell.html"), runtime, name,
                      _asset("loader.js").replace("@@FILE@@", name), _asset("shell.css"))


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _styles_in(files: Iterable[tuple[str, bytes]]) -> list[str]:
    """Texts the decrypted pages will put in <style> elements: stylesheets and inline styles."""
    found: set[str] = set()
    for path, data in files:
        if path.endswith(".css"):
            found.add(data.decode("utf-8", "replace"))
        elif path.endswith(".html"):  # as bytes: a page is not decoded to find a few tags
            found.update(style.decode("utf-8", "replace") for style in
                         re.findall(rb"<style[^>]*>(.*?)</style>", data, re.S | re.I))
    return sorted(found)


def content_security_policy(scripts: Iterable[str], styles: Iterable[str]) -> str:
    """Nothing may load from elsewhere; only the pinned scripts run (the loader, the runtime
    it inserts, the theme's search), each as an inline script whose hash is listed: no
    'self', since other sites of a shared origin (user.github.io/*) are 'self' too."""
    style_src = " ".join(csp_hash(s) for s in styles)
    script_src = " ".join(csp_hash(s) for s in scripts)
    return ("default-src 'none'; "
            f"script-src {script_src}; "
            f"style-src {style_src}; style-src-attr 'unsafe-inline'; "
            "img-src 'self' blob: data:; connect-src 'self'; "
            "base-uri 'none'; form-action 'none'")


def _json_script(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).replace("</", "<\\/")


def _page_json(base: str, path: str, payload: bytes) -> bytes:
    """_json_script({"base", "id", "payload"}) without escaping the payload's 12 KB or so of
    base64 again (it has no character JSON or '</' would change)."""
    return (f'{{"base":{base},"id":{_json_script(path)},"payload":"'.encode("ascii")
            + payload + b'"}')


def _title(page: bytes) -> str:
    match = re.search(rb"<title[^>]*>(.*?)</title>", page, re.S | re.I)
    return match.group(1).decode("utf-8", "replace").strip() if match else ""


def encrypt_site(files: Iterable[OutputFile], *, keys: SiteKeys, blob: KeyBlob,
                 names: OpaqueNames, config: SiteConfig, base_url: str,
                 rerandomize: bool = False, nonce: Nonce | None = None,
                 slots: Iterable[Slot] = (), folder_files: bool = True) -> list[OutputFile]:
    """Seal every file; pages become shells. Deterministic unless rerandomize.
    `slots`: every reader's, published in every shell so one unlock page opens each view.
    `folder_files`: also robots.txt and the runtime file, which a reader's view shares with
    the author's site in the same folder."""
    kept = [(f.path, f.data) for f in files
            if names.logical.get(f.path.removesuffix("index.html"), f.path)
            not in NEVER_PUBLISHED and f.path not in NEVER_PUBLISHED]
    make_nonce = (nonce or (lambda: os.urandom(12))) if rerandomize else (lambda: None)
    parts = shell_parts()
    styles = _styles_in((names.logical.get(path, path), data) for path, data in kept)
    # The theme's search script holds no log content: the runtime runs its decrypted text
    # after unlock (and hands it the decrypted index), so the CSP pins that text.
    search = [data.decode() for path, data in kept
              if names.logical.get(path, path) == SEARCH_SCRIPT]
    csp = content_security_policy([parts.loader, parts.runtime, *search],
                                  [parts.style, *styles])
    published = {**blob.to_json(), "remember_days": remembering(config, base_url),
                 "reveal_titles": config.reveal_titles}
    if slots:  # by random id: their order says nothing about the readers
        published["slots"] = [s.to_json() for s in sorted(slots, key=lambda s: s.id)]
    key_json = _json_script(published)
    shell = (parts.template.replace("@@LANG@@", quote(config.language, safe="-"))
             .replace("@@CSP@@", csp).replace("@@STYLE@@", parts.style)
             .replace("@@KEY@@", key_json).replace("@@LOADER@@", parts.loader))
    # Encoded once; joining bytes is the same UTF-8 as shell.replace(...).encode().
    pieces = [piece.encode("utf-8") for piece in shell.split("@@PAGE@@")]
    base = _json_script(base_url)
    out = [OutputFile("robots.txt", ROBOTS_TXT),
           OutputFile(parts.runtime_file, parts.runtime.encode("utf-8"))] if folder_files else []
    for path, data in kept:
        if path.endswith(".html"):
            meta = {"kind": "page", "title": _title(data)}
            sealed = seal_file(keys, path, meta, data, make_nonce())
            page = _page_json(base, path, base64.b64encode(sealed))
            out.append(OutputFile(path, page.join(pieces)))
        else:
            logical = names.logical.get(path, path)
            kind = mimetypes.guess_type(logical)[0] or "application/octet-stream"
            out.append(OutputFile(path, seal_file(keys, path, {"kind": "file", "type": kind},
                                                  data, make_nonce())))
    return out
