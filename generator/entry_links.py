"""Links between entries, resolved once every entry is read.

Each entry is parsed alone (serve re-reads only the file saved), so a link to another
entry cannot know that entry's page yet: markup.py gives it a `growthlog-entry:` address
(a relative link to a Markdown file) and notes.py a `growthlog-wiki:` one (a [[wikilink]]).
Here each address becomes the href of the entry's page, by path, file name, title or
alias (Obsidian's other names of a note);
a link to no entry becomes plain text and a warning with its file and line, never a
broken link. A site-absolute link shaped like a blog post's address (`growthlog-old:`,
`/news/2016/04/19/x/`) may be an old address of an entry: its `permalink` or
`redirect_from`, or the address Jekyll gave the post `2016-04-19-x.markdown`; it links to
that entry's page, and to no entry stays as written, with no warning.
"""

from __future__ import annotations

import functools
import html
import posixpath
import re
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import quote, unquote, urlsplit

from generator.errors import Problem, Severity
from generator.model import Entry
from generator.sources import ENTRY_SUFFIXES, entry_stem
from generator.urls import entry_path
from generator.value import Value, frozen

ENTRY_SCHEME = "growthlog-entry:"
WIKI_SCHEME = "growthlog-wiki:"
OLD_SCHEME = "growthlog-old:"
_LINK = re.compile(r'<a href="(growthlog-(?:entry|wiki|old):[^"]*)">(.*?)</a>', re.S)
_DATED = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})/([^/]+?)(?:\.html?)?/?$")
_MARKDOWN_LINK = re.compile(r"\[((?:[^\]\\]|\\.)*)\]\(<growthlog-wiki:[^>]*>\)")

Href = Callable[[Entry], str]
LinkCache = dict[str, tuple[Entry, tuple[str | None, ...], Entry]]
"""By entry source: (the entry as parsed, its links' hrefs, the entry with them in)."""


def entry_address(path: str, fragment: str = "") -> str:
    """The address markup.py writes for a relative link to an entry file."""
    return ENTRY_SCHEME + quote(path) + ("#" + quote(fragment, safe="") if fragment else "")


def is_dated_address(target: str) -> bool:
    """A site-absolute link shaped like a blog post's address: '/news/2016/04/19/x/'."""
    return target.startswith("/") and not target.startswith("//") and bool(
        _DATED.search(urlsplit(target).path))


def site_address(target: str) -> str:
    """The address markup.py writes for a site-absolute link ('/news/2016/04/19/x/')."""
    return OLD_SCHEME + quote(target, safe="")


def plain_wikilinks(markdown: str) -> str:
    """A body's text (for summaries and search) with [[wikilinks]] as their words."""
    return _MARKDOWN_LINK.sub(lambda m: re.sub(r"\\(.)", r"\1", m.group(1)), markdown)


def relative_href(entry: Entry) -> str:
    """An entry page's href from another entry page (both at entries/<slug>/)."""
    return "../../" + quote(entry_path(entry))


@frozen
class _Index(Value):
    """Every entry by each name a link may give it."""

    by_source: dict[str, Entry]
    by_stem: dict[str, list[Entry]]
    by_title: dict[str, list[Entry]]
    by_name: dict[str, list[Entry]]
    by_old: dict[str, Entry]


def _index(entries: list[Entry]) -> _Index:
    index = _Index({}, {}, {}, {}, {})
    for entry in sorted(entries, key=lambda e: e.source.split("/")):
        index.by_source[entry.source] = entry
        index.by_stem.setdefault(entry_stem(entry.source).casefold(), []).append(entry)
        index.by_title.setdefault(" ".join(entry.title.split()).casefold(), []).append(entry)
        for name in entry.names:
            index.by_name.setdefault(name.casefold(), []).append(entry)
        for logical in entry.old_addresses:
            index.by_old.setdefault(logical, entry)
    return index


def resolve_entry_links(entries: list[Entry], *, drafts: bool, cache: LinkCache,
                        href: Href = relative_href) -> tuple[list[Entry], list[Problem]]:
    """Every entry with its links to other entries made hrefs (or plain text)."""
    if not any(e.entry_links for e in entries):
        cache.clear()
        return entries, []
    index = _index(entries)
    problems: list[Problem] = []
    out: list[Entry] = []
    seen: set[str] = set()
    for entry in entries:
        if not entry.entry_links:
            out.append(entry)
            continue
        seen.add(entry.source)
        hrefs: dict[str, str | None] = {}
        for line, address, written in entry.entry_links:
            target, fragment = _target(address, entry, index)
            if target is None and address.startswith(OLD_SCHEME):
                hrefs[address] = html.escape(written)  # some other page: as written
            elif target is None:
                problems.append(Problem(
                    f"content/{entry.source}", f"links to '{written}', which is not an entry "
                    "in content/; it is shown as plain text", line=line or None,
                    severity=Severity.WARNING))
                hrefs[address] = None
            elif target.draft and not drafts:
                hrefs[address] = None  # a draft is not built: its words, not a dead link
            else:
                page = "" if target is entry and fragment else href(target)
                hrefs[address] = page + (f"#{fragment}" if fragment else "")
        key = tuple(hrefs[a] for _, a, _ in entry.entry_links)
        cached = cache.get(entry.source)
        if cached is not None and cached[0] is entry and cached[1] == key:
            out.append(cached[2])
            continue
        linked = replace(entry, body_html=_LINK.sub(
            functools.partial(_relinked, hrefs=hrefs), entry.body_html))
        cache[entry.source] = (entry, key, linked)
        out.append(linked)
    for gone in set(cache) - seen:
        del cache[gone]
    return out, problems


def _relinked(match: re.Match[str], hrefs: dict[str, str | None]) -> str:
    address = match.group(1).replace("&amp;", "&")
    found = hrefs.get(address)
    return match.group(2) if found is None else f'<a href="{found}">{match.group(2)}</a>'


def _target(address: str, entry: Entry, index: _Index) -> tuple[Entry | None, str]:
    """The entry an address names, and the fragment to add to its page's href."""
    if address.startswith(OLD_SCHEME):
        return _by_old_address(unquote(address[len(OLD_SCHEME):]), index)
    address, _, fragment = address.partition("#")
    if address.startswith(ENTRY_SCHEME):
        return index.by_source.get(unquote(address[len(ENTRY_SCHEME):])), unquote(fragment)
    name = unquote(address[len(WIKI_SCHEME):]).strip()
    # Loaded here: markup.py imports this module, and a no-op cached build loads no Markdown.
    from mdit_py_plugins.anchors.index import slugify as heading_id

    anchor = heading_id(unquote(fragment)) if fragment else ""
    if not name:
        return entry, anchor  # [[#Heading]]: a place in this entry
    here = posixpath.dirname(entry.source)
    for path in (posixpath.normpath(posixpath.join(here, name)), posixpath.normpath(name)):
        for suffix in ("", *ENTRY_SUFFIXES):
            if path + suffix in index.by_source:
                return index.by_source[path + suffix], anchor
    for table, key in ((index.by_stem, entry_stem(name).casefold()),
                       (index.by_title, " ".join(name.split()).casefold()),
                       (index.by_name, " ".join(name.split()).casefold())):
        found = table.get(key, [])
        if found:
            near = [e for e in found if posixpath.dirname(e.source) == here]
            return (near or found)[0], anchor
    return None, anchor


def _by_old_address(target: str, index: _Index) -> tuple[Entry | None, str]:
    """The entry a site-absolute link names by an old address, and the link's fragment."""
    parts = urlsplit(target)
    segments = [s for s in unquote(parts.path).split("/") if s not in ("", ".")]
    if not segments or ".." in segments:
        return None, ""
    logical = posixpath.join(*segments)
    for candidate in (logical, logical + "/", logical.removesuffix("index.html")):
        if candidate in index.by_old:
            return index.by_old[candidate], unquote(parts.fragment)
    dated = _DATED.search(unquote(parts.path))
    if dated is None:
        return None, ""
    stem = "-".join(dated.groups()).casefold()
    found = index.by_stem.get(stem, [])
    return (found[0] if found else None), unquote(parts.fragment)
