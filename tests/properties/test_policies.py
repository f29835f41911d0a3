"""Properties of derivation and reconciliation over realistic mixed quarters (RULEBOOK.md §0).

Histories are one employee's 2026Q3: attendance, complaints handled and complaints verified
(with replies, resolutions and apologies on time or late), tasks (done on time, late or never),
praise, lapses, inspections, violations, recognition; some facts retracted; and, where a
property needs them, appeal decisions on consequences the history derived.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any
from uuid import UUID

from hypothesis import assume, given
from hypothesis import strategies as st

from ledger.app import Ledger
from ledger.events import Event
from ledger.policies.engine import Derivation, counted_facts, derive
from ledger.policies.rulebook import AdoptedRulebook, Rulebook, RulebookSet
from ledger.testing import ManualClock, WhenResolvable, events, hired, instant, make, retract

BOOKS = RulebookSet([AdoptedRulebook.from_document(Rulebook.default_document())])
Q3_START, Q3_END = instant("2026-07-01 00:00"), instant("2026-09-30 23:59")
HORIZON = instant("2026-10-15 00:00")
"""Deadlines are evaluated up to here: after every due time a quarter's facts can set."""
CLOCK_AT = "2026-12-01 00:00"
"""The ledgers' clock: after every drawn fact, so none is refused as lying in the future."""

OTHER_TYPES = (
    "service.customer_praised",
    "service.first_response_timed",
    "service.phone_answered",
    "service.inspected",
    "service.evaluated",
    "conduct.violation",
    "conduct.property_damaged",
    "task.refused",
    "task.authority_exceeded",
    "task.meeting_missed",
    "recognition.good_deed",
    "recognition.suggestion_adopted",
    "recognition.supervision_report",
    "training.completed",
)
"""Types whose data ``ledger.testing.events`` draws well on its own (no ids to match up)."""

times = st.datetimes(
    Q3_START.replace(tzinfo=None), Q3_END.replace(tzinfo=None), timezones=st.just(Q3_START.tzinfo)
)
hours = st.integers(0, 120).map(lambda h: timedelta(hours=h))


def at_after(draw: Any, start: datetime, most: int = 120) -> datetime:
    return start + timedelta(hours=draw(st.integers(0, most)), minutes=draw(st.integers(0, 59)))


def fact(draw: Any, type_name: str, emp: str, at: datetime, **data: Any) -> Event:
    event_id = draw(st.uuids(version=4))
    return make(type_name, emp, at, envelope={"event_id": event_id}, **data)


@st.composite
def attendance(draw: Any, emp: str) -> list[Event]:
    facts = []
    for _ in range(draw(st.integers(0, 14))):
        when = draw(times)
        match draw(st.sampled_from(["late", "early", "post_left", "absence", "leave"])):
            case "late":
                facts.append(
                    fact(
                        draw, "attendance.late_arrival", emp, when, minutes=draw(st.integers(1, 90))
                    )
                )
            case "early":
                minutes = draw(st.integers(1, 90))
                facts.append(fact(draw, "attendance.early_departure", emp, when, minutes=minutes))
            case "post_left":
                facts.append(fact(draw, "attendance.post_left", emp, when))
            case "absence":
                days = draw(st.integers(1, 2))
                facts.append(fact(draw, "attendance.absence", emp, when, days=days))
            case _:
                facts.append(fact(draw, "attendance.leave_taken", emp, when, kind="sick", days=1))
    return facts


@st.composite
def complaints(draw: Any, emp: str) -> list[Event]:
    """Complaints handled by ``emp`` (SVC-02/03) and complaints against ``emp`` (SVC-01/05)."""
    facts = []
    for cid in draw(st.lists(st.sampled_from(["C1", "C2", "C3"]), unique=True, max_size=3)):
        received = draw(times)
        facts.append(
            fact(draw, "service.complaint_received", emp, received, complaint_id=cid, channel="web")
        )
        for follow_up in ("service.complaint_replied", "service.complaint_resolved"):
            if draw(st.booleans()):
                facts.append(fact(draw, follow_up, emp, at_after(draw, received), complaint_id=cid))
    for cid in draw(st.lists(st.sampled_from(["V1", "V2", "V3"]), unique=True, max_size=3)):
        verified = draw(times)
        severity = draw(st.sampled_from(["minor", "minor", "major", "serious"]))
        facts.append(
            fact(
                draw,
                "service.complaint_verified",
                emp,
                verified,
                complaint_id=cid,
                severity=severity,
            )
        )
        if draw(st.booleans()):
            apology = at_after(draw, verified, 48)
            facts.append(fact(draw, "service.apology_made", emp, apology, complaint_id=cid))
    return facts


@st.composite
def tasks(draw: Any, emp: str) -> list[Event]:
    facts = []
    for tid in draw(st.lists(st.sampled_from(["T1", "T2", "T3", "T4"]), unique=True, max_size=4)):
        assigned = draw(times)
        due = at_after(draw, assigned)
        facts.append(fact(draw, "task.assigned", emp, assigned, task_id=tid, due_at=due))
        if draw(st.booleans()):
            done = at_after(draw, assigned, 160)
            facts.append(fact(draw, "task.completed", emp, done, task_id=tid))
    return facts


@st.composite
def quarters(draw: Any, emp: str = "E1", retractions: bool = True) -> list[Event]:
    """A realistic mixed quarter of one employee, some facts retracted, in shuffled order."""
    facts = [
        *draw(attendance(emp)),
        *draw(complaints(emp)),
        *draw(tasks(emp)),
        *draw(
            st.lists(
                events(OTHER_TYPES, emp, Q3_START, Q3_END),
                max_size=10,
                unique_by=lambda e: e.event_id,
            )
        ),
    ]
    if retractions and facts:
        targets = draw(st.lists(st.sampled_from(facts), max_size=3, unique_by=lambda e: e.event_id))
        for target in targets:
            when = target.occurred_at + draw(hours)
            facts.append(retract(target, at=when, event_id=draw(st.uuids(version=4))))
    return draw(st.permutations(facts))


def appeal(emp: str, sanction_id: UUID, at: datetime, outcome: str, event_id: UUID) -> Event:
    return make(
        "appeal.decided",
        emp,
        at,
        envelope={"event_id": event_id},
        sanction_id=sanction_id,
        outcome=outcome,
    )


@st.composite
def appealed_quarters(draw: Any, emp: str = "E1") -> list[Event]:
    """A quarter plus decisions (upheld or rejected) on some of what it derived."""
    history = draw(quarters(emp))
    derived = derive(emp, history, BOOKS, HORIZON)
    if not derived.outcomes:
        return history
    chosen = draw(
        st.lists(st.sampled_from(derived.outcomes), max_size=3, unique_by=lambda o: o.sanction_id)
    )
    # An upheld appeal may take away what was derived after its consequence (an escalation
    # that no longer happens), and an appeal needs its consequence recorded (issue 13,
    # point 8): so only the one chosen consequence issued last may be upheld.
    last = max((o.issued_at for o in chosen), default=None)
    latest = [o for o in chosen if o.issued_at == last]
    decided = [
        appeal(
            emp,
            o.sanction_id,
            o.issued_at + timedelta(days=draw(st.integers(1, 14))),
            draw(st.sampled_from(["upheld", "rejected"]))
            if latest == [o]
            else "rejected",
            draw(st.uuids(version=4)),
        )
        for o in chosen
    ]
    # A decision answers a filed appeal (issue 13, point 8).
    filed = [filing(emp, o.sanction_id, o.issued_at, draw(st.uuids(version=4))) for o in chosen]
    if decided and draw(st.booleans()):  # a decision entered in error, then retracted
        mistake = draw(st.sampled_from(decided))
        decided.append(retract(mistake, event_id=draw(st.uuids(version=4))))
    return draw(st.permutations([*history, *filed, *decided]))


def filing(emp: str, sanction_id: UUID, issued_at: datetime, event_id: UUID) -> Event:
    """The appeal against a consequence, filed an hour after it was issued."""
    return make(
        "appeal.filed",
        emp,
        issued_at + timedelta(hours=1),
        envelope={"event_id": event_id},
        sanction_id=sanction_id,
        grounds="I was not there",
    )


def summary(derivation: Derivation) -> tuple[Any, ...]:
    """Everything a derivation decides, in a comparable form."""
    return (
        tuple(
            (
                o.sanction_id,
                o.kind,
                o.amount,
                o.rule.rule_id,
                o.issued_at,
                o.expires_at,
                o.caused_by,
                o.depends_on,
                o.attached_to,
            )
            for o in derivation.outcomes
        ),
        tuple((r.sanction_id, r.revoked_by, r.at) for r in derivation.revocations),
        tuple((f.code, f.at, f.message) for f in derivation.findings),
        dict(derivation.retracted),
        dict(derivation.upheld),
    )


def record_in_batches(history: Sequence[Event], cuts: Sequence[int]) -> Ledger:
    """Record ``history`` in batches cut at ``cuts``; what refers to a consequence or fact
    not recorded yet waits for a later batch, or the end (after the tick)."""
    ledger = Ledger.in_memory(clock=ManualClock(CLOCK_AT))
    # The ledger derives nothing for an employee not hired (issue 13): hire everyone first,
    # before all their facts, so that the ledger and the pure derivations see the same.
    staff = sorted({e.employee_id for e in history})
    ledger.record([hired(emp, "2025-01-02 09:00", hired_on=date(2025, 1, 1)) for emp in staff])
    recorder = WhenResolvable(ledger)
    bounds = [0, *sorted(c % (len(history) + 1) for c in cuts), len(history)]
    for start, end in pairwise(bounds):
        if end > start:
            recorder.record(history[start:end])
    ledger.tick(HORIZON)
    assert recorder.flush() == []
    return ledger


# -- properties ----------------------------------------------------------------------------


@given(appealed_quarters(), st.randoms(use_true_random=False))
def test_derivation_does_not_depend_on_the_order_of_the_facts(
    history: list[Event], rnd: Any
) -> None:
    shuffled = list(history)
    rnd.shuffle(shuffled)
    first = derive("E1", history, BOOKS, HORIZON)
    assert summary(derive("E1", shuffled, BOOKS, HORIZON)) == summary(first)
    assert summary(derive("E1", list(reversed(history)), BOOKS, HORIZON)) == summary(first)


@given(appealed_quarters())
def test_derivation_is_deterministic(history: list[Event]) -> None:
    first = derive("E1", history, BOOKS, HORIZON)
    again = derive("E1", history, BOOKS, HORIZON)
    assert summary(again) == summary(first)
    assert again.outcomes == first.outcomes


@given(appealed_quarters(), st.lists(st.integers(0, 200), max_size=3))
def test_reconciling_a_recorded_history_again_changes_nothing(
    history: list[Event], cuts: list[int]
) -> None:
    ledger = record_in_batches(history, cuts)
    assert ledger.reconcile("E1") == 0
    derived = ledger.derive("E1")
    recorded = {s.sanction_id: s for s in ledger.sanctions("E1")}
    assert {i for i, s in recorded.items() if not s.voided} == set(derived.by_id())
    for outcome in derived.outcomes:  # same id, same content: kind, money, lineage
        issued, expected = recorded[outcome.sanction_id].issued, outcome.to_data()
        assert issued.model_dump(exclude={"basis"}) == expected.model_dump(exclude={"basis"})
    revoked = {r.sanction_id: r.revoked_by for r in derived.revocations}
    assert {i: s.revoked_by for i, s in recorded.items() if s.revoked_by and not s.voided} == (
        revoked
    )
    assert ledger.verify_chain().ok


@given(appealed_quarters())
def test_every_consequence_is_caused_by_facts_that_still_count(history: list[Event]) -> None:
    derived = derive("E1", history, BOOKS, HORIZON)
    counted, retracted, _, _ = counted_facts(history)
    counted_ids = {f.event_id for f in counted}
    for outcome in derived.outcomes:
        assert outcome.caused_by, outcome
        assert set(outcome.caused_by) <= counted_ids, outcome
        assert not set(outcome.caused_by) & set(retracted)


@given(appealed_quarters())
def test_money_is_never_negative_and_always_exact_to_the_fen(history: list[Event]) -> None:
    for outcome in derive("E1", history, BOOKS, HORIZON).outcomes:
        if outcome.kind in ("fine", "bonus", "compensation"):
            assert outcome.amount is not None and outcome.amount > 0, outcome
            assert outcome.amount == outcome.amount.quantize(Decimal("0.01"))
        else:
            assert outcome.amount is None, outcome


@given(appealed_quarters())
def test_nothing_stands_on_a_consequence_voided_on_appeal(history: list[Event]) -> None:
    derived = derive("E1", history, BOOKS, HORIZON)
    ids = set(derived.by_id())
    assert not ids & set(derived.upheld)
    for outcome in derived.outcomes:
        assert set(outcome.depends_on) <= ids, outcome
        assert outcome.attached_to is None or outcome.attached_to in ids, outcome
    for revocation in derived.revocations:
        assert {revocation.sanction_id, revocation.revoked_by} <= ids


def _two_more_warnings(draw: Any, emp: str) -> list[Event]:
    """OBD-03 warnings, so that most quarters see ESC-01 at least once."""
    return [
        fact(draw, "task.authority_exceeded", emp, draw(times), description="waived a fee")
        for _ in range(2)
    ]


@given(st.data())
def test_an_upheld_appeal_on_an_escalated_warning_voids_the_escalation(data: Any) -> None:
    history = [*data.draw(quarters()), *_two_more_warnings(data.draw, "E1")]
    before = derive("E1", history, BOOKS, HORIZON)
    escalations = [o for o in before.outcomes if o.rule.rule_id == "ESC-01"]
    assume(escalations)
    escalation = data.draw(st.sampled_from(escalations))
    warning = data.draw(st.sampled_from(escalation.depends_on))
    upheld = appeal("E1", warning, escalation.issued_at + timedelta(days=3), "upheld", UUID(int=7))

    after = derive("E1", [*history, upheld], BOOKS, HORIZON)
    ids = set(after.by_id())
    assert warning not in ids and escalation.sanction_id not in ids
    assert not any(o.attached_to in (warning, escalation.sanction_id) for o in after.outcomes)
    for outcome in after.outcomes:
        assert set(outcome.depends_on) <= ids

    # The ledger records the same: the warning, the escalation and their fines voided.
    ledger = record_in_batches(history, [])
    ledger.record([filing("E1", warning, escalation.issued_at, UUID(int=6)), upheld])
    states = {s.sanction_id: s for s in ledger.sanctions("E1")}
    gone = {warning, escalation.sanction_id}
    gone |= {i for i, s in states.items() if s.issued.attached_to in gone}
    assert all(states[i].voided for i in gone)
    for state in states.values():
        if not state.voided:
            assert not set(state.issued.depends_on) & gone
            assert state.issued.attached_to not in gone


@given(
    quarters("E1"),
    quarters("E2"),
    st.randoms(use_true_random=False),
    st.lists(st.integers(0, 200), max_size=4),
    st.lists(st.integers(0, 200), max_size=4),
)
def test_the_same_facts_recorded_in_any_order_and_batches_give_the_same_register(
    first: list[Event], second: list[Event], rnd: Any, cuts_a: list[int], cuts_b: list[int]
) -> None:
    facts = [*first, *second]
    other = list(facts)
    rnd.shuffle(other)
    a, b = record_in_batches(facts, cuts_a), record_in_batches(other, cuts_b)

    def register(ledger: Ledger) -> dict[UUID, tuple[str, UUID | None]]:
        return {
            s.sanction_id: (s.employee_id, s.revoked_by) for s in ledger.sanctions() if not s.voided
        }

    assert register(a) == register(b)
    assert set(register(a)) == set(a.derive("E1").by_id()) | set(a.derive("E2").by_id())
