"""The write path: facts in, validated, appended, derived, the difference recorded.

Read it top to bottom (docs/ARCHITECTURE.md, "Write path"):

1. :func:`record` / :func:`import_stream` validate at the boundary: an import reads and
   validates its whole input before the write lock is taken (``PRELOAD``);
2. in one transaction, the facts are appended (:meth:`ledger.store.EventStore.append`:
   idempotency, optimistic concurrency, the hash chain);
3. :func:`reconcile_all` derives each touched employee (:func:`pending`: the rules, then at
   a tick GRD-01 grades and PAY-01 payroll closings) and appends the difference in batches;
4. the transaction commits: facts and consequences become visible together.

:func:`tick` moves the deadline horizon and reconciles the employees whose deadlines may
have passed (everyone when a month ends); :func:`adopt` records a rulebook version and
reconciles everyone. :class:`ledger.app.Ledger` is the facade over these functions.
"""

from __future__ import annotations

import gc
import os
import pickle
import shutil
import tempfile
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from uuid import UUID

import orjson

from ledger.access.guard import WriteGuard
from ledger.errors import (
    ConflictError,
    FieldProblem,
    ImportRejected,
    RulebookError,
    StorageError,
    UsageError,
    ValidationFailed,
)
from ledger.events import (
    EVENT_TYPES,
    LEDGER_STREAM,
    CheckpointIssued,
    Event,
    EventData,
    GradeAssigned,
    PayrollClosed,
    Retracted,
    RulebookAdopted,
    Ticked,
)
from ledger.importer import Format, Unknown, read_events
from ledger.policies import incremental
from ledger.policies.engine import (
    DEFAULT_RULES,
    Derivation,
    Revocation,
    WalkState,
    derive,
    derive_resumable,
)
from ledger.policies.framework import Outcome
from ledger.policies.grades import GradeInputs, employment_quarters, grades_for, span_quarters
from ledger.policies.hiring import employed
from ledger.policies.incremental import DerivationState
from ledger.policies.payroll import PAYABLE, payroll_months
from ledger.policies.reconcile import reconcile as reconcile_outcomes
from ledger.policies.rulebook import AdoptedRulebook, RulebookSet
from ledger.policies.status import SanctionState, fold_sanctions
from ledger.store import AppendReport, EventStore, Recorded
from ledger.store.base import _DERIVATION_SEAL, Columns, columns_of, event_of_columns
from ledger.textfile import open_text
from ledger.timeutil import COMPANY_TZ, Period, month_of, start_of_day

if TYPE_CHECKING:
    from ledger.app import Ledger

__all__ = [
    "DEADLINE_TYPES",
    "DERIVED_BY",
    "FINDING_DUE",
    "MAX_PARSE_WORKERS",
    "PARSE_WORKERS_FROM",
    "PRELOAD",
    "RECONCILING",
    "ImportReport",
    "KeptState",
    "RecordReport",
    "Stages",
    "TickReport",
    "adopt",
    "audit",
    "derived_event",
    "import_file",
    "import_stream",
    "pending",
    "reconcile",
    "reconcile_all",
    "record",
    "record_checkpoint",
    "tick",
]

DERIVED_BY = "ledger"
"""``recorded_by`` of every derived event."""
_DERIVED_BATCH = 2_000
_STATES_BATCH = 200
DERIVATIONS: Counter[str] = Counter()
"""How many reconciliations resumed a stored derivation state (``prior``: of those, how many
from the prior state) and how many derived in full (per process; the tests and the bench
read it)."""
PRELOAD = 50_000
"""Validated events an import keeps in memory from validation to appending (about 2 KB
each); past that, all of them go to a temporary file (:class:`_Spill`)."""
DAWN = datetime(1970, 1, 1, tzinfo=COMPANY_TZ)
Stages = Callable[[str, int, int | None], None]
"""A progress callback for the stages of a long call: ``(stage, done, total or None)``, e.g.
``("reconciling employees", 120, 2000)``; the library only calls it, a face shows it."""
RECONCILING = "reconciling employees"
FINDING_DUE = "finding the employees with deadlines due"
DEADLINE_TYPES = frozenset(
    {"service.complaint_received", "service.complaint_verified", "task.assigned"}
)
"""Types whose deadlines a tick evaluates."""


@dataclass(frozen=True, slots=True)
class RecordReport:
    """What recording a batch did: facts appended or already present, derived events added."""

    appended: int
    already_present: int
    derived: int = 0


@dataclass(frozen=True, slots=True)
class TickReport:
    """What a tick did."""

    now: datetime
    employees: int
    derived: int
    workers_stopped: str | None = None
    """Why the worker processes deriving for the tick stopped, when they did: the tick then
    went on in its own process (same events, more time)."""


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What importing a file did (a rejected import raises instead and writes nothing).

    ``unknown``: employees with facts in the file but hired neither in the ledger nor in the
    file, with the first lines of their facts and how many there are (their facts are
    stored and derive nothing until the hire is recorded). ``encoding``: the codec the file
    was read with, and ``how`` it was chosen (:func:`ledger.textfile.open_text`).
    """

    appended: int
    already_present: int
    lines: int
    derived: int = 0
    unknown: Mapping[str, tuple[tuple[int, ...], int]] = field(default_factory=dict)
    encoding: str = "utf-8"
    how: str = "utf-8"


def record(
    ledger: Ledger, events: Event | Iterable[Event], *, actor: str | None = None
) -> RecordReport:
    """Record observations atomically (one transaction).

    Args:
        events: one event or a batch; ids already stored with the same content are
            reported as already present (safe retries).
        actor: who records them (default: the ledger's actor); checked against the access
            document in force (:class:`~ledger.access.WriteGuard`).

    Raises:
        ValidationFailed: an event is of a type only the ledger writes, or in the future,
            or names a retraction target or consequence that is not recorded.
        AccessDenied: the access document in force, or a built-in separation of duties,
            refuses a fact; nothing is written.
        ConflictError: an id is stored with other content; nothing is written.
    """
    batch = [events] if isinstance(events, Event) else list(events)
    for event in batch:
        model = EVENT_TYPES[event.type]
        if model.DERIVED or model.LEDGER_WIDE:
            raise ValidationFailed.single(
                "type", f"{event.type} events are written by the ledger, not recorded"
            )
    with ledger.store.transaction():
        guard = WriteGuard(ledger.store, ledger.actor if actor is None else actor)
        guard.check_batch(_places(batch))
        report = ledger.store.append(batch)
        fresh = _FreshEvents()
        fresh.add(report.appended)
        derived = reconcile_all(ledger, {r.event.employee_id for r in report.appended}, fresh=fresh)
    return RecordReport(len(report.appended), len(report.already_present), derived)


def _places(batch: list[Event]) -> Iterator[tuple[str, Event]]:
    """Where each event of a recorded batch is, for messages."""
    for n, event in enumerate(batch, start=1):
        yield (
            (
                f"event {event.event_id}"
                if len(batch) == 1
                else f"event {n} of {len(batch)} ({event.event_id})"
            ),
            event,
        )


def import_stream(
    ledger: Ledger,
    stream: IO[str],
    *,
    source: str = "<stream>",
    fmt: Format = "jsonl",
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
    preload: int = PRELOAD,
    actor: str | None = None,
    stages: Stages | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Import a JSON Lines or CSV stream in one transaction, streaming in batches.

    The whole stream is read and validated before the write lock is taken, so a bad
    line is reported without making other writers wait, and readers and writers are
    held up only while the events are appended. Up to ``preload`` validated events are kept
    in memory for that; the records of a larger stream are kept in a temporary file, in the
    columns they will be stored as, and rebuilt from it by the trusted read while appending
    (the file is read once). ``progress`` is told the lines read so far (checking, then
    again appending); ``stages`` the employees reconciled (:data:`RECONCILING`, done,
    total).

    ``workers``: processes that validate the lines (this one reads and checks them). By
    default a file of :data:`PARSE_WORKERS_FROM` bytes or more uses every CPU (up to
    :data:`MAX_PARSE_WORKERS`), a smaller one or a stream without a file this process only.

    Lines without ``recorded_by`` are recorded under ``actor`` (default: the ledger's);
    every line is checked against the access document in force before its batch is
    appended.

    Raises:
        ImportRejected: a bad line, an unresolved reference, or an id stored with other
            content; nothing written.
        AccessDenied: a line the access document in force refuses (naming the line).
    """
    acting = ledger.actor if actor is None else actor
    with ExitStack() as stack:
        stack.enter_context(_bulk())
        if not stream.seekable():  # a pipe: copied whole first, so a decoding error is
            # reported before anything is parsed
            copy = stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8", newline=""))
            try:
                shutil.copyfileobj(stream, copy)
            except UnicodeDecodeError as exc:
                raise ImportRejected(
                    source, 0, f"not UTF-8 text ({exc.reason}); save it as UTF-8"
                ) from None
            copy.seek(0)
            stream = copy
        parse_workers = _parse_workers(stream, workers)
        spill = stack.enter_context(_Spill())
        return _import_checked(
            ledger, stream, source, fmt, batch_size, progress, preload, acting, stages,
            parse_workers, spill,
        )  # fmt: skip


PARSE_WORKERS_FROM = 16 << 20
"""Bytes of input from which an import validates its lines in worker processes by default
(about 75,000 lines): starting them costs about a second, validating in this process about
a fifth of an import's time, twice that of a file read twice before."""
MAX_PARSE_WORKERS = 4
"""Parse workers at most: past that, this process (reading, checking, keeping) is the
bottleneck."""


def _parse_workers(stream: IO[str], workers: int | None) -> int:
    """How many processes validate ``stream``'s lines (1: this one)."""
    if workers is not None:
        if workers < 1:
            raise UsageError(f"workers must be 1 or more, not {workers}")
        return workers
    from ledger.audit.pool import available_cpus, spawn_safe

    try:
        size = os.fstat(stream.fileno()).st_size
    except (OSError, ValueError, AttributeError):  # no file under it (io.StringIO...)
        return 1
    if size < PARSE_WORKERS_FROM or not spawn_safe():
        return 1
    return min(available_cpus(), MAX_PARSE_WORKERS)  # (one CPU: this process only)


class _Spill:
    """The validated records of an import too large to keep in memory, in an anonymous
    temporary file between validation and appending: each as its stored columns
    (:class:`~ledger.store.base.Columns`), pickled a chunk at a time, rebuilt by the trusted
    read (about a third of validating the line again). The file is this process's own,
    written and read within one call."""

    CHUNK = 2_000

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._buffer: list[tuple[int, tuple[Any, ...]]] = []
        self.count = 0

    def __enter__(self) -> _Spill:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()

    def add(self, line: int, parsed: Event | Columns) -> None:
        # (a plain tuple: a named tuple pickles and unpickles through Python code, per row)
        self._buffer.append(
            (line, tuple(parsed if isinstance(parsed, Columns) else columns_of(parsed)))
        )
        self.count += 1
        if len(self._buffer) >= self.CHUNK:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by __exit__)
        pickle.dump(self._buffer, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._buffer = []

    def events(self) -> Iterator[tuple[int, Event]]:
        """Every record added, in order, as events."""
        self._flush()
        if self._file is None:
            return
        self._file.seek(0)
        while True:
            try:
                chunk: list[tuple[int, tuple[Any, ...]]] = pickle.load(self._file)
            except EOFError:
                return
            for line, columns in chunk:
                yield line, event_of_columns(columns)


def _import_checked(
    ledger: Ledger,
    stream: IO[str],
    source: str,
    fmt: Format,
    batch_size: int,
    progress: Callable[[int], None] | None,
    preload: int,
    actor: str | None,
    stages: Stages | None,
    workers: int,
    spill: _Spill,
) -> ImportReport:
    kept: list[tuple[int, Event | Columns]] = []
    lines = 0
    unknown = Unknown()
    for line, parsed in read_events(
        stream,
        source=source,
        fmt=fmt,
        stored=partial(_against_log, ledger),
        unknown=unknown,
        recorded_by=actor,
        workers=workers,
    ):
        lines = line
        if spill.count:
            spill.add(line, parsed)
        else:
            kept.append((line, parsed))
            if len(kept) > preload:  # the rest goes to disk: all of it, in order
                for item in kept:
                    spill.add(*item)
                kept = []
        if progress is not None and line % batch_size == 0:
            progress(line)
    events: Iterable[tuple[int, Event]] = (
        spill.events()
        if spill.count
        else (
            (line, parsed if isinstance(parsed, Event) else event_of_columns(parsed))
            for line, parsed in kept
        )
    )
    appended = present = 0
    touched: set[str] = set()
    fresh = _FreshEvents()
    with ledger.store.transaction():
        guard = WriteGuard(ledger.store, actor)
        batch: list[tuple[int, Event]] = []
        for item in events:
            batch.append(item)
            if len(batch) >= batch_size:
                result = _append_lines(ledger, batch, source, guard)
                appended += len(result.appended)
                present += len(result.already_present)
                touched.update(r.event.employee_id for r in result.appended)
                fresh.add(result.appended)
                batch.clear()
                if progress is not None:
                    progress(item[0])
        if batch:
            result = _append_lines(ledger, batch, source, guard)
            appended += len(result.appended)
            present += len(result.already_present)
            touched.update(r.event.employee_id for r in result.appended)
            fresh.add(result.appended)
        hired: set[str] = set()
        derived = reconcile_all(
            ledger, touched, fresh=fresh, progress=_stage(stages, RECONCILING), hired=hired
        )
    return ImportReport(appended, present, lines, derived, _not_hired(ledger, unknown, hired))


def _against_log(ledger: Ledger, events: Sequence[Event | Columns]) -> dict[UUID, FieldProblem]:
    """What :meth:`EventStore.append` would refuse in ``events``, found before the write
    lock so that every such line is named (append checks again under the lock)."""
    ids = [e.event_id if isinstance(e, Event) else e.uuid() for e in events]
    found = {
        event_id: FieldProblem(
            "event_id",
            f"{event_id} is already stored at position {position} with different content",
        )
        for event_id, position in ledger.store.conflicts(events, ids).items()
    }
    now = ledger.now()
    limit = now + ledger.store.future_tolerance
    for event_id, event in zip(ids, events, strict=True):
        occurred_at = event.occurred_at if isinstance(event, Event) else event.instant()
        if occurred_at > limit and event_id not in found:
            found[event_id] = FieldProblem(
                "occurred_at",
                f"{occurred_at.isoformat()} is in the future of the ledger's clock "
                f"({now.isoformat()})",
            )
    return found


def _not_hired(
    ledger: Ledger, unknown: Unknown, known: set[str]
) -> dict[str, tuple[tuple[int, ...], int]]:
    """The employees of ``unknown`` the ledger has no hire for either (``known``: hired, as
    their derivation states said)."""
    hired = frozenset({"employee.hired"})
    return {
        employee: found
        for employee, found in unknown.employees().items()
        if employee not in known
        and next(iter(ledger.store.rows(employee_id=employee, types=hired, limit=1)), None) is None
    }


def import_file(
    ledger: Ledger,
    path: str | Path,
    *,
    fmt: Format | None = None,
    encoding: str | None = None,
    **options: Any,
) -> ImportReport:
    """Import a file (``-`` for standard input); the format follows the suffix by default,
    the encoding is given or found as :func:`ledger.textfile.open_text` says."""
    name = str(path)
    chosen: Format = fmt or ("csv" if name.lower().endswith(".csv") else "jsonl")
    text = open_text(name, encoding)
    with text.stream as stream:
        report = import_stream(ledger, stream, source=name, fmt=chosen, **options)
    return replace(report, encoding=text.encoding, how=text.how)


def _append_lines(
    ledger: Ledger, batch: list[tuple[int, Event]], source: str, guard: WriteGuard
) -> AppendReport:
    guard.start_batch()
    for line, event in batch:
        try:
            guard.check(event, f"{source}:{line}")
        except ValidationFailed as exc:
            problems = "; ".join(str(p) for p in exc.problems)
            raise ImportRejected(source, line, problems) from None
    try:
        return ledger.store.append([event for _, event in batch])
    except ConflictError as exc:
        # Another writer stored the id after this file was checked (read_events names the
        # conflicts it finds before the write lock).
        line = next((n for n, e in batch if str(e.event_id) == exc.event_id), 0)
        raise ImportRejected(source, line, f"event_id: {exc}") from None
    except ValidationFailed as exc:
        line = next((n for n, e in batch if exc.where.endswith(str(e.event_id))), 0)
        raise ImportRejected(source, line, "; ".join(str(p) for p in exc.problems)) from None


def adopt(
    ledger: Ledger,
    document: str,
    *,
    effective_from: date | None = None,
    published_on: date | None = None,
    source: str = "<rulebook>",
    by: str | None = None,
) -> AdoptedRulebook:
    """Adopt a rulebook version and re-derive every employee under the new set.

    Adopting the same document again returns the adopted version and writes nothing,
    also when several processes adopt it at once (the check runs under the write lock).

    Args:
        by: who adopts it (default: the ledger's actor; ``"cli"`` when nobody is named
            and no access document is in force).

    Raises:
        RulebookError: the document is invalid, or that id and version is already
            adopted with other content.
        AccessDenied: the access document in force does not let ``by`` adopt rulebooks.
    """
    adopted = AdoptedRulebook.from_document(
        document, effective_from=effective_from, published_on=published_on, source=source
    )
    with _bulk(), ledger.store.transaction():
        guard = WriteGuard(ledger.store, ledger.actor if by is None else by)
        event = _adoption(ledger, adopted, document, source, guard.signer)
        guard.check(event, source)
        for existing in ledger.rulebooks().versions:
            same = (existing.rulebook.id, existing.rulebook.version)
            if same == (adopted.rulebook.id, adopted.rulebook.version):
                if existing.sha256 == adopted.sha256:
                    return existing
                raise RulebookError(
                    f"{source}: {adopted.rulebook.id} v{adopted.rulebook.version} is "
                    "already adopted with other content; give the new text a new version"
                )
        ledger.store.append([event])
        reconcile_all(ledger, set(ledger.employees()))
    return adopted


def _adoption(
    ledger: Ledger, adopted: AdoptedRulebook, document: str, source: str, by: str
) -> Event:
    return Event.of(
        RulebookAdopted(
            rulebook_id=adopted.rulebook.id,
            version=adopted.rulebook.version,
            effective_from=adopted.effective_from,
            published_on=adopted.published_on,
            document=document,
            sha256=adopted.sha256,
        ),
        employee_id=LEDGER_STREAM,
        occurred_at=ledger.now(),
        recorded_by=by,
        source=source,
    )


def reconcile(ledger: Ledger, employee_id: str) -> int:
    """Record the difference between derived and recorded consequences; returns a count."""
    with ledger.store.transaction():
        return _reconcile_one(ledger, employee_id)


def reconcile_all(
    ledger: Ledger,
    employees: set[str],
    closing_from: datetime | None = None,
    fresh: _FreshEvents | None = None,
    progress: Callable[[int, int], None] | None = None,
    hired: set[str] | None = None,
    parallel: bool = False,
    stopped: list[str] | None = None,
) -> int:
    """Reconcile ``employees``, appending what they need in batches (not one append per
    employee: each append re-reads the chain head and the streams it touches), resuming
    each employee's derivation from its stored state where the new events allow.
    ``progress`` is told ``(employees done, total)`` after each one; ``hired`` gets the
    employees whose resumed state holds a hire. ``parallel``: every event the derivations
    read is committed (a tick), so they may run in worker processes (:func:`_derivations`);
    ``stopped`` gets why those stopped, if they did (the rest was derived here).
    """
    count = 0
    batch: list[Event] = []
    chosen = sorted(employees - {LEDGER_STREAM})
    states = _States(ledger, len(chosen)) if ledger.incremental else None
    if states is not None:
        states.read_versions(chosen)
    for done, new in enumerate(
        _derivations(ledger, chosen, closing_from, fresh, states, parallel), 1
    ):
        batch += new
        if progress is not None:
            progress(done, len(chosen))
        if len(batch) >= _DERIVED_BATCH:
            count += len(_append_derived(ledger, batch).appended)
            batch = []
        if states is not None and len(states.changed) + len(states.encoded_rows) >= _STATES_BATCH:
            states.save()  # in the same transaction; bounds memory on a large import
    if batch:
        count += len(_append_derived(ledger, batch).appended)
    if states is not None:
        states.save()
        if hired is not None:
            hired.update(states.hired)
        if stopped is not None and states.fallback is not None:
            stopped.append(states.fallback)
    return count


PARALLEL_TICK_FROM = 1_000
"""Due employees without a kept state from which a tick derives in worker processes (when
the store is a file or a PostgreSQL database): starting them costs about a second."""


@dataclass(frozen=True, slots=True)
class _InWorker:
    """What a worker deriving for a tick is told: the horizon (its ``ledger.ticked`` is not
    committed yet), where payroll closes from, and the rulebook set it must find."""

    horizon: datetime | None
    closing_from: datetime | None
    books: str


def _derivations(
    ledger: Ledger,
    chosen: list[str],
    closing_from: datetime | None,
    fresh: _FreshEvents | None,
    states: _States | None,
    parallel: bool,
) -> Iterator[list[Event]]:
    """What reconciliation records for each employee of ``chosen``, in that order.

    With ``parallel`` (a tick: nothing the derivations read is uncommitted but the tick's
    own ``ledger.ticked``, whose horizon is passed on), many employees on a shared store
    are derived in worker processes (``ledger.audit.pool``): each opens the store
    read-only, resumes or derives in full as this process would, and sends back the events
    and the encoded state; this process appends and writes them in its transaction, as
    they come, in order (docs/ARCHITECTURE.md, "Derivation state")."""
    kept = states.kept if states is not None else None
    if (
        parallel
        and states is not None
        and (len(chosen) if kept is None else sum(e not in kept for e in chosen))
        >= PARALLEL_TICK_FROM
    ):
        # (Employees whose states this process keeps resume here at no cost: only many
        # without one, as in a first tick after a bulk import, are worth the workers.)
        from ledger.audit.pool import EmployeePool

        if kept is not None:
            for employee_id in chosen:
                kept.pop(employee_id, None)  # the workers write newer states

        params = _InWorker(states.horizon, closing_from, incremental.books_key(states.rulebooks))
        done = 0
        with ExitStack() as stack:
            try:
                pool = stack.enter_context(
                    EmployeePool(
                        ledger, chosen, _pending_in_worker, params, parallel_from=PARALLEL_TICK_FROM
                    )
                )
                results = pool.stream() if pool.parallel else None
            except Exception as exc:  # the workers did not start
                states.fallback = _stopped(exc)
                results = None
            if results is not None:
                for employee_id in chosen:
                    try:
                        made, text = next(results)
                    except StopIteration:
                        states.fallback = "the workers sent fewer results than employees"
                        break
                    except Exception as exc:  # the workers stopped
                        states.fallback = _stopped(exc)
                        break
                    if text is not None:
                        states.put_encoded(employee_id, text)
                    yield [derived_event(employee_id, data, at) for data, at in made]
                    done += 1
                else:
                    if next(results, None) is not None:
                        raise RuntimeError("the workers sent more results than employees")
                    return
        # What the workers did not send is derived here: an error about the data itself
        # (not about the workers) is then raised again, by this process.
        chosen = chosen[done:]
    for employee_id in chosen:
        yield pending(ledger, employee_id, closing_from, fresh, states)


def _stopped(exc: Exception) -> str:
    """Why a tick's workers stopped, for its report."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _pending_in_worker(
    ledger: Ledger, employee_id: str, params: _InWorker
) -> tuple[list[tuple[EventData, datetime]], str | None]:
    """In a worker process: :func:`pending` for one employee of a tick (each derived event's
    data and time: an event's class is built at import, so it does not pickle), with the
    state it leaves encoded (``None`` when none)."""
    states = _States(ledger, ledger.states_kept + 1)  # (a worker keeps none)
    if incremental.books_key(states.rulebooks) != params.books:
        raise StorageError(
            "a worker read another rulebook set than the tick's: the ledger changed under it"
        )
    states.horizon = params.horizon
    new = pending(ledger, employee_id, params.closing_from, None, states)
    state = states.changed.get(employee_id)
    made = [(e.data, e.occurred_at) for e in new]
    return made, None if state is None else incremental.encode(state)


def _reconcile_one(
    ledger: Ledger,
    employee_id: str,
    closing_from: datetime | None = None,
    fresh: _FreshEvents | None = None,
) -> int:
    """Re-derive one employee and record every difference: sanctions, grades, payroll.

    Args:
        closing_from: the horizon before the current tick; payroll months ending after it
            (and by the horizon) are closed now. Default: the horizon (nothing to close).
    """
    states = _States(ledger, 1) if ledger.incremental else None
    new = pending(ledger, employee_id, closing_from, fresh, states)
    if new:
        _append_derived(ledger, new)
    if states is not None:
        states.save()
    return len(new)


class _States:
    """The derivation states of one reconciliation: read on demand, written at the end, in
    the same transaction as the events they account for (docs/ARCHITECTURE.md,
    "Derivation state").

    A ledger keeps the states it derived (``Ledger.states_kept``) with the stored text they
    were resumed from. A kept state is reused while the stored row is still that text (no
    other writer replaced it) and the stream reaches the state's version (a restored
    database, say, does not), and written only once it accounts for
    ``Ledger.states_every`` events more than the stored one: states are caches, and resuming
    from an older one reads and derives those events again. A state resumed from a decoded
    row (a process that did not have it) or derived in full is always written. If the
    transaction rolls back, every kept state is let go of (some account for events that
    were never recorded)."""

    def __init__(self, ledger: Ledger, employees: int) -> None:
        self.ledger = ledger
        # One reading of the ledger stream for the whole reconciliation (it holds the write
        # lock: the rulebooks and the horizon cannot change under it).
        self.rulebooks, self.horizon = ledger.rulebooks_and_horizon()
        self.changed: dict[str, DerivationState] = {}
        self.hired: set[str] = set()  # resumed from a state holding a hire
        self.encoded_rows: dict[str, str] = {}  # states encoded by worker processes
        self.fallback: str | None = None  # why the workers stopped, if they did
        self.versions: dict[str, int] = {}  # stream versions read at once (read_versions)
        # employee -> (stored text, its state's version) of a kept state resumed from
        self.base: dict[str, tuple[str, int]] = {}
        # employee -> where its latest stored state pauses and what its text says of the
        # prior (incremental.head_of), and that text when replacing it makes it the prior
        self.heads: dict[str, tuple[datetime, object]] = {}
        self.stored: dict[str, str] = {}
        self.priors: dict[str, str] = {}  # employee -> a prior state's text to write
        self.prior_at: dict[str, datetime | None] = {}  # employee -> its prior state's at
        # employees whose latest state (hired, same rulebooks) refused what was recorded
        # since: only for them may the prior help (not a first derivation, nor the unhired)
        self.try_prior: set[str] = set()
        self.kept: OrderedDict[str, KeptState] | None = ledger._kept_states
        if employees > ledger.states_kept:
            # More employees than can be kept: each would be pushed out before its next
            # write (least recently used first), so keeping any is memory for nothing; and
            # the states kept so far are being rewritten.
            self.kept.clear()
            self.kept = None

    def load(self, employee_id: str, now: datetime | None = None) -> DerivationState | None:
        """The employee's state (kept, or decoded from the stored row); with ``now``, a
        stored row a derivation at ``now`` could not resume from is not decoded."""
        for _, _, value in self.ledger.store.projection_rows(incremental.PROJECTION, employee_id):
            self._note_stored(employee_id, value)
            kept = self.kept
            if kept is not None:
                found = kept.get(employee_id)
                if (
                    found is not None
                    and found.text == value
                    and found.state.version <= self._stream_version(employee_id)
                ):
                    # Resumed from the very text this ledger wrote or read (no other writer
                    # has replaced it): the kept state is what decoding that text and
                    # deriving the events since would give (docs/ARCHITECTURE.md,
                    # "Derivation state").
                    kept.move_to_end(employee_id)
                    self.base[employee_id] = (value, found.stored)
                    return found.state
            state = incremental.decode(value, employee_id, self.rulebooks, DEFAULT_RULES, now)
            if state is not None:
                self._keep(employee_id, KeptState(value, state.version, state))
            return state
        return None

    def load_prior(self, employee_id: str, now: datetime) -> DerivationState | None:
        """The employee's prior state (older than the latest, see ``incremental.PRIOR``),
        decoded, or ``None``; a derivation resumed from it is written whatever its age."""
        for _, _, value in self.ledger.store.projection_rows(incremental.PRIOR, employee_id):
            self.prior_at[employee_id] = incremental.paused_at(value)
            state = incremental.decode(value, employee_id, self.rulebooks, DEFAULT_RULES, now)
            if state is not None:
                self.base.pop(employee_id, None)
            return state
        self.prior_at[employee_id] = None
        return None

    def _note_stored(self, employee_id: str, text: str) -> None:
        """The latest stored state's text, read: where it pauses, what it says of the prior,
        and the text itself only when replacing it would make it the prior (or it does not
        say), so that a bulk write does not hold every text it read."""
        head = incremental.head_of(text)
        if head is None:
            return
        self.heads[employee_id] = head
        at, said = head
        if not isinstance(said, datetime) or at - said >= self.ledger.prior_lag:
            self.stored[employee_id] = text

    def _rotate(self, employee_id: str) -> datetime | None:
        """Before the latest stored state is replaced: make it the prior one when it pauses
        ``Ledger.prior_lag`` or more after the prior (or there is none); the prior's ``at``
        after that (stored in the new latest state's text, so that the next write need not
        read the prior). Any stored state is a state of its stream's version, so either is
        one a derivation may resume."""
        head = self.heads.get(employee_id)
        known = self.prior_at
        if employee_id not in known:
            if head is not None and (head[1] is None or isinstance(head[1], datetime)):
                known[employee_id] = head[1]
            elif head is not None:  # (the latest text does not say: read the prior)
                rows = self.ledger.store.projection_rows(incremental.PRIOR, employee_id)
                known[employee_id] = next((incremental.paused_at(v) for _, _, v in rows), None)
            else:
                known[employee_id] = None
        prior = known[employee_id]
        old = self.stored.pop(employee_id, None)
        if (
            head is not None
            and old is not None
            and (prior is None or head[0] - prior >= self.ledger.prior_lag)
        ):
            self.priors[employee_id] = old
            known[employee_id] = prior = head[0]
        return prior

    def read_versions(self, employees: Iterable[str]) -> None:
        """Read the stream versions of ``employees`` at once (kept states are checked
        against them)."""
        if self.kept:
            self.versions.update(self.ledger.store.stream_versions(employees))

    def _stream_version(self, employee_id: str) -> int:
        found = self.versions.get(employee_id)
        return self.ledger.store.stream_version(employee_id) if found is None else found

    def _keep(self, employee_id: str, kept_state: KeptState) -> None:
        kept = self.kept
        if kept is None:
            return
        kept[employee_id] = kept_state
        kept.move_to_end(employee_id)
        while len(kept) > self.ledger.states_kept:
            kept.popitem(last=False)

    def put_encoded(self, employee_id: str, text: str) -> None:
        """A state encoded elsewhere (a worker process), written as it is; nothing kept."""
        self.encoded_rows[employee_id] = text

    def put(self, employee_id: str, *, state: DerivationState, resumed: bool) -> None:
        """The employee's new state; ``resumed``: from a loaded one (else derived in full)."""
        self.changed[employee_id] = state
        if not resumed:
            self.base.pop(employee_id, None)

    def _deferred(self, employee_id: str, state: DerivationState) -> tuple[str, int] | None:
        """The stored text and version a state not written now resumes from, or ``None``
        when it is to be written."""
        base = self.base.get(employee_id)
        if self.kept is None or base is None:
            return None  # not kept, derived in full, or resumed from a decoded row
        if state.version - base[1] >= self.ledger.states_every:
            return None
        return base

    def save(self) -> None:
        store = self.ledger.store
        if store.readonly or not (self.changed or self.encoded_rows):
            return
        if self.kept is not None:
            store.on_rollback(self.kept.clear)
        due: list[tuple[str, DerivationState]] = []
        for employee_id, state in self.changed.items():
            deferred = self._deferred(employee_id, state)
            if deferred is None:
                due.append((employee_id, state))
            else:  # kept with the stored text it resumes from; written later
                self._keep(employee_id, KeptState(*deferred, state))
        for employee_id, text in self.encoded_rows.items():
            if employee_id not in self.heads:  # (derived by a worker: not read here)
                for _, _, value in store.projection_rows(incremental.PROJECTION, employee_id):
                    self._note_stored(employee_id, value)
            self.encoded_rows[employee_id] = incremental.with_prior(text, self._rotate(employee_id))
        texts = [
            *self.encoded_rows.items(),
            *((e, incremental.encode(s, self._rotate(e))) for e, s in due),
        ]
        if self.priors:
            store.projection_replace(
                incremental.PRIOR,
                list(self.priors),
                [(e, e, t) for e, t in self.priors.items()],
                store.head(),
            )
        if texts:
            store.projection_replace(
                incremental.PROJECTION,
                [e for e, _ in texts],
                [(e, e, t) for e, t in texts],
                store.head(),
            )
        if self.kept is not None:  # (a bulk write keeps nothing: not even the texts)
            for (employee_id, text), (_, state) in zip(
                texts[len(self.encoded_rows) :], due, strict=True
            ):
                self.base[employee_id] = (text, state.version)
                self._keep(employee_id, KeptState(text, state.version, state))
        self.encoded_rows.clear()
        self.changed.clear()
        self.priors.clear()
        for employee_id, _ in texts:
            self.heads.pop(employee_id, None)  # (replaced: read again when next needed)


@dataclass(frozen=True, slots=True)
class KeptState:
    """A derivation state this ledger holds: the stored row's text it was resumed from (or
    written as), that stored state's version, and the state itself (maybe newer)."""

    text: str
    stored: int
    state: DerivationState


def pending(
    ledger: Ledger,
    employee_id: str,
    closing_from: datetime | None = None,
    fresh: _FreshEvents | None = None,
    states: _States | None = None,
) -> list[Event]:
    """The derived events reconciliation would record for one employee now (none written).

    With ``states``, the derivation resumes from the employee's stored state when the
    events recorded since allow it, and the new state is kept; otherwise (and always
    without ``states``, as ``verify`` calls it) the whole history is derived.
    """
    horizon = ledger.horizon() if states is None else states.horizon
    # Payroll months ending after closing_from, by the horizon, close now (then derive in full).
    closing = (
        horizon is not None and closing_from is not None and month_of(horizon).start > closing_from
    )
    if states is not None:
        resumed = _pending_resumed(
            ledger, employee_id, horizon, fresh, states, closing_from if closing else None
        )
        if resumed is None and employee_id in states.try_prior:
            # The latest state cannot resume (a retraction of a fact it holds only as a
            # tally, a back-dated fact): the older prior one may, deriving a few weeks
            # again instead of the whole history.
            prior = states.load_prior(employee_id, horizon or DAWN)
            if prior is not None:
                resumed = _pending_resumed(
                    ledger,
                    employee_id,
                    horizon,
                    fresh,
                    states,
                    closing_from if closing else None,
                    prior=prior,
                )
                if resumed is not None:
                    DERIVATIONS["prior"] += 1
        if resumed is not None:
            DERIVATIONS["resumed"] += 1
            states.hired.add(employee_id)  # (only a state holding a hire resumes)
            return resumed
    DERIVATIONS["full"] += 1
    recorded = fresh.stream(ledger.store, employee_id) if fresh else None
    if recorded is None:
        recorded = list(ledger.store.read(employee_id=employee_id))
    return _pending_full(ledger, employee_id, recorded, horizon, closing_from, states)[0]


def audit(ledger: Ledger, employee_id: str) -> tuple[list[Event], Derivation, list[SanctionState]]:
    """For ``verify``: from one read of the stream and one derivation from scratch, what
    reconciliation would record now, the derivation, and the recorded consequences (in the
    register's order)."""
    recorded = list(ledger.store.read(employee_id=employee_id))
    new, derived, held = _pending_full(ledger, employee_id, recorded, ledger.horizon(), None, None)
    states = sorted(
        held.values(), key=lambda s: (s.issued.effective_at, s.employee_id, s.sanction_id.int)
    )
    return new, derived, states


def _pending_full(
    ledger: Ledger,
    employee_id: str,
    recorded: list[Recorded],
    horizon: datetime | None,
    closing_from: datetime | None,
    states: _States | None,
) -> tuple[list[Event], Derivation, dict[UUID, SanctionState]]:
    """:func:`pending` deriving the whole history (``recorded`` is the whole stream)."""
    events = employed([r.event for r in recorded])
    rulebooks = ledger.rulebooks() if states is None else states.rulebooks
    now_d = horizon or DAWN
    pause = _pause_at(events, horizon) if states is not None else None
    derived, walk, counted = derive_resumable(
        employee_id, events, rulebooks, now_d, snapshot_at=pause
    )
    now = ledger.now()
    held = fold_sanctions(recorded)
    changes = reconcile_outcomes(derived, held, now)
    new = [derived_event(employee_id, c.data, c.occurred_at) for c in changes]
    facts = [
        e for e in events if not EVENT_TYPES[e.type].DERIVED and e.event_id not in derived.retracted
    ]
    if horizon is not None:
        grades = [r.event for r in recorded if isinstance(r.event.data, GradeAssigned)]
        new += _grade_changes(
            employee_id, employment_quarters(facts, horizon), derived, grades, rulebooks, now
        )
        new += _payroll_closings(
            employee_id,
            facts,
            derived,
            recorded,
            rulebooks,
            horizon,
            horizon if closing_from is None else closing_from,
        )
    if states is not None and walk is not None:
        known = {e.event_id for e in events}
        dangling = frozenset(
            e.data.target_event_id
            for e in events
            if isinstance(e.data, Retracted) and e.data.target_event_id not in known
        )
        span, hired = incremental.span_of(facts)
        version = (recorded[-1].version if recorded else 0) + len(new)
        states.put(
            employee_id,
            resumed=False,
            state=_state(
                walk,
                version=version,
                now=now_d,
                rulebooks=rulebooks,
                retained=incremental.retain(counted, walk.at, rulebooks),
                graded=walk.before,
                offsets=walk.revocations,
                retracted=derived.retracted,
                dangling=dangling,
                upheld=derived.upheld,
                held=_after(dict(held), employee_id, new, now),
                span=span,
                hired=hired,
                met_to=incremental.met_to(employee_id, counted, rulebooks, now_d, walk.at),
            ),
        )
    return new, derived, held


def _pause_at(events: Iterable[Event], horizon: datetime | None) -> datetime:
    """Where the next derivation should be able to resume: the start of the day of the latest
    fact (deadlines are judged up to the horizon, so not after it)."""
    latest = max((e.occurred_at for e in events if not EVENT_TYPES[e.type].DERIVED), default=None)
    if latest is None:
        return horizon or DAWN
    if horizon is not None:
        latest = min(latest, horizon)
    return max(start_of_day(latest.date()), DAWN)


def _after(
    held: dict[UUID, SanctionState], employee_id: str, new: Iterable[Event], now: datetime
) -> dict[UUID, SanctionState]:
    """``held`` with the derived events about to be appended folded in."""
    fold_sanctions(
        (Recorded(e, 0, 0, now, "") for e in new if e.type.startswith("sanction.")), held
    )
    return held


def _state(
    walk: WalkState,
    *,
    version: int,
    now: datetime,
    rulebooks: RulebookSet,
    retained: tuple[list[Event], dict[str, frozenset[str]], incremental.Carried],
    graded: Iterable[incremental.Graded | Outcome],
    offsets: Iterable[Revocation],
    retracted: Mapping[UUID, UUID],
    dangling: frozenset[UUID],
    upheld: Mapping[UUID, UUID],
    held: dict[UUID, SanctionState],
    span: tuple[datetime, datetime | None] | None,
    hired: bool,
    met_to: datetime | None = None,
    encoded: incremental.Encoded | None = None,
) -> DerivationState:
    at = walk.at
    # Quarters ending after the earlier of at and now are not graded yet (without a tick
    # since at, all since now): their outcomes stay for the tick that grades them.
    kept = incremental.keep_graded(graded, min(at, now))
    ids = {g.sanction_id for g in kept}
    return DerivationState(
        at=at,
        version=version,
        now=now,
        books=incremental.books_key(rulebooks),
        facts=tuple(retained[0]),
        closed=retained[1],
        carried=retained[2],
        walk=replace(walk, before=(), revocations=()),
        graded=kept,
        offsets=tuple(r for r in offsets if r.sanction_id in ids),
        retracted=dict(retracted),
        dangling=dangling,
        upheld=dict(upheld),
        held=incremental.keep_held(held, at),
        span=span,
        hired=hired,
        met_to=met_to,
        encoded=encoded if encoded is not None else {},
    )


def _pending_resumed(
    ledger: Ledger,
    employee_id: str,
    horizon: datetime | None,
    fresh: _FreshEvents | None,
    states: _States,
    closing_from: datetime | None = None,
    prior: DerivationState | None = None,
) -> list[Event] | None:
    """:func:`pending` from the stored state (``prior``: from that older one), or ``None``
    when it cannot resume.

    ``closing_from``: payroll months ending after it, by the horizon, close now (PAY-01)."""
    now_d = horizon or DAWN
    state = states.load(employee_id, now_d) if prior is None else prior
    rulebooks = states.rulebooks
    if state is None or not state.hired or not incremental.plan(state, (), rulebooks, now_d):
        return None  # (an employee not hired yet derives nothing: in full, cheaply)
    store = ledger.store
    items = None if fresh is None or fresh.overflow else fresh.by_employee.get(employee_id)
    if items and items[0].version == state.version + 1:
        new_recorded = list(items)
    else:
        new_recorded = list(store.read(employee_id=employee_id, after_version=state.version))
    new_events = [r.event for r in new_recorded]
    by_id = {e.event_id: e for e in state.facts}
    known = by_id
    if any(isinstance(e.data, Retracted) for e in new_events):
        # (a retraction may name a fact recorded since the state: one derived again here)
        known = {**by_id, **{e.event_id: e for e in new_events if not EVENT_TYPES[e.type].DERIVED}}
    if not incremental.plan(state, new_events, rulebooks, now_d, known):
        if prior is None:
            states.try_prior.add(employee_id)  # (refused for what was recorded since)
        return None
    pause = max(state.at, _pause_at([*by_id.values(), *new_events], horizon))
    observed = [e for e in new_events if not EVENT_TYPES[e.type].DERIVED]
    derived, walk, counted = derive_resumable(
        employee_id,
        [*by_id.values(), *observed],
        rulebooks,
        now_d,
        resume=state.walk,
        retracted=state.retracted,
        upheld=state.upheld,
        snapshot_at=pause,
        carried=state.carried,
    )
    assert walk is not None
    now = ledger.now()
    # Folded onto in place below: copies, since the state may be kept for the next write.
    held = {key: replace(h, history=list(h.history)) for key, h in state.held.items()}
    fold_sanctions(new_recorded, held)
    changes = reconcile_outcomes(derived, held, now)
    new = [derived_event(employee_id, c.data, c.occurred_at) for c in changes]
    span = incremental.new_span(state, new_events)
    if horizon is not None:
        graded_to = min(state.at, state.now)  # (no tick since at: none since now)
        quarters = [q for q in span_quarters(span, horizon) if q.end > graded_to]
        if quarters:
            inputs = _GradeInputs(
                (*state.graded, *derived.outcomes), (*state.offsets, *derived.revocations)
            )
            grades = [
                r.event
                for r in store.read(employee_id=employee_id, types=frozenset({"grade.assigned"}))
            ]
            new += _grade_changes(employee_id, quarters, inputs, grades, rulebooks, now)
    if closing_from is not None and horizon is not None:
        closings = _payroll_resumed(
            ledger, employee_id, state.at, derived, rulebooks, horizon, closing_from
        )
        if closings is None:
            return None  # nothing was written: derived in full instead
        new += closings
    last = new_recorded[-1].version if new_recorded else state.version
    states.put(
        employee_id,
        resumed=True,
        state=_state(
            walk,
            version=last + len(new),
            now=now_d,
            rulebooks=rulebooks,
            retained=incremental.retain(counted, walk.at, rulebooks, state.closed, state.carried),
            graded=(*state.graded, *walk.before),
            offsets=(*state.offsets, *walk.revocations),
            retracted=derived.retracted,
            dangling=state.dangling,
            upheld=derived.upheld,
            held=_after(held, employee_id, new, now),
            span=span,
            hired=state.hired,
            met_to=incremental.met_to(employee_id, counted, rulebooks, now_d, walk.at, state),
            encoded=state.encoded,
        ),
    )
    return new


@dataclass(frozen=True, slots=True)
class _GradeInputs:
    outcomes: tuple[incremental.Graded | Outcome, ...]
    revocations: tuple[Revocation, ...]


def _grade_changes(
    employee_id: str,
    quarters: list[Period],
    derived: GradeInputs,
    recorded_grades: Iterable[Event],
    rulebooks: RulebookSet,
    now: datetime,
) -> list[Event]:
    latest: dict[str, tuple[Event, GradeAssigned]] = {}
    for event in recorded_grades:
        if isinstance(event.data, GradeAssigned):
            latest[event.data.period] = (event, event.data)
    out = []
    for grade in grades_for(derived, quarters, rulebooks):
        prior = latest.get(grade.period)
        data = GradeAssigned(
            period=grade.period,
            level=grade.level,
            score=grade.score,
            components=grade.components,
            capped_by=grade.capped_by,
            rulebook_version=grade.rulebook_version,
        )
        if prior is None:
            out.append(derived_event(employee_id, data, Period.parse(grade.period).end))
            continue
        before = prior[1]
        same = (before.level, before.score, before.components, before.capped_by) == (
            data.level,
            data.score,
            data.components,
            data.capped_by,
        )
        if not same:
            reason = (
                f"the truth about {grade.period} changed: score {before.score} -> "
                f"{data.score}, level {before.level} -> {data.level}"
            )
            out.append(
                derived_event(
                    employee_id,
                    data.model_copy(update={"supersedes": prior[0].event_id, "reason": reason}),
                    now,
                )
            )
    return out


def _payroll_closings(
    employee_id: str,
    facts: list[Event],
    derived: Derivation,
    recorded: list[Recorded],
    rulebooks: RulebookSet,
    horizon: datetime,
    closing_from: datetime,
) -> list[Event]:
    if closing_from >= horizon:
        return []
    closed = [r.event.data for r in recorded if isinstance(r.event.data, PayrollClosed)]
    if any(f.occurred_at > horizon for f in facts):
        # Close as of the horizon, as `employee_view(as_of=horizon)` computes the month:
        # a fact that occurred later (a tick --now behind the clock) settles in a later
        # month, instead of reaching back into the month being closed.
        observed = employed(
            [
                r.event
                for r in recorded
                if not EVENT_TYPES[r.event.type].DERIVED and r.event.occurred_at <= horizon
            ]
        )
        derived = derive(employee_id, observed, rulebooks, horizon)
        facts = [f for f in observed if f.event_id not in derived.retracted]
    return _closings(employee_id, facts, derived, closed, rulebooks, horizon, closing_from)


def _closings(
    employee_id: str,
    facts: list[Event],
    derived: Derivation,
    closed: list[PayrollClosed],
    rulebooks: RulebookSet,
    horizon: datetime,
    closing_from: datetime,
) -> list[Event]:
    """The ``payroll.closed`` records of the months ending after ``closing_from``, by the
    horizon."""
    months = payroll_months(
        employee_id,
        facts,
        derived,
        closed,
        rulebooks,
        closed_through=closing_from,
        through=month_of(horizon - _INSTANT),
    )
    return [
        derived_event(employee_id, m.to_closed(), Period.parse(m.month).last_instant)
        for m in months
        if not m.closed and Period.parse(m.month).end <= horizon
    ]


_PAYROLL_READ = frozenset(
    {
        "sanction.issued",
        "sanction.voided",
        "sanction.reinstated",
        "payroll.closed",
        "employee.hired",
        "employee.wage_changed",
    }
)
_INSTANT = timedelta(microseconds=1)


def _payroll_resumed(
    ledger: Ledger,
    employee_id: str,
    at: datetime,
    derived: Derivation,
    rulebooks: RulebookSet,
    horizon: datetime,
    closing_from: datetime,
) -> list[Event] | None:
    """:func:`_payroll_closings` of a derivation resumed at ``at``, or ``None`` when only a
    full derivation can close (docs/ARCHITECTURE.md, "Derivation state").

    A payroll month reads every fine, compensation and bonus and the wages. Those issued
    before ``at`` are the recorded ones still standing (a resumed reconciliation leaves them
    as they are: settled), those from ``at`` on the resumed derivation's; the wages and the
    months already closed are read from the stream by type."""
    if closing_from >= horizon:
        return []
    later = ledger.store.read(employee_id=employee_id, occurred_from=horizon + _INSTANT)
    if any(not EVENT_TYPES[r.event.type].DERIVED for r in later):
        # A fact, an appeal or a retraction that occurred after the horizon (a tick behind
        # the clock): the months close as of the horizon, from the facts up to it, in full.
        return None
    recorded = list(ledger.store.read(employee_id=employee_id, types=_PAYROLL_READ))
    settled = []
    for held in fold_sanctions(recorded).values():
        issued = held.issued
        if held.voided or issued.kind not in PAYABLE or issued.effective_at >= at:
            continue
        outcome = incremental.outcome_of(issued, employee_id, rulebooks)
        if outcome is None:
            return None
        settled.append(outcome)
    outcomes = (*settled, *(o for o in derived.outcomes if o.kind in PAYABLE))
    wages = employed([r.event for r in recorded if not EVENT_TYPES[r.event.type].DERIVED])
    return _closings(
        employee_id,
        [f for f in wages if f.event_id not in derived.retracted],
        Derivation(employee_id, outcomes, (), (), derived.retracted, derived.upheld),
        [r.event.data for r in recorded if isinstance(r.event.data, PayrollClosed)],
        rulebooks,
        horizon,
        closing_from,
    )


def _append_derived(ledger: Ledger, events: list[Event]) -> AppendReport:
    """Append what the ledger derived: the one caller the store lets write ledger-only types
    (:class:`~ledger.store.base.DerivationSeal`)."""
    return ledger.store.append(events, seal=_DERIVATION_SEAL)


def derived_event(employee_id: str, data: EventData, occurred_at: datetime) -> Event:
    return Event.of(data, employee_id=employee_id, occurred_at=occurred_at, recorded_by=DERIVED_BY)


def tick(ledger: Ledger, now: datetime | None = None, stages: Stages | None = None) -> TickReport:
    """Evaluate deadlines up to ``now`` (default: the clock) and reconcile.

    The horizon only moves forward: a tick earlier than the last one evaluates nothing
    new. Every employee with a deadline-bearing fact is reconciled. ``stages`` is told
    :data:`FINDING_DUE`, then :data:`RECONCILING` with the employees done and their total.

    Raises:
        UsageError: ``now`` lies in the future of the ledger's clock.
    """
    clock = ledger.now()
    when = (now or clock).astimezone(COMPANY_TZ)
    if when > clock + ledger.store.future_tolerance:
        raise UsageError(
            f"--now {when.isoformat()} is in the future of the ledger's clock ({clock.isoformat()})"
        )
    # Only the tick's own transaction holds what other processes cannot see yet (its
    # ledger.ticked): then its derivations may run in worker processes.
    outermost = not ledger.store.in_transaction()
    with _bulk(), ledger.store.transaction():
        previous = ledger.horizon()  # under the write lock: concurrent ticks add one
        if previous is None or when > previous:
            _append_derived(ledger, [derived_event(LEDGER_STREAM, Ticked(now=when), clock)])
        horizon = ledger.horizon()
        assert horizon is not None
        if stages is not None:
            stages(FINDING_DUE, 0, None)
        if previous is None or month_of(previous) != month_of(horizon):
            # A month (maybe a quarter) ended: payroll closes and grades are due for all.
            due = set(ledger.employees())
        else:
            due = _deadlines_between(ledger, previous, horizon)
        stopped: list[str] = []
        derived = reconcile_all(
            ledger,
            due,
            closing_from=previous or DAWN,
            progress=_stage(stages, RECONCILING),
            parallel=outermost,
            stopped=stopped,
        )
    return TickReport(horizon, len(due), derived, stopped[0] if stopped else None)


def record_checkpoint(ledger: Ledger, sign: Callable[[int], CheckpointIssued]) -> Recorded:
    """Record that a checkpoint of the log was issued (``ledger.checkpointed``, ledger-only).

    Under the write lock, so the checkpoint covers exactly the events before its own record:
    ``sign`` gets that size (the head) and returns the signed checkpoint's event data.
    """
    with ledger.store.transaction():
        size = ledger.store.head()
        data = sign(size)
        report = _append_derived(ledger, [derived_event(LEDGER_STREAM, data, ledger.now())])
    return report.appended[0]


def _stage(stages: Stages | None, stage: str) -> Callable[[int, int], None] | None:
    """``(done, total)`` reports of one stage, passed on to ``stages``."""
    if stages is None:
        return None
    report = stages
    return lambda done, total: report(stage, done, total)


def _deadlines_between(ledger: Ledger, after: datetime, until: datetime) -> set[str]:
    """The employees with a deadline in ``(after, until]``: a complaint's reply, resolution
    or apology (its fact occurred within the longest deadline of any rulebook before), a
    task's due time. Read from the rows, without decoding the events; everyone else has
    nothing a tick can change (every write reconciles its employees)."""
    reach = incremental.deadline_reach(ledger.rulebooks())
    due = {
        row.employee_id
        for row in ledger.store.rows(
            types=DEADLINE_TYPES - {"task.assigned"},
            occurred_from=after - reach,
            occurred_to=until,
        )
    }
    for row in ledger.store.rows(types=frozenset({"task.assigned"}), occurred_to=until):
        if row.employee_id not in due:
            due_at = datetime.fromisoformat(orjson.loads(row.data)["due_at"])
            if after < due_at <= until:
                due.add(row.employee_id)
    return due


class _BulkWork:
    """Raise the collector's first threshold during bulk work, then restore it.

    Bulk work allocates millions of short-lived objects and keeps many long-lived ones (the
    events of a batch, derivations): the default threshold (700) makes the collector scan
    them again and again; measured on a 100k-event import, this saves about a fifth of the
    CPU. The thresholds are per process, so nested and concurrent users share one setting.
    """

    THRESHOLD = 100_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._saved: tuple[int, int, int] = gc.get_threshold()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                self._saved = gc.get_threshold()
                gc.set_threshold(max(self.THRESHOLD, self._saved[0]), *self._saved[1:])
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    gc.set_threshold(*self._saved)


_bulk = _BulkWork()


class _FreshEvents:
    """Events appended in the current operation, per employee, so reconciling them does not
    parse them again; capped, because an import may be larger than memory."""

    CAP = 50_000

    def __init__(self) -> None:
        self.by_employee: dict[str, list[Recorded]] = {}
        self.count = 0
        self.overflow = False

    def add(self, recorded: Iterable[Recorded]) -> None:
        if self.overflow:
            return
        for item in recorded:
            self.by_employee.setdefault(item.event.employee_id, []).append(item)
            self.count += 1
        if self.count > self.CAP:
            self.overflow = True
            self.by_employee.clear()

    def stream(self, store: EventStore, employee_id: str) -> list[Recorded] | None:
        """The whole stream: stored events before the fresh ones, read, plus the fresh ones."""
        items = None if self.overflow else self.by_employee.get(employee_id)
        if not items:
            return None
        older = list(store.read(employee_id=employee_id, to_position=items[0].position - 1))
        return older + items
