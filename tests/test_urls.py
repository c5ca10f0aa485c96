"""urls.py: every output path and href in one place, under the base URL."""

from __future__ import annotations

from generator.config import SiteConfig
from generator.entries import parse_entry
from generator.markup import LinkContext
from generator.model import TagRef
from generator.sources import split_source
from generator.urls import Urls, entry_path, file_path, media_path, static_path, tag_path


def test_pretty_urls_map_to_index_files() -> None:
    assert file_path("") == "index.html"
    assert file_path("timeline/") == "timeline/index.html"
    assert file_path("entries/acme/") == "entries/acme/index.html"
    assert file_path("404.html") == "404.html"
    assert file_path("static/style.css") == "static/style.css"


def test_logical_paths() -> None:
    tag = TagRef("system-design", "System Design")
    assert tag_path(tag) == "tags/system-design/"
    assert media_path("2026/images/board.svg") == "media/2026/images/board.svg"
    assert static_path("style.css") == "static/style.css"


def test_hrefs_start_with_the_base_url() -> None:
    urls = Urls("/my-log/")
    assert urls.href("") == "/my-log/"
    assert urls.href("tags/") == "/my-log/tags/"
    assert urls.href(TagRef("nerves", "Nerves")) == "/my-log/tags/nerves/"
    assert urls.href("static/style.css") == "/my-log/static/style.css"
    assert Urls().href("timeline/") == "/timeline/"
    assert Urls("https://me.github.io/log/").href("tags/") == "https://me.github.io/log/tags/"


def test_hrefs_are_percent_encoded() -> None:
    assert Urls().href("media/my notes/ü.pdf") == "/media/my%20notes/%C3%BC.pdf"


def test_output_path_without_and_with_rename() -> None:
    assert Urls().output_path("tags/") == "tags/index.html"
    renamed = Urls("/", rename=lambda logical: "p/" + str(len(logical)) + "/")
    assert renamed.output_path("tags/") == "p/5/index.html"
    assert renamed.href("tags/") == "/p/5/"


def test_entry_path_uses_the_slug() -> None:
    source, _ = split_source("content/a.md", "---\ntitle: Data Engineer at Acme\n"
                                             "date: 2026-01-01\n---\n")
    assert source is not None
    entry, _ = parse_entry(source, SiteConfig(), LinkContext("", frozenset()))
    assert entry is not None
    assert entry_path(entry) == "entries/data-engineer-at-acme/"
    assert Urls("/log/").href(entry) == "/log/entries/data-engineer-at-acme/"


def test_urls_are_kept_on_disk_without_the_hrefs_they_made() -> None:
    """The build state keeps the Urls entries were rendered with: the paths it quoted for
    the last build's pages are not part of it (equal Urls, the same size however many)."""
    import pickle

    urls = Urls("/log/")
    empty = len(pickle.dumps(urls))
    hrefs = [urls.href(f"entries/entry-{n}/") for n in range(1_000)]
    kept = pickle.loads(pickle.dumps(urls))
    assert len(pickle.dumps(urls)) == empty
    assert kept == urls and [kept.href(f"entries/entry-{n}/") for n in range(1_000)] == hrefs
