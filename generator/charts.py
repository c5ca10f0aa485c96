"""Figures → small inline SVG charts, drawn at build time; pure.

Each chart is `<svg role="img" aria-labelledby=…>` with a `<title>` and a `<desc>` that
says in words what it shows; the page adds a data table beside it. Colours come from CSS
classes (and `currentColor` for text), so the theme styles them for light and dark.
Numbers are formatted with at most one decimal, so output is byte-for-byte stable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from markupsafe import Markup

from generator.value import Value, frozen

if TYPE_CHECKING:  # (loaded to draw: a build state holds Charts, unpickled in every build)
    import xml.etree.ElementTree as ET

WIDTH = 640
ROW = 26
"""Height of one horizontal bar row."""
LABEL_W = 150
"""Room for labels left of horizontal bars and the stage axis."""
PAD = 8


@frozen
class Chart(Value):
    """An accessible SVG chart: id, the words it stands for, and the drawing."""

    id: str
    title: str
    desc: str
    svg: Markup


def num(value: float) -> str:
    """1 → '1', 2.25 → '2.3' (one decimal at most; never '-0')."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _svg(chart_id: str, title: str, desc: str, height: float, kind: str) -> ET.Element:
    import xml.etree.ElementTree as ET

    svg = ET.Element("svg", {
        "xmlns": "http://www.w3.org/2000/svg", "class": f"chart chart-{kind}",
        "viewBox": f"0 0 {WIDTH} {num(height)}", "role": "img",
        "aria-labelledby": f"{chart_id}-title {chart_id}-desc", "id": chart_id})
    ET.SubElement(svg, "title", {"id": f"{chart_id}-title"}).text = title
    ET.SubElement(svg, "desc", {"id": f"{chart_id}-desc"}).text = desc
    return svg


def _el(parent: ET.Element, tag: str, attrs: dict[str, str | float],
        text: str | None = None) -> ET.Element:
    import xml.etree.ElementTree as ET

    element = ET.SubElement(parent, tag, {k: v if isinstance(v, str) else num(v)
                                          for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _text(parent: ET.Element, x: float, y: float, text: str, cls: str = "label",
          anchor: str = "start") -> None:
    _el(parent, "text", {"x": x, "y": y, "class": cls, "text-anchor": anchor,
                         "fill": "currentColor"}, text)


def _plot(svg: ET.Element) -> ET.Element:
    """The drawing itself: hidden from screen readers, which read <title> and <desc>."""
    import xml.etree.ElementTree as ET

    return ET.SubElement(svg, "g", {"aria-hidden": "true"})


def _done(chart_id: str, title: str, desc: str, svg: ET.Element) -> Chart:
    import xml.etree.ElementTree as ET

    return Chart(chart_id, title, desc, Markup(ET.tostring(svg, encoding="unicode")))


def bar_chart(chart_id: str, title: str, desc: str,
              rows: Sequence[tuple[str, int]]) -> Chart:
    """Horizontal bars with the label on the left and the value at the bar's end."""
    height = PAD * 2 + ROW * max(len(rows), 1)
    svg = _svg(chart_id, title, desc, height, "bars")
    group = _plot(svg)
    top = max((v for _, v in rows), default=0) or 1
    span = WIDTH - LABEL_W - 48
    for i, (label, value) in enumerate(rows):
        y = PAD + i * ROW
        _text(group, LABEL_W - 10, y + ROW / 2 + 4, label, anchor="end")
        _el(group, "rect", {"x": LABEL_W, "y": y + 5, "width": max(span * value / top, 1.5),
                            "height": ROW - 10, "rx": 3, "class": "bar"})
        _text(group, LABEL_W + span * value / top + 8, y + ROW / 2 + 4, str(value), "value")
    return _done(chart_id, title, desc, svg)


def column_chart(chart_id: str, title: str, desc: str,
                 columns: Sequence[tuple[str, int, int | None]], *,
                 label_every: int = 1, legend: tuple[str, str] | None = None) -> Chart:
    """Vertical columns; an optional second value is drawn inside the first (e.g. done of set)."""
    plot_h, top_pad, bottom = 120.0, 24.0 if legend else 10.0, 26.0
    height = top_pad + plot_h + bottom
    svg = _svg(chart_id, title, desc, height, "columns")
    group = _plot(svg)
    left, right = 34.0, WIDTH - PAD
    peak = max(max((c[1] for c in columns), default=0), 3)  # a month with one entry stays small
    _axis_counts(group, peak, left, right, top_pad, plot_h)
    step = (right - left) / max(len(columns), 1)
    bar_w = min(step * 0.62, 42)
    for i, (label, value, inner) in enumerate(columns):
        x = left + step * i + (step - bar_w) / 2
        h = plot_h * value / peak
        cls = "bar soft" if inner is not None else "bar"
        _el(group, "rect", {"x": x, "y": top_pad + plot_h - h, "width": bar_w, "height": h,
                            "rx": 2, "class": cls})
        if inner is not None and inner:
            ih = plot_h * inner / peak
            _el(group, "rect", {"x": x, "y": top_pad + plot_h - ih, "width": bar_w,
                                "height": ih, "rx": 2, "class": "bar"})
        if i % label_every == 0:
            _text(group, x + bar_w / 2, top_pad + plot_h + 17, label, "tick", "middle")
    if legend:
        _legend(group, legend)
    return _done(chart_id, title, desc, svg)


def _legend(group: ET.Element, names: tuple[str, str]) -> None:
    x = WIDTH - PAD - 250.0
    for cls, name in (("bar soft", names[0]), ("bar", names[1])):
        _el(group, "rect", {"x": x, "y": 4, "width": 12, "height": 12, "rx": 2, "class": cls})
        _text(group, x + 18, 14, name, "tick")
        x += 125


def _axis_counts(group: ET.Element, peak: float, left: float, right: float, top: float,
                 plot_h: float) -> None:
    """Baseline plus a gridline at the peak and the middle, labelled with whole numbers."""
    ticks = sorted({0, round(peak / 2), round(peak)})
    for tick in ticks:
        y = top + plot_h - plot_h * tick / peak
        _el(group, "line", {"x1": left, "x2": right, "y1": y, "y2": y,
                            "class": "axis" if tick == 0 else "grid"})
        _text(group, left - 6, y + 4, str(tick), "tick", "end")


def line_chart(chart_id: str, title: str, desc: str,
               points: Sequence[tuple[dt.date, float]], *,
               levels: Sequence[str] | None = None, peak: float | None = None,
               reference: tuple[float, str] | None = None) -> Chart:
    """Values over time joined by a line; `levels` names the y values 0, 1, 2 … (stages).

    `reference` draws a labelled dashed line at one value, e.g. the median.
    """
    # One configured stage still gets a band of height: every point then sits on it.
    plot_h = 28.0 * max(len(levels) - 1, 1) if levels else 150.0
    top, bottom = 10.0, 26.0
    svg = _svg(chart_id, title, desc, top + plot_h + bottom, "line")
    group = _plot(svg)
    left, right = (LABEL_W if levels else 40.0), WIDTH - 14.0
    high = float(max(len(levels) - 1, 1)) if levels else (peak or max(
        (v for _, v in points), default=0) or 1)
    if levels:
        for i, name in enumerate(levels):
            y = top + plot_h - plot_h * i / high
            _el(group, "line", {"x1": left, "x2": right, "y1": y, "y2": y,
                                "class": "axis" if i == 0 else "grid"})
            _text(group, left - 10, y + 4, name, "tick", "end")
    else:
        _axis_counts(group, high, left, right, top, plot_h)
    if reference is not None:
        y = top + plot_h - plot_h * reference[0] / high
        _el(group, "line", {"x1": left, "x2": right, "y1": y, "y2": y, "class": "reference"})
        _text(group, left + 6, y - 5, reference[1], "tick")
    if points:
        first, last = points[0][0].toordinal(), points[-1][0].toordinal()
        span = (last - first) or 1

        def xy(day: dt.date, value: float) -> tuple[float, float]:
            x = left + 8 + (right - left - 16) * (day.toordinal() - first) / span
            return x, top + plot_h - plot_h * value / high

        coords = [xy(d, v) for d, v in points]
        _el(group, "polyline", {"points": " ".join(f"{num(x)},{num(y)}" for x, y in coords),
                                "class": "line", "fill": "none"})
        for x, y in coords:
            _el(group, "circle", {"cx": x, "cy": y, "r": 4, "class": "dot"})
        _time_ticks(group, points[0][0], points[-1][0], xy, top + plot_h + 18)
    return _done(chart_id, title, desc, svg)


def _time_ticks(group: ET.Element, first: dt.date, last: dt.date,
                place: Callable[[dt.date, float], tuple[float, float]], y: float) -> None:
    """Label the first and last date and each January 1st between them."""
    days = [first] + [dt.date(year, 1, 1) for year in range(first.year + 1, last.year + 1)]
    if last != first:
        days.append(last)
    previous = -1000.0
    for i, day in enumerate(days):
        x = place(day, 0)[0]
        label = f"{day:%b %Y}" if i in (0, len(days) - 1) else str(day.year)
        anchor = "start" if i == 0 else ("end" if i == len(days) - 1 and i else "middle")
        if x - previous < 70 and 0 < i < len(days) - 1:
            continue
        _text(group, x, y, label, "tick", anchor)
        previous = x


def practice_grid(chart_id: str, title: str, desc: str, names: Sequence[str],
                  quarters: Sequence[str], shares: Sequence[Sequence[float]]) -> Chart:
    """Small multiples: one row per practice, one column per quarter, height = share 0–1."""
    row_h, top, bottom = 40.0, 6.0, 24.0
    height = top + row_h * len(names) + bottom
    svg = _svg(chart_id, title, desc, height, "practices")
    group = _plot(svg)
    left, right = LABEL_W + 10, WIDTH - PAD
    step = (right - left) / max(len(quarters), 1)
    bar_w = min(step * 0.55, 30)
    label_every = max(1, round(len(quarters) / 6))
    for r, name in enumerate(names):
        base = top + row_h * (r + 1) - 6
        _text(group, LABEL_W, base - 4, name, anchor="end")
        _el(group, "line", {"x1": left, "x2": right, "y1": base, "y2": base, "class": "axis"})
        for c, share in enumerate(shares[r]):
            h = (row_h - 16) * share
            x = left + step * c + (step - bar_w) / 2
            _el(group, "rect", {"x": x, "y": base - (row_h - 16), "width": bar_w,
                                "height": row_h - 16, "rx": 2, "class": "bar track"})
            if h:
                _el(group, "rect", {"x": x, "y": base - h, "width": bar_w, "height": h,
                                    "rx": 2, "class": f"bar s{r + 1}"})
    for c, quarter in enumerate(quarters):
        if c % label_every == 0:
            _text(group, left + step * c + step / 2, height - 8, quarter, "tick", "middle")
    return _done(chart_id, title, desc, svg)
