"""The leak audit: every file of a private build verified by its structure, only the
plaintext left searched; silent on honest logs whatever words they use, loud on a real
leak of the same words, and clear about a public build."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import keys, private
from generator.audit import (
    LeaksFound,
    Needle,
    audit_files,
    encodings,
    raise_on_leaks,
    scan,
)
from generator.build import build
from generator.cli import main
from generator.config import SiteConfig
from generator.crypto import SiteKeys, seal_file, wrap_site_key
from generator.private import OpaqueNames, encrypt_site, shell_parts
from generator.render import OutputFile
from generator.site_audit import PublicBuild, audit_output
from generator.urls import file_path

from conftest import REPO, entry, make_log, read_tree

PASSWORD = "cobalt hazel dune tripod plaza"
MANIFEST = ".growthlog-manifest.json"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("audit") / "log"
    shutil.copytree(REPO / "content", root / "content")
    keys.init_keyfile(root, PASSWORD)
    build(root, private=True, password=PASSWORD)
    build(root, output=root / "public")
    return root


def test_private_build_of_the_sample_log_reports_nothing(sample: Path) -> None:
    assert audit_output(sample) == []
    result = CliRunner().invoke(main, ["audit", str(sample)])
    assert result.exit_code == 0 and "No leaks found." in result.output


def test_audit_of_a_public_build_says_it_is_meant_for_private_builds(sample: Path) -> None:
    """Issue 12 #13: it listed 365 'leaks' and exited 1 without saying why."""
    with pytest.raises(PublicBuild):
        audit_output(sample, sample / "public")
    result = CliRunner().invoke(main, ["audit", str(sample), "-o", str(sample / "public")])
    assert result.exit_code == 1
    assert result.output == (
        f"error: {sample / 'public'} holds a public build: nothing in it is encrypted, so "
        "everything the log says is readable there. `growthlog audit` checks private "
        "builds; set `private = true` in growthlog.toml (or pass --private), build, then "
        "audit.\n")


@pytest.mark.parametrize(("data", "encoding"), [
    (b"<p>Tom &amp; Jerry&#39;s plan</p>", "HTML-escaped (numeric)"),
    (b"<p>Tom &amp; Jerry&#x27;s plan</p>", "HTML-escaped"),
    (b'{"x":"Tom & Jerry\\u2019s plan"}', "JSON-escaped"),
    (b"?q=Tom%20%26%20Jerry%E2%80%99s%20plan", "URL-encoded"),
    (b"?q=Tom+%26+Jerry%E2%80%99s+plan", "URL-encoded form"),
    (b"/tom-jerrys-plan/", "slugified"),
    (b"TOM & JERRY\xe2\x80\x99S PLAN", "raw"),
])
def test_every_encoding_is_found(data: bytes, encoding: str) -> None:
    text = "Tom & Jerry\u2019s plan" if "x27" not in data.decode() and "39" not in data.decode() \
        else "Tom & Jerry's plan"
    leaks = scan({"page.html": data}, [Needle("lesson", text)])
    assert [leak.encoding for leak in leaks] == [encoding], encodings(text)


def test_file_names_are_scanned() -> None:
    needles = [Needle("tag 'sql'", "sql"), Needle("the date", "2026-03-10", names_only=True)]
    leaks = scan({"tags/sql/index.html": b"", "2026-03-10.html": b"2026-03-10"}, needles)
    assert sorted(leak.format() for leak in leaks) == [
        "2026-03-10.html: file name shows the date",
        "tags/sql/index.html: file name shows tag 'sql'"]


def test_short_needles_match_whole_words_only() -> None:
    assert scan({"x": b"<li>sql</li>"}, [Needle("tag", "sql")]) != []
    assert scan({"x": b"<li>SQL, Sql</li>"}, [Needle("tag", "sql")]) != []
    assert scan({"x": b"<li>mysqlite</li>"}, [Needle("tag", "sql")]) == []


def test_a_private_build_that_would_leak_writes_nothing(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry(company="Zephyrine Labs")})
    keys.init_keyfile(root, PASSWORD)
    real = private.encrypt_site

    def leaky(files: list[OutputFile], **kwargs: Any) -> list[OutputFile]:
        return [*real(files, **kwargs), OutputFile("notes.bin", b"Zephyrine Labs\n")]

    monkeypatch.setattr("generator.private.encrypt_site", leaky)  # build imports it per build
    with pytest.raises(LeaksFound) as info:
        build(root, private=True, password=PASSWORD)
    assert str(info.value).splitlines()[1:] == [
        "notes.bin: not a sealed file (15 bytes is no sealed size)",
        "notes.bin: shows company 'Zephyrine Labs'"]
    assert not (root / "output").exists()


def test_raise_on_leaks_is_silent_when_clean() -> None:
    raise_on_leaks([])


# --- structure, and the property: no false refusal, every real leak found ----------------

@pytest.fixture(scope="module")
def public_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A small log's public pages, static files and attachment (rendered once)."""
    root = make_log(tmp_path_factory.mktemp("words") / "log", {
        "content/2026/a.md": entry("Data Engineer at Acme", tags="[sql, python]",
                                   body="![diagram](diagram.png)\n\nA sentence that says a lot."),
        "content/2026/diagram.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
        "content/2025/b.md": entry("Analyst at Brightline", "2025-05-02", stage="interview")})
    build(root)
    return {k: v for k, v in read_tree(root / "output").items() if k != MANIFEST}


def seal(files: dict[str, bytes], site_key: bytes, site: str, *,
         rerandomize: bool = False) -> tuple[dict[str, bytes], SiteKeys]:
    """The rendered files as a private build publishes them under this site key."""
    site_keys = SiteKeys.derive(site, site_key)
    names = OpaqueNames(site_keys.slug)
    renamed = [OutputFile(file_path(names(path.removesuffix("index.html"))), data)
               for path, data in files.items()]
    blob = wrap_site_key(site_key, PASSWORD, site=site, iterations=1000)
    sealed = encrypt_site(renamed, keys=site_keys, blob=blob, names=names,
                          config=SiteConfig(private=True), base_url="/",
                          rerandomize=rerandomize)
    return {f.path: f.data for f in sealed}, site_keys


def shell_words(published: dict[str, bytes]) -> list[str]:
    """Every word growthlog itself publishes in plaintext: a shell (template, CSP, loader,
    style), the unlock runtime and robots.txt."""
    own = [published["index.html"], published[shell_parts().runtime_file],
           published["robots.txt"]]
    text = "\n".join(data.decode() for data in own)
    return sorted({*re.findall(r"[A-Za-z][A-Za-z0-9]{2,}", text),
                   *re.findall(r"[A-Za-z][A-Za-z0-9_-]{2,}", text)})


SITE_IDS = st.binary(min_size=12, max_size=12).map(
    lambda b: base64.urlsafe_b64encode(b).decode())


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(site_key=st.binary(min_size=32, max_size=32), site=SITE_IDS,
       rerandomize=st.booleans(), with_keys=st.booleans())
def test_no_word_growthlog_publishes_is_ever_a_leak(
        public_files: dict[str, bytes], site_key: bytes, site: str, rerandomize: bool,
        with_keys: bool) -> None:
    """Issue 9 #17: words of the unlock page (its CSP, meta tags, runtime) as tags or
    companies, and short needles met by chance in sealed bytes, refused honest logs."""
    published, site_keys = seal(public_files, site_key, site, rerandomize=rerandomize)
    words = shell_words(published)
    assert {"Journal", "Unlock", "noindex", "sha256", "none", "self", "blob", "Disallow",
            "agent", "sessionStorage", "IndexedDB"} <= set(words)
    needles = [Needle(f"tag '{w}'", w) for w in words]
    needles += [Needle(f"tag '{w}'", w) for w in ("sql", "api", "go", "ai", "ux", "k8s", "iOS")]
    assert audit_files(published, needles, shell_parts(), site_keys if with_keys else None) == []


@pytest.mark.parametrize("where", ["name", "title", "base", "cname", "style", "blob", "robots"])
def test_a_real_leak_of_a_word_growthlog_publishes_is_found(
        public_files: dict[str, bytes], where: str) -> None:
    published, site_keys = seal(public_files, bytes(32), "AAAAAAAAAAAAAAAA")
    words = [w for w in shell_words(published) if len(w) >= 3]
    assert len(words) > 100
    parts = shell_parts()
    files = dict(published)
    home = files["index.html"].decode()
    spaced = " ".join(words)
    if where == "name":
        files.update({f"{word}/index.html": files["index.html"] for word in words})
    elif where == "title":
        files["index.html"] = home.replace("<title>Journal", f"<title>{spaced} Journal").encode()
    elif where == "base":
        files["index.html"] = home.replace('"base":"/"', f'"base":"/{spaced}/"').encode()
    elif where == "cname":
        files["CNAME"] = f"{spaced}.example.org\n".encode()
    elif where == "robots":
        files["robots.txt"] += f"# {spaced}\n".encode()
    elif where == "style":
        files["index.html"] = home.replace(parts.style, parts.style + f"/*{spaced}*/").encode()
    else:
        files["notes.bin"] = f"{spaced}\n".encode() * 40
    needles = [Needle(f"tag '{word}'", word) for word in words]
    shown = {leak.needle.text for leak in audit_files(files, needles, parts, site_keys)}
    assert [w for w in words if w not in shown] == [], f"leaked through the {where}, not found"


def test_an_honest_log_of_such_words_builds_privately(tmp_path: Path) -> None:
    text = entry("Engineer at Render", company="Render", role="Unlock",
                 tags="[private, session, journal, noindex, sha256, self, none, robots, blob, "
                       "agent, Disallow, User]")
    root = make_log(tmp_path / "log", {"content/a.md": text},
                    'title = "Journal"\nauthor = "Passphrase"\n')
    keys.init_keyfile(root, PASSWORD)
    build(root, private=True, password=PASSWORD)
    assert audit_output(root) == []


def test_a_file_is_either_a_sealed_blob_or_a_shell(public_files: dict[str, bytes]) -> None:
    published, site_keys = seal(public_files, bytes(range(32)), "BBBBBBBBBBBBBBBB")
    parts = shell_parts()
    blob = next(p for p in published if p.endswith(".bin"))
    page = next(p for p in published if p.endswith("/index.html"))
    shell = published[page].decode()
    payload = json.loads(re.findall(r'id="gl-page">(.*?)</script>', shell)[0])["payload"]
    text = b"body{color:red}\n" * 300
    size = 4096 + 28
    swapped = seal_file(site_keys, "other.bin", {"kind": "file"}, b"x")
    cases = {
        "plain.bin": (b"plaintext", "not a sealed file (9 bytes is no sealed size)"),
        "padded.bin": (text[:size - 100] + bytes(100),
                       "not a sealed file (it does not open for its own path)"),
        blob: (swapped, "not a sealed file (it does not open for its own path)"),
        page: (shell.replace(payload, payload[:99] + "AB"[payload[99] == "A"] + payload[100:])
               .encode(),
               "an unlock page whose payload is not a sealed file (it does not open for its "
               "own path)"),
        "x/index.html": (shell.replace("</body>", "<script>alert(1)</script></body>").encode(),
                         "not an unlock page of this version of growthlog"),
    }
    for path, (data, problem) in cases.items():
        files = {**published, path: data}
        assert [leak.format() for leak in audit_files(files, [], parts, site_keys)] == [
            f"{path}: {problem}"]
    # Without the keys (`growthlog audit`): sizes, base64 and incompressible bytes.
    files = {**published, "padded.bin": cases["padded.bin"][0]}
    assert [leak.format() for leak in audit_files(files, [], parts)] == [
        "padded.bin: not a sealed file (its bytes are not ciphertext)"]
    assert audit_files(published, [], parts) == []
