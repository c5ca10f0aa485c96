"""urls.py, the parts its first tests left open (found by benchmarks/mutation.py): every
facet's path, the published names of the search index and feed, query and fragment, and
equality of two Urls."""

from __future__ import annotations

from generator.model import Company, Month, StageFacet, Tag, TagRef, Year
from generator.urls import (
    FEED_PATH,
    PROGRESS_PATH,
    SEARCH_INDEX_PATH,
    SEARCH_PATH,
    Urls,
    company_path,
    logical_path,
    month_path,
    stage_path,
    year_path,
)


def test_every_facet_has_its_own_path() -> None:
    march = Month(2026, 3, "March", ())
    assert company_path(Company("acme-corp", "Acme Corp", ())) == "companies/acme-corp/"
    assert stage_path(StageFacet("interview", 3, ())) == "stages/interview/"
    assert year_path(Year(2026, (march,))) == "timeline/2026/"
    assert month_path(march) == "timeline/2026/03/"
    assert month_path(Month(2025, 11, "November", ())) == "timeline/2025/11/"


def test_logical_path_of_each_model_object() -> None:
    march = Month(2026, 3, "March", ())
    assert logical_path(Tag("sql", "SQL", ())) == "tags/sql/"
    assert logical_path(TagRef("sql", "SQL")) == "tags/sql/"
    assert logical_path(Company("acme", "Acme", ())) == "companies/acme/"
    assert logical_path(StageFacet("final", 4, ())) == "stages/final/"
    assert logical_path(Year(2026, (march,))) == "timeline/2026/"
    assert logical_path(march) == "timeline/2026/03/"


def test_published_names_of_the_fixed_pages() -> None:
    assert (PROGRESS_PATH, SEARCH_PATH, SEARCH_INDEX_PATH, FEED_PATH) == (
        "progress/", "search/", "search/index.json", "atom.xml")


def test_query_and_fragment_are_kept_and_a_renamed_href_drops_the_query() -> None:
    urls = Urls("/log/")
    assert urls.href("search/", query="q=sql", fragment="results") == "/log/search/?q=sql#results"
    assert urls.href("tags/", fragment="top") == "/log/tags/#top"
    assert urls.href("tags/", query="a=1") == "/log/tags/?a=1"
    renamed = Urls("/", rename=lambda logical: "opaque/")
    assert renamed.href("search/", query="q=secret", fragment="f") == "/opaque/#f"
    assert renamed.rename is not None and Urls().rename is None


def test_two_urls_are_equal_when_every_href_is() -> None:
    def rename(logical: str) -> str:
        return logical

    assert Urls("/a/") == Urls("/a/") and hash(Urls("/a/")) == hash(Urls("/a/"))
    assert Urls("/a/") != Urls("/b/")
    assert Urls("/", rename) == Urls("/", rename) and Urls("/", rename) != Urls("/")
    assert Urls("/") != "/"
    assert Urls("/a/").key == ("/a/", None)
