"""``verify``: the hash chain is intact and every recorded consequence is what the rules derive.

Tampering is done as an attacker with write access to the SQLite file would: with the
``sqlite3`` module, after dropping the append-only triggers. The strongest attacker also
recomputes every hash after the change (with ``chain_hash`` and ``record_of_row``), so the
chain verifies again; only re-deriving the consequences from the facts can then notice.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import types
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pytest
from audit_helpers import (
    DEFAULT_DOC,
    Quarter,
    build_quarter,
    delete_and_rehash,
    rehash_from,
    sanction_row,
    tampering,
)

from ledger.app import Ledger
from ledger.audit import VerifyReport, verify
from ledger.audit import pool as pool
from ledger.audit.pool import spawn_safe


@pytest.fixture
def on_disk(tmp_path: Path) -> Iterator[tuple[Path, Quarter]]:
    db = tmp_path / "ledger.db"
    quarter = build_quarter(lambda clock: Ledger.open(db, clock=clock, synchronous="NORMAL"))
    quarter.ledger.close()
    yield db, quarter


def reopened(db: Path, quarter: Quarter) -> Ledger:
    """The ledger as ``ledger verify`` opens it (nothing adopted or read on opening)."""
    return Ledger.open(db, clock=quarter.clock, adopt_default=False)


def test_an_intact_ledger_verifies() -> None:
    quarter = build_quarter(lambda clock: Ledger.in_memory(clock=clock))
    report = verify(quarter.ledger)
    assert report.ok
    assert report.chain.ok
    assert report.discrepancies == ()
    assert report.employees == 6
    assert report.chain.checked == quarter.ledger.store.head()
    assert report.chain.head_hash == quarter.ledger.store.head_hash()
    data = report.to_json()
    assert data["ok"] is True
    assert data["discrepancies"] == []
    assert data["employees_checked"] == 6


def test_an_intact_ledger_on_disk_verifies(on_disk: tuple[Path, Quarter]) -> None:
    db, quarter = on_disk
    with reopened(db, quarter) as ledger:
        report = verify(ledger)
        assert report.ok, report.to_json()
        assert report.chain.checked == ledger.store.head()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("data", '{"minutes":4}'),
        ("occurred_at", "2026-07-08T08:40:00+08:00"),
        ("recorded_by", "supervisor:S99"),
        ("evidence", "[]"),
    ],
)
def test_tampering_with_a_fact_breaks_the_chain_at_its_position(
    on_disk: tuple[Path, Quarter], column: str, value: str
) -> None:
    db, quarter = on_disk
    sixth = quarter.facts["late"][-1]
    with tampering(db) as conn:
        (position,) = conn.execute(
            "SELECT position FROM events WHERE event_id = ?", (sixth.event_id.bytes,)
        ).fetchone()
        conn.execute(f"UPDATE events SET {column} = ? WHERE position = ?", (value, position))
    with reopened(db, quarter) as ledger:
        report = verify(ledger)
        assert not report.ok
        assert not report.chain.ok
        assert report.chain.first_bad_position == position
        assert report.chain.checked == position - 1
        assert "altered" in (report.chain.problem or "")
        assert report.to_json()["chain"]["first_bad_position"] == position


@pytest.mark.parametrize(
    ("emp", "rule_id", "kind"),
    [("E05", "CND-01", "fine"), ("E02", "SVC-02", "notice"), ("E04", "REC-01", "bonus")],
)
def test_deleting_a_derived_consequence_and_rehashing_is_a_discrepancy(
    on_disk: tuple[Path, Quarter], emp: str, rule_id: str, kind: str
) -> None:
    db, quarter = on_disk
    with reopened(db, quarter) as ledger:
        (target,) = [
            s
            for s in ledger.sanctions(emp)
            if s.issued.rule_id == rule_id and s.issued.kind == kind
        ]
        head = ledger.store.head()
    with tampering(db) as conn:
        row = sanction_row(conn, target.sanction_id)
        delete_and_rehash(conn, row.position)
    with reopened(db, quarter) as ledger:
        assert ledger.store.head() == head - 1
        assert all(s.sanction_id != target.sanction_id for s in ledger.sanctions(emp))
        report = verify(ledger)
        assert report.chain.ok, report.chain  # the attacker covered their tracks...
        assert not report.ok  # ...but the facts still imply the consequence
        assert [(d.employee_id, d.sanction_id) for d in report.discrepancies] == [
            (emp, str(target.sanction_id))
        ]
        (found,) = report.discrepancies
        assert f"{kind} {rule_id}" in found.problem
        assert "not recorded" in found.problem


def test_changing_a_recorded_amount_and_rehashing_is_a_discrepancy(
    on_disk: tuple[Path, Quarter],
) -> None:
    db, quarter = on_disk
    with reopened(db, quarter) as ledger:
        (fine,) = [s for s in ledger.sanctions("E05") if s.issued.kind == "fine"]
    with tampering(db) as conn:
        row = sanction_row(conn, fine.sanction_id)
        data = json.loads(row.data)
        assert data["amount"] == "100.00"
        data["amount"] = "10.00"
        conn.execute(
            "UPDATE events SET data = ? WHERE position = ?",
            (orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode(), row.position),
        )
        rehash_from(conn, row.position)
    with reopened(db, quarter) as ledger:
        report = verify(ledger)
        assert report.chain.ok
        assert [(d.employee_id, d.sanction_id) for d in report.discrepancies] == [
            ("E05", str(fine.sanction_id))
        ]
        assert "amount 10.00 -> 100.00" in report.discrepancies[0].problem


def _edit_rulebook(conn: sqlite3.Connection, *, keep_hash_consistent: bool) -> None:
    (data,) = conn.execute(
        "SELECT data FROM events WHERE position = 1 AND type = 'rulebook.adopted'"
    ).fetchone()
    adopted = json.loads(data)
    assert adopted["document"] == DEFAULT_DOC
    adopted["document"] = DEFAULT_DOC.replace('warning = "50.00"', 'warning = "5.00"', 1)
    if keep_hash_consistent:
        adopted["sha256"] = hashlib.sha256(adopted["document"].encode("utf-8")).hexdigest()
    conn.execute(
        "UPDATE events SET data = ? WHERE position = 1",
        (orjson.dumps(adopted, option=orjson.OPT_SORT_KEYS).decode(),),
    )
    if keep_hash_consistent:
        rehash_from(conn, 1)


def test_editing_a_rulebook_document_in_the_log_fails(on_disk: tuple[Path, Quarter]) -> None:
    db, quarter = on_disk
    with tampering(db) as conn:
        _edit_rulebook(conn, keep_hash_consistent=False)
    with reopened(db, quarter) as ledger:
        report = verify(ledger)
        assert not report.ok
        assert report.chain.first_bad_position == 1
        assert report.chain.checked == 0


def test_editing_a_rulebook_and_rehashing_everything_still_fails(
    on_disk: tuple[Path, Quarter],
) -> None:
    db, quarter = on_disk
    with tampering(db) as conn:
        _edit_rulebook(conn, keep_hash_consistent=True)
    with reopened(db, quarter) as ledger:
        report = verify(ledger)
        assert report.chain.ok
        assert not report.ok
        problems = [d.problem for d in report.discrepancies]
        # Every consequence recorded under v1 names the rulebook text it was derived from.
        assert all("rulebook_sha256" in p for p in problems)
        # The v1 warning fines were recorded as 50.00; the edited text says 5.00.
        amounts = [p for p in problems if "amount 50.00 -> 5.00" in p]
        assert {d.employee_id for d in report.discrepancies if "amount" in d.problem} == {
            "E01",
            "E02",
            "E03",
        }
        assert len(amounts) == 3


# -- re-deriving on worker processes gives exactly the sequential report ----------------------


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the process pools started, with two CPUs available whatever the machine has."""
    started: list[int] = []

    class Counted(ProcessPoolExecutor):
        def __init__(self, workers: int, **kwargs: Any) -> None:
            started.append(workers)
            super().__init__(workers, **kwargs)

    monkeypatch.setattr(pool, "ProcessPoolExecutor", Counted)
    monkeypatch.setattr(pool, "available_cpus", lambda: 2)
    return started


def _same_in_parallel(ledger: Ledger, pools: list[int]) -> VerifyReport:
    sequential = verify(ledger, workers=1)
    assert pools == []
    parallel = verify(ledger, parallel_from=2)  # six employees: the threshold forces it
    assert pools == [2]
    assert parallel == sequential
    assert parallel.to_json() == sequential.to_json()
    return parallel


def test_verifying_in_parallel_an_intact_ledger(
    on_disk: tuple[Path, Quarter], pools: list[int]
) -> None:
    db, quarter = on_disk
    with reopened(db, quarter) as ledger:
        report = _same_in_parallel(ledger, pools)
        assert report.ok
        assert report.employees == 6


def test_verifying_in_parallel_a_tampered_ledger(
    on_disk: tuple[Path, Quarter], pools: list[int]
) -> None:
    db, quarter = on_disk
    with reopened(db, quarter) as ledger:
        (fine,) = [s for s in ledger.sanctions("E05") if s.issued.kind == "fine"]
    with tampering(db) as conn:
        _edit_rulebook(conn, keep_hash_consistent=True)  # E01-E03: wrong amounts and sha256
        delete_and_rehash(conn, sanction_row(conn, fine.sanction_id).position)  # E05
    with Ledger.open(db, clock=quarter.clock, adopt_default=False, readonly=True) as ledger:
        report = _same_in_parallel(ledger, pools)
        assert report.chain.ok
        by = [d.employee_id for d in report.discrepancies]
        assert by == sorted(by)
        assert {"E01", "E02", "E03", "E05"} <= set(by)
        assert ("E05", str(fine.sanction_id)) in [
            (d.employee_id, d.sanction_id) for d in report.discrepancies
        ]


def test_verifying_in_parallel_a_broken_chain_stops_there(
    on_disk: tuple[Path, Quarter], pools: list[int]
) -> None:
    db, quarter = on_disk
    with tampering(db) as conn:
        conn.execute("UPDATE events SET recorded_by = 'x' WHERE position = 20")
    with reopened(db, quarter) as ledger:
        report = _same_in_parallel(ledger, pools)
        assert report.chain.first_bad_position == 20
        assert report.discrepancies == ()
        assert report.employees == 0


def test_an_in_memory_ledger_is_verified_in_this_process(pools: list[int]) -> None:
    quarter = build_quarter(lambda clock: Ledger.in_memory(clock=clock))
    assert verify(quarter.ledger, parallel_from=1) == verify(quarter.ledger, workers=1)
    assert pools == []


@pytest.mark.parametrize(
    ("employees", "workers", "parallel_from", "expected"),
    [
        (499, None, 500, 1),
        (500, None, 500, 2),
        (6, None, 2, 2),
        (1, None, 1, 1),  # never more workers than employees
        (0, None, 0, 1),
        (6, 4, 500, 4),  # asked for explicitly
        (3, 4, 500, 3),
        (6, 0, 500, 1),
    ],
)
def test_worker_count(
    pools: list[int], employees: int, workers: int | None, parallel_from: int, expected: int
) -> None:
    assert pool.worker_count(employees, workers, parallel_from) == expected


def test_the_pool_is_used_by_default_only_where_spawning_cannot_rerun_a_script(
    tmp_path: Path,
) -> None:
    guarded, unguarded = tmp_path / "guarded.py", tmp_path / "unguarded.py"
    guarded.write_text('from ledger.audit import verify\nif __name__ == "__main__":\n    pass\n')
    unguarded.write_text("from ledger.audit import verify\nverify(ledger)\n")

    def main(path: Path | None) -> types.ModuleType:
        module = types.ModuleType("__main__")
        if path is not None:
            module.__file__ = str(path)
        return module

    assert spawn_safe(main(guarded)) and spawn_safe(main(None))
    assert not spawn_safe(main(unguarded))
    assert not spawn_safe(main(tmp_path / "missing.py"))
    # `python -m ledger` guards itself, so its verify, replay, rebuild and tick use every
    # core as the `ledger` command does (unguarded, it ran them in one process).
    import ledger.__main__

    assert spawn_safe(main(Path(ledger.__main__.__file__)))
