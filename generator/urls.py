"""Every output path and every href, in one place; pure.

Pages are addressed by a logical path ('', 'timeline/', 'entries/<slug>/', '404.html').
Pretty URLs: a logical path ending in '/' is written as '<path>index.html'. Private mode
passes `rename` to give every file an opaque name without templates knowing.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from generator.model import Company, Entry, Month, StageFacet, Tag, TagRef, Year

Rename = Callable[[str], str]


def entry_path(entry: Entry) -> str:
    return f"entries/{entry.slug}/"


def tag_path(tag: Tag | TagRef) -> str:
    return f"tags/{tag.slug}/"


def company_path(company: Company) -> str:
    return f"companies/{company.slug}/"


def stage_path(facet: StageFacet) -> str:
    return f"stages/{facet.stage}/"


def year_path(year: Year) -> str:
    return f"timeline/{year.year}/"


def month_path(month: Month) -> str:
    return f"timeline/{month.year}/{month.month:02d}/"


PROGRESS_PATH = "progress/"
SEARCH_PATH = "search/"
SEARCH_INDEX_PATH = "search/index.json"
FEED_PATH = "atom.xml"


def media_path(asset: str) -> str:
    """Where an attachment under content/ is published."""
    return f"media/{asset}"


def static_path(name: str) -> str:
    return f"static/{name}"


def file_path(logical: str) -> str:
    """The file a logical path is written to: 'tags/' → 'tags/index.html'."""
    return logical + "index.html" if logical == "" or logical.endswith("/") else logical


def logical_path(target: Entry | Tag | TagRef | Company | StageFacet | Year | Month) -> str:
    """The logical path of the page that shows a model object."""
    if isinstance(target, Entry):
        return entry_path(target)
    if isinstance(target, Tag | TagRef):
        return tag_path(target)
    if isinstance(target, Company):
        return company_path(target)
    if isinstance(target, StageFacet):
        return stage_path(target)
    return year_path(target) if isinstance(target, Year) else month_path(target)


class Urls:
    """Turns logical paths into output file paths and hrefs under the site's base URL."""

    def __init__(self, base_url: str = "/", rename: Rename | None = None) -> None:
        self.base_url = base_url
        self._rename = rename
        self._quoted: dict[str, str] = {}
        """Logical path → its quoted (and, private, renamed) href path. Templates ask for
        thousands of hrefs per build, mostly the same ones again (about 60 per page): a
        build makes its own Urls, so this holds one build's paths, and a private build
        computes each opaque name once, not once per link."""

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled without the hrefs it made (the build state on disk keeps the Urls that
        entries were rendered with: 80 KB of paths at 1,000 entries, every build)."""
        return Urls, (self.base_url, self._rename)

    @property
    def key(self) -> tuple[str, Rename | None]:
        """Equal for two Urls that give every page the same href."""
        return self.base_url, self._rename

    @property
    def rename(self) -> Rename | None:
        return self._rename

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Urls) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.base_url)

    def output_path(self, logical: str) -> str:
        """Path of the written file, relative to the output folder."""
        return file_path(self._rename(logical) if self._rename else logical)

    def href(self, target: str | Entry | Tag | TagRef | Company | StageFacet | Year | Month,
             *, query: str = "", fragment: str = "") -> str:
        """Absolute link (under base_url) to a page, an entry, a tag, a facet or a file.

        The target is a path, never a URL: every character in it is part of a name.
        `query` and `fragment` are added as written (already URL syntax). A renamed
        (private) href drops the query: it would carry the author's words to the host,
        and a sealed file is the same whatever the query says.
        """
        logical = target if isinstance(target, str) else logical_path(target)
        quoted = self._quoted.get(logical)
        if quoted is None:
            quoted = self._quoted[logical] = quote(
                self._rename(logical) if self._rename else logical)
        if self._rename:
            query = ""
        return (self.base_url + quoted + (f"?{query}" if query else "")
                + (f"#{fragment}" if fragment else ""))
