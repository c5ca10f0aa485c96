"""A log with three readers and overlapping shares, and how to open a built view from
disk: shared by test_views.py and test_views_browser.py."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from generator import keys, readers
from generator.build import build
from generator.crypto import SiteKeys, TamperedFile, open_file

from conftest import entry, make_log

AUTHOR = "cobalt hazel dune tripod plaza"
PASSPHRASES = {"sam": "quiet lantern orbit maple fennel",
               "kim": "velvet canyon pickle raven sprout",
               "lee": "tundra wafer bonsai lagoon ember"}

SUPPORT = "\n  - who: Aunt Wilhelmina\n    took_away: Keep the portfolio short"
ENTRIES = {
    "content/acme.md": entry("Platform Engineer at Acme", "2026-02-01",
                             "Whiteboard round; Globex asked the same.",
                             company="Acme", tags="[interview, python]", share="[sam]"),
    "content/globex.md": entry("Data Analyst at Globex", "2025-12-10", "Take-home task.",
                               company="Globex", tags="[interview]"),
    "content/initech.md": entry("SRE at Initech", "2026-03-05", "Pager questions.",
                                company="Initech", tags="[ops]", share="[sam, kim]",
                                lessons="[Sleep before on-call drills]", support=SUPPORT),
    "content/umbrella.md": entry("ML Engineer at Umbrella", "2026-01-15", "Paper discussion.",
                                 company="Umbrella", tags="[ml]"),
    "content/hooli.md": entry("Draft at Hooli", "2026-03-20", "Not yet.", company="Hooli",
                              share="[sam]", draft="true"),
}
CONFIG = """\
title = "Growth"
private = true
reply_to = "me@example.com"

[readers.kim]
tags = ["interview"]

[readers.lee]
since = 2026-01-01
hide = ["support", "company"]
"""
VIEWS = {"sam": {"Platform Engineer at Acme", "SRE at Initech"},
         "kim": {"Platform Engineer at Acme", "Data Analyst at Globex", "SRE at Initech"},
         "lee": {"Platform Engineer at Acme", "SRE at Initech", "ML Engineer at Umbrella"}}
TITLES = {"Platform Engineer at Acme", "Data Analyst at Globex", "SRE at Initech",
          "ML Engineer at Umbrella", "Draft at Hooli"}


def make_share_log(root: Path) -> Path:
    make_log(root, ENTRIES, CONFIG)
    keys.init_keyfile(root, AUTHOR)
    for name, passphrase in PASSPHRASES.items():
        readers.add_reader(root, name, AUTHOR, passphrase)
    return root


def subset_log(root: Path, name: str) -> Path:
    """The same subset as a log of its own (hidden fields left out), built publicly."""
    files = {}
    for path, text in ENTRIES.items():
        if not any(f"title: {t}\n" in text for t in VIEWS[name]):
            continue
        if name == "lee":  # hide = ["support", "company"]
            text = re.sub(r"company: .*\n", "", text)
            text = re.sub(r"support: \n(  .*\n)+", "", text)
        files[path] = re.sub(r"share: .*\n", "", text)
    config = re.sub(r"\n\[readers\.(.|\n)*", "\n", CONFIG)
    public = make_log(root, files, config)
    build(public, private=False)
    return public


def view_keys(root: Path) -> dict[str, SiteKeys]:
    _, _, views = keys.unlock_views(root, AUTHOR)
    return {reader.name: view for reader, view in views}


_PAGE = re.compile(r'<script type="application/json" id="gl-page">(.*?)</script>', re.S)


def open_site(out: Path, site_keys: SiteKeys) -> dict[str, bytes]:
    """Every file of the folder that opens under these keys: path → decrypted body."""
    opened: dict[str, bytes] = {}
    for path in sorted(out.rglob("*")):
        name = path.relative_to(out).as_posix()
        if not path.is_file() or name.startswith("."):
            continue
        data = path.read_bytes()
        if name.endswith(".html"):
            match = _PAGE.search(data.decode())
            if not match:
                continue
            data = base64.b64decode(json.loads(match.group(1))["payload"])
        try:
            opened[name] = open_file(site_keys, name, data)[1]
        except (TamperedFile, ValueError):
            continue
    return opened


def search_titles(opened: dict[str, bytes]) -> set[str]:
    """The titles of the search index among the opened files."""
    for body in opened.values():
        try:
            value = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(value, dict) and "entries" in value:
            return {record["t"] for record in value["entries"]}
    raise AssertionError("no search index opened")
