"""BuildCache: everything one build may reuse from the last build of the same log, in one object.

`serve` owns one for its whole session and passes it to every build; a one-off `build`
makes a fresh one, whose Markdown part may come from disk (cache.py). Nothing else in
growthlog remembers anything between calls: no module-level memo, no attribute patched
onto a shared object. Every part is keyed by a file path, an entry's source or an output
path and holds only the current version of what it is keyed by, so a long `serve`
session holds one version of each entry, however often it was edited.

The parts, each with its key and what drops it:

* config, links: the config and the attachment set entries were parsed with; when either
  differs, `parsed` goes too (and the theme, with the config).
* listing, outside, unreadable: content/ as last listed; listed again unless a watcher reports only
  entry files saved, created or deleted (`listing_after`).
* parsed: each entry file's Entry and problems, by path on disk; dropped when its
  (mtime, size) differs or a watcher reports it (`forget`).
* files: bytes of attachments and theme static files, by path on disk; likewise.
* linked: entries with their links to other entries resolved, by source (entry_links.py).
* memo: results computed per entry, by (kind, source): the entry with a unique slug or
  canonical tags, its lessons, action items and lesson points, its company's slug, its
  search record, its page's plan; and the progress charts, by (kind, chart). A result is
  reused while its inputs are equal; keys a build did not ask for go after it (`finish`).
* theme: the theme's folders and template loader; a theme file changed: `forget_theme`.
* pages: the renderer (one Jinja environment and fragment store per theme, URLs and
  config: render.Renderer) and each page's bytes with its plan, by output path; a page is
  rendered again when its plan differs, every page when the renderer does.
* written: the output folder and what the last complete write put there.
* markdown: rendered entry bodies from .growthlog-cache/ (`growthlog build`; cache.py).

Validity is always decided by equality of inputs (identity is a fast path of it), never by
which object happens to come back.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from generator.cache import MarkdownCache
from generator.config import SiteConfig
from generator.entry_links import LinkCache
from generator.errors import Problem
from generator.markup import LinkContext
from generator.memo import Memo
from generator.model import Entry
from generator.render import RenderCache
from generator.sources import is_entry_name, is_ignored_name
from generator.theme import Theme

FileKey = tuple[int, int]  # (mtime_ns, size): a file whose key is unchanged is not re-read
Listing = list[tuple[str, str]]
"""content/ as listed: (name inside content/, path on disk), in listing order."""


@dataclass
class BuildCache:
    """What a rebuild may reuse; see the module's table for each part's key and validity."""

    config: SiteConfig | None = None
    links: LinkContext | None = None
    listing: Listing | None = None
    outside: tuple[str, ...] = ()
    """Names inside content/ of links that lead out of it, as last listed (never read)."""
    unreadable: tuple[tuple[str, str], ...] = ()
    """Names inside content/ that could not be listed or followed, with the reason."""
    parsed: dict[str, tuple[FileKey, Entry | None, list[Problem]]] = field(default_factory=dict)
    """By path on disk (a str: serve looks up every entry on every save)."""
    files: dict[str, tuple[FileKey, bytes]] = field(default_factory=dict)
    linked: LinkCache = field(default_factory=dict)
    memo: Memo = field(default_factory=Memo)
    theme: Theme | None = None
    pages: RenderCache = field(default_factory=RenderCache)
    written: tuple[Path, dict[str, bytes]] | None = None
    """The folder last written completely and what it got: unchanged bytes skip hashing."""
    markdown: MarkdownCache | None = None

    def use_config(self, config: SiteConfig) -> None:
        """Entries parsed, and the theme found, under another config are not valid."""
        if config != self.config:
            self.config, self.parsed, self.theme = config, {}, None

    def use_links(self, links: LinkContext) -> None:
        """Entries link attachments: another set of attachments means parsing again."""
        if links != self.links:
            self.links, self.parsed = links, {}

    def forget(self, paths: Iterable[Path]) -> None:
        """Drop what was read from these files, e.g. ones a watcher saw change."""
        for path in map(os.fspath, paths):
            self.parsed.pop(path, None)
            self.files.pop(path, None)

    def forget_theme(self) -> None:
        """New templates: every page is rendered again (parsed entries stay valid)."""
        self.theme = None

    def listing_after(self, saved: Collection[Path], content: Path) -> Listing | None:
        """content/ as it is after these saves, if they are all the changes under it since
        the last build (a watcher's report) and all of entry files saved, created or
        deleted; None when content/ must be listed again (a folder, an attachment)."""
        if self.listing is None:
            return None
        listing = dict(self.listing)
        for path in saved:
            change = _entry_change(path, content)
            if change is None or (not change[1] and change[0] not in listing):
                return None
            inside, present = change
            if present:
                listing[inside] = os.fspath(path)
            else:
                del listing[inside]
        return sorted(listing.items(), key=lambda item: item[0].split("/"))

    def finish(self) -> None:
        """After a build that succeeded: forget what it did not use (deleted entries)."""
        self.memo.sweep()

    def held(self) -> dict[Hashable, int]:
        """How many results each per-entry part holds (for tests: one per entry)."""
        return {"parsed": len(self.parsed), "linked": len(self.linked),
                "pages": len(self.pages.pages), **self.memo.kinds()}


def _entry_change(path: Path, content: Path) -> tuple[str, bool] | None:
    """(name inside content/, whether it is there now) for an entry file; None otherwise."""
    try:
        parts = path.relative_to(content).parts
    except ValueError:
        return None
    if not parts or not is_entry_name(parts[-1]) or any(is_ignored_name(p) for p in parts):
        return None
    if os.path.realpath(path.parent) != os.fspath(path.parent) or os.path.islink(path):
        return None  # a symlinked folder or file: only listing content/ decides about them
    if path.is_file():
        return "/".join(parts), True
    return ("/".join(parts), False) if not os.path.lexists(path) else None
