"""End-to-end: `--limit` and `--offset` on the listings (sanctions, payroll, scorecards,
complaints) through the CLI, in every format, and the fast table's fit to the terminal.

A small 2026Q3: six clerks of two departments, each with a discourtesy or two (a warning and
a fine each, escalating), and seven complaints received on 09-29 that nobody answers. After
the tick on 10-01 there are a few dozen consequences, some employee-months of payroll,
six scorecards and seven open complaints: enough to page through.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

NOW = "2026-10-02T12:00:00+08:00"


def ledger(db: Path, *args: str, columns: int = 160) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LEDGER_DB"} | {"COLUMNS": str(columns)}
    return subprocess.run(
        [sys.executable, "-m", "ledger", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def ok(db: Path, *args: str, columns: int = 160) -> str:
    result = ledger(db, *args, columns=columns)
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


STAFF = [f"P{i}" for i in range(1, 7)]
LINES = [
    *(
        fact(
            i,
            emp,
            "employee.hired",
            "2025-01-06 09:00",
            department="front-desk" if i <= 3 else "complaints",
            role="clerk",
            hired_on="2025-01-06",
            monthly_wage="6000.00",
        )
        for i, emp in enumerate(STAFF, start=1)
    ),
    *(
        fact(
            100 + 10 * i + k,
            emp,
            "conduct.violation",
            f"2026-0{7 + k}-1{i} 10:00",
            kind="discourtesy",
            description=f"raised voice at a customer ({k + 1})",
        )
        for i, emp in enumerate(STAFF, start=1)
        for k in range(1 + i % 2)
    ),
    *(
        fact(
            300 + n,
            STAFF[3 + n % 3],
            "service.complaint_received",
            f"2026-09-29 1{n}:00",
            complaint_id=f"C-{n}",
            channel="web",
        )
        for n in range(1, 8)
    ),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("paging") / "ledger.db"
    source = path.with_name("quarter.jsonl")
    source.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    ok(path, "init")
    ok(path, "import", str(source))
    ok(path, "tick", "--now", "2026-10-01T00:00:00+08:00")
    return path


LISTINGS = [
    ("sanctions",),
    ("payroll",),
    ("scorecards", "--period", "2026Q3", "--as-of", NOW),
    ("complaints", "--now", NOW),
]


def listed(db: Path, command: tuple[str, ...], *args: str) -> list[Any]:
    """The rows a listing prints as JSON (the scorecards of `scorecards`)."""
    data = json.loads(ok(db, *command, "--format", "json", *args))
    return data["scorecards"] if isinstance(data, dict) else data  # type: ignore[no-any-return]


@pytest.mark.parametrize("command", LISTINGS, ids=lambda c: c[0])
def test_limit_and_offset_slice_the_sorted_json(db: Path, command: tuple[str, ...]) -> None:
    everything = listed(db, command)
    assert len(everything) >= 6, command
    assert listed(db, command, "--limit", "2") == everything[:2]
    assert listed(db, command, "--offset", "3", "--limit", "2") == everything[3:5]
    assert listed(db, command, "--offset", "4") == everything[4:]
    assert listed(db, command, "--limit", "0") == []
    assert listed(db, command, "--offset", str(len(everything))) == []
    assert listed(db, command, "--limit", str(len(everything) + 10)) == everything


def test_scorecards_page_the_cards_but_summarise_every_department(db: Path) -> None:
    args = ("scorecards", "--period", "2026Q3", "--as-of", NOW, "--format", "json")
    whole = json.loads(ok(db, *args))
    page = json.loads(ok(db, *args, "--limit", "1", "--offset", "4"))
    assert page["scorecards"] == whole["scorecards"][4:5]
    assert page["departments"] == whole["departments"]
    assert sum(d["employees"] for d in page["departments"]) == len(STAFF)


@pytest.mark.parametrize(
    "command", [("sanctions",), ("payroll",), ("scorecards", "--period", "2026Q3")]
)
def test_limit_and_offset_slice_the_csv_and_keep_its_header(
    db: Path, command: tuple[str, ...]
) -> None:
    header, *rows = ok(db, *command, "--format", "csv").splitlines()
    page = ok(db, *command, "--format", "csv", "--offset", "1", "--limit", "3").splitlines()
    assert page == [header, *rows[1:4]]
    assert ok(db, *command, "--format", "csv", "--limit", "0").splitlines() == [header]


def test_a_cut_table_says_which_rows_it_shows_and_how_to_see_more(db: Path) -> None:
    rows = listed(db, ("sanctions",))
    total = len(rows)
    table = ok(db, "sanctions", "--offset", "2", "--limit", "3")
    ids = [r["sanction_id"][:8] for r in rows]
    assert [i for i in ids if i in table] == ids[2:5]
    assert f"Consequences ({total})" in table
    assert f"showing 3–5 of {total}; --offset 5 for more" in table
    last = ok(db, "sanctions", "--offset", str(total - 2), "--limit", "10")
    assert f"showing {total - 1}–{total} of {total}" in last and "for more" not in last
    past = ok(db, "sanctions", "--offset", str(total + 5))
    assert f"--offset {total + 5} is past the end" in past
    assert "showing" not in ok(db, "sanctions")  # nothing cut, nothing said


def test_each_table_listing_pages_with_a_footer(db: Path) -> None:
    months = len(listed(db, ("payroll",)))
    payroll = ok(db, "payroll", "--limit", "4")
    assert f"showing 1–4 of {months}; --offset 4 for more" in payroll
    cards = ok(db, "scorecards", "--period", "2026Q3", "--as-of", NOW, "--limit", "2")
    assert "showing 1–2 of 6; --offset 2 for more" in cards
    assert "P1" in cards and "P3" not in cards.split("Departments")[0]
    assert "Departments" in cards and "front-desk" in cards and "complaints" in cards
    board = ok(db, "complaints", "--now", NOW, "--offset", "5")
    assert "showing 6–7 of 7" in board and "overdue" in board


@pytest.mark.parametrize("command", LISTINGS, ids=lambda c: c[0])
@pytest.mark.parametrize("bad", [("--limit", "-1"), ("--offset", "-3"), ("--limit", "many")])
def test_a_negative_or_non_numeric_limit_is_refused(
    db: Path, command: tuple[str, ...], bad: tuple[str, str]
) -> None:
    result = ledger(db, *command, *bad)
    assert result.returncode == 2
    assert bad[0] in result.stderr and result.stdout == ""


def test_a_narrow_terminal_cuts_the_why_but_never_an_amount_or_an_id(db: Path) -> None:
    rows = listed(db, ("sanctions",))
    table = ok(db, "sanctions", columns=80)
    lines = table.splitlines()
    assert max(len(line) for line in lines) <= 80, table
    header = next(line for line in lines if "amount" in line)
    assert header.split() == ["id", "employee", "kind", "amount", "rule", "issued", "status", "why"]
    assert "…" in table  # the explanations were shortened
    for row in rows:
        assert row["sanction_id"][:8] in table and row["rule_id"] in table
        if row["amount"] is not None:
            line = next(line for line in lines if row["sanction_id"][:8] in line)
            assert f" {row['amount']} " in line
