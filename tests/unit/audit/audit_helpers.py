"""Shared helpers for the audit tests: a realistic 2026Q3 and SQLite tampering tools.

Times are company time (Asia/Shanghai, +08:00) written ``"YYYY-MM-DD HH:MM"``. The quarter is
recorded as it would be in production: each fact shortly after it occurred (the ledger clock
follows), the month-end ticks that evaluate deadlines and close payroll, a second rulebook
version adopted mid-quarter, and corrections (an appeal upheld, a retraction) in September.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from ledger.app import Ledger
from ledger.events import Event, canonical_json
from ledger.policies.rulebook import Rulebook
from ledger.store import GENESIS_HASH, Row, chain_hash, record_of_row
from ledger.testing import (
    ManualClock,
    absent,
    appeal_decided,
    complaint_received,
    hired,
    late,
    make,
    praised,
    retract,
    task_assigned,
    task_completed,
)

__all__ = [
    "COLUMNS",
    "V2_DOC",
    "Quarter",
    "build_quarter",
    "rehash_from",
    "relink",
    "remanifest",
    "sanction_row",
    "tampering",
]

DEFAULT_DOC = Rulebook.default_document()

V2_DOC = DEFAULT_DOC.replace("version = 1\n", "version = 2\n", 1).replace(
    'warning = "50.00"', 'warning = "60.00"', 1
)
"""Rulebook v2: the warning fine rises to 60.00 (effective 2026-08-01)."""

COLUMNS = (
    "e.position, e.event_id, s.employee_id, e.version, e.type, e.schema_version, "
    "e.occurred_at, e.recorded_at, e.recorded_by, e.source, e.evidence, e.correlation_id, "
    "e.causation_id, e.data, e.hash"
)
"""The ``events`` columns in :class:`ledger.store.Row` order."""


@dataclass
class Quarter:
    """The quarter's ledger and the consequences the tests look at."""

    ledger: Ledger
    clock: ManualClock
    notable: dict[str, UUID] = field(default_factory=dict)
    facts: dict[str, list[Event]] = field(default_factory=dict)


def _sanction(ledger: Ledger, emp: str, rule_id: str, kind: str) -> UUID:
    found = [
        s.sanction_id
        for s in ledger.sanctions(emp)
        if s.issued.rule_id == rule_id and s.issued.kind == kind
    ]
    assert found, f"{emp} has no {kind} under {rule_id}"
    return found[-1]


def build_quarter(open_ledger: Callable[[ManualClock], Ledger]) -> Quarter:
    """Record a realistic 2026Q3 for six employees into ``open_ledger(clock)``.

    * E01 late six times by 40 min (1 point each): ATT-01 notice at 4, warning (+fine) at 6;
      a good deed in August earns a commendation that revokes the warning (REC-05).
    * E02 receives complaint C-7 on 07-01 and never replies: SVC-02 notice, SVC-03 warning.
    * E03 exceeds authority twice (OBD-03 warnings, the second under rulebook v2 with a 60.00
      fine): ESC-01 demerit; the appeal against the second warning is upheld in September,
      which voids it and the escalation.
    * E04 is praised three times (REC-01 bonus) and completes a task on time.
    * E05 leaks confidential data (CND-01 demerit + fine) and is marked absent, retracted.
    * E06 misses a task deadline (OBD-02 notice).
    """
    clock = ManualClock("2025-01-01 00:00")
    ledger = open_ledger(clock)
    quarter = Quarter(ledger, clock)

    def record(events: Iterable[Event]) -> None:
        batch = list(events)
        clock.set(max(e.occurred_at for e in batch) + timedelta(minutes=30))
        ledger.record(batch)

    staff = {
        "E01": "front-desk",
        "E02": "complaints",
        "E03": "front-desk",
        "E04": "front-desk",
        "E05": "records",
        "E06": "complaints",
    }
    for n, (emp, dept) in enumerate(staff.items(), start=1):
        on = f"2025-0{n}-06 09:00"
        record([hired(emp, on, department=dept, monthly_wage="6000.00")])
        record([make("employee.qualification_assessed", emp, f"2025-0{n}-06 17:00", passed=True)])
    clock.set("2026-07-01 00:00")
    ledger.tick(clock.now)

    def exceeded(emp: str, when: str) -> Event:
        return make(
            "task.authority_exceeded",
            emp,
            when,
            description="approved a refund above the desk limit",
            envelope={"evidence": ["ticket:R-118"], "recorded_by": "supervisor:S01"},
        )

    complaint = complaint_received(
        "E02", "2026-07-01 10:00", complaint_id="C-7", recorded_by="system:complaint-desk"
    )
    record([complaint])
    quarter.facts["complaint"] = [complaint]
    record([task_assigned("E06", "2026-07-01 09:00", task_id="T-1", due_at="2026-07-08 18:00")])
    quarter.facts["late"] = []
    for day in (1, 2, 3, 6, 7, 8):
        arrival = late(
            "E01",
            f"2026-07-{day:02d} 09:40",
            minutes=40,
            recorded_by="system:badge-gateway",
            evidence=[f"badge:E01:2026-07-{day:02d}"],
        )
        quarter.facts["late"].append(arrival)
        record([arrival])
    quarter.facts["exceeded"] = [exceeded("E03", "2026-07-14 11:00")]
    record(quarter.facts["exceeded"])
    record([task_assigned("E04", "2026-07-15 09:00", task_id="T-2")])
    record([task_completed("E04", "2026-07-16 17:00", task_id="T-2")])
    record([praised("E04", f"2026-07-{day} 15:00") for day in (10, 17, 24)])
    clock.set("2026-08-01 00:00")
    ledger.tick(clock.now)
    ledger.adopt(
        V2_DOC,
        effective_from=date(2026, 8, 1),
        published_on=date(2026, 7, 20),
        source="HR circular 2026-07",
        by="hr:H01",
    )
    record(
        [
            make(
                "recognition.good_deed",
                "E01",
                "2026-08-05 15:00",
                description="returned a lost wallet",
                envelope={"recorded_by": "supervisor:S02"},
            )
        ]
    )
    quarter.facts["exceeded"].append(exceeded("E03", "2026-08-12 11:00"))
    record(quarter.facts["exceeded"][-1:])
    record(
        [
            make(
                "conduct.violation",
                "E05",
                "2026-08-20 14:00",
                kind="confidentiality",
                description="read a customer file aloud",
            )
        ]
    )
    absence = absent("E05", "2026-08-24 09:00")
    record([absence])
    clock.set("2026-09-01 00:00")
    ledger.tick(clock.now)
    second = sorted(
        (s for s in ledger.sanctions("E03") if s.issued.kind == "warning"),
        key=lambda s: s.issued.effective_at,
    )[-1].sanction_id
    quarter.notable["appealed"] = second
    record(
        [
            make(
                "appeal.filed",
                "E03",
                "2026-09-02 10:00",
                "hr:H01",
                sanction_id=second,
                grounds="the duty manager authorised the refund by phone",
            )
        ]
    )
    record(
        [
            appeal_decided(
                "E03",
                "2026-09-09 10:00",
                sanction_id=second,
                outcome="upheld",
                recorded_by="hr:H01",
            )
        ]
    )
    record([retract(absence, at="2026-09-03 10:00", reason="badge fault, was on leave")])
    clock.set("2026-10-01 00:00")
    ledger.tick(clock.now)
    clock.set("2026-10-02 00:00")

    quarter.notable["threshold"] = _sanction(ledger, "E01", "ATT-01", "warning")
    quarter.notable["deadline"] = _sanction(ledger, "E02", "SVC-02", "notice")
    quarter.notable["escalation"] = _sanction(ledger, "E03", "ESC-01", "demerit")
    quarter.notable["revoked"] = quarter.notable["threshold"]
    quarter.notable["commendation"] = _sanction(ledger, "E01", "REC-04", "commendation")
    return quarter


# -- tampering with a SQLite ledger file (as an attacker with write access would) ----------


@contextmanager
def tampering(db: Path) -> Iterator[sqlite3.Connection]:
    """A raw connection to ``db`` with the append-only triggers dropped; commits on exit."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.execute("DROP TRIGGER IF EXISTS events_no_update")
        conn.execute("DROP TRIGGER IF EXISTS events_no_delete")
        yield conn
        conn.execute("COMMIT")
    finally:
        conn.close()


def _rows(conn: sqlite3.Connection, where: str = "1", params: tuple[object, ...] = ()) -> list[Row]:
    return [
        Row(v[0], UUID(bytes=bytes(v[1])), *v[2:])
        for v in conn.execute(
            f"SELECT {COLUMNS} FROM events e JOIN streams s ON s.id = e.stream_id "
            f"WHERE {where} ORDER BY e.position",
            params,
        )
    ]


def sanction_row(conn: sqlite3.Connection, sanction_id: UUID) -> Row:
    """The ``sanction.issued`` row of ``sanction_id``."""
    for row in _rows(conn, "e.type = 'sanction.issued'"):
        if f'"sanction_id":"{sanction_id}"' in row.data:
            return row
    raise AssertionError(f"no sanction.issued row for {sanction_id}")


def rehash_from(conn: sqlite3.Connection, position: int) -> None:
    """Recompute every hash from ``position`` on, as an attacker covering their tracks."""
    before = _rows(conn, "e.position = ?", (position - 1,))
    prev = before[0].hash if before else "0" * 64
    for row in _rows(conn, "e.position >= ?", (position,)):
        digest = chain_hash(prev, record_of_row(row))
        conn.execute("UPDATE events SET hash = ? WHERE position = ?", (digest, row.position))
        prev = digest


def delete_and_rehash(conn: sqlite3.Connection, position: int) -> None:
    """Delete the event at ``position``, close the gap in positions and its stream's
    versions, and re-hash the rest of the chain so that it verifies again."""
    (stream_id, version) = conn.execute(
        "SELECT stream_id, version FROM events WHERE position = ?", (position,)
    ).fetchone()
    conn.execute("DELETE FROM events WHERE position = ?", (position,))
    later = conn.execute(
        "SELECT position, stream_id, version FROM events WHERE position > ? ORDER BY position",
        (position,),
    ).fetchall()
    for pos, stream, ver in later:
        conn.execute("UPDATE events SET position = ? WHERE position = ?", (pos - 1, pos))
        if stream == stream_id and ver > version:
            conn.execute("UPDATE events SET version = ? WHERE position = ?", (ver - 1, pos - 1))
    conn.execute("UPDATE streams SET version = version - 1 WHERE id = ?", (stream_id,))
    rehash_from(conn, position)


def remanifest(bundle: Path) -> None:
    """Recompute a bundle's manifest (canonical), as an attacker covering their tracks."""
    files = sorted(p for p in bundle.rglob("*") if p.is_file() and p.name != "manifest.json")
    manifest = {
        "files": {
            p.relative_to(bundle).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in files
        }
    }
    (bundle / "manifest.json").write_bytes(canonical_json(manifest))


def relink(records: list[dict[str, Any]], *, renumber: bool = True) -> tuple[bytes, str]:
    """The ``events.jsonl`` bytes of ``records`` with every hash and link recomputed (and,
    with ``renumber``, positions and stream versions counted again), and the last hash."""
    prev = GENESIS_HASH
    versions: dict[str, int] = {}
    out: list[bytes] = []
    for position, record in enumerate(records, start=1):
        if renumber:
            stream = record["employee_id"]
            versions[stream] = versions.get(stream, 0) + 1
            record = {**record, "position": position, "version": versions[stream]}
        digest = chain_hash(prev, record)
        out.append(canonical_json({"hash": digest, "prev_hash": prev, "record": record}) + b"\n")
        prev = digest
    return b"".join(out), prev
