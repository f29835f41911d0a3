"""The references the ledger is measured against: raw ``sqlite3`` and ``eventsourcing``.

Each reads the same JSON Lines file, decodes every line with ``orjson`` (no validation) and
appends it in batches of ``batch`` events, one transaction per batch, in WAL mode with
``synchronous=FULL`` (the ledger's default durability).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson

__all__ = [
    "EventsourcingFeed",
    "RawLog",
    "eventsourcing_aggregates",
    "eventsourcing_recorder",
    "raw_sqlite",
    "read_batches",
]


def read_batches(data: Path, batch: int) -> Iterator[list[dict[str, Any]]]:
    """The file's lines decoded by orjson (no validation), ``batch`` at a time."""
    chunk: list[dict[str, Any]] = []
    with data.open("rb") as stream:
        for line in stream:
            chunk.append(orjson.loads(line))
            if len(chunk) >= batch:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


_FLOOR = """
CREATE TABLE events (
  position INTEGER PRIMARY KEY, event_id BLOB NOT NULL UNIQUE, employee_id TEXT NOT NULL,
  type TEXT NOT NULL, occurred_at TEXT NOT NULL, recorded_by TEXT NOT NULL,
  data TEXT NOT NULL, hash BLOB NOT NULL)
"""
_INDEXED = """
CREATE TABLE streams (id INTEGER PRIMARY KEY, employee_id TEXT NOT NULL UNIQUE,
  version INTEGER NOT NULL);
CREATE TABLE events (
  position INTEGER PRIMARY KEY, event_id BLOB NOT NULL UNIQUE,
  stream_id INTEGER NOT NULL REFERENCES streams(id), version INTEGER NOT NULL,
  type TEXT NOT NULL, occurred_at TEXT NOT NULL, recorded_by TEXT NOT NULL,
  data TEXT NOT NULL, hash BLOB NOT NULL);
CREATE UNIQUE INDEX events_stream_version ON events (stream_id, version);
CREATE INDEX events_stream_occurred ON events (stream_id, occurred_at);
CREATE INDEX events_type ON events (type);
"""


def raw_sqlite(
    data: Path, db: Path, *, batch: int, indexed: bool, synchronous: str = "FULL"
) -> dict[str, Any]:
    """Append every line with a sha256 chain; ``indexed`` adds the ledger's three indexes.

    The floor has only what any event log needs: position as the rowid, a unique index on the
    (client-supplied, random) event id, and ``hash = sha256(prev || canonical JSON)``.
    """
    log = RawLog(db, indexed=indexed, synchronous=synchronous)
    try:
        for chunk in read_batches(data, batch):
            log.append(chunk)
    finally:
        log.close()
    return {"count": log.position}


class RawLog:
    """The raw ``sqlite3`` log of :func:`raw_sqlite`, appended one transaction per call: the
    floor of a batched import, and of the daily feed (a file per call)."""

    def __init__(self, db: Path, *, indexed: bool, synchronous: str = "FULL") -> None:
        self.conn = sqlite3.connect(db, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={synchronous}")
        self.conn.executescript(_INDEXED if indexed else _FLOOR)
        self.indexed = indexed
        self.prev = b"\0" * 32
        self.position = 0
        self.streams: dict[str, list[int]] = {}

    def append(self, chunk: list[dict[str, Any]]) -> int:
        """Append decoded lines in one transaction; returns how many employees they touch."""
        conn, streams, indexed = self.conn, self.streams, self.indexed
        rows = []
        touched: set[str] = set()
        new_streams: list[tuple[int, str]] = []
        for record in chunk:
            self.position += 1
            self.prev = hashlib.sha256(
                self.prev + orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
            ).digest()
            key: Any = record["employee_id"]
            version = 0
            touched.add(key)
            if indexed:
                stream = streams.get(key)
                if stream is None:
                    stream = streams[key] = [len(streams) + 1, 0]
                    new_streams.append((stream[0], key))
                stream[1] += 1
                key, version = stream
            row: tuple[Any, ...] = (
                self.position,
                UUID(record["event_id"]).bytes,
                key,
                record["type"],
                record["occurred_at"],
                record["recorded_by"],
                orjson.dumps(record["data"], option=orjson.OPT_SORT_KEYS).decode(),
                self.prev,
            )
            rows.append((*row[:3], version, *row[3:]) if indexed else row)
        if not rows:
            return 0
        conn.execute("BEGIN IMMEDIATE")
        if new_streams:
            conn.executemany("INSERT INTO streams VALUES (?, ?, 0)", new_streams)
        marks = ",".join("?" * len(rows[0]))
        conn.executemany(f"INSERT INTO events VALUES ({marks})", rows)
        if indexed:
            conn.executemany(
                "UPDATE streams SET version = ? WHERE id = ?",
                [(streams[name][1], streams[name][0]) for name in touched],
            )
        conn.execute("COMMIT")
        return len(touched)

    def close(self) -> None:
        self.conn.close()


def _aggregate_class() -> type[Any]:
    from eventsourcing.domain import Aggregate, event

    class Employee(Aggregate):
        """One employee's stream: every observation is a domain event on it."""

        @event("Registered")
        def __init__(self, employee_id: str) -> None:
            self.employee_id = employee_id
            self.observed = 0

        @staticmethod
        def create_id(employee_id: str) -> UUID:
            return uuid5(NAMESPACE_URL, f"/employees/{employee_id}")

        @event("Observed")
        def observe(
            self,
            event_id: UUID,
            event_type: str,
            occurred_at: datetime,
            recorded_by: str,
            data: dict[str, Any],
        ) -> None:
            self.observed += 1

    return Employee


def _application(db: Path) -> Any:
    from eventsourcing.application import Application

    return Application(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(db)})


def eventsourcing_aggregates(data: Path, db: Path, *, batch: int) -> dict[str, Any]:
    """One ``Employee`` aggregate per employee; ``app.save(*touched)`` once per batch.

    Domain objects all the way: each line becomes a typed domain event (UUID and datetime
    attributes) applied to its aggregate, then mapped, transcoded and inserted by the
    library's SQLite application recorder (one transaction per save).
    """
    employee = _aggregate_class()
    app = _application(db)
    aggregates: dict[str, Any] = {}
    count = 0
    for chunk in read_batches(data, batch):
        touched: dict[str, Any] = {}
        for record in chunk:
            name = record["employee_id"]
            aggregate = aggregates.get(name)
            if aggregate is None:
                aggregate = aggregates[name] = employee(name)
            aggregate.observe(
                event_id=UUID(record["event_id"]),
                event_type=record["type"],
                occurred_at=datetime.fromisoformat(record["occurred_at"]),
                recorded_by=record["recorded_by"],
                data=record["data"],
            )
            touched[name] = aggregate
            count += 1
        app.save(*touched.values())
    app.close()
    return {"count": count, "aggregates": len(aggregates)}


def eventsourcing_recorder(data: Path, db: Path, *, batch: int) -> dict[str, Any]:
    """The same library without domain objects: ``StoredEvent`` rows straight to its recorder.

    Each line's bytes are the stored state; versions are counted per employee. This is the
    library's storage cost alone (its ``insert_events``, one transaction per batch).
    """
    from eventsourcing.persistence import StoredEvent

    app = _application(db)
    recorder = app.recorder
    versions: dict[str, int] = {}
    ids: dict[str, UUID] = {}
    count = 0
    with data.open("rb") as stream:
        pending: list[Any] = []
        for line in stream:
            name = orjson.loads(line)["employee_id"]
            version = versions[name] = versions.get(name, 0) + 1
            originator = ids.get(name) or ids.setdefault(name, uuid5(NAMESPACE_URL, name))
            pending.append(StoredEvent(originator, version, "bench:Observed", line))
            count += 1
            if len(pending) >= batch:
                recorder.insert_events(pending)
                pending = []
        if pending:
            recorder.insert_events(pending)
    app.close()
    return {"count": count, "aggregates": len(versions)}


class EventsourcingFeed:
    """The daily feed through ``eventsourcing``: the reference of the ledger's feed rows.

    For each file, the lines are grouped by employee (in order); every employee the file
    touches is got from the repository (its latest snapshot plus the events after it; one
    the store does not know yet is created, as ``eventsourcing_aggregates`` does), the file's
    events are triggered on it, and all touched aggregates are saved with one ``app.save``
    (one transaction, like one ledger import). The application takes a snapshot of an
    aggregate whenever a saved event's version is a multiple of ``snapshot_every``
    (``snapshotting_intervals``); each snapshot is put after the save, in its own
    transaction, from the aggregate reconstructed at that version (the library's way).
    Nothing is kept in memory from one file to the next.
    """

    def __init__(self, db: Path, *, snapshot_every: int) -> None:
        from eventsourcing.application import Application

        self.employee = employee = _aggregate_class()
        self.every = snapshot_every

        class Feed(Application):  # type: ignore[type-arg]
            snapshotting_intervals = {employee: snapshot_every}  # noqa: RUF012

        self.app = Feed(
            env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(db)}
        )

    def import_file(self, path: Path) -> dict[str, Any]:
        """Get, apply and save every employee ``path`` touches; what it cost in events."""
        from eventsourcing.application import AggregateNotFoundError

        by_employee: dict[str, list[dict[str, Any]]] = {}
        with path.open("rb") as stream:
            for line in stream:
                record = orjson.loads(line)
                by_employee.setdefault(record["employee_id"], []).append(record)
        touched: list[Any] = []
        created = replayed = snapshots = count = 0
        for name, records in by_employee.items():
            try:
                aggregate = self.app.repository.get(self.employee.create_id(name))
                before = aggregate.version  # events read: those after the last snapshot
                replayed += before % self.every if before >= self.every else before
            except AggregateNotFoundError:
                aggregate, before = self.employee(name), 0
                created += 1
            for record in records:
                aggregate.observe(
                    event_id=UUID(record["event_id"]),
                    event_type=record["type"],
                    occurred_at=datetime.fromisoformat(record["occurred_at"]),
                    recorded_by=record["recorded_by"],
                    data=record["data"],
                )
                count += 1
            snapshots += aggregate.version // self.every - before // self.every
            touched.append(aggregate)
        self.app.save(*touched)
        return {
            "count": count,
            "touched": len(touched),
            "created": created,
            "replayed": replayed,
            "snapshots": snapshots,
        }

    def close(self) -> None:
        self.app.close()
