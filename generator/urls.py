"""Every output path and every href, in one place; pure.

Pages are addressed by a logical path ('', 'timeline/', 'entries/<slug>/', '404.html').
Pretty URLs: a logical path ending in '/' is written as '<path>index.html'. Private mode
passes `rename` to give every file an opaque name without templates knowing.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from generator.model import Entry, Tag, TagRef

Rename = Callable[[str], str]


def entry_path(entry: Entry) -> str:
    return f"entries/{entry.slug}/"


def tag_path(tag: Tag | TagRef) -> str:
    return f"tags/{tag.slug}/"


def media_path(asset: str) -> str:
    """Where an attachment under content/ is published."""
    return f"media/{asset}"


def static_path(name: str) -> str:
    return f"static/{name}"


def file_path(logical: str) -> str:
    """The file a logical path is written to: 'tags/' → 'tags/index.html'."""
    return logical + "index.html" if logical == "" or logical.endswith("/") else logical


class Urls:
    """Turns logical paths into output file paths and hrefs under the site's base URL."""

    def __init__(self, base_url: str = "/", rename: Rename | None = None) -> None:
        self.base_url = base_url
        self._rename = rename

    def output_path(self, logical: str) -> str:
        """Path of the written file, relative to the output folder."""
        return file_path(self._rename(logical) if self._rename else logical)

    def href(self, target: str | Entry | Tag | TagRef) -> str:
        """Absolute link (under base_url) to a page, an entry, a tag or a file."""
        if isinstance(target, Entry):
            logical = entry_path(target)
        elif isinstance(target, Tag | TagRef):
            logical = tag_path(target)
        else:
            logical = target
        if self._rename:
            logical = self._rename(logical)
        return self.base_url + quote(logical)
