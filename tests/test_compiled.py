"""[speed] Compiled templates are kept in the user's cache folder (compiled.py): a log never
built starts with its theme compiled. What is there is template code only; a private build
and `--no-cache` neither read nor write it; a damaged, foreign or unsafe file is compiled
again; the site is byte-identical either way."""

from __future__ import annotations

import marshal
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import jinja2
import jinja2.bccache
import pytest

from generator.build import build, check

from conftest import REPO, entry, make_log, read_tree

NEEDLE = "Quillfeather"
FILES: dict[str, str | bytes] = {
    "content/2026/a.md": entry(f"Data Engineer at {NEEDLE}", "2026-03-14", tags="[sql]",
                               body=f"Met {NEEDLE} twice."),
    "content/2026/b.md": entry("Analyst at Brightline", "2026-02-01"),
}


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user cache folder of this test's own, empty; the templates go in growthlog/templates."""
    monkeypatch.setenv("XDG_CACHE_HOME", os.fspath(tmp_path / "xdg"))
    return tmp_path / "xdg" / "growthlog" / "templates"


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The names of the templates Jinja really compiles from now on."""
    names: list[str | None] = []
    compile_ = jinja2.Environment.compile

    def spy(env: jinja2.Environment, source: object, name: str | None = None,
            *args: object, **kwargs: object) -> object:
        names.append(name)
        return compile_(env, source, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja2.Environment, "compile", spy)
    return names


def _log(root: Path) -> Path:
    return make_log(root, FILES, f'title = "{NEEDLE} log"\n')


def test_a_log_never_built_starts_with_its_theme_compiled(
        tmp_path: Path, folder: Path, compiled: list[str | None]) -> None:
    build(_log(tmp_path / "one"), use_cache=True)
    assert len(compiled) > 10
    assert not (tmp_path / "one/.growthlog-cache/templates").exists()
    compiled.clear()
    two = _log(tmp_path / "two")
    check(two)
    build(two, use_cache=True)
    assert compiled == []
    build(two, output=tmp_path / "plain")  # no build cache, no compiled templates
    assert read_tree(two / "output") == read_tree(tmp_path / "plain")


def test_the_folder_holds_template_code_only(tmp_path: Path, folder: Path) -> None:
    root = _log(tmp_path / "log")
    build(root, use_cache=True)
    files = sorted(folder.iterdir())
    assert len(files) > 10
    assert os.stat(folder).st_mode & 0o777 == 0o700
    for file in files:
        data = file.read_bytes()
        assert data.startswith(jinja2.bccache.bc_magic)
        assert NEEDLE.encode() not in data  # no entry, title or config value
        assert os.fsencode(tmp_path) not in data  # nor the log's folder


def test_a_private_build_neither_reads_nor_writes_it(
        tmp_path: Path, folder: Path, compiled: list[str | None]) -> None:
    from test_private import PASSWORD, sample_log

    private = sample_log(tmp_path / "private")
    build(private, private=True, password=PASSWORD)
    assert not folder.exists() or list(folder.iterdir()) == []
    build(_log(tmp_path / "public"), use_cache=True)
    before = read_tree(folder)
    compiled.clear()
    build(private, private=True, password=PASSWORD)
    assert len(compiled) > 10
    assert read_tree(folder) == before


def test_build_no_cache_neither_reads_nor_writes_it(tmp_path: Path, folder: Path) -> None:
    root = _log(tmp_path / "log")
    env = {**os.environ, "PYTHONPATH": os.fspath(REPO)}
    subprocess.run([sys.executable, "-m", "generator", "build", "--no-cache", os.fspath(root)],
                   check=True, env=env, capture_output=True)
    assert not folder.exists() or list(folder.iterdir()) == []


def test_damaged_files_are_compiled_again(
        tmp_path: Path, folder: Path, compiled: list[str | None]) -> None:
    build(_log(tmp_path / "one"), use_cache=True)
    files = sorted(folder.iterdir())
    magic = jinja2.bccache.bc_magic
    damage = [
        lambda data: data[: len(data) // 2],  # cut short
        lambda data: b"",  # empty
        lambda data: os.urandom(len(data)),  # garbage
        lambda data: data[:-40] + os.urandom(40),  # the code's end garbled
        # the right header and source hash, then something that is not code
        lambda data: magic + pickle.dumps(pickle.loads(data[len(magic):]), 2)
        + marshal.dumps(42),
    ]
    for file, spoil in zip(files, damage, strict=False):
        file.write_bytes(spoil(file.read_bytes()))
    compiled.clear()
    two = _log(tmp_path / "two")
    build(two, use_cache=True)
    assert 3 <= len(compiled) <= len(damage)  # a garbled end may still unmarshal
    build(two, output=tmp_path / "plain")
    assert read_tree(two / "output") == read_tree(tmp_path / "plain")
    compiled.clear()
    check(_log(tmp_path / "three"))  # written again, whole
    assert compiled == []


def test_a_folder_others_may_write_to_is_not_used(
        tmp_path: Path, folder: Path, compiled: list[str | None]) -> None:
    build(_log(tmp_path / "one"), use_cache=True)
    before = read_tree(folder)
    folder.chmod(0o777)
    compiled.clear()
    build(_log(tmp_path / "two"), use_cache=True)
    assert len(compiled) > 10
    assert read_tree(folder) == before


def test_another_growthlogs_files_are_not_read_and_only_the_last_three_kept(
        tmp_path: Path, folder: Path, compiled: list[str | None]) -> None:
    """Another growthlog (another version, an edited checkout) has a code key of its own:
    its files are never read. When this one writes, the files of the three other keys
    written last stay; older ones go (a checkout edited all day made a set per edit)."""
    build(_log(tmp_path / "one"), use_cache=True)
    files = sorted(folder.iterdir())
    ours = files[0].name[:32]
    now = time.time()
    for n in range(5):  # key 0 written last, key 4 first
        for file in files:
            other = file.with_name(f"{n}" * 32 + file.name[32:])
            other.write_bytes(file.read_bytes())
            os.utime(other, (now - 3600 * (n + 1), now - 3600 * (n + 1)))
    for file in files:
        file.unlink()
    compiled.clear()
    build(_log(tmp_path / "two"), use_cache=True)
    assert len(compiled) > 10  # none of the others' files was read
    keys = {f.name[:32] for f in folder.iterdir()}
    assert keys == {ours, "0" * 32, "1" * 32, "2" * 32}


def test_serve_starting_afresh_keeps_its_compiled_templates(
        tmp_path: Path, folder: Path, compiled: list[str | None]) -> None:
    """`serve` from a state whose bodies are damaged, or after its config changed, builds
    from nothing but its templates: those stay as compiled in the user's folder."""
    from test_records import _damage_body, _entries, _page_of

    from generator.serve import Rebuilder
    from generator.watch import ChangeSet

    root = make_log(tmp_path / "log", _entries(), 'title = "Records"\n')
    build(root, use_cache=True)
    _damage_body(root, 7)
    _page_of(root, 7).unlink()  # (rendered again, from its bodies)
    compiled.clear()
    rebuilder = Rebuilder(root, tmp_path / "preview", disk=True)
    result = rebuilder.rebuild()
    assert result.ok and not result.problems, result.problems
    assert compiled == []
    (root / "growthlog.toml").write_text('title = "Records again"\n', encoding="utf-8")
    result = rebuilder.rebuild(ChangeSet(config=frozenset({root / "growthlog.toml"})))
    assert result.ok and compiled == []
