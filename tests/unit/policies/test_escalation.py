"""ESC-01..ESC-03 escalation, PAY-01 attached fines, appeals and retractions (RULEBOOK.md
§0, §6, §10).

Clauses: seed 001 三.(三).3 屡教不改 (escalation); seed 001 五.(二) and seed 000 二.7 (appeals);
劳动合同法 第4条 and the fines profile of §0. Expectations are hand-worked from RULEBOOK.md:
live periods warning 6 / demerit 12 / major_demerit 18 months from the issue time; two live
unrevoked unescalated warnings → demerit (fine 100.00); two live unescalated demerits →
major_demerit (fine 200.00); a discipline record issued while an earlier major demerit is live
→ dismissal_recommended; one fine per discipline record (50.00 / 100.00 / 200.00) with the
record's rule and causes and ``attached_to`` it.
"""

from __future__ import annotations

import random
from decimal import Decimal
from uuid import UUID

import pytest
from policy_helpers import (
    at,
    books,
    by_kind,
    document,
    findings,
    fines_of,
    ids,
    make_with_id,
    one,
    records,
    rows,
    run,
)

from ledger.events import Event
from ledger.testing import appeal_decided, make, retract


def warned(when: str) -> Event:
    """OBD-03 authority exceeded: a warning issued at ``when``."""
    return make("task.authority_exceeded", "E1", when, description="approved a refund")


def demerit_at(when: str) -> Event:
    """CND-01 confidentiality: a demerit issued at ``when``."""
    return make("conduct.violation", "E1", when, kind="confidentiality", description="x")


def major_at(when: str) -> Event:
    """CND-01 falsification: a major demerit (+ demotion_recommended) issued at ``when``."""
    return make("conduct.violation", "E1", when, kind="falsification", description="x")


def noticed(when: str) -> Event:
    """OBD-04 missed meeting: a notice issued at ``when``."""
    return make("task.meeting_missed", "E1", when, meeting="weekly")


def filed(when: str, sanction_id: UUID) -> Event:
    return make("appeal.filed", "E1", when, sanction_id=sanction_id, grounds="unfair")


# -- ESC-01 / ESC-02 -----------------------------------------------------------------------

ESCALATIONS = [
    pytest.param([warned("2026-07-01 10:00")], [], id="ESC-01 one live warning: nothing"),
    pytest.param(
        [warned("2026-07-01 10:00"), warned("2026-07-10 10:00")],
        [("ESC-01", "demerit", "2026-07-10 10:00")],
        id="ESC-01 two live warnings -> demerit at the 2nd",
    ),
    pytest.param(
        [warned("2026-01-01 09:00"), warned("2026-07-01 09:00")],
        [],
        id="ESC-01 1st warning expired exactly 6 months before the 2nd: nothing",
    ),
    pytest.param(
        [warned("2026-01-01 09:00"), warned("2026-07-01 08:59")],
        [("ESC-01", "demerit", "2026-07-01 08:59")],
        id="ESC-01 1st warning 6 months minus 1 min old: still live, demerit",
    ),
    pytest.param(
        [warned(f"2026-07-0{d} 10:00") for d in (1, 2, 3)],
        [("ESC-01", "demerit", "2026-07-02 10:00")],
        id="ESC-01 three warnings: one demerit, the 3rd stays unescalated",
    ),
    pytest.param(
        [warned(f"2026-07-0{d} 10:00") for d in (1, 2, 3, 4)],
        [
            ("ESC-01", "demerit", "2026-07-02 10:00"),
            ("ESC-01", "demerit", "2026-07-04 10:00"),
            ("ESC-02", "major_demerit", "2026-07-04 10:00"),
        ],
        id="ESC-01 x2 then ESC-02 cascade at the same instant",
    ),
    pytest.param(
        [noticed(f"2026-07-0{d} 10:00") for d in (1, 2, 3, 4)],
        [],
        id="ESC-01 notices never escalate",
    ),
    pytest.param(
        [demerit_at("2026-07-01 10:00"), demerit_at("2026-08-01 10:00")],
        [("ESC-02", "major_demerit", "2026-08-01 10:00")],
        id="ESC-02 two live demerits -> major_demerit",
    ),
    pytest.param(
        [demerit_at("2026-07-01 10:00"), demerit_at("2027-07-01 10:00")],
        [],
        id="ESC-02 1st demerit expired exactly 12 months before the 2nd: nothing",
    ),
    pytest.param(
        [demerit_at("2026-07-01 10:00"), demerit_at("2027-07-01 09:59")],
        [("ESC-02", "major_demerit", "2027-07-01 09:59")],
        id="ESC-02 1st demerit 12 months minus 1 min old: major_demerit",
    ),
    pytest.param(
        [demerit_at("2026-07-01 10:00"), warned("2026-07-02 10:00"), warned("2026-07-03 10:00")],
        [
            ("ESC-01", "demerit", "2026-07-03 10:00"),
            ("ESC-02", "major_demerit", "2026-07-03 10:00"),
        ],
        id="ESC-02 counts a demerit made by ESC-01",
    ),
]


@pytest.mark.parametrize(("facts", "expected"), ESCALATIONS)
def test_escalation(facts: list[Event], expected: list[tuple[str, str, str]]) -> None:
    """ESC-01 / ESC-02 (seed 001 三.(三).3 屡教不改): live unescalated records reaching 2."""
    derivation = run(facts)
    got = [(r, k, t) for r, k, _, t in rows(derivation) if r.startswith("ESC-0")]
    assert got == expected


def test_escalated_demerit_provenance_and_fine() -> None:
    """ESC-01 (seed 001 三.(三).3) + PAY-01: the demerit depends on both warnings, is caused
    by their facts, lives 12 months and carries fine 100.00 attached to it."""
    first, second = warned("2026-07-01 10:00"), warned("2026-07-10 10:00")
    derivation = run([first, second])
    w1, w2 = by_kind(derivation, "warning")
    demerit = one(derivation, "demerit", "ESC-01")
    assert demerit.depends_on == (w1.sanction_id, w2.sanction_id)
    assert demerit.caused_by == ids([first, second])
    assert demerit.issued_at == at("2026-07-10 10:00")
    assert demerit.expires_at == at("2027-07-10 10:00")
    fine = fines_of(derivation)[demerit.sanction_id]
    assert (fine.rule.rule_id, fine.amount, fine.caused_by) == (
        "ESC-01",
        Decimal("100.00"),
        demerit.caused_by,
    )
    # Escalated warnings stay live (for grading) and keep their own fines.
    assert w1.expires_at == at("2027-01-01 10:00")
    assert fines_of(derivation)[w1.sanction_id].amount == Decimal("50.00")


def test_escalated_warnings_are_not_counted_again() -> None:
    """ESC-01 (seed 001 三.(三).3): W1 + W2 → demerit; W3 alone is 1 unescalated warning."""
    derivation = run([warned(f"2026-07-0{d} 10:00") for d in (1, 2, 3)])
    assert len(by_kind(derivation, "demerit")) == 1


# -- ESC-03 --------------------------------------------------------------------------------

DISMISSALS = [
    pytest.param(
        [major_at("2026-07-01 10:00"), demerit_at("2026-07-10 10:00")],
        ["2026-07-10 10:00"],
        id="ESC-03 demerit while a major demerit is live",
    ),
    pytest.param(
        [major_at("2026-07-01 10:00"), major_at("2026-08-10 10:00")],
        ["2026-08-10 10:00"],
        id="ESC-03 a 2nd major demerit while the 1st is live",
    ),
    pytest.param(
        [major_at("2026-07-01 10:00"), noticed("2026-07-10 10:00")],
        [],
        id="ESC-03 a notice is not discipline: nothing",
    ),
    pytest.param(
        [major_at("2026-01-01 09:00"), warned("2027-07-01 09:00")],
        [],
        id="ESC-03 major demerit expired exactly 18 months earlier: nothing",
    ),
    pytest.param(
        [major_at("2026-01-01 09:00"), warned("2027-07-01 08:59")],
        ["2027-07-01 08:59"],
        id="ESC-03 major demerit 18 months minus 1 min old: dismissal_recommended",
    ),
    pytest.param(
        [major_at("2026-07-01 10:00"), major_at("2026-07-01 10:00")],
        [],
        id="ESC-03 two major demerits at the same instant: neither is earlier",
    ),
    pytest.param(
        [warned("2026-07-01 10:00"), major_at("2026-07-10 10:00")],
        [],
        id="ESC-03 a warning before the major demerit: nothing",
    ),
]


@pytest.mark.parametrize(("facts", "expected"), DISMISSALS)
def test_dismissal_after_major_demerit(facts: list[Event], expected: list[str]) -> None:
    """ESC-03 (seed 001 三.(三).3; 劳动合同法 第39条): discipline during a live major demerit."""
    assert rows(run(facts), "ESC-03") == [
        ("ESC-03", "dismissal_recommended", None, when) for when in expected
    ]


def test_dismissal_names_the_record_and_the_major_demerit() -> None:
    """ESC-03 (seed 001 三.(三).3): depends on the new record and the earlier major demerit."""
    derivation = run([major_at("2026-07-01 10:00"), demerit_at("2026-07-10 10:00")])
    major = one(derivation, "major_demerit")
    demerit = one(derivation, "demerit")
    recommendation = one(derivation, "dismissal_recommended", "ESC-03")
    assert set(recommendation.depends_on) == {demerit.sanction_id, major.sanction_id}
    assert recommendation.caused_by == demerit.caused_by
    assert recommendation.amount is None


def test_every_record_during_a_live_major_demerit_is_flagged() -> None:
    """ESC-03 (RULEBOOK §6, read literally): *each* warning, demerit or major demerit issued
    while an earlier major demerit is live → dismissal_recommended. Major on 07-01; W1 07-02
    (→ 1); W2 07-03 (→ 1) escalates with W1 to an ESC-01 demerit at 07-03 (→ 1 more)."""
    facts = [major_at("2026-07-01 10:00"), warned("2026-07-02 10:00"), warned("2026-07-03 10:00")]
    got = sorted(rows(run(facts), "ESC-03"))
    assert got == [
        ("ESC-03", "dismissal_recommended", None, "2026-07-02 10:00"),
        ("ESC-03", "dismissal_recommended", None, "2026-07-03 10:00"),
        ("ESC-03", "dismissal_recommended", None, "2026-07-03 10:00"),
    ]


# -- PAY-01 fines --------------------------------------------------------------------------

FINES = [
    pytest.param(warned("2026-07-01 10:00"), "warning", "50.00", id="PAY-01 warning: 50.00"),
    pytest.param(demerit_at("2026-07-01 10:00"), "demerit", "100.00", id="PAY-01 demerit: 100.00"),
    pytest.param(
        major_at("2026-07-01 10:00"), "major_demerit", "200.00", id="PAY-01 major_demerit: 200.00"
    ),
]


@pytest.mark.parametrize(("fact", "kind", "amount"), FINES)
def test_fine_attached_to_each_discipline_record(fact: Event, kind: str, amount: str) -> None:
    """PAY-01 (RULEBOOK §0 [fines]): one fine per record, same rule id, causes and issue time."""
    derivation = run([fact])
    record = one(derivation, kind)
    (fine,) = by_kind(derivation, "fine")
    assert fine.attached_to == record.sanction_id
    assert fine.amount == Decimal(amount)
    assert (fine.rule.rule_id, fine.caused_by, fine.issued_at) == (
        record.rule.rule_id,
        record.caused_by,
        record.issued_at,
    )


NO_FINE = [
    pytest.param(noticed("2026-07-01 10:00"), id="PAY-01 notice: no fine"),
    pytest.param(
        make("conduct.property_damaged", "E1", "2026-07-01 10:00", amount="80.00", description="x"),
        id="PAY-01 compensation: no fine",
    ),
    pytest.param(
        make("recognition.good_deed", "E1", "2026-07-01 10:00", description="x"),
        id="PAY-01 commendation: no fine",
    ),
]


@pytest.mark.parametrize("fact", NO_FINE)
def test_no_fine_without_a_discipline_record(fact: Event) -> None:
    """PAY-01 (RULEBOOK §0: notice carries 0, only warning / demerit / major_demerit fine)."""
    assert by_kind(run([fact]), "fine") == []


NO_FINES_BOOK = books(document({"jurisdiction.fines_allowed": "false"}))

FINES_NOT_ALLOWED = [
    pytest.param([warned("2026-07-01 10:00")], ["warning"], id="fines_allowed=false: warning"),
    pytest.param(
        [major_at("2026-07-01 10:00")], ["major_demerit"], id="fines_allowed=false: major"
    ),
    pytest.param(
        [warned("2026-07-01 10:00"), warned("2026-07-02 10:00")],
        ["warning", "warning", "demerit"],
        id="fines_allowed=false: ESC-01 demerit also without fine",
    ),
]


@pytest.mark.parametrize(("facts", "kinds"), FINES_NOT_ALLOWED)
def test_fines_not_allowed(facts: list[Event], kinds: list[str]) -> None:
    """PAY-01 (RULEBOOK §0 fines_allowed = false, e.g. Guangdong): records without fines, and a
    ``fines_not_allowed`` finding per record instead."""
    derivation = run(facts, rulebooks=NO_FINES_BOOK)
    discipline = [
        o for o in records(derivation) if o.kind in ("warning", "demerit", "major_demerit")
    ]
    assert sorted(o.kind for o in discipline) == sorted(kinds)
    assert by_kind(derivation, "fine") == []
    got = [f for f in derivation.findings if f.code == "fines_not_allowed"]
    assert len(got) == len(kinds)
    assert sorted(f.event_ids for f in got) == sorted(o.caused_by for o in discipline)


def test_fines_not_allowed_still_escalates_and_offsets() -> None:
    """ESC-01 / REC-05 under fines_allowed = false: discipline itself is unchanged."""
    facts = [
        warned("2026-07-01 10:00"),
        make("recognition.good_deed", "E1", "2026-07-02 10:00", description="x"),
        warned("2026-07-03 10:00"),
        warned("2026-07-04 10:00"),
    ]
    derivation = run(facts, rulebooks=NO_FINES_BOOK)
    assert len(derivation.revocations) == 1
    assert [r for r, *_ in rows(derivation, "ESC-01")] == ["ESC-01"]


# -- appeals -------------------------------------------------------------------------------


def _warning_id(facts: list[Event], index: int = 0) -> UUID:
    return by_kind(run(facts), "warning")[index].sanction_id


def test_upheld_appeal_voids_the_sanction_and_its_fine() -> None:
    """§10 appeal.decided upheld (seed 001 五.(二)): the warning and its fine never issued."""
    facts = [warned("2026-07-01 10:00")]
    sanction = _warning_id(facts)
    decided = appeal_decided("E1", "2026-07-10 10:00", sanction_id=sanction)
    derivation = run([*facts, decided])
    assert rows(derivation, fines=True) == []
    assert dict(derivation.upheld) == {sanction: decided.event_id}


def test_rejected_appeal_changes_nothing() -> None:
    """§10 appeal.decided rejected (seed 001 五.(二)): nothing changes."""
    facts = [warned("2026-07-01 10:00")]
    decided = appeal_decided(
        "E1", "2026-07-10 10:00", sanction_id=_warning_id(facts), outcome="rejected"
    )
    assert rows(run([*facts, decided]), fines=True) == rows(run(facts), fines=True)


def test_upheld_appeal_removes_the_escalation_built_on_it() -> None:
    """§10 + ESC-01: voiding W1 on appeal removes the demerit (and its fine) built on it; W2
    and its fine stand, W2 is unescalated again."""
    facts = [warned("2026-07-01 10:00"), warned("2026-07-10 10:00")]
    w1 = _warning_id(facts)
    derivation = run([*facts, appeal_decided("E1", "2026-07-20 10:00", sanction_id=w1)])
    assert rows(derivation, fines=True) == [
        ("OBD-03", "warning", None, "2026-07-10 10:00"),
        ("OBD-03", "fine", "50.00", "2026-07-10 10:00"),
    ]
    # W2 is unescalated, so the next warning escalates with it.
    later = run(
        [
            *facts,
            appeal_decided("E1", "2026-07-20 10:00", sanction_id=w1),
            warned("2026-08-01 10:00"),
        ]
    )
    assert [(r, k) for r, k, _, _ in rows(later, "ESC-01")] == [("ESC-01", "demerit")]


def test_upheld_appeal_on_the_escalated_demerit() -> None:
    """§10 + ESC-01: voiding the escalated demerit removes it and its fine; the warnings stay.

    Ambiguity kept from the code: the two warnings stay *escalated* (they do not immediately
    escalate again into the very demerit that was voided)."""
    facts = [warned("2026-07-01 10:00"), warned("2026-07-10 10:00")]
    demerit = one(run(facts), "demerit").sanction_id
    derivation = run([*facts, appeal_decided("E1", "2026-07-20 10:00", sanction_id=demerit)])
    assert sorted(rows(derivation, fines=True)) == [
        ("OBD-03", "fine", "50.00", "2026-07-01 10:00"),
        ("OBD-03", "fine", "50.00", "2026-07-10 10:00"),
        ("OBD-03", "warning", None, "2026-07-01 10:00"),
        ("OBD-03", "warning", None, "2026-07-10 10:00"),
    ]


def test_upheld_appeal_on_a_major_demerit_removes_the_dismissal_recommendation() -> None:
    """§10 + ESC-03: the recommendation depended on the voided major demerit."""
    facts = [major_at("2026-07-01 10:00"), demerit_at("2026-07-10 10:00")]
    major = one(run(facts), "major_demerit").sanction_id
    derivation = run([*facts, appeal_decided("E1", "2026-07-20 10:00", sanction_id=major)])
    assert rows(derivation, "ESC-03") == []
    assert by_kind(derivation, "major_demerit") == []
    assert len(by_kind(derivation, "demerit")) == 1


def test_upheld_appeal_against_a_fine_only() -> None:
    """§10: an appeal naming only the fine voids the fine; the record stands."""
    facts = [warned("2026-07-01 10:00")]
    (fine,) = by_kind(run(facts), "fine")
    derivation = run(
        [*facts, appeal_decided("E1", "2026-07-10 10:00", sanction_id=fine.sanction_id)]
    )
    assert rows(derivation, fines=True) == [("OBD-03", "warning", None, "2026-07-01 10:00")]


def test_retracted_appeal_decision_never_counted() -> None:
    """§0 + §10: a retracted appeal.decided never counted, so the warning stands.

    (Fixed in ledger/policies/engine.py: appeals were not filtered by retractions.)"""
    facts = [warned("2026-07-01 10:00")]
    decided = appeal_decided("E1", "2026-07-10 10:00", sanction_id=_warning_id(facts))
    derivation = run([*facts, decided, retract(decided, at="2026-07-11 10:00")])
    assert rows(derivation, fines=True) == rows(run(facts), fines=True)
    assert dict(derivation.upheld) == {}


LATE = [
    pytest.param(
        "2026-07-16 10:00", [], id="APL late appeal: exactly 15 days after issue: in time"
    ),
    pytest.param(
        "2026-07-16 10:01",
        [("late_appeal", "2026-07-16 10:01")],
        id="APL late appeal: 15 days + 1 min: finding",
    ),
]


@pytest.mark.parametrize(("filed_at", "expected"), LATE)
def test_late_appeal(filed_at: str, expected: list[tuple[str, str]]) -> None:
    """§10 appeal.filed more than 15 days after the issue time → finding, still recorded."""
    facts = [warned("2026-07-01 10:00")]
    appeal = filed(filed_at, _warning_id(facts))
    derivation = run([*facts, appeal])
    assert findings(derivation, "late_appeal") == expected
    assert rows(derivation, fines=True) == rows(run(facts), fines=True)


@pytest.mark.parametrize(
    ("filed_at", "late"),
    [
        pytest.param("2026-07-25 18:00", False, id="APL deadline miss: 15 days from the due time"),
        pytest.param("2026-07-25 18:01", True, id="APL deadline miss: 15 days + 1 min: late"),
    ],
)
def test_late_appeal_counts_from_the_issue_time_of_a_missed_deadline(
    filed_at: str, late: bool
) -> None:
    """§10 + §0 issue time: an OBD-02 miss is issued at the due time (07-10 18:00), so the
    15 days run from there, not from the assignment."""
    facts = [
        make("task.assigned", "E1", "2026-07-01 09:00", task_id="T1", due_at=at("2026-07-10 18:00"))
    ]
    notice = one(run(facts), "notice").sanction_id
    got = findings(run([*facts, filed(filed_at, notice)]), "late_appeal")
    assert bool(got) is late


def test_late_appeal_is_reported_even_when_upheld() -> None:
    """§10: the lateness of the filing is a fact about the filing; upholding the appeal later
    does not erase the finding. (Fixed in ledger/policies/engine.py.)"""
    facts = [warned("2026-07-01 10:00")]
    sanction = _warning_id(facts)
    derivation = run(
        [
            *facts,
            filed("2026-07-20 10:00", sanction),
            appeal_decided("E1", "2026-07-25 10:00", sanction_id=sanction),
        ]
    )
    assert rows(derivation, fines=True) == []
    assert findings(derivation, "late_appeal") == [("late_appeal", "2026-07-20 10:00")]


# -- retractions ---------------------------------------------------------------------------


def test_retraction_removes_the_consequences_of_the_fact() -> None:
    """§10 correction.retracted: the retracted 2nd warning's fact never counted: no W2, no
    fine, no ESC-01 demerit."""
    second = warned("2026-07-10 10:00")
    facts = [warned("2026-07-01 10:00"), second, retract(second, at="2026-07-12 10:00")]
    assert rows(run(facts), fines=True) == [
        ("OBD-03", "warning", None, "2026-07-01 10:00"),
        ("OBD-03", "fine", "50.00", "2026-07-01 10:00"),
    ]


def test_retraction_of_an_unknown_fact_is_a_finding() -> None:
    """§10: a retraction naming a fact not in the stream changes nothing and is reported."""
    stray = retract("00000000-0000-0000-0000-00000000abcd", emp="E1", at="2026-07-12 10:00")
    derivation = run([warned("2026-07-01 10:00"), stray])
    assert findings(derivation, "unknown_retraction_target") == [
        ("unknown_retraction_target", "2026-07-12 10:00")
    ]
    assert len(by_kind(derivation, "warning")) == 1


# -- ties and order independence -----------------------------------------------------------


def test_two_warnings_at_the_same_instant_escalate_at_that_instant() -> None:
    """ESC-01 (RULEBOOK §6 "evaluated after the primary rules at the same instant")."""
    a = make_with_id(1, "task.authority_exceeded", "2026-07-01 10:00", description="a")
    b = make_with_id(
        2, "task.refused", "2026-07-01 10:00", task_id="T9", approved_alternative=False
    )
    derivation = run([a, b])
    demerit = one(derivation, "demerit", "ESC-01")
    assert demerit.issued_at == at("2026-07-01 10:00")
    assert set(demerit.caused_by) == {a.event_id, b.event_id}


def test_commendation_at_the_instant_of_a_warning_offsets_it_before_escalation() -> None:
    """REC-05 / ESC-01 at one instant: W1 on 07-01; at 07-10 10:00 both W2 and a commendation.
    The commendation revokes the oldest live warning (W1) first, so W2 alone does not
    escalate (code reading: offsets run before the escalation pass of the same instant)."""
    facts = [
        warned("2026-07-01 10:00"),
        warned("2026-07-10 10:00"),
        make("recognition.good_deed", "E1", "2026-07-10 10:00", description="x"),
    ]
    derivation = run(facts)
    w1, _ = by_kind(derivation, "warning")
    assert [r.sanction_id for r in derivation.revocations] == [w1.sanction_id]
    assert by_kind(derivation, "demerit") == []


def test_derivation_does_not_depend_on_recording_order() -> None:
    """RULEBOOK §0 order of facts: (occurred_at, event_id), whatever order they arrive in."""
    facts = [
        warned("2026-07-01 10:00"),
        warned("2026-07-10 10:00"),
        major_at("2026-07-15 10:00"),
        warned("2026-07-20 10:00"),
        make("recognition.good_deed", "E1", "2026-07-21 10:00", description="x"),
        make_with_id(7, "task.meeting_missed", "2026-07-20 10:00", meeting="m"),
        make_with_id(8, "task.meeting_missed", "2026-07-20 10:00", meeting="m"),
    ]
    reference = run(facts)
    shuffled = list(facts)
    random.Random(7).shuffle(shuffled)
    again = run(shuffled)
    assert [o.sanction_id for o in again.outcomes] == [o.sanction_id for o in reference.outcomes]
    assert again.revocations == reference.revocations
