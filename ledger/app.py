"""The :class:`Ledger` facade: one object that records facts, derives and answers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ledger.errors import ConflictError, ImportRejected, UsageError, ValidationFailed
from ledger.events import EVENT_TYPES, Event
from ledger.importer import Format, open_text, read_events
from ledger.store import AppendReport, ChainReport, EventStore, MemoryStore, SQLiteStore
from ledger.timeutil import COMPANY_TZ

__all__ = ["ImportReport", "Ledger", "RecordReport"]

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class RecordReport:
    """What recording a batch did."""

    appended: int
    already_present: int


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What importing a file did (a rejected import raises instead and writes nothing)."""

    appended: int
    already_present: int
    lines: int


class Ledger:
    """The conduct ledger over one event store.

    Args:
        store: where facts live.
        clock: the ledger's notion of now (injectable for tests and replays).

    Example:
        >>> with Ledger.open(":memory:") as ledger:
        ...     ledger.store.head()
        0
    """

    def __init__(self, store: EventStore, *, clock: Clock | None = None) -> None:
        self.store = store
        self.clock: Clock = clock or (lambda: datetime.now(COMPANY_TZ))
        store.clock = self.now

    @classmethod
    def open(
        cls, path: str | Path = ":memory:", *, clock: Clock | None = None, **options: Any
    ) -> Ledger:
        """Open (creating if needed) a ledger in a SQLite file, or in memory for ``:memory:``.

        Raises:
            StorageError: the file is not a ledger database or cannot be opened.
        """
        store: EventStore = SQLiteStore(path, **options)
        return cls(store, clock=clock)

    @classmethod
    def in_memory(cls, *, clock: Clock | None = None) -> Ledger:
        """A ledger on the pure-Python in-memory backend (fast; for tests and replays)."""
        return cls(MemoryStore(), clock=clock)

    def now(self) -> datetime:
        """The ledger clock's current time, in company time."""
        moment = self.clock()
        if moment.tzinfo is None:
            raise UsageError("the ledger clock returned a naive datetime")
        return moment.astimezone(COMPANY_TZ)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying store."""
        self.store.close()

    # -- recording ---------------------------------------------------------------------------

    def record(self, events: Event | Iterable[Event]) -> RecordReport:
        """Record observations atomically (one transaction).

        Args:
            events: one event or a batch; ids already stored with the same content are
                reported as already present (safe retries).

        Raises:
            ValidationFailed: an event is of a type only the ledger writes, or in the future.
            ConflictError: an id is stored with other content; nothing is written.
        """
        batch = [events] if isinstance(events, Event) else list(events)
        for event in batch:
            model = EVENT_TYPES[event.type]
            if model.DERIVED or model.LEDGER_WIDE:
                raise ValidationFailed.single(
                    "type", f"{event.type} events are written by the ledger, not recorded"
                )
        with self.store.transaction():
            report = self.store.append(batch)
        return RecordReport(len(report.appended), len(report.already_present))

    def import_stream(
        self,
        stream: IO[str],
        *,
        source: str = "<stream>",
        fmt: Format = "jsonl",
        batch_size: int = 5000,
        progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Import a JSON Lines or CSV stream in one transaction, streaming in batches.

        Raises:
            ImportRejected: a bad line, or an id stored with other content; nothing written.
        """
        appended = present = lines = 0
        with self.store.transaction():
            batch: list[tuple[int, Event]] = []
            for line, event in read_events(stream, source=source, fmt=fmt):
                batch.append((line, event))
                lines = line
                if len(batch) >= batch_size:
                    result = self._append_lines(batch, source)
                    appended += len(result.appended)
                    present += len(result.already_present)
                    batch.clear()
                    if progress is not None:
                        progress(lines)
            if batch:
                result = self._append_lines(batch, source)
                appended += len(result.appended)
                present += len(result.already_present)
        return ImportReport(appended, present, lines)

    def import_file(
        self, path: str | Path, *, fmt: Format | None = None, **options: Any
    ) -> ImportReport:
        """Import a file (``-`` for standard input); the format follows the suffix by default."""
        name = str(path)
        chosen: Format = fmt or ("csv" if name.lower().endswith(".csv") else "jsonl")
        try:
            stream = open_text(name)
        except OSError as exc:
            raise ImportRejected(name, 0, f"cannot read: {exc.strerror or exc}") from exc
        with stream:
            return self.import_stream(stream, source=name, fmt=chosen, **options)

    def _append_lines(self, batch: list[tuple[int, Event]], source: str) -> AppendReport:
        try:
            return self.store.append([event for _, event in batch])
        except ConflictError as exc:
            line = next((n for n, e in batch if str(e.event_id) == exc.event_id), 0)
            raise ImportRejected(source, line, str(exc)) from None
        except ValidationFailed as exc:
            line = next((n for n, e in batch if exc.where.endswith(str(e.event_id))), 0)
            raise ImportRejected(source, line, "; ".join(str(p) for p in exc.problems)) from None

    # -- reading -----------------------------------------------------------------------------

    def history(self, employee_id: str, **bounds: Any) -> Iterator[Event]:
        """The employee's stored events in recording order."""
        for recorded in self.store.read(employee_id=employee_id, **bounds):
            yield recorded.event

    def verify_chain(self) -> ChainReport:
        """Check the hash chain, positions and stream versions of the whole log."""
        return self.store.verify()
