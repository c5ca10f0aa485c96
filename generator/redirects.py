"""Old addresses: an entry brought from another blog keeps its links working.

`permalink:` (Jekyll, or Hugo's `url:`) and `aliases:` (Hugo, or jekyll-redirect-from's
`redirect_from:`) name where the entry used to be. A public build writes a small page
there that sends the reader on. A private build writes none: a page at a readable path
would name the entry, and private sites publish opaque names only.
"""

from __future__ import annotations

import html
import posixpath
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from generator.model import Entry
from generator.render import OutputFile
from generator.urls import Urls, file_path


def old_address(address: str) -> tuple[str | None, str]:
    """('2016/03/10/acme.html', '') or (None, why it cannot be kept) for one address.

    The result is a logical path inside the site: '/blog/acme' and '/blog/acme/' both
    become 'blog/acme/', which every static host serves at both addresses.
    """
    parts = urlsplit(address.strip())
    path = unquote(parts.path)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return None, "it is not a web address"
    if ":" in path:
        return None, "it holds a placeholder such as :title; write the address itself"
    segments = [s for s in path.split("/") if s not in ("", ".")]
    if not segments:
        return None, "it is the site's home page"
    if ".." in segments or any("\\" in s or "\0" in s for s in segments):
        return None, "it leaves the site"
    logical = posixpath.join(*segments)
    has_suffix = "." in segments[-1] and not path.endswith("/")
    return (logical if has_suffix else logical + "/"), ""


def redirect_pages(entries: Iterable[Entry], urls: Urls, taken: set[str],
                   language: str = "en") -> list[OutputFile]:
    """One page per old address, pointing at the entry's page. A page the site has at that
    path wins (`taken`: output paths already written); the first entry claims an address."""
    pages: list[OutputFile] = []
    claimed = set(taken)
    for entry in sorted(entries, key=lambda e: e.source):
        for logical in entry.old_addresses:
            path = file_path(logical)
            if path in claimed:
                continue
            claimed.add(path)
            pages.append(OutputFile(path, _page(urls.href(entry), entry.title, language)))
    return pages


def _page(href: str, title: str, language: str) -> bytes:
    to = html.escape(href)
    name = html.escape(title)
    return (f'<!DOCTYPE html>\n<html lang="{html.escape(language)}">\n<head>\n'
            '<meta charset="utf-8">\n'
            f"<title>Moved: {name}</title>\n"
            f'<meta name="robots" content="noindex">\n'
            f'<link rel="canonical" href="{to}">\n'
            f'<meta http-equiv="refresh" content="0; url={to}">\n</head>\n<body>\n'
            f'<p>This page has moved: <a href="{to}">{name}</a>.</p>\n</body>\n</html>\n'
            ).encode()
