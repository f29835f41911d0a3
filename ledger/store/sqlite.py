"""The SQLite backend: one file, one writer at a time (``BEGIN IMMEDIATE``), WAL readers.

Concurrency (docs/ARCHITECTURE.md, "Backends"): every thread gets its own connection, so a
reader sees the last committed state and never waits for a writer. A write transaction
belongs to the thread that opened it; writers of one process queue on a lock, writers of
other processes on SQLite's write lock, each up to ``write_timeout`` (``on_wait`` is called
once when a writer starts to wait). Opening a database at the current schema writes
nothing; creating or migrating one happens under the write lock, so concurrent first opens
create one schema. ``readonly=True`` opens the file read-only and refuses anything that is
not a ledger database. ``:memory:`` has a single connection, serialised by the same lock.

Schema (version 1), created through sqlite-utils:

- ``streams(id INTEGER PRIMARY KEY, employee_id TEXT UNIQUE, version INTEGER)``: a small
  integer key per employee, so the event indexes hold integers, not repeated text.
- ``events``: ``position INTEGER PRIMARY KEY`` (the rowid: sequential, free), ``event_id``
  as a 16-byte BLOB (unique), ``stream_id`` + ``version`` (unique), ``type``, ``occurred_at``
  and ``recorded_at`` as ISO 8601 text in company time (so text order is time order), the
  envelope columns, ``data`` as canonical JSON and ``hash``.
- Indexes: ``event_id`` (idempotency), ``(stream_id, version)`` (stream reads),
  ``(stream_id, occurred_at)`` ("as of" reads), ``(type)`` (deadline scans). ``recorded_at``
  needs none: it is monotonic with ``position``, so a range on it is a range on position.
- Triggers refuse UPDATE and DELETE on ``events``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import UUID

import orjson
import sqlite_utils

from ledger.errors import StorageError
from ledger.store.base import EventStore, Row
from ledger.store.fairlock import FairLock
from ledger.store.sql import COLUMNS as _COLUMNS
from ledger.store.sql import PAGE as _PAGE
from ledger.store.sql import SQLBackend
from ledger.store.sql import row_of as _row
from ledger.store.sql import text_time as _text_time

__all__ = ["DEFAULT_WRITE_TIMEOUT", "NOT_A_LEDGER", "SCHEMA_VERSION", "SQLiteStore"]

SCHEMA_VERSION = 4
DEFAULT_WRITE_TIMEOUT = 3600.0
"""Seconds a writer waits for other writers by default: long enough for a large import."""
NOT_A_LEDGER = "not a ledger database (run `ledger init`)"
def _read_mode(path: str) -> str:
    """The URI parameters of a read-only connection to ``path``.

    SQLite reads a WAL database through the ``-wal`` and ``-shm`` files beside it, creating
    them if they are missing, which a directory this process may not write forbids (an
    archived ledger on read-only media, an auditor's copy). No writer can change such a
    file either: a writer needs the same two files. So when the directory is not writable
    and no ``-wal`` file holds changes, the file is read as immutable (SQLite takes no locks
    and opens no ``-shm``); otherwise the ordinary read-only mode, which reads through the
    ``-wal`` beside it.
    """
    file = Path(path).resolve()
    wal = file.with_name(file.name + "-wal")
    if not os.access(file.parent, os.W_OK) and (not wal.exists() or wal.stat().st_size == 0):
        return "mode=ro&immutable=1"
    return "mode=ro"


def _cannot_share(exc: sqlite3.Error) -> bool:
    """Whether ``exc`` says SQLite could not create or write the files a reader shares with
    writers (not that the file is something other than a database)."""
    text = str(exc)
    return "readonly database" in text or "unable to open" in text


_READ_BUSY_MS = 10_000  # readers never wait for writers in WAL; this covers WAL recovery
_WAIT_STEP_MS = 200
_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END",
    "CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END",
)


class SQLiteStore(SQLBackend, EventStore):
    """Event store in one SQLite file (or ``:memory:``), shareable by threads and processes.

    Args:
        path: the database file; created with its schema when missing (unless ``create``
            is false or ``readonly``).
        synchronous: SQLite ``synchronous`` pragma: ``FULL`` (default, durable on power
            loss) or ``NORMAL`` (faster in WAL mode; the last commits may be lost on power
            loss, never corrupted).
        readonly: open read-only: nothing is ever created or written, and a missing, empty
            or foreign file is refused.
        create: create the schema in a missing or empty file (default); when false such a
            file is refused as not a ledger database.
        write_timeout: seconds a writer waits for other writers before giving up.
        on_wait: called once each time a writer starts waiting for another writer.
        notify: called with a sentence when the store does something the user should know
            of (a schema migration).
        clock, future_tolerance: see :class:`EventStore`.

    Raises:
        StorageError: the file is not a ledger database, or cannot be opened.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: str = "FULL",
        readonly: bool = False,
        create: bool = True,
        write_timeout: float = DEFAULT_WRITE_TIMEOUT,
        on_wait: Callable[[], None] | None = None,
        notify: Callable[[str], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.path = str(path)
        if synchronous.upper() not in {"FULL", "NORMAL", "OFF", "EXTRA"}:
            raise StorageError(f"unknown synchronous mode {synchronous!r}")
        if write_timeout < 0:
            raise StorageError(f"write_timeout must be 0 or more, not {write_timeout}")
        self.synchronous = synchronous.upper()
        self.readonly = readonly
        self.write_timeout = write_timeout
        self.on_wait = on_wait
        self.notify = notify
        self._memory = self.path == ":memory:"
        self._local = threading.local()
        self._conns: dict[int, tuple[threading.Thread, sqlite3.Connection]] = {}
        self._conns_lock = threading.Lock()
        self._writer = FairLock()  # writers of this process, served in arrival order
        self._closed = False
        self._shared: sqlite3.Connection | None = None
        try:
            self._open(create and not readonly)
        except BaseException:
            self.close()
            raise

    # -- connections -------------------------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (the escape hatch; do not share it across threads)."""
        return self._connection()

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection wrapped by sqlite-utils."""
        return sqlite_utils.Database(self._connection())

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and not self._closed:
            return conn
        if self._closed:
            raise StorageError(f"{self.path}: the store is closed")
        if self._shared is not None:
            conn = self._shared
        else:
            conn = self._connect()
            with self._conns_lock:
                for ident, (thread, other) in list(self._conns.items()):
                    if not thread.is_alive():  # a finished thread's connection
                        other.close()
                        del self._conns[ident]
                self._conns[threading.get_ident()] = (threading.current_thread(), conn)
        self._local.conn = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        try:
            if self.readonly:
                uri = f"file:{quote(str(Path(self.path).resolve()))}?{_read_mode(self.path)}"
                conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            else:
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout={_READ_BUSY_MS}")
            if not self.readonly:
                conn.execute(f"PRAGMA synchronous={self.synchronous}")
                conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            raise self._unopenable(exc) from exc
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: cannot open: {exc}") from exc
        return conn

    def _unopenable(self, exc: sqlite3.DatabaseError) -> StorageError:
        """The error for a file SQLite would not open: not a ledger database, or one this
        process may not write (or, read-only, whose -wal and -shm it may not create)."""
        if not _cannot_share(exc):
            return StorageError(f"{self.path}: {exc}: {NOT_A_LEDGER}")
        if self.readonly:
            return StorageError(
                f"{self.path}: cannot be read: {exc} (a ledger file in WAL mode is read "
                "through the -wal and -shm files beside it, which this process may not create "
                "or write there; copy the file somewhere writable, or ask for write access "
                "to its directory)"
            )
        return StorageError(
            f"{self.path}: cannot be written: {exc} (the file, or its directory, where the "
            "-wal and -shm files live, is read-only to this process); reading commands "
            "still work"
        )

    def _open(self, create: bool) -> None:
        if self._memory:
            if self.readonly:
                raise StorageError(f":memory: is empty: {NOT_A_LEDGER}")
            self._shared = sqlite3.connect(
                ":memory:", isolation_level=None, check_same_thread=False
            )
            with self._tx():
                self._migrate(None)
            return
        file = Path(self.path)
        exists = file.exists()
        if file.is_dir():
            raise StorageError(f"{self.path}: is a directory, {NOT_A_LEDGER}")
        if not create and (not exists or file.stat().st_size == 0):
            state = "does not exist" if not exists else "is empty"
            raise StorageError(f"{self.path}: {state}: {NOT_A_LEDGER}")
        found = self._schema_version()
        if found is not None and found > SCHEMA_VERSION:
            raise StorageError(
                f"{self.path}: schema version {found} is newer than this ledger "
                f"({SCHEMA_VERSION}); upgrade conduct-ledger"
            )
        if found == SCHEMA_VERSION:
            return
        if found is None and not create:
            raise StorageError(f"{self.path}: has no ledger schema: {NOT_A_LEDGER}")
        if self.readonly:
            raise StorageError(
                f"{self.path}: schema version {found} must be migrated to {SCHEMA_VERSION} "
                "first: run `ledger init` (it takes the write lock)"
            )
        self._ensure_wal()
        with self._tx():
            self._migrate(self._schema_version())

    def _schema_version(self) -> int | None:
        """The stored schema version; ``None`` for a file without any table yet.

        Raises:
            StorageError: the file is not a SQLite database, or one of another program.
        """
        try:
            conn = self._connection()
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if "meta" not in tables:
                if tables:
                    raise StorageError(
                        f"{self.path}: has tables of another program "
                        f"({', '.join(sorted(tables)[:5])}): {NOT_A_LEDGER}"
                    )
                return None
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise self._unopenable(exc) from exc
        if row is None or not str(row[0]).isdigit():
            raise StorageError(f"{self.path}: has no ledger schema version: {NOT_A_LEDGER}")
        return int(row[0])

    def _ensure_wal(self) -> None:
        """Switch a new file to WAL (readers beside one writer); waits out other openers."""
        conn = self._connection()
        deadline = time.monotonic() + self.write_timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() >= deadline:
                    raise StorageError(f"{self.path}: cannot switch to WAL: {exc}") from exc
                time.sleep(0.05)

    # -- schema ------------------------------------------------------------------------------

    def _migrate(self, found: int | None) -> None:
        """Create the schema (``found`` is ``None``) or bring it up to date, in the caller's
        write transaction: a concurrent opener that waited for it finds the work done."""
        if found == SCHEMA_VERSION:
            return
        if found is not None and found > SCHEMA_VERSION:
            raise StorageError(
                f"{self.path}: schema version {found} is newer than this ledger "
                f"({SCHEMA_VERSION}); upgrade conduct-ledger"
            )
        db = self.db
        if found is None:
            db.table("meta").create({"key": str, "value": str}, pk="key")
            self._create_v1()
        elif self.notify is not None:
            self.notify(f"{self.path}: migrating the schema from v{found} to v{SCHEMA_VERSION}")
        if found is None or found < 2:
            self._create_v2()
        if found is None or found < 3:
            self._create_v3()
        if found is None or found < 4:
            self._create_v4()
        db.table("meta").upsert({"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key")

    def _create_v1(self) -> None:
        db = self.db
        db.table("streams").create(
            {"id": int, "employee_id": str, "version": int},
            pk="id",
            not_null={"employee_id", "version"},
        )
        db.table("streams").create_index(["employee_id"], unique=True)
        db.table("events").create(
            {
                "position": int,
                "event_id": bytes,
                "stream_id": int,
                "version": int,
                "type": str,
                "schema_version": int,
                "occurred_at": str,
                "recorded_at": str,
                "recorded_by": str,
                "source": str,
                "evidence": str,
                "correlation_id": str,
                "causation_id": str,
                "data": str,
                "hash": str,
            },
            pk="position",
            not_null={
                "event_id",
                "stream_id",
                "version",
                "type",
                "schema_version",
                "occurred_at",
                "recorded_at",
                "recorded_by",
                "evidence",
                "data",
                "hash",
            },
            foreign_keys=[("stream_id", "streams", "id")],
        )
        events = db.table("events")
        events.create_index(["event_id"], unique=True)
        events.create_index(["stream_id", "version"], unique=True)
        events.create_index(["stream_id", "occurred_at"])
        events.create_index(["type"])
        for trigger in _TRIGGERS:
            db.conn.execute(trigger)

    def _create_v2(self) -> None:
        """Version 2: projection tables (read models; may be dropped and rebuilt)."""
        db = self.db
        db.table("projection_rows").create(
            {"name": str, "key": str, "employee_id": str, "value": str},
            pk=("name", "key"),
            not_null={"employee_id", "value"},
        )
        db.table("projection_rows").create_index(["name", "employee_id"])
        db.table("projection_checkpoints").create(
            {"name": str, "position": int}, pk="name", not_null={"position"}
        )

    def _create_v3(self) -> None:
        """Version 3: find a consequence by id without scanning (partial expression index).

        Only ``sanction.issued`` rows enter it, so ordinary appends pay nothing for it.
        """
        self.db.conn.execute(
            "CREATE INDEX IF NOT EXISTS events_sanction_id ON events "
            "(json_extract(data, '$.sanction_id')) WHERE type = 'sanction.issued'"
        )

    def _create_v4(self) -> None:
        """Version 4: one employee's projection rows in key order from one index.

        Without ``key`` in the employee index, SQLite's planner answered ``name = ? AND
        employee_id = ? ORDER BY key`` from the primary key, reading every row of the
        projection for each employee (0.5 ms per derivation state at 1,000 employees).
        """
        conn = self.db.conn
        conn.execute(
            "CREATE INDEX IF NOT EXISTS projection_rows_employee_key "
            "ON projection_rows (name, employee_id, key)"
        )
        conn.execute("DROP INDEX IF EXISTS idx_projection_rows_name_employee_id")

    # -- transactions ------------------------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[None]:
        local = self._local
        depth: int = getattr(local, "depth", 0)
        if depth:
            local.depth = depth + 1
            try:
                yield
            finally:
                local.depth = depth
            return
        if self.readonly:
            raise StorageError(f"{self.path}: opened read-only; nothing can be written")
        started = time.monotonic()
        waited = self._acquire_writer()
        try:
            conn = self._connection()
            self._begin(conn, started, waited)
            local.depth = 1
            committed = False
            try:
                yield
                conn.execute("COMMIT")
                committed = True
            except sqlite3.Error as exc:
                self._rollback(conn)
                raise StorageError(f"{self.path}: write failed, nothing written: {exc}") from exc
            except BaseException:
                self._rollback(conn)
                raise
            finally:
                local.depth = 0
                self._ended(committed)
        finally:
            self._writer.release()

    def _acquire_writer(self) -> bool:
        """Take this process's writer lock (queueing behind its other threads); ``True`` when
        it had to wait (``on_wait`` was then called)."""
        if self._writer.acquire(blocking=False):
            return False
        self._waiting()
        if not self._writer.acquire(timeout=self.write_timeout):
            raise StorageError(
                f"{self.path}: another writer (a thread of this process) kept the database "
                f"for more than {self.write_timeout:g} s; nothing written"
            )
        return True

    def _begin(self, conn: sqlite3.Connection, started: float, waited: bool) -> None:
        """``BEGIN IMMEDIATE``, waiting for writers of other processes up to the limit."""
        deadline = started + self.write_timeout
        try:
            conn.execute("PRAGMA busy_timeout=0")
            while True:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if not _busy(exc):
                        raise
                    if time.monotonic() >= deadline:
                        raise StorageError(
                            f"{self.path}: another writer kept the database for more than "
                            f"{self.write_timeout:g} s; nothing written"
                        ) from None
                    if not waited:
                        waited = True
                        self._waiting()
                    left = max(1, int((deadline - time.monotonic()) * 1000))
                    conn.execute(f"PRAGMA busy_timeout={min(_WAIT_STEP_MS, left)}")
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: cannot start a write transaction: {exc}") from exc
        finally:
            with suppress(sqlite3.Error):
                conn.execute(f"PRAGMA busy_timeout={_READ_BUSY_MS}")

    def _waiting(self) -> None:
        if self.on_wait is not None:
            self.on_wait()

    def _rollback(self, conn: sqlite3.Connection) -> None:
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the connection is unusable; SQLite rolls back on close

    def transaction(self) -> AbstractContextManager[None]:
        return self._tx()

    # -- recorder ----------------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            if self._shared is None:
                return self._connection().execute(sql, params).fetchall()
            with self._writer:  # one connection: wait for a transaction of another thread
                return self._connection().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: read failed: {exc}") from exc

    def _existing(self, event_ids: Sequence[UUID]) -> dict[UUID, Row]:
        found: dict[UUID, Row] = {}
        ids = list(dict.fromkeys(event_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for values in self._query(
                f"SELECT {_COLUMNS} FROM events e JOIN streams s ON s.id = e.stream_id "
                f"WHERE e.event_id IN ({marks})",
                [i.bytes for i in chunk],
            ):
                row = _row(values)
                found[row.event_id] = row
        return found

    def _stream_versions(self, employee_ids: Iterable[str]) -> dict[str, int]:
        names = list(employee_ids)
        versions: dict[str, int] = {}
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            marks = ",".join("?" * len(chunk))
            versions.update(
                self._query(
                    f"SELECT employee_id, version FROM streams WHERE employee_id IN ({marks})",
                    chunk,
                )
            )
        return versions

    def _head_row(self) -> Row | None:
        rows = self._query(
            f"SELECT {_COLUMNS} FROM events e JOIN streams s ON s.id = e.stream_id "
            "ORDER BY e.position DESC LIMIT 1"
        )
        return _row(rows[0]) if rows else None

    def _insert(self, rows: Sequence[Row]) -> None:
        conn = self._connection()
        try:
            names = sorted({r.employee_id for r in rows})
            ids = dict(self._query_stream_ids(names))
            for name in names:
                if name not in ids:
                    cursor = conn.execute(
                        "INSERT INTO streams (employee_id, version) VALUES (?, 0)", (name,)
                    )
                    ids[name] = int(cursor.lastrowid or 0)
            conn.executemany(
                "INSERT INTO events (position, event_id, stream_id, version, type, "
                "schema_version, occurred_at, recorded_at, recorded_by, source, evidence, "
                "correlation_id, causation_id, data, hash) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(r.position, r.event_id.bytes, ids[r.employee_id], *r[3:]) for r in rows],
            )
            heads: dict[str, int] = {}
            for r in rows:
                heads[r.employee_id] = r.version
            conn.executemany(
                "UPDATE streams SET version = ? WHERE id = ?",
                [(version, ids[name]) for name, version in heads.items()],
            )
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: append failed, nothing written: {exc}") from exc

    def _query_stream_ids(self, names: Sequence[str]) -> list[tuple[str, int]]:
        result: list[tuple[str, int]] = []
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            marks = ",".join("?" * len(chunk))
            result.extend(
                self._query(
                    f"SELECT employee_id, id FROM streams WHERE employee_id IN ({marks})", chunk
                )
            )
        return result

    def _sanction_rows(self, prefix: str) -> Iterator[Row]:
        # A prefix is a range on the partial expression index of sanction ids.
        rows = self._query(
            f"SELECT {_COLUMNS} FROM events e INDEXED BY events_sanction_id "
            "JOIN streams s ON s.id = e.stream_id "
            "WHERE e.type = 'sanction.issued' "
            "AND json_extract(e.data, '$.sanction_id') >= ? "
            "AND json_extract(e.data, '$.sanction_id') < ?",
            [prefix, prefix + "~"],
        )
        for values in rows:
            yield _row(values)

    def employees(self) -> list[str]:
        return [r[0] for r in self._query("SELECT employee_id FROM streams ORDER BY employee_id")]

    def streams_between(self, occurred_from: datetime, occurred_to: datetime) -> set[str]:
        # One seek per stream in the (stream_id, occurred_at) index; no event is read.
        rows = self._query(
            "SELECT s.employee_id FROM streams s WHERE EXISTS (SELECT 1 FROM events e "
            "WHERE e.stream_id = s.id AND e.occurred_at >= ? AND e.occurred_at <= ?)",
            [_text_time(occurred_from), _text_time(occurred_to)],
        )
        return {r[0] for r in rows}

    def chain_records(
        self, employees: Container[str] | None = None
    ) -> Iterator[tuple[int, str, str, dict[str, Any] | None]]:
        # record_of_row built from the columns: no Row, no UUID object per event.
        sql = (
            f"SELECT {_COLUMNS} FROM events e JOIN streams s ON s.id = e.stream_id "
            "WHERE e.position > ? ORDER BY e.position LIMIT ?"
        )
        after = 0
        while True:
            page = self._query(sql, [after, _PAGE])
            for values in page:
                position, employee_id, digest = values[0], values[2], values[14]
                if employees is not None and employee_id not in employees:
                    yield position, employee_id, digest, None
                    continue
                text = bytes(values[1]).hex()
                record: dict[str, Any] = {
                    "data": orjson.loads(values[13]),
                    "employee_id": employee_id,
                    "event_id": (
                        f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
                    ),
                    "evidence": orjson.loads(values[10]),
                    "occurred_at": values[6],
                    "position": position,
                    "recorded_at": values[7],
                    "recorded_by": values[8],
                    "schema_version": values[5],
                    "type": values[4],
                    "version": values[3],
                }
                for name, value in (
                    ("source", values[9]),
                    ("correlation_id", values[11]),
                    ("causation_id", values[12]),
                ):
                    if value is not None:
                        record[name] = value
                yield position, employee_id, digest, record
            if len(page) < _PAGE:
                return
            after = page[-1][0]

    def close(self) -> None:
        """Close every thread's connection; the store cannot be used afterwards."""
        self._closed = True
        with self._conns_lock:
            conns = [conn for _, conn in self._conns.values()]
            self._conns.clear()
        if self._shared is not None:
            conns.append(self._shared)
        for conn in conns:
            with suppress(sqlite3.Error):
                conn.close()

    def projection_checkpoint(self, name: str) -> int:
        rows = self._query("SELECT position FROM projection_checkpoints WHERE name = ?", [name])
        return int(rows[0][0]) if rows else 0

    def projection_replace(
        self,
        name: str,
        employees: Iterable[str],
        rows: Iterable[tuple[str, str, str]],
        checkpoint: int,
    ) -> None:
        with self.transaction():
            try:
                _replace_projection(self._connection(), name, employees, rows, checkpoint)
            except sqlite3.Error as exc:
                raise StorageError(f"{self.path}: projection {name} not saved: {exc}") from exc

    def offer_projection(
        self,
        name: str,
        employees: Iterable[str],
        rows: Iterable[tuple[str, str, str]],
        checkpoint: int,
        since: int,
    ) -> bool:
        """On a read-only store: save through a short-lived writable connection, only if the
        write lock is free this instant (a reader never waits) and the file may be written."""
        if not self.readonly:
            return super().offer_projection(name, employees, rows, checkpoint, since)
        uri = f"file:{quote(str(Path(self.path).resolve()))}?mode=rw"
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=0)
        except sqlite3.Error:
            return False  # a read-only file or directory: keep the rows in memory
        try:
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            conn.execute("BEGIN IMMEDIATE")
            found = conn.execute(
                "SELECT position FROM projection_checkpoints WHERE name = ?", (name,)
            ).fetchone()
            if (int(found[0]) if found else 0) != since:
                conn.execute("ROLLBACK")
                return False
            _replace_projection(conn, name, employees, rows, checkpoint)
            conn.execute("COMMIT")
            return True
        except sqlite3.Error:
            self._rollback(conn)
            return False
        finally:
            conn.close()

    def projection_retain(self, name: str, owners: Collection[str]) -> None:
        with self.transaction():
            try:
                self._connection().execute(
                    "DELETE FROM projection_rows WHERE name = ? "
                    "AND employee_id NOT IN (SELECT value FROM json_each(?))",
                    (name, orjson.dumps(sorted(owners)).decode()),
                )
            except sqlite3.Error as exc:
                raise StorageError(f"{self.path}: projection {name} not pruned: {exc}") from exc

    def projection_drop(self, name: str) -> None:
        with self.transaction():
            conn = self._connection()
            try:
                conn.execute("DELETE FROM projection_rows WHERE name = ?", (name,))
                conn.execute("DELETE FROM projection_checkpoints WHERE name = ?", (name,))
            except sqlite3.Error as exc:
                raise StorageError(f"{self.path}: projection {name} not dropped: {exc}") from exc


def _replace_projection(
    conn: sqlite3.Connection,
    name: str,
    employees: Iterable[str],
    rows: Iterable[tuple[str, str, str]],
    checkpoint: int,
) -> None:
    conn.executemany(
        "DELETE FROM projection_rows WHERE name = ? AND employee_id = ?",
        [(name, e) for e in employees],
    )
    conn.executemany(
        "INSERT OR REPLACE INTO projection_rows (name, key, employee_id, value) "
        "VALUES (?, ?, ?, ?)",
        [(name, key, owner, value) for key, owner, value in rows],
    )
    conn.execute(
        "INSERT OR REPLACE INTO projection_checkpoints (name, position) VALUES (?, ?)",
        (name, checkpoint),
    )


def _busy(exc: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused because another connection holds a lock."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)
