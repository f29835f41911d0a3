"""An in-memory backend: the reference for the contract, and fast for tests and replays.

Shareable by threads: one re-entrant lock serialises every operation, and a transaction
holds it from start to end, so other threads see only committed state (they wait for the
transaction instead of reading through it). Reads materialise their rows under the lock and
yield them afterwards. A rollback replays an undo journal: events, streams, projection rows
and checkpoints all return to what they were when the transaction began.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from ledger.store.base import EventStore, ReadFilter, Row
from ledger.store.fairlock import FairLock

__all__ = ["MemoryStore"]


class MemoryStore(EventStore):
    """Keeps rows in lists; transactions undo what they wrote when they fail."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._log: list[Row] = []
        self._by_id: dict[UUID, int] = {}
        self._streams: dict[str, list[int]] = {}
        self._projections: dict[str, dict[str, tuple[str, str]]] = {}
        self._checkpoints: dict[str, int] = {}
        self._lock = FairLock()
        self._undo: list[Callable[[], None]] | None = None
        self._depth = 0

    @contextmanager
    def _tx(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._depth = 1
            self._undo = []
            log_length = len(self._log)
            lengths = {k: len(v) for k, v in self._streams.items()}
            try:
                yield
            except BaseException:
                for row in self._log[log_length:]:
                    del self._by_id[row.event_id]
                del self._log[log_length:]
                for key in list(self._streams):
                    if key not in lengths:
                        del self._streams[key]
                    else:
                        del self._streams[key][lengths[key] :]
                for undo in reversed(self._undo):
                    undo()
                raise
            finally:
                self._depth = 0
                self._undo = None

    def transaction(self) -> AbstractContextManager[None]:
        return self._tx()

    def in_transaction(self) -> bool:
        # A transaction holds the (re-entrant) lock throughout: its own thread gets it
        # again at once, any other thread does not.
        if not self._lock.acquire(blocking=False):
            return False
        try:
            return self._depth > 0
        finally:
            self._lock.release()

    def on_rollback(self, action: Callable[[], None]) -> None:
        if self.in_transaction():
            self._journal(action)

    def _existing(self, event_ids: Sequence[UUID]) -> dict[UUID, Row]:
        with self._lock:
            return {i: self._log[self._by_id[i]] for i in event_ids if i in self._by_id}

    def _stream_versions(self, employee_ids: Iterable[str]) -> dict[str, int]:
        with self._lock:
            return {e: len(self._streams[e]) for e in employee_ids if e in self._streams}

    def _head_row(self) -> Row | None:
        with self._lock:
            return self._log[-1] if self._log else None

    def _insert(self, rows: Sequence[Row]) -> None:
        with self._lock:
            for row in rows:
                self._by_id[row.event_id] = len(self._log)
                self._streams.setdefault(row.employee_id, []).append(len(self._log))
                self._log.append(row)

    def _rows(self, flt: ReadFilter) -> Iterator[Row]:
        with self._lock:
            if flt.employee_id is not None:
                indexes: Sequence[int] = self._streams.get(flt.employee_id, [])
            else:
                indexes = range(len(self._log))
            chosen: list[Row] = []
            start = max(flt.from_position, 1)
            for index in reversed(indexes) if flt.reverse else indexes:
                if flt.limit is not None and len(chosen) >= flt.limit:
                    break
                row = self._log[index]
                if row.position < start or (
                    flt.to_position is not None and row.position > flt.to_position
                ):
                    continue
                if _matches(row, flt):
                    chosen.append(row)
        yield from chosen

    def employees(self) -> list[str]:
        with self._lock:
            return sorted(self._streams)

    def close(self) -> None:
        """Nothing to release."""

    def _journal(self, undo: Callable[[], None]) -> None:
        if self._undo is not None:
            self._undo.append(undo)

    def projection_checkpoint(self, name: str) -> int:
        with self._lock:
            return self._checkpoints.get(name, 0)

    def projection_rows(
        self, name: str, employee_id: str | None = None
    ) -> Iterator[tuple[str, str, str]]:
        with self._lock:
            table = self._projections.get(name, {})
            chosen = [
                (key, owner, value)
                for key, (owner, value) in sorted(table.items())
                if employee_id is None or owner == employee_id
            ]
        yield from chosen

    def projection_replace(
        self,
        name: str,
        employees: Iterable[str],
        rows: Iterable[tuple[str, str, str]],
        checkpoint: int,
    ) -> None:
        with self.transaction():
            self._save_projection(name)
            table = self._projections.setdefault(name, {})
            gone = set(employees)
            for key in [k for k, (owner, _) in table.items() if owner in gone]:
                del table[key]
            for key, owner, value in rows:
                table[key] = (owner, value)
            self._checkpoints[name] = checkpoint

    def projection_retain(self, name: str, owners: Collection[str]) -> None:
        with self.transaction():
            table = self._projections.get(name)
            if table is None:
                return
            self._save_projection(name)
            for key in [k for k, (owner, _) in table.items() if owner not in owners]:
                del table[key]

    def projection_drop(self, name: str) -> None:
        with self.transaction():
            self._save_projection(name)
            self._projections.pop(name, None)
            self._checkpoints.pop(name, None)

    def _save_projection(self, name: str) -> None:
        """Journal how projection ``name`` stands now, to restore it on rollback."""
        table = self._projections.get(name)
        saved = None if table is None else dict(table)
        checkpoint = self._checkpoints.get(name)

        def restore() -> None:
            if saved is None:
                self._projections.pop(name, None)
            else:
                self._projections[name] = saved
            if checkpoint is None:
                self._checkpoints.pop(name, None)
            else:
                self._checkpoints[name] = checkpoint

        self._journal(restore)


def _matches(row: Row, flt: ReadFilter) -> bool:
    if flt.types is not None and row.type not in flt.types:
        return False
    if flt.after_version is not None and row.version <= flt.after_version:
        return False
    if flt.to_version is not None and row.version > flt.to_version:
        return False
    if flt.occurred_from or flt.occurred_to:
        occurred = datetime.fromisoformat(row.occurred_at)
        if flt.occurred_from and occurred < flt.occurred_from:
            return False
        if flt.occurred_to and occurred > flt.occurred_to:
            return False
    if flt.recorded_from or flt.recorded_to:
        recorded = datetime.fromisoformat(row.recorded_at)
        if flt.recorded_from and recorded < flt.recorded_from:
            return False
        if flt.recorded_to and recorded > flt.recorded_to:
            return False
    return True
