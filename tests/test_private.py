"""Private builds: shells, opaque names, sealed files, determinism, keys and the CLI."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator import keys
from generator.build import build
from generator.cli import main
from generator.crypto import SiteKeys, WrongPassphrase, open_file, padme
from generator.errors import GrowthlogError
from generator.output import staging_dir
from generator.private import OpaqueNames, csp_hash, shell_parts

from conftest import REPO, entry, make_log, read_tree

PASSWORD = "cobalt hazel dune tripod plaza"
NAME = re.compile(r"^(?:[a-z2-7]{16}/index\.html|[a-z2-7]{16}\.bin|index\.html|404\.html|"
                  r"robots\.txt|\.growthlog-manifest\.json|unlock-[0-9a-f]{16}\.js)$")


def sample_log(root: Path, config: str = "") -> Path:
    shutil.copytree(REPO / "content", root / "content")
    (root / "growthlog.toml").write_text(config, encoding="utf-8")
    keys.init_keyfile(root, PASSWORD)
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    root = sample_log(tmp_path_factory.mktemp("private") / "log")
    build(root, private=True, password=PASSWORD)
    return root, read_tree(root / "output")


def shell_json(page: bytes, element: str) -> Any:
    match = re.search(rf'<script type="application/json" id="{element}">(.*?)</script>',
                      page.decode(), re.S)
    assert match is not None
    return json.loads(match.group(1))


def open_page(root: Path, path: str, page: bytes) -> tuple[dict[str, Any], str]:
    _, site_keys = keys.unlock(root, PASSWORD)
    data = shell_json(page, "gl-page")
    assert data["id"] == path
    meta, body = open_file(site_keys, path, base64.b64decode(data["payload"]))
    return meta, body.decode()


def test_every_name_is_opaque(built: tuple[Path, dict[str, bytes]]) -> None:
    _, tree = built
    assert all(NAME.match(path) for path in tree), [p for p in tree if not NAME.match(p)]
    assert "index.html" in tree and "404.html" in tree


def test_no_sitemap_feed_or_plain_index_and_robots_stay_out(
        built: tuple[Path, dict[str, bytes]]) -> None:
    _, tree = built
    assert tree["robots.txt"] == b"User-agent: *\nDisallow: /\n"
    assert not [p for p in tree if p.endswith((".xml", ".json", ".md", ".css", ".svg"))
                and p != ".growthlog-manifest.json"]


def test_every_page_is_the_generic_shell(built: tuple[Path, dict[str, bytes]]) -> None:
    root, tree = built
    runtime = (REPO / "generator" / "assets" / "unlock.js").read_text()
    pages = [p for p in tree if p.endswith(".html")]
    shells = {re.sub(rb'id="gl-page">.*?</script>', b"", tree[p], flags=re.S) for p in pages}
    assert len(shells) == 1  # identical apart from the payload
    shell = shells.pop().decode()
    assert "<title>Journal</title>" in shell
    assert '<meta name="robots" content="noindex' in shell
    assert '<meta name="referrer" content="no-referrer">' in shell
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', shell)
    assert csp is not None
    policy = csp.group(1)
    assert "default-src 'none'" in policy and "unsafe-inline' " not in policy.replace(
        "style-src-attr 'unsafe-inline'", "")
    parts = shell_parts()
    assert tree[parts.runtime_file] == runtime.encode()
    scripts = re.findall(r"<script>(.*?)</script>", shell, re.S)
    assert scripts == [parts.loader] and parts.runtime_file in parts.loader
    script_src = re.search(r"script-src ([^;]*);", policy)
    assert script_src is not None
    # Only these exact texts run: no 'self' (a shared origin's other sites are 'self').
    assert script_src.group(1).split()[:2] == [csp_hash(parts.loader), csp_hash(runtime)]
    assert all(s.startswith("'sha256-") for s in script_src.group(1).split())
    assert "connect-src 'self'" in policy and "form-action 'none'" in policy
    assert 'autocomplete="current-password"' in shell and 'autocomplete="username"' in shell
    assert "http://" not in shell and "https://" not in shell


def test_pages_decrypt_to_the_public_page_with_opaque_links(
        built: tuple[Path, dict[str, bytes]], tmp_path: Path) -> None:
    root, tree = built
    public = tmp_path / "public"
    build(root, output=public)
    home_meta, home = open_page(root, "index.html", tree["index.html"])
    assert home_meta["kind"] == "page"
    assert home.replace("\n", "").count("<article") == (public / "index.html").read_text() \
        .replace("\n", "").count("<article")
    hrefs = set(re.findall(r'href="([^"#]+)', home))
    assert hrefs and all(re.fullmatch(r"/(?:[a-z2-7]{16}(?:/|\.bin))?", h) for h in hrefs), hrefs
    pages = [p for p in tree if p.endswith("/index.html")]
    titles = [open_page(root, p, tree[p])[0]["title"] for p in pages]
    assert any("Marrowfield Bank" in t for t in titles)


def test_attachments_and_stylesheets_are_sealed(built: tuple[Path, dict[str, bytes]]) -> None:
    root, tree = built
    _, site_keys = keys.unlock(root, PASSWORD)
    opened = {p: open_file(site_keys, p, tree[p]) for p in tree if p.endswith(".bin")}
    types = {meta["type"] for meta, _ in opened.values()}
    assert "image/svg+xml" in types and "text/css" in types
    # The theme's favicon is an SVG too: the sample's picture is the one a page shows.
    svgs = [p for p, (meta, _) in opened.items() if meta["type"] == "image/svg+xml"]
    page = next(body for p in tree if p.endswith("/index.html")
                and any(f'src="/{svg}"' in (body := open_page(root, p, tree[p])[1])
                        for svg in svgs))
    assert "../../media/" not in page


def test_sizes_are_padded(built: tuple[Path, dict[str, bytes]]) -> None:
    _, tree = built
    for path, data in tree.items():
        if path.endswith(".bin"):
            assert len(data) - 28 == padme(len(data) - 28) >= 4096


def test_rebuild_is_byte_identical_and_writes_nothing(
        built: tuple[Path, dict[str, bytes]]) -> None:
    root, tree = built
    report = build(root, private=True, password=PASSWORD)
    assert report.written == () and read_tree(root / "output") == tree


def test_rerandomize_changes_every_encrypted_file(tmp_path: Path) -> None:
    root = sample_log(tmp_path / "log", "rerandomize = true\n")
    build(root, private=True, password=PASSWORD)
    first = read_tree(root / "output")
    build(root, private=True, password=PASSWORD)
    second = read_tree(root / "output")
    assert first.keys() == second.keys()
    changed = {p for p in first if first[p] != second[p]}
    assert changed == {p for p in first if p.endswith((".html", ".bin"))} | {
        ".growthlog-manifest.json"}


def test_wrong_passphrase_writes_nothing(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()}, "private = true\n")
    keys.init_keyfile(root, PASSWORD)
    with pytest.raises(WrongPassphrase):
        build(root, password="quiet lantern orbit maple fennel")
    assert not (root / "output").exists()


def test_private_build_without_passphrase_is_refused(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()}, "private = true\n")
    with pytest.raises(GrowthlogError, match="needs the passphrase"):
        build(root)
    assert not (root / "output").exists()


def test_passwd_keeps_pages_and_names_rotate_changes_them(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    keys.init_keyfile(root, PASSWORD)
    build(root, private=True, password=PASSWORD)
    before = read_tree(root / "output")
    new = "quiet lantern orbit maple fennel"
    keys.change_passphrase(root, PASSWORD, new)
    build(root, private=True, password=new)
    after = read_tree(root / "output")
    assert before.keys() == after.keys()
    strip = re.compile(rb'id="gl-key">.*?</script>', re.S)
    assert all(strip.sub(b"", before[p]) == strip.sub(b"", after[p]) for p in before
               if p.endswith(".html"))
    keys.rotate_key(root, new)
    build(root, private=True, password=new)
    rotated = read_tree(root / "output")
    opaque = {p for p in before if p.endswith((".bin", "/index.html"))}
    assert opaque and not opaque & rotated.keys()


def test_private_config_options_are_validated(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()},
                    "iterations = 1000\nremember_days = -1\n")
    result = CliRunner().invoke(main, ["build", str(root)])
    assert result.exit_code == 1
    assert "iterations: expected at least 600,000; found 1,000" in result.output
    assert "remember_days: expected at least 0; found -1" in result.output


def test_cli_private_build_from_environment(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    monkeypatch.setenv("GROWTHLOG_PASSWORD", PASSWORD)
    result = CliRunner().invoke(main, ["build", "--private", str(root)])
    assert result.exit_code == 0, result.output
    assert "Created .growthlog/site-key.json" in result.output
    assert "leak audit found nothing" in result.output
    assert PASSWORD not in result.output
    assert all(PASSWORD.encode() not in data for data in read_tree(root).values())


def test_cli_password_stdin_and_weak_refusal(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROWTHLOG_PASSWORD", raising=False)
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    runner = CliRunner()
    weak = runner.invoke(main, ["key", "init", str(root), "--password-stdin"],
                         input="Summer2024!\n")
    assert weak.exit_code == 1 and "diceware" in weak.output
    assert runner.invoke(main, ["key", "init", str(root), "--password-stdin"],
                         input=PASSWORD + "\n").exit_code == 0
    ok = runner.invoke(main, ["build", "--private", "--password-stdin", str(root)],
                       input=PASSWORD + "\n")
    assert ok.exit_code == 0, ok.output
    wrong = runner.invoke(main, ["build", "--private", "--password-stdin", str(root)],
                          input="quiet lantern orbit maple fennel\n")
    assert wrong.exit_code == 1 and "does not open" in wrong.output
    new = "quiet lantern orbit maple fennel"
    passwd = runner.invoke(main, ["key", "passwd", str(root), "--password-stdin"],
                           input=f"{PASSWORD}\n{new}\n")
    assert passwd.exit_code == 0, passwd.output
    rotate = runner.invoke(main, ["key", "rotate", str(root), "--password-stdin"],
                           input=f"{new}\n")
    assert rotate.exit_code == 0, rotate.output


def test_public_build_is_unchanged_by_private_mode(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    build(root)
    tree = read_tree(root / "output")
    assert "entries/data-engineer-at-acme/index.html" in tree and "robots.txt" not in tree


def test_keyfile_content_matches_the_published_blob(
        built: tuple[Path, dict[str, bytes]]) -> None:
    root, tree = built
    published = shell_json(tree["index.html"], "gl-key")
    stored = json.loads((root / ".growthlog" / "site-key.json").read_text())
    assert {k: published[k] for k in stored} == stored
    assert published["remember_days"] == 30 and published["reveal_titles"] is False
    assert SiteKeys.derive(stored["site"], bytes(32)).site == stored["site"]


def test_opaque_names_keep_root_and_404_and_hide_every_character() -> None:
    names = OpaqueNames(bytes(32))
    assert names("") == "" and names("404.html") == "404.html"
    page = names("entries/acme/")
    assert re.fullmatch(r"[a-z2-7]{16}/", page)
    # A path is never a URL: '#' and '?' are part of a name, never a fragment or a query.
    for odd in ("media/scan#canary.png", "media/a?canary.png", "media/x#y/z.png",
                "stages/https://canary/", "mailto:canary", "/canary"):
        assert re.fullmatch(r"[a-z2-7]{16}(?:\.bin|/)", names(odd)), odd
    assert names("media/scan#a.png") != names("media/scan#b.png")
    assert re.fullmatch(r"[a-z2-7]{16}\.bin", names("static/style.css"))
    assert names.logical[page] == "entries/acme/"


def test_reveal_titles_and_remember_days_reach_the_key_blob(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()},
                    "reveal_titles = true\nremember_days = 0\n")
    keys.init_keyfile(root, PASSWORD)
    build(root, private=True, password=PASSWORD)
    blob = shell_json((root / "output" / "index.html").read_bytes(), "gl-key")
    assert blob["reveal_titles"] is True and blob["remember_days"] == 0


def test_attachment_names_with_spaces_are_relinked(tmp_path: Path) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>'
    root = make_log(tmp_path / "log", {"content/a.md": entry(body="![plan](my%20plan.svg)"),
                                       "content/my plan.svg": svg})
    keys.init_keyfile(root, PASSWORD)
    build(root, private=True, password=PASSWORD)
    tree = read_tree(root / "output")
    pages = [open_page(root, p, tree[p])[1] for p in tree if p.endswith("/index.html")]
    linked = [p for p in pages if "<img" in p]
    assert linked and all(re.search(r'src="/[a-z2-7]{16}\.bin"', p) for p in linked)
    assert not any("media/" in p for p in pages)


@pytest.mark.parametrize(("config", "option"), [
    ('url = "https://you.github.io/journal/"\nbase_url = "/journal/"\n', "url"),
    ('base_url = "/journal/"\n', "base_url"),
    ('url = "https://example.org/me/log"\n', "url"),
])
def test_a_shared_origin_warns_and_turns_remembering_off(tmp_path: Path, config: str,
                                                         option: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding 7: a path below an origin's root shares its browser storage with other sites."""
    root = make_log(tmp_path / "log", {"content/a.md": entry()}, "private = true\n" + config)
    keys.init_keyfile(root, PASSWORD)
    monkeypatch.setenv("GROWTHLOG_PASSWORD", PASSWORD)
    result = CliRunner().invoke(main, ["build", str(root)])
    assert result.exit_code == 0, result.output
    assert f"growthlog.toml:2: warning: {option}: puts the private site under a path of " \
           in result.output or f"growthlog.toml:3: warning: {option}: puts" in result.output
    assert "Remember on this device' is off" in result.output
    assert shell_json((root / "output" / "index.html").read_bytes(),
                      "gl-key")["remember_days"] == 0
    checked = CliRunner().invoke(main, ["check", str(root)])
    assert "warning: " + option + ": puts the private site" in checked.output


def test_remembering_on_a_shared_origin_is_an_explicit_choice(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()},
                    'url = "https://you.github.io/journal/"\nremember_on_shared_origin = true\n'
                    "remember_days = 9\n")
    keys.init_keyfile(root, PASSWORD)
    report = build(root, private=True, password=PASSWORD)  # --private on the command line
    assert [w.field for w in report.warnings] == ["url"]
    assert "is on because remember_on_shared_origin = true" in report.warnings[0].message
    assert shell_json((root / "output" / "index.html").read_bytes(),
                      "gl-key")["remember_days"] == 9


@pytest.mark.parametrize("config", ['url = "https://journal.example.org/"\n',
                                    'url = "https://my-journal-org.github.io/"\n', ""])
def test_a_site_at_the_root_of_its_origin_keeps_remembering(tmp_path: Path,
                                                            config: str) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()}, config)
    keys.init_keyfile(root, PASSWORD)
    report = build(root, private=True, password=PASSWORD)
    assert report.warnings == ()
    assert shell_json((root / "output" / "index.html").read_bytes(),
                      "gl-key")["remember_days"] == 30


def _deploys(config: str, root: Path, edits: list[str]) -> list[dict[str, bytes]]:
    """The published tree (manifest aside) after a first build and after each edit that
    appends text to one entry. A small log of long words: the audit's chance matches of
    short needles in sealed bytes (issue 9, finding 17) stay out of this test."""
    make_log(root, {
        "content/2026-01-05-pipeline.md": entry(
            "Platform Engineer at Quillstone", "2026-01-05", "Whiteboarding went sideways.",
            company="Quillstone", tags="[whiteboarding]"),
        "content/2026-02-09-warehouse.md": entry(
            "Analytics Engineer at Fernhollow", "2026-02-09", "Modelling questions throughout.",
            company="Fernhollow", tags="[modelling]"),
        "content/2026-03-14-streaming.md": entry(
            "Streaming Engineer at Saltmere", "2026-03-14", "Backpressure, then retries.",
            company="Saltmere", tags="[backpressure]"),
    }, config)
    keys.init_keyfile(root, PASSWORD)
    entry_file = root / "content" / "2026-02-09-warehouse.md"
    trees = []
    for text in ["", *edits]:
        entry_file.write_text(entry_file.read_text(encoding="utf-8") + text, encoding="utf-8")
        build(root, private=True, password=PASSWORD)
        trees.append({p: d for p, d in read_tree(root / "output").items()
                      if p != ".growthlog-manifest.json"})
    return trees


def _what_is(root: Path, path: str, data: bytes) -> str:
    """'entry' (the edited one), 'index' (the search index), or 'other'."""
    _, site_keys = keys.unlock(root, PASSWORD)
    if path.endswith("index.html"):
        return "entry" if "EDITED-ENTRY" in open_page(root, path, data)[1] else "other"
    if path.endswith(".bin"):
        meta, body = open_file(site_keys, path, data)
        return "index" if meta["type"] == "application/json" and b"EDITED-ENTRY" in body \
            else "other"
    return "other"


def test_what_an_observer_of_two_deploys_learns(tmp_path: Path) -> None:
    """Finding 15, pinned as docs/privacy.md states it: rerandomize changes every sealed
    file, but names and the file count stay, and a size class that moves names the page."""
    grow = "\nEDITED-ENTRY " + "Further thoughts about dimensional modelling. " * 120 + "\n"
    small = "x"  # one byte more: the padded sizes stay
    first, grown, touched = _deploys("rerandomize = true\n", tmp_path / "re", [grow, small])
    assert first.keys() == grown.keys() == touched.keys()  # same count, same names
    own = {"robots.txt", shell_parts().runtime_file}  # growthlog's, whatever the log says
    assert {p for p in first if first[p] == grown[p]} == own
    assert {p for p in grown if grown[p] == touched[p]} == own
    resized = {p for p in first if len(first[p]) != len(grown[p])}
    assert sorted(_what_is(tmp_path / "re", p, grown[p]) for p in resized) == ["entry", "index"]
    assert {p for p in grown if len(grown[p]) != len(touched[p])} == set()
    before, after = _deploys("", tmp_path / "det", [grow])
    changed = {p for p in before if before[p] != after[p]}
    assert sorted(_what_is(tmp_path / "det", p, after[p]) for p in changed) == ["entry", "index"]
    docs = (REPO / "docs" / "privacy.md").read_text(encoding="utf-8")
    for row in ("| File count and names |", "| Which files changed bytes |",
                "| Which files changed size class |"):
        assert row in docs
    readme = next(line for line in (REPO / "README.md").read_text().splitlines()
                  if line.startswith("| `rerandomize`"))
    assert "hides which entry changed" not in readme and "size" in readme


def test_a_private_build_keeps_nothing_beside_the_output_folder(tmp_path: Path) -> None:
    """A public build keeps the old site beside the output folder (hidden) for the next
    build to start from; a private build must leave no plaintext anywhere but content/:
    switched to private, the old public site beside is cleared, and none is kept after."""
    root = make_log(tmp_path / "log", {"content/a.md": entry("Zanzibar Quokka Holdings")})
    keys.init_keyfile(root, PASSWORD)
    build(root, private=False)
    (root / "content" / "a.md").write_text(entry("Zanzibar Quokka Holdings", body="Edited."))
    build(root, private=False)
    beside = staging_dir(root / "output")
    assert b"Zanzibar" in b"".join(read_tree(beside).values())  # the old public site
    for _ in range(2):  # the switch, then a private build after a private build
        build(root, private=True, password=PASSWORD)
        assert not beside.exists()
        assert b"Zanzibar" not in b"".join(read_tree(root / "output").values())
    build(root, private=False)  # back to public: the old (sealed) site is kept beside
    assert beside.is_dir() and b"Zanzibar" not in b"".join(read_tree(beside).values())
