"""What keeps a private build cheap (issue 9 #17: at most 1.3x a public build), pinned so
that it stays so, and so that no saving weakens what it saves on."""

from __future__ import annotations

import json
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
from generator.build import build
from generator.config import SiteConfig
from generator.crypto import SiteKeys, wrap_site_key
from generator.keys import unlock
from generator.pipeline import load_log
from generator.private import shell_parts
from generator.render import OutputFile

from conftest import REPO, read_tree

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


def test_a_shell_repeats_only_what_every_page_must_carry(
        sample: tuple[Path, dict[str, bytes]]) -> None:
    """Each shell held the 18 KB runtime and the 12.7 KB search script (113 MB of a 1,000-
    entry site, where the public one is 23 MB): the runtime is one file now, and the
    search script is sealed. What a shell adds to its payload is the template, the policy,
    the style, the key block and the short loader."""
    _, files = sample
    parts = shell_parts()
    runtime = parts.runtime.encode()
    assert files[parts.runtime_file] == runtime
    search = (REPO / "themes" / "default" / "static" / "search.js").read_bytes()
    pages = [data for path, data in files.items() if path.endswith(".html")]
    assert len(pages) > 20
    for page in pages:
        payload = re.search(rb'"payload":"([^"]*)"', page)
        assert payload is not None
        assert runtime[:200] not in page and search[:200] not in page
        assert len(page) - len(payload.group(1)) < 6_000, len(page) - len(payload.group(1))


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
    # A build makes (and describes) only the needles that can show at all.
    site = audit.check_files(files, shell_parts(), unlock(root, PASSWORD)[1])
    made = site_needles(log.site, log.config, keep=site.may_show)
    assert len(made) <= len(needles) // 20 and site.leaks(made) == []


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
    site = audit.check_files(files, parts, keys)  # as a build does it
    made = site_needles(log.site, log.config, keep=site.may_show)
    assert len(made) < len(needles) // 20
    assert site.leaks([*made, picked["token"], picked["slug token"]]) == leaks
    monkeypatch.setattr(audit, "MAX_FILTERED", -1)  # spell every needle, as before
    assert audit_files(files, needles, parts, keys) == leaks


def test_a_field_every_shell_repeats_is_checked_once_and_each_variant_is_caught(
        sample: tuple[Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSP and key blob are the same in every shell: checked once per audit, not once
    per page; a shell whose copy differs is still checked, and so is every payload."""
    root, published = sample
    parts, keys = shell_parts(), unlock(root, PASSWORD)[1]
    calls: list[str] = []
    real = audit._csp_ok

    def counted(csp: str) -> bool:
        calls.append(csp)
        return real(csp)

    monkeypatch.setattr(audit, "_csp_ok", counted)
    assert audit_files(published, [], parts, keys) == []
    assert len(calls) == 1
    pages = sorted(p for p in published if p.endswith("/index.html"))
    # The third: one whose payload ends in padding (its last character has spare bits).
    pages.insert(2, pages.pop(next(n for n, p in enumerate(pages)
                                   if n >= 2 and b'="}' in published[p])))
    files = dict(published)
    csp, iters, padded = (files[p].decode() for p in pages[:3])
    files[pages[0]] = csp.replace("default-src 'none'", "default-src https://x.example").encode()
    files[pages[1]] = re.sub(r'"iter":(\d+)', r'"iter":"\1"', iters, count=1).encode()
    payload = re.findall(r'"payload":"([^"]*)"', padded)[0]
    assert payload.endswith("=")  # a last character with bits base64 never sets
    stem, last = payload.rstrip("="), payload[len(payload.rstrip("=")) - 1]
    loose = stem[:-1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".index(last) | 1] \
        + payload[len(stem):]
    assert loose != payload
    files[pages[2]] = padded.replace(payload, loose).encode()
    problems = sorted(leak.format() for leak in audit_files(files, [], parts, keys))
    assert problems == sorted([
        f"{pages[0]}: an unlock page with a Content-Security-Policy growthlog does not write",
        f"{pages[2]}: an unlock page whose payload is not base64"]), problems
    assert len(calls) == 1 + 2  # this audit's own: the CSP as most shells have it, and one
    memo = audit.Memo()
    verdicts = [audit.check_file(p, files[p], parts, keys, memo) for p in (*pages, *pages)]
    assert '"600000"' in verdicts[1].plaintext  # a key field growthlog does not write: plain
    assert verdicts[1] == verdicts[len(pages) + 1]
    assert [v.problem for v in verdicts].count(None) == 2 * (len(pages) - 2)


def test_a_shell_checked_by_its_frame_gets_the_verdict_a_whole_check_gives(
        sample: tuple[Path, dict[str, bytes]]) -> None:
    """A shell whose bytes around its page equal a checked shell's is checked only for its
    page: the same verdict as parsing it whole, also when the page smuggles the literal
    that ends it (a JSON string may hold '</script>'), and whatever else was changed."""
    root, published = sample
    parts, keys = shell_parts(), unlock(root, PASSWORD)[1]
    pages = sorted(p for p in published if p.endswith(".html"))
    shell = published[pages[1]]
    ends = b"</script>\n<script>"
    crafted = {
        "smuggled": re.sub(rb'("payload":"[^"]*)"}', rb'\1","z":"</script>\n<script>alert(1)//"}',
                           shell, count=1),
        "member": re.sub(rb'("payload":"[^"]*)"}', rb'\1","z":"Zqsecret"}', shell, count=1),
        "payload": re.sub(rb'"payload":"(.)', lambda m: b'"payload":"' + (
            b"B" if m.group(1) == b"A" else b"A"), shell, count=1),
        "tail": shell + b"<script>alert(1)</script>",
        "head": b"<!-- Zqsecret -->" + shell,
        "empty": re.sub(rb'id="gl-page">.*?</script>', b'id="gl-page"></script>', shell,
                        flags=re.S),
    }
    assert ends in crafted["smuggled"] and all(v != shell for v in crafted.values())
    outside = shell.index(b'id="gl-page">')
    assert all(v.startswith(shell[:outside]) for k, v in crafted.items() if k != "head")
    memo = audit.Memo()
    for path in pages:
        assert audit.check_file(path, published[path], parts, keys, memo).problem is None
    assert memo.frames
    for name, data in crafted.items():
        framed = audit.check_file(pages[1], data, parts, keys, memo)
        whole = audit.check_file(pages[1], data, parts, keys, audit.Memo())
        assert framed == whole, name
        assert framed.problem or "Zqsecret" in "".join(framed.plaintext), name


def test_a_shell_is_the_template_with_its_page_json_as_json_writes_it() -> None:
    """encrypt_site joins pre-encoded bytes around a page JSON it writes by hand (the
    payload is not escaped again): the same bytes as the template filled in and encoded."""
    site_keys = SiteKeys.derive("AAAAAAAAAAAAAAAA", bytes(32))
    blob = wrap_site_key(bytes(32), PASSWORD, site="AAAAAAAAAAAAAAAA", iterations=1000)
    base = "/a</b/\u00e9t\u00e9\"/"
    files = [OutputFile("x</y\u00e9/index.html", "<title>T\u00e9</title>x".encode()),
             OutputFile("404.html", b"<title>Gone</title>")]
    out = private.encrypt_site(files, keys=site_keys, blob=blob,
                               names=private.OpaqueNames(site_keys.slug),
                               config=SiteConfig(private=True), base_url=base)
    for item in (f for f in out if f.path.endswith(".html")):
        text = item.data.decode()
        page = re.findall(r'id="gl-page">(.*?)</script>', text, re.S)[0]
        value = json.loads(page)
        assert value["id"] == item.path and value["base"] == base
        assert page == json.dumps(value, sort_keys=True, separators=(",", ":")).replace(
            "</", "<\\/")
        assert text.count(page) == 1 and "@@" not in text


def test_a_shell_is_compared_as_bytes_and_any_byte_that_is_not_utf8_is_refused(
        sample: tuple[Path, dict[str, bytes]]) -> None:
    """Shells are checked without decoding each one: a stray byte anywhere, in a field or
    in growthlog's own text, still makes it no shell; and the runtime file is the shipped
    one byte for byte (it is not ASCII)."""
    root, published = sample
    parts, keys = shell_parts(), unlock(root, PASSWORD)[1]
    pages = sorted(p for p in published if p.endswith("/index.html"))
    runtime = parts.runtime.encode()
    accent = next(n for n, byte in enumerate(runtime) if byte >= 0x80)
    files = dict(published)
    files[pages[0]] = files[pages[0]].replace(b'<html lang="en"', b'<html lang="e\xffn"')
    files[pages[1]] = files[pages[1]].replace(b"const $", b"const \xff$")
    files[pages[2]] = files[pages[2]].replace(b"<title>", b"<title>\xc3")
    files[parts.runtime_file] = runtime[:accent] + b"\xff" + runtime[accent + 1:]
    assert all(files[p] != published[p] for p in (*pages[:3], parts.runtime_file))
    leaks = audit_files(files, [], parts, keys)
    assert sorted(leak.format() for leak in leaks if leak.problem) == sorted([
        *(f"{page}: not an unlock page of this version of growthlog" for page in pages[:3]),
        f"{parts.runtime_file}: not growthlog's unlock script"])
