"""The SQLite backend: one file, one writer at a time (``BEGIN IMMEDIATE``), WAL readers.

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

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import sqlite_utils

from ledger.errors import StorageError
from ledger.store.base import EventStore, ReadFilter, Row

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

SCHEMA_VERSION = 3
_PAGE = 2000
_COLUMNS = (
    "e.position, e.event_id, s.employee_id, e.version, e.type, e.schema_version, e.occurred_at, "
    "e.recorded_at, e.recorded_by, e.source, e.evidence, e.correlation_id, e.causation_id, "
    "e.data, e.hash"
)
_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END",
    "CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END",
)


def _row(values: Sequence[Any]) -> Row:
    return Row(values[0], UUID(bytes=bytes(values[1])), *values[2:])


class SQLiteStore(EventStore):
    """Event store in one SQLite file (or ``:memory:``).

    Args:
        path: the database file; created with its schema when missing.
        synchronous: SQLite ``synchronous`` pragma: ``FULL`` (default, durable on power
            loss) or ``NORMAL`` (faster in WAL mode; the last commits may be lost on power
            loss, never corrupted).
        busy_timeout: seconds a writer waits for another process's transaction.
        clock, future_tolerance: see :class:`EventStore`.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: str = "FULL",
        busy_timeout: float = 60.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.path = str(path)
        if synchronous.upper() not in {"FULL", "NORMAL", "OFF", "EXTRA"}:
            raise StorageError(f"unknown synchronous mode {synchronous!r}")
        try:
            conn = sqlite3.connect(
                self.path, isolation_level=None, timeout=busy_timeout, check_same_thread=False
            )
            self.db = sqlite_utils.Database(conn)
            if self.path != ":memory:":
                self.db.enable_wal()
            conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
            conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{self.path}: cannot open as a ledger database: {exc}") from exc
        self.conn = conn
        self._depth = 0

    # -- schema ------------------------------------------------------------------------------

    def _migrate(self) -> None:
        db = self.db
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            if "meta" not in db.table_names():
                db.table("meta").create({"key": str, "value": str}, pk="key")
            row = db.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            found = int(row[0]) if row else 0
            if found > SCHEMA_VERSION:
                raise StorageError(
                    f"{self.path}: schema version {found} is newer than this ledger "
                    f"({SCHEMA_VERSION}); upgrade conduct-ledger"
                )
            if found == 0:
                if "events" in db.table_names():
                    raise StorageError(f"{self.path}: has an events table but no schema version")
                self._create_v1()
            if found < 2:
                self._create_v2()
            if found < 3:
                self._create_v3()
            db.table("meta").upsert(
                {"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key"
            )
            db.conn.execute("COMMIT")
        except BaseException:
            db.conn.execute("ROLLBACK")
            raise

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

    # -- transactions ------------------------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: cannot start a write transaction: {exc}") from exc
        self._depth = 1
        try:
            yield
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise StorageError(f"{self.path}: write failed, nothing written: {exc}") from exc
        except BaseException:
            self._rollback()
            raise
        finally:
            self._depth = 0

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def transaction(self) -> AbstractContextManager[None]:
        return self._tx()

    # -- recorder ----------------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self.conn.execute(sql, params).fetchall()
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
        conn = self.conn
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

    def _rows(self, flt: ReadFilter) -> Iterator[Row]:
        where = ["e.position > ?"]
        params: list[Any] = []
        if flt.employee_id is not None:
            ids = self._query_stream_ids([flt.employee_id])
            if not ids:
                return
            where.append("e.stream_id = ?")
            params.append(ids[0][1])
        if flt.types is not None:
            where.append(f"e.type IN ({','.join('?' * len(flt.types))})")
            params.extend(sorted(flt.types))
        if flt.to_position is not None:
            where.append("e.position <= ?")
            params.append(flt.to_position)
        if flt.to_version is not None:
            where.append("e.version <= ?")
            params.append(flt.to_version)
        # recorded_at is monotonic with position: turn its bounds into position bounds.
        first = max(flt.from_position, 1)
        if flt.recorded_from is not None:
            first = max(first, self._first_position_after(_text_time(flt.recorded_from), False))
        if flt.recorded_to is not None:
            last = self._first_position_after(_text_time(flt.recorded_to), True) - 1
            where.append("e.position <= ?")
            params.append(last)
        for column, op, bound in (
            ("occurred_at", ">=", flt.occurred_from),
            ("occurred_at", "<=", flt.occurred_to),
        ):
            if bound is not None:
                where.append(f"e.{column} {op} ?")
                params.append(_text_time(bound))
        sql = (
            f"SELECT {_COLUMNS} FROM events e JOIN streams s ON s.id = e.stream_id "
            f"WHERE {' AND '.join(where)} ORDER BY e.position LIMIT {_PAGE}"
        )
        after = first - 1
        while True:
            page = self._query(sql, [after, *params])
            for values in page:
                yield _row(values)
            if len(page) < _PAGE:
                return
            after = page[-1][0]

    def _first_position_after(self, moment: str, inclusive: bool) -> int:
        """The first position whose recorded_at is >= ``moment`` (> when ``inclusive``)."""
        low, high = 1, self.head() + 1
        while low < high:
            middle = (low + high) // 2
            rows = self._query("SELECT recorded_at FROM events WHERE position = ?", [middle])
            value = rows[0][0] if rows else moment
            if value > moment or (value == moment and not inclusive):
                high = middle
            else:
                low = middle + 1
        return low

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

    def close(self) -> None:
        self.conn.close()

    def projection_checkpoint(self, name: str) -> int:
        rows = self._query("SELECT position FROM projection_checkpoints WHERE name = ?", [name])
        return int(rows[0][0]) if rows else 0

    def projection_rows(
        self, name: str, employee_id: str | None = None
    ) -> Iterator[tuple[str, str, str]]:
        if employee_id is None:
            rows = self._query(
                "SELECT key, employee_id, value FROM projection_rows WHERE name = ? ORDER BY key",
                [name],
            )
        else:
            rows = self._query(
                "SELECT key, employee_id, value FROM projection_rows "
                "WHERE name = ? AND employee_id = ? ORDER BY key",
                [name, employee_id],
            )
        yield from rows

    def projection_replace(
        self,
        name: str,
        employees: Iterable[str],
        rows: Iterable[tuple[str, str, str]],
        checkpoint: int,
    ) -> None:
        with self.transaction():
            try:
                self.conn.executemany(
                    "DELETE FROM projection_rows WHERE name = ? AND employee_id = ?",
                    [(name, e) for e in employees],
                )
                self.conn.executemany(
                    "INSERT OR REPLACE INTO projection_rows (name, key, employee_id, value) "
                    "VALUES (?, ?, ?, ?)",
                    [(name, key, owner, value) for key, owner, value in rows],
                )
                self.conn.execute(
                    "INSERT OR REPLACE INTO projection_checkpoints (name, position) VALUES (?, ?)",
                    (name, checkpoint),
                )
            except sqlite3.Error as exc:
                raise StorageError(f"{self.path}: projection {name} not saved: {exc}") from exc

    def projection_drop(self, name: str) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM projection_rows WHERE name = ?", (name,))
            self.conn.execute("DELETE FROM projection_checkpoints WHERE name = ?", (name,))


def _text_time(moment: Any) -> str:
    from ledger.store.base import _iso

    return _iso(moment)
