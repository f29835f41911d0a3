"""The report's SVG charts (ledger/charts.py): responsive, and no text runs into other text.

Overlap is judged with an estimate of text width made here, independently of the module's:
a wide (CJK) character 1 em, anything else 0.6 em (a sans-serif's widest digits and lower
case are about that).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
import xml.etree.ElementTree as ET

import pytest

from ledger.charts import (
    FONT,
    WIDTH,
    bar_chart,
    grouped_columns,
    legend,
    line_chart,
    nice_ticks,
    stacked_bars,
    text_width,
)

SVG = "{http://www.w3.org/2000/svg}"


def width_of(text: str, size: float = FONT) -> float:
    return sum(size if unicodedata.east_asian_width(c) in "WF" else 0.6 * size for c in text)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[tuple[float, float, float, str]]:
    """``(left, right, baseline, text)`` of every text outside a rotation."""
    found = []
    for node in root.iter(f"{SVG}text"):
        x, y, text = float(node.get("x", 0)), float(node.get("y", 0)), node.text or ""
        size = float(node.get("font-size", FONT))
        w = width_of(text, size)
        anchor = node.get("text-anchor", "start")
        left = x - w / 2 if anchor == "middle" else x - w if anchor == "end" else x
        found.append((left, left + w, y, text))
    return found


def assert_no_text_overlaps(root: ET.Element) -> None:
    items = texts(root)
    for left, right, _, text in items:
        assert left >= -0.5 and right <= WIDTH + 0.5, (text, left, right)
    for i, (l1, r1, y1, t1) in enumerate(items):
        for l2, r2, y2, t2 in items[i + 1 :]:
            if abs(y1 - y2) < FONT:  # on one line
                assert r1 <= l2 or r2 <= l1, (t1, t2)


def assert_responsive(root: ET.Element) -> None:
    assert root.get("width") is None and root.get("height") is None
    assert re.fullmatch(rf"0 0 {WIDTH} \d+", root.get("viewBox") or "")
    assert root.get("class") == "chart"


@pytest.mark.parametrize(
    ("text", "width"),
    [("", 0), ("ab", 2 * 0.62 * FONT), ("不合格", 3 * FONT), ("a 优", 2 * 0.62 * FONT + FONT)],
)
def test_text_width_counts_cjk_as_one_em(text: str, width: float) -> None:
    assert text_width(text) == pytest.approx(width)


@pytest.mark.parametrize(
    ("top", "least", "ticks"),
    [
        (0, 1, [0, 1]),
        (27, 1, [0, 10, 20, 30]),
        (3, 1, [0, 1, 2, 3]),
        (0.86, 0.1, [0, 0.5, 1.0]),
        (0.03, 0.1, [0, 0.1]),
        (7.3, 0.1, [0, 2, 4, 6, 8]),
        (1850, 0.01, [0, 500, 1000, 1500, 2000]),
        (9.5, 0.01, [0, 2.5, 5, 7.5, 10]),
        (0.9, 1, [0, 1]),
    ],
)
def test_ticks_are_round_steps_the_labels_print_exactly(
    top: float, least: float, ticks: list[float]
) -> None:
    assert nice_ticks(top, least=least) == pytest.approx(ticks)


def test_a_legend_lays_items_side_by_side_and_wraps_before_the_edge() -> None:
    labels = [
        "优秀 excellent",
        "良好 good",
        "合格 qualified",
        "不合格 unqualified",
        "未评 ungraded",
    ]
    colours = ["#111", "#222", "#333", "#444", "#555"]
    svg, bottom = legend(list(zip(labels, colours, strict=True)), 100, 20, 500)
    root = parse(f'<svg xmlns="http://www.w3.org/2000/svg">{svg}</svg>')
    # Each swatch sits in the gap before its own label: after the previous label's end.
    placed = sorted(
        [
            (float(n.get("y", 0)) + 10, float(n.get("x", 0)), "swatch")
            for n in root.iter(f"{SVG}rect")
        ]
        + [(y, left, "label") for left, _, y, _ in texts(root)]
    )
    assert [kind for _, _, kind in placed] == ["swatch", "label"] * 5
    ends = {(y, left): right for left, right, y, _ in texts(root)}
    rows = sorted({y for y, _, _ in placed})
    assert len(rows) >= 2 and bottom > rows[-1]  # 500 units cannot hold all five in one row
    for y in rows:
        line = [(x, kind) for yy, x, kind in placed if yy == y]
        assert (
            line[0] == (100, "swatch") and max(ends[(y, x)] for x, k in line if k == "label") <= 500
        )
        for (x1, k1), (x2, _) in itertools.pairwise(line):
            if k1 == "label":
                assert ends[(y, x1)] + 8 <= x2


def test_stacked_bars_label_segments_only_where_the_count_fits() -> None:
    rows = [("售后服务部 after-sales", {"a": 40, "b": 1}), ("billing", {"a": 3, "b": 3})]
    series = [("a", "优秀 excellent", "#111"), ("b", "不合格 unqualified", "#222")]
    root = parse(stacked_bars(rows, series, "Grades", axis="share of employees"))
    assert_responsive(root)
    assert_no_text_overlaps(root)
    shown = [t for _, _, _, t in texts(root)]
    assert "40" in shown and "1" not in shown  # one employee of 41 is too thin for its count
    assert shown.count("3") == 2 and "n = 41" in shown and "n = 6" in shown


def test_a_line_chart_names_its_axes_and_thins_labels_that_would_touch() -> None:
    weeks = [
        (f"{m:02d}-{d:02d}", 0.1 * i)
        for i, (m, d) in enumerate((m, d) for m in range(1, 13) for d in (7, 14, 21, 28))
    ]
    root = parse(
        line_chart(
            weeks,
            "Points",
            value_text=lambda v: f"{v:.1f}",
            least=0.1,
            y_axis="mean points per employee",
            x_axis="end of each week",
        )
    )
    assert_responsive(root)
    assert_no_text_overlaps(root)
    shown = [t for _, _, _, t in texts(root)]
    assert "mean points per employee" in shown and "end of each week" in shown
    dates = [t for t in shown if re.fullmatch(r"\d\d-\d\d", t)]
    assert 4 <= len(dates) < len(weeks)
    ticks = [t for t in shown if re.fullmatch(r"[\d.]+", t)]
    assert ticks and all(re.fullmatch(r"\d+\.\d", t) for t in ticks)
    tips = [n.text or "" for n in root.iter(f"{SVG}title")][1:]
    assert len(tips) == len(weeks) and all(re.search(r": \d+\.\d$", t) for t in tips)


def test_grouped_columns_fit_a_year_of_months() -> None:
    months = [(f"2026-{m:02d}", (1000.0 * m, 1600.0 * m)) for m in range(1, 13)]
    root = parse(
        grouped_columns(
            months,
            (("deducted", "#c62828"), ("cap (sum)", "#90a4ae")),
            "Deductions",
            value_text=lambda v: f"{v:.2f}",
            least=0.01,
            y_axis="CNY per month",
        )
    )
    assert_responsive(root)
    assert_no_text_overlaps(root)
    for rect in root.iter(f"{SVG}rect"):
        assert float(rect.get("x", 0)) + float(rect.get("width", 0)) <= WIDTH


def test_a_bar_chart_makes_room_for_long_labels() -> None:
    items = [("ATT-01", 3.0), ("一个很长的规则名称 a very long rule name", 27.0)]
    root = parse(bar_chart(items, "Rules", value_text=lambda v: f"{v:.0f}", axis="issued"))
    assert_responsive(root)
    assert_no_text_overlaps(root)
    labels = [(left, right) for left, right, _, t in texts(root) if "long" in t]
    bars = [float(r.get("x", 0)) for r in root.iter(f"{SVG}rect")]
    assert labels and all(labels[0][1] <= x for x in bars)
