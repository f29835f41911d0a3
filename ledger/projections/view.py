"""One employee as the ledger knows them: as of a valid time, as known at a transaction time.

Every read model is computed from an :class:`EmployeeView`, so "on demand" answers for any
``as_of`` / ``known_at`` and the stored projections agree by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ledger.events import EVENT_TYPES, Event, PayrollClosed
from ledger.policies.engine import Derivation, derive
from ledger.policies.hiring import employed
from ledger.policies.rulebook import RulebookSet
from ledger.store import Recorded
from ledger.timeutil import COMPANY_TZ

__all__ = ["EmployeeView", "employee_view"]

_DAWN = datetime(1970, 1, 1, tzinfo=COMPANY_TZ)


@dataclass(frozen=True)
class EmployeeView:
    """What is known about one employee.

    Attributes:
        recorded: the stream as recorded by ``known_at`` (facts and derived events).
        facts: observations with ``occurred_at <= as_of`` (retractions and appeals included).
        derivation: what the policies derive from ``facts``, deadlines evaluated up to
            ``evaluated_to`` = min(``as_of``, the horizon known at ``known_at``).
        closed: ``payroll.closed`` records known at ``known_at``.
    """

    employee_id: str
    as_of: datetime
    known_at: datetime | None
    horizon: datetime | None
    evaluated_to: datetime
    rulebooks: RulebookSet
    recorded: tuple[Recorded, ...]
    facts: tuple[Event, ...]
    derivation: Derivation
    closed: tuple[PayrollClosed, ...]


def employee_view(
    ledger: object,
    employee_id: str,
    *,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
) -> EmployeeView:
    """Build the view of ``employee_id`` from ``ledger`` (a :class:`ledger.app.Ledger`).

    Args:
        as_of: valid time (default: the ledger clock's now).
        known_at: transaction time (default: everything recorded).
    """
    from ledger.app import Ledger

    assert isinstance(ledger, Ledger)
    moment = as_of or ledger.now()
    rulebooks, horizon = (
        ledger.ledger_state(known_at)
        if known_at is not None
        else (ledger.rulebooks(), ledger.horizon())
    )
    recorded = tuple(ledger.store.read(employee_id=employee_id, recorded_to=known_at))
    facts = tuple(
        r.event
        for r in recorded
        if not EVENT_TYPES[r.event.type].DERIVED and r.event.occurred_at <= moment
    )
    evaluated = min(moment, horizon) if horizon is not None else _DAWN
    # What counts depends on the hire known, whenever its event occurred
    # (ledger.policies.hiring), as on the write path; the registers list every fact.
    counted = {e.event_id for e in employed([r.event for r in recorded])}
    derivation = derive(
        employee_id, [f for f in facts if f.event_id in counted], rulebooks, evaluated
    )
    closed = tuple(r.event.data for r in recorded if isinstance(r.event.data, PayrollClosed))
    return EmployeeView(
        employee_id,
        moment,
        known_at,
        horizon,
        evaluated,
        rulebooks,
        recorded,
        facts,
        derivation,
        closed,
    )
