"""End-to-end: `ledger explain`, `verify`, `replay`, `export` and `verify-bundle` via the CLI.

A small 2026Q3, hand-worked from RULEBOOK.md v1 (company time, +08:00):

* A1 is 40 minutes late six times (1 point each): ATT-01 notice at 4 points (07-06),
  warning + fine 50.00 at 6 (07-09).
* B1 receives complaint C-9 on 07-01 10:00 and never replies or resolves it: after the tick,
  SVC-02 notice at 07-02 10:00 and SVC-03 warning + fine 50.00 at 07-03 10:00.
* C1 exceeds authority on 07-14 and 08-12 (OBD-03 warnings + fines 50.00): ESC-01 demerit +
  fine 100.00 at the second.

Four fines are attached to warnings, so raising the warning fine to 80.00 changes the fine
total by 4 x 30.00 = 120.00.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from ledger.policies.rulebook import Rulebook

HORIZON = "2026-10-01T00:00:00+08:00"


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


def eid(emp: str, n: int) -> str:
    return f"00000000-0000-4000-8{ord(emp[0]):03d}-{n:012d}"


def fact(emp: str, n: int, type_name: str, at: str, by: str, **data: Any) -> str:
    return json.dumps(
        {
            "event_id": eid(emp, n),
            "type": type_name,
            "employee_id": emp,
            "occurred_at": f"{at.replace(' ', 'T')}:00+08:00",
            "recorded_by": by,
            "data": data,
        }
    )


def hiring(emp: str, on: str) -> list[str]:
    return [
        fact(
            emp,
            90,
            "employee.hired",
            f"{on} 09:00",
            "hr:H01",
            department="front-desk",
            role="clerk",
            hired_on=on,
            monthly_wage="6000.00",
        ),
        fact(emp, 91, "employee.qualification_assessed", f"{on} 17:00", "hr:H01", passed=True),
    ]


LINES = [
    *hiring("A1", "2025-01-06"),
    *hiring("B1", "2025-02-03"),
    *hiring("C1", "2025-03-03"),
    *(
        fact(
            "A1",
            n,
            "attendance.late_arrival",
            f"2026-07-0{day} 09:40",
            "system:badge-gateway",
            minutes=40,
        )
        for n, day in enumerate((1, 2, 3, 6, 7, 9), start=1)
    ),
    fact(
        "B1",
        1,
        "service.complaint_received",
        "2026-07-01 10:00",
        "system:complaint-desk",
        complaint_id="C-9",
        channel="hotline",
    ),
    fact(
        "C1",
        1,
        "task.authority_exceeded",
        "2026-07-14 11:00",
        "supervisor:S01",
        description="approved a refund",
    ),
    fact(
        "C1",
        2,
        "task.authority_exceeded",
        "2026-08-12 11:00",
        "supervisor:S01",
        description="approved a refund",
    ),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quarter's database, built through the CLI once; tests that alter it copy it."""
    where = tmp_path_factory.mktemp("audit")
    db = where / "ledger.db"
    ok(db, "init")
    (where / "quarter.jsonl").write_text("\n".join(LINES) + "\n", encoding="utf-8")
    ok(db, "import", str(where / "quarter.jsonl"))
    ok(db, "tick", "--now", HORIZON)
    return db


@pytest.fixture
def db(built: Path, tmp_path: Path) -> Path:
    """A private copy of the quarter's database."""
    copy = tmp_path / "ledger.db"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{built}{suffix}")
        if source.exists():
            shutil.copy(source, Path(f"{copy}{suffix}"))
    return copy


@pytest.fixture(scope="module")
def listing(built: Path) -> list[dict[str, Any]]:
    """`ledger sanctions --format json` of the quarter (copies hold the same ids)."""
    result: list[dict[str, Any]] = json.loads(ok(built, "sanctions", "--format", "json"))
    return result


def one(listing: list[dict[str, Any]], emp: str, rule_id: str, kind: str) -> dict[str, Any]:
    (found,) = [
        s for s in listing if (s["employee_id"], s["rule_id"], s["kind"]) == (emp, rule_id, kind)
    ]
    return found


def prefix_of(listing: list[dict[str, Any]], sanction_id: str) -> str:
    """The shortest prefix of at least 8 characters that names only ``sanction_id``."""
    others = [s["sanction_id"] for s in listing if s["sanction_id"] != sanction_id]
    for length in range(8, len(sanction_id) + 1):
        if not any(o.startswith(sanction_id[:length]) for o in others):
            return sanction_id[:length]
    raise AssertionError("no unique prefix")


# -- explain -------------------------------------------------------------------------------


def test_explain_by_prefix_in_text_markdown_and_json(
    built: Path, listing: list[dict[str, Any]]
) -> None:
    warning = one(listing, "A1", "ATT-01", "warning")
    prefix = prefix_of(listing, warning["sanction_id"])

    text = ok(built, "explain", prefix)
    for label in (
        "警告 warning — A1",
        f"consequence 处分编号: {warning['sanction_id']}",
        "Why 原因",
        "threshold 阈值 6",
        "Rule 规则",
        "ATT-01 v1",
        "Rulebook 制度版本",
        "Facts 事实",
        "by system:badge-gateway; evidence 证据: none; position",
        "History 经过",
        "哈希链校验: yes 是",
    ):
        assert label in text, label

    markdown = ok(built, "explain", prefix, "--format", "markdown")
    assert markdown.startswith("# 警告 warning — A1\n")
    assert "\n## Why 原因\n" in markdown
    assert "\n## Integrity 完整性\n" in markdown

    data = json.loads(ok(built, "explain", prefix, "--format", "json"))
    assert data["sanction"]["sanction_id"] == warning["sanction_id"]
    assert data["sanction"]["issued_at"] == "2026-07-09T09:40:00+08:00"
    assert data["rule"]["rule_id"] == "ATT-01"
    assert data["rulebook"]["id"] == "service-standard"
    assert data["rulebook"]["version"] == 1
    assert len(data["rulebook"]["sha256"]) == 64
    assert data["basis"]["threshold"] == "6"
    assert [c["event_id"] for c in data["basis"]["counted"]] == [eid("A1", n) for n in range(1, 7)]
    assert [f["event_id"] for f in data["caused_by"]] == [eid("A1", 6)]
    assert [h["what"] for h in data["history"]] == ["issued"]
    assert data["chain_verified"] is True


def test_explain_an_unknown_or_ambiguous_id_is_a_usage_error(built: Path) -> None:
    unknown = ledger(built, "explain", "ffffffff-ffff")
    assert unknown.returncode == 2
    assert "no consequence with id" in unknown.stderr
    ambiguous = ledger(built, "explain", "")
    assert ambiguous.returncode == 2
    assert "ambiguous" in ambiguous.stderr


# -- verify --------------------------------------------------------------------------------


def test_verify_names_a_cut_tail_without_a_position_it_does_not_have(db: Path) -> None:
    # A deleted tail leaves no bad row to point at: the streams' heads disagree with the log.
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("DROP TRIGGER events_no_delete")
        conn.execute("DELETE FROM events WHERE position > (SELECT max(position) - 2 FROM events)")
        conn.commit()
    broken = ledger(db, "verify")
    assert broken.returncode == 1
    assert "BROKEN: stream head of" in broken.stderr and "None" not in broken.stderr


def test_verify_exits_0_when_intact_and_1_after_tampering(db: Path) -> None:
    assert "intact" in ok(db, "verify")

    with closing(sqlite3.connect(db)) as conn:
        (position,) = conn.execute(
            "SELECT position FROM events WHERE event_id = ?",
            (bytes.fromhex(eid("A1", 6).replace("-", "")),),
        ).fetchone()
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("UPDATE events SET data = ? WHERE position = ?", ('{"minutes":4}', position))
        conn.commit()

    broken = ledger(db, "verify")
    assert broken.returncode == 1
    assert f"BROKEN at position {position}" in broken.stderr
    report = ledger(db, "verify", "--format", "json")
    assert report.returncode == 1
    data = json.loads(report.stdout)
    assert data["ok"] is False
    assert data["chain"]["first_bad_position"] == position


# -- replay --------------------------------------------------------------------------------


def test_replay_as_json_under_the_adopted_and_a_proposed_rulebook(
    built: Path, tmp_path: Path
) -> None:
    same = json.loads(ok(built, "replay", "--period", "2026Q3", "--format", "json"))
    assert same["period"] == "2026Q3"
    assert same["employees"] == []
    assert same["totals"]["money"]["fine"]["difference"] == "0.00"

    document = Rulebook.default_document()  # what `ledger init` adopted
    proposal = tmp_path / "proposal.toml"
    proposal.write_text(
        document.replace('warning = "50.00"', 'warning = "80.00"', 1), encoding="utf-8"
    )
    data = json.loads(
        ok(
            built,
            "replay",
            "--period",
            "2026Q3",
            "--rulebook",
            str(proposal),
            "--format",
            "json",
        )
    )
    totals = data["totals"]
    assert (totals["added"], totals["removed"], totals["changed"]) == (0, 0, 4)
    assert totals["grades_changed"] == 0
    assert totals["money"]["fine"] == {
        "recorded": "300.00",
        "replayed": "420.00",
        "difference": "120.00",
    }
    changed = {
        (e["employee_id"], c["rule_id"], c["recorded_amount"], c["amount"])
        for e in data["employees"]
        for c in e["changed"]
    }
    assert changed == {
        ("A1", "ATT-01", "50.00", "80.00"),
        ("B1", "SVC-03", "50.00", "80.00"),
        ("C1", "OBD-03", "50.00", "80.00"),
    }
    assert [e["employee_id"] for e in data["employees"]] == ["A1", "B1", "C1"]
    table = ok(built, "replay", "--period", "2026Q3", "--rulebook", str(proposal))
    assert "3 employees differ" in " ".join(table.split())


# -- export and verify-bundle --------------------------------------------------------------


def test_export_then_verify_bundle_then_a_changed_byte_fails(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "audit-2026Q3"
    said = " ".join(ok(built, "export", "--period", "2026Q3", "--out", str(out)).split())
    assert "exported" in said
    assert "3 employees" in said
    assert (out / "manifest.json").is_file()

    checked = ledger(built, "verify-bundle", str(out))
    assert checked.returncode == 0, checked.stderr
    assert "verifies" in checked.stdout

    events = out / "events.jsonl"
    data = bytearray(events.read_bytes())
    data[len(data) // 2] ^= 0x01
    events.write_bytes(bytes(data))
    failed = ledger(built, "verify-bundle", str(out))
    assert failed.returncode == 1
    assert "events.jsonl: sha256 does not match the manifest (altered)" in failed.stderr
    assert "does NOT verify" in failed.stderr

    again = ledger(built, "export", "--period", "2026Q3", "--out", str(out))
    assert again.returncode == 2  # a bundle is never written over another
    assert "not empty" in again.stderr
