"""insight.py and the progress page: figures worked out by hand for a five-entry log."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from insight_log import FILES, fixture_site, parse_tables

from generator.build import build
from generator.insight import compute_insight
from generator.model import MIN_ENTRIES, Count
from generator.recurring import months_before, normalise

from conftest import entry

NEWEST = str(int(dt.datetime(2025, 7, 5, tzinfo=dt.UTC).timestamp()))
"""The hand counts below are as of the newest entry's day."""


@pytest.fixture(autouse=True)
def _as_of_newest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", NEWEST)


def _insight(log_factory: Any) -> Any:
    site = fixture_site(log_factory(FILES))
    assert site.insight is not None
    return site.insight


def test_figures_match_the_hand_count(log_factory: Any) -> None:
    insight = _insight(log_factory)
    assert insight.as_of == dt.date(2025, 7, 5)  # SOURCE_DATE_EPOCH
    assert [(p.date.isoformat(), p.stage) for p in insight.progress] == [
        ("2025-01-10", "screen"), ("2025-02-15", "interview"), ("2025-04-02", "applied"),
        ("2025-04-20", "final"), ("2025-07-05", "offer")]
    assert insight.funnel == (Count("applied", 5), Count("screen", 4), Count("assessment", 3),
                              Count("interview", 3), Count("final", 2), Count("offer", 1))
    assert insight.outcomes == (Count("rejected", 3), Count("ghosted", 1), Count("closed", 1))
    assert insight.per_month == (Count("2025-01", 1), Count("2025-02", 1), Count("2025-03", 0),
                                 Count("2025-04", 2), Count("2025-05", 0), Count("2025-06", 0),
                                 Count("2025-07", 1))
    quarters = [(q.quarter, q.entries, q.feedback_asked, q.support_sought,
                 q.postmortem_written, q.thank_you_sent, q.actions_set) for q in insight.practices]
    assert quarters == [("2025 Q1", 2, 1, 1, 1, 0, 2), ("2025 Q2", 2, 0, 0, 0, 1, 0),
                        ("2025 Q3", 1, 1, 0, 0, 0, 1)]
    assert [(q.quarter, q.opened, q.done) for q in insight.actions] == [
        ("2025 Q1", 2, 1), ("2025 Q2", 0, 0), ("2025 Q3", 2, 0)]
    # Feb 15 → Jul 5: 13 + 31 + 30 + 31 + 30 + 5 days
    assert [(s.item.action.text, s.age_days) for s in insight.stale_actions] == [
        ("Mock interviews", 140)]
    assert [(a.entry.company, a.days) for a in insight.answer_times] == [
        ("Acme", 9), ("Globex", 26), ("acme", 50), ("Umbrella", 34)]
    assert insight.median_days == 30


def test_recurring_lessons_by_wording_then_by_tag(log_factory: Any) -> None:
    recurring = _insight(log_factory).recurring
    assert [(r.label, r.tag and r.tag.slug, r.entry_count) for r in recurring] == [
        ("Have a salary range ready.", None, 3), ("Lead with trade-offs.", None, 2),
        ("system-design", "system-design", 2)]
    salary = recurring[0]
    assert [(p.kind, p.entry.title) for p in salary.points] == [
        ("lesson", "Data Engineer at Acme"), ("to improve", "Backend Engineer at Globex"),
        ("lesson", "Senior Data Engineer at Acme")]
    assert [p.text for p in recurring[2].points] == [
        "Draw the consumers first.", "Ask about the team early."]


def test_normalise_ignores_case_and_punctuation() -> None:
    assert normalise("Lead with Trade-offs!") == "lead with trade offs"


def test_resurfaced_lesson_is_old_enough_and_deterministic(log_factory: Any) -> None:
    insight = _insight(log_factory)
    # Written on or before 2025-04-05, oldest first: A's one lesson, B's two, C's one.
    candidates = ["Have a salary range ready.", "Lead with trade-offs.",
                  "Draw the consumers first.", "Lead with trade-offs"]
    digest = hashlib.sha256(b"2025-07-05").digest()
    expected = candidates[int.from_bytes(digest[:8], "big") % 4]
    assert insight.resurfaced is not None
    assert insight.resurfaced.text == expected
    assert insight.resurfaced.entry.date <= dt.date(2025, 4, 5)
    assert insight.resurfaced.when in ("January", "February", "April")
    assert _insight(log_factory).resurfaced == insight.resurfaced


def test_without_source_date_epoch_days_count_from_today(
        log_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    insight = _insight(log_factory)
    today = dt.date.today()
    assert insight.as_of == today
    ages = {s.item.action.text: s.age_days for s in insight.stale_actions}
    assert ages["Mock interviews"] == (today - dt.date(2025, 2, 15)).days
    html = _progress_page(insight_root(log_factory))
    assert f"set {ages['Mock interviews']} days ago" in html


def test_overdue_actions_are_flagged_kindly_everywhere_they_are_listed(
        log_factory: Any) -> None:
    from click.testing import CliRunner

    from generator.cli import main

    root = insight_root(log_factory)
    build(root)
    out = root / "output"
    note = "past its date — do it, or give it a new one"
    pages = {"actions/": out / "actions/index.html", "home": out / "index.html",
             "entry": out / "entries/backend-engineer-at-globex/index.html"}
    for name, path in pages.items():
        html = path.read_text(encoding="utf-8")
        mock = html.split("Mock interviews", 1)[1].split("</li>", 1)[0]
        assert note in mock, name
        assert html.count(note) == 1, name  # not the future or the done ones
    listed = CliRunner().invoke(main, ["actions", str(root)]).output.splitlines()
    assert [line for line in listed if "past its date" in line] == [
        "[ ] 2025-03-01  Mock interviews  (Backend Engineer at Globex, 2025-02-15)  "
        "past its date: do it, or give it a new one"]


def insight_root(log_factory: Any) -> Path:
    return log_factory(FILES)  # type: ignore[no-any-return]


def test_source_date_epoch_sets_the_as_of_date(log_factory: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(dt.datetime(2026, 1, 31,
                                                                tzinfo=dt.UTC).timestamp())))
    insight = _insight(log_factory)
    assert insight.as_of == dt.date(2026, 1, 31)
    assert insight.resurfaced is not None and insight.resurfaced.when.endswith("2025")
    assert {s.item.action.text for s in insight.stale_actions} == {
        "Mock interviews", "Write thank-you", "Update resume"}


def test_months_before_clamps_to_the_month_length() -> None:
    assert months_before(dt.date(2026, 5, 31), 3) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2026, 2, 10), 3) == dt.date(2025, 11, 10)


def test_no_entries_no_figures() -> None:
    insight = compute_insight([], ("applied", "offer"), ("rejected",), None)
    assert insight.progress == () and insight.per_month == () and insight.resurfaced is None
    assert insight.observations == {}


def _progress_page(root: Path) -> str:
    build(root)
    return (root / "output" / "progress" / "index.html").read_text(encoding="utf-8")


def test_progress_page_shows_the_hand_counted_figures(log_factory: Any) -> None:
    page = parse_tables(_progress_page(log_factory(FILES)))
    funnel = page.tables["funnel"][1:]
    assert funnel == [["applied", "5", "100%"], ["screen", "4", "80%"],
                      ["assessment", "3", "60%"], ["interview", "3", "60%"],
                      ["final", "2", "40%"], ["offer", "1", "20%"]]
    assert page.tables["outcomes"][1:] == [["rejected", "3"], ["ghosted", "1"], ["closed", "1"]]
    assert page.tables["per_month"][1:] == [
        ["2025-01", "1"], ["2025-02", "1"], ["2025-03", "0"], ["2025-04", "2"],
        ["2025-05", "0"], ["2025-06", "0"], ["2025-07", "1"]]
    assert page.tables["practices"][1] == [
        "2025 Q1", "2", "1 (50%)", "1 (50%)", "1 (50%)", "0 (0%)", "2 (100%)"]
    assert page.tables["actions"][1:] == [["2025 Q1", "2", "1"], ["2025 Q2", "0", "0"],
                                          ["2025 Q3", "2", "0"]]
    assert page.tables["answer_times"][1:] == [
        ["2025-01-01", "2025-01-10", "Acme", "9"], ["2025-01-20", "2025-02-15", "Globex", "26"],
        ["2025-03-01", "2025-04-20", "acme", "50"], ["2025-06-01", "2025-07-05", "Umbrella", "34"]]
    assert page.classes["progress.observation"] == [
        "Your latest 2 applications got as far as 'final' at the median; your first 2, "
        "'screen'."]
    assert page.classes["funnel.observation"] == ["4 of 5 applications went past 'applied'."]
    assert page.classes["outcomes.observation"] == [
        "The most common ending so far is 'rejected' (3 of 5 entries)."]
    assert page.classes["per_month.observation"] == [
        "5 entries over 7 months; the busiest was 2025-04 with 2. 3 months had none."]
    assert page.classes["actions.observation"] == ["1 of 4 actions you set yourself are done."]
    # Only four applications have both dates: no claim about answer times.
    assert "answer_times.observation" not in page.classes
    assert page.classes["answer_times.not-enough"] == [
        f"Not enough entries yet to see a pattern (4 of the {MIN_ENTRIES} needed)."]


def test_progress_page_calls_out_stale_actions(log_factory: Any) -> None:
    html = _progress_page(log_factory(FILES))
    assert "Mock interviews" in html and "set 140 days ago" in html
    assert "Write thank-you" not in html.split('id="stale-heading"')[1].split("</section>")[0]


def test_under_five_entries_no_pattern_claims(log_factory: Any) -> None:
    four = {k: v for k, v in FILES.items() if k != "content/e.md"}
    page = parse_tables(_progress_page(log_factory(four)))
    assert not [k for k in page.classes if k.endswith(".observation")]
    notes = [k for k in page.classes if k.endswith(".not-enough")]
    assert sorted(notes) == sorted(f"{key}.not-enough" for key in (
        "progress", "funnel", "outcomes", "per_month", "practices", "actions", "answer_times"))
    # The data is still there to read.
    assert page.tables["outcomes"][1:] == [["rejected", "3"], ["ghosted", "1"]]


def test_home_and_lessons_show_recurring_and_resurfaced(log_factory: Any) -> None:
    root = log_factory(FILES)
    build(root)
    home = (root / "output" / "index.html").read_text(encoding="utf-8")
    lessons = (root / "output" / "lessons" / "index.html").read_text(encoding="utf-8")
    for html in (home, lessons):
        assert "Lessons that keep coming back" in html
        assert "Have a salary range ready." in html and "Came back in 3 entries" in html
    assert "You wrote this in" in home
    assert 'href="/tags/system-design/"' in lessons


def test_the_lessons_page_shows_each_lesson_once_with_the_entries_it_came_from(
        log_factory: Any) -> None:
    shared = "Rehearse the salary question out loud."
    own = ["", "Bring a printed copy of the CV.", "Ask who the panel is before the day.",
           "Sleep early before an onsite.", "Write the thank-you note within a day."]
    files = {f"content/{n}.md": entry(
        f"Analyst {n} at Co{n}", f"2025-0{n}-10", tags="[sql, salary, nerves]",
        lessons=f'["{shared}", "{own[n]}"]') for n in range(1, 5)}
    root = log_factory(files)
    build(root)
    html = (root / "output" / "lessons" / "index.html").read_text(encoding="utf-8")
    main = " ".join(re.sub(r"<[^>]+>", " ", html.split('id="main"')[1]).split())
    assert main.count(shared) == 1  # once, not once per entry and once per tag
    group = main[main.index(shared):main.index("Every other lesson")]
    assert "Came back in 4 entries" in group
    assert all(f"Analyst {n} at Co{n}" in group for n in range(1, 5))
    assert all(main.count(own[n]) == 1 for n in range(1, 5))
    assert "lesson ·" not in main
    for tag in ("sql", "salary", "nerves"):  # a tag that shares lessons: a link, no repeats
        assert html.count(f'href="/tags/{tag}/"') == 1


def test_medians_are_the_statistics_modules(log_factory: Any) -> None:
    """Worked out without importing statistics (about 2 ms of every build's start, see
    test_startup.py): the same values, of the same type."""
    import random
    import statistics
    from dataclasses import replace

    from generator.insight import _median_low

    insight = _insight(log_factory)
    some = insight.answer_times[0]
    rng = random.Random(11)
    for count in range(1, 40):
        days = [rng.randint(-5, 400) for _ in range(count)]
        assert _median_low(days) == statistics.median_low(days)
        got = replace(insight, answer_times=tuple(replace(some, days=d) for d in days))
        want = statistics.median(days)
        assert got.median_days == want and type(got.median_days) is type(want)
