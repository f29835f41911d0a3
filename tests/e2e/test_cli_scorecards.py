"""End-to-end: `ledger scorecard`, `ledger scorecards` and `ledger complaints` through the CLI.

Hand-worked from RULEBOOK.md v1 for a small 2026Q3 (company time, +08:00):

* A1 (front-desk, hired 2025-01-06, qualified): discourtesy 07-10 -> warning + fine 50.00;
  good deed 08-05 -> commendation, which revokes the warning (REC-05; the fine stays).
  Q3: 100 + 5 -> 100, excellent, not capped. Three evaluations of 85 in Q2. Eligible.
* A2 (front-desk, hired 2025-02-03, qualified): confidentiality 08-20 -> demerit + fine
  100.00. Q3: 80, live demerit -> qualified. Not eligible: (b) Q3 graded qualified, (c) the
  live demerit.
* A3 (front-desk, hired 2025-03-03, qualified): clean, excellent 100.
* B1 (complaints, hired 2024-05-06, qualified): handler of C-1, received 09-29 12:00, replied
  13:00, never resolved (due 10-01 12:00).

Front-desk has 3 graded employees: quota max(1, 3 x 20 // 100 = 0) = 1; A1 and A3 are
excellent -> 1 over; calibration demotes A3 (tie at 100: the higher id yields).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

AS_OF = "2026-10-15T12:00:00+08:00"


def ledger(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ledger", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def ok(db: Path, *args: str) -> str:
    result = ledger(db, *args)
    assert result.returncode == 0, f"ledger {' '.join(args)}: {result.stderr}"
    return result.stdout


def fact(n: int, emp: str, type_name: str, at: str, **data: Any) -> str:
    return json.dumps(
        {
            "event_id": f"00000000-0000-4000-8000-{n:012d}",
            "type": type_name,
            "employee_id": emp,
            "occurred_at": f"{at.replace(' ', 'T')}:00+08:00",
            "recorded_by": "hr:H01",
            "data": data,
        }
    )


def staff(n: int, emp: str, on: str, department: str) -> list[str]:
    return [
        fact(
            n,
            emp,
            "employee.hired",
            f"{on} 09:00",
            department=department,
            role="clerk",
            hired_on=on,
            monthly_wage="6000.00",
        ),
        fact(n + 1, emp, "employee.qualification_assessed", f"{on} 17:00", passed=True),
    ]


LINES = [
    *staff(1, "A1", "2025-01-06", "front-desk"),
    *staff(3, "A2", "2025-02-03", "front-desk"),
    *staff(5, "A3", "2025-03-03", "front-desk"),
    *staff(7, "B1", "2024-05-06", "complaints"),
    fact(10, "A1", "conduct.violation", "2026-07-10 10:00", kind="discourtesy", description="x"),
    fact(11, "A1", "recognition.good_deed", "2026-08-05 10:00", description="found a wallet"),
    *(
        fact(12 + i, "A1", "service.evaluated", f"2026-0{m}-10 10:00", rater="customer", score=85)
        for i, m in enumerate((4, 5, 6))
    ),
    fact(
        20, "A2", "conduct.violation", "2026-08-20 10:00", kind="confidentiality", description="x"
    ),
    fact(
        30,
        "B1",
        "service.complaint_received",
        "2026-09-29 12:00",
        complaint_id="C-1",
        channel="web",
    ),
    fact(31, "B1", "service.complaint_replied", "2026-09-29 13:00", complaint_id="C-1"),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scorecards") / "ledger.db"
    source = path.with_name("quarter.jsonl")
    source.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    ok(path, "init")
    ok(path, "import", str(source))
    ok(path, "tick", "--now", "2026-10-01T00:00:00+08:00")
    return path


def card(db: Path, emp: str, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        ok(db, "scorecard", emp, "--period", "2026Q3", "--as-of", AS_OF, "--format", "json", *args)
    )
    return data


def test_a_revoked_warning_leaves_an_excellent_grade_and_the_employee_eligible(db: Path) -> None:
    a1 = card(db, "A1")
    assert (a1["employee_id"], a1["period"], a1["known_at"]) == ("A1", "2026Q3", None)
    assert a1["grade"]["level"] == "excellent" and a1["grade"]["score"] == 100
    assert a1["grade"]["capped_by"] is None
    assert a1["counts"]["outcomes"] == {"commendation": 1, "fine": 1, "warning": 1}
    assert a1["counts"]["revoked"] == 1
    assert (a1["fines_total"], a1["compensation_total"], a1["bonuses_total"]) == (
        "50.00",
        "0.00",
        "0.00",
    )
    assert a1["live_records"] == []
    assert a1["qualification"] == "passed"
    assert a1["promotion"]["eligible"] is True and a1["promotion"]["reasons"] == []
    assert a1["department"] == "front-desk"


def test_a_live_demerit_caps_the_grade_and_blocks_promotion_with_reasons(db: Path) -> None:
    a2 = card(db, "A2")
    assert (a2["grade"]["level"], a2["grade"]["score"]) == ("qualified", 80)
    assert a2["grade"]["capped_by"].startswith("live demerit ")
    assert [r["kind"] for r in a2["live_records"]] == ["demerit"]
    assert a2["fines_total"] == "100.00"
    assert a2["promotion"]["eligible"] is False
    assert a2["promotion"]["codes"] == ["grade_low", "live_discipline"]
    assert a2["promotion"]["reasons"][0] == "(b) 2026Q3 graded qualified (80)"
    table = " ".join(ok(db, "scorecard", "A2", "--period", "2026Q3", "--as-of", AS_OF).split())
    assert "qualified" in table and "not eligible" in table and "live demerit" in table


def test_the_default_period_is_the_quarter_of_as_of_and_known_at_limits_the_facts(
    db: Path,
) -> None:
    data = json.loads(
        ok(db, "scorecard", "A1", "--as-of", "2026-08-15T00:00:00+08:00", "--format", "json")
    )
    assert data["period"] == "2026Q3" and data["grade"]["provisional"] is True
    before = card(db, "A1", "--known-at", "2021-01-01T00:00:00+08:00")
    assert before["counts"]["facts"] == {} and before["grade"]["level"] is None
    assert before["known_at"] == "2021-01-01T00:00:00+08:00"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("scorecard", "NOPE"), "NOPE"),
        (("scorecard", "A1", "--period", "2026Q7"), "2026Q7"),
        (("scorecard", "A1", "--as-of", "yesterday"), "--as-of"),
        (("scorecards",), "--period"),
    ],
)
def test_bad_input_exits_2_naming_the_problem(
    db: Path, args: tuple[str, ...], message: str
) -> None:
    result = ledger(db, *args)
    assert result.returncode == 2
    assert message in result.stderr


def test_scorecards_report_the_quota_and_calibrate_only_when_asked(db: Path) -> None:
    common = ("scorecards", "--period", "2026Q3", "--as-of", AS_OF, "--format", "json")
    report = json.loads(ok(db, *common))
    assert [c["employee_id"] for c in report["scorecards"]] == ["A1", "A2", "A3", "B1"]
    desk = next(d for d in report["departments"] if d["department"] == "front-desk")
    assert desk["distribution"]["excellent"] == 2 and desk["quota"] == 1
    assert (desk["over_quota"], desk["excess"], desk["calibrated"]) == (True, 1, [])
    assert desk["fines_total"] == "150.00"
    calibrated = json.loads(ok(db, *common, "--calibrate"))
    a3 = next(c for c in calibrated["scorecards"] if c["employee_id"] == "A3")
    assert (a3["grade"]["level"], a3["grade"]["calibrated_from"]) == ("good", "excellent")
    desk = next(d for d in calibrated["departments"] if d["department"] == "front-desk")
    assert [c["employee_id"] for c in desk["calibrated"]] == ["A3"]
    assert desk["final_distribution"]["excellent"] == 1


def test_scorecards_as_csv_and_table_filtered_by_department(db: Path) -> None:
    text = ok(
        db,
        "scorecards",
        "--period",
        "2026Q3",
        "--as-of",
        AS_OF,
        "-d",
        "front-desk",
        "--format",
        "csv",
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["employee_id"], r["level"], r["score"]) for r in rows] == [
        ("A1", "excellent", "100"),
        ("A2", "qualified", "80"),
        ("A3", "excellent", "100"),
    ]
    table = " ".join(ok(db, "scorecards", "--period", "2026Q3", "--as-of", AS_OF).split())
    assert "Departments" in table and "front-desk" in table and "--calibrate" in table


def test_the_complaint_board_shows_time_left_and_overdue(db: Path) -> None:
    board = json.loads(
        ok(db, "complaints", "--now", "2026-09-30T12:00:00+08:00", "--format", "json")
    )
    (c1,) = board
    assert (c1["complaint_id"], c1["handler"], c1["department"]) == ("C-1", "B1", "complaints")
    assert c1["reply_left_seconds"] is None  # replied
    assert c1["resolve_left_seconds"] == 24 * 3600 and c1["overdue"] is False
    table = " ".join(ok(db, "complaints", "--now", "2026-10-02T12:00:00+08:00").split())
    assert "C-1" in table and "overdue 1d 0h" in table
