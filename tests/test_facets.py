"""Company, stage and year/month archive pages, and the links that lead to them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from insight_log import FILES, fixture_site

from generator.build import build


@pytest.fixture
def out(log_factory: Any) -> Path:
    root = log_factory(FILES)
    build(root)
    return root / "output"


def _read(out: Path, path: str) -> str:
    return (out / path / "index.html").read_text(encoding="utf-8")


def test_companies_group_case_insensitively(log_factory: Any) -> None:
    site = fixture_site(log_factory(FILES))
    assert [(c.slug, c.name, [e.date.isoformat() for e in c.entries]) for c in site.companies] \
        == [("acme", "Acme", ["2025-04-20", "2025-01-10"]), ("globex", "Globex", ["2025-02-15"]),
            ("initech", "Initech", ["2025-04-02"]), ("umbrella", "Umbrella", ["2025-07-05"])]
    assert [(f.stage, len(f.entries)) for f in site.stage_facets] == [
        ("applied", 1), ("screen", 1), ("interview", 1), ("final", 1), ("offer", 1)]


def test_company_page_lists_every_application(out: Path) -> None:
    html = _read(out, "companies/acme")
    assert "<h1>Acme</h1>" in html and "2 applications, newest first" in html
    assert html.index("Senior Data Engineer at Acme") < html.index(">Data Engineer at Acme")
    index = _read(out, "companies")
    assert 'href="/companies/acme/"' in index and 'href="/stages/final/"' in index
    entry = _read(out, "entries/data-engineer-at-acme")
    assert '<a href="/companies/acme/">Acme</a>' in entry and "(2 applications)" in entry


def test_stage_page_lists_applications_that_ended_there(out: Path) -> None:
    html = _read(out, "stages/interview")
    assert "Got as far as interview" in html and "Backend Engineer at Globex" in html
    assert "Data Engineer at Acme" not in html
    assert not (out / "stages" / "assessment").exists()


def test_year_and_month_archives_linked_from_the_timeline(out: Path) -> None:
    timeline = _read(out, "timeline")
    assert 'href="/timeline/2025/"' in timeline and 'href="/timeline/2025/04/"' in timeline
    year = _read(out, "timeline/2025")
    assert "5 entries" in year and 'href="/timeline/2025/07/"' in year
    month = _read(out, "timeline/2025/04")
    assert "<h1>April 2025</h1>" in month
    assert "Analyst at Initech" in month and "Senior Data Engineer at Acme" in month
    assert "Backend Engineer at Globex" not in month
    assert not (out / "timeline" / "2025" / "03").exists()


def test_progress_in_the_navigation(out: Path) -> None:
    assert 'href="/progress/"' in _read(out, "")
