"""Entries → an Atom feed (RFC 4287) for public mode; pure. Never built in private mode.

Links are absolute when the log's config sets `url` (e.g. 'https://you.github.io/my-log/');
otherwise they are paths under base_url. Ids stay stable either way.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from generator.config import SiteConfig
from generator.memo import Memo
from generator.model import Entry
from generator.urls import FEED_PATH, entry_path

if TYPE_CHECKING:  # (loaded to write a feed: an edit of none of the newest writes none)
    import xml.etree.ElementTree as ET

ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 20


def site_link(config: SiteConfig, logical: str) -> str:
    """Absolute URL of a logical path when `url` is set, else a path under base_url."""
    return (config.url or config.base_url) + quote(logical)


def _id(config: SiteConfig, logical: str) -> str:
    if config.url:
        return site_link(config, logical)
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'growthlog:{config.title}:{logical}')}"


def _stamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _sub(parent: ET.Element, tag: str, text: str | None = None,
         **attrs: str) -> ET.Element:
    import xml.etree.ElementTree as ET

    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def build_feed(entries: Sequence[Entry], config: SiteConfig, memo: Memo | None = None) -> bytes:
    """The newest FEED_ENTRIES entries (newest first in `entries`) as Atom XML bytes.
    `memo`: the build cache's; serve asks on every save, which most often changes none
    of the newest entries."""
    newest = tuple(entries[:FEED_ENTRIES])
    if memo is None:
        return _feed(newest, config)
    return memo.get(("feed",), (newest, config), lambda: _feed(newest, config))


def _feed(entries: tuple[Entry, ...], config: SiteConfig) -> bytes:
    import xml.etree.ElementTree as ET

    feed = ET.Element("feed", {"xmlns": ATOM, "xml:lang": config.language})
    _sub(feed, "title", config.title)
    _sub(feed, "id", _id(config, ""))
    _sub(feed, "updated", _stamp(entries[0].date) if entries else "1970-01-01T00:00:00Z")
    _sub(feed, "link", rel="self", type="application/atom+xml",
         href=site_link(config, FEED_PATH))
    _sub(feed, "link", rel="alternate", type="text/html", href=site_link(config, ""))
    author = _sub(feed, "author")
    _sub(author, "name", config.author or config.title)
    _sub(feed, "generator", "growthlog")
    for entry in entries:
        logical = entry_path(entry)
        item = _sub(feed, "entry")
        _sub(item, "title", entry.title)
        _sub(item, "id", _id(config, logical))
        _sub(item, "link", rel="alternate", type="text/html", href=site_link(config, logical))
        _sub(item, "published", _stamp(entry.date))
        _sub(item, "updated", _stamp(entry.date))
        for tag in entry.tags:
            _sub(item, "category", term=tag.slug, label=tag.name)
        _sub(item, "summary", entry.summary or entry.title, type="text")
    body = ET.tostring(feed, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")
