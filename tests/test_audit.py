"""The leak audit: silent on a private build, loud on a public one, in every encoding."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator import keys, private
from generator.audit import LeaksFound, Needle, audit_output, encodings, raise_on_leaks, scan
from generator.build import build
from generator.cli import main
from generator.render import OutputFile

from conftest import REPO, entry, make_log

PASSWORD = "cobalt hazel dune tripod plaza"


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


def test_public_build_of_the_sample_log_reports_the_leaks(sample: Path) -> None:
    leaks = audit_output(sample, sample / "public")
    lines = {leak.format() for leak in leaks}
    assert "index.html: shows company 'Marrowfield Bank'" in lines
    assert any(line.startswith("entries/senior-backend-engineer-at-marrowfield-bank/index.html"
                               ": file name shows") for line in lines)
    assert any("atom.xml: file name shows a sitemap or feed" in line for line in lines)
    assert any("search/index.json: shows" in line for line in lines)
    result = CliRunner().invoke(main, ["audit", str(sample), "-o", str(sample / "public")])
    assert result.exit_code == 1
    assert "index.html: shows company 'Marrowfield Bank'" in result.output
    assert f"{len(leaks)} leaks found." in result.output


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


def test_short_needles_inside_base64_are_chance_not_leaks() -> None:
    blob = b"A" * 300 + b"+sql/" + b"B" * 300
    assert scan({"x/index.html": blob}, [Needle("tag", "sql")]) == []
    assert scan({"x/index.html": b"<li>sql</li>"}, [Needle("tag", "sql")]) != []
    assert scan({"x/index.html": b"<li>mysqlite</li>"}, [Needle("tag", "sql")]) == []


def test_a_private_build_that_would_leak_writes_nothing(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry(company="Zephyrine Labs")})
    keys.init_keyfile(root, PASSWORD)
    real = private.encrypt_site

    def leaky(files: list[OutputFile], **kwargs: Any) -> list[OutputFile]:
        return [*real(files, **kwargs), OutputFile("notes.txt", b"Zephyrine Labs\n")]

    monkeypatch.setattr("generator.build.encrypt_site", leaky)
    with pytest.raises(LeaksFound, match="notes.txt: shows company 'Zephyrine Labs'"):
        build(root, private=True, password=PASSWORD)
    assert not (root / "output").exists()


def test_words_of_the_unlock_page_are_not_leaks(tmp_path: Path) -> None:
    text = entry("Engineer at Render", company="Render", tags="[private, session, journal]")
    root = make_log(tmp_path / "log", {"content/a.md": text})
    keys.init_keyfile(root, PASSWORD)
    build(root, private=True, password=PASSWORD)
    assert audit_output(root) == []


def test_raise_on_leaks_is_silent_when_clean() -> None:
    raise_on_leaks([])
