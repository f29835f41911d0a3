"""The HTML report: self-contained, every section present, every employee listed."""

from __future__ import annotations

import shutil
import subprocess
import sys
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
