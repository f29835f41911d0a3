"""One employee as the ledger knows them: as of a valid time, as known at a transaction time.

Every read model is computed from an :class:`EmployeeView`, so "on demand" answers for any
``as_of`` / ``known_at`` and the stored projections agree by construction.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING
from uuid import UUID

from ledger.events import EVENT_TYPES, OBSERVATION_TYPES, Event, PayrollClosed
from ledger.policies.engine import Derivation, counted_facts, derive
from ledger.policies.hiring import employed
from ledger.policies.rulebook import RulebookSet
from ledger.store import Recorded
from ledger.timeutil import COMPANY_TZ, Period, month_of

if TYPE_CHECKING:
    from ledger.policies.grades import Grade
    from ledger.policies.payroll import PayrollMonth

__all__ = ["VIEW_TYPES", "EmployeeView", "employee_view"]

_DAWN = datetime(1970, 1, 1, tzinfo=COMPANY_TZ)

VIEW_TYPES = frozenset((*OBSERVATION_TYPES, PayrollClosed.TYPE))
"""The event types a view reads from an employee's stream: the facts, and the payroll
months closed (which are never recomputed). The consequences, grades and their changes a
view shows are derived again from the facts, so the recorded ones are not read: decoding
them (a ``sanction.issued`` with its basis costs five times an observation) was a tenth of
a rebuild. docs/ARCHITECTURE.md, "Read models"."""


@dataclass(frozen=True)
class EmployeeView:
    """What is known about one employee.

    Attributes:
        recorded: the stream's facts and ``payroll.closed`` records, as recorded by
            ``known_at`` (the other derived events, which no read model takes from the log,
            are not read: see :data:`VIEW_TYPES`).
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

    # What every read model asks of a view again and again (a scorecard per quarter of
    # employment reads the counted facts, their complaint lifecycle and each quarter's
    # grade), computed once per view. The view is immutable, so these never go stale.

    @cached_property
    def _counting(self) -> tuple[tuple[Event, ...], Mapping[UUID, UUID]]:
        facts, retracted, _, _ = counted_facts(self.facts)
        return tuple(facts), retracted

    @cached_property
    def counted(self) -> tuple[Event, ...]:
        """The observations that count, in order (``ledger.policies.engine.counted_facts``)."""
        return self._counting[0]

    @cached_property
    def retracted(self) -> Mapping[UUID, UUID]:
        """Retracted fact id -> the retraction's id."""
        return self._counting[1]

    @cached_property
    def retracted_facts(self) -> tuple[Event, ...]:
        """The facts (of :attr:`facts`) a retraction took back, in order."""
        retracted = self.retracted
        return tuple(f for f in self.facts if f.event_id in retracted) if retracted else ()

    def counted_in(self, period: Period) -> tuple[Event, ...]:
        """The counted facts that occurred in ``period``, in order: a slice of
        :attr:`counted`, which is in time order, found by bisection."""
        return _between(*self._subset(None), period)

    def counted_of(self, types: Iterable[str]) -> tuple[Event, ...]:
        """The counted facts of these event types, in order (each subset computed once: a
        read model that looks for a few types need not scan every fact again)."""
        return self._subset(frozenset(types))[0]

    def counted_of_in(self, types: Iterable[str], period: Period) -> tuple[Event, ...]:
        """:meth:`counted_of` that occurred in ``period`` (a slice of it, by bisection)."""
        return _between(*self._subset(frozenset(types)), period)

    @cached_property
    def _subsets(self) -> dict[frozenset[str] | None, tuple[tuple[Event, ...], list[datetime]]]:
        return {}

    def _subset(self, key: frozenset[str] | None) -> tuple[tuple[Event, ...], list[datetime]]:
        """The counted facts of the types in ``key`` (``None``: all), with their times."""
        found = self._subsets.get(key)
        if found is None:
            facts = self.counted if key is None else tuple(f for f in self.counted if f.type in key)
            found = self._subsets[key] = (facts, [f.occurred_at for f in facts])
        return found

    @cached_property
    def span(self) -> tuple[datetime, datetime | None] | None:
        """``ledger.policies.grades.employment_span`` of the counted facts."""
        from ledger.policies.grades import employment_span

        return employment_span(self.counted)

    @cached_property
    def complaint_steps(self) -> dict[str, tuple[datetime | None, datetime | None]]:
        """``ledger.projections.complaints.lifecycle`` of the counted facts."""
        from ledger.projections.complaints import lifecycle

        return lifecycle(self.counted)

    @cached_property
    def _grades(self) -> dict[str, Grade | None]:
        return {}

    def payroll(self, *, every_month: bool = False) -> list[PayrollMonth]:
        """``ledger.policies.payroll.payroll_months`` as of the view: months closed by the
        horizon known, computed through ``as_of``'s month."""
        from ledger.policies.payroll import payroll_months

        return payroll_months(
            self.employee_id,
            self.facts,
            self.derivation,
            self.closed,
            self.rulebooks,
            closed_through=self.horizon,
            through=month_of(self.as_of),
            every_month=every_month,
            retracted=self.retracted,
        )

    def quarter_grade(self, quarter: Period) -> Grade | None:
        """``ledger.policies.grades.quarter_grade`` of the derivation for ``quarter``."""
        from ledger.policies.grades import quarter_grade

        memo = self._grades
        if quarter.label not in memo:
            memo[quarter.label] = quarter_grade(self.derivation, quarter, self.rulebooks)
        return memo[quarter.label]


def employee_view(
    ledger: object,
    employee_id: str,
    *,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    ledger_state: tuple[RulebookSet, datetime | None] | None = None,
) -> EmployeeView:
    """Build the view of ``employee_id`` from ``ledger`` (a :class:`ledger.app.Ledger`).

    Args:
        as_of: valid time (default: the ledger clock's now).
        known_at: transaction time (default: everything recorded).
        ledger_state: the rulebooks and horizon to use, as ``ledger.ledger_state`` or
            ``ledger.rulebooks_and_horizon`` gives them (default: as known at
            ``known_at``). A caller building many views passes one snapshot, so all are
            computed under the same rulebooks and horizon, and the ``_ledger`` stream is
            not looked up again for each.
    """
    from ledger.app import Ledger

    assert isinstance(ledger, Ledger)
    moment = as_of or ledger.now()
    if ledger_state is None:
        ledger_state = (
            ledger.ledger_state(known_at)
            if known_at is not None
            else ledger.rulebooks_and_horizon()
        )
    rulebooks, horizon = ledger_state
    recorded = tuple(
        ledger.store.read(employee_id=employee_id, recorded_to=known_at, types=VIEW_TYPES)
    )
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


def _between(facts: tuple[Event, ...], times: list[datetime], period: Period) -> tuple[Event, ...]:
    """The slice of ``facts`` (in time order, ``times`` theirs) that occurred in ``period``."""
    return facts[bisect_left(times, period.start) : bisect_left(times, period.end)]
