"""Payroll deductions per month (RULEBOOK §7; 工资支付暂行规定 第16条).

For month M: ``due`` = fines and compensation issued by the end of M and not yet deducted
(so carry-over included); ``cap`` = min(20 % x wage(M), max(0, wage(M) - minimum wage));
``deducted`` = min(due, cap), allocated to the oldest amounts first; ``carried`` = the rest.
Bonuses are paid in full, never netted. Unknown wage: nothing deducted, all carried.

Closed months are history: their recorded allocations are taken as they are. When the truth
changes what a closed month contained, the difference is settled in the first open month:
what was deducted for an amount no longer due is refunded, a newly due amount joins ``due``.
Worked example (wage 3000.00, minimum 2690.00): cap = min(600.00, 310.00) = 310.00; fines of
200.00 and 200.00 in July -> deducted 310.00 (200.00 + 110.00), carried 90.00 to August.

The write path closes (records) only months with amounts; the listing (``every_month``) also
shows each month of employment with a known wage and nothing in it, as zeros: a month the
ledger closed with nothing recorded is such a month.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from uuid import UUID

from ledger.events import Allocation, Event, Hired, PayrollClosed, WageChanged
from ledger.money import CENT, ZERO
from ledger.policies.engine import Derivation, counted_facts
from ledger.policies.framework import Finding, Outcome
from ledger.policies.grades import employment_span
from ledger.policies.rulebook import RulebookSet
from ledger.timeutil import Period, month_of

__all__ = ["PAYABLE", "PayrollMonth", "payroll_months", "wage_at"]

_MONEY = ("fine", "compensation")
PAYABLE = frozenset({*_MONEY, "bonus"})
"""The outcome kinds a payroll month reads (deducted, or paid as a bonus)."""


@dataclass(frozen=True, slots=True)
class PayrollMonth:
    """One employee's payroll month."""

    employee_id: str
    month: str
    wage: Decimal | None
    cap: Decimal | None
    due: Decimal
    deducted: Decimal
    carried: Decimal
    refunded: Decimal
    bonuses: Decimal
    closed: bool
    allocations: tuple[Allocation, ...] = ()
    refunds: tuple[Allocation, ...] = ()
    bonus_ids: tuple[UUID, ...] = ()
    findings: tuple[Finding, ...] = ()

    @property
    def has_amounts(self) -> bool:
        """Whether anything is due, refunded or paid this month."""
        return bool(self.due or self.refunded or self.bonuses)

    def to_closed(self) -> PayrollClosed:
        """The ``payroll.closed`` record of this month."""
        return PayrollClosed(
            month=self.month,
            wage=self.wage,
            cap=self.cap,
            due=self.due,
            deducted=self.deducted,
            carried=self.carried,
            refunded=self.refunded,
            bonuses=self.bonuses,
            allocations=self.allocations,
            refunds=self.refunds,
            bonus_ids=self.bonus_ids,
        )


def wage_at(facts: Iterable[Event], moment: datetime) -> Decimal | None:
    """The monthly wage in force at ``moment`` (latest hire or wage change before it)."""
    wage = None
    for fact in sorted(facts, key=lambda f: (f.occurred_at, f.event_id.int)):
        if fact.occurred_at >= moment:
            break
        if isinstance(fact.data, Hired | WageChanged):
            wage = fact.data.monthly_wage
    return wage


def _of_closed(employee_id: str, record: PayrollClosed) -> PayrollMonth:
    return PayrollMonth(
        employee_id,
        record.month,
        record.wage,
        record.cap,
        record.due,
        record.deducted,
        record.carried,
        record.refunded,
        record.bonuses,
        True,
        record.allocations,
        record.refunds,
        record.bonus_ids,
    )


def payroll_months(
    employee_id: str,
    facts: Sequence[Event],
    derivation: Derivation,
    closed: Sequence[PayrollClosed],
    rulebooks: RulebookSet,
    *,
    closed_through: datetime | None,
    through: Period,
    every_month: bool = False,
    retracted: Mapping[UUID, UUID] | None = None,
) -> list[PayrollMonth]:
    """Every payroll month with amounts (or a closing record) up to ``through``.

    Args:
        closed: the ``payroll.closed`` records known.
        closed_through: months ending on or before this instant are closed (a month with
            no record there was closed with nothing in it).
        through: the last month to compute.
        every_month: also every other month of employment whose wage is known at its end,
            with nothing due (``closed`` as ``closed_through`` says), as the listing shows.
        retracted: the retractions among ``facts`` (``counted_facts(facts)[1]``) when the
            caller has them already.
    """
    records = {c.month: c for c in closed}
    items = [o for o in derivation.outcomes if o.kind in _MONEY and o.amount]
    bonuses = [o for o in derivation.outcomes if o.kind == "bonus" and o.amount]
    # A retracted wage (or hire) sets no wage: the derivation's retractions, and those among
    # ``facts`` themselves (a retracted hire leaves an employee not hired, whose derivation
    # then saw no facts at all: ledger.policies.hiring).
    among = counted_facts(facts)[1] if retracted is None else retracted
    dropped = derivation.retracted.keys() | among.keys()
    facts = [f for f in facts if f.event_id not in dropped]
    span = employment_span(facts) if every_month else None
    # Only hires and wage changes set a wage: picked out once here, not for every month.
    wages = sorted(
        (f for f in facts if isinstance(f.data, Hired | WageChanged)),
        key=lambda f: (f.occurred_at, f.event_id.int),
    )
    starts = [month_of(o.issued_at).start for o in (*items, *bonuses)]
    starts += [Period.parse(m).start for m in records]
    if span is not None:
        starts.append(month_of(span[0]).start)
    if not starts:
        return []

    def employed(month: Period) -> bool:
        if span is None:
            return False
        start, end = span
        return start < month.end and (end is None or month.start < end)

    truth = {o.sanction_id: o for o in items}
    deducted_total: dict[UUID, Decimal] = {}
    paid: set[UUID] = set()
    months: list[PayrollMonth] = []
    month = month_of(min(starts))
    while month.start < through.end:
        record = records.get(month.label)
        if record is not None:
            for a in record.allocations:
                deducted_total[a.sanction_id] = deducted_total.get(a.sanction_id, ZERO) + a.amount
            for r in record.refunds:
                deducted_total[r.sanction_id] = deducted_total.get(r.sanction_id, ZERO) - r.amount
            paid.update(record.bonus_ids)
            months.append(_of_closed(employee_id, record))
        elif closed_through is None or month.end > closed_through:
            computed = _open_month(
                employee_id, month, wages, truth, bonuses, deducted_total, paid, rulebooks
            )
            if computed.has_amounts or (employed(month) and computed.wage is not None):
                months.append(computed)
        elif employed(month) and (wage := wage_at(wages, month.end)) is not None:
            months.append(_closed_empty(employee_id, month, wage, rulebooks))
        month = month_of(month.end)
    return months


def _cap(wage: Decimal, month: Period, rulebooks: RulebookSet) -> Decimal | None:
    """min(20 % x wage, wage - minimum wage) under the rulebook in force at the month's end
    (``None`` without a rulebook)."""
    adopted = rulebooks.in_force(month.last_instant) or rulebooks.latest()
    if adopted is None:
        return None
    law = adopted.rulebook.jurisdiction
    share = (wage * law.deduction_cap_percent / 100).quantize(CENT, rounding=ROUND_DOWN)
    return min(share, max(ZERO, wage - law.minimum_wage))


def _closed_empty(
    employee_id: str, month: Period, wage: Decimal, rulebooks: RulebookSet
) -> PayrollMonth:
    """A month closed with nothing in it (no ``payroll.closed`` record was needed)."""
    return PayrollMonth(
        employee_id=employee_id,
        month=month.label,
        wage=wage,
        cap=_cap(wage, month, rulebooks),
        due=ZERO,
        deducted=ZERO,
        carried=ZERO,
        refunded=ZERO,
        bonuses=ZERO,
        closed=True,
    )


def _open_month(
    employee_id: str,
    month: Period,
    wages: Sequence[Event],
    truth: dict[UUID, Outcome],
    bonuses: Sequence[Outcome],
    deducted_total: dict[UUID, Decimal],
    paid: set[UUID],
    rulebooks: RulebookSet,
) -> PayrollMonth:
    refunds = []
    for sanction_id, total in sorted(deducted_total.items(), key=lambda kv: kv[0].int):
        if total > 0 and sanction_id not in truth:
            refunds.append(Allocation(sanction_id=sanction_id, amount=total))
            deducted_total[sanction_id] = ZERO
    outstanding: list[tuple[Outcome, Decimal]] = []
    for outcome in sorted(
        truth.values(),
        key=lambda o: (o.issued_at, o.sanction_id.int),
    ):
        assert outcome.amount is not None
        remaining = outcome.amount - deducted_total.get(outcome.sanction_id, ZERO)
        if outcome.issued_at < month.end and remaining > 0:
            outstanding.append((outcome, remaining))
    due = sum((r for _, r in outstanding), ZERO)
    wage = wage_at(wages, month.end)
    cap = None if wage is None else _cap(wage, month, rulebooks)
    findings: list[Finding] = []
    if cap is None:
        if due:
            findings.append(
                Finding(
                    "wage_unknown",
                    employee_id,
                    month.last_instant,
                    f"no monthly wage known for {month.label}: nothing deducted, {due} carried",
                )
            )
        budget = ZERO
    else:
        budget = cap
    allocations = []
    for outcome, remaining in outstanding:
        if budget <= 0:
            break
        take = min(remaining, budget)
        budget -= take
        allocations.append(Allocation(sanction_id=outcome.sanction_id, amount=take))
        deducted_total[outcome.sanction_id] = deducted_total.get(outcome.sanction_id, ZERO) + take
    deducted = sum((a.amount for a in allocations), ZERO)
    fresh = [b for b in bonuses if b.issued_at < month.end and b.sanction_id not in paid]
    paid.update(b.sanction_id for b in fresh)
    return PayrollMonth(
        employee_id=employee_id,
        month=month.label,
        wage=wage,
        cap=cap,
        due=due,
        deducted=deducted,
        carried=due - deducted,
        refunded=sum((r.amount for r in refunds), ZERO),
        bonuses=sum((b.amount or ZERO for b in fresh), ZERO),
        closed=False,
        allocations=tuple(allocations),
        refunds=tuple(refunds),
        bonus_ids=tuple(sorted((b.sanction_id for b in fresh), key=str)),
        findings=tuple(findings),
    )
