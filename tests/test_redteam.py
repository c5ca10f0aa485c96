"""Red team: a log with a canary in every field and name, built privately, deployed to a
local bare repository and unlocked in Chromium. No canary may show in any byte or name of
the output or of the pushed tree, in any encoding a site or a mistake could give it, and
after unlocking the browser asks the host for opaque names only (issue 9)."""

from __future__ import annotations

import base64
import binascii
import functools
import html
import json
import re
import subprocess
import threading
import unicodedata
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlsplit

import pytest
from slugify import slugify

from generator import keys
from generator.deploy import deploy
from generator.entries import make_slug
from generator.private import shell_parts

from conftest import read_tree

PASSWORD = "cobalt hazel dune tripod plaza"
CANARY = re.compile(r"Zq\w+")
"""Every canary word starts with 'Zq': the words are the needles."""
OPAQUE_PATH = re.compile(r"^/(?:[a-z2-7]{16}/|[a-z2-7]{16}\.bin|404\.html|"
                         + re.escape(shell_parts().runtime_file) + ")?$")
"""Opaque names, and growthlog's own unlock script (a hash of its bytes in its name)."""

CONFIG = """\
title = "Zqsitetitle Zqsitetwo"
author = "Zqauthorone Zqauthortwo"
stages = ["applied", "screen", "Zqstageone", "onsite"]
outcomes = ["rejected", "Zqoutcomeone"]
language = "en"

[extra]
note = "Zqextraone"
"""
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><title>{}</title>'
       '<rect width="8" height="8" fill="teal"/></svg>')
# Attachment and folder names with the characters of finding 1: # ? % ; space, newline,
# non-ASCII, and a very long name.
ATTACHMENTS = {
    "Zqdirone#Zqdirtwo/Zqimgone?Zqimgtwo.svg": SVG.format("Zqsvgtitleone"),
    "att dir/Zqattone#Zqatttwo.pdf": "%PDF-1.4 Zqpdfbodyone",
    "Zqdirthree%;/Zqsemione;Zqsemitwo 100%.svg": SVG.format("Zqsvgtitletwo"),
    "Zqnewline\nZqnewlinetwo.svg": SVG.format("Zqsvgtitlethree"),
    "Zq\u00fcnicode\u00efone/Zqcaf\u00e9.svg": SVG.format("Zqsvgtitlefour"),
    "Zqlong" + "x" * 200 + ".svg": SVG.format("Zqsvgtitlefive"),
    "Zqloosedir/Zqloosefile.txt": "Zqloosebody never linked",
    "drafts/Zqdraftattach.svg": SVG.format("Zqdraftsvgtitle"),
}
ENTRY = """\
---
title: Zqtitleone at Zqcompanyone
date: 2026-03-14
company: Zqcompanyone Zqcompanytwo
role: Zqroleone Zqr\u00f4letwo
stage: Zqstageone
outcome: Zqoutcomeone
applied: 2026-02-01
tags: [Zqtagone Zqtagtwo, "Zqtag#three", Zq\u00e9tiquette]
lessons: [Zqlessonone is a sentence about the lesson., Zqlessontwo also.]
feedback: {{asked: true, from: Zqfromone, received: Zqreceivedone said kindly,
           other_openings: Zqopeningone}}
support: [{{who: Zqwhoone, took_away: Zqtookone}}]
postmortem: {{went_well: [Zqwentone], to_improve: [Zqimproveone]}}
bridges: {{thank_you_sent: true}}
actions: [Zqactionone, {{text: Zqactiontwo, done: true}}]
slug: Zqslugone Zqslugtwo
---
Zqbodyone is the first sentence of the body, long enough to count.
See [Zqlinkone page two](../att%20dir/Zqattone%23Zqatttwo.pdf#page=2) and
[Zqlinktwo](<../att dir/Zqattone%23Zqatttwo.pdf>) and
[dl](../att%20dir/Zqattone%23Zqatttwo.pdf?Zqquery=1).

## Zqheadingone

### Zqheadingtwo \u00e0 la Zqh\u00e9ading

![Zqaltone](../Zqdirone%23Zqdirtwo/Zqimgone%3FZqimgtwo.svg#Zqfragment)
![Zqalttwo](../Zqdirthree%25%3B/Zqsemione%3BZqsemitwo%20100%25.svg)
![Zqaltthree](../Zqnewline%0AZqnewlinetwo.svg "Zqimgtitle")
![Zqaltfour](<../Zq\u00fcnicode\u00efone/Zqcaf\u00e9.svg>)
![Zqaltfive](../{long})
[Zqsvglink](../Zqdirthree%25%3B/Zqsemione%3BZqsemitwo%20100%25.svg#Zqsvgfrag)

A claim with a footnote.[^Zqfnlabel]

> Zqquoteone in a quotation.

`Zqcodeone` and **Zqstrongone** and [Zqrefone][Zqreflabel].

[Zqreflabel]: ../att%20dir/Zqattone%23Zqatttwo.pdf
[^Zqfnlabel]: Zqfootnoteone text of the footnote.
"""
SECOND = """\
---
title: Zqtitletwo at Zqcompanythree
date: 2025-11-02
company: Zqcompanythree
tags: [Zqtagfour]
lessons: [Zqlessonthree]
---
Zqbodytwo paragraph of the second entry, with enough words.
"""
DRAFT = """\
---
title: Zqdrafttitle at Zqdraftcompany
date: 2026-04-01
draft: true
tags: [Zqdrafttag]
---
Zqdraftbody ![Zqdraftalt](../drafts/Zqdraftattach.svg)
"""


def make_canary_log(root: Path) -> Path:
    content = root / "content"
    for name, text in ATTACHMENTS.items():
        path = content / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    folder = content / "Zqentrydir#one"
    folder.mkdir(parents=True)
    (folder / "2026-03-14-Zqstemone.md").write_text(
        ENTRY.format(long="Zqlong" + "x" * 200 + ".svg"), encoding="utf-8")
    (folder / "2025-11-02-Zqstemtwo.md").write_text(SECOND, encoding="utf-8")
    (folder / "Zqstemdraft.md").write_text(DRAFT, encoding="utf-8")
    (root / "growthlog.toml").write_text(CONFIG, encoding="utf-8")
    keys.init_keyfile(root, PASSWORD)
    return root


def canary_words() -> set[str]:
    texts = [CONFIG, ENTRY, SECOND, DRAFT, *ATTACHMENTS, *ATTACHMENTS.values(),
             "Zqentrydir#one 2026-03-14-Zqstemone 2025-11-02-Zqstemtwo Zqstemdraft"]
    words = {w for text in texts for w in CANARY.findall(text)}
    return words | {unicodedata.normalize("NFD", w) for w in words}


def _base64_inner(data: bytes) -> set[bytes]:
    """The base64 characters that depend on `data` alone, at each of the three alignments."""
    found = set()
    for pad in range(3):
        start, end = -(-pad // 3), (pad + len(data)) // 3
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            inner = encode(b"\0" * pad + data)[4 * start:4 * end]
            if len(inner) >= 8:
                found.add(inner)
    return found


def needles(word: str) -> dict[bytes, str]:
    """Every spelling of a canary word that must not appear: (bytes → how it was spelled).
    Text spellings are matched case-insensitively."""
    texts = {"raw": word, "case-folded": word.casefold(), "HTML-escaped": html.escape(word),
             "HTML numeric": "".join(f"&#{ord(c)};" for c in word),
             "JSON-escaped": json.dumps(word)[1:-1],
             "URL-escaped": quote(word, safe=""), "URL form": quote_plus(word),
             "slugified": make_slug(word), "slugify": slugify(word),
             "NFC": unicodedata.normalize("NFC", word), "NFD": unicodedata.normalize("NFD", word)}
    found: dict[bytes, str] = {}
    for how, text in texts.items():
        data = text.encode("utf-8")
        found[data.lower()] = how
        found[binascii.hexlify(data)] = f"hex of {how}"
        for codec in ("utf-16-le", "utf-16-be"):
            found[text.encode(codec).lower()] = f"{codec} of {how}"
        for inner in _base64_inner(data):
            found[inner] = f"base64 of {how}"
    return {k: v for k, v in found.items() if len(k) >= 6}


def hits(haystacks: dict[str, bytes], words: set[str]) -> list[str]:
    """'where: word (spelling)' for every needle found, case-insensitively for text forms."""
    blobs: dict[bytes, list[str]] = {}
    for where, data in haystacks.items():
        blobs.setdefault(data, []).append(where)
    all_needles = {n: (w, how) for w in sorted(words) for n, how in needles(w).items()}
    found = []
    for data, wheres in blobs.items():
        lowered = data.lower()
        for needle, (word, how) in all_needles.items():
            if needle in (data if how.startswith("base64") else lowered):
                found.append(f"{wheres[0]}: {word!r} ({how})")
    return found


def tree_haystacks(folder: Path, label: str) -> dict[str, bytes]:
    """Every file's bytes and every file name (as bytes), by where it was found."""
    files = read_tree(folder)
    found = {f"{label} {path}": data for path, data in files.items()}
    found |= {f"{label} name {path!r}": path.encode("utf-8") for path in files}
    return found


def git(*args: str, cwd: Path | None = None) -> bytes:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True).stdout


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("redteam")
    root = make_canary_log(base / "log")
    remote = base / "remote.git"
    git("init", "-q", "--bare", str(remote))
    report = deploy(root, remote=str(remote), password=PASSWORD)
    clone = base / "pushed"
    git("clone", "-q", "--branch", "gh-pages", str(remote), str(clone))
    return {"root": root, "remote": remote, "clone": clone, "report": report}


def test_the_canary_log_is_sound(deployed: dict[str, Any]) -> None:
    """The canaries are really there: a public build shows them (so the search can fail)."""
    root = deployed["root"]
    from generator.build import build

    report = build(root, output=root / "public", private=False, drafts=False)
    public = tree_haystacks(root / "public", "public")
    found = hits(public, canary_words())
    assert report.entries == 2 and report.warnings == ()
    for word in ("Zqsitetitle", "Zqfootnoteone", "Zqaltone", "Zqheadingone", "Zqimgone",
                 "Zqdirthree", "Zqnewline", "Zqcaf\u00e9", "Zqcompanytwo", "Zqtagtwo"):
        assert any(f"{word!r}" in hit for hit in found), word
    assert not any("Zqdraft" in hit for hit in found)  # drafts and their attachments stay out


def test_no_canary_in_any_byte_or_name_of_the_output_or_the_pushed_tree(
        deployed: dict[str, Any]) -> None:
    root, clone, remote = deployed["root"], deployed["clone"], deployed["remote"]
    haystacks = tree_haystacks(root / "output", "output")
    pushed = {k: v for k, v in tree_haystacks(clone, "pushed").items() if "/.git/" not in k
              and not k.startswith(("pushed .git/", "pushed name '.git/"))}
    assert pushed, "nothing was pushed"
    haystacks |= pushed
    commit = git("rev-parse", "gh-pages", cwd=remote).decode().strip()
    haystacks["pushed commit"] = git("cat-file", "-p", commit, cwd=remote)
    haystacks["pushed tree"] = git("ls-tree", "-r", "--full-tree", commit, cwd=remote)
    haystacks["pushed refs"] = git("for-each-ref", cwd=remote)
    assert hits(haystacks, canary_words()) == []


class _Logged(SimpleHTTPRequestHandler):
    requested: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        self.requested.append(self.path)


@pytest.fixture(scope="module")
def served(deployed: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The pushed tree served over HTTP; every path a browser asks for is logged."""
    requested: list[str] = []
    handler = functools.partial(type("H", (_Logged,), {"requested": requested}),
                                directory=str(deployed["clone"]))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{server.server_address[1]}/", "log": requested}
    server.shutdown()
    server.server_close()


def _unlock(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#gl-form:not([hidden])")
    page.fill("#gl-pass", PASSWORD)
    page.click("#gl-form button[type=submit]")
    page.wait_for_selector("html[data-gl-unlocked]", timeout=15_000)


def _same_site_hrefs(page: Any, origin: str) -> set[str]:
    hrefs = page.eval_on_selector_all(
        "a[href], img[src], link[href]",
        "els => els.map(e => e.href || e.src || '').filter(Boolean)")
    return {h for h in hrefs if h.startswith(origin)}


def _assert_opaque(urls: list[str], origin: str) -> None:
    words = canary_words()
    for url in urls:
        if url.startswith(("blob:", "data:")):
            continue
        assert url.startswith(origin), url
        parts = urlsplit(url)
        assert OPAQUE_PATH.match(parts.path) and not parts.query, url
        # A fragment never leaves the browser (the runtime keeps '#page=2' for the viewer).
        sent = unquote(url.split("#")[0]).casefold()
        assert not any(w.casefold() in sent for w in words), url


def test_unlocked_in_chromium_every_page_kind_asks_only_for_opaque_names(
        served: dict[str, Any], browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    origin = served["url"].rstrip("/")
    try:
        _unlock(page, served["url"])
        todo, visited, pages_text, entry_url = [served["url"]], set(), [], ""
        while todo and len(visited) < 60:
            url = todo.pop(0).split("#")[0]
            if url in visited or url.endswith(".bin"):
                continue
            visited.add(url)
            if url != page.url.split("#")[0]:
                page.goto(url)
                page.wait_for_selector("html[data-gl-unlocked]", timeout=10_000)
            page.wait_for_function("() => [...document.images].every(i => i.complete)")
            pages_text.append(page.inner_text("body"))
            if "Zqheadingone" in pages_text[-1]:
                entry_url = url
            links = _same_site_hrefs(page, origin)
            _assert_opaque(sorted(links), origin)
            todo += sorted(links - visited)
        text = "\n".join(pages_text)
        # Every kind of page was opened: entry, tag, company, stage, timeline, insight pages.
        for shown in ("Zqheadingone", "Zqfootnoteone", "Zqtagtwo", "Zqcompanythree",
                      "Zqlessonone", "Zqactionone", "Zqbodytwo"):
            assert shown in text, shown
        assert len(visited) >= 12, visited
        page.goto(entry_url)
        page.wait_for_selector("html[data-gl-unlocked]")
        images = page.evaluate("[...document.images].map(i => i.src)")
        assert len(images) == 5 and all(src.startswith("blob:") for src in images), images
        page.wait_for_function("() => [...document.images].every(i => i.naturalWidth > 0)")
        page.click("a:has-text('Zqsvglink')")  # opens decrypted, its fragment kept
        page.wait_for_url(re.compile(r"^blob:.*#Zqsvgfrag$"))
    finally:
        context.close()
    print(f"\nChromium's requests after unlocking ({len(seen)}; shown with -s):", *seen, sep="\n")
    _assert_opaque(seen, origin)
    _assert_opaque([origin + path for path in served["log"]], origin)


def test_enter_in_the_header_search_opens_the_results_and_the_query_stays_in_the_browser(
        served: dict[str, Any], browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    seen: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    page.on("console", lambda message: errors.append(message.text))
    origin = served["url"].rstrip("/")
    try:
        _unlock(page, served["url"])
        page.fill("#site-search-q", "Zqbodytwo")
        page.locator(".search-dropdown .search-hit a").first.wait_for(timeout=5000)
        page.press("#site-search-q", "Enter")
        # Not even the fragment holds the query: browser history never sees it.
        page.wait_for_url(re.compile(r"/[a-z2-7]{16}/$"), timeout=5000)
        page.wait_for_selector("html[data-gl-unlocked]")
        results = page.locator("#search-page-results .search-hit a")
        results.first.wait_for(timeout=5000)
        assert results.all_inner_texts() == ["Zqtitletwo at Zqcompanythree"]
        assert page.input_value("#search-page-q") == "Zqbodytwo"
        page.fill("#search-page-q", "Zqlessonone")  # searching again on the results page
        page.press("#search-page-q", "Enter")
        page.wait_for_function(
            "() => document.querySelector('#search-page-results a')?.textContent"
            ".includes('Zqtitleone')")
        page.fill("#site-search-q", "Zqtagfour")  # the header box, on the results page
        page.press("#site-search-q", "Enter")
        page.wait_for_function(
            "() => document.querySelector('#search-page-results a')?.textContent"
            ".includes('Zqtitletwo')")
        assert re.search(r"/[a-z2-7]{16}/$", page.url), page.url
        assert page.evaluate("sessionStorage.getItem('growthlog.search.q')") is None
    finally:
        context.close()
    assert not [e for e in errors if "Content Security Policy" in e or "form-action" in e]
    _assert_opaque(seen, origin)
    _assert_opaque([origin + path for path in served["log"]], origin)
