"""[speed] `growthlog check` reads what the last `growthlog build` left in .growthlog-cache/
(never writing it): entries unchanged since are not parsed again, templates not compiled
again, pages whose data is unchanged not rendered again. It reports exactly what a check
without the cache reports."""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2
import pytest

from generator import pipeline
from generator.build import build, check
from generator.errors import ProblemsFound

from conftest import entry, make_log, read_tree

FILES: dict[str, str | bytes] = {
    "content/2026/a.md": entry("Data Engineer at Acme", "2026-03-14", tags="[sql, nerves]",
                               tgas="[x]", body="See [gone](gone.md)."),
    "content/2026/b.md": entry("Analyst at Brightline", "2026-02-01", body="- [ ] a task\n"),
    "content/2026/c.md": entry("Draft at Corvid", "2026-01-05", draft="true"),
}


class Work:
    """What a check did: entry files parsed and templates compiled (the real ones, counted)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parsed: list[str] = []
        self.compiled: list[str | None] = []
        parse, compile_ = pipeline._front, jinja2.Environment.compile

        def parse_spy(root: Path, path: Path, *args: object) -> object:
            self.parsed.append(path.name)
            return parse(root, path, *args)  # type: ignore[arg-type]

        def compile_spy(env: jinja2.Environment, source: object, name: str | None = None,
                        *args: object, **kwargs: object) -> object:
            self.compiled.append(name)
            return compile_(env, source, name, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(pipeline, "_front", parse_spy)
        monkeypatch.setattr(jinja2.Environment, "compile", compile_spy)

    def clear(self) -> None:
        self.parsed.clear()
        self.compiled.clear()


def _without_cache(root: Path, tmp_path: Path) -> Path:
    """The same log in another folder, with no .growthlog-cache/."""
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".growthlog-cache", "output"))
    return copy


def _verdict(root: Path) -> list[str]:
    try:
        return [p.format() for p in check(root)]
    except ProblemsFound as exc:
        return ["stopped:", *(p.format() for p in exc.problems)]


def test_a_check_after_a_build_parses_and_compiles_nothing_unchanged_and_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_log(tmp_path / "log", FILES)
    build(root, use_cache=True)
    work = Work(monkeypatch)
    before = read_tree(root)
    warm = _verdict(root)
    assert read_tree(root) == before  # the cache is read, never written
    assert (work.parsed, work.compiled) == ([], [])
    work.clear()
    assert warm == _verdict(_without_cache(root, tmp_path)) == [
        "content/2026/a.md:5: warning: unknown key 'tgas'; did you mean 'tags'?",
        "content/2026/a.md:7: warning: links to 'gone.md', which is not an entry in content/; "
        "it is shown as plain text"]
    # The copy was never built, yet its templates were compiled by the build of the other
    # folder: they are kept in the user's cache folder (compiled.py, test_compiled.py).
    assert work.compiled == []


def test_a_check_after_an_edit_parses_only_that_entry_and_says_what_a_fresh_check_says(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_log(tmp_path / "log", FILES)
    build(root, use_cache=True)
    (root / "content/2026/b.md").write_text(entry("Analyst at Brightline", "2026-02-01",
                                                  stage="onsite"), encoding="utf-8")
    work = Work(monkeypatch)
    warm = _verdict(root)
    assert work.parsed == ["b.md"]
    assert warm == _verdict(_without_cache(root, tmp_path))
    assert warm[0] == "stopped:"
    assert any(line.startswith("content/2026/b.md:4: stage: expected one of") for line in warm)


def test_a_template_broken_after_a_build_is_reported_as_without_the_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = Path(pipeline.__file__).parent.parent / "themes/default/templates/entry.html"
    root = make_log(tmp_path / "log", {
        **FILES, "themes/default/templates/entry.html": shipped.read_text(encoding="utf-8")})
    build(root, use_cache=True)
    template = root / "themes/default/templates/entry.html"
    template.write_text(template.read_text(encoding="utf-8").replace(
        "{% endblock", "{{ page.nope }}{% endblock", 1), encoding="utf-8")
    warm = _verdict(root)
    assert warm == _verdict(_without_cache(root, tmp_path).resolve())
    assert warm[0] == "stopped:"
    broken = [line for line in warm if "nope" in line]
    assert len(broken) == 3  # each entry page, the draft's too
    assert all(line.startswith("themes/default/templates/entry.html:") for line in broken)
