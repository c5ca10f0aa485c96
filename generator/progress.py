"""Insight → the progress page's figures: a chart, its data table and one observation; pure."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from typing import Any

from generator import charts
from generator.charts import Chart, num
from generator.memo import Memo
from generator.model import MIN_ENTRIES, PRACTICES, Insight
from generator.value import Value, frozen

NOT_ENOUGH = "Not enough entries yet to see a pattern"


@frozen
class Figure(Value):
    """One section of the progress page."""

    key: str
    heading: str
    chart: Chart | None
    """None when there is nothing to draw."""
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    """The chart's numbers as a table (screen readers, and anyone who prefers numbers)."""
    observation: str | None
    """One sentence; None under MIN_ENTRIES, when `note` says so instead."""
    note: str | None


def _pct(part: int, whole: int) -> str:
    return f"{num(100 * part / whole)}%" if whole else "–"


def _note(count: int) -> str | None:
    if count >= MIN_ENTRIES:
        return None
    return f"{NOT_ENOUGH} ({count} of the {MIN_ENTRIES} needed)."


class _Charts:
    """The chart functions, through the build cache's memo: serve plans the progress page
    on every save, and most saves change none of its numbers (charts get tuples)."""

    def __init__(self, memo: Memo) -> None:
        self.memo = memo

    def _draw(self, draw: Callable[..., Chart], *args: Any, **options: Any) -> Chart:
        return self.memo.get(("chart", args[0]), (draw, args, tuple(sorted(options.items()))),
                             lambda: draw(*args, **options))

    def line_chart(self, *args: Any, **options: Any) -> Chart:
        return self._draw(charts.line_chart, *args, **options)

    def bar_chart(self, *args: Any, **options: Any) -> Chart:
        return self._draw(charts.bar_chart, *args, **options)

    def column_chart(self, *args: Any, **options: Any) -> Chart:
        return self._draw(charts.column_chart, *args, **options)

    def practice_grid(self, *args: Any, **options: Any) -> Chart:
        return self._draw(charts.practice_grid, *args, **options)


def progress_figures(insight: Insight, stages: Sequence[str],
                     memo: Memo | None = None) -> tuple[Figure, ...]:
    """Every figure of the progress page, in reading order."""
    obs = insight.observations
    draw = _Charts(memo if memo is not None else Memo())
    return (_progress(insight, stages, obs.get("progress"), draw),
            _funnel(insight, obs.get("funnel"), draw),
            _outcomes(insight, obs.get("outcomes"), draw),
            _per_month(insight, obs.get("per_month"), draw),
            _practices(insight, obs.get("practices"), draw),
            _actions(insight, obs.get("actions"), draw),
            _answers(insight, obs.get("answer_times"), draw))


def _progress(insight: Insight, stages: Sequence[str], obs: str | None, draw: _Charts) -> Figure:
    points = insight.progress
    chart = None
    if points:
        desc = (f"Furthest stage of {len(points)} applications, from {points[0].date:%B %Y} "
                f"to {points[-1].date:%B %Y}: the first reached '{points[0].stage}', "
                f"the latest '{points[-1].stage}'.")
        chart = draw.line_chart("chart-progress", "Furthest stage reached, per application", desc,
                           tuple((p.date, p.stage_index) for p in points),
                           levels=tuple(stages))
    rows = tuple((p.date.isoformat(), p.entry.company or p.entry.title, p.stage) for p in points)
    return Figure("progress", "How far each application got", chart,
                  ("Date", "Application", "Furthest stage"), rows, obs,
                  _note(len(points)))


def _funnel(insight: Insight, obs: str | None, draw: _Charts) -> Figure:
    steps = insight.funnel
    total = steps[0].count if steps else 0
    chart = None
    if total:
        desc = "; ".join(f"{s.count} reached {s.label}" for s in steps) + "."
        chart = draw.bar_chart("chart-funnel", "Applications that reached each stage", desc,
                          tuple((s.label, s.count) for s in steps))
    rows = tuple((s.label, str(s.count), _pct(s.count, total)) for s in steps)
    return Figure("funnel", "How many got to each stage", chart,
                  ("Stage", "Applications", "Share"), rows, obs, _note(total))


def _outcomes(insight: Insight, obs: str | None, draw: _Charts) -> Figure:
    counts = insight.outcomes
    chart = None
    if counts:
        desc = "; ".join(f"{c.label}: {c.count}" for c in counts) + "."
        chart = draw.bar_chart("chart-outcomes", "How applications ended", desc,
                          tuple((c.label, c.count) for c in counts))
    rows = tuple((c.label, str(c.count)) for c in counts)
    return Figure("outcomes", "How they ended", chart, ("Outcome", "Entries"), rows, obs,
                  _note(insight.entries))


def _per_month(insight: Insight, obs: str | None, draw: _Charts) -> Figure:
    months = insight.per_month
    chart = None
    if months:
        desc = (f"Entries per month from {months[0].label} to {months[-1].label}: "
                + ", ".join(f"{m.label} {m.count}" for m in months if m.count) + ".")
        chart = draw.column_chart("chart-months", "Entries per month", desc,
                             tuple((_month_label(m.label), m.count, None) for m in months),
                             label_every=max(1, -(-len(months) // 9)))
    rows = tuple((m.label, str(m.count)) for m in months)
    return Figure("per_month", "Rejections per month", chart, ("Month", "Entries"), rows, obs,
                  _note(insight.entries))


def _month_label(label: str) -> str:
    """'2026-03' → "Mar '26"."""
    year, month = label.split("-")
    return f"{calendar.month_abbr[int(month)]} ’{year[2:]}"


def _practices(insight: Insight, obs: str | None, draw: _Charts) -> Figure:
    quarters = insight.practices
    chart = None
    if quarters:
        shares = tuple(tuple(getattr(q, p.key) / q.entries for q in quarters)
                       for p in PRACTICES)
        desc = (f"Share of entries showing each practice, per quarter, {quarters[0].quarter} "
                f"to {quarters[-1].quarter}. Latest quarter: " + ", ".join(
                    f"{p.label.lower()} {getattr(quarters[-1], p.key)} of {quarters[-1].entries}"
                    for p in PRACTICES) + ".")
        chart = draw.practice_grid("chart-practices", "The five practices over time", desc,
                              tuple(p.label for p in PRACTICES),
                              tuple(q.quarter for q in quarters), shares)
    rows = tuple((q.quarter, str(q.entries), *(
        f"{getattr(q, p.key)} ({_pct(getattr(q, p.key), q.entries)})" for p in PRACTICES))
        for q in quarters)
    return Figure("practices", "The practices over time", chart,
                  ("Quarter", "Entries", *(p.label for p in PRACTICES)), rows, obs,
                  _note(insight.entries))


def _actions(insight: Insight, obs: str | None, draw: _Charts) -> Figure:
    quarters = insight.actions
    chart = None
    if any(q.opened for q in quarters):
        desc = ("Actions set per quarter and how many of them are done: "
                + ", ".join(f"{q.quarter} {q.done} of {q.opened}" for q in quarters) + ".")
        chart = draw.column_chart("chart-actions", "Actions set and done", desc,
                             tuple((q.quarter, q.opened, q.done) for q in quarters),
                             label_every=max(1, -(-len(quarters) // 8)),
                             legend=("Set", "Done"))
    rows = tuple((q.quarter, str(q.opened), str(q.done)) for q in quarters)
    return Figure("actions", "Actions: set and done", chart, ("Quarter", "Set", "Done"), rows,
                  obs, _note(insight.entries))


def _answers(insight: Insight, obs: str | None, draw: _Charts) -> Figure:
    times = insight.answer_times
    chart = None
    if times:
        desc = (f"Days from application to answer for {len(times)} applications: "
                + ", ".join(f"{t.entry.company or t.entry.title} {t.days}" for t in times)
                + ".")
        median = insight.median_days or 0
        chart = draw.line_chart("chart-answers", "Days from application to answer", desc,
                           tuple((t.entry.date, t.days) for t in times),
                           reference=(median, f"median {num(median)} days"))
    rows = tuple((t.entry.applied.isoformat() if t.entry.applied else "", t.entry.date.isoformat(),
                  t.entry.company or t.entry.title, str(t.days)) for t in times)
    return Figure("answer_times", "Time to an answer", chart,
                  ("Applied", "Answer", "Application", "Days"), rows, obs,
                  _note(len(times)))
