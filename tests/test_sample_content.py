"""The sample log in content/ builds out of the box with no problems and shows every case."""

from __future__ import annotations

from pathlib import Path

from generator.build import build
from generator.config import DEFAULT_OUTCOMES, DEFAULT_STAGES
from generator.pipeline import load_log

from conftest import REPO, read_tree


def test_sample_log_builds_with_zero_problems(tmp_path: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in (REPO / "content").rglob("*")}
    report = build(REPO, output=tmp_path / "site")
    assert [p.format() for p in report.warnings] == []
    assert report.entries >= 10
    assert (tmp_path / "site" / "index.html").is_file()
    assert {p: p.stat().st_mtime_ns for p in (REPO / "content").rglob("*")} == before


def test_sample_log_uses_every_stage_and_outcome_and_has_a_draft(tmp_path: Path) -> None:
    every = load_log(REPO, drafts=True)
    assert every.problems == []
    assert {e.stage for e in every.site.entries} >= set(DEFAULT_STAGES)
    assert {e.outcome for e in every.site.entries} >= set(DEFAULT_OUTCOMES)
    drafts = [e for e in every.site.entries if e.draft]
    assert drafts
    assert every.assets, "the sample shows an attachment"
    build(REPO, output=tmp_path / "site")
    site = read_tree(tmp_path / "site")
    for draft in drafts:
        assert not (tmp_path / "site" / "entries" / draft.slug).exists()
        assert not any(draft.title.encode() in data for data in site.values())
