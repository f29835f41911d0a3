"""Payroll through the installed CLI: a realistic 2026Q3 where the 20 % / minimum-wage cap bites.

Worked by hand from RULEBOOK §7 (default rulebook ``service-standard`` v1: fines 50.00 per
warning, 100.00 per demerit; minimum wage 2690.00; deductions capped at
min(20 % x wage, wage - 2690.00)); company time is Asia/Shanghai.

- E1, wage 3000.00 -> cap min(600.00, 310.00) = 310.00.
  July: damage 260.00 (6th), discourtesy -> warning + fine 50.00 (20th), damage 120.00
  (28th): due 430.00, deducted 310.00 (260.00 + 50.00, oldest first), carried 120.00.
  August: damage 300.00 (12th): due 120.00 + 300.00 = 420.00, deducted 310.00, carried 110.00.
  September: due 110.00, deducted 110.00; a supervision report pays a 100.00 bonus in full.
- E2, wage 8000.00 -> cap min(1600.00, 5310.00) = 1600.00.
  July: a tier-2 suggestion adopted: bonus 300.00, nothing due.
  August: damage to a company car 1800.00 (5th), discourtesy -> fine 50.00 (20th): due 1850.00,
  deducted 1600.00 (all of it from the car), carried 250.00.
  September: due 250.00, deducted 250.00 (the car's last 200.00 and the fine).
  October: the appeal against the August warning is upheld: the fine was never due, so the
  50.00 deducted in (closed) September is refunded in October, the first open month.
- E3, an agency temp never hired in the ledger: the September discourtesy is stored but
  derives nothing (issue 13), so E3 has no payroll row.

The listing has a row for every month of employment with a known wage, zeros included (E2
from November 2025, E1 from March 2026, up to the month of the last tick).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

Q3_END = "2026-10-01T00:00:00+08:00"
OCTOBER_END = "2026-11-01T00:00:00+08:00"


def ledger(db: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ledger", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"ledger {' '.join(args)}: {result.stderr}"
    return result.stdout


def payroll(db: Path, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(ledger(db, "payroll", "--format", "json", *args))
    return rows


def fact(n: int, type_name: str, emp: str, at: str, **data: Any) -> dict[str, Any]:
    return {
        "event_id": f"20260003-0000-4000-8000-{n:012d}",
        "type": type_name,
        "employee_id": emp,
        "occurred_at": f"{at}:00+08:00".replace(" ", "T"),
        "recorded_by": "hr:H01",
        "data": data,
    }


def hire(n: int, emp: str, on: str, wage: str) -> dict[str, Any]:
    return fact(
        n,
        "employee.hired",
        emp,
        f"{on} 09:00",
        department="front desk",
        role="clerk",
        hired_on=on,
        monthly_wage=wage,
    )


def damage(n: int, emp: str, at: str, amount: str, what: str) -> dict[str, Any]:
    return fact(n, "conduct.property_damaged", emp, at, amount=amount, description=what)


def rude(n: int, emp: str, at: str) -> dict[str, Any]:
    return fact(
        n, "conduct.violation", emp, at, kind="discourtesy", description="argued with a guest"
    )


QUARTER = [
    hire(1, "E1", "2026-03-02", "3000.00"),
    hire(2, "E2", "2025-11-03", "8000.00"),
    damage(3, "E1", "2026-07-06 10:00", "260.00", "dropped a POS terminal"),
    fact(4, "recognition.suggestion_adopted", "E2", "2026-07-15 11:00", tier=2),
    rude(5, "E1", "2026-07-20 15:00"),
    damage(6, "E1", "2026-07-28 11:00", "120.00", "broke a display stand"),
    damage(7, "E2", "2026-08-05 16:00", "1800.00", "scraped a company car"),
    damage(8, "E1", "2026-08-12 14:00", "300.00", "lost a room key card batch"),
    rude(9, "E2", "2026-08-20 10:00"),
    rude(10, "E3", "2026-09-03 12:00"),
    fact(11, "recognition.supervision_report", "E1", "2026-09-08 09:30", summary="a fire door"),
]


def month(
    emp: str,
    label: str,
    wage: str | None,
    cap: str | None,
    due: str,
    deducted: str,
    carried: str,
    *,
    refunded: str = "0.00",
    bonuses: str = "0.00",
    closed: bool = True,
) -> dict[str, Any]:
    return {
        "employee_id": emp,
        "month": label,
        "wage": wage,
        "cap": cap,
        "due": due,
        "deducted": deducted,
        "carried": carried,
        "refunded": refunded,
        "bonuses": bonuses,
        "closed": closed,
    }


E1 = ("E1", "3000.00", "310.00")
E2 = ("E2", "8000.00", "1600.00")


def quiet(emp: str, label: str, *, closed: bool = True) -> dict[str, Any]:
    """A month of employment with nothing due, refunded or paid."""
    wage, cap = {"E1": E1, "E2": E2}[emp][1:]
    return month(emp, label, wage, cap, "0.00", "0.00", "0.00", closed=closed)


BEFORE_Q3 = [
    quiet(emp, label)
    for label in ("2025-11", "2025-12", *(f"2026-{m:02d}" for m in range(1, 7)))
    for emp in ("E1", "E2")
    if emp == "E2" or label >= "2026-03"
]
Q3 = [
    month(E1[0], "2026-07", *E1[1:], "430.00", "310.00", "120.00"),
    month(E2[0], "2026-07", *E2[1:], "0.00", "0.00", "0.00", bonuses="300.00"),
    month(E1[0], "2026-08", *E1[1:], "420.00", "310.00", "110.00"),
    month(E2[0], "2026-08", *E2[1:], "1850.00", "1600.00", "250.00"),
    month(E1[0], "2026-09", *E1[1:], "110.00", "110.00", "0.00", bonuses="100.00"),
    month(E2[0], "2026-09", *E2[1:], "250.00", "250.00", "0.00"),
    # E3 is never hired: no fine, no payroll row (issue 13 replaced the rows with a blank
    # wage that carried the fine forever).
]
AFTER_Q3 = [
    *BEFORE_Q3,
    *Q3,
    # The stored rows describe the horizon (1 October): October is open.
    quiet("E1", "2026-10", closed=False),
    quiet("E2", "2026-10", closed=False),
]
OCTOBER = [
    quiet("E1", "2026-10"),
    month(E2[0], "2026-10", *E2[1:], "0.00", "0.00", "0.00", refunded="50.00"),
]
NOVEMBER = [
    quiet("E1", "2026-11", closed=False),
    quiet("E2", "2026-11", closed=False),
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    ledger(path, "init")
    quarter = tmp_path / "quarter.jsonl"
    quarter.write_text("".join(json.dumps(f) + "\n" for f in QUARTER), encoding="utf-8")
    assert "appended 11," in " ".join(ledger(path, "import", str(quarter)).split())
    return path


def test_a_quarter_where_the_cap_bites_then_a_refund_in_the_first_open_month(db: Path) -> None:
    ledger(db, "tick", "--now", Q3_END)
    assert payroll(db) == AFTER_Q3
    # The quarter: every employee with a wage, every month (E3, never hired, has none).
    assert payroll(db, "--period", "2026Q3") == Q3
    assert payroll(db, "--employee", "E1", "--period", "2026-08") == [Q3[2]]
    header, *lines = ledger(db, "payroll", "--employee", "E2", "--format", "csv").splitlines()
    assert set(header.split(",")) == set(AFTER_Q3[0])
    assert len(lines) == 12  # November 2025 to October 2026

    # Rebuilt from the log, every stored projection gives the same answer.
    assert "rebuilt payroll: 3 employees" in " ".join(ledger(db, "rebuild").split())
    assert payroll(db) == AFTER_Q3

    # October: HR upholds E2's appeal against the August warning, then October closes.
    sanctions = json.loads(ledger(db, "sanctions", "--employee", "E2", "--format", "json"))
    (warning,) = [s for s in sanctions if s["kind"] == "warning"]
    decision = {"sanction_id": warning["sanction_id"], "outcome": "upheld"}
    appeal = {"sanction_id": warning["sanction_id"], "grounds": "the customer misheard"}
    ledger(
        db,
        "record",
        "appeal.filed",
        "--employee",
        "E2",
        "--at",
        "2026-10-05T10:00:00+08:00",
        "--by",
        "employee:E2",
        "--data",
        json.dumps(appeal),
    )
    ledger(
        db,
        "record",
        "appeal.decided",
        "--employee",
        "E2",
        "--at",
        "2026-10-09T10:00:00+08:00",
        "--by",
        "hr:H01",
        "--data",
        json.dumps(decision),
    )
    ledger(db, "tick", "--now", OCTOBER_END)
    # The closed months stay as they were; October refunds the fine's 50.00; November is
    # open (zeros for E1 and E2).
    after_october = [*AFTER_Q3[:-2], *OCTOBER, *NOVEMBER]
    assert payroll(db) == after_october
    assert payroll(db, "--period", "2026-10") == OCTOBER
    assert "rebuilt payroll: 3 employees" in " ".join(ledger(db, "rebuild", "payroll").split())
    assert payroll(db) == after_october
    ledger(db, "verify")
