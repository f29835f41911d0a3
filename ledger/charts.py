"""Inline SVG charts for the HTML report: no scripts, no fonts or images fetched.

Each chart is drawn in a coordinate system :data:`WIDTH` units wide and scales with the page
(``viewBox``; the report's CSS sets ``width: 100%``). Labels and legends are laid out from an
estimate of how wide their text is (:func:`text_width`: a CJK character one em, anything else
:data:`LATIN_EM` of one), so no two of them overlap: a legend wraps onto another row instead
of running into its neighbour, and an axis shows every k-th label when they would touch.
Every number a chart prints comes from the caller's ``value_text``, so a chart shows one
format per quantity (axis ticks, labels and tooltips alike).

A chart of values per label (``label, value``)::

    bar_chart([("ATT-01", 12.0), ("SVC-02", 3.0)], "Consequences per rule",
              value_text=lambda v: f"{v:.0f}", axis="consequences issued")
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from html import escape

__all__ = [
    "FONT",
    "WIDTH",
    "bar_chart",
    "grouped_columns",
    "legend",
    "line_chart",
    "nice_ticks",
    "stacked_bars",
    "text_width",
]

WIDTH = 800
"""Width of every chart's coordinate system (``viewBox``)."""
FONT = 12
"""Font size of chart text, in the chart's units."""
LATIN_EM = 0.62
"""Width of a non-CJK character in em: a little over a sans-serif's average (digits and
lower case are about 0.55 em), so estimates err on the wide side."""
SWATCH = 10
ROW = 20

ValueText = Callable[[float], str]


def text_width(text: str, size: float = FONT) -> float:
    """Estimated width of ``text`` at ``size``: wide (CJK) characters one em, others
    :data:`LATIN_EM`."""
    return sum(
        size if unicodedata.east_asian_width(c) in ("W", "F") else size * LATIN_EM for c in text
    )


def nice_ticks(top: float, *, least: float, count: int = 4) -> list[float]:
    """Axis ticks from 0 past ``top`` in about ``count`` round steps (1, 2, 2.5 or 5 times a
    power of ten), each step a whole number of ``least`` (the precision the labels print,
    so that no label is rounded)."""
    if top <= 0:
        return [0.0, float(least)]
    raw = max(top / count, least)
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = [m * magnitude for m in (1, 2, 2.5, 5, 10)]
    step = next(
        s for s in steps if s >= raw * (1 - 1e-9) and abs(s / least - round(s / least)) < 1e-6
    )
    count = math.ceil(top / step - 1e-9)
    return [round(i * step / least) * least for i in range(count + 1)]


def _svg(title: str, height: float, body: str) -> str:
    label = escape(title)
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-label="{label}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{label}</title>{body}</svg>"
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def legend(items: Sequence[tuple[str, str]], x: float, y: float, right: float) -> tuple[str, float]:
    """``(label, colour)`` items left to right from ``(x, y)`` (the first row's baseline),
    wrapping before ``right``; returns the SVG and the baseline below the last row."""
    parts = ['<g class="legend">']
    left = x
    for label, colour in items:
        width = SWATCH + 4 + text_width(label)
        if left > x and left + width > right:
            left, y = x, y + ROW
        parts.append(
            f'<g class="item"><rect x="{left:.1f}" y="{y - SWATCH:.1f}" width="{SWATCH}" '
            f'height="{SWATCH}" fill="{colour}"/>{_text(left + SWATCH + 4, y, label)}</g>'
        )
        left += width + 2 * FONT
    parts.append("</g>")
    return "".join(parts), y + ROW


def bar_chart(
    items: Sequence[tuple[str, float]], title: str, *, value_text: ValueText, axis: str
) -> str:
    """One horizontal bar per ``(label, value)``, the value printed after it; ``axis`` says
    what the bars measure."""
    if not items:
        return "<p>No data.</p>"
    labels = max(text_width(label) for label, _ in items) + FONT
    values = max(text_width(value_text(v)) for _, v in items) + FONT
    span = WIDTH - labels - values
    top = max(v for _, v in items) or 1.0
    parts = [_text(labels, FONT, axis, extra=' class="axis"')]
    for i, (label, value) in enumerate(items):
        y = FONT + 10 + 24 * i
        width = span * value / top
        parts.append(
            _text(labels - FONT / 2, y + 14, label, anchor="end")
            + f'<rect x="{labels:.1f}" y="{y}" width="{width:.1f}" height="18" fill="#1565c0">'
            f"<title>{escape(label)}: {escape(value_text(value))}</title></rect>"
            + _text(labels + width + 4, y + 14, value_text(value))
        )
    return _svg(title, FONT + 10 + 24 * len(items) + 8, "".join(parts))


def stacked_bars(
    rows: Sequence[tuple[str, dict[str, int]]],
    series: Sequence[tuple[str, str, str]],
    title: str,
    *,
    axis: str,
) -> str:
    """One bar per ``(label, counts)`` row, split into ``series`` (``key, legend label,
    colour``) by share of the row's total; a segment shows its count where it fits, the bar
    its total after it, and the legend wraps below."""
    if not rows:
        return "<p>No data.</p>"
    labels = max(text_width(label) for label, _ in rows) + FONT
    totals = [sum(counts.values()) for _, counts in rows]
    after = max(text_width(f"n = {t}") for t in totals) + FONT
    span = WIDTH - labels - after
    parts = [_text(labels, FONT, axis, extra=' class="axis"')]
    for i, ((label, counts), total) in enumerate(zip(rows, totals, strict=True)):
        y = FONT + 10 + 28 * i
        x = labels
        parts.append(_text(labels - FONT / 2, y + 15, label, anchor="end"))
        for key, name, colour in series:
            n = counts.get(key, 0)
            if not n:
                continue
            width = span * n / (total or 1)
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="20" fill="{colour}">'
                f"<title>{escape(label)}: {escape(name)} {n}</title></rect>"
            )
            if text_width(str(n)) + 8 <= width:
                parts.append(
                    _text(
                        x + width / 2, y + 15, str(n), anchor="middle", extra=' style="fill:#fff"'
                    )
                )
            x += width
        parts.append(_text(x + 4, y + 15, f"n = {total}"))
    keys = [(name, colour) for _, name, colour in series]
    key_svg, bottom = legend(keys, labels, FONT + 10 + 28 * len(rows) + 16, WIDTH)
    return _svg(title, bottom, "".join(parts) + key_svg)


def _y_axis(
    ticks: Sequence[float], left: float, top: float, bottom: float, value_text: ValueText
) -> str:
    """Grid lines and tick labels from ``bottom`` (0) to ``top`` (the last tick)."""
    parts = []
    for tick in ticks:
        y = bottom - (bottom - top) * tick / ticks[-1]
        parts.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{WIDTH - 10}" y2="{y:.1f}" '
            f'stroke="#ddd"/>' + _text(left - 6, y + 4, value_text(tick), anchor="end")
        )
    return "".join(parts)


def _axis_title(text: str) -> str:
    """A y axis's title, written level above the axis (a long title never runs off a
    rotated axis)."""
    return _text(2, FONT, text, extra=' class="axis"')


def line_chart(
    points: Sequence[tuple[str, float]],
    title: str,
    *,
    value_text: ValueText,
    least: float,
    y_axis: str,
    x_axis: str,
) -> str:
    """One series over ``(x label, value)`` points with a labelled y axis (ticks printed
    with ``value_text``, steps no finer than ``least``) and x axis (every k-th label, so
    that none touch)."""
    if len(points) < 2:
        return "<p>Not enough data.</p>"
    ticks = nice_ticks(max(v for _, v in points), least=least)
    left = max(text_width(value_text(t)) for t in ticks) + 12
    top, bottom = 2.0 * FONT + 8, 2.0 * FONT + 208
    step = (WIDTH - left - 50) / (len(points) - 1)
    widest = max(text_width(label) for label, _ in points) + FONT
    every = max(1, math.ceil(widest / step))
    coords = [
        (left + 10 + i * step, bottom - (bottom - top) * v / ticks[-1])
        for i, (_, v) in enumerate(points)
    ]
    parts = [
        _y_axis(ticks, left, top, bottom, value_text),
        _axis_title(y_axis),
        '<polyline points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        + '" fill="none" stroke="#1565c0" stroke-width="2"/>',
    ]
    for i, ((x, y), (label, value)) in enumerate(zip(coords, points, strict=True)):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1565c0">'
            f"<title>{escape(label)}: {escape(value_text(value))}</title></circle>"
        )
        if i % every == 0:
            parts.append(_text(x, bottom + 18, label, anchor="middle"))
    parts.append(
        _text((left + WIDTH) / 2, bottom + 40, x_axis, anchor="middle", extra=' class="axis"')
    )
    return _svg(title, bottom + 48, "".join(parts))


def grouped_columns(
    groups: Sequence[tuple[str, Sequence[float]]],
    series: Sequence[tuple[str, str]],
    title: str,
    *,
    value_text: ValueText,
    least: float,
    y_axis: str,
) -> str:
    """Columns side by side per ``(group label, values)``, one per ``series`` (``legend
    label, colour``), on a labelled y axis; a column's value is printed above it where it
    fits, and always in its tooltip."""
    if not groups:
        return "<p>No data.</p>"
    ticks = nice_ticks(max(max(values) for _, values in groups), least=least)
    left = max(text_width(value_text(t)) for t in ticks) + 12
    key_svg, key_bottom = legend(series, left, 2 * FONT + 8, WIDTH)
    top, bottom = key_bottom + 4, key_bottom + 204
    slot = (WIDTH - 10 - left) / len(groups)
    column = min(60.0, slot * 0.8 / len(series))
    parts = [
        key_svg,
        _y_axis(ticks, left, top, bottom, value_text),
        _axis_title(y_axis),
    ]
    for i, (label, values) in enumerate(groups):
        x0 = left + i * slot + (slot - column * len(series)) / 2
        for j, (value, (name, colour)) in enumerate(zip(values, series, strict=True)):
            h = (bottom - top) * value / ticks[-1]
            x = x0 + j * column
            parts.append(
                f'<rect x="{x:.1f}" y="{bottom - h:.1f}" width="{column - 2:.1f}" '
                f'height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(label)} {escape(name)}: {escape(value_text(value))}</title></rect>"
            )
            if text_width(value_text(value), FONT - 2) <= column - 4:
                parts.append(
                    _text(
                        x + column / 2 - 1,
                        bottom - h - 4,
                        value_text(value),
                        anchor="middle",
                        extra=f' font-size="{FONT - 2}"',
                    )
                )
        parts.append(_text(left + (i + 0.5) * slot, bottom + 18, label, anchor="middle"))
    return _svg(title, bottom + 28, "".join(parts))
