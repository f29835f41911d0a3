"""End-to-end: the installed `ledger` command over the log (init, record, import, verify)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def ledger(db: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ledger", "--db", str(db), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    assert ledger(path, "init").returncode == 0
    return path


def count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(
            conn.execute(
                "SELECT count(*) FROM events WHERE recorded_by != 'ledger' "
                "AND type != 'rulebook.adopted'"
            ).fetchone()[0]
        )


def line(**overrides: object) -> str:
    event: dict[str, object] = {
        "type": "attendance.late_arrival",
        "employee_id": "E1",
        "occurred_at": "2026-07-03T09:12:00+08:00",
        "recorded_by": "system:badge-gateway",
        "data": {"minutes": 12},
    }
    event.update(overrides)
    return json.dumps(event)


def test_import_of_a_quarter_appends_every_line_and_reimport_is_a_no_op(db: Path) -> None:
    first = ledger(db, "import", str(EXAMPLES / "quarter.jsonl"))
    assert first.returncode == 0, first.stderr
    assert "appended 16, already present 0, rejected 0" in first.stdout
    again = ledger(db, "import", str(EXAMPLES / "quarter.jsonl"))
    assert "appended 0, already present 16, rejected 0" in again.stdout
    assert count(db) == 16


def test_a_malformed_line_names_its_number_and_writes_nothing(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(line(event_id="00000000-0000-4000-8000-000000000001") + "\n{not json\n")
    result = ledger(db, "import", str(bad))
    assert result.returncode == 2
    assert f"{bad}:2:" in result.stderr and "not valid JSON" in result.stderr
    assert count(db) == 0


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"occurred_at": "2026-07-03T09:12:00"}, "occurred_at", "no time zone"),
        ({"type": "attendance.teleported"}, "type", "unknown event type"),
        ({"data": {"minutes": -3}}, "data.minutes", "greater than 0"),
        ({"data": {"minutes": 3, "mood": "bad"}}, "data.mood", "Extra inputs"),
        ({"occurred_at": "2099-01-01T00:00:00+08:00"}, "occurred_at", "future"),
        ({"type": "sanction.issued"}, "type", "written by the ledger"),
        ({"employee_id": "_ledger"}, "employee", "reserved"),
    ],
)
def test_bad_input_is_rejected_with_line_field_and_reason(
    db: Path, tmp_path: Path, overrides: dict[str, object], field: str, reason: str
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(line() + "\n\n" + line(**overrides) + "\n")
    result = ledger(db, "import", str(bad))
    assert result.returncode == 2
    assert f"{bad}:3:" in result.stderr
    assert field in result.stderr and reason in result.stderr
    assert count(db) == 0


def test_a_conflicting_id_is_rejected_and_nothing_of_the_batch_is_written(
    db: Path, tmp_path: Path
) -> None:
    same_id = "00000000-0000-4000-8000-0000000000aa"
    first = tmp_path / "first.jsonl"
    first.write_text(line(event_id=same_id) + "\n")
    assert ledger(db, "import", str(first)).returncode == 0
    second = tmp_path / "second.jsonl"
    second.write_text(line() + "\n" + line(event_id=same_id, data={"minutes": 13}) + "\n")
    result = ledger(db, "import", str(second))
    assert result.returncode == 2
    assert f"{second}:2:" in result.stderr and "different content" in result.stderr
    assert count(db) == 1


def test_standard_input_and_csv_import(db: Path, tmp_path: Path) -> None:
    piped = ledger(db, "import", "-", stdin=line() + "\n")
    assert piped.returncode == 0 and "appended 1" in piped.stdout
    csv_file = tmp_path / "badge.csv"
    csv_file.write_text(
        "event_id,type,employee_id,occurred_at,recorded_by,data.minutes\n"
        "00000000-0000-4000-8000-0000000000c1,attendance.early_departure,E2,"
        "2026-07-04T17:40:00+08:00,system:badge-gateway,20\n"
    )
    result = ledger(db, "import", str(csv_file))
    assert result.returncode == 0, result.stderr
    assert "appended 1" in result.stdout
    assert count(db) == 2


def test_record_one_event_by_hand(db: Path) -> None:
    result = ledger(
        db,
        "record",
        "attendance.late_arrival",
        "--employee",
        "E7",
        "--at",
        "2026-07-03T09:12:00+08:00",
        "--data",
        '{"minutes": 12}',
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("appended:")
    refused = ledger(db, "record", "sanction.issued", "--employee", "E7")
    assert refused.returncode == 2 and "written by the ledger" in refused.stderr


def test_verify_names_the_position_an_attacker_edited(db: Path) -> None:
    assert ledger(db, "import", str(EXAMPLES / "quarter.jsonl")).returncode == 0
    intact = ledger(db, "verify")
    assert intact.returncode == 0 and "intact:" in intact.stdout
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("UPDATE events SET data = '{\"minutes\":1}' WHERE position = 5")
    broken = ledger(db, "verify")
    assert broken.returncode == 1
    assert "position 5" in broken.stderr


def test_commands_other_than_init_refuse_a_missing_database(tmp_path: Path) -> None:
    result = ledger(tmp_path / "absent.db", "verify")
    assert result.returncode == 2
    assert "ledger init" in result.stderr


def test_schema_covers_every_event_type() -> None:
    from ledger.events import EVENT_TYPES

    result = subprocess.run(
        [sys.executable, "-m", "ledger", "schema"], capture_output=True, text=True, check=True
    )
    schema = json.loads(result.stdout)
    assert set(schema["discriminator"]["mapping"]) == set(EVENT_TYPES)


def test_a_gbk_file_is_detected_and_imported_as_gb18030(db: Path, tmp_path: Path) -> None:
    # Issue 13 changed this: a GBK file (as Excel writes in China) is no longer refused.
    source = tmp_path / "badge.csv"
    source.write_bytes(
        "event_id,type,employee_id,occurred_at,recorded_by,data.minutes\n"
        ",attendance.late_arrival,E1,2026-07-03T09:12:00+08:00,考勤机,5\n".encode("gbk")
    )
    before = count(db)
    result = ledger(db, "import", str(source))
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "gb18030" in result.stderr and "badge.csv" in result.stderr
    assert count(db) == before + 1
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT count(*) FROM events WHERE recorded_by = ?", ("考勤机",))
        assert stored.fetchone() == (1,)


def test_a_date_of_year_one_is_refused_naming_the_field(db: Path, tmp_path: Path) -> None:
    source = tmp_path / "old.jsonl"
    source.write_text(line(occurred_at="0001-01-01T00:00:00+08:00") + "\n", encoding="utf-8")
    before = count(db)
    result = ledger(db, "import", str(source))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "old.jsonl:1: occurred_at" in result.stderr
    assert "out of the supported range" in result.stderr
    assert count(db) == before
