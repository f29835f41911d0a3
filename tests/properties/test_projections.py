"""Properties of the projections: stored == rebuilt == on demand, known-at, payroll, grades.

A drawn *plan* is a 2026 for two employees, recorded in a few steps at increasing times on a
manual clock: each step records a batch of facts (some back-dated into months already
closed, some retracting earlier ones), perhaps an appeal decision on a consequence derived so
far, and perhaps ticks (closing the months and quarters that ended) at the step's time or
at an earlier one, behind the clock, as `ledger tick --now` may.
Event ids are fixed by the plan, so a replay into another ledger records the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any
from uuid import UUID

import orjson
from hypothesis import given
from hypothesis import strategies as st

from ledger.app import Ledger
from ledger.events import EVENT_TYPES, Event, GradeAssigned, PayrollClosed
from ledger.policies.grades import employment_quarters, employment_span, quarter_grade
from ledger.policies.hiring import employed
from ledger.policies.payroll import PayrollMonth, payroll_months, wage_at
from ledger.projections.listings import listed_employees
from ledger.projections.store import (
    PROJECTIONS,
    Projections,
    payroll_rows,
    register_rows,
    stored_as_of,
)
from ledger.projections.view import EmployeeView, employee_view
from ledger.testing import (
    ManualClock,
    appeal_decided,
    appeal_filed,
    hired,
    instant,
    make,
    retract,
)
from ledger.timeutil import Period, month_of

EMPLOYEES = ("E1", "E2")
ORIGIN = "2026-01-01 00:00"
"""Both ledgers are created (and adopt the default rulebook) at this time."""
HIRED_AT = instant("2026-01-05 09:00")
FIRST_FACT = instant("2026-01-05 10:00")
STEP_TIMES = (
    *(instant(f"2026-{m:02d}-{d}") for m in range(2, 13) for d in ("01 00:00", "16 12:00")),
    instant("2027-01-01 00:00"),
)
"""When a step may happen: month starts (a tick there closes the month just ended) and
mid-months (a tick there closes nothing)."""
WAGES = ("2500.00", "3000.00", "8000.00")
LEVELS = ("excellent", "good", "qualified", "unqualified")
MINIMUM_WAGE, CAP_PERCENT = Decimal("2690.00"), Decimal(20)
NAMES = ("payroll", "register", "scorecards")
ZERO = Decimal("0.00")


@dataclass
class Step:
    at: datetime
    batches: list[list[Event]] = field(default_factory=list)
    tick_at: datetime | None = None
    """When the step ticks (at or before ``at``; ``None``: no tick)."""


@dataclass
class Plan:
    steps: list[Step]

    def play(self, upto: int | None = None, *, catch_up: bool = False) -> Ledger:
        """A fresh ledger holding steps ``[0, upto)`` (all by default)."""
        clock = ManualClock(ORIGIN)
        ledger = Ledger.in_memory(clock=clock)
        for step in self.steps[:upto]:
            apply(ledger, clock, step, catch_up=catch_up)
        return ledger


def apply(ledger: Ledger, clock: ManualClock, step: Step, *, catch_up: bool) -> None:
    clock.set(step.at)
    for batch in step.batches:
        ledger.record(batch)
    if step.tick_at is not None:
        ledger.tick(step.tick_at)
    if catch_up:
        projections = Projections(ledger)
        for name in NAMES:
            projections.catch_up(name)


class Ids:
    def __init__(self) -> None:
        self.n = 0

    def next(self) -> dict[str, Any]:
        self.n += 1
        return {"event_id": UUID(int=self.n)}


def draw_fact(
    draw: Any, ids: Ids, until: datetime, earlier: list[Event], task: int
) -> Event | None:
    emp = draw(st.sampled_from(EMPLOYEES))
    hours = int((until - FIRST_FACT).total_seconds() // 3600)
    when = FIRST_FACT + timedelta(hours=draw(st.integers(0, hours)))
    kind = draw(
        st.sampled_from(
            (
                "damage",
                "damage",
                "rude",
                "rude",
                "leak",
                "customer_leak",
                "good_deed",
                "suggestion",
                "meeting",
                "wage",
                "task",
                "retract",
            )
        )
    )
    envelope = ids.next()
    if kind == "retract":
        targets = [e for e in earlier if e.type != "correction.retracted"]
        if not targets:
            return None
        target = draw(st.sampled_from(targets))
        return retract(target, at=max(when, target.occurred_at), **envelope)
    data: dict[str, Any]
    if kind == "damage":
        name = "conduct.property_damaged"
        data = {"amount": draw(st.sampled_from(("40.00", "150.00", "400.00"))), "description": "x"}
    elif kind in ("rude", "leak", "customer_leak"):
        name = "conduct.violation"
        data = {
            "kind": "discourtesy" if kind == "rude" else "confidentiality",
            "description": "y",
        }
        if kind == "customer_leak":
            data["customer_data"] = True
    elif kind == "good_deed":
        name, data = "recognition.good_deed", {"description": "z"}
    elif kind == "suggestion":
        name, data = "recognition.suggestion_adopted", {"tier": draw(st.sampled_from((1, 2, 3)))}
    elif kind == "meeting":
        name, data = "task.meeting_missed", {"meeting": "briefing"}
    elif kind == "wage":
        name, data = "employee.wage_changed", {"monthly_wage": draw(st.sampled_from(WAGES))}
    else:
        name = "task.assigned"
        data = {"task_id": f"T{task}", "due_at": when + timedelta(days=3)}
    return make(name, emp, when, envelope=envelope, **data)


@st.composite
def plans(draw: Any) -> Plan:
    """A plan, drawn while playing it into a ledger (appeals need the derived sanction ids)."""
    ids = Ids()
    hires = [
        hired(emp, HIRED_AT, monthly_wage=draw(st.sampled_from(WAGES)), **ids.next())
        for emp in EMPLOYEES
        if emp == "E1" or draw(st.booleans())  # E2 may have no recorded wage
    ]
    steps = [Step(HIRED_AT, [hires])]
    times = sorted(draw(st.lists(st.sampled_from(STEP_TIMES), min_size=2, max_size=4, unique=True)))
    clock = ManualClock(ORIGIN)
    ledger = Ledger.in_memory(clock=clock)
    apply(ledger, clock, steps[0], catch_up=False)
    recorded = list(hires)
    previous = HIRED_AT
    for when in times:
        step = Step(when)
        if draw(st.integers(0, 3)) > 0:
            since = [t for t in STEP_TIMES if previous < t <= when]
            step.tick_at = when if draw(st.booleans()) else draw(st.sampled_from(since))
        previous = when
        clock.set(when)
        batch: list[Event] = []
        for _ in range(draw(st.integers(0, 4))):
            fact = draw_fact(draw, ids, when, recorded + batch, ids.n)
            if fact is not None:
                batch.append(fact)
        if batch:
            step.batches.append(batch)
            ledger.record(batch)
            recorded += batch
        records = sorted(
            (
                (str(o.sanction_id), emp, o.sanction_id)
                for emp in ledger.employees()
                for o in ledger.derive(emp).outcomes
                if o.kind in ("warning", "demerit", "major_demerit")
            ),
        )
        if records and draw(st.integers(0, 2)) == 0:
            _, emp, sanction = draw(st.sampled_from(records))
            outcome = draw(st.sampled_from(("upheld", "upheld", "rejected")))
            decision = appeal_decided(
                emp, when, sanction_id=sanction, outcome=outcome, **ids.next()
            )
            appeal = appeal_filed(emp, when, sanction_id=sanction, **ids.next())
            step.batches.append([appeal, decision])  # a decision answers a filed appeal
            ledger.record([appeal, decision])
        if step.tick_at is not None:
            ledger.tick(step.tick_at)
        steps.append(step)
    return Plan(steps)


# -- helpers -----------------------------------------------------------------------------------


def months_of(view: EmployeeView, *, every_month: bool = False) -> list[PayrollMonth]:
    return payroll_months(
        view.employee_id,
        view.facts,
        view.derivation,
        view.closed,
        view.rulebooks,
        closed_through=view.horizon,
        through=month_of(view.as_of),
        every_month=every_month,
    )


def on_demand(ledger: Ledger, name: str, as_of: datetime) -> dict[str, Any]:
    rows = PROJECTIONS[name].rows
    return {
        key: row
        for emp in ledger.employees()
        for key, row in rows(employee_view(ledger, emp, as_of=as_of))
    }


def stored(dump: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {key: orjson.loads(value) for key, _, value in dump if not key.startswith("~")}


def cap_of(wage: Decimal) -> Decimal:
    share = (wage * CAP_PERCENT / 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return min(share, max(ZERO, wage - MINIMUM_WAGE))


def derivation_summary(view: EmployeeView) -> Any:
    d = view.derivation
    return (
        [(o.sanction_id, o.kind, o.amount, o.issued_at, o.expires_at) for o in d.outcomes],
        [(r.sanction_id, r.revoked_by, r.at) for r in d.revocations],
        [(f.code, f.at) for f in d.findings],
        dict(d.retracted),
        dict(d.upheld),
    )


# -- properties --------------------------------------------------------------------------------


@given(plans())
def test_incremental_equals_rebuilt_equals_on_demand(plan: Plan) -> None:
    ledger = plan.play(catch_up=True)  # caught up after every step: incremental
    projections = Projections(ledger)
    incremental = {name: projections.dump(name) for name in NAMES}
    for name in NAMES:
        projections.rebuild(name)
    rebuilt = {name: list(ledger.store.projection_rows(name)) for name in NAMES}
    assert incremental == rebuilt
    as_of = stored_as_of(ledger)
    for name in NAMES:
        assert stored(incremental[name]) == on_demand(ledger, name, as_of)
    # A projection never caught up (all at once) equals the incremental one too.
    once = plan.play()
    assert {name: Projections(once).dump(name) for name in NAMES} == incremental


@given(plans(), st.data())
def test_known_at_equals_a_ledger_that_only_received_the_facts_recorded_by_then(
    plan: Plan, data: st.DataObject
) -> None:
    upto = data.draw(st.integers(1, len(plan.steps) - 1), label="steps known")
    known_at = plan.steps[upto - 1].at
    full, partial = plan.play(), plan.play(upto)
    moments = {known_at, stored_as_of(partial), plan.steps[-1].at, instant("2027-03-01 00:00")}
    for emp in partial.employees():
        for as_of in sorted(moments):
            then = employee_view(full, emp, as_of=as_of, known_at=known_at)
            only = employee_view(partial, emp, as_of=as_of)
            assert (then.horizon, then.evaluated_to) == (only.horizon, only.evaluated_to)
            assert [f.event_id for f in then.facts] == [f.event_id for f in only.facts]
            assert derivation_summary(then) == derivation_summary(only)
            assert then.closed == only.closed
            assert payroll_rows(then) == payroll_rows(only)
            assert register_rows(then) == register_rows(only)
    assert set(full.employees()) >= set(partial.employees())


@given(plans())
def test_payroll_months_respect_the_cap_and_balance(plan: Plan) -> None:
    ledger = plan.play()
    horizon = ledger.horizon()
    for emp in ledger.employees():
        closings = [e.data for e in ledger.history(emp) if isinstance(e.data, PayrollClosed)]
        assert len({c.month for c in closings}) == len(closings), "a month closed twice"
        if horizon is not None:
            assert all(Period.parse(c.month).end <= horizon for c in closings)
        for as_of in sorted({stored_as_of(ledger), ledger.now()}):
            view = employee_view(ledger, emp, as_of=as_of)
            months = months_of(view)
            for m in months:
                assert m.due == m.deducted + m.carried
                assert min(m.due, m.deducted, m.carried, m.refunded, m.bonuses) >= 0
                if m.wage is None:
                    assert m.cap is None and m.deducted == 0
                else:
                    assert m.cap == cap_of(m.wage)
                    assert m.deducted <= m.cap
                assert m.deducted == sum((a.amount for a in m.allocations), ZERO)
                assert m.refunded == sum((a.amount for a in m.refunds), ZERO)
            assert [m.month for m in months] == sorted({m.month for m in months})
            # Money balances: what was deducted, less what was refunded, plus what is still
            # carried, is every fine and compensation in the truth.
            truth = sum(
                (
                    o.amount or ZERO
                    for o in view.derivation.outcomes
                    if o.kind in ("fine", "compensation")
                ),
                ZERO,
            )
            last = months[-1] if months else None
            outstanding = last.carried if last is not None and not last.closed else ZERO
            net = sum((m.deducted - m.refunded for m in months), ZERO)
            assert net + outstanding == truth


@given(plans())
def test_the_listing_adds_every_month_of_employment_with_a_wage_as_zeros(plan: Plan) -> None:
    """``every_month`` (the stored listing) = the months with amounts, unchanged, plus each
    other month of employment whose wage is known at its end, with nothing in it."""
    ledger = plan.play()
    for emp in ledger.employees():
        for as_of in sorted({stored_as_of(ledger), ledger.now()}):
            view = employee_view(ledger, emp, as_of=as_of)
            with_amounts = {m.month: m for m in months_of(view)}
            listed = months_of(view, every_month=True)
            by_month = {m.month: m for m in listed}
            assert [m.month for m in listed] == sorted(by_month)
            assert {label: by_month[label] for label in with_amounts} == with_amounts
            # A retracted wage or hire sets no wage (also when the retracted hire left the
            # derivation without facts: view.retracted is every retraction's target).
            retracted = view.derivation.retracted.keys() | view.retracted.keys()
            facts = [f for f in view.facts if f.event_id not in retracted]
            span = employment_span(facts)
            quiet: set[str] = set()
            if span is not None:
                start, end = span
                month = month_of(start)
                while month.start <= view.as_of:
                    employed = end is None or month.start < end
                    if employed and wage_at(facts, month.end) is not None:
                        quiet.add(month.label)
                    month = month_of(month.end)
            assert set(by_month) == set(with_amounts) | quiet
            for label in set(by_month) - set(with_amounts):
                m = by_month[label]
                wage = wage_at(facts, Period.parse(label).end)
                assert wage is not None and (m.wage, m.cap) == (wage, cap_of(wage))
                assert (m.due, m.deducted, m.carried, m.refunded, m.bonuses) == (ZERO,) * 5
                horizon = view.horizon
                assert m.closed == (horizon is not None and Period.parse(label).end <= horizon)


@given(plans())
def test_a_tick_closes_each_month_as_computed_on_demand(plan: Plan) -> None:
    """The closing records what the view shows for the months the tick passes: the truth
    with deadlines evaluated up to the tick, over the months closed before it."""
    clock = ManualClock(ORIGIN)
    ledger = Ledger.in_memory(clock=clock)
    for step in plan.steps:
        clock.set(step.at)
        for batch in step.batches:
            ledger.record(batch)
        if step.tick_at is None:
            continue
        now = step.tick_at
        before = {emp: employee_view(ledger, emp, as_of=now) for emp in ledger.employees()}
        head = ledger.store.head()
        ledger.tick(now)
        closed: dict[str, list[PayrollClosed]] = {emp: [] for emp in before}
        for item in ledger.store.read(from_position=head + 1):
            if isinstance(item.event.data, PayrollClosed):
                closed[item.event.employee_id].append(item.event.data)
        for emp, prior in before.items():
            after = employee_view(ledger, emp, as_of=now)
            months = payroll_months(
                emp,
                after.facts,
                after.derivation,
                prior.closed,
                after.rulebooks,
                closed_through=prior.horizon,
                through=month_of(now - timedelta(microseconds=1)),
            )
            assert closed[emp] == [
                m.to_closed() for m in months if not m.closed and Period.parse(m.month).end <= now
            ]


@given(plans())
def test_grades_are_levels_that_respect_the_caps_and_match_what_was_recorded(
    plan: Plan,
) -> None:
    ledger = plan.play()
    horizon = ledger.horizon()
    books = ledger.rulebooks()
    for emp in ledger.employees():
        derived = ledger.derive(emp)
        facts = [
            e
            for e in employed(list(ledger.history(emp)))  # none until hired (issue 13)
            if not EVENT_TYPES[e.type].DERIVED and e.event_id not in derived.retracted
        ]
        recorded: dict[str, GradeAssigned] = {}
        for event in ledger.history(emp):
            if isinstance(event.data, GradeAssigned):
                recorded[event.data.period] = event.data  # the latest supersedes
        quarters = employment_quarters(facts, horizon) if horizon is not None else []
        # Every ended quarter of employment is graded. (A grade stays recorded when a
        # retracted hire later shortens the employment: there is no "ungraded" record.)
        assert {q.label for q in quarters} <= set(recorded)
        for quarter in quarters:
            grade = quarter_grade(derived, quarter, books)
            assert grade is not None
            assert grade.level in LEVELS and 0 <= grade.score <= 100
            end = quarter.end
            revoked = {r.sanction_id for r in derived.revocations if r.at < end}
            kept = [o for o in derived.outcomes if o.sanction_id not in revoked]
            count = {
                kind: sum(1 for o in kept if o.kind == kind and o.issued_at in quarter)
                for kind in ("notice", "warning", "demerit", "major_demerit", "commendation")
            }
            score = (
                100
                - 2 * count["notice"]
                - 10 * count["warning"]
                - 20 * count["demerit"]
                - 30 * count["major_demerit"]
                + min(10, 5 * count["commendation"])
            )
            assert grade.score == max(0, min(100, score))
            by_score = (
                "excellent"
                if grade.score >= 90
                else "good"
                if grade.score >= 80
                else "qualified"
                if grade.score >= 60
                else "unqualified"
            )
            live = {
                o.kind
                for o in kept
                if o.issued_at < end and (o.expires_at is None or o.expires_at >= end)
            }
            if live & {"demerit", "major_demerit"}:
                ceiling = "qualified"
            elif "warning" in live:
                ceiling = "good"
            else:
                ceiling = "excellent"
            expected = max(by_score, ceiling, key=LEVELS.index)
            assert grade.level == expected
            assert (grade.capped_by is None) == (expected == by_score)
            latest = recorded[quarter.label]
            assert (latest.level, latest.score, latest.capped_by) == (
                grade.level,
                grade.score,
                grade.capped_by,
            )


# -- the listings' read models (issue 11, point 3) ----------------------------------------------

QUARTERS = tuple(Period.parse(f"2026Q{n}") for n in range(1, 5))
LISTED_PERIODS = (None, *QUARTERS, Period.parse("2026-07"), Period.parse("2026"))


def listing_models(ledger: Ledger) -> dict[str, list[tuple[str, str, str]]]:
    """Every listing read model, caught up (the sanction register, each quarter's cards)."""
    from ledger.projections.listings import QuarterCards, SanctionRegister

    return {
        "sanctions": SanctionRegister(ledger).dump(),
        **{q.label: QuarterCards(ledger, q).dump() for q in QUARTERS},
    }


@given(plans(), st.data())
def test_listing_read_models_caught_up_incrementally_equal_a_rebuild(
    plan: Plan, data: st.DataObject
) -> None:
    from ledger.projections.listings import QuarterCards, SanctionRegister

    clock = ManualClock(ORIGIN)
    ledger = Ledger.in_memory(clock=clock)
    for step in plan.steps:
        apply(ledger, clock, step, catch_up=False)
        if data.draw(st.booleans(), label="catch up after this step"):
            listing_models(ledger)
    incremental = listing_models(ledger)
    assert SanctionRegister(ledger).rebuild() >= 0
    for quarter in QUARTERS:
        QuarterCards(ledger, quarter).rebuild()
    assert listing_models(ledger) == incremental
    # A ledger whose read models were never caught up (all at once) holds the same.
    assert listing_models(plan.play()) == incremental


@given(plans(), st.data())
def test_listings_answer_from_read_models_as_the_log_folded_on_demand(
    plan: Plan, data: st.DataObject
) -> None:
    from ledger.cli.policy_cmds import sanction_row
    from ledger.projections.listings import (
        CardRecord,
        QuarterCards,
        SanctionRegister,
        month_range,
    )
    from ledger.projections.scorecard import scorecard

    ledger = plan.play(catch_up=data.draw(st.booleans(), label="projections caught up"))
    offset = data.draw(st.integers(0, 3), label="offset")
    limit = data.draw(st.none() | st.integers(0, 4), label="limit")
    stop = None if limit is None else offset + limit
    register = SanctionRegister(ledger)
    register.catch_up()
    for at in (instant("2026-06-01 00:00"), ledger.now(), instant("2027-06-01 00:00")):
        for employee in (None, *EMPLOYEES):
            for period in LISTED_PERIODS:
                states = ledger.sanctions(employee, period)
                expected = [sanction_row(s, at) for s in states]
                assert register.count(employee, period) == len(states)
                assert list(register.page(at, employee, period)) == expected
                assert list(register.page(at, employee, period, offset, limit)) == (
                    expected[offset:stop]
                )
    projections = Projections(ledger)
    for employee in (None, *EMPLOYEES):
        for period in LISTED_PERIODS:
            rows = sorted(
                (
                    r
                    for r in projections.rows("payroll", employee)
                    if period is None or Period.parse(r["month"]).start in period
                ),
                key=lambda r: (r["month"], r["employee_id"]),
            )
            low, high = month_range(period) if period else (None, None)
            selection: dict[str, Any] = {"employee_id": employee, "key_from": low, "key_to": high}
            assert list(projections.page("payroll", **selection)) == rows
            assert projections.count("payroll", **selection) == len(rows)
            page = projections.page("payroll", **selection, offset=offset, limit=limit)
            assert list(page) == rows[offset:stop]
    stored = stored_as_of(ledger)
    moments = sorted(
        {
            stored,
            stored + timedelta(hours=1),
            stored + timedelta(days=4),
            ledger.now(),
            instant("2027-03-01 00:00"),
            stored - timedelta(days=1),
        }
    )
    for quarter in QUARTERS:
        cards = QuarterCards(ledger, quarter)
        for as_of in moments:
            answered = [(c.to_json(), c.row()) for c in cards.cards(as_of)]
            computed = [
                scorecard(employee_view(ledger, emp, as_of=as_of), quarter)
                for emp in listed_employees(ledger)
            ]
            assert answered == [(c.to_json(), c.row()) for c in computed]
            again = [CardRecord.of(c) for c in computed]
            assert [(c.grade, c.department, c.fines_total) for c in cards.cards(as_of)] == [
                (c.grade, c.department, c.fines_total) for c in again
            ]


# -- the complaint board's read model (issue 11, point 3) -------------------------------------

BOARD_FROM = instant("2026-03-02 09:00")
BOARD_STEPS = tuple(instant(f"2026-03-{d:02d} 12:00") for d in range(3, 31, 3))
COMPLAINT_IDS = ("C1", "C2", "C3")
DEPARTMENTS = ("front desk", "lobby", "back office")


def shorter_deadlines() -> str:
    from ledger.policies.rulebook import Rulebook

    return (
        Rulebook.default_document()
        .replace("version = 1", "version = 2", 1)
        .replace("reply_hours = 24", "reply_hours = 6", 1)
        .replace("resolve_hours = 48", "resolve_hours = 30", 1)
    )


@dataclass
class BoardStep:
    at: datetime
    batch: list[Event]
    adopt: bool = False
    """Adopt version 2 (shorter complaint deadlines, effective mid-March) at this step."""


@dataclass
class BoardPlan:
    steps: list[BoardStep]

    def play(self, catch_up: Any = None) -> Ledger:
        """A fresh ledger holding every step; ``catch_up(ledger, i)`` after step ``i``."""
        from datetime import date

        clock = ManualClock(ORIGIN)
        ledger = Ledger.in_memory(clock=clock)
        for index, step in enumerate(self.steps):
            clock.set(step.at)
            if step.batch:
                ledger.record(step.batch)
            if step.adopt:
                ledger.adopt(
                    shorter_deadlines(),
                    effective_from=date(2026, 3, 15),
                    published_on=date(2026, 3, 1),
                )
            if catch_up is not None:
                catch_up(ledger, index)
        return ledger


@st.composite
def board_plans(draw: Any) -> BoardPlan:
    """Complaints received, replied to, resolved and dismissed, transfers and retractions
    (of anything, retractions too, occurring before or after their target), back-dated at
    will, for two handlers; perhaps a rulebook with other deadlines adopted midway."""
    ids = Ids()
    hires = [
        hired(emp, BOARD_FROM, department=draw(st.sampled_from(DEPARTMENTS)), **ids.next())
        for emp in EMPLOYEES
    ]
    steps = [BoardStep(BOARD_FROM, hires)]
    recorded: list[Event] = list(hires)
    chosen = st.lists(st.sampled_from(BOARD_STEPS), min_size=1, max_size=4, unique=True)
    times = sorted(draw(chosen))
    adopt_at = draw(st.none() | st.sampled_from(times))
    for when in times:
        batch: list[Event] = []
        for _ in range(draw(st.integers(0, 6))):
            emp = draw(st.sampled_from(EMPLOYEES))
            hours = int((when - BOARD_FROM).total_seconds() // 3600)
            at = BOARD_FROM + timedelta(hours=draw(st.integers(0, hours)))
            kind = draw(
                st.sampled_from(
                    (
                        "received",
                        "received",
                        "replied",
                        "resolved",
                        "dismissed",
                        "transferred",
                        "retract",
                    )
                )
            )
            envelope = ids.next()
            if kind == "retract":
                mine = [e for e in recorded + batch if e.employee_id == emp]
                target = draw(st.sampled_from(mine))
                batch.append(retract(target, at=at, **envelope))
            elif kind == "transferred":
                department = draw(st.sampled_from(DEPARTMENTS))
                batch.append(
                    make(
                        "employee.transferred",
                        emp,
                        at,
                        envelope=envelope,
                        department=department,
                        role="clerk",
                    )
                )
            else:
                data: dict[str, Any] = {"complaint_id": draw(st.sampled_from(COMPLAINT_IDS))}
                if kind == "received":
                    data["channel"] = draw(st.sampled_from(("phone", "web")))
                batch.append(make(f"service.complaint_{kind}", emp, at, envelope=envelope, **data))
        recorded += batch
        steps.append(BoardStep(when, batch, adopt=when == adopt_at))
    return BoardPlan(steps)


def board_on_demand(ledger: Ledger, now: datetime) -> list[Any]:
    """The board as the ``complaints`` command computed it before its read model: every
    handler's facts of the board's types that occurred by ``now``, folded."""
    from ledger.projections.registers import BOARD_TYPES, ComplaintStream, complaint_board

    streams: dict[str, list[Event]] = {}
    for item in ledger.store.read(types=BOARD_TYPES):
        if item.event.occurred_at <= now:
            streams.setdefault(item.event.employee_id, []).append(item.event)
    rulebooks = ledger.rulebooks()
    return complaint_board(
        (
            ComplaintStream(handler, tuple(facts), rulebooks)
            for handler, facts in sorted(streams.items())
            if any(f.type == "service.complaint_received" for f in facts)
        ),
        now,
    )


@given(board_plans(), st.data())
def test_complaint_board_caught_up_incrementally_equals_a_rebuild(
    plan: BoardPlan, data: st.DataObject
) -> None:
    from ledger.projections.listings import ComplaintBoard

    caught = [
        data.draw(st.booleans(), label=f"catch up after step {i}") for i in range(len(plan.steps))
    ]
    ledger = plan.play(lambda led, i: ComplaintBoard(led).catch_up() if caught[i] else None)
    incremental = ComplaintBoard(ledger).dump()
    ComplaintBoard(ledger).rebuild()
    assert ComplaintBoard(ledger).dump() == incremental
    # A ledger whose board was never caught up (all at once) holds the same rows.
    assert ComplaintBoard(plan.play()).dump() == incremental


@given(board_plans(), st.data())
def test_complaint_board_answers_as_the_log_folded_on_demand(
    plan: BoardPlan, data: st.DataObject
) -> None:
    from ledger.projections.listings import ComplaintBoard

    caught = [
        data.draw(st.booleans(), label=f"catch up after step {i}") for i in range(len(plan.steps))
    ]
    ledger = plan.play(lambda led, i: ComplaintBoard(led).catch_up() if caught[i] else None)
    events = [item.event for item in ledger.store.read()]
    edges = {e.occurred_at for e in events} | {
        e.occurred_at + timedelta(hours=h) for e in events for h in (6, 24, 30, 48)
    }
    moments = sorted(
        {
            BOARD_FROM - timedelta(days=1),
            *BOARD_STEPS,
            *edges,
            *(m - timedelta(microseconds=1) for m in edges),
            instant("2026-06-01 00:00"),
        }
    )
    board = ComplaintBoard(ledger)
    for now in moments:
        expected = board_on_demand(ledger, now)
        answered = board.board(now)
        assert answered == expected, now
        assert [c.to_json() for c in answered] == [c.to_json() for c in expected]
        assert [
            (c.received_at.strftime("%Y-%m-%d %H:%M"), c.reply_left, c.resolve_left)
            for c in answered
        ] == [
            (c.received_at.strftime("%Y-%m-%d %H:%M"), c.reply_left, c.resolve_left)
            for c in expected
        ]


# -- the report's read model (issue 11, point 3) ----------------------------------------------

REPORTED = (*QUARTERS, Period.parse("2026-03"), Period.parse("2026"))


@given(plans(), st.data())
def test_report_rows_caught_up_incrementally_equal_a_rebuild_and_the_figures_on_demand(
    plan: Plan, data: st.DataObject
) -> None:
    from ledger.report import ReportRows, report_figures

    clock = ManualClock(ORIGIN)
    ledger = Ledger.in_memory(clock=clock)
    for step in plan.steps:
        apply(ledger, clock, step, catch_up=False)
        if data.draw(st.booleans(), label="catch up after this step"):
            for period in REPORTED:
                ReportRows(ledger, period).catch_up()
    incremental = {p.label: ReportRows(ledger, p).dump() for p in REPORTED}
    for period in REPORTED:
        ReportRows(ledger, period).rebuild()
    assert {p.label: ReportRows(ledger, p).dump() for p in REPORTED} == incremental
    once = plan.play()
    assert {p.label: ReportRows(once, p).dump() for p in REPORTED} == incremental
    for period in REPORTED:
        stored = list(ReportRows(ledger, period).figures())
        computed = [
            report_figures(employee_view(ledger, emp, as_of=period.last_instant), period)
            for emp in listed_employees(ledger)
        ]
        assert [f.to_json() for f in stored] == [f.to_json() for f in computed]
        assert stored == computed
