"""Charts drawn on the server: plain geometry that ``partials/_chart.html`` turns into SVG.

No JavaScript and no inline styles: shapes carry coordinates as SVG attributes and a CSS
class (colours in static/css/reports.css), so the charts look the same on screen and on paper.
Values are integers (cents, seats); ``fmt`` turns one into its label.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str = ""


@dataclass
class Text:
    x: float
    y: float
    text: str
    css: str = "chart-label"
    anchor: str = "start"


@dataclass
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    css: str = "chart-axis"


@dataclass
class Chart:
    title: str
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    css: str = "chart"


def _span(values: list[int]) -> tuple[int, int]:
    low, high = min([0, *values]), max([0, *values])
    return (low, high) if high > low else (low, low + 1)


def _r(value: float) -> float:
    return round(value, 1)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def column_chart(points: list[tuple[str, int]], fmt: Callable[[int], str], title: str,
                 width: int = 720, height: int = 200) -> Chart:
    """Vertical bars over a time axis (e.g. net revenue per day); negative values go below
    the zero line. Only every n-th label is written when they would not fit."""
    left, right, top, bottom = 64, 8, 10, 24
    chart = Chart(title=title, width=width, height=height, css="chart chart-columns")
    values = [value for _, value in points]
    low, high = _span(values)
    plot_w, plot_h = width - left - right, height - top - bottom

    def y_of(value: int) -> float:
        return top + plot_h * (high - value) / (high - low)

    zero = y_of(0)
    for value in sorted({low, 0, high}):
        if value == high and high == low + 1 and not any(values):
            continue
        chart.lines.append(Line(left, _r(y_of(value)), width - right, _r(y_of(value)),
                                "chart-axis" if value == 0 else "chart-grid"))
        chart.texts.append(Text(left - 6, _r(y_of(value) + 4), fmt(value), "chart-tick", "end"))
    if not points:
        return chart
    slot = plot_w / len(points)
    gap = min(4.0, slot * 0.2)
    every = max(1, math.ceil(len(points) / max(1, plot_w // 56)))
    for index, (label, value) in enumerate(points):
        x = left + index * slot + gap / 2
        y_value = y_of(value)
        chart.rects.append(Rect(_r(x), _r(min(zero, y_value)), _r(max(slot - gap, 0.5)),
                                _r(max(abs(zero - y_value), 0 if value == 0 else 1)),
                                "chart-bar" if value >= 0 else "chart-bar chart-negative",
                                f"{label}: {fmt(value)}"))
        if index % every == 0:
            chart.texts.append(Text(_r(left + (index + 0.5) * slot), height - 8, label,
                                    "chart-tick", "middle"))
    return chart


def bar_chart(points: list[tuple[str, int]], fmt: Callable[[int], str], title: str,
              width: int = 720, row_height: int = 22, label_width: int = 190) -> Chart:
    """Horizontal bars, one labelled row per item (films, auditoriums), value at the end."""
    value_width, pad = 84, 6
    height = max(1, len(points)) * row_height + 2 * pad
    chart = Chart(title=title, width=width, height=height, css="chart chart-bars")
    values = [value for _, value in points]
    low, high = _span(values)
    plot_w = width - label_width - value_width

    def x_of(value: int) -> float:
        return label_width + plot_w * (value - low) / (high - low)

    zero = x_of(0)
    chart.lines.append(Line(_r(zero), pad, _r(zero), height - pad))
    for index, (label, value) in enumerate(points):
        y = pad + index * row_height
        x_value = x_of(value)
        chart.texts.append(Text(label_width - 8, y + row_height * 0.68, _shorten(label, 28),
                                "chart-label", "end"))
        chart.rects.append(Rect(_r(min(zero, x_value)), y + 3, _r(abs(x_value - zero)),
                                row_height - 6,
                                "chart-bar" if value >= 0 else "chart-bar chart-negative",
                                f"{label}: {fmt(value)}"))
        chart.texts.append(Text(_r(max(zero, x_value) + 6), y + row_height * 0.68, fmt(value),
                                "chart-value"))
    return chart


def fill_bar(fraction: float, label: str, width: int = 160, height: int = 14) -> Chart:
    """A small occupancy bar: the filled share of a track (0 to 1)."""
    fraction = max(0.0, min(1.0, fraction))
    css = "fill-high" if fraction >= 0.8 else "fill-mid" if fraction >= 0.5 else "fill-low"
    chart = Chart(title=label, width=width, height=height, css=f"chart chart-fill {css}")
    chart.rects.append(Rect(0, 0, width, height, "fill-track"))
    chart.rects.append(Rect(0, 0, _r(width * fraction), height, "fill-value", label))
    return chart
