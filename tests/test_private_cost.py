"""What keeps a private build cheap (issue 9 #17: at most 1.3x a public build), pinned so
that it stays so, and so that no saving weakens what it saves on."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_private import PASSWORD, sample_log

from generator import audit, private
from generator.audit import Needle, audit_files, encodings, may_show, site_needles
from generator.build import build, load_log
from generator.keys import unlock
from generator.private import shell_parts

from conftest import read_tree

TOKEN = re.compile(rb"[a-z2-7]{16}")


def test_each_opaque_name_is_computed_once_per_build(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """An HMAC per distinct path, not one per link (a page links ~60 others)."""
    calls: Counter[str] = Counter()
    token = private.opaque_token

    def counted(key: bytes, logical: str) -> str:
        calls[logical] += 1
        return token(key, logical)

    monkeypatch.setattr(private, "opaque_token", counted)
    root = sample_log(tmp_path / "log")
    build(root, private=True, password=PASSWORD)
    assert len(calls) > 20, calls
    assert max(calls.values()) == 1, calls.most_common(3)
    published = {p.relative_to(root / "output").as_posix()
                 for p in (root / "output").rglob("*") if p.is_file()}
    assert len(published) <= len(calls) + 5  # every name comes from one of those HMACs


# --- the audit spells only the needles that can show in what a private site leaves plain --

WORDS = st.text(alphabet="abcdefgkmnz234567ABZ019", min_size=1, max_size=70)
TEXTS = st.one_of(
    st.text(max_size=120),  # any character at all
    st.text(alphabet="abcXYZ0129 '-,.!&;#+_/%~\t\n\"<>", max_size=120),
    st.lists(WORDS, min_size=1, max_size=14).map(" ".join),  # long, with long words
    st.tuples(st.sampled_from(["", "'", "!", "..", "(", "1,"]),
              st.text(alphabet="abcdefghijklmnopqrstuvwxyz234567", min_size=14, max_size=17),
              st.sampled_from(["", "'", "!", "?", ",0", "s"])).map("".join),  # token-sized
)


@settings(max_examples=600, deadline=None)
@given(text=TEXTS)
@example("Kalominesuratiki " + "x" * 70)  # slugify's truncation keeps the first word alone
@example("x" * 90 + " kalominesuratiki")  # ... or a later one
@example("'Kalominesuratiki'")
@example("1,000,000kalomine")
@example("&amp;kalominesuratiki")
@example("C++ and C# at Acme")
@example("\u03a9 kalomine " + "y" * 80)
@example("Tom & Jerry\u2019s plan")
def test_every_spelling_keeps_what_the_audit_looks_for(text: str) -> None:
    """may_show's claims about encodings (and so about slugify), checked against them: it
    says no only where no spelling can be in the plaintext or equal an opaque name."""
    for name, form in encodings(text).items():
        spelled = form.encode("utf-8").lower()
        assert may_show(text, spelled, frozenset()), (text, name, form)
        if TOKEN.fullmatch(spelled):
            assert may_show(text, b"", {spelled}), (text, name, form)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    root = sample_log(tmp_path_factory.mktemp("cost") / "log")
    build(root, private=True, password=PASSWORD)
    return root, read_tree(root / "output")


def test_a_clean_private_build_spells_few_of_its_needles(
        sample: tuple[Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Spelling every needle in eight forms was 2.4 s of a 1,000-entry build: only what
    can reach the names, shell fields, robots.txt and CNAME is spelled now."""
    root, files = sample
    spelled: list[str] = []
    real = audit.encodings

    def counted(text: str) -> dict[str, str]:
        spelled.append(text)
        return real(text)

    monkeypatch.setattr(audit, "encodings", counted)
    log = load_log(root, drafts=True)
    needles = site_needles(log.site, log.config)
    assert len(needles) > 300
    assert audit_files(files, needles, shell_parts(), unlock(root, PASSWORD)[1]) == []
    assert len(spelled) <= len(needles) // 20, spelled


def test_a_needle_only_sealed_pages_hold_is_found_wherever_it_shows(
        sample: tuple[Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Needles the clean site never shows in plaintext (so the audit no longer spells
    them), put in a name, a shell's base URL and CNAME, in several spellings: every one
    is found, and the findings are exactly those of spelling every needle."""
    root, published = sample
    log = load_log(root, drafts=True)
    needles = site_needles(log.site, log.config)
    kinds = ("company", "tag", "the title", "body sentence", "lesson", "the date")
    picked = {kind: next(n for n in needles if n.what.startswith(kind)) for kind in kinds}
    picked["token"] = Needle("tag 'kalominesuratiki'", "kalominesuratiki")
    picked["slug token"] = Needle("company 'Kalominesuratiki!'", "Kalominesuratiki!")
    needles += [picked["token"], picked["slug token"]]
    files = dict(published)
    home = files["index.html"].decode()
    some_blob = next(data for path, data in files.items() if path.endswith(".bin"))
    files[f"{encodings(picked['body sentence'].text)['slugified']}/index.html"] = \
        files["index.html"]
    files[f"media/{picked['the date'].text}.bin"] = some_blob
    files["kalominesuratiki/index.html"] = files["index.html"]
    files["kalominesuratiki.bin"] = some_blob
    base = "/" + quote(picked["company"].text) + "/" + picked["tag"].text.upper() + "/"
    files["index.html"] = home.replace('"base":"/"', f'"base":"{base}"').encode()
    files["CNAME"] = (picked["the title"].text + "\n" + picked["lesson"].text).encode()
    parts, keys = shell_parts(), unlock(root, PASSWORD)[1]
    leaks = audit_files(files, needles, parts, keys)
    found = {leak.needle.text for leak in leaks if not leak.problem}
    assert {n.text for n in picked.values()} <= found, [leak.format() for leak in leaks]
    monkeypatch.setattr(audit, "MAX_FILTERED", -1)  # spell every needle, as before
    assert audit_files(files, needles, parts, keys) == leaks
