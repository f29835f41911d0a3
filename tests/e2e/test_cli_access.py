"""End-to-end: who may write what, through the CLI (issue 14's "Done when").

With examples/access.toml adopted by hr:H01: system:badge imports attendance but is refused a
violation and any line recorded under hr:H01; employee:E1 files an appeal on their own
warning but may not decide it; hr:H02 decides it; system:badge cannot adopt a rulebook and
hr:H01 can; and a fact whose recorder is rewritten to `intruder` in the database, with the
hash chain recomputed, makes `verify` exit 1 naming `intruder`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from ledger.policies.rulebook import Rulebook
from ledger.store import Row, chain_hash, record_of_row

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ACCESS = EXAMPLES / "access.toml"


def ledger(
    db: Path, *args: str, actor: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    prefix = ["--as", actor] if actor else []
    environ = {k: v for k, v in os.environ.items() if k != "LEDGER_ACTOR"}
    return subprocess.run(
        [sys.executable, "-m", "ledger", "--db", str(db), *prefix, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**environ, **(env or {})},
    )


def ok(db: Path, *args: str, actor: str | None = None) -> str:
    result = ledger(db, *args, actor=actor)
    assert result.returncode == 0, f"ledger {' '.join(args)}: {result.stderr}"
    return result.stdout


def refused(db: Path, *args: str, actor: str | None = None) -> str:
    before = count(db)
    result = ledger(db, *args, actor=actor)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert count(db) == before
    return result.stderr


def count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


def line(type_name: str, at: str, *, emp: str = "E1", **fields: Any) -> str:
    data = fields.pop("data", {})
    return json.dumps(
        {
            "type": type_name,
            "employee_id": emp,
            "occurred_at": f"{at}+08:00",
            "data": data,
            **fields,
        }
    )


def write(path: Path, *lines: str) -> Path:
    path.write_text("".join(f"{text}\n" for text in lines), encoding="utf-8")
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A ledger with the example access document adopted by hr:H01 and E1 hired by hr:H01."""
    path = tmp_path / "ledger.db"
    ok(path, "init")
    adopted = ok(path, "access", "--adopt", str(ACCESS), actor="hr:H01")
    assert "adopted access v1" in adopted and "by hr:H01" in adopted
    hire = line(
        "employee.hired",
        "2026-01-05T09:00:00",
        data={"department": "front-desk", "role": "clerk", "hired_on": "2026-01-05",
              "monthly_wage": "6000.00"},
    )  # fmt: skip
    ok(path, "import", str(write(tmp_path / "hire.jsonl", hire)), actor="hr:H01")
    return path


def test_the_badge_imports_attendance_but_no_violation_and_nothing_under_hr_h01(
    db: Path, tmp_path: Path
) -> None:
    attendance = write(
        tmp_path / "badge.jsonl",
        line("attendance.late_arrival", "2026-07-03T09:12:00", data={"minutes": 12}),
        line("attendance.early_departure", "2026-07-03T17:40:00", data={"minutes": 20}),
    )
    assert "appended 2" in ok(db, "import", str(attendance), actor="system:badge")

    violation = write(
        tmp_path / "violation.jsonl",
        line("attendance.late_arrival", "2026-07-04T09:12:00", data={"minutes": 12}),
        line(
            "conduct.violation",
            "2026-07-04T10:00:00",
            data={"kind": "discourtesy", "description": "raised voice"},
        ),
    )
    message = refused(db, "import", str(violation), actor="system:badge")
    assert f"{violation}:2: access denied: system:badge may not record conduct.violation" in message
    assert "a role granting conduct.violation" in message and "access v1" in message

    forged = write(
        tmp_path / "forged.jsonl",
        line("attendance.absence", "2026-07-06T09:00:00", recorded_by="hr:H01", data={"days": 1}),
    )
    message = refused(db, "import", str(forged), actor="system:badge")
    assert f"{forged}:1:" in message and "'hr:H01' as its recorder" in message

    unnamed = refused(db, "import", str(forged))
    assert "nobody said who is writing" in unnamed


def test_the_employee_appeals_cannot_decide_and_hr_h02_decides(db: Path) -> None:
    ok(
        db,
        "record", "conduct.violation", "-e", "E1", "--at", "2026-07-10T10:00:00+08:00",
        "--data", '{"kind": "discourtesy", "description": "raised voice"}',
        actor="hr:H01",
    )  # fmt: skip
    sanctions = json.loads(ok(db, "sanctions", "-e", "E1", "--format", "json"))
    (warning,) = [s["sanction_id"] for s in sanctions if s["kind"] == "warning"]

    appeal = json.dumps({"sanction_id": warning, "grounds": "the customer shouted first"})
    ok(db, "record", "appeal.filed", "-e", "E1", "--at", "2026-07-12T10:00:00+08:00",
       "--data", appeal, actor="employee:E1")  # fmt: skip
    decision = json.dumps({"sanction_id": warning, "outcome": "upheld"})
    decide = ("record", "appeal.decided", "-e", "E1", "--at", "2026-07-15T10:00:00+08:00",
              "--data", decision)  # fmt: skip
    message = refused(db, *decide, actor="employee:E1")
    assert "employee:E1 may not record appeal.decided" in message
    assert "on their own stream" in message
    assert "four eyes" in refused(db, *decide, actor="hr:H01")
    ok(db, *decide, actor="hr:H02")
    statuses = {
        s["sanction_id"]: s["status"]
        for s in json.loads(ok(db, "sanctions", "-e", "E1", "--format", "json"))
    }
    assert statuses[warning] == "voided"

    explained = ok(db, "explain", warning)
    assert "by hr:H01" in explained and "allowed by role 角色 hr (access v1)" in explained
    facts = json.loads(ok(db, "explain", warning, "--format", "json"))["caused_by"]
    assert [(f["recorded_by"], f["role"], f["access"]) for f in facts] == [
        ("hr:H01", "hr", "access v1")
    ]


def test_the_badge_cannot_adopt_a_rulebook_and_hr_h01_can(db: Path, tmp_path: Path) -> None:
    v2 = tmp_path / "rulebook-v2.toml"
    v2.write_text(
        Rulebook.default_document().replace("version = 1\n", "version = 2\n", 1), encoding="utf-8"
    )
    message = refused(db, "rulebook", "--adopt", str(v2), actor="system:badge")
    assert "system:badge may not record rulebook.adopted" in message
    assert "adopted service-standard v2" in ok(db, "rulebook", "--adopt", str(v2), actor="hr:H01")


def test_the_next_access_document_needs_admin(db: Path, tmp_path: Path) -> None:
    v2 = tmp_path / "access-v2.toml"
    v2.write_text(ACCESS.read_text("utf-8").replace("version = 1", "version = 2"), "utf-8")
    assert "the admin role" in refused(db, "access", "--adopt", str(v2), actor="hr:H02")
    result = ledger(db, "access", "--adopt", str(v2), env={"LEDGER_ACTOR": "hr:H01"})
    assert result.returncode == 0, result.stderr
    assert ok(db, "access", "--export") == v2.read_text("utf-8")
    shown = ok(db, "access")
    assert "access v2, adopted by hr:H01" in shown
    assert "system:badge" in shown and "attendance.*" in shown


def test_verify_names_a_recorder_rewritten_to_intruder_below_the_api(
    db: Path, tmp_path: Path
) -> None:
    attendance = write(
        tmp_path / "badge.jsonl",
        *(
            line("attendance.late_arrival", f"2026-07-0{day}T09:40:00", data={"minutes": 40})
            for day in (1, 2, 3)
        ),
    )
    ok(db, "import", str(attendance), actor="system:badge")
    verified = ok(db, "verify")
    assert "rights: all" in verified and "access v1 in force" in verified

    position = rewrite_recorder(db, "attendance.late_arrival", "intruder")
    chain = ledger(db, "verify", "--format", "json")
    assert json.loads(chain.stdout)["chain"]["ok"] is True  # the chain was recomputed
    result = ledger(db, "verify")
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        f"position {position}: intruder recorded attendance.late_arrival on E1 under access v1"
        in result.stderr
    )
    assert "intruder is not among its actors" in result.stderr
    report = json.loads(chain.stdout)
    assert report["ok"] is False
    assert [(v["position"], v["actor"], v["type"]) for v in report["rights"]["violations"]] == [
        (position, "intruder", "attendance.late_arrival")
    ]


def test_without_an_access_document_verify_says_rights_are_not_checked(tmp_path: Path) -> None:
    path = tmp_path / "plain.db"
    ok(path, "init")
    assert "no access document adopted: who may write is not checked" in ok(path, "verify")
    assert "no access document adopted" in refused(path, "access", "--export")
    assert "no access document adopted" in ok(path, "access")


# -- tampering as an attacker with write access to the file would -------------------------

COLUMNS = (
    "e.position, e.event_id, s.employee_id, e.version, e.type, e.schema_version, "
    "e.occurred_at, e.recorded_at, e.recorded_by, e.source, e.evidence, e.correlation_id, "
    "e.causation_id, e.data, e.hash"
)


def rewrite_recorder(db: Path, type_name: str, actor: str) -> int:
    """Set the first ``type_name`` fact's ``recorded_by`` to ``actor`` and recompute every hash
    from there on; returns its position."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.execute("DROP TRIGGER IF EXISTS events_no_update")
        (position,) = conn.execute(
            "SELECT min(position) FROM events WHERE type = ?", (type_name,)
        ).fetchone()
        conn.execute("UPDATE events SET recorded_by = ? WHERE position = ?", (actor, position))
        (prev,) = conn.execute(
            "SELECT hash FROM events WHERE position = ?", (position - 1,)
        ).fetchone()
        rows = conn.execute(
            f"SELECT {COLUMNS} FROM events e JOIN streams s ON s.id = e.stream_id "
            "WHERE e.position >= ? ORDER BY e.position",
            (position,),
        ).fetchall()
        for values in rows:
            row = Row(values[0], UUID(bytes=bytes(values[1])), *values[2:])
            prev = chain_hash(prev, record_of_row(row))
            conn.execute("UPDATE events SET hash = ? WHERE position = ?", (prev, row.position))
        conn.execute("COMMIT")
    finally:
        conn.close()
    return int(position)
