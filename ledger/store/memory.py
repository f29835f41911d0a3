"""An in-memory backend: the reference for the contract, and fast for tests and replays."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from ledger.store.base import EventStore, ReadFilter, Row

__all__ = ["MemoryStore"]


class MemoryStore(EventStore):
    """Keeps rows in lists; transactions snapshot and restore them."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._log: list[Row] = []
        self._by_id: dict[UUID, int] = {}
        self._streams: dict[str, list[int]] = {}
        self._depth = 0
        self._projections: dict[str, dict[str, tuple[str, str]]] = {}
        self._checkpoints: dict[str, int] = {}

    @contextmanager
    def _tx(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        snapshot = (len(self._log), {k: len(v) for k, v in self._streams.items()})
        self._depth = 1
        try:
            yield
        except BaseException:
            count, lengths = snapshot
            for row in self._log[count:]:
                del self._by_id[row.event_id]
            del self._log[count:]
            for key in list(self._streams):
                if key not in lengths:
                    del self._streams[key]
                else:
                    del self._streams[key][lengths[key] :]
            raise
        finally:
            self._depth = 0

    def transaction(self) -> AbstractContextManager[None]:
        return self._tx()

    def _existing(self, event_ids: Sequence[UUID]) -> dict[UUID, Row]:
        return {i: self._log[self._by_id[i]] for i in event_ids if i in self._by_id}

    def _stream_versions(self, employee_ids: Iterable[str]) -> dict[str, int]:
        return {e: len(self._streams[e]) for e in employee_ids if e in self._streams}

    def _head_row(self) -> Row | None:
        return self._log[-1] if self._log else None

    def _insert(self, rows: Sequence[Row]) -> None:
        for row in rows:
            self._by_id[row.event_id] = len(self._log)
            self._streams.setdefault(row.employee_id, []).append(len(self._log))
            self._log.append(row)

    def _rows(self, flt: ReadFilter) -> Iterator[Row]:
        if flt.employee_id is not None:
            indexes: Iterable[int] = self._streams.get(flt.employee_id, [])
        else:
            indexes = range(len(self._log))
        start = max(flt.from_position, 1)
        for index in indexes:
            row = self._log[index]
            if row.position < start:
                continue
            if flt.to_position is not None and row.position > flt.to_position:
                break
            if _matches(row, flt):
                yield row

    def employees(self) -> list[str]:
        return sorted(self._streams)

    def close(self) -> None:
        """Nothing to release."""

    def projection_checkpoint(self, name: str) -> int:
        return self._checkpoints.get(name, 0)

    def projection_rows(
        self, name: str, employee_id: str | None = None
    ) -> Iterator[tuple[str, str, str]]:
        table = self._projections.get(name, {})
        for key in sorted(table):
            owner, value = table[key]
            if employee_id is None or owner == employee_id:
                yield key, owner, value

    def projection_replace(
        self,
        name: str,
        employees: Iterable[str],
        rows: Iterable[tuple[str, str, str]],
        checkpoint: int,
    ) -> None:
        table = self._projections.setdefault(name, {})
        gone = set(employees)
        for key in [k for k, (owner, _) in table.items() if owner in gone]:
            del table[key]
        for key, owner, value in rows:
            table[key] = (owner, value)
        self._checkpoints[name] = checkpoint

    def projection_drop(self, name: str) -> None:
        self._projections.pop(name, None)
        self._checkpoints.pop(name, None)


def _matches(row: Row, flt: ReadFilter) -> bool:
    if flt.types is not None and row.type not in flt.types:
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
