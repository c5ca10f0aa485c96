"""charts.py: well-formed, accessible, themeable, deterministic SVG."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from insight_log import FILES

from generator.build import build
from generator.charts import bar_chart, column_chart, line_chart, num, practice_grid

SVG = "{http://www.w3.org/2000/svg}"


def _check_accessible(svg_text: str) -> ET.Element:
    root = ET.fromstring(svg_text)  # well-formed XML or this raises
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    ids = (root.get("aria-labelledby") or "").split()
    assert len(ids) == 2
    found = {el.get("id"): (el.tag, (el.text or "").strip()) for el in root.iter()}
    assert found[ids[0]][0] == f"{SVG}title" and found[ids[0]][1]
    assert found[ids[1]][0] == f"{SVG}desc" and found[ids[1]][1]
    # Colours come from classes and currentColor, never fixed in the drawing.
    assert not re.search(r'(fill|stroke)="#', svg_text)
    return root


@pytest.mark.parametrize("value, text", [(1, "1"), (2.25, "2.2"), (2.35, "2.4"), (0.0, "0"),
                                         (-0.04, "0"), (150.0, "150"), (12.5, "12.5")])
def test_numbers_are_short_and_stable(value: float, text: str) -> None:
    assert num(value) == text


def test_bar_chart_escapes_labels_and_has_text_alternative() -> None:
    chart = bar_chart("c1", "Tom & Jerry <3", "One bar & one label.", [("R&D <lab>", 3),
                                                                        ("ops", 0)])
    root = _check_accessible(chart.svg)
    texts = [el.text for el in root.iter(f"{SVG}text")]
    assert "R&D <lab>" in texts and "3" in texts and "0" in texts
    assert root.find(f"{SVG}title").text == "Tom & Jerry <3"  # type: ignore[union-attr]


def test_every_builder_is_accessible_and_deterministic() -> None:
    day = dt.date(2026, 1, 1)
    charts = [
        lambda: bar_chart("b", "T", "D", [("a", 1)]),
        lambda: column_chart("c", "T", "D", [("Jan", 2, 1), ("Feb", 0, 0)], legend=("Set", "Done")),
        lambda: line_chart("l", "T", "D", [(day, 0), (day + dt.timedelta(400), 2)],
                           levels=("applied", "screen", "offer")),
        lambda: line_chart("n", "T", "D", [(day, 12)]),
        lambda: practice_grid("p", "T", "D", ["Asked", "Thanked"], ["2026 Q1"], [[0.5], [0.0]]),
    ]
    for make in charts:
        first, second = make(), make()
        assert first == second
        _check_accessible(first.svg)


def test_empty_inputs_still_draw_valid_svg() -> None:
    _check_accessible(bar_chart("e", "T", "D", []).svg)
    _check_accessible(column_chart("e", "T", "D", []).svg)
    _check_accessible(line_chart("e", "T", "D", []).svg)


def test_progress_page_charts_are_well_formed_with_tables(log_factory: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    root = log_factory(FILES)
    build(root)
    html = (root / "output" / "progress" / "index.html").read_text(encoding="utf-8")
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(svgs) == 7
    for svg in svgs:
        _check_accessible(svg)
    assert html.count("<table>") == 7
    assert "<script" not in html.split("</head>")[1]  # readable with JavaScript off
