"""The HTML report: self-contained, every section present, every employee listed."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def ledger(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ledger", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("report")
    db = tmp / "ledger.db"
    assert ledger(db, "init").returncode == 0
    assert ledger(db, "import", str(EXAMPLES / "quarter.jsonl")).returncode == 0
    assert ledger(db, "tick", "--now", "2026-10-01T00:00:00+08:00").returncode == 0
    out = tmp / "q3.html"
    result = ledger(db, "report", "--period", "2026Q3", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_the_report_has_every_section_with_an_inline_svg_chart(report: Path) -> None:
    parser = Collect()
    parser.feed(report.read_text(encoding="utf-8"))
    ids = {attrs.get("id") for tag, attrs in parser.tags if tag == "h2"}
    assert {"grades", "rules", "attendance", "payroll", "scorecards"} <= ids
    assert sum(1 for tag, _ in parser.tags if tag == "svg") >= 3
    text = "".join(parser.text)
    assert "E1001" in text and "E1002" in text
    assert "ATT-01" in text and "REC-02" in text


def test_the_report_needs_no_network(report: Path) -> None:
    parser = Collect()
    parser.feed(report.read_text(encoding="utf-8"))
    for tag, attrs in parser.tags:
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not value.startswith(("http:", "https:", "//")), (tag, value)
    assert not any(tag in ("script", "link", "img", "iframe") for tag, _ in parser.tags)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="headless Chromium not installed")
def test_the_report_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,2400",
            report.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert shot.exists() and shot.stat().st_size > 10_000


# -- the face of the report (issue 16, point 7) ------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def charts(html: str) -> list[ET.Element]:
    return [ET.fromstring(svg) for svg in re.findall(r"<svg.*?</svg>", html, flags=re.S)]


def estimated_width(text: str) -> float:
    """At 12 units a character: a wide (CJK) one 12, any other 7.2 (0.6 em)."""
    return sum(12 if unicodedata.east_asian_width(c) in "WF" else 7.2 for c in text)


@pytest.fixture(scope="module")
def html(report: Path) -> str:
    return report.read_text(encoding="utf-8")


def test_the_report_scales_with_the_window(html: str) -> None:
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "1100px" not in html and "max-width:1100" not in html
    assert re.search(r"svg\.chart\{[^}]*width:100%[^}]*height:auto", html)
    for chart in charts(html):
        assert chart.get("width") is None and chart.get("height") is None
        assert re.fullmatch(r"0 0 \d+ \d+", chart.get("viewBox") or "")


def test_the_report_names_a_chinese_font_for_every_common_system(html: str) -> None:
    (fonts,) = re.findall(r"--fonts:([^}]*)\}", html)
    for face in ("PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "sans-serif"):
        assert f"{face}" in fonts
    assert "font-family:var(--fonts)" in html and '<html lang="zh-CN">' in html


def test_legend_items_do_not_collide(html: str) -> None:
    legends = 0
    for chart in charts(html):
        items = []
        for item in chart.iter(f"{SVG}g"):
            if item.get("class") != "item":
                continue
            rect, label = item.find(f"{SVG}rect"), item.find(f"{SVG}text")
            assert rect is not None and label is not None
            right = float(label.get("x", 0)) + estimated_width(label.text or "")
            items.append((float(label.get("y", 0)), float(rect.get("x", 0)), right))
        legends += bool(items)
        for y in {y for y, _, _ in items}:
            row = sorted((left, right) for yy, left, right in items if yy == y)
            assert all(a[1] < b[0] for a, b in itertools.pairwise(row)), row
            assert row[-1][1] <= float((chart.get("viewBox") or "").split()[2])
    assert legends >= 2  # the grades' and the payroll's
    grades = charts(html)[0]
    legend = [t.text for g in grades.iter(f"{SVG}g") for t in g.iter(f"{SVG}text")]
    assert "不合格 unqualified" in legend and "未评 ungraded" in legend


def test_the_attendance_chart_says_what_its_axes_mean_in_one_number_format(html: str) -> None:
    section = html.split('id="attendance"')[1].split("<h2")[0]
    (chart,) = charts(section)
    words = [t.text or "" for t in chart.iter(f"{SVG}text")]
    assert any("mean ATT-01 points per employee" in w and "12 months" in w for w in words)
    assert any("week" in w for w in words)
    numbers = [w for w in words if re.fullmatch(r"[\d.]+", w)]
    assert len(numbers) >= 2 and all(re.fullmatch(r"\d+\.\d", n) for n in numbers), numbers
    tips = [t.text or "" for t in chart.iter(f"{SVG}title")][1:]
    assert tips and all(re.search(r": \d+\.\d$", t) for t in tips), tips
    assert "rolling 12-month window" in section


def test_scorecards_print_points_in_one_format_and_the_instant_to_the_second(html: str) -> None:
    table = html.split('id="scorecards"')[1]
    cells = re.findall(r"<tr><td>E\d+</td>(.*?)</tr>", table)
    assert cells
    for row in cells:
        values = re.findall(r"<td[^>]*>(.*?)</td>", row)
        assert re.fullmatch(r"\d+\.\d", values[3]), values  # attendance points
        assert values[1] in ("优秀 excellent", "良好 good", "合格 qualified", "不合格 unqualified")
    (meta,) = re.findall(r'<p class="meta">as of ([^;]*);', html)
    assert meta == "2026-09-30T23:59:59+08:00"
