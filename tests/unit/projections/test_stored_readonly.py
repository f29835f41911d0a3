"""Stored read models on a read-only store: answered in memory, saved only when free.

docs/ARCHITECTURE.md, "Read models": a reader never waits for the write lock; what it
computed is saved if the lock is free at that instant and nobody moved the checkpoint.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from projection_helpers import rude, staff

from ledger import Ledger
from ledger.errors import StorageError
from ledger.projections import store as store_module
from ledger.projections.store import Projections
from ledger.store import SQLiteStore
from ledger.testing import ManualClock, instant


def _ledger_file(path: Path) -> None:
    with Ledger.open(path, clock=ManualClock("2027-01-01 00:00")) as ledger:
        ledger.record([*staff("E1"), *staff("E2"), rude("E1", "2026-07-02 10:00")])
        ledger.tick(instant("2026-10-01 00:00"))


def _checkpoint(path: Path) -> int | None:
    conn = sqlite3.connect(path)
    row = conn.execute("SELECT position FROM projection_checkpoints WHERE name = 'payroll'")
    found = row.fetchone()
    conn.close()
    return None if found is None else int(found[0])


def _payroll(path: Path) -> list[dict[str, object]]:
    with Ledger.open(path, readonly=True, clock=ManualClock("2027-01-01 00:00")) as ledger:
        return list(Projections(ledger).rows("payroll"))


def test_a_reader_answers_like_a_writer_and_saves_when_the_lock_is_free(tmp_db: Path) -> None:
    _ledger_file(tmp_db)
    assert _checkpoint(tmp_db) is None
    read = _payroll(tmp_db)
    with Ledger.open(tmp_db, clock=ManualClock("2027-01-01 00:00")) as ledger:
        written = list(Projections(ledger).rows("payroll"))
        head = ledger.store.head()
    assert read == written and read
    assert _checkpoint(tmp_db) == head


def test_a_reader_saves_nothing_while_another_writer_holds_the_lock(tmp_db: Path) -> None:
    _ledger_file(tmp_db)
    holder = sqlite3.connect(tmp_db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        rows = _payroll(tmp_db)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # Every employee has a row per month of employment; only E1 owes anything.
    assert rows and {r["employee_id"] for r in rows} == {"E1", "E2"}
    assert {r["employee_id"] for r in rows if r["due"] != "0.00"} == {"E1"}
    assert _checkpoint(tmp_db) is None
    assert _payroll(tmp_db) == rows  # the lock is free now: computed again, and saved
    assert _checkpoint(tmp_db) is not None


def _all_rows(path: Path) -> dict[str, list[tuple[str, str, str]]]:
    conn = sqlite3.connect(path)
    found: dict[str, list[tuple[str, str, str]]] = {}
    for name, key, employee, value in conn.execute(
        "SELECT name, key, employee_id, value FROM projection_rows "
        "WHERE name != 'derivation' ORDER BY name, key, employee_id"
    ):
        found.setdefault(name, []).append((key, employee, value))
    conn.close()
    return found


def test_a_rebuild_cut_between_slices_is_finished_by_the_next_catch_up(
    tmp_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A writable recompute saves slices of employees in short transactions, moving the
    # checkpoint and stamp only with the last (docs/ARCHITECTURE.md, "Read models").
    with Ledger.open(tmp_db, clock=ManualClock("2027-01-01 00:00")) as ledger:
        ledger.record([*staff("E1"), *staff("E2"), *staff("E3"), rude("E2", "2026-07-02 10:00")])
        ledger.tick(instant("2026-10-01 00:00"))
        Projections(ledger).rebuild()
    whole = _all_rows(tmp_db)
    assert len(whole) >= 2 and all(len(rows) >= 2 for rows in whole.values())
    # A row the recompute replaces, of the last employee: a rebuild replaces each slice's
    # rows in place, so a cut one leaves the later employees' rows as they were.
    with Ledger.open(tmp_db, clock=ManualClock("2027-01-01 00:00")) as ledger:
        at = ledger.store.projection_checkpoint("payroll")
        ledger.store.projection_replace("payroll", set(), [("zz-stale", "E3", "{}")], at)

    monkeypatch.setattr(store_module, "_SLICE", 1)
    calls = {"n": 0}
    real = SQLiteStore.projection_replace

    def cut_after_first_slice(self: SQLiteStore, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] > len(whole):  # every projection of the first slice was saved
            raise KeyboardInterrupt("cut")
        real(self, *args, **kwargs)

    with Ledger.open(tmp_db, clock=ManualClock("2027-01-01 00:00")) as ledger:
        monkeypatch.setattr(SQLiteStore, "projection_replace", cut_after_first_slice)
        with pytest.raises(KeyboardInterrupt):
            Projections(ledger).rebuild()
        monkeypatch.setattr(SQLiteStore, "projection_replace", real)
    partial = _all_rows(tmp_db)
    assert partial != whole  # the cut left the projections incomplete
    with Ledger.open(tmp_db, clock=ManualClock("2027-01-01 00:00")) as ledger:
        projections = Projections(ledger)
        for name in projections.registry:
            projections.catch_up(name)
    assert _all_rows(tmp_db) == whole


def test_a_rebuild_on_worker_processes_stores_what_one_process_stores(tmp_db: Path) -> None:
    # Many employees are recomputed on a pool of processes (ledger.audit.pool), streamed
    # back in order and saved in slices; the rows must be exactly the in-process ones.
    with Ledger.open(tmp_db, clock=ManualClock("2027-01-01 00:00")) as ledger:
        people = [f"E{i}" for i in range(1, 7)]
        ledger.record([e for p in people for e in staff(p)])
        ledger.record([rude(p, f"2026-07-0{n + 1} 10:00") for n, p in enumerate(people[:4])])
        ledger.tick(instant("2026-10-01 00:00"))
        Projections(ledger, workers=1).rebuild()
    alone = _all_rows(tmp_db)
    with Ledger.open(tmp_db, clock=ManualClock("2027-01-01 00:00")) as ledger:
        # A row no employee's view gives is gone after a rebuild: one of an employee (the
        # employee's rows are replaced) and one of nobody known (deleted with the last
        # slice: a rebuild keeps only the rows of the employees it recomputed).
        at = ledger.store.projection_checkpoint("scorecards")
        ledger.store.projection_replace("scorecards", {"GHOST"}, [("x", "GHOST", "{}")], at)
        ledger.store.projection_replace("payroll", set(), [("stale", "E1", "{}")], at)
        assert _all_rows(tmp_db) != alone
        Projections(ledger, workers=2).rebuild()
    assert _all_rows(tmp_db) == alone
    assert {e for rows in alone.values() for _, e, _ in rows} >= set(people[:4])


def test_cards_and_report_rows_computed_on_worker_processes_equal_in_process_ones(
    tmp_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.audit.pool import EmployeePool
    from ledger.projections import listings
    from ledger.projections.listings import QuarterCards
    from ledger.report import ReportRows
    from ledger.timeutil import Period

    with Ledger.open(tmp_db, clock=ManualClock("2027-01-01 00:00")) as ledger:
        people = [f"E{i}" for i in range(1, 6)]
        ledger.record([e for p in people for e in staff(p)])
        ledger.record([rude(p, f"2026-07-0{n + 1} 10:00") for n, p in enumerate(people[:3])])
        ledger.tick(instant("2026-10-01 00:00"))
        quarter = Period.parse("2026Q3")
        alone = (QuarterCards(ledger, quarter).dump(), ReportRows(ledger, quarter).dump())
        monkeypatch.setattr(listings, "POOL_FROM", 2)
        spread: list[bool] = []
        enter = EmployeePool.__enter__

        def noting(pool: EmployeePool[Any, Any]) -> EmployeePool[Any, Any]:
            spread.append(pool.parallel)
            return enter(pool)

        monkeypatch.setattr(EmployeePool, "__enter__", noting)
        pooled = (QuarterCards(ledger, quarter).rebuild(), ReportRows(ledger, quarter).rebuild())
        assert pooled == (5, 5) and spread == [True, True]
        assert (QuarterCards(ledger, quarter).dump(), ReportRows(ledger, quarter).dump()) == alone
    assert len(alone[0]) == len(alone[1]) == 6  # five employees and the stamp


def test_a_rebuild_on_a_read_only_store_is_refused_and_changes_nothing(tmp_db: Path) -> None:
    # A reader lays what it computes over the stored rows; a rebuild must also delete rows
    # no employee owns, which only a writer can.
    _ledger_file(tmp_db)
    with Ledger.open(tmp_db, clock=ManualClock("2027-01-01 00:00")) as ledger:
        at = ledger.store.projection_checkpoint("scorecards")
        ledger.store.projection_replace("scorecards", {"GHOST"}, [("x", "GHOST", "{}")], at)
    before = _all_rows(tmp_db)
    reader = Ledger.open(tmp_db, readonly=True, clock=ManualClock("2027-01-01 00:00"))
    with reader, pytest.raises(StorageError, match="opened read-only; a rebuild writes"):
        Projections(reader).rebuild()
    assert _all_rows(tmp_db) == before
