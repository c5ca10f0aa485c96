"""Private mode against names and files the author did not mean to publish (issue 9, 1-4)."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from urllib.parse import quote

from generator import keys
from generator.build import build, check
from generator.build_cache import BuildCache
from generator.crypto import open_file
from generator.private import OpaqueNames
from generator.watch import Kind, classify_path

from conftest import entry, make_log, read_tree

PASSWORD = "cobalt hazel dune tripod plaza"
NAME = re.compile(r"^(?:[a-z2-7]{16}/index\.html|[a-z2-7]{16}\.bin|index\.html|404\.html|"
                  r"robots\.txt|\.growthlog-manifest\.json|unlock-[0-9a-f]{16}\.js)$")
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>'
# Every character a file system allows in a name that means something in a URL or a shell.
ODD_NAMES = ("scan#canary.svg", "what?canary.svg", "100%canary.svg", "semi;canary.svg",
             "with space canary.svg", "new\nline canary.svg", "caf\u00e9 canary.svg",
             "&amp;canary'\".svg", "long" + "canary" * 40 + ".svg")
ODD_FOLDERS = ("dir#canary", "dir?canary", "dir%canary", "dir canary\u00fc")


def private_log(root: Path, files: dict[str, str | bytes]) -> Path:
    make_log(root, files)
    keys.init_keyfile(root, PASSWORD)
    return root


def pages(root: Path, tree: dict[str, bytes]) -> dict[str, str]:
    """Decrypted page bodies, by output path."""
    _, site_keys = keys.unlock(root, PASSWORD)
    found = {}
    for path, data in tree.items():
        match = re.search(rb'id="gl-page">\{.*?"payload":"([^"]+)"', data)
        if path.endswith(".html") and match:
            found[path] = open_file(site_keys, path, base64.b64decode(match.group(1)))[1].decode()
    return found


def test_no_character_of_an_attachment_or_folder_name_reaches_a_published_name(
        tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {f"content/att/{name}": SVG for name in ODD_NAMES}
    files |= {f"content/{folder}/x.svg": SVG for folder in ODD_FOLDERS}
    body = "\n\n".join(f"![a](att/{quote(name)})" for name in ODD_NAMES)
    files["content/a.md"] = entry(body=body)
    root = private_log(tmp_path / "log", files)
    build(root, private=True, password=PASSWORD)
    tree = read_tree(root / "output")
    assert all(NAME.match(path) for path in tree), [p for p in tree if not NAME.match(p)]
    assert not [p for p in tree if "canary" in p.lower()]
    sealed = [p for p in tree if p.endswith(".bin")]
    assert len(sealed) >= len(ODD_NAMES) + len(ODD_FOLDERS)


def test_attachment_links_with_fragment_query_or_escapes_open_the_sealed_file(
        tmp_path: Path) -> None:
    body = ("![d](att/diagram.svg#zoom)\n\n[page 2](att/report.pdf#page=2)\n\n"
            "[dl](att/report.pdf?download=1)\n\n![s](att/scan%23one.svg)\n\n"
            "![c](<att/caf\u00e9 plan.svg>)\n\n![w](att/what%3F.svg#x)")
    root = private_log(tmp_path / "log", {
        "content/a.md": entry(body=body), "content/att/diagram.svg": SVG,
        "content/att/report.pdf": b"%PDF-1.4 fake", "content/att/scan#one.svg": SVG,
        "content/att/caf\u00e9 plan.svg": SVG, "content/att/what?.svg": SVG})
    build(root, private=True, password=PASSWORD)
    tree = read_tree(root / "output")
    page = next(body for body in pages(root, tree).values() if "page 2" in body)
    _, site_keys = keys.unlock(root, PASSWORD)
    names = OpaqueNames(site_keys.slug)
    expected = [names("media/att/" + name) + fragment for name, fragment in (
        ("diagram.svg", "#zoom"), ("report.pdf", "#page=2"), ("report.pdf", ""),
        ("scan#one.svg", ""), ("caf\u00e9 plan.svg", ""), ("what?.svg", "#x"))]
    hrefs = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert [h for h in hrefs if h.lstrip("/") in expected] == ["/" + e for e in expected]
    assert {e.split("#")[0] for e in expected} <= tree.keys()
    assert "media/" not in page and "att/" not in page and "download" not in page


def test_links_out_of_content_are_never_published_and_are_named(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.txt").write_text("canary-passwd-line\n")
    (outside / "notes").mkdir()
    (outside / "notes" / "more.txt").write_text("canary-folder-line\n")
    (outside / "entry.md").write_text(entry(title="Canary Outside Entry"))
    root = make_log(tmp_path / "log", {"content/a.md": entry(), "content/inside.txt": "ok"})
    content = root / "content"
    (content / "passwd.txt").symlink_to(outside / "secret.txt")
    (content / "notes").symlink_to(outside / "notes", target_is_directory=True)
    (content / "linked.md").symlink_to(outside / "entry.md")
    (root / "private-notes.txt").write_text("canary-log-root\n")
    (content / "keyfile.json").symlink_to(root / "private-notes.txt")
    (content / "alias.txt").symlink_to(content / "inside.txt")  # inside: published
    report = build(root)
    out = read_tree(root / "output")
    assert not [p for p, data in out.items() if b"canary" in data.lower()]
    assert "media/alias.txt" in out and "media/inside.txt" in out
    assert not [p for p in out if "passwd" in p or "notes" in p or "keyfile" in p]
    named = sorted(p.path for p in report.warnings if "outside content/" in p.message)
    assert named == ["content/keyfile.json", "content/linked.md", "content/notes",
                     "content/passwd.txt"]
    assert sorted(p.path for p in check(root) if "outside content/" in p.message) == named
    keys.init_keyfile(root, PASSWORD)
    build(root, private=True, password=PASSWORD)
    tree = read_tree(root / "output")
    opened = pages(root, tree)
    assert not [p for p, body in opened.items() if "canary" in body.lower()]
    _, site_keys = keys.unlock(root, PASSWORD)
    sealed = [open_file(site_keys, p, tree[p])[1] for p in tree if p.endswith(".bin")]
    assert sealed and not [b for b in sealed if b"canary" in b.lower()]


def test_a_watched_save_through_a_link_out_of_content_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.md"
    outside.write_text(entry(title="Canary Outside Entry"))
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    cache = BuildCache()
    build(root, cache=cache)
    link = root / "content" / "b.md"
    link.symlink_to(outside)
    report = build(root, cache=cache, seen=[link.resolve().parent / "b.md"])
    assert report.entries == 1 and [p.path for p in report.warnings] == ["content/b.md"]
    assert not [p for p, d in read_tree(root / "output").items() if b"Canary" in d]
    folder = tmp_path / "folder"
    folder.mkdir()
    (root / "content" / "linked").symlink_to(folder, target_is_directory=True)
    real = root.resolve()
    assert classify_path(real / "content" / "linked", real) == Kind.CONTENT  # the link itself
    assert classify_path(real / "content" / "linked" / "c.md", real) is None
    assert classify_path(real / "content" / "b.md", real) == Kind.CONTENT


def test_attachments_only_drafts_refer_to_are_not_published(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {
        "content/a.md": entry(body="![shared](att/shared.svg)"),
        "content/draft.md": entry(title="Canary Draft", draft="true",
                                  body="![d](att/draft-only.svg) ![s](att/shared.svg) "
                                       "[p](att/notes.pdf#page=2)"),
        "content/att/shared.svg": SVG, "content/att/draft-only.svg": SVG,
        "content/att/notes.pdf": b"%PDF-1.4 draft", "content/att/loose.txt": "nobody links"})
    build(root)
    out = read_tree(root / "output")
    media = sorted(p for p in out if p.startswith("media/"))
    assert media == ["media/att/loose.txt", "media/att/shared.svg"]
    build(root, drafts=True)
    assert "media/att/draft-only.svg" in read_tree(root / "output")
    keys.init_keyfile(root, PASSWORD)
    build(root, private=True, password=PASSWORD)
    _, site_keys = keys.unlock(root, PASSWORD)
    tree = read_tree(root / "output")
    sealed = [open_file(site_keys, p, tree[p])[1] for p in tree if p.endswith(".bin")]
    assert b"%PDF-1.4 draft" not in sealed
    assert sum(b == SVG for b in sealed) == 1


def test_a_theme_static_file_linked_from_outside_the_theme_is_not_published(
        tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("canary-theme-link\n")
    root = make_log(tmp_path / "log", {"content/a.md": entry(),
                                       "themes/mine/static/own.css": "body{}"},
                    'theme = "mine"\n')
    (root / "themes" / "mine" / "static" / "leak.css").symlink_to(secret)
    (root / "themes" / "mine" / "static" / "alias.css").symlink_to("own.css")
    build(root)
    out = read_tree(root / "output")
    assert "static/own.css" in out and "static/alias.css" in out
    assert "static/leak.css" not in out
    assert not [p for p, data in out.items() if b"canary" in data]


def test_a_stage_named_like_a_url_gets_an_opaque_name(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {
        "content/a.md": entry(stage='"https://canary.example/"')},
        'stages = ["applied", "https://canary.example/"]\n')
    keys.init_keyfile(root, PASSWORD)
    build(root, private=True, password=PASSWORD)
    tree = read_tree(root / "output")
    assert all(NAME.match(path) for path in tree), [p for p in tree if not NAME.match(p)]
