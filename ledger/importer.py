"""Reading events from JSON Lines and CSV, with every bad line named (docs/ARCHITECTURE.md,
"Input boundary").

:func:`read_events` yields the good records of a stream and, once the stream is read,
raises :class:`~ledger.errors.ImportRejected` naming every bad one (up to
``ImportRejected.REPORTED`` lines, then a count), each as ``FILE:LINE: field: problem``:
malformed records, an id repeated in the file with other content (naming both lines), an
id stored with other content (naming the stored event's position), an instant in the
future of the ledger's clock.
"""

from __future__ import annotations

import csv
import gc
import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any, Literal, TypeAlias
from uuid import UUID

from ledger.errors import FieldProblem, ImportRejected, ValidationFailed
from ledger.events import UPCASTERS, Event, parse_event
from ledger.store.base import Columns, columns_of
from ledger.textfile import open_text

__all__ = ["MAX_LINE", "Format", "Parsed", "Unknown", "open_text", "read_events"]

Format = Literal["jsonl", "csv"]
MAX_LINE = 1 << 20
"""Characters a JSON Lines line may hold: far above any valid event (whose every field is
bounded), so that a runaway line is refused without being parsed."""
_CHECK_BATCH = 1000
_PARSE_CHUNK = 1000
"""Records a parse worker is given at a time, at most."""
_PARSE_CHUNK_CHARS = 1 << 20
"""Characters a chunk holds, about, at most: one more line, up to ``MAX_LINE``, may pass it
(so a file of long lines is not held in memory many lines per chunk)."""
_CHUNKS_IN_FLIGHT = 4
"""Chunks per worker sent ahead of the one this process waits for: with the size of a chunk,
what bounds the memory the workers' input and output take (a few MiB per worker)."""
_UNKNOWN_LINES = 10
_ENVELOPE_COLUMNS = (
    "event_id",
    "type",
    "schema_version",
    "employee_id",
    "occurred_at",
    "recorded_by",
    "source",
    "correlation_id",
    "causation_id",
)

Parsed: TypeAlias = Event | Columns
"""A good record: the validated event, or (parsed by a worker process) its stored columns,
which :func:`ledger.store.base.event_of_columns` turns back into the same event."""
Check = Callable[[Sequence[Parsed]], Mapping[UUID, FieldProblem]]
"""Given valid events, the problems the log finds with some of them, by event id (an id
stored with other content, an instant in the future of the ledger's clock)."""
_Outcome: TypeAlias = Event | Columns | list[FieldProblem]


@dataclass
class Unknown:
    """Employees of a file with facts but no ``employee.hired`` before them in the file.

    Attributes:
        lines: per employee, the first lines of such facts (up to ten);
        count: how many lines there are in all;
        hired: the employees hired in the file.
    """

    lines: dict[str, list[int]] = field(default_factory=dict)
    count: dict[str, int] = field(default_factory=dict)
    hired: set[str] = field(default_factory=set)

    def employees(self) -> dict[str, tuple[tuple[int, ...], int]]:
        """Employees never hired in the file: ``(first lines, count of lines)``."""
        return {
            employee: (tuple(lines), self.count[employee])
            for employee, lines in self.lines.items()
            if employee not in self.hired
        }

    def see(self, line: int, event: Parsed) -> None:
        """Note one event of the file, in file order."""
        employee = event.employee_id
        if event.type == "employee.hired":
            self.hired.add(employee)
        elif employee not in self.hired:
            seen = self.lines.setdefault(employee, [])
            if len(seen) < _UNKNOWN_LINES:
                seen.append(line)
            self.count[employee] = self.count.get(employee, 0) + 1


class _Problems:
    """The bad lines found so far: the first ``REPORTED`` in full, the rest counted."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[tuple[int, FieldProblem]] = []
        self.lines: set[int] = set()
        self.bad = 0

    def add(self, line: int, problems: Sequence[FieldProblem]) -> None:
        if line not in self.lines:
            self.bad += 1
            if len(self.lines) >= ImportRejected.REPORTED:
                return
            self.lines.add(line)
        self.items.extend((line, p) for p in problems)

    def raise_if_any(self, lines: int) -> None:
        if self.bad:
            ordered = sorted(self.items, key=lambda item: item[0])
            raise ImportRejected.of(self.source, ordered, self.bad, lines)


def read_events(
    stream: IO[str],
    *,
    source: str,
    fmt: Format = "jsonl",
    stored: Check | None = None,
    unknown: Unknown | None = None,
    check_ids: bool = True,
    recorded_by: str | None = None,
    workers: int = 1,
) -> Iterator[tuple[int, Parsed]]:
    """Yield ``(line number, event)`` for every good record of ``stream``, then raise if
    any was bad.

    Blank lines (JSONL) are skipped. Ledger-written types (``sanction.issued``...) are
    refused: only the ledger derives them. A record without ``recorded_by`` gets
    ``recorded_by`` (the acting actor), when given.

    Args:
        stored: checks events against the log, a thousand at a time.
        unknown: filled in with the facts of employees not hired earlier in the file.
        check_ids: find ids repeated with other content within the file.
        recorded_by: the recorder of a record that names none (the acting actor).
        workers: from 2, the records are validated in that many worker processes, this
            one reading and checking (docs/ARCHITECTURE.md, "Input boundary"); each good
            record then comes as its :class:`~ledger.store.base.Columns`. The same lines
            are good or bad, with the same problems, as with one (but for the corner
            "Large files" names: an id repeated with equal values in other texts).

    Raises:
        ImportRejected: every bad record, naming its line and the field at fault.
    """
    problems = _Problems(source)
    first: dict[int, tuple[int, int]] = {}
    pending: list[tuple[int, Parsed]] = []
    lines = 0
    records = _jsonl(stream) if fmt == "jsonl" else _csv(stream)
    outcomes = (
        _parsed_here(records, recorded_by)
        if workers <= 1
        else _parsed_by_workers(records, recorded_by, workers)
    )
    for line, outcome in outcomes:
        lines = line
        if isinstance(outcome, list):
            problems.add(line, outcome)
            continue
        if check_ids:
            if isinstance(outcome, Event):
                key, content = outcome.event_id.int, _content(outcome)
            else:
                key, content = int.from_bytes(outcome.event_id, "big"), hash(outcome[1:])
            earlier = first.setdefault(key, (line, content))
            if earlier[0] != line and earlier[1] != content:
                problems.add(
                    line,
                    [
                        FieldProblem(
                            "event_id",
                            f"{_id_of(outcome)} is also on line {earlier[0]} with different "
                            "content",
                        )
                    ],
                )
                continue
        if unknown is not None:
            unknown.see(line, outcome)
        if stored is None:
            yield line, outcome
            continue
        pending.append((line, outcome))
        if len(pending) >= _CHECK_BATCH:
            yield from _checked(pending, stored, problems)
            pending = []
    if pending and stored is not None:
        yield from _checked(pending, stored, problems)
    problems.raise_if_any(lines)


def _id_of(parsed: Parsed) -> UUID:
    return parsed.event_id if isinstance(parsed, Event) else parsed.uuid()


def _content(event: Event) -> int:
    # Equal events hash alike (the envelope's fields and the frozen data model); a collision
    # between different contents is caught by the store, which compares the canonical JSON.
    # (Columns, from workers, hash their texts instead: one file is read one way or the other.)
    values = event.__dict__
    return hash(tuple(v for k, v in values.items() if k != "event_id"))


def _checked(
    batch: list[tuple[int, Parsed]], stored: Check, problems: _Problems
) -> Iterator[tuple[int, Parsed]]:
    found = stored([event for _, event in batch])
    if not found:
        yield from batch
        return
    for line, event in batch:
        problem = found.get(_id_of(event))
        if problem is None:
            yield line, event
        else:
            problems.add(line, [problem])


_Record: TypeAlias = str | dict[str, Any] | FieldProblem


def _parse(raw: str | dict[str, Any], recorded_by: str | None) -> Event | list[FieldProblem]:
    try:
        return parse_event(raw, observations_only=True, derive_id=True, recorded_by=recorded_by)
    except ValidationFailed as exc:
        return list(exc.problems)


def _parsed_here(
    records: Iterable[tuple[int, _Record]], recorded_by: str | None
) -> Iterator[tuple[int, _Outcome]]:
    for line, raw in records:
        yield line, [raw] if isinstance(raw, FieldProblem) else _parse(raw, recorded_by)


def _parse_chunk(
    chunk: list[tuple[int, _Record]], recorded_by: str | None, steps: frozenset[tuple[str, int]]
) -> list[tuple[int, tuple[Any, ...] | list[FieldProblem]]]:
    """In a worker process (or here, when the workers fail): validate records, each good one
    turned into the columns it will be stored as."""
    if UPCASTERS.steps() != steps:
        # Upcasters registered at run time in the importing process are not in a spawned
        # worker: it would refuse or misread old versions.
        raise RuntimeError("the parse worker has other upcasters than the importing process")
    out: list[tuple[int, tuple[Any, ...] | list[FieldProblem]]] = []
    for line, raw in chunk:
        if isinstance(raw, FieldProblem):
            out.append((line, [raw]))
            continue
        parsed = _parse(raw, recorded_by)
        # (a plain tuple: a named tuple pickles and unpickles through Python code, per row)
        out.append((line, parsed if isinstance(parsed, list) else tuple(columns_of(parsed))))
    return out


def _columns(
    done: list[tuple[int, tuple[Any, ...] | list[FieldProblem]]],
) -> Iterator[tuple[int, _Outcome]]:
    make = tuple.__new__
    for line, outcome in done:
        yield line, outcome if isinstance(outcome, list) else make(Columns, outcome)


def _parsed_by_workers(
    records: Iterable[tuple[int, _Record]], recorded_by: str | None, workers: int
) -> Iterator[tuple[int, _Outcome]]:
    """The records validated by ``workers`` spawned processes, a chunk each at a time, in
    file order; this process keeps a few chunks per worker in flight. If the workers fail
    (they did not start, one died, or they import other upcasters), the chunks not yet
    answered are validated here instead, the same way, so the outcome is the same."""
    steps = UPCASTERS.steps()
    executor: ProcessPoolExecutor | None = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker
    )
    window: deque[tuple[list[tuple[int, _Record]], Future[Any] | None]] = deque()
    it = iter(records)
    try:
        while True:
            chunk = _chunk(it)
            if chunk:
                future: Future[Any] | None = None
                if executor is not None:
                    try:
                        with _sigint_blocked():  # (a worker may start here)
                            future = executor.submit(_parse_chunk, chunk, recorded_by, steps)
                    except Exception:  # the pool is broken: validate here from now on
                        _stop(executor)
                        executor = None
                window.append((chunk, future))
            if not window:
                return
            if chunk and len(window) < _CHUNKS_IN_FLIGHT * workers and executor is not None:
                continue
            sent, future = window.popleft()
            done = None
            if future is not None and executor is not None:
                try:
                    done = future.result()
                except Exception:  # a worker failed: this chunk and the rest here
                    _stop(executor)
                    executor = None
            if done is None:
                done = _parse_chunk(sent, recorded_by, steps)
            yield from _columns(done)
    finally:
        if executor is not None:
            _stop(executor)


def _chunk(records: Iterator[tuple[int, _Record]]) -> list[tuple[int, _Record]]:
    """The next records for a worker: up to ``_PARSE_CHUNK`` of them, or fewer once they
    hold ``_PARSE_CHUNK_CHARS`` characters."""
    chunk: list[tuple[int, _Record]] = []
    size = 0
    for record in records:
        chunk.append(record)
        raw = record[1]
        if isinstance(raw, str):
            size += len(raw)
        elif isinstance(raw, dict):  # a CSV row: its cells (data is a dict of cells)
            size += sum(len(v) if isinstance(v, str) else len(str(v)) for v in raw.values())
        if len(chunk) >= _PARSE_CHUNK or size >= _PARSE_CHUNK_CHARS:
            break
    return chunk


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT held back from this thread meanwhile: a process started here inherits the
    mask through ``exec``, so a Ctrl-C while it imports the package waits for
    :func:`_start_worker`, which ignores it, instead of a traceback on the terminal. Here
    it is delivered on leaving."""
    if not hasattr(signal, "pthread_sigmask"):  # (not POSIX)
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _start_worker() -> None:
    """A parse worker leaves Ctrl-C to the importing process, which stops the workers (no
    traceback from them on the terminal), and collects less often: a chunk allocates
    thousands of objects that all live until it is sent (``ledger.write._BulkWork``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # a Ctrl-C held back since the start: ignored
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    gc.set_threshold(_WORKER_GC_THRESHOLD, *gc.get_threshold()[1:])


_WORKER_GC_THRESHOLD = 50_000


def _stop(executor: ProcessPoolExecutor) -> None:
    executor.shutdown(wait=True, cancel_futures=True)


def _jsonl(stream: IO[str]) -> Iterator[tuple[int, str | FieldProblem]]:
    number = 0
    while True:
        text = stream.readline(MAX_LINE + 1)
        if not text:
            return
        number += 1
        if len(text) > MAX_LINE and not text.endswith("\n"):
            while (rest := stream.readline(MAX_LINE)) and not rest.endswith("\n"):
                pass  # skip the rest of the runaway line without holding it
            yield number, FieldProblem("", f"line longer than {MAX_LINE:,} characters")
        elif text.strip():
            yield number, text


def _csv(stream: IO[str]) -> Iterator[tuple[int, dict[str, Any] | FieldProblem]]:
    reader = csv.DictReader(stream)
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        yield 1, FieldProblem("", f"not valid CSV: {exc}")
        return
    unknown = [
        c
        for c in header
        if c not in _ENVELOPE_COLUMNS and c != "evidence" and not c.startswith("data.")
    ]
    if unknown:
        yield 1, FieldProblem("", f"unknown CSV column(s): {', '.join(unknown)}")
        return
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, FieldProblem("", f"not valid CSV ({exc}); the rest is unread")
            return
        yield reader.line_num, _record(row)


def _record(row: dict[str | Any, Any]) -> dict[str, Any] | FieldProblem:
    record: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for column, value in row.items():
        if column is None:
            return FieldProblem("", "more cells than header columns")
        if value is None or value == "":
            continue
        if column.startswith("data."):
            data[column[5:]] = value
        elif column == "evidence":
            record["evidence"] = [part.strip() for part in value.split(";") if part.strip()]
        else:
            record[column] = value
    record["data"] = data
    return record
