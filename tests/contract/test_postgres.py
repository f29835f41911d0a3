"""The store contract, run against the PostgreSQL backend, and what is its own.

Each test gets a fresh database (the ``pg_url`` fixture of ``tests/conftest.py``), dropped
afterwards. Without a reachable server these tests are skipped (one line at the end of the
run says why), or fail when ``CI=true``.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from concurrency_contract import ConcurrencyContract
from conftest import require_psycopg
from store_children import first_open, open_postgres
from store_contract import StoreContract

from ledger.app import Ledger
from ledger.errors import LedgerError, StorageError, UsageError
from ledger.store import (
    EventStore,
    SQLiteStore,
    display_location,
    is_postgres_url,
    open_store,
    shared_location,
    sqlite_path,
)
from ledger.testing import ManualClock, early, late

require_psycopg()

import psycopg  # noqa: E402  (after the skip when psycopg is missing)

from ledger.store.postgres import (  # noqa: E402
    _LOCK_CLASS,
    SCHEMA_VERSION,
    PostgresStore,
)

FIRST_OPENERS = 4
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


class TestPostgresStore(StoreContract, ConcurrencyContract):
    """PostgresStore keeps the store contract, shared by threads and by processes."""

    supports_processes = True
    url: str

    @pytest.fixture(autouse=True)
    def _database(self, pg_url: str) -> None:
        self.url = pg_url

    def make_store(self, clock: ManualClock) -> EventStore:
        return PostgresStore(self.url, clock=clock, synchronous="NORMAL")

    def reopen(self, store: EventStore, clock: ManualClock) -> EventStore | None:
        store.close()
        return self.make_store(clock)

    open_at = staticmethod(open_postgres)

    def shared_location(self) -> str:
        return self.url

    def test_a_reopened_database_holds_the_same_log(self, clock: ManualClock) -> None:
        first = self.make_store(clock)
        events = [late("E1"), late("E2")]
        first.append(events)
        head_hash = first.head_hash()
        first.close()
        second = self.make_store(clock)
        assert [r.event for r in second.read()] == events
        assert (second.head_hash(), second.verify().ok) == (head_hash, True)
        second.close()


# -- helpers ---------------------------------------------------------------------------------


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
def ledger_db(pg_url: str) -> str:
    """A ledger database at the current schema holding two events."""
    store = PostgresStore(pg_url, clock=ManualClock(), synchronous="NORMAL")
    store.append([late("E1"), early("E2")])
    store.close()
    return pg_url


def _raw(url: str) -> Any:
    return psycopg.connect(url, autocommit=True)


@pytest.fixture
def blocker(ledger_db: str) -> Iterator[Any]:
    """Another connection holding the ledger's write lock in an open transaction."""
    store = PostgresStore(ledger_db, readonly=True)
    key = store._lock_key
    store.close()
    conn = _raw(ledger_db)
    conn.execute("BEGIN")
    conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK_CLASS, key))
    yield conn
    conn.execute("ROLLBACK")
    conn.close()


class TestPostgresOpening:
    """Read-only opens, refusing what is not a ledger, the write lock, the triggers."""

    def test_a_readonly_open_of_a_current_ledger_reads_it(self, ledger_db: str) -> None:
        store = PostgresStore(ledger_db, readonly=True)
        try:
            assert [r.event.employee_id for r in store.read()] == ["E1", "E2"]
            assert (store.head(), store.verify().ok) == (2, True)
        finally:
            store.close()

    def test_a_readonly_open_of_an_empty_database_is_refused_and_creates_nothing(
        self, pg_url: str
    ) -> None:
        with pytest.raises(StorageError, match="not a ledger database"):
            PostgresStore(pg_url, readonly=True)
        with _raw(pg_url) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone()
        assert tables == (0,)

    def test_a_database_of_another_program_is_refused_and_left_unchanged(self, pg_url: str) -> None:
        with _raw(pg_url) as conn:
            conn.execute("CREATE TABLE notes (id integer PRIMARY KEY, body text)")
            conn.execute("INSERT INTO notes VALUES (1, 'not a ledger')")
        for readonly in (True, False):
            with pytest.raises(StorageError, match="not a ledger database"):
                PostgresStore(pg_url, readonly=readonly)
        with _raw(pg_url) as conn:
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        assert tables == [("notes",)]

    def test_a_readonly_open_of_a_missing_database_is_refused_and_creates_nothing(
        self, pg_server: str
    ) -> None:
        from conftest import database_url

        url = database_url(pg_server, "ledger_test_never_created")
        with pytest.raises(StorageError, match="does not exist: not a ledger database"):
            PostgresStore(url, readonly=True)
        with _raw(pg_server) as conn:
            found = conn.execute(
                "SELECT count(*) FROM pg_database WHERE datname = 'ledger_test_never_created'"
            ).fetchone()
        assert found == (0,)

    def test_a_writable_open_creates_a_missing_database_and_says_so(self, pg_url: str) -> None:
        from conftest import database_url

        name = pg_url.rsplit("/", 1)[1] + "_new"
        url = database_url(pg_url, name)
        said: list[str] = []
        try:
            store = PostgresStore(url, notify=said.append, clock=ManualClock())
            store.append([late("E1")])
            assert (store.head(), store.verify().ok) == (1, True)
            store.close()
            assert said == [f"{url}: created database {name!r}"]
        finally:
            with _raw(pg_url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def test_a_readonly_store_refuses_to_append(self, ledger_db: str) -> None:
        store = PostgresStore(ledger_db, readonly=True)
        try:
            with pytest.raises(LedgerError):
                store.append([late("E3")])
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):  # and so does the server
                store.conn.execute("CREATE TABLE sneaky (id integer)")
            assert store.head() == 2
        finally:
            store.close()

    @pytest.mark.parametrize(
        "statement",
        ["UPDATE events SET type = 'x'", "DELETE FROM events", "TRUNCATE events CASCADE"],
    )
    def test_the_database_refuses_to_change_or_remove_events(
        self, ledger_db: str, statement: str
    ) -> None:
        with _raw(ledger_db) as conn, pytest.raises(psycopg.Error, match="append-only"):
            conn.execute(statement)
        store = PostgresStore(ledger_db, readonly=True)
        try:
            assert (store.head(), store.verify().ok) == (2, True)
        finally:
            store.close()

    @pytest.mark.parametrize("readonly", [True, False], ids=["readonly", "readwrite"])
    def test_a_reader_opens_and_reads_while_another_connection_writes(
        self, ledger_db: str, blocker: Any, readonly: bool
    ) -> None:
        def open_and_read() -> tuple[int, list[str]]:
            store = PostgresStore(ledger_db, readonly=readonly)
            try:
                return store.head(), [r.event.employee_id for r in store.read()]
            finally:
                store.close()

        assert _within(5.0, open_and_read) == (2, ["E1", "E2"])

    def test_a_blocked_writer_waits_calls_on_wait_once_and_proceeds(self, ledger_db: str) -> None:
        released = threading.Event()
        waits: list[bool] = []
        store = PostgresStore(
            ledger_db,
            clock=ManualClock(),
            write_timeout=10.0,
            on_wait=lambda: waits.append(released.is_set()),
        )
        conn = _raw(ledger_db)
        try:
            store.append([late("E3")])
            assert waits == [], "on_wait was called without another writer"
            conn.execute("BEGIN")
            conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK_CLASS, store._lock_key))

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
            conn.close()
            store.close()

    def test_a_writer_gives_up_after_write_timeout_and_writes_nothing(
        self, ledger_db: str, blocker: Any
    ) -> None:
        waits: list[int] = []
        store = PostgresStore(
            ledger_db, clock=ManualClock(), write_timeout=0.3, on_wait=lambda: waits.append(1)
        )
        try:
            started = time.monotonic()
            with pytest.raises(StorageError, match="another writer"):
                _within(5.0, lambda: store.append([late("E3")]))
            waited = time.monotonic() - started
            assert 0.25 <= waited < 3.0, f"gave up after {waited:.2f} s, not about 0.3 s"
            assert waits == [1]
            blocker.execute("ROLLBACK")
            store.append([late("E3")])  # the connection is usable again
            assert (store.head(), store.employees()) == (3, ["E1", "E2", "E3"])
        finally:
            store.close()

    def test_concurrent_first_opens_of_a_new_database_create_one_schema(
        self, pg_url: str, tmp_path: Path
    ) -> None:
        context = multiprocessing.get_context("spawn")
        start = context.Barrier(FIRST_OPENERS)
        errors = [tmp_path / f"opener-{n}.err" for n in range(FIRST_OPENERS)]
        openers = [
            context.Process(target=first_open, args=(pg_url, start, str(errors[n])))
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
        with _raw(pg_url) as conn:
            versions = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'")
            assert versions.fetchall() == [(str(SCHEMA_VERSION),)]
        store = PostgresStore(pg_url, clock=ManualClock())
        try:
            store.append([late("E1")])
            assert (store.head(), store.verify().ok) == (1, True)
        finally:
            store.close()

    def test_a_lost_connection_is_a_storage_error_and_the_next_call_reconnects(
        self, ledger_db: str
    ) -> None:
        store = PostgresStore(ledger_db, clock=ManualClock())
        try:
            pid = store.conn.info.backend_pid
            with _raw(ledger_db) as conn:
                conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
            with pytest.raises(StorageError):
                store.head()
            assert store.head() == 2
            store.append([late("E3")])
            assert store.verify().ok
        finally:
            store.close()

    def test_ledgers_in_two_schemas_of_one_database_are_independent(self, pg_url: str) -> None:
        with _raw(pg_url) as conn:
            conn.execute("CREATE SCHEMA a")
            conn.execute("CREATE SCHEMA b")
        first = PostgresStore(f"{pg_url}?options=-csearch_path%3Da", clock=ManualClock())
        second = PostgresStore(f"{pg_url}?options=-csearch_path%3Db", clock=ManualClock())
        try:
            first.append([late("E1"), late("E2")])
            second.append([early("E9")])
            assert (first.head(), second.head()) == (2, 1)
            assert first._lock_key != second._lock_key
        finally:
            first.close()
            second.close()


class TestBackendByLocation:
    """``open_store`` and ``Ledger.open`` pick the backend from the location."""

    def test_paths_and_sqlite_urls_are_sqlite(self, tmp_path: Path) -> None:
        assert sqlite_path("ledger.db") == "ledger.db"
        assert sqlite_path(":memory:") == ":memory:"
        assert sqlite_path("sqlite:///ledger.db") == "ledger.db"
        assert sqlite_path("sqlite:////srv/ledger.db") == "/srv/ledger.db"
        store = open_store(f"sqlite:///{tmp_path}/x.db")
        try:
            assert isinstance(store, SQLiteStore)
            assert shared_location(store) == str((tmp_path / "x.db").resolve())
        finally:
            store.close()

    @pytest.mark.parametrize("location", ["mysql://host/db", "sqlite://x.db"])
    def test_an_unknown_or_malformed_url_is_a_usage_error(self, location: str) -> None:
        with pytest.raises(UsageError):
            open_store(location)

    def test_postgres_urls_are_postgres(self, ledger_db: str) -> None:
        assert is_postgres_url(ledger_db)
        assert is_postgres_url("postgres://u@h/db")
        assert not is_postgres_url("/tmp/postgresql.db")
        with Ledger.open(ledger_db, readonly=True) as ledger:
            assert isinstance(ledger.store, PostgresStore)
            assert shared_location(ledger.store) == ledger_db
            assert ledger.store.head() == 2

    def test_a_password_never_shows_in_messages(self) -> None:
        url = "postgresql://alice:s3cret@127.0.0.1:1/db"
        assert display_location(url) == "postgresql://alice:***@127.0.0.1:1/db"
        with pytest.raises(StorageError) as caught:
            PostgresStore(url, readonly=True)
        assert "s3cret" not in str(caught.value)


class TestSameFactsSameConsequences:
    """The same facts give identical consequences and sanction ids on both backends."""

    def test_the_example_quarter_derives_the_same_on_sqlite_and_postgresql(
        self, pg_url: str, tmp_path: Path
    ) -> None:
        from datetime import datetime

        from ledger.timeutil import COMPANY_TZ

        moment = datetime(2026, 10, 2, 9, 0, tzinfo=COMPANY_TZ)
        outcomes = []
        for location in (str(tmp_path / "ledger.db"), pg_url):
            with Ledger.open(location, clock=lambda: moment) as ledger:
                ledger.import_file(EXAMPLES / "quarter.jsonl")
                ledger.tick(datetime(2026, 10, 1, tzinfo=COMPANY_TZ))
                outcomes.append(
                    (
                        [
                            (s.sanction_id, s.employee_id, s.issued.kind, s.issued.amount)
                            for s in ledger.sanctions()
                        ],
                        [
                            (r.event.type, r.event.employee_id, r.event.data)
                            for r in ledger.store.read()
                            if r.event.recorded_by == "ledger"
                            and r.event.type not in ("rulebook.adopted", "ledger.ticked")
                        ],
                        ledger.store.verify().ok,
                    )
                )
        assert outcomes[0][0], "the example quarter derives consequences"
        assert outcomes[0] == outcomes[1]


class TestAuditOnPostgres:
    """The demo runs on PostgreSQL, and the audit pool's workers open the same URL."""

    def test_replay_and_verify_on_two_processes_equal_one(self, pg_url: str) -> None:
        import io

        from rich.console import Console

        from ledger.audit import replay, verify
        from ledger.demo import run_demo
        from ledger.policies.rulebook import Rulebook
        from ledger.timeutil import Period

        run_demo(pg_url, employees=12, console=Console(file=io.StringIO()))
        proposal = Rulebook.default_document().replace('warning = "50.00"', 'warning = "80.00"')
        with Ledger.open(pg_url, adopt_default=False, readonly=True) as ledger:
            one = replay(ledger, Period.parse("2026Q3"), proposal, workers=1).to_json()
            two = replay(ledger, Period.parse("2026Q3"), proposal, workers=2).to_json()
            assert one == two
            assert one["totals"]["changed"] > 0
            report = verify(ledger, workers=2)
            assert report.ok


def test_without_psycopg_a_postgres_url_asks_for_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.setitem(sys.modules, "ledger.store.postgres", None)
    with pytest.raises(UsageError, match=r"pip install 'conduct-ledger\[postgres\]'"):
        open_store("postgresql:///anything")
