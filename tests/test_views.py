"""Readers' views of a private build: each a whole site of the entries shared with them,
in the same folder, opened by their key only; config and front matter checked."""

from __future__ import annotations

import collections
import html
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from generator import keys, readers
from generator.build import build
from generator.config import load_config
from generator.crypto import Slot, open_slot
from generator.errors import ProblemsFound
from generator.private import shell_parts

from conftest import entry, make_log, read_tree
from share_log import (
    AUTHOR,
    PASSPHRASES,
    TITLES,
    VIEWS,
    make_share_log,
    open_site,
    search_titles,
    subset_log,
    view_keys,
)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_share_log(tmp_path_factory.mktemp("share") / "log")
    build(root, password=AUTHOR)
    return root


def _text(data: bytes) -> str:
    text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", data.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def _published_slots(out: Path, page: str = "index.html") -> list[Slot]:
    block = re.search(r'id="gl-key">(.*?)</script>', (out / page).read_text(), re.S)
    assert block
    return [Slot.from_json(s) for s in json.loads(block.group(1)).get("slots", [])]


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_each_view_shows_exactly_its_entries(shared: Path, name: str) -> None:
    opened = open_site(shared / "output", view_keys(shared)[name])
    assert search_titles(opened) == VIEWS[name]
    every_byte = b"".join(opened.values()).decode("utf-8", "replace")
    for title in TITLES - VIEWS[name]:
        assert html.escape(title) not in every_byte and title not in every_byte
    assert "share" not in json.dumps(sorted(every_byte.split()))  # no reader names either
    for other in set(PASSPHRASES) - {name}:
        assert re.search(rf"\b{other}\b", every_byte) is None


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_a_view_reads_like_a_public_build_of_the_same_subset(shared: Path, tmp_path: Path,
                                                             name: str) -> None:
    opened = open_site(shared / "output", view_keys(shared)[name])
    view = collections.Counter(_text(re.sub(rb'<p class="reply">.*?</p>', b"", d))
                               for p, d in opened.items() if p.endswith(".html"))
    public = subset_log(tmp_path / "public", name)
    pages = collections.Counter(_text(p.read_bytes()) for p in (public / "output").rglob("*.html"))
    assert view == pages


def test_the_authors_site_is_whole_and_each_file_opens_under_one_key(shared: Path) -> None:
    out = shared / "output"
    _, author = keys.unlock(shared, AUTHOR)
    sites = {"author": open_site(out, author),
             **{name: open_site(out, k) for name, k in view_keys(shared).items()}}
    assert search_titles(sites["author"]) == TITLES - {"Draft at Hooli"}
    owners = collections.Counter(path for files in sites.values() for path in files)
    assert set(owners.values()) == {1}
    published = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert published - set(owners) == {"robots.txt", ".growthlog-manifest.json",
                                       shell_parts().runtime_file}


def test_the_unlock_page_publishes_one_slot_per_reader_and_no_name(shared: Path) -> None:
    out = shared / "output"
    slots = _published_slots(out)
    site = keys.load_keyfile(shared).site
    assert len(slots) == 3
    opened = {name: [open_slot(s, site, p) for s in slots] for name, p in PASSPHRASES.items()}
    assert all(sum(v is not None for v in found) == 1 for found in opened.values())
    for page in out.rglob("*.html"):  # the same key block everywhere
        assert _published_slots(out, page.relative_to(out).as_posix()) == slots
    text = (out / "index.html").read_text()
    assert not any(re.search(rf"\b{n}\b", text) for n in PASSPHRASES)


def test_a_rebuild_with_readers_is_byte_identical(shared: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    build(shared, output=again, password=AUTHOR)
    before = read_tree(shared / "output")
    after = read_tree(again)
    assert {k: v for k, v in before.items() if not k.startswith(".")} == \
        {k: v for k, v in after.items() if not k.startswith(".")}


def test_a_removed_readers_passphrase_and_key_open_nothing_after_a_rebuild(
        tmp_path: Path) -> None:
    root = make_share_log(tmp_path / "log")
    build(root, password=AUTHOR)
    remembered = view_keys(root)["sam"]
    assert open_site(root / "output", remembered)
    readers.remove_reader(root, "sam")
    build(root, password=AUTHOR)
    out = root / "output"
    assert open_site(out, remembered) == {}
    site = keys.load_keyfile(root).site
    assert all(open_slot(s, site, PASSPHRASES["sam"]) is None for s in _published_slots(out))
    assert search_titles(open_site(out, view_keys(root)["kim"])) == VIEWS["kim"]


def test_an_unknown_reader_name_is_a_warning_naming_the_file(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {
        "content/a.md": entry("Role at Acme", share="[bob]")},
        "private = true\n[readers.zed]\nsince = 2026-01-01\n")
    keys.init_keyfile(root, AUTHOR)
    report = build(root, password=AUTHOR)
    shown = [w.format() for w in report.warnings]
    assert any("content/a.md" in w and "share: bob is no reader" in w for w in shown), shown
    assert any("readers.zed: zed is no reader" in w for w in shown), shown  # said once


@pytest.mark.parametrize("config, expected", [
    ("[readers.Sam]\ntags = ['x']\n", "growthlog.toml:1: readers.Sam: expected a reader name"),
    ("[readers.sam]\ntags = ['x']\nsicne = 2026-01-01\n",
     "growthlog.toml:3: readers.sam.sicne: unknown key 'sicne'; did you mean 'since'?"),
    ("[readers.sam]\nsince = 'soon'\n", "growthlog.toml:2: readers.sam.since: expected a date"),
    ("[readers.sam]\ntags = []\n", "growthlog.toml:2: readers.sam.tags: expected a non-empty"),
    ("[readers.sam]\nhide = ['suport']\n",
     "growthlog.toml:2: readers.sam.hide: 'suport' is no field a view can hide; did you "
     "mean 'support'?"),
    ("reply_to = 'not an address'\n", "growthlog.toml:1: reply_to: expected an e-mail"),
])
def test_reader_rules_are_checked_with_line_and_field(tmp_path: Path, config: str,
                                                      expected: str) -> None:
    (tmp_path / "growthlog.toml").write_text(config)
    _, problems = load_config(tmp_path)
    shown = [p.format() for p in problems]
    assert any(s.startswith(expected) for s in shown), shown


def test_a_declared_field_can_be_hidden(tmp_path: Path) -> None:
    (tmp_path / "growthlog.toml").write_text(
        "[[fields]]\nname = 'feelings'\n[readers.sam]\nhide = ['feelings', 'lessons']\n")
    config, problems = load_config(tmp_path)
    assert not problems and config.readers[0].hide == ("feelings", "lessons")


def test_share_in_front_matter_is_checked_and_another_tools_share_flag_is_not(
        tmp_path: Path) -> None:
    root = make_log(tmp_path / "bad", {"content/a.md": entry("Role", share="[Sam Smith]")})
    with pytest.raises(ProblemsFound) as caught:
        build(root)
    shown = [p.format() for p in caught.value.problems]
    assert any(s.startswith("content/a.md:4: share") and "expected reader names" in s
               for s in shown), shown
    root = make_log(tmp_path / "hugo", {"content/a.md": entry("Role", share="false")})
    assert build(root).entries == 1


def test_the_view_audit_finds_what_a_view_must_not_show(shared: Path) -> None:
    from generator.pipeline import load_log
    from generator.render import OutputFile
    from generator.views import View, audit_views, build_views

    log = load_log(shared)
    blob, _, pairs = keys.unlock_views(shared, AUTHOR)
    built = {v.name: v for v in build_views(shared, log, pairs, blob=blob, base_url="/")}
    # Clean: "Globex" is in a body sam may read, "Initech" in a title lee may read.
    assert audit_views(shared, log, built.values(), "/") == []

    def planted(view: View, text: str) -> View:
        page = OutputFile("planted.html", f"<p>{text}</p>".encode())
        return replace(view, plain=(*view.plain, page))

    found = audit_views(shared, log, [planted(built["sam"], "Data Analyst at Globex"),
                                      planted(built["lee"], "Aunt Wilhelmina said"),
                                      planted(built["kim"], "Data Analyst at Globex")], "/")
    shown = sorted(leak.format() for leak in found)
    assert shown == [
        "planted.html (in lee's view): shows support 'Aunt Wilhelmina' of 'SRE at Initech'",
        "planted.html (in sam's view): shows the title 'Data Analyst at Globex'",
    ], shown


def test_a_readers_entry_pages_offer_a_reply_by_mail_and_the_authors_do_not(
        shared: Path) -> None:
    opened = open_site(shared / "output", view_keys(shared)["sam"])
    pages = [body.decode() for path, body in opened.items() if path.endswith(".html")]
    replies = sorted(re.findall(r'href="(mailto:[^"]*)"', "".join(pages)))
    assert replies == ["mailto:me@example.com?subject=Re%3A%20Platform%20Engineer%20at%20Acme",
                       "mailto:me@example.com?subject=Re%3A%20SRE%20at%20Initech"]
    _, author = keys.unlock(shared, AUTHOR)
    assert not any(b"mailto:" in body for body in open_site(shared / "output", author).values())
