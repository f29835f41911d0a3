"""The store contract, run against the SQLite backend (a file and ``:memory:``).

The file backend also has its own tests: read-only opens, refusing files that are not ledger
databases, and waiting for (or giving up on) another connection's write lock.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from concurrency_contract import ConcurrencyContract
from store_children import first_open, open_sqlite_file
from store_contract import StoreContract

from ledger.errors import LedgerError, StorageError
from ledger.store import SCHEMA_VERSION, EventStore, SQLiteStore
from ledger.testing import ManualClock, early, late

FIRST_OPENERS = 4


class TestSQLiteFileStore(StoreContract, ConcurrencyContract):
    """SQLiteStore on a WAL file keeps the store contract."""

    supports_processes = True

    def make_store(self, clock: ManualClock) -> EventStore:
        return SQLiteStore(self.workdir / "ledger.db", clock=clock, synchronous="NORMAL")

    def reopen(self, store: EventStore, clock: ManualClock) -> EventStore | None:
        store.close()
        return self.make_store(clock)

    open_at = staticmethod(open_sqlite_file)

    def test_a_reopened_file_holds_the_same_log(self, clock: ManualClock) -> None:
        first = self.make_store(clock)
        events = [late("E1"), late("E2")]
        first.append(events)
        head_hash = first.head_hash()
        first.close()
        second = self.make_store(clock)
        assert [r.event for r in second.read()] == events
        assert (second.head_hash(), second.verify().ok) == (head_hash, True)
        second.close()


class TestSQLiteMemoryStore(StoreContract, ConcurrencyContract):
    """SQLiteStore on ``:memory:`` keeps the store contract."""

    def make_store(self, clock: ManualClock) -> EventStore:
        return SQLiteStore(":memory:", clock=clock)


# -- opening, read-only, and the write lock (file backend only) ----------------------------


def _within(seconds: float, call: Callable[[], Any]) -> Any:
    """Run ``call`` in a daemon thread; fail unless it finishes within ``seconds``."""
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as exc:
            outcome.append((False, exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"still blocked after {seconds} s"
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


@pytest.fixture
def ledger_file(tmp_db: Path) -> Path:
    """A ledger file at the current schema holding two events."""
    store = SQLiteStore(tmp_db, clock=ManualClock(), synchronous="NORMAL")
    store.append([late("E1"), early("E2")])
    store.close()
    return tmp_db


@pytest.fixture
def blocker(ledger_file: Path) -> Iterator[sqlite3.Connection]:
    """Another connection holding an open write transaction on ``ledger_file``."""
    conn = sqlite3.connect(ledger_file, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    yield conn
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    conn.close()


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(4096))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _foreign_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('not a ledger')")
    conn.commit()
    conn.close()


class TestSQLiteFileOpening:
    """Read-only opens, refusing foreign files, and the write lock of the file backend."""

    def test_a_readonly_open_of_a_current_ledger_reads_it(self, ledger_file: Path) -> None:
        store = SQLiteStore(ledger_file, readonly=True)
        try:
            assert [r.event.employee_id for r in store.read()] == ["E1", "E2"]
            assert (store.head(), store.verify().ok) == (2, True)
        finally:
            store.close()

    def test_a_readonly_open_of_a_missing_file_is_refused_and_creates_nothing(
        self, tmp_path: Path
    ) -> None:
        missing = tmp_path / "missing.db"
        with pytest.raises(StorageError, match="not a ledger database"):
            SQLiteStore(missing, readonly=True)
        assert not missing.exists()
        assert list(tmp_path.iterdir()) == []

    @pytest.mark.parametrize(
        "make", [_empty, _random_bytes, _foreign_sqlite], ids=["empty", "random", "foreign"]
    )
    def test_a_readonly_open_of_a_foreign_file_is_refused_and_leaves_it_unchanged(
        self, tmp_path: Path, make: Callable[[Path], None]
    ) -> None:
        path = tmp_path / "other.db"
        make(path)
        before = path.read_bytes()
        with pytest.raises(StorageError, match="not a ledger database"):
            SQLiteStore(path, readonly=True)
        assert path.read_bytes() == before

    def test_a_readonly_store_refuses_to_append(self, ledger_file: Path) -> None:
        store = SQLiteStore(ledger_file, readonly=True)
        try:
            with pytest.raises(LedgerError):
                store.append([late("E3")])
            assert store.head() == 2
        finally:
            store.close()
        check = SQLiteStore(ledger_file, readonly=True)
        try:
            assert (check.head(), check.employees()) == (2, ["E1", "E2"])
        finally:
            check.close()

    @pytest.mark.parametrize("readonly", [True, False], ids=["readonly", "readwrite"])
    def test_a_reader_opens_and_reads_while_another_connection_writes(
        self, ledger_file: Path, blocker: sqlite3.Connection, readonly: bool
    ) -> None:
        def open_and_read() -> tuple[int, list[str]]:
            store = SQLiteStore(ledger_file, readonly=readonly)
            try:
                return store.head(), [r.event.employee_id for r in store.read()]
            finally:
                store.close()

        assert _within(2.0, open_and_read) == (2, ["E1", "E2"])

    def test_a_blocked_writer_waits_calls_on_wait_once_and_proceeds(
        self, ledger_file: Path
    ) -> None:
        released = threading.Event()
        waits: list[bool] = []
        store = SQLiteStore(
            ledger_file,
            clock=ManualClock(),
            write_timeout=10.0,
            on_wait=lambda: waits.append(released.is_set()),
        )
        conn = sqlite3.connect(ledger_file, isolation_level=None, check_same_thread=False)
        try:
            store.append([late("E3")])
            assert waits == [], "on_wait was called without another writer"
            conn.execute("BEGIN IMMEDIATE")

            def release() -> None:
                released.set()
                conn.execute("COMMIT")

            timer = threading.Timer(0.5, release)
            timer.daemon = True
            started = time.monotonic()
            timer.start()
            report = _within(8.0, lambda: store.append([late("E4")]))
            waited = time.monotonic() - started
            timer.join(5)
            assert [r.position for r in report.appended] == [4]
            assert waited >= 0.4, f"the append did not wait for the lock ({waited:.2f} s)"
            assert waits == [False], "on_wait must be called once, when the wait starts"
            assert (store.head(), store.verify().ok) == (4, True)
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()
            store.close()

    def test_a_writer_gives_up_after_write_timeout_and_writes_nothing(
        self, ledger_file: Path, blocker: sqlite3.Connection
    ) -> None:
        waits: list[int] = []
        store = SQLiteStore(
            ledger_file, clock=ManualClock(), write_timeout=0.3, on_wait=lambda: waits.append(1)
        )
        try:
            started = time.monotonic()
            with pytest.raises(StorageError, match="another writer"):
                _within(5.0, lambda: store.append([late("E3")]))
            waited = time.monotonic() - started
            assert 0.25 <= waited < 3.0, f"gave up after {waited:.2f} s, not about 0.3 s"
            assert waits == [1]
            blocker.execute("ROLLBACK")
            assert (store.head(), store.employees()) == (2, ["E1", "E2"])
        finally:
            store.close()

    def test_concurrent_first_opens_of_a_new_file_create_one_schema(self, tmp_db: Path) -> None:
        context = multiprocessing.get_context("spawn")
        start = context.Barrier(FIRST_OPENERS)
        errors = [tmp_db.parent / f"opener-{n}.err" for n in range(FIRST_OPENERS)]
        openers = [
            context.Process(target=first_open, args=(str(tmp_db), start, str(errors[n])))
            for n in range(FIRST_OPENERS)
        ]
        try:
            for process in openers:
                process.start()
            deadline = time.monotonic() + 60
            for process in openers:
                process.join(max(0.0, deadline - time.monotonic()))
            assert [p.exitcode for p in openers] == [0] * FIRST_OPENERS, [
                e.read_text() for e in errors if e.exists()
            ]
        finally:
            for process in openers:
                if process.is_alive():
                    process.kill()
                    process.join(5)
        conn = sqlite3.connect(tmp_db)
        try:
            versions = conn.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchall()
            assert versions == [(str(SCHEMA_VERSION),)]
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            conn.close()
        store = SQLiteStore(tmp_db, clock=ManualClock())
        try:
            store.append([late("E1")])
            assert (store.head(), store.verify().ok) == (1, True)
        finally:
            store.close()


class TestSQLiteMigration:
    """Opening writes nothing at the current schema; an older schema is migrated, and says so."""

    def test_an_older_schema_is_migrated_once_and_the_migration_is_announced(
        self, tmp_db: Path
    ) -> None:
        SQLiteStore(tmp_db).append([late("E1")])
        raw = sqlite3.connect(tmp_db, isolation_level=None)
        raw.execute("DROP INDEX events_sanction_id")  # what version 3 added
        raw.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
        raw.close()
        said: list[str] = []
        store = SQLiteStore(tmp_db, notify=said.append)
        assert said == [f"{tmp_db}: migrating the schema from v2 to v{SCHEMA_VERSION}"]
        indexes = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
        assert "events_sanction_id" in indexes
        assert "projection_rows_employee_key" in indexes  # what version 4 added
        assert "idx_projection_rows_name_employee_id" not in indexes  # and dropped
        assert (store.head(), store.verify().ok) == (1, True)
        store.close()

    def test_one_employees_projection_rows_are_read_from_the_employee_index(
        self, tmp_db: Path
    ) -> None:
        # Schema v4: without ``key`` in the employee index the planner walked the whole
        # projection by primary key for every employee (docs/ARCHITECTURE.md, "Read models").
        store = SQLiteStore(tmp_db)
        rows = [(f"E{i:04d}", f"E{i:04d}", "{}") for i in range(50)]
        store.projection_replace("p", [r[1] for r in rows], rows, 0)
        plan = store.conn.execute(
            "EXPLAIN QUERY PLAN SELECT key, employee_id, value FROM projection_rows "
            "WHERE name = ? AND employee_id = ? ORDER BY key",
            ["p", "E0007"],
        ).fetchall()
        assert "projection_rows_employee_key (name=? AND employee_id=?)" in str(plan)
        assert list(store.projection_rows("p", "E0007")) == [("E0007", "E0007", "{}")]
        store.close()
        again: list[str] = []
        SQLiteStore(tmp_db, notify=again.append).close()
        assert again == []

    def test_a_readonly_open_of_an_older_schema_asks_for_a_migration(self, tmp_db: Path) -> None:
        SQLiteStore(tmp_db).close()
        raw = sqlite3.connect(tmp_db, isolation_level=None)
        raw.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
        raw.close()
        with pytest.raises(StorageError, match="ledger init"):
            SQLiteStore(tmp_db, readonly=True)

    def test_opening_a_current_database_changes_nothing_in_it(self, tmp_db: Path) -> None:
        SQLiteStore(tmp_db).append([late("E1")])
        watcher = sqlite3.connect(tmp_db, isolation_level=None)
        before = watcher.execute("PRAGMA data_version").fetchone()[0]
        SQLiteStore(tmp_db).close()
        assert watcher.execute("PRAGMA data_version").fetchone()[0] == before
        watcher.close()


class TestSQLiteReadsTouchOnlyTheirRange:
    """A read by position range searches the rowid from the range's start, not from the
    log's (it once scanned from position 1: `explain` at 1M events took 143 ms, 3 ms after).
    Counted in SQLite virtual-machine steps, which do not depend on the machine's speed."""

    @staticmethod
    def _steps(store: SQLiteStore, call: Callable[[], Any]) -> int:
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0

        connection = store._connection()
        connection.set_progress_handler(count, 1)
        try:
            call()
        finally:
            connection.set_progress_handler(None, 1)
        return steps[0]

    def test_a_late_position_costs_what_an_early_one_does(self, tmp_db: Path) -> None:
        store = SQLiteStore(tmp_db, clock=ManualClock("2026-07-01 09:00"))
        store.append([late(f"E{n % 50}", f"2026-07-01 0{n % 9}:{n % 60:02d}") for n in range(3000)])
        early_read = self._steps(store, lambda: list(store.read(from_position=10, to_position=11)))
        late_read = self._steps(
            store, lambda: list(store.read(from_position=2990, to_position=2991))
        )
        newest = self._steps(
            store, lambda: list(store.read(to_position=2991, reverse=True, limit=2))
        )
        assert late_read < early_read * 2
        assert newest < early_read * 2
        assert store.verify_links([2990, 2991])
        store.close()
