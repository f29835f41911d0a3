"""Builders and hypothesis strategies for testing code that uses the ledger.

Builders need nothing but the ledger. ``at`` is company time (Asia/Shanghai) as
``"YYYY-MM-DD HH:MM"``, an ISO 8601 instant with its offset, a bare date (its midnight) or an
aware ``datetime``; envelope fields go by keyword::

    first = late("E1", "2026-07-03 09:12", minutes=12, recorded_by="system:badge-gateway")
    history = [first, absent("E1", "2026-07-06"), retract(first, reason="badge fault")]
    MemoryStore(clock=ManualClock("2026-08-01 00:00")).append(history)

Strategies need ``hypothesis``, imported only when a strategy is asked for::

    @given(employee_histories(employee_id="E7", types=["attendance.late_arrival"]))
    def test_lateness_never_pays_a_bonus(history): ...
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin
from uuid import UUID

from pydantic import AwareDatetime

from ledger.errors import UsageError, ValidationFailed
from ledger.events import EVENT_TYPES, OBSERVATION_TYPES, Event, EventData, parse_event
from ledger.timeutil import COMPANY_TZ, parse_instant, to_company

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from ledger.app import Ledger

__all__ = [
    "WINDOW_END",
    "WINDOW_START",
    "ManualClock",
    "WhenResolvable",
    "absent",
    "appeal_decided",
    "appeal_filed",
    "complaint_received",
    "complaint_verified",
    "data_for",
    "early",
    "employee_histories",
    "employee_ids",
    "events",
    "hired",
    "instant",
    "late",
    "make",
    "praised",
    "rechain_sqlite",
    "retract",
    "task_assigned",
    "task_completed",
]

When = str | datetime
"""What ``at`` accepts: a company-time or ISO text, or an aware datetime."""

WINDOW_START = datetime(2026, 1, 1, tzinfo=COMPANY_TZ)
WINDOW_END = datetime(2026, 12, 31, 23, 59, 59, tzinfo=COMPANY_TZ)
"""The default window (both ends inclusive) strategies draw times from."""

_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$")
_ACTORS = ("system:badge-gateway", "supervisor:S01", "hr:H07", "system:complaint-desk", "test")


def instant(at: When) -> datetime:
    """Read a builder's ``at``: text without an offset is company time.

    Raises:
        UsageError: the text is not a date-time, or a ``datetime`` is naive.
    """
    if isinstance(at, datetime):
        return to_company(at)
    text = at.strip()
    if _LOCAL.match(text):
        return datetime.fromisoformat(text).replace(tzinfo=COMPANY_TZ)
    return parse_instant(text, what="at")


class ManualClock:
    """A clock for a store under test: it stands still until moved.

    Pass it as ``EventStore(clock=...)``; it may be moved backwards to test monotonicity.

    Args:
        at: the starting time (default: after the strategies' default window).
    """

    def __init__(self, at: When = "2027-01-01 00:00") -> None:
        self.now = instant(at)

    def __call__(self) -> datetime:
        return self.now

    def set(self, at: When) -> datetime:
        """Move the clock to ``at`` (forwards or backwards) and return the new time."""
        self.now = instant(at)
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move the clock by a ``timedelta(**delta)``, e.g. ``advance(minutes=5)``."""
        self.now += timedelta(**delta)
        return self.now


# -- builders ------------------------------------------------------------------------------


def make(
    type_name: str,
    emp: str = "E1",
    at: When = "2026-07-01 09:00",
    recorded_by: str = "test",
    *,
    envelope: dict[str, Any] | None = None,
    **data: Any,
) -> Event:
    """Build any event from its type name and ``data`` fields, validated as on the wire.

    Args:
        type_name: a registered type, e.g. ``"attendance.late_arrival"``.
        emp: the employee (stream) id.
        at: when it occurred (see :func:`instant`).
        recorded_by: the actor.
        envelope: other envelope fields (``event_id``, ``source``, ``evidence``...).
        **data: the type's ``data`` fields.

    Raises:
        ledger.errors.ValidationFailed: the type is unknown or a field is invalid.
    """
    head = {"type": type_name, "employee_id": emp, "occurred_at": instant(at)}
    return parse_event({**head, "recorded_by": recorded_by, **(envelope or {}), "data": data})


def _build(type_name: str, emp: str, at: When, envelope: dict[str, Any], **data: Any) -> Event:
    actor = envelope.pop("recorded_by", "test")
    given = {name: value for name, value in data.items() if value is not None}
    return make(type_name, emp, at, actor, envelope=envelope, **given)


def late(emp: str = "E1", at: When = "2026-07-03 09:12", minutes: int = 12, **env: Any) -> Event:
    """A late arrival (迟到) of ``minutes``."""
    return _build("attendance.late_arrival", emp, at, env, minutes=minutes)


def early(emp: str = "E1", at: When = "2026-07-03 17:20", minutes: int = 10, **env: Any) -> Event:
    """An early departure (早退) of ``minutes``."""
    return _build("attendance.early_departure", emp, at, env, minutes=minutes)


def absent(emp: str = "E1", at: When = "2026-07-06 09:00", days: int = 1, **env: Any) -> Event:
    """An unauthorised absence (旷工) of ``days``."""
    return _build("attendance.absence", emp, at, env, days=days)


def hired(
    emp: str = "E1",
    at: When = "2026-01-05 09:00",
    *,
    department: str = "front desk",
    role: str = "clerk",
    monthly_wage: Decimal | str = "8000.00",
    hired_on: date | None = None,
    **env: Any,
) -> Event:
    """A hiring; ``hired_on`` defaults to the date of ``at``."""
    day = hired_on or instant(at).date()
    return _build(
        "employee.hired",
        emp,
        at,
        env,
        department=department,
        role=role,
        hired_on=day,
        monthly_wage=monthly_wage,
    )


def complaint_received(
    emp: str = "E1",
    at: When = "2026-07-03 10:00",
    complaint_id: str = "C1",
    channel: str = "phone",
    **env: Any,
) -> Event:
    """A complaint reaching its first-question handler ``emp`` (首问负责)."""
    return _build(
        "service.complaint_received", emp, at, env, complaint_id=complaint_id, channel=channel
    )


def complaint_verified(
    emp: str = "E1",
    at: When = "2026-07-05 10:00",
    complaint_id: str = "C1",
    severity: Literal["minor", "major", "serious"] = "minor",
    **env: Any,
) -> Event:
    """A complaint against ``emp`` found true (经查属实)."""
    return _build(
        "service.complaint_verified", emp, at, env, complaint_id=complaint_id, severity=severity
    )


def praised(
    emp: str = "E1",
    at: When = "2026-07-03 15:00",
    channel: str = "letter",
    note: str | None = None,
    **env: Any,
) -> Event:
    """A customer's praise (表扬)."""
    return _build("service.customer_praised", emp, at, env, channel=channel, note=note)


def task_assigned(
    emp: str = "E1",
    at: When = "2026-07-01 09:00",
    task_id: str = "T1",
    due_at: When | None = None,
    **env: Any,
) -> Event:
    """A task assignment, due three days after ``at`` unless ``due_at`` is given."""
    due = instant(due_at) if due_at is not None else instant(at) + timedelta(days=3)
    return _build("task.assigned", emp, at, env, task_id=task_id, due_at=due)


def task_completed(
    emp: str = "E1", at: When = "2026-07-02 17:00", task_id: str = "T1", **env: Any
) -> Event:
    """A task completion."""
    return _build("task.completed", emp, at, env, task_id=task_id)


def retract(
    target: Event | UUID | str,
    emp: str | None = None,
    at: When | None = None,
    reason: str = "recorded in error",
    **env: Any,
) -> Event:
    """A retraction of ``target``; stream and time default to the target's (plus an hour).

    Raises:
        UsageError: ``target`` is an id and ``emp`` or ``at`` is missing.
    """
    if isinstance(target, Event):
        emp = emp or target.employee_id
        at = at if at is not None else target.occurred_at + timedelta(hours=1)
        target = target.event_id
    if emp is None or at is None:
        raise UsageError("retract(event_id, ...) needs emp= and at=")
    return _build("correction.retracted", emp, at, env, target_event_id=target, reason=reason)


def appeal_filed(
    emp: str = "E1",
    at: When = "2026-07-15 10:00",
    *,
    sanction_id: UUID | str,
    grounds: str = "I was not there",
    **env: Any,
) -> Event:
    """An appeal against ``sanction_id`` (a decision must answer a filed appeal)."""
    return _build("appeal.filed", emp, at, env, sanction_id=sanction_id, grounds=grounds)


def appeal_decided(
    emp: str = "E1",
    at: When = "2026-07-20 10:00",
    *,
    sanction_id: UUID | str,
    outcome: Literal["upheld", "rejected"] = "upheld",
    **env: Any,
) -> Event:
    """A decision on the appeal against ``sanction_id``; ``upheld`` voids the sanction."""
    return _build("appeal.decided", emp, at, env, sanction_id=sanction_id, outcome=outcome)


_REFERENCES = frozenset({"data.target_event_id", "data.sanction_id"})


class WhenResolvable:
    """Record batches of a history in any order, each reference once it resolves.

    A retraction must follow its target, an appeal the consequence it names (recorded by a
    reconciliation, maybe only at a tick), a decision its filing. A history drawn in any
    order is recorded through :meth:`record` batch by batch: an event whose reference is
    not recorded yet waits and joins the end of the next batch; :meth:`flush` records what
    waited (call it after the last tick).

    Example:
        >>> from ledger.app import Ledger
        >>> fact = late("E1")
        >>> recorder = WhenResolvable(Ledger.in_memory(clock=ManualClock()))
        >>> recorder.record([retract(fact)])
        >>> recorder.record([fact])
        >>> recorder.flush()
        []
    """

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.waiting: list[Event] = []

    def record(self, events: Iterable[Event]) -> None:
        """Record ``events`` and what waited, keeping back what cannot be recorded yet."""
        batch = [*events, *self.waiting]
        self.waiting = []
        while batch:
            try:
                self.ledger.record(batch)
                return
            except ValidationFailed as exc:
                if not {p.field for p in exc.problems} <= _REFERENCES:
                    raise
                refused = next((e for e in batch if str(e.event_id) in exc.where), None)
                if refused is None:
                    raise
                batch.remove(refused)
                self.waiting.append(refused)

    def flush(self) -> list[Event]:
        """Record what waited, as long as that makes progress; returns what never resolved."""
        while self.waiting:
            before = len(self.waiting)
            self.record([])
            if len(self.waiting) == before:
                break
        return list(self.waiting)


# -- hypothesis strategies -----------------------------------------------------------------


def _bounds(metadata: Sequence[Any], step: Any, low: Any, high: Any) -> tuple[Any, Any]:
    for item in metadata:
        low = item.ge if getattr(item, "ge", None) is not None else low
        low = item.gt + step if getattr(item, "gt", None) is not None else low
        high = item.le if getattr(item, "le", None) is not None else high
        high = item.lt - step if getattr(item, "lt", None) is not None else high
    return low, high


def _strategy(annotation: Any, metadata: Sequence[Any]) -> SearchStrategy[Any]:
    from hypothesis import strategies as st

    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        return _strategy(next(a for a in args if a is not type(None)), metadata)
    if origin is Annotated:
        return _strategy(args[0], [*args[1:], *metadata])
    if origin is Literal:
        return st.sampled_from(args)
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return st.integers(*_bounds(metadata, 1, -(2**53), 2**53))
    if annotation is Decimal:  # Money: exactly two places, within a payroll-sized range
        low, high = _bounds(metadata, Decimal("0.01"), Decimal(-(10**6)), Decimal(10**6))
        return st.decimals(low, high, places=2, allow_nan=False, allow_infinity=False)
    if annotation is str:  # long texts add time, not coverage
        shortest = max([getattr(m, "min_length", None) or 0 for m in metadata] + [0])
        longest = min([getattr(m, "max_length", None) or 30 for m in metadata] + [30])
        return st.text(min_size=shortest, max_size=max(shortest, longest))
    if annotation in (datetime, AwareDatetime):
        return _instants(WINDOW_START, WINDOW_END)
    if annotation is date:
        return st.dates(WINDOW_START.date(), WINDOW_END.date())
    if annotation is UUID:
        return st.uuids()
    raise UsageError(f"ledger.testing has no strategy for fields of type {annotation!r}")


def _instants(start: When, end: When) -> SearchStrategy[datetime]:
    from hypothesis import strategies as st

    low, high = (instant(edge).replace(tzinfo=None) for edge in (start, end))
    return st.datetimes(low, high, timezones=st.just(COMPANY_TZ))


def _drawn(value: str | Sequence[str] | SearchStrategy[str] | None) -> SearchStrategy[str]:
    from hypothesis import strategies as st

    if value is None:
        return employee_ids()
    if isinstance(value, str):
        return st.just(value)
    return st.sampled_from(list(value)) if isinstance(value, Sequence) else value


def data_for(type_name: str) -> SearchStrategy[EventData]:
    """Valid ``data`` of an observation type, within every constraint of its fields.

    Optional fields are sometimes omitted; money is a two-place ``Decimal``; datetimes are
    aware and inside the default window.

    Raises:
        UsageError: ``type_name`` is not a registered observation type.
    """
    from hypothesis import strategies as st

    if type_name not in OBSERVATION_TYPES:
        raise UsageError(f"{type_name!r} is not an observation type; see OBSERVATION_TYPES")
    model = EVENT_TYPES[type_name]
    fields: dict[str, SearchStrategy[Any]] = {}
    for name, info in model.model_fields.items():
        strategy = _strategy(info.annotation, info.metadata)
        fields[name] = strategy if info.is_required() else st.none() | strategy
    return st.builds(model, **fields)


def employee_ids() -> SearchStrategy[str]:
    """Valid employee ids: mostly a few familiar ones, so that streams interleave."""
    from hypothesis import strategies as st

    return st.sampled_from(("E1", "E2", "E3", "E1001")) | st.from_regex(
        r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,15}", fullmatch=True
    )


def events(
    types: Iterable[str] | None = None,
    employee_ids: str | Sequence[str] | SearchStrategy[str] | None = None,
    start: When = WINDOW_START,
    end: When = WINDOW_END,
) -> SearchStrategy[Event]:
    """Valid observation events with every envelope field exercised.

    Args:
        types: type names to draw from (default: every observation type).
        employee_ids: ids (or a strategy) for the subject (default: :func:`employee_ids`).
        start, end: the window (inclusive) ``occurred_at`` is drawn from.

    Returns:
        Events with random UUIDv4 ids; draw lists with ``unique_by=lambda e: e.event_id``
        (as :func:`employee_histories` does), since shrinking may repeat an id.
    """
    from hypothesis import strategies as st

    names = sorted(types) if types is not None else list(OBSERVATION_TYPES)
    text, maybe_id = st.text(min_size=1, max_size=20), st.none() | st.uuids()
    envelope = {
        "employee_id": _drawn(employee_ids),
        "occurred_at": _instants(start, end),
        # Any name but the derivation path's, which the store refuses for observations.
        "recorded_by": st.sampled_from(_ACTORS) | text.filter(lambda name: name != "ledger"),
        "event_id": st.uuids(version=4),
        "source": st.none() | text,
        "evidence": st.lists(text, max_size=3).map(tuple),
        "correlation_id": maybe_id,
        "causation_id": maybe_id,
    }
    return st.one_of([st.builds(Event.of, data_for(name), **envelope) for name in names])


def employee_histories(
    employee_id: str | SearchStrategy[str] | None = None,
    types: Iterable[str] | None = None,
    start: When = WINDOW_START,
    end: When = WINDOW_END,
    *,
    min_size: int = 0,
    max_size: int = 20,
) -> SearchStrategy[list[Event]]:
    """Lists of events about one employee, with distinct ids, in arbitrary recording order.

    Args:
        employee_id: the subject, or a strategy for it (default: :func:`employee_ids`).
        types, start, end: as for :func:`events`.
        min_size, max_size: bounds on the history's length.
    """
    from hypothesis import strategies as st

    chosen = list(types) if types is not None else None
    return _drawn(employee_id).flatmap(
        lambda emp: st.lists(
            events(chosen, [emp], start, end),
            min_size=min_size,
            max_size=max_size,
            unique_by=lambda e: e.event_id,
        )
    )


def rechain_sqlite(conn: Any) -> None:
    """On a raw ``sqlite3`` connection to a ledger file (its append-only triggers dropped):
    renumber positions and stream versions gaplessly, then recompute every hash of the chain,
    as an attacker who read the README would after editing the file. For tests of tamper
    evidence (docs/ARCHITECTURE.md, "Signed checkpoints")."""
    from ledger.store import GENESIS_HASH, chain_hash, record_of_row
    from ledger.store.sql import COLUMNS, FROM, row_of

    rows = conn.execute("SELECT position, stream_id FROM events ORDER BY position").fetchall()
    versions: dict[int, int] = {}
    for new, (old, stream) in enumerate(rows, start=1):
        versions[stream] = versions.get(stream, 0) + 1
        conn.execute(
            "UPDATE events SET position = ?, version = ? WHERE position = ?",
            (new, versions[stream], old),
        )
    conn.execute(
        "UPDATE streams SET version = (SELECT count(*) FROM events e WHERE e.stream_id = "
        "streams.id)"
    )
    conn.execute("DELETE FROM streams WHERE version = 0")
    prev = GENESIS_HASH
    for values in conn.execute(f"SELECT {COLUMNS} {FROM} ORDER BY e.position").fetchall():
        row = row_of(values)
        prev = chain_hash(prev, record_of_row(row))
        conn.execute("UPDATE events SET hash = ? WHERE position = ?", (prev, row.position))
