"""The store contract shared by every backend: idempotent, chained, append-only batches.

A backend implements a handful of row-level methods (the *recorder*); this base class turns
them into the contract of docs/ARCHITECTURE.md ("Store contract"): one transaction per
batch, gapless positions, per-employee versions, optimistic concurrency, idempotency by
``event_id``, and a sha256 hash chain ``hash = sha256(prev_hash || canonical_json(record))``
over the whole log.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal, NamedTuple, NoReturn, final
from uuid import UUID, SafeUUID

import orjson

from ledger.errors import (
    AccessDenied,
    ConcurrencyError,
    ConflictError,
    FieldProblem,
    TamperedError,
    UsageError,
    ValidationFailed,
)
from ledger.events import (
    EVENT_TYPES,
    Event,
    EventData,
    canonical_json,
    event_to_wire,
    parse_event,
    wire_json,
)
from ledger.events.base import assembled
from ledger.timeutil import COMPANY_TZ

__all__ = [
    "GENESIS_HASH",
    "LEDGER_ACTOR",
    "LEDGER_ONLY_PREFIXES",
    "AppendReport",
    "ChainReport",
    "Columns",
    "DerivationSeal",
    "EventStore",
    "ReadFilter",
    "Recorded",
    "Row",
    "chain_hash",
    "columns_of",
    "event_of_columns",
    "is_ledger_only",
    "record_of_row",
]

GENESIS_HASH = "0" * 64
FUTURE_TOLERANCE = timedelta(minutes=5)
POLL_SECONDS = 0.05
"""How often :meth:`EventStore.wait_for` looks at the head on a backend without notices."""
LEDGER_ACTOR = "ledger"
"""``recorded_by`` of every event the derivation path writes, and of nothing else."""
LEDGER_ONLY_PREFIXES = ("sanction.", "grade.", "payroll.", "ledger.")
"""Types the ledger alone writes: what it derives (docs/ARCHITECTURE.md, "Access")."""


def is_ledger_only(type_name: str) -> bool:
    """Whether only the derivation path may append events of ``type_name``."""
    return type_name.startswith(LEDGER_ONLY_PREFIXES)


@final
class DerivationSeal:
    """The derivation path's permission to append ledger-only types (``sanction.*``,
    ``grade.*``, ``payroll.*``, ``ledger.*``).

    :meth:`EventStore.append` refuses those types unless given *the* seal, a single
    instance that cannot be constructed, copied into another or pickled. Only
    :mod:`ledger.write` imports it (a test holds the package to that), so no ordinary
    caller, through the library or any backend, appends a consequence by accident.
    """

    __slots__ = ()

    def __new__(cls) -> DerivationSeal:
        raise UsageError("the derivation seal is not for callers; record facts instead")

    def __copy__(self) -> DerivationSeal:
        return self

    def __deepcopy__(self, memo: object) -> DerivationSeal:
        return self

    def __reduce__(self) -> NoReturn:
        raise TypeError("the derivation seal cannot be pickled")


_DERIVATION_SEAL: Final[DerivationSeal] = object.__new__(DerivationSeal)


class Row(NamedTuple):
    """One stored event exactly as a backend keeps it (text columns, canonical JSON)."""

    position: int
    event_id: UUID
    employee_id: str
    version: int
    type: str
    schema_version: int
    occurred_at: str
    recorded_at: str
    recorded_by: str
    source: str | None
    evidence: str
    correlation_id: str | None
    causation_id: str | None
    data: str
    hash: str


@dataclass(frozen=True, slots=True)
class Recorded:
    """An event as stored: the event plus what the store assigned to it."""

    event: Event
    position: int
    version: int
    recorded_at: datetime
    hash: str

    @property
    def event_id(self) -> UUID:
        """The event's id."""
        return self.event.event_id


@dataclass(frozen=True, slots=True)
class AppendReport:
    """What one ``append`` did: every event either appended or already present."""

    appended: tuple[Recorded, ...] = ()
    already_present: tuple[UUID, ...] = ()

    def status(self, event_id: UUID) -> Literal["appended", "already_present"]:
        """The outcome for one event id of the batch."""
        if any(r.event_id == event_id for r in self.appended):
            return "appended"
        if event_id in self.already_present:
            return "already_present"
        raise KeyError(event_id)


@dataclass(frozen=True, slots=True)
class ChainReport:
    """Result of walking the hash chain."""

    ok: bool
    checked: int
    head_hash: str
    first_bad_position: int | None = None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class ReadFilter:
    """Which events a read returns, and in which order.

    Every bound is inclusive except ``after_version``. Results come in position order
    (newest first with ``reverse``), at most ``limit`` of them: "the last 20 events of
    E1001" is ``ReadFilter(employee_id="E1001", reverse=True, limit=20)``, and "the stream
    after a snapshot at version 40" is ``ReadFilter(employee_id=..., after_version=40)``;
    neither scans the whole stream.
    """

    employee_id: str | None = None
    types: frozenset[str] | None = None
    from_position: int = 1
    to_position: int | None = None
    after_version: int | None = None
    to_version: int | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None
    limit: int | None = None
    reverse: bool = False

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 0:
            raise UsageError(f"limit must be 0 or more, not {self.limit}")


def _sanction_prefix(prefix: str) -> str:
    text = prefix.strip().lower()
    if not re.fullmatch(r"[0-9a-f-]{0,36}", text):
        raise UsageError(f"{prefix!r} is not a consequence id (hex digits and dashes)")
    return text


def _iso(moment: datetime) -> str:
    return moment.astimezone(COMPANY_TZ).isoformat()


def record_of_row(row: Row) -> dict[str, Any]:
    """The canonical record of a row: its wire form plus position, version and recorded_at."""
    record: dict[str, Any] = {
        "data": orjson.loads(row.data),
        "employee_id": row.employee_id,
        "event_id": str(row.event_id),
        "evidence": orjson.loads(row.evidence),
        "occurred_at": row.occurred_at,
        "position": row.position,
        "recorded_at": row.recorded_at,
        "recorded_by": row.recorded_by,
        "schema_version": row.schema_version,
        "type": row.type,
        "version": row.version,
    }
    for name in ("source", "correlation_id", "causation_id"):
        value = getattr(row, name)
        if value is not None:
            record[name] = value
    return record


def wire_of_row(row: Row) -> dict[str, Any]:
    """The wire form of a stored row (what the client sent)."""
    record = record_of_row(row)
    for name in ("position", "recorded_at", "version"):
        del record[name]
    return record


def chain_hash(prev_hash: str, record: Mapping[str, Any]) -> str:
    """``sha256(prev_hash || canonical_json(record))`` as hex, ``prev_hash`` as raw bytes."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical_json(record)).hexdigest()


def _row_for(
    event: Event, wire: dict[str, Any], position: int, version: int, recorded_at: str, prev: str
) -> Row:
    record = {**wire, "position": position, "recorded_at": recorded_at, "version": version}
    return Row(
        position=position,
        event_id=event.event_id,
        employee_id=event.employee_id,
        version=version,
        type=event.type,
        schema_version=event.schema_version,
        occurred_at=wire["occurred_at"],
        recorded_at=recorded_at,
        recorded_by=event.recorded_by,
        source=event.source,
        evidence=canonical_json(wire["evidence"]).decode(),
        correlation_id=wire.get("correlation_id"),
        causation_id=wire.get("causation_id"),
        data=canonical_json(wire["data"]).decode(),
        hash=chain_hash(prev, record),
    )


_new = object.__new__
_set = object.__setattr__
_int_of = int.from_bytes
_from_iso = datetime.fromisoformat
_UNKNOWN = SafeUUID.unknown


def uuid_of(raw: Any) -> UUID:
    """The :class:`UUID` of a stored 16-byte id, as ``UUID(bytes=raw)`` builds it (the same
    ``int`` and ``is_safe``) without its argument checks: a third of its cost, on every row
    read."""
    if type(raw) is not bytes:
        raw = bytes(raw)
    if len(raw) != 16:
        return UUID(bytes=raw)  # raises ValueError
    found = _new(UUID)
    _set(found, "int", int.from_bytes(raw, "big"))
    _set(found, "is_safe", _UNKNOWN)
    return found


def recorded_of_row(row: Row | Sequence[Any]) -> Recorded:
    """Rebuild the typed event of a row the store wrote and chained (the trusted read path).

    The envelope is assembled without validation: the store wrote it from a validated event
    and the hash chain (``verify``) vouches that it was not altered. Only ``data`` is
    validated, through its type's model, which converts its JSON into typed values; equal
    payloads share one frozen instance. Rows of an older schema version go through
    :func:`~ledger.events.parse_event`, which upcasts them. docs/ARCHITECTURE.md, "Read
    models" ("Trusted reads").

    Raises:
        TamperedError: the row cannot be decoded (it was altered outside the ledger).
    """
    (position, event_id, employee_id, version, type_name, schema_version, occurred_at,
     recorded_at, recorded_by, source, evidence, correlation_id, causation_id, data,
     hash_) = row  # fmt: skip
    model = EVENT_TYPES.get(type_name)
    try:
        if type(event_id) is bytes and len(event_id) == 16:  # as a SQL backend reads it
            # uuid_of, inlined: this runs for every row read.
            uid = _new(UUID)
            _set(uid, "int", _int_of(event_id, "big"))
            _set(uid, "is_safe", _UNKNOWN)
            event_id = uid
        elif type(event_id) is not UUID:
            event_id = uuid_of(event_id)
        if model is None or schema_version != model.SCHEMA_VERSION:
            event = parse_event(wire_of_row(Row(position, event_id, *row[2:])))
        else:
            payload = _DATA_CACHE.get((type_name, data))
            # The envelope from the columns, without validation: equivalent to
            # Event.model_construct (same __dict__, fields set and equality) at a fifth of
            # its cost. Unpacked and inlined (ledger.events.base.assembled), as this runs for every
            # row read.
            values = {
                "event_id": event_id,
                "type": type_name,
                "schema_version": schema_version,
                "employee_id": employee_id,
                "occurred_at": _from_iso(occurred_at).astimezone(COMPANY_TZ),
                "recorded_by": recorded_by,
                "source": source,
                "evidence": tuple(orjson.loads(evidence)) if evidence != "[]" else (),
                "correlation_id": UUID(correlation_id) if correlation_id else None,
                "causation_id": UUID(causation_id) if causation_id else None,
                "data": payload if payload is not None else _data_of(model, type_name, data),
            }
            event = _new(Event)
            _set(event, "__dict__", values)
            _set(event, "__pydantic_fields_set__", set(values))
            _set(event, "__pydantic_extra__", None)
            _set(event, "__pydantic_private__", None)
    except (ValidationFailed, ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise TamperedError(f"stored event at position {position} is unreadable: {exc}") from exc
    # Recorded(...), through its slots: half the cost of the frozen dataclass's __init__.
    found = _new(Recorded)
    _set_event(found, event)
    _set_position(found, position)
    _set_version(found, version)
    _set_recorded_at(found, _instant_of(recorded_at))
    _set_hash(found, hash_)
    return found


_set_event = Recorded.__dict__["event"].__set__
_set_position = Recorded.__dict__["position"].__set__
_set_version = Recorded.__dict__["version"].__set__
_set_recorded_at = Recorded.__dict__["recorded_at"].__set__
_set_hash = Recorded.__dict__["hash"].__set__


class Columns(NamedTuple):
    """An event not yet stored, in the columns a backend keeps (a :class:`Row` without the
    position, version, ``recorded_at`` and hash the store assigns): what an import's parse
    workers send back and spill (docs/ARCHITECTURE.md, "Input boundary"). Built from a
    validated event by :func:`columns_of`, exactly as :meth:`EventStore.append` writes its
    row, so :func:`event_of_columns` rebuilds it through the trusted read."""

    event_id: bytes
    employee_id: str
    type: str
    schema_version: int
    occurred_at: str
    recorded_by: str
    source: str | None
    evidence: str
    correlation_id: str | None
    causation_id: str | None
    data: str

    def uuid(self) -> UUID:
        """The event id."""
        return uuid_of(self.event_id)

    def instant(self) -> datetime:
        """When the event occurred (company time)."""
        return datetime.fromisoformat(self.occurred_at).astimezone(COMPANY_TZ)

    def row(self) -> Row:
        """The columns as a :class:`Row` at position 0 (for :func:`wire_of_row`)."""
        return Row(
            0, self.uuid(), self.employee_id, 0, self.type, self.schema_version,
            self.occurred_at, _COLUMNS_RECORDED_AT, self.recorded_by, self.source,
            self.evidence, self.correlation_id, self.causation_id, self.data, "",
        )  # fmt: skip


_COLUMNS_RECORDED_AT = "1970-01-01T08:00:00+08:00"


def columns_of(event: Event) -> Columns:
    """The stored columns of a validated event (as :func:`_row_for` writes them)."""
    wire = event_to_wire(event)
    return Columns(
        event.event_id.bytes,
        event.employee_id,
        event.type,
        event.schema_version,
        wire["occurred_at"],
        event.recorded_by,
        event.source,
        canonical_json(wire["evidence"]).decode(),
        wire.get("correlation_id"),
        wire.get("causation_id"),
        canonical_json(wire["data"]).decode(),
    )


def event_of_columns(columns: tuple[Any, ...]) -> Event:
    """The event :func:`columns_of` was given (its :class:`Columns`, or their plain tuple),
    rebuilt by the trusted read (only ``data`` is validated, by its type's model): equal to
    it, field for field."""
    (event_id, employee_id, type_name, schema_version, occurred_at, recorded_by, source,
     evidence, correlation_id, causation_id, data) = columns  # fmt: skip
    return recorded_of_row(
        (0, event_id, employee_id, 0, type_name, schema_version, occurred_at,
         _COLUMNS_RECORDED_AT, recorded_by, source, evidence, correlation_id, causation_id,
         data, "")
    ).event  # fmt: skip


_DATA_CACHE: dict[tuple[str, str], EventData] = {}
_DATA_CACHE_SIZE = 2_048
"""Decoded payloads kept (then the cache starts over): a bound on memory, not on the log.
Measured at 200k events: 50,000 entries held 100-190 MB (a sanction payload and its key
text take 5-7 KB) and saved no measurable CPU on import, tick, report or sanctions, whose
reads rarely meet the same payload twice far apart. Replay and rebuild at 100k events: 67% hits;
an unbounded cache would save 5% of the misses' decoding, which are mostly payloads that occur
once (docs/ARCHITECTURE.md, "Read models")."""
_INSTANT_CACHE: dict[str, datetime] = {}


def _data_of(model: type[EventData], type_name: str, text: str) -> EventData:
    """The validated data model of a stored ``data`` JSON (frozen: equal texts share one)."""
    key = (type_name, text)
    found = _DATA_CACHE.get(key)
    if found is None:
        # pydantic-core parses the JSON itself: a quarter faster than orjson.loads and
        # validating the Python objects, with the same values (stored money is a string,
        # as JSON-mode validation of Money requires).
        found = model.model_validate_json(text)
        if len(_DATA_CACHE) >= _DATA_CACHE_SIZE:
            _DATA_CACHE.clear()
        _DATA_CACHE[key] = found
    return found


def _instant_of(text: str) -> datetime:
    """A stored ISO 8601 instant in company time (a batch shares its ``recorded_at``)."""
    found = _INSTANT_CACHE.get(text)
    if found is None:
        found = datetime.fromisoformat(text).astimezone(COMPANY_TZ)
        if len(_INSTANT_CACHE) >= _DATA_CACHE_SIZE:
            _INSTANT_CACHE.clear()
        _INSTANT_CACHE[text] = found
    return found


def retained_event(
    event_id: UUID, type_name: str, employee_id: str, occurred_at: datetime, data_json: str
) -> Event:
    """An event rebuilt from the parts a derivation reads (id, type, employee, valid time,
    data), for facts a derivation state keeps (``ledger.policies.incremental``); the rest of
    the envelope is left at its defaults. Never stored or shown: derivation input only."""
    model = EVENT_TYPES[type_name]
    values = {
        "event_id": event_id,
        "type": type_name,
        "schema_version": model.SCHEMA_VERSION,
        "employee_id": employee_id,
        "occurred_at": occurred_at,
        "recorded_by": "ledger",
        "source": None,
        "evidence": (),
        "correlation_id": None,
        "causation_id": None,
        "data": _data_of(model, type_name, data_json),
    }
    return assembled(Event, values)




def _check_writer(event: Event, sealed: bool) -> None:
    """Ledger-only types come from the derivation path (sealed) as ``"ledger"``; nothing
    else may use that name."""
    where = f"event {event.event_id}"
    if is_ledger_only(event.type):
        if not sealed:
            raise AccessDenied(
                event.recorded_by,
                event.type,
                "only the ledger's derivation path writes it; the store refuses it from "
                "any other caller",
                where=where,
            )
        if event.recorded_by != LEDGER_ACTOR:
            raise ValidationFailed.single(
                "recorded_by", f"{event.type} is recorded by {LEDGER_ACTOR!r}", where=where
            )
    elif event.recorded_by == LEDGER_ACTOR:
        raise AccessDenied(
            LEDGER_ACTOR,
            event.type,
            f"{LEDGER_ACTOR!r} is the name of the derivation path; record facts under your own",
            where=where,
        )


class EventStore(ABC):
    """Append-only event log with a hash chain. Backends implement the ``_`` methods."""

    readonly: bool = False
    """True for a store opened read-only: every write raises :class:`StorageError`."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] | None = None,
        future_tolerance: timedelta = FUTURE_TOLERANCE,
    ) -> None:
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(COMPANY_TZ))
        self.future_tolerance = future_tolerance

    # -- the recorder interface a backend provides -------------------------------------------

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """A write transaction (re-entrant); everything inside commits or rolls back together."""

    def in_transaction(self) -> bool:
        """Whether this thread is inside :meth:`transaction` (what it wrote is not yet
        visible to other connections or processes)."""
        return bool(getattr(getattr(self, "_local", None), "depth", 0))

    def on_rollback(self, action: Callable[[], None]) -> None:
        """Call ``action`` if the write transaction this thread is in rolls back: a cache of
        what the transaction derived lets go of it (docs/ARCHITECTURE.md, "Derivation
        state"). Outside a transaction, nothing is registered."""
        local = getattr(self, "_local", None)
        if not getattr(local, "depth", 0):
            return
        actions: list[Callable[[], None]] | None = getattr(local, "on_rollback", None)
        if actions is None:
            local.on_rollback = actions = []  # type: ignore[union-attr]
        actions.append(action)

    def _ended(self, committed: bool) -> None:
        """The outermost transaction of this thread committed or rolled back (backends using
        ``self._local`` call this, before anything another writer could act on: a rollback
        that releases the write lock, say): run the rollback actions, or drop them; a second
        call finds none."""
        local = getattr(self, "_local", None)
        actions: list[Callable[[], None]] | None = getattr(local, "on_rollback", None)
        if actions is None:
            return
        local.on_rollback = None  # type: ignore[union-attr]
        if not committed:
            for action in reversed(actions):
                action()

    @abstractmethod
    def _existing(self, event_ids: Sequence[UUID]) -> dict[UUID, Row]:
        """Stored rows for those ids that exist."""

    @abstractmethod
    def _stream_versions(self, employee_ids: Iterable[str]) -> dict[str, int]:
        """Current version of each named stream (absent streams omitted)."""

    @abstractmethod
    def _head_row(self) -> Row | None:
        """The row at the highest position."""

    @abstractmethod
    def _insert(self, rows: Sequence[Row]) -> None:
        """Insert rows (already positioned, versioned and chained) and advance stream heads."""

    @abstractmethod
    def _rows(self, flt: ReadFilter) -> Iterator[Row]:
        """Stored rows matching ``flt`` in position order, streamed."""

    @abstractmethod
    def employees(self) -> list[str]:
        """Every stream key (employee ids and ``_ledger``), sorted."""

    @abstractmethod
    def close(self) -> None:
        """Release the backend's resources."""

    # -- projection storage (read models: caches, never facts) --------------------------------

    @abstractmethod
    def projection_checkpoint(self, name: str) -> int:
        """The last log position projection ``name`` has applied (0 when never built)."""

    @abstractmethod
    def projection_rows(
        self, name: str, employee_id: str | None = None
    ) -> Iterator[tuple[str, str, str]]:
        """``(key, employee_id, value JSON)`` rows of a projection, by key."""

    @abstractmethod
    def projection_replace(
        self,
        name: str,
        employees: Iterable[str],
        rows: Iterable[tuple[str, str, str]],
        checkpoint: int,
    ) -> None:
        """Replace the rows of ``employees`` by ``rows`` and move the checkpoint."""

    @abstractmethod
    def projection_drop(self, name: str) -> None:
        """Forget a projection's rows and checkpoint (the listing read models' rebuild)."""

    @abstractmethod
    def projection_retain(self, name: str, owners: Collection[str]) -> None:
        """Delete the rows of ``name`` whose owner is not in ``owners`` (a rebuild, which
        replaces the rows of every owner it computes, clears the others this way)."""

    def projection_page(
        self,
        name: str,
        *,
        employee_id: str | None = None,
        key_from: str | None = None,
        key_to: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Iterator[tuple[str, str, str]]:
        """A page of a listing: the rows of ``name`` with ``key_from <= key < key_to`` (of one
        employee, if given), by key, the first ``offset`` skipped, at most ``limit`` of them.

        Read models key their rows so that key order is the listing's order and a period is a
        key range (docs/ARCHITECTURE.md, "Read models"). This generic version filters
        :meth:`projection_rows`; a backend answers from its ``(name, key)`` and
        ``(name, employee_id)`` indexes instead.
        """
        rows = (
            row
            for row in self.projection_rows(name, employee_id)
            if (key_from is None or row[0] >= key_from) and (key_to is None or row[0] < key_to)
        )
        yield from itertools.islice(rows, offset, None if limit is None else offset + limit)

    def projection_count(
        self,
        name: str,
        *,
        employee_id: str | None = None,
        key_from: str | None = None,
        key_to: str | None = None,
    ) -> int:
        """How many rows :meth:`projection_page` has with the same filters and no paging."""
        rows = self.projection_page(name, employee_id=employee_id, key_from=key_from, key_to=key_to)
        return sum(1 for _ in rows)

    def offer_projection(
        self,
        name: str,
        employees: Iterable[str],
        rows: Iterable[tuple[str, str, str]],
        checkpoint: int,
        since: int,
    ) -> bool:
        """Save rows a reader computed, if nobody else has moved the checkpoint from ``since``.

        A read model is a cache: a store may decline (a read-only store whose write lock is
        busy right now); the caller keeps its rows in memory either way.

        Returns:
            Whether the rows were saved.
        """
        if self.readonly:
            return False
        with self.transaction():
            if self.projection_checkpoint(name) != since:
                return False
            self.projection_replace(name, employees, rows, checkpoint)
        return True

    # -- the contract ----------------------------------------------------------------------

    def append(
        self,
        events: Sequence[Event],
        *,
        expected_version: int | Mapping[str, int] | None = None,
        seal: DerivationSeal | None = None,
    ) -> AppendReport:
        """Append a batch atomically.

        Args:
            events: the batch, in the order positions are assigned.
            expected_version: the stream version the caller last saw; an ``int`` when the batch
                is for one employee, else a mapping from employee id to version.
            seal: the derivation path's :class:`DerivationSeal`; without it, ledger-only
                types are refused.

        Returns:
            Which events were appended and which were already present (same id, same content).

        Raises:
            ConflictError: an id is stored (or repeated in the batch) with other content.
            ConcurrencyError: a stream is not at the expected version.
            ValidationFailed: an ``occurred_at`` lies in the future of the store's clock.
            AccessDenied: a ledger-only type without the seal, or a fact recorded as
                ``"ledger"``; nothing is written.
        """
        with self.transaction():
            return self._append(events, expected_version, seal is _DERIVATION_SEAL)

    def _append(
        self, events: Sequence[Event], expected: int | Mapping[str, int] | None, sealed: bool
    ) -> AppendReport:
        if not events:
            if isinstance(expected, Mapping):
                self._check_expected(events, expected, self._stream_versions(expected))
            elif expected is not None:
                raise UsageError("an int expected_version needs a batch for one employee")
            return AppendReport()
        for event in events:
            model = EVENT_TYPES.get(event.type)
            if model is None or not isinstance(event.data, model):
                raise ValidationFailed.single(
                    "type",
                    f"{event.type!r} is not an event type of the catalogue"
                    if model is None
                    else f"data is not of type {event.type}",
                    where=f"event {event.event_id}",
                )
            _check_writer(event, sealed)
        existing = self._existing([e.event_id for e in events])
        fresh: list[tuple[Event, dict[str, Any]]] = []
        seen: dict[UUID, bytes] = {}
        present: list[UUID] = []
        for event in events:
            form = event_to_wire(event)
            wire = canonical_json(form)
            stored = existing.get(event.event_id)
            prior = (
                canonical_json(wire_of_row(stored))
                if stored is not None
                else seen.get(event.event_id)
            )
            if prior is None:
                seen[event.event_id] = wire
                fresh.append((event, form))
            elif prior == wire:
                present.append(event.event_id)
            else:
                raise ConflictError(
                    str(event.event_id),
                    f"type {event.type}",
                    position=stored.position if stored is not None else None,
                )
        if not fresh:
            # A retry of a committed batch is answered, not refused, even though its
            # expected_version is now behind: the retry's intent was already fulfilled.
            return AppendReport(already_present=tuple(present))
        streams = {e.employee_id for e in events}
        if isinstance(expected, Mapping):
            streams.update(expected)
        versions = self._stream_versions(streams)
        self._check_expected(events, expected, versions)
        head = self._head_row()
        now = self.clock()
        if head is not None:
            now = max(now, datetime.fromisoformat(head.recorded_at))
        limit = now + self.future_tolerance
        for event, _ in fresh:
            if event.occurred_at > limit:
                raise ValidationFailed(
                    [
                        FieldProblem(
                            "occurred_at",
                            f"{event.occurred_at.isoformat()} is in the "
                            f"future of the ledger's clock ({now.isoformat()})",
                        )
                    ],
                    where=f"event {event.event_id}",
                )
        recorded_at = _iso(now)
        position = head.position if head else 0
        prev = head.hash if head else GENESIS_HASH
        rows: list[Row] = []
        recorded: list[Recorded] = []
        moment = datetime.fromisoformat(recorded_at).astimezone(COMPANY_TZ)
        for event, form in fresh:
            position += 1
            version = versions.get(event.employee_id, 0) + 1
            versions[event.employee_id] = version
            row = _row_for(event, form, position, version, recorded_at, prev)
            prev = row.hash
            rows.append(row)
            recorded.append(Recorded(event, position, version, moment, row.hash))
        self._insert(rows)
        return AppendReport(tuple(recorded), tuple(present))

    @staticmethod
    def _check_expected(
        events: Sequence[Event],
        expected: int | Mapping[str, int] | None,
        versions: Mapping[str, int],
    ) -> None:
        if expected is None:
            return
        if isinstance(expected, int):
            streams = {e.employee_id for e in events}
            if len(streams) != 1:
                raise UsageError("an int expected_version needs a batch for one employee")
            expected = {streams.pop(): expected}
        for employee_id, want in expected.items():
            actual = versions.get(employee_id, 0)
            if actual != want:
                raise ConcurrencyError(employee_id, want, actual)

    def conflicts(
        self, events: Sequence[Event | Columns], ids: Sequence[UUID] | None = None
    ) -> dict[UUID, int]:
        """The ids of ``events`` stored with other content, with the stored event's position
        (what :meth:`append` would refuse; checked before taking the write lock).

        Args:
            ids: the events' ids, when the caller has them already.
        """
        if ids is None:
            ids = [e.event_id if isinstance(e, Event) else e.uuid() for e in events]
        existing = self._existing(ids)
        found: dict[UUID, int] = {}
        if not existing:
            return found
        for event_id, event in zip(ids, events, strict=True):
            stored = existing.get(event_id)
            if stored is None:
                continue
            sent = (
                wire_json(event)
                if isinstance(event, Event)
                else canonical_json(wire_of_row(event.row()))
            )
            if canonical_json(wire_of_row(stored)) != sent:
                found[event_id] = stored.position
        return found

    def read(self, flt: ReadFilter | None = None, /, **bounds: Any) -> Iterator[Recorded]:
        """Stream stored events in position order.

        Args:
            flt: a :class:`ReadFilter`; or give its fields as keyword arguments.
        """
        flt = flt or ReadFilter(**bounds)
        for row in self._rows(flt):
            yield recorded_of_row(row)

    def rows(self, flt: ReadFilter | None = None, /, **bounds: Any) -> Iterator[Row]:
        """Stream stored rows exactly as kept (for exports and audits), in position order."""
        yield from self._rows(flt or ReadFilter(**bounds))

    def read_partly(self, flt: ReadFilter, decode: Container[str]) -> Iterator[Recorded | Row]:
        """:meth:`read` and :meth:`rows` in one pass: the rows of the types in ``decode`` as
        :class:`Recorded`, the others as the :class:`Row` kept, in position order. For a
        caller that needs only a field or two of some types' ``data`` (a replay's recorded
        consequences) and would otherwise pay for decoding all of it."""
        for row in self._rows(flt):
            yield recorded_of_row(row) if row.type in decode else row

    def streams_between(self, occurred_from: datetime, occurred_to: datetime) -> set[str]:
        """The streams with an event that occurred in ``[occurred_from, occurred_to]``: those
        ``rows(occurred_from=..., occurred_to=...)`` names. This generic version reads the
        rows; a backend answers from its ``(stream, occurred_at)`` index instead."""
        flt = ReadFilter(occurred_from=occurred_from, occurred_to=occurred_to)
        return {row.employee_id for row in self._rows(flt)}

    def chain_records(
        self, employees: Container[str] | None = None
    ) -> Iterator[tuple[int, str, str, dict[str, Any] | None]]:
        """Every stored event in position order as ``(position, employee_id, hash, record)``;
        ``record`` is its canonical record (:func:`record_of_row`) when its stream is in
        ``employees`` (or ``employees`` is None), else None.

        For audit bundles, which link every hash and write the records of some streams. This
        generic version decodes :meth:`rows`; a backend may build the records from its
        columns directly.
        """
        for row in self._rows(ReadFilter()):
            wanted = employees is None or row.employee_id in employees
            yield row.position, row.employee_id, row.hash, record_of_row(row) if wanted else None

    def leaf_entries(
        self, from_position: int = 1, to_position: int | None = None
    ) -> Iterator[tuple[int, str, str, str]]:
        """``(position, employee_id, occurred_at, hash)`` of the stored events in
        ``[from_position, to_position]``, in position order, as stored: what the Merkle tree
        over the log hashes (:func:`ledger.audit.merkle.leaf_entry`). This generic version
        reads :meth:`rows`; a backend reads the four columns only."""
        flt = ReadFilter(from_position=max(from_position, 1), to_position=to_position)
        for row in self._rows(flt):
            yield row.position, row.employee_id, row.occurred_at, row.hash

    def find_sanctions(self, prefix: str) -> list[tuple[UUID, str]]:
        """``(sanction id, employee)`` of recorded consequences whose id starts with ``prefix``.

        Raises:
            UsageError: ``prefix`` is not part of a UUID.
        """
        prefix = _sanction_prefix(prefix)
        found: dict[UUID, str] = {}
        for row in self._sanction_rows(prefix):
            sanction_id = str(orjson.loads(row.data)["sanction_id"])
            if sanction_id.startswith(prefix):
                found[UUID(sanction_id)] = row.employee_id
        return sorted(found.items(), key=lambda kv: str(kv[0]))

    def _sanction_rows(self, prefix: str) -> Iterator[Row]:
        """Candidate ``sanction.issued`` rows (a backend may narrow them by ``prefix``)."""
        return self._rows(ReadFilter(types=frozenset({"sanction.issued"})))

    def get(self, event_id: UUID) -> Recorded | None:
        """The stored event with that id, if any."""
        row = self._existing([event_id]).get(event_id)
        return recorded_of_row(row) if row is not None else None

    def head(self) -> int:
        """The highest position in the log (0 when empty)."""
        row = self._head_row()
        return row.position if row else 0

    def head_hash(self) -> str:
        """The hash at the head of the chain (the genesis hash when empty)."""
        row = self._head_row()
        return row.hash if row else GENESIS_HASH

    def wait_for(self, after: int, timeout: float) -> int:
        """Wait until the head passes ``after``, or ``timeout`` seconds; return the head.

        For followers of the log (:mod:`ledger.feed`). This default polls the head every
        ``POLL_SECONDS``; a backend told of commits (PostgreSQL's ``LISTEN``) overrides it.
        """
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            head = self.head()
            left = deadline - time.monotonic()
            if head > after or left <= 0:
                return head
            time.sleep(min(POLL_SECONDS, left))

    def stream_version(self, employee_id: str) -> int:
        """The number of events in that employee's stream."""
        return self._stream_versions([employee_id]).get(employee_id, 0)

    def stream_versions(self, employee_ids: Iterable[str]) -> dict[str, int]:
        """The current version of each named stream (absent streams omitted), in one read
        per few hundred names."""
        return self._stream_versions(employee_ids)

    def stream_tip(self, employee_id: str) -> tuple[int, str]:
        """``(version, hash)`` of the stream's last event, ``(0, GENESIS_HASH)`` when empty.

        Unlike the version alone, this changes whenever the stream does, even when a write
        that another thread saw inside its transaction was rolled back and replaced.
        """
        for row in self._rows(ReadFilter(employee_id=employee_id, reverse=True, limit=1)):
            return row.version, row.hash
        return 0, GENESIS_HASH

    def verify_links(self, positions: Iterable[int]) -> bool:
        """Whether each listed event's hash recomputes from its content and its predecessor's."""
        for position in positions:
            rows = list(
                self._rows(ReadFilter(from_position=max(position - 1, 1), to_position=position))
            )
            if not rows or rows[-1].position != position:
                return False
            prev = rows[0].hash if len(rows) == 2 else GENESIS_HASH
            if position > 1 and len(rows) != 2:
                return False
            try:
                if chain_hash(prev, record_of_row(rows[-1])) != rows[-1].hash:
                    return False
            except (ValueError, orjson.JSONDecodeError):
                return False
        return True

    def verify(self, *, progress: Callable[[int], None] | None = None) -> ChainReport:
        """Walk the whole log and check positions, stream versions and the hash chain.

        Returns:
            The first position where anything is wrong, or ``ok``.
        """
        prev = GENESIS_HASH
        expected_position = 1
        versions: dict[str, int] = {}
        checked = 0
        for row in self._rows(ReadFilter()):
            problem = None
            if row.position != expected_position:
                problem = f"position {expected_position} is missing (next is {row.position})"
            elif row.version != versions.get(row.employee_id, 0) + 1:
                problem = f"stream {row.employee_id} version {row.version} is out of sequence"
            else:
                try:
                    actual = chain_hash(prev, record_of_row(row))
                except (ValueError, orjson.JSONDecodeError) as exc:
                    problem = f"stored content is unreadable ({exc})"
                else:
                    if actual != row.hash:
                        problem = "content does not match its hash (the event was altered)"
            if problem is not None:
                bad = min(row.position, expected_position)
                return ChainReport(False, checked, prev, bad, problem)
            prev = row.hash
            versions[row.employee_id] = row.version
            expected_position += 1
            checked += 1
            if progress is not None and checked % 10_000 == 0:
                progress(checked)
        heads = self._stream_versions(versions)
        for employee_id, version in versions.items():
            if heads.get(employee_id) != version:
                return ChainReport(
                    False,
                    checked,
                    prev,
                    None,
                    f"stream head of {employee_id} says {heads.get(employee_id)}, "
                    f"log has {version}",
                )
        return ChainReport(True, checked, prev)
