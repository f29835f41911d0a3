"""Payroll months (RULEBOOK §7; 工资支付暂行规定 第16条), worked by hand.

Per employee and calendar month M: ``due`` = fines + compensation issued in M + carry-over;
``cap`` = min(20 % x wage(M), max(0, wage(M) - minimum wage)) with the default minimum wage
2690.00, so a wage of 3000.00 has cap min(600.00, 310.00) = 310.00 and a wage of 8000.00 has
cap min(1600.00, 5310.00) = 1600.00; ``deducted`` = min(due, cap), oldest amounts first; the
rest carries to M + 1. ``tick`` closes a month once it has ended; a closed month is never
recomputed, and later corrections settle in the first open month.

Every expectation is worked out from RULEBOOK.md, not read back from the code. Times are
company time (Asia/Shanghai).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from ledger.app import Ledger
from ledger.events import Event, PayrollClosed
from ledger.policies.payroll import PayrollMonth, payroll_months
from ledger.projections.store import Projections
from ledger.projections.view import employee_view
from ledger.testing import (
    ManualClock,
    appeal_decided,
    appeal_filed,
    hired,
    instant,
    make,
    retract,
)
from ledger.timeutil import month_of

EMP = "E1"

Row = tuple[str, str | None, str | None, str, str, str, str, str, bool]
"""``(month, wage, cap, due, deducted, carried, refunded, bonuses, closed)``."""


# -- helpers -----------------------------------------------------------------------------------


class Books:
    """A ledger on a manual clock: facts are recorded at the clock's time."""

    def __init__(self, start: str = "2026-06-01 00:00") -> None:
        self.clock = ManualClock(start)
        self.ledger = Ledger.in_memory(clock=self.clock)

    def record(self, when: str, *events: Event) -> None:
        """Record ``events`` with the clock standing at ``when``."""
        self.clock.set(when)
        self.ledger.record(list(events))

    def tick(self, when: str) -> None:
        """Move the clock to ``when`` and tick there (closing the months that ended)."""
        self.ledger.tick(self.clock.set(when))

    def months(self, as_of: str | None = None, emp: str = EMP) -> list[PayrollMonth]:
        """The payroll months computed on demand (default: as of the clock's now)."""
        view = employee_view(self.ledger, emp, as_of=None if as_of is None else instant(as_of))
        return payroll_months(
            emp,
            view.facts,
            view.derivation,
            view.closed,
            view.rulebooks,
            closed_through=view.horizon,
            through=month_of(view.as_of),
        )

    def rows(self, as_of: str | None = None, emp: str = EMP) -> list[Row]:
        return [row(m) for m in self.months(as_of, emp)]

    def closed(self, emp: str = EMP) -> list[PayrollClosed]:
        """The ``payroll.closed`` records, in recording order."""
        return [e.data for e in self.ledger.history(emp) if isinstance(e.data, PayrollClosed)]

    def stored(self, emp: str = EMP) -> list[dict[str, Any]]:
        return list(Projections(self.ledger).rows("payroll", emp))

    def outcome(self, kind: str, emp: str = EMP) -> UUID:
        """The sanction id of the single derived outcome of ``kind``."""
        found = [o for o in self.ledger.derive(emp).outcomes if o.kind == kind]
        assert len(found) == 1, found
        return found[0].sanction_id

    def fine_of(self, record: UUID, emp: str = EMP) -> UUID:
        """The sanction id of the fine attached to ``record``."""
        (fine,) = [o for o in self.ledger.derive(emp).outcomes if o.attached_to == record]
        return fine.sanction_id


def row(m: PayrollMonth) -> Row:
    def text(value: Decimal | None) -> str | None:
        return None if value is None else format(value, "f")

    return (
        m.month,
        text(m.wage),
        text(m.cap),
        format(m.due, "f"),
        format(m.deducted, "f"),
        format(m.carried, "f"),
        format(m.refunded, "f"),
        format(m.bonuses, "f"),
        m.closed,
    )


def allocations(m: PayrollMonth | PayrollClosed) -> list[tuple[UUID, str]]:
    return [(a.sanction_id, format(a.amount, "f")) for a in m.allocations]


def damage(at: str, amount: str, emp: str = EMP, what: str = "a broken chair") -> Event:
    """CND-02: property damage -> ``compensation`` of ``amount``, issued at ``at``."""
    return make("conduct.property_damaged", emp, at, amount=amount, description=what)


def rude(at: str, emp: str = EMP) -> Event:
    """CND-01 discourtesy -> ``warning`` with its 50.00 fine, issued at ``at``."""
    return make("conduct.violation", emp, at, kind="discourtesy", description="raised his voice")


def compensation_id(book: Books, fact: Event) -> UUID:
    (found,) = [
        o.sanction_id
        for o in book.ledger.derive(fact.employee_id).outcomes
        if o.kind == "compensation" and o.caused_by == (fact.event_id,)
    ]
    return found


def at(text: str) -> datetime:
    return instant(text)


# -- the cap bites, the rest carries -----------------------------------------------------------


def test_the_cap_bites_and_the_rest_carries_into_the_next_months_due() -> None:
    book = Books()
    book.record("2026-06-01 09:00", hired(EMP, "2026-06-01 09:00", monthly_wage="3000.00"))
    july_1, july_2 = damage("2026-07-10 10:00", "200.00"), damage("2026-07-15 10:00", "200.00")
    august = damage("2026-08-12 10:00", "250.00")
    book.record("2026-07-20 12:00", july_1, july_2)
    book.tick("2026-08-01 00:00")
    book.record("2026-08-20 12:00", august)
    book.tick("2026-09-01 00:00")
    book.tick("2026-10-01 00:00")

    # July: due 400.00 > cap 310.00 -> deducted 310.00, carried 90.00.
    # August: due 90.00 carried in + 250.00 new = 340.00 -> deducted 310.00, carried 30.00.
    # September: due 30.00 -> deducted 30.00, nothing carried.
    assert book.rows() == [
        ("2026-07", "3000.00", "310.00", "400.00", "310.00", "90.00", "0.00", "0.00", True),
        ("2026-08", "3000.00", "310.00", "340.00", "310.00", "30.00", "0.00", "0.00", True),
        ("2026-09", "3000.00", "310.00", "30.00", "30.00", "0.00", "0.00", "0.00", True),
    ]
    first, second, third = (compensation_id(book, f) for f in (july_1, july_2, august))
    july, aug, sep = book.closed()
    assert (july.month, aug.month, sep.month) == ("2026-07", "2026-08", "2026-09")
    # Oldest first: the 10 July amount in full, 110.00 of the 15 July one; in August the
    # remaining 90.00 of 15 July before 220.00 of August's; September takes the last 30.00.
    assert allocations(july) == [(first, "200.00"), (second, "110.00")]
    assert allocations(aug) == [(second, "90.00"), (third, "220.00")]
    assert allocations(sep) == [(third, "30.00")]
    # The stored rows (the listing) show every month of employment up to the horizon's:
    # June, closed with nothing in it, and October, open, as zeros.
    assert [(r["month"], r["due"], r["deducted"], r["carried"]) for r in book.stored()] == [
        ("2026-06", "0.00", "0.00", "0.00"),
        ("2026-07", "400.00", "310.00", "90.00"),
        ("2026-08", "340.00", "310.00", "30.00"),
        ("2026-09", "30.00", "30.00", "0.00"),
        ("2026-10", "0.00", "0.00", "0.00"),
    ]


def test_allocation_follows_issue_time_not_recording_order() -> None:
    book = Books()
    book.record("2026-06-01 09:00", hired(EMP, "2026-06-01 09:00", monthly_wage="3000.00"))
    later, earlier = damage("2026-07-25 10:00", "250.00"), damage("2026-07-05 10:00", "250.00")
    book.record("2026-07-26 12:00", later)
    book.record("2026-07-27 12:00", earlier)  # recorded last, but issued first
    (july,) = book.months("2026-07-31 23:00")
    assert row(july)[3:6] == ("500.00", "310.00", "190.00")
    assert allocations(july) == [
        (compensation_id(book, earlier), "250.00"),
        (compensation_id(book, later), "60.00"),
    ]


# -- wage: unknown, minimum-wage cap, changes --------------------------------------------------


def test_an_employee_not_hired_has_no_payroll_until_the_hire_then_from_hired_on() -> None:
    # Issue 13 replaced "unknown wage, everything carried": facts of an employee with no
    # employee.hired derive nothing (ledger.policies.hiring), so no month is due.
    book = Books()
    book.record("2026-07-20 12:00", damage("2026-07-10 10:00", "120.00"))  # no hire recorded
    assert book.months("2026-07-31 23:00") == []
    book.tick("2026-08-01 00:00")
    assert book.closed() == []
    book.record("2026-08-03 09:00", hired(EMP, "2026-08-03 09:00", hired_on=date(2026, 7, 1)))
    (july,) = book.months("2026-08-31 23:00")
    assert row(july)[3] == "120.00" and july.wage is not None


def test_no_wage_unknown_finding_when_nothing_is_due() -> None:
    book = Books()
    book.record("2026-06-01 09:00", hired(EMP, "2026-06-01 09:00", monthly_wage="3000.00"))
    book.record(
        "2026-07-20 12:00", make("recognition.suggestion_adopted", EMP, "2026-07-10", tier=1)
    )
    (july,) = book.months("2026-07-31 23:00")
    assert row(july)[3:8] == ("0.00", "0.00", "0.00", "0.00", "100.00")
    assert july.findings == ()


@pytest.mark.parametrize(
    ("wage", "cap", "deducted", "carried"),
    [
        # 20 % binds: 1600.00 < 8000.00 - 2690.00
        ("8000.00", "1600.00", "1600.00", "400.00"),
        # both bounds meet: 20 % x 3362.50 = 672.50 = 3362.50 - 2690.00
        ("3362.50", "672.50", "672.50", "1327.50"),
        # the minimum wage binds: 3000.00 - 2690.00 = 310.00 < 600.00
        ("3000.00", "310.00", "310.00", "1690.00"),
        # exactly the minimum wage: nothing may be deducted
        ("2690.00", "0.00", "0.00", "2000.00"),
        # below the minimum wage: max(0, 2500.00 - 2690.00) = 0
        ("2500.00", "0.00", "0.00", "2000.00"),
    ],
)
def test_cap_is_the_lesser_of_20_percent_and_the_excess_over_the_minimum_wage(
    wage: str, cap: str, deducted: str, carried: str
) -> None:
    book = Books()
    book.record("2026-06-01 09:00", hired(EMP, "2026-06-01 09:00", monthly_wage=wage))
    book.record("2026-07-20 12:00", damage("2026-07-10 10:00", "2000.00"))
    (july,) = book.months("2026-07-31 23:00")
    assert row(july) == ("2026-07", wage, cap, "2000.00", deducted, carried, "0.00", "0.00", False)
    assert july.findings == ()  # a known wage with a zero cap is not an unknown wage


def test_the_wage_in_force_at_the_months_end_sets_its_cap() -> None:
    book = Books()
    book.record("2026-06-01 09:00", hired(EMP, "2026-06-01 09:00", monthly_wage="3000.00"))
    book.record("2026-07-06 12:00", damage("2026-07-05 10:00", "3000.00"))
    raise_ = make("employee.wage_changed", EMP, "2026-08-20 09:00", monthly_wage="8000.00")
    # A cut effective at the first instant of September is not in force at August's end.
    cut = make("employee.wage_changed", EMP, "2026-09-01 00:00", monthly_wage="3000.00")
    book.record("2026-09-01 00:00", raise_, cut)
    # July at 3000.00: cap 310.00. August raised mid-month to 8000.00: cap 1600.00 for the
    # whole month. September back at 3000.00: cap 310.00.
    assert book.rows("2026-09-30 23:00") == [
        ("2026-07", "3000.00", "310.00", "3000.00", "310.00", "2690.00", "0.00", "0.00", False),
        ("2026-08", "8000.00", "1600.00", "2690.00", "1600.00", "1090.00", "0.00", "0.00", False),
        ("2026-09", "3000.00", "310.00", "1090.00", "310.00", "780.00", "0.00", "0.00", False),
    ]


# -- bonuses -----------------------------------------------------------------------------------


def test_bonuses_are_paid_in_full_and_never_netted_against_deductions() -> None:
    book = Books()
    book.record("2026-06-01 09:00", hired(EMP, "2026-06-01 09:00", monthly_wage="3000.00"))
    book.record(
        "2026-07-20 12:00",
        damage("2026-07-10 10:00", "400.00"),
        make("recognition.suggestion_adopted", EMP, "2026-07-12 10:00", tier=3),  # 500.00
        make("recognition.supervision_report", EMP, "2026-07-14 10:00", summary="a tip"),  # 100
    )
    book.tick("2026-08-01 00:00")
    # Deducted stays capped at 310.00 (not 400.00 - 600.00, not reduced by the bonuses) and the
    # 600.00 of bonuses is paid once, in July; August pays no bonus again.
    assert book.rows("2026-08-31 23:00") == [
        ("2026-07", "3000.00", "310.00", "400.00", "310.00", "90.00", "0.00", "600.00", True),
        ("2026-08", "3000.00", "310.00", "90.00", "90.00", "0.00", "0.00", "0.00", False),
    ]
    (july,) = book.closed()
    assert july.bonuses == Decimal("600.00") and len(july.bonus_ids) == 2


# -- corrections settle in the first open month ------------------------------------------------


def test_refund_after_an_upheld_appeal_appears_in_the_first_open_month() -> None:
    book = Books()
    book.record("2026-06-01 09:00", hired(EMP, "2026-06-01 09:00", monthly_wage="8000.00"))
    book.record("2026-07-20 12:00", rude("2026-07-10 10:00"), damage("2026-07-12 10:00", "100.00"))
    book.tick("2026-08-01 00:00")
    warning = book.outcome("warning")
    fine = book.fine_of(warning)
    (july,) = book.closed()
    assert (july.due, july.deducted, july.carried) == (
        Decimal("150.00"),
        Decimal("150.00"),
        Decimal("0.00"),
    )

    book.record(
        "2026-08-05 10:00",
        appeal_filed(EMP, "2026-08-03 10:00", sanction_id=warning),
        appeal_decided(EMP, "2026-08-05 10:00", sanction_id=warning),
    )
    # July stays as closed; August refunds the 50.00 deducted for the fine of the voided
    # warning, and nothing new is due.
    assert book.rows() == [
        ("2026-07", "8000.00", "1600.00", "150.00", "150.00", "0.00", "0.00", "0.00", True),
        ("2026-08", "8000.00", "1600.00", "0.00", "0.00", "0.00", "50.00", "0.00", False),
    ]
    book.tick("2026-09-01 00:00")
    july_again, august = book.closed()
    assert july_again == july
    assert august.month == "2026-08" and august.refunded == Decimal("50.00")
    assert [(r.sanction_id, r.amount) for r in august.refunds] == [(fine, Decimal("50.00"))]
    # Refunded once: September (open at the horizon) has nothing, and the stored rows show
    # every month of employment, June's zeros included.
    assert [(r["month"], r["refunded"], r["closed"]) for r in book.stored()] == [
        ("2026-06", "0.00", True),
        ("2026-07", "0.00", True),
        ("2026-08", "50.00", True),
        ("2026-09", "0.00", False),
    ]


def test_refund_is_what_was_deducted_and_the_undeducted_rest_stops_being_due() -> None:
    book = Books()
    book.record("2026-06-01 09:00", hired(EMP, "2026-06-01 09:00", monthly_wage="3000.00"))
    book.record("2026-07-20 12:00", damage("2026-07-01 10:00", "300.00"), rude("2026-07-10 10:00"))
    book.tick("2026-08-01 00:00")
    warning = book.outcome("warning")
    fine = book.fine_of(warning)
    (july,) = book.closed()
    # Due 350.00, cap 310.00: the 1 July compensation in full, then 10.00 of the fine.
    assert (july.deducted, july.carried) == (Decimal("310.00"), Decimal("40.00"))
    assert allocations(july)[1] == (fine, "10.00")

    book.record(
        "2026-08-05 10:00",
        appeal_filed(EMP, "2026-08-03 10:00", sanction_id=warning),
        appeal_decided(EMP, "2026-08-05 10:00", sanction_id=warning),
    )
    # August: refund the 10.00 deducted; the 40.00 carried is no longer due.
    (_, august) = book.months()
    assert row(august) == (
        "2026-08",
        "3000.00",
        "310.00",
        "0.00",
        "0.00",
        "0.00",
        "10.00",
        "0.00",
        False,
    )
    assert [(r.sanction_id, format(r.amount, "f")) for r in august.refunds] == [(fine, "10.00")]


def test_a_rejected_appeal_changes_nothing() -> None:
    book = Books()
    book.record("2026-06-01 09:00", hired(EMP, "2026-06-01 09:00", monthly_wage="8000.00"))
    book.record("2026-07-20 12:00", rude("2026-07-10 10:00"))
    book.tick("2026-08-01 00:00")
    before = book.rows()
    decision = appeal_decided(
        EMP, "2026-08-05 10:00", sanction_id=book.outcome("warning"), outcome="rejected"
    )
    filed = appeal_filed(EMP, "2026-08-03 10:00", sanction_id=book.outcome("warning"))
    book.record("2026-08-05 10:00", filed)
    book.record("2026-08-05 10:00", decision)
    assert book.rows() == before


def test_a_back_dated_amount_for_a_closed_month_joins_the_first_open_months_due() -> None:
    book = Books()
    book.record("2026-06-01 09:00", hired(EMP, "2026-06-01 09:00", monthly_wage="3000.00"))
    book.record("2026-07-20 12:00", damage("2026-07-01 10:00", "300.00"))
    book.tick("2026-08-01 00:00")
    (july,) = book.closed()
    august_item = damage("2026-08-03 10:00", "200.00")
    back_dated = damage("2026-07-20 10:00", "150.00")  # happened in July, recorded in August
    book.record("2026-08-04 12:00", august_item)
    book.record("2026-08-10 12:00", back_dated)
    # July stays as closed (due 300.00); August: 200.00 + 150.00 = 350.00 under the 310.00
    # cap, the older (July) amount first.
    assert book.rows() == [
        ("2026-07", "3000.00", "310.00", "300.00", "300.00", "0.00", "0.00", "0.00", True),
        ("2026-08", "3000.00", "310.00", "350.00", "310.00", "40.00", "0.00", "0.00", False),
    ]
    (_, august) = book.months()
    assert allocations(august) == [
        (compensation_id(book, back_dated), "150.00"),
        (compensation_id(book, august_item), "160.00"),
    ]
    book.tick("2026-09-01 00:00")
    assert book.closed()[0] == july


def test_a_back_dated_amount_for_a_month_closed_with_nothing_joins_the_first_open_month() -> None:
    book = Books()
    book.record("2026-06-01 09:00", hired(EMP, "2026-06-01 09:00", monthly_wage="8000.00"))
    book.tick("2026-08-01 00:00")
    assert book.closed() == []  # nothing due, refunded or paid: no record for June or July
    book.record("2026-08-10 12:00", damage("2026-07-20 10:00", "80.00"))
    assert book.rows() == [
        ("2026-08", "8000.00", "1600.00", "80.00", "80.00", "0.00", "0.00", "0.00", False),
    ]


def test_closed_months_are_never_recomputed_after_later_facts() -> None:
    book = Books()
    book.record("2026-06-01 09:00", hired(EMP, "2026-06-01 09:00", monthly_wage="3000.00"))
    retracted = damage("2026-07-05 10:00", "100.00")
    book.record("2026-07-20 12:00", retracted, damage("2026-07-10 10:00", "400.00"))
    book.tick("2026-08-01 00:00")
    july = book.closed()
    assert [r[:6] for r in book.rows()] == [
        ("2026-07", "3000.00", "310.00", "500.00", "310.00", "190.00"),
        ("2026-08", "3000.00", "310.00", "190.00", "190.00", "0.00"),
    ]
    # In August: a back-dated raise to 8000.00 from 1 July, and a retraction of the 5 July
    # damage that July deducted in full. Either would have changed July; neither does.
    raise_ = make("employee.wage_changed", EMP, "2026-07-01 00:00", monthly_wage="8000.00")
    book.record("2026-08-06 12:00", raise_, retract(retracted, at="2026-08-06 11:00"))
    book.tick("2026-09-01 00:00")
    book.tick("2026-10-01 00:00")
    closed = book.closed()
    assert closed[0] == july[0]
    assert [c.month for c in closed] == ["2026-07", "2026-08"]  # July closed once
    # August: the 100.00 deducted for the retracted damage is refunded; the 190.00 still owed
    # on the 10 July damage is due under August's 1600.00 cap.
    assert book.rows() == [
        ("2026-07", "3000.00", "310.00", "500.00", "310.00", "190.00", "0.00", "0.00", True),
        ("2026-08", "8000.00", "1600.00", "190.00", "190.00", "0.00", "100.00", "0.00", True),
    ]
    # Re-ticking at the same horizon records nothing more.
    count = len(list(book.ledger.history(EMP)))
    book.tick("2026-10-01 00:00")
    assert len(list(book.ledger.history(EMP))) == count


def test_an_open_month_is_provisional_until_the_tick_closes_it() -> None:
    book = Books()
    book.record("2026-06-01 09:00", hired(EMP, "2026-06-01 09:00", monthly_wage="8000.00"))
    book.record("2026-07-20 12:00", damage("2026-07-10 10:00", "100.00"))
    assert [r[-1] for r in book.rows("2026-07-31 23:00")] == [False]
    book.tick("2026-07-31 23:59")  # the month has not ended
    assert book.closed() == []
    book.tick("2026-08-01 00:00")
    assert [c.month for c in book.closed()] == ["2026-07"]
    assert at("2026-07-31 23:59:59.999999") == next(
        e.occurred_at for e in book.ledger.history(EMP) if isinstance(e.data, PayrollClosed)
    )


def test_a_retracted_wage_change_never_set_a_cap() -> None:
    book = Books()
    book.record("2026-06-01 09:00", hired(EMP, "2026-06-01 09:00", monthly_wage="3000.00"))
    raise_ = make("employee.wage_changed", EMP, "2026-07-05 10:00", monthly_wage="8000.00")
    book.record("2026-07-11 12:00", raise_, damage("2026-07-10 10:00", "1000.00"))
    book.record("2026-07-19 12:00", retract(raise_, at="2026-07-19 12:00"))
    # The wage was 3000.00 all along: cap 310.00, in the open month and in the closed one.
    expected = ("2026-07", "3000.00", "310.00", "1000.00", "310.00", "690.00", "0.00", "0.00")
    assert [r[:-1] for r in book.rows()] == [expected]
    book.tick("2026-08-01 00:00")
    assert [r[:-1] for r in book.rows()] == [
        expected,
        ("2026-08", "3000.00", "310.00", "690.00", "310.00", "380.00", "0.00", "0.00"),
    ]


def test_a_tick_behind_the_clock_closes_the_month_as_of_its_horizon() -> None:
    book = Books()
    book.record("2026-06-01 09:00", hired(EMP, "2026-06-01 09:00", monthly_wage="8000.00"))
    book.record("2026-07-20 12:00", rude("2026-07-10 10:00"))
    book.tick("2026-08-01 00:00")
    warning = book.outcome("warning")
    # Recorded on 10 September: an appeal upheld on 5 September and damage of 6 September;
    # then a tick at 1 September (behind the clock) closes August.
    book.record(
        "2026-09-10 12:00",
        appeal_filed(EMP, "2026-09-02 10:00", sanction_id=warning),
        appeal_decided(EMP, "2026-09-05 10:00", sanction_id=warning),
        damage("2026-09-06 10:00", "70.00"),
    )
    book.ledger.tick(at("2026-09-01 00:00"))
    # As of 1 September neither had happened: August closes with nothing (no record), and
    # nothing is due or refunded as of the horizon (the refund is not undone by a phantom
    # re-deduction).
    assert [c.month for c in book.closed()] == ["2026-07"]
    assert [(r["month"], r["due"], r["refunded"]) for r in book.stored()] == [
        ("2026-06", "0.00", "0.00"),
        ("2026-07", "50.00", "0.00"),
        ("2026-08", "0.00", "0.00"),
        ("2026-09", "0.00", "0.00"),
    ]
    # As of now, September refunds the 50.00 and deducts the 70.00; its tick records that.
    assert book.rows()[-1] == (
        "2026-09",
        "8000.00",
        "1600.00",
        "70.00",
        "70.00",
        "0.00",
        "50.00",
        "0.00",
        False,
    )
    book.tick("2026-10-01 00:00")
    assert [(c.month, c.refunded, c.deducted) for c in book.closed()][-1] == (
        "2026-09",
        Decimal("50.00"),
        Decimal("70.00"),
    )


# -- the listing: every month of employment with a wage ----------------------------------------


def test_the_listing_shows_every_month_of_employment_with_a_wage_as_zeros() -> None:
    book = Books()
    book.record("2026-06-15 09:00", hired(EMP, "2026-06-15 09:00", monthly_wage="3000.00"))
    book.record("2026-06-15 09:00", hired("E2", "2026-06-15 09:00", monthly_wage="8000.00"))
    book.record("2026-07-20 12:00", damage("2026-07-10 10:00", "100.00", emp="E2"))
    book.record(
        "2026-08-10 18:00",
        make("employee.separated", "E2", "2026-08-10 18:00", reason="moved away"),
    )
    # E3 (an agency temp) never has a wage: no rows without amounts.
    book.record(
        "2026-08-11 09:00",
        make("employee.qualification_assessed", "E3", "2026-08-11 09:00", passed=True),
    )
    book.tick("2026-10-01 00:00")
    # Only a month with amounts is closed by a record (PAY-01 records no empty month).
    assert [c.month for c in book.closed()] == []
    assert [c.month for c in book.closed("E2")] == ["2026-07"]
    # E1: June (hired on the 15th) to October (the horizon's month, open), all zeros; cap
    # min(600.00, 3000.00 - 2690.00) = 310.00.
    assert [(r["month"], r["wage"], r["cap"], r["due"], r["closed"]) for r in book.stored()] == [
        ("2026-06", "3000.00", "310.00", "0.00", True),
        ("2026-07", "3000.00", "310.00", "0.00", True),
        ("2026-08", "3000.00", "310.00", "0.00", True),
        ("2026-09", "3000.00", "310.00", "0.00", True),
        ("2026-10", "3000.00", "310.00", "0.00", False),
    ]
    # E2 left on 10 August: June, July (100.00 deducted under the 1600.00 cap), August; not
    # September or October.
    assert [(r["month"], r["deducted"]) for r in book.stored("E2")] == [
        ("2026-06", "0.00"),
        ("2026-07", "100.00"),
        ("2026-08", "0.00"),
    ]
    assert book.stored("E3") == []
