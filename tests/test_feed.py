"""feed.py: an Atom feed in public mode only, valid XML with the expected entries."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from typing import Any

from insight_log import FILES

from generator.build import build
from generator.pipeline import data_files, load_log
from generator.urls import Urls

ATOM = "{http://www.w3.org/2005/Atom}"


def test_feed_lists_entries_newest_first_with_absolute_links(log_factory: Any) -> None:
    root = log_factory(FILES, config='title = "Notes & lessons"\n'
                                     'url = "https://you.github.io/my-log"\n'
                                     'base_url = "/my-log/"\nauthor = "Sam"\n')
    build(root)
    data = (root / "output" / "atom.xml").read_bytes()
    feed = ET.fromstring(data)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}title") == "Notes & lessons"
    assert feed.findtext(f"{ATOM}id") == "https://you.github.io/my-log/"
    assert feed.findtext(f"{ATOM}updated") == "2025-07-05T00:00:00Z"
    assert feed.find(f"{ATOM}author/{ATOM}name").text == "Sam"  # type: ignore[union-attr]
    self_link = [link for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert self_link[0].get("href") == "https://you.github.io/my-log/atom.xml"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Staff Engineer at Umbrella", "Senior Data Engineer at Acme", "Analyst at Initech",
        "Backend Engineer at Globex", "Data Engineer at Acme"]
    first = entries[-1]
    assert first.findtext(f"{ATOM}id") == \
        "https://you.github.io/my-log/entries/data-engineer-at-acme/"
    assert first.find(f"{ATOM}link").get("href") == first.findtext(f"{ATOM}id")  # type: ignore[union-attr]
    assert first.findtext(f"{ATOM}updated") == "2025-01-10T00:00:00Z"
    assert [c.get("term") for c in first.findall(f"{ATOM}category")] == ["sql"]
    assert first.findtext(f"{ATOM}summary") == \
        "The recruiter asked about my pelican migration project."
    home = (root / "output" / "index.html").read_text(encoding="utf-8")
    assert 'type="application/atom+xml"' in home and 'href="/my-log/atom.xml"' in home


def test_feed_without_url_uses_base_path_and_stable_ids(log_factory: Any) -> None:
    root = log_factory(FILES)
    build(root)
    first = (root / "output" / "atom.xml").read_bytes()
    feed = ET.fromstring(first)
    ids = [e.findtext(f"{ATOM}id") for e in feed.findall(f"{ATOM}entry")]
    assert all(i and i.startswith("urn:uuid:") for i in ids) and len(set(ids)) == 5
    links = [e.find(f"{ATOM}link").get("href")  # type: ignore[union-attr]
             for e in feed.findall(f"{ATOM}entry")]
    assert links[0] == "/entries/staff-engineer-at-umbrella/"
    build(root)
    assert (root / "output" / "atom.xml").read_bytes() == first


def test_no_feed_in_private_mode(log_factory: Any) -> None:
    log = load_log(log_factory(FILES))
    public = [f.path for f in data_files(log, Urls("/"))]
    assert public == ["search/index.json", "atom.xml"]
    private = dataclasses.replace(log, config=dataclasses.replace(log.config, private=True))
    assert [f.path for f in data_files(private, Urls("/"))] == ["search/index.json"]
