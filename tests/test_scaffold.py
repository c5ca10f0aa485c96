"""scaffold.py: `init` and `new` write from templates and never overwrite a file."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path

import pytest

from generator.build import build
from generator.config import SiteConfig
from generator.entries import parse_entry
from generator.errors import GrowthlogError
from generator.markup import LinkContext
from generator.model import Entry
from generator.scaffold import NewEntry, entry_text, init_log, new_entry, write_schema
from generator.sources import split_source

from conftest import read_tree

DAY = dt.date(2026, 3, 14)


def _parsed(text: str, config: SiteConfig | None = None) -> Entry:
    source, problems = split_source("content/new.md", text)
    assert source is not None and problems == []
    entry, problems = parse_entry(source, config or SiteConfig(), LinkContext("", frozenset()))
    assert problems == [] and entry is not None
    return entry


def test_entry_starts_with_front_matter_and_a_schema_modeline() -> None:
    text = entry_text(NewEntry("Analyst at Beta", DAY), SiteConfig(), "../growthlog.schema.json")
    assert text.splitlines()[:2] == [
        "---", "# yaml-language-server: $schema=../growthlog.schema.json"]


def test_entry_walks_through_the_five_practices() -> None:
    text = entry_text(NewEntry("Analyst at Beta", DAY), SiteConfig(), "s.json")
    prompts = [line for line in text.splitlines() if line.startswith("# ") and line[2].isdigit()]
    assert prompts == [
        "# 1. Ask for feedback. Did you ask? What did they say, and who said it?",
        "# 2. Talk to family & friends. Who did you talk to, and what did you take away?",
        "# 3. Interview post-mortem. What went well, what would you do differently?",
        "# 4. Never burn bridges. Did you send a thank-you (the date)? Stay in touch?",
        "# 5. Evaluate necessary changes: lessons in one sentence, then concrete actions.",
    ]
    assert "# stage: applied | screen | assessment | interview | final | offer" in text


@pytest.mark.parametrize("title", [
    "Analyst at Beta", 'Engineer: "Platform" at Acme # 2', "no", "2026", "数据工程师 @ 字节",
    "- [x] yes: {a}", "'quoted'", "back\\slash"])
def test_entry_is_valid_and_a_draft_whatever_the_title(title: str) -> None:
    new = NewEntry(title, DAY, company="no", role="Lead: data", stage="final")
    entry = _parsed(entry_text(new, SiteConfig(), "s.json"))
    assert entry.title == title
    assert entry.company == "no"
    assert entry.role == "Lead: data"
    assert entry.stage == "final"
    assert entry.date == DAY
    assert entry.draft is True


def test_entry_lists_configured_stages_and_outcomes() -> None:
    config = SiteConfig(stages=("applied", "onsite"), outcomes=("no", "silence"))
    text = entry_text(NewEntry("T", DAY), config, "s.json")
    assert "# stage: applied | onsite\n# outcome: no | silence\n" in text
    _parsed(text, config)


def test_new_entry_writes_a_dated_file_and_the_schema(tmp_path: Path) -> None:
    path = new_entry(tmp_path, SiteConfig(), NewEntry("Analyst at Beta", DAY))
    assert path == tmp_path / "content" / "2026-03-14-analyst-at-beta.md"
    schema = json.loads((tmp_path / "growthlog.schema.json").read_text())
    assert schema["title"] == "growthlog entry"


def test_new_entry_never_overwrites(tmp_path: Path) -> None:
    path = new_entry(tmp_path, SiteConfig(), NewEntry("Analyst", DAY))
    path.write_text("mine", encoding="utf-8")
    with pytest.raises(GrowthlogError) as info:
        new_entry(tmp_path, SiteConfig(), NewEntry("Analyst", DAY, company="X"))
    assert str(info.value) == f"{path} already exists; nothing was overwritten"
    assert path.read_text(encoding="utf-8") == "mine"


def test_hostile_title_stays_inside_content(tmp_path: Path) -> None:
    path = new_entry(tmp_path, SiteConfig(), NewEntry("../../../etc/passwd", DAY))
    assert path == tmp_path / "content" / "2026-03-14-etc-passwd.md"


def test_schema_file_follows_config_and_is_not_rewritten_when_equal(tmp_path: Path) -> None:
    path = write_schema(tmp_path, SiteConfig(stages=("a", "b")))
    assert json.loads(path.read_text())["properties"]["stage"]["enum"] == ["a", "b"]
    mtime = path.stat().st_mtime_ns
    write_schema(tmp_path, SiteConfig(stages=("a", "b")))
    assert path.stat().st_mtime_ns == mtime


def test_init_writes_a_log_that_builds_showing_its_example(tmp_path: Path) -> None:
    root = tmp_path / "new-log"
    written = init_log(root)
    assert [p.relative_to(root).as_posix() for p in written] == [
        "growthlog.toml", ".gitignore", "README.md", "content/2026-01-15-example.md",
        "growthlog.schema.json"]
    assert (root / ".gitignore").read_text() == (
        "output/\n.growthlog-cache/\n.*.growthlog-staging/\n")
    report = build(root)
    assert report.entries == 1
    assert report.warnings == ()
    page = (root / "output" / "entries" / "example-data-analyst-at-example-co" / "index.html")
    assert "leaves the site as soon as you write an entry of your own" in page.read_text()


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_inits_example_is_never_counted_and_leaves_when_the_author_writes(
        tmp_path: Path) -> None:
    root = tmp_path / "log"
    init_log(root)
    assert "draft: false" not in (root / "content" / "2026-01-15-example.md").read_text()
    build(root)
    home = _text((root / "output" / "index.html").read_text())
    assert "No entries yet" in home and "An example to start from" in home
    assert "Furthest stage" not in home and "interview" not in home.split("example")[0]
    progress = _text((root / "output" / "progress" / "index.html").read_text())
    assert "(0 of the 5 needed)" in progress
    assert not (root / "output" / "companies" / "example-co").exists()

    new_entry(root, SiteConfig(), NewEntry("Analyst at Beta", DAY, "Beta", stage="screen"))
    mine = root / "content" / "2026-03-14-analyst-at-beta.md"
    mine.write_text(mine.read_text().replace("draft: true", "draft: false"))
    report = build(root)
    assert report.entries == 1
    assert [w.format() for w in report.warnings] == [
        "content/2026-01-15-example.md: warning: is the example `growthlog init` wrote; now "
        "that the log has entries of your own it is left out (delete it when you like)"]
    home = _text((root / "output" / "index.html").read_text())
    assert "Furthest stage screen reached once" in home and "Example" not in home
    assert not (root / "output" / "entries" / "example-data-analyst-at-example-co").exists()


def test_init_into_an_existing_log_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "log"
    init_log(root)
    (root / "content" / "2026-01-15-example.md").write_text("mine")
    before = read_tree(root)
    with pytest.raises(GrowthlogError) as info:
        init_log(root)
    assert str(info.value) == f"{root} already holds a log; nothing was changed"
    assert read_tree(root) == before


def test_init_refuses_a_folder_with_content_but_no_config(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    with pytest.raises(GrowthlogError):
        init_log(tmp_path)
    assert not (tmp_path / "growthlog.toml").exists()


def test_inits_gitignore_keeps_everything_a_build_writes_out_of_git(tmp_path: Path) -> None:
    """The output folder, the cache and the staging folder a killed build leaves beside
    the output are all ignored, whatever the output folder is called; entries are not."""
    root = tmp_path / "log"
    init_log(root)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    built = ["output/index.html", ".growthlog-cache/entries.bin",
             ".output.growthlog-staging/index.html", ".site.growthlog-staging/index.html"]
    kept = ["content/2026-01-15-example.md", "growthlog.toml", ".output.notes/x.md"]
    result = subprocess.run(["git", "-C", str(root), "check-ignore", "--no-index", *built, *kept],
                            capture_output=True, text=True)
    assert result.stdout.split() == built
