"""End-to-end: the words the demo and the listings print (issue 16, "Demo").

Timestamps to the second, an unchanged replay in one line, scorecard grades in the words of
the grade scale (优秀 excellent) with the quarter in the header, attendance points in one
format.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

MICROSECONDS = re.compile(r"\d{2}:\d{2}:\d{2}\.\d+")
LEVELS = ("优秀 excellent", "良好 good", "合格 qualified", "不合格 unqualified")


def ok(db: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "LEDGER_DB"} | {"COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "ledger", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, f"ledger {' '.join(args)}: {result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("wording") / "demo.db"
    return path, ok(path, "demo")


def test_the_demo_prints_no_microseconds_and_grades_in_words(demo: tuple[Path, str]) -> None:
    _, text = demo
    assert not MICROSECONDS.search(text), MICROSECONDS.search(text)
    assert re.search(r"(优秀 excellent|良好 good|合格 qualified|不合格 unqualified) \(\d+\)", text)


def test_an_unchanged_replay_is_one_line_saying_no_employee_differs(
    demo: tuple[Path, str], tmp_path: Path
) -> None:
    db, _ = demo
    same = tmp_path / "same.toml"
    same.write_text(ok(db, "rulebook", "--export"), encoding="utf-8")
    for extra in ((), ("--rulebook", str(same))):
        text = ok(db, "replay", "--period", "2026Q3", *extra)
        (line,) = text.splitlines()
        assert line.startswith("Replay of 2026Q3 under ")
        assert ": no employee differs (money unchanged: fine " in line
        assert "0 employees" not in line
    assert "under the rulebooks as adopted:" in ok(db, "replay", "--period", "2026Q3")


def test_scorecards_name_the_quarter_in_the_header_and_the_level_in_words(
    demo: tuple[Path, str],
) -> None:
    db, _ = demo
    text = ok(db, "scorecards", "--period", "2026Q3")  # boxed at 200 columns
    rows = [[c.strip() for c in re.split(r"[│┃]", line)[1:-1]] for line in text.splitlines()]
    header = next(r for r in rows if r and r[0] == "employee")
    cards = [r for r in rows if r and re.fullmatch(r"E\d{4}", r[0])]
    assert "2026Q3 excellent" not in text and "2026Q3 good" not in text
    grades = {r[header.index("grade 2026Q3")] for r in cards}
    assert grades and grades <= set(LEVELS), grades
    # The points column: one format, a decimal point and one digit (0.0, 1.0, 2.5).
    points = [r[header.index("points")] for r in cards]
    assert all(re.fullmatch(r"\d+\.\d", p) for p in points), points
    assert "0.0" in points


def test_instants_print_to_the_second(demo: tuple[Path, str], tmp_path: Path) -> None:
    db, _ = demo
    card = ok(db, "scorecard", "E1001", "--period", "2026Q3")  # as of now, known now
    (caption,) = [line for line in card.splitlines() if line.strip().startswith("as of ")]
    assert re.search(r"as of \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00", caption), caption
    assert not MICROSECONDS.search(card)
    fresh = tmp_path / "fresh.db"
    ok(fresh, "init")
    ticked = ok(fresh, "tick")  # the clock's now, which has microseconds
    assert re.match(r"ticked to \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00: ", ticked), ticked
