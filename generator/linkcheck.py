"""Internal links of a built site: every href and src names a file that is there.

Pages are read as a server would serve them under base_url: `x/index.html` answers at
`<base_url>x/`, and 404.html at any missing address (so its links must not be relative).
A `#fragment` must name an id (or an anchor's name) on the target page.
"""

from __future__ import annotations

import base64
import contextlib
import json
import posixpath
import re
from collections.abc import Iterable, Mapping
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from generator import keys
from generator.crypto import SiteKeys, TamperedFile, open_file
from generator.value import Value, frozen

# Where 404.html is checked from: a missing address two folders deep.
_MISSING = "no/such/page/"
SEARCH_INDEX = "search/index.json"
_SHELL_PAGE = re.compile(r'<script type="application/json" id="gl-page">(.*?)</script>', re.S)


@frozen
class BrokenLink(Value):
    """A link of the built site that does not resolve."""

    page: str
    """The page's path in the built folder."""
    line: int
    target: str
    reason: str

    def format(self) -> str:
        return f"{self.page}:{self.line}: {self.target}: {self.reason}"


@frozen
class _Link(Value):
    """A link as found on a page, with its line."""

    line: int
    target: str


class _Scan(HTMLParser):
    """The href/src values and the ids of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[_Link] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if value is None:
                continue
            if name in ("href", "src", "xlink:href"):
                self.links.append(_Link(line, value))
            elif name == "srcset":
                self.links.extend(_Link(line, part.split()[0])
                                  for part in value.split(",") if part.strip())
            elif name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)


def _scan(html: str) -> _Scan:
    scan = _Scan()
    scan.feed(html)
    scan.close()
    return scan


def page_url(path: str, base_url: str) -> str:
    """The address a page of the built folder answers at."""
    if path == "404.html":
        return base_url + _MISSING
    return base_url + (path.removesuffix("index.html") if path.endswith("index.html") else path)


def is_external(target: str) -> bool:
    """A link to another site (or any scheme: mailto:, data:, blob:)."""
    parts = urlsplit(target)
    return bool(parts.scheme or parts.netloc)


def check_links(pages: Mapping[str, str], files: Iterable[str],
                base_url: str = "/") -> list[BrokenLink]:
    """Every broken internal link of the pages ({path: HTML}); files: every path there is."""
    present = set(files) | set(pages)
    scans = {path: _scan(html) for path, html in pages.items()}
    broken: list[BrokenLink] = []
    for path, scan in sorted(scans.items()):
        here = page_url(path, base_url)
        for link in scan.links:
            reason = _resolve(link.target, here, path, base_url, present, scans)
            if reason:
                broken.append(BrokenLink(path, link.line, link.target, reason))
    return broken


def _resolve(target: str, here: str, page: str, base_url: str, present: set[str],
             scans: Mapping[str, _Scan]) -> str | None:
    """Why the target does not resolve, or None when it does."""
    if is_external(target):
        return None
    parts = urlsplit(target)
    address = unquote(urlsplit(urljoin(here, target)).path)
    if not address.startswith(base_url):
        return f"points outside the site (base_url is {base_url})"
    relative = posixpath.normpath(address[len(base_url):]) if address != base_url else ""
    relative = "" if relative == "." else relative
    found = page if not parts.path and not parts.query else next(  # (a fragment of this page)
        (c for c in (relative, posixpath.join(relative, "index.html")) if c and c in present), "")
    if not found:
        return "no such file in the built site"
    fragment = unquote(parts.fragment)
    if fragment and found in scans and fragment not in scans[found].ids:
        return f"no element with id {fragment!r} on {found}"
    return None


def read_site(out_dir: Path, *, root: Path | None = None,
              password: str | None = None) -> tuple[dict[str, str], list[str]]:
    """A built folder's pages ({path: HTML}) and every file's path.

    A private build's pages are opened with the passphrase (and the log's keyfile). The
    search index, when there is one, is read as a page of the links its results show.
    """
    files = sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file())
    pages = {path: (out_dir / path).read_text(encoding="utf-8", errors="replace")
             for path in files if path.endswith(".html")}
    private = any(_SHELL_PAGE.search(html) for html in pages.values())
    if private:
        if root is None or password is None:
            raise ValueError("a private build's pages need the log's root and passphrase")
        _, site_keys, views = keys.unlock_views(root, password)
        every = [site_keys, *(view for _, view in views)]  # readers' views share the folder
        for path, html in pages.items():
            match = _SHELL_PAGE.search(html)
            if match:
                sealed = base64.b64decode(json.loads(match.group(1))["payload"])
                pages[path] = _open_any(every, path, sealed).decode("utf-8", "replace")
    index = out_dir / SEARCH_INDEX
    if not private and index.is_file():  # search results link to these addresses
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            records = json.loads(index.read_text(encoding="utf-8"))["entries"]
            pages[SEARCH_INDEX] = "".join(f'<a href="{escape(r["u"])}"></a>'
                                          for r in records)
    return pages, files


def _open_any(every: list[SiteKeys], path: str, sealed: bytes) -> bytes:
    for site_keys in every[:-1]:
        with contextlib.suppress(TamperedFile):
            return open_file(site_keys, path, sealed)[1]
    return open_file(every[-1], path, sealed)[1]


def is_private_build(out_dir: Path) -> bool:
    index = out_dir / "index.html"
    return index.is_file() and _SHELL_PAGE.search(index.read_text(
        encoding="utf-8", errors="replace")) is not None
