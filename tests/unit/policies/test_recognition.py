"""REC-01..REC-05 recognition and TRN-01 qualification gate (RULEBOOK.md §5).

Clauses: seed 001 二.(三).1 (表扬), 二.(三).3 (合理建议), 三.(三).2 (嘉奖抵消警告), 四.(一).1
(考核合格后方可正式上岗), 五.(二).1; seed 000 二.6. Expectations are hand-worked from
RULEBOOK.md: the 3rd praise of a calendar quarter → commendation + bonus 100.00 once;
suggestion tiers 100/300/500; supervision report 100.00; good deed → commendation (live 12
months); each commendation revokes the oldest live, unrevoked, unescalated warning.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from policy_helpers import at, books, by_kind, document, findings, one, records, rows, run

from ledger.events import Event
from ledger.testing import complaint_received, hired, make, praised


def good_deed(when: str) -> Event:
    return make("recognition.good_deed", "E1", when, description="returned a lost wallet")


def meddled(when: str) -> Event:
    """OBD-03: a plain warning (fine 50.00) issued at ``when``."""
    return make("task.authority_exceeded", "E1", when, description="approved a refund")


def qualification(when: str, passed: bool) -> Event:
    return make("employee.qualification_assessed", "E1", when, passed=passed)


# -- REC-01 praise -------------------------------------------------------------------------

PRAISE = [
    pytest.param(["2026-07-02", "2026-08-15"], [], id="REC-01 2 praises: nothing"),
    pytest.param(
        ["2026-07-02", "2026-08-15", "2026-09-01"],
        ["2026-09-01 12:00"],
        id="REC-01 3rd praise in the quarter: commendation + bonus",
    ),
    pytest.param(
        ["2026-07-02", "2026-07-03", "2026-07-04", "2026-07-05", "2026-07-06", "2026-07-07"],
        ["2026-07-04 12:00"],
        id="REC-01 4th..6th praise in the quarter: once per quarter",
    ),
    pytest.param(
        ["2026-05-02", "2026-06-30", "2026-07-01"],
        [],
        id="REC-01 2 in Q2 + 1 in Q3: quarters do not pool",
    ),
    pytest.param(
        ["2026-04-02", "2026-05-02", "2026-06-02", "2026-07-02", "2026-08-02", "2026-09-02"],
        ["2026-06-02 12:00", "2026-09-02 12:00"],
        id="REC-01 3 in Q2 and 3 in Q3: one each",
    ),
]


@pytest.mark.parametrize(("days", "expected"), PRAISE)
def test_praise(days: list[str], expected: list[str]) -> None:
    """REC-01 (seed 001 二.(三).1 客户表扬): 3rd praise per calendar quarter, once."""
    facts = [praised("E1", f"{day} 12:00") for day in days]
    got = sorted(rows(run(facts), "REC-01"))
    want = sorted(
        [("REC-01", "commendation", None, t) for t in expected]
        + [("REC-01", "bonus", "100.00", t) for t in expected]
    )
    assert got == want


def test_praise_outcomes_cite_the_three_praises() -> None:
    """REC-01 (seed 001 二.(三).1): both outcomes are caused by the three counted praises."""
    facts = [praised("E1", f"2026-07-0{d} 12:00") for d in (2, 3, 4)]
    derivation = run(facts)
    causes = tuple(sorted((f.event_id for f in facts), key=str))
    assert one(derivation, "commendation").caused_by == causes
    assert one(derivation, "bonus").caused_by == causes
    assert one(derivation, "commendation").expires_at == at("2027-07-04 12:00")


# -- REC-02, REC-03, REC-04 ----------------------------------------------------------------

BONUSES = [
    pytest.param(
        make("recognition.suggestion_adopted", "E1", "2026-07-09 10:00", tier=1),
        [("REC-02", "bonus", "100.00", "2026-07-09 10:00")],
        id="REC-02 suggestion tier 1: bonus 100.00",
    ),
    pytest.param(
        make("recognition.suggestion_adopted", "E1", "2026-07-09 10:00", tier=2),
        [("REC-02", "bonus", "300.00", "2026-07-09 10:00")],
        id="REC-02 suggestion tier 2: bonus 300.00",
    ),
    pytest.param(
        make("recognition.suggestion_adopted", "E1", "2026-07-09 10:00", tier=3),
        [("REC-02", "bonus", "500.00", "2026-07-09 10:00")],
        id="REC-02 suggestion tier 3: bonus 500.00",
    ),
    pytest.param(
        make("recognition.supervision_report", "E1", "2026-07-09 10:00", summary="leak"),
        [("REC-03", "bonus", "100.00", "2026-07-09 10:00")],
        id="REC-03 supervision report: bonus 100.00",
    ),
    pytest.param(
        good_deed("2026-07-09 10:00"),
        [("REC-04", "commendation", None, "2026-07-09 10:00")],
        id="REC-04 good deed: commendation",
    ),
]


@pytest.mark.parametrize(("fact", "expected"), BONUSES)
def test_single_fact_recognition(
    fact: Event, expected: list[tuple[str, str, str | None, str]]
) -> None:
    """REC-02 / REC-03 / REC-04 (seed 001 二.(三).3 合理建议, 五.(二).1; seed 000 二.6)."""
    derivation = run([fact])
    assert rows(derivation, fines=True) == expected
    assert all(o.caused_by == (fact.event_id,) for o in derivation.outcomes)
    assert derivation.revocations == ()


def test_commendation_lives_twelve_months() -> None:
    """REC-04 (RULEBOOK §0: commendation live 12 months)."""
    commendation = one(run([good_deed("2026-07-09 10:00")]), "commendation")
    assert commendation.expires_at == at("2027-07-09 10:00")


# -- REC-05 offsets ------------------------------------------------------------------------

OFFSETS = [
    pytest.param(
        [meddled("2026-07-01 10:00"), good_deed("2026-07-10 10:00")],
        [0],
        id="REC-05 one live warning: revoked by the commendation",
    ),
    pytest.param(
        [good_deed("2026-07-10 10:00")],
        [],
        id="REC-05 no live warning: nothing revoked",
    ),
    pytest.param(
        [meddled("2026-01-10 10:00"), good_deed("2026-07-10 10:00")],
        [],
        id="REC-05 warning expired exactly 6 months earlier: nothing revoked",
    ),
    pytest.param(
        [meddled("2026-01-10 10:00"), good_deed("2026-07-10 09:59")],
        [0],
        id="REC-05 warning 6 months minus 1 min old: still live, revoked",
    ),
    pytest.param(
        [good_deed("2026-07-01 10:00"), meddled("2026-07-10 10:00")],
        [],
        id="REC-05 commendation before the warning: no offset of a later warning",
    ),
    pytest.param(
        [
            make("task.meeting_missed", "E1", "2026-07-01 10:00", meeting="weekly"),
            good_deed("2026-07-10 10:00"),
        ],
        [],
        id="REC-05 a notice is not a warning: nothing revoked",
    ),
    pytest.param(
        [
            make(
                "conduct.violation",
                "E1",
                "2026-07-01 10:00",
                kind="confidentiality",
                description="x",
            ),
            good_deed("2026-07-10 10:00"),
        ],
        [],
        id="REC-05 a demerit is never offset",
    ),
    pytest.param(
        [
            meddled("2026-07-01 10:00"),
            *(praised("E1", f"2026-08-0{d} 12:00") for d in (1, 2, 3)),
        ],
        [0],
        id="REC-05 the REC-01 praise commendation also offsets",
    ),
]


@pytest.mark.parametrize(("facts", "revoked"), OFFSETS)
def test_commendation_offsets_a_live_warning(facts: list[Event], revoked: list[int]) -> None:
    """REC-05 (seed 001 三.(三).2 嘉奖抵消警告): revoke the oldest live unrevoked warning.

    ``revoked`` lists indexes into the warnings (issue order) expected to be revoked.
    """
    derivation = run(facts)
    warnings = by_kind(derivation, "warning")
    (commendation, *_) = by_kind(derivation, "commendation")
    assert [(r.sanction_id, r.revoked_by, r.at) for r in derivation.revocations] == [
        (warnings[i].sanction_id, commendation.sanction_id, commendation.issued_at) for i in revoked
    ]
    # The offset never removes the warning or its fine (money due is not refunded).
    assert len(by_kind(derivation, "fine")) == len(warnings) + len(
        [o for o in derivation.outcomes if o.kind in ("demerit", "major_demerit")]
    )


def test_offset_takes_the_oldest_warning_first() -> None:
    """REC-05 (seed 001 三.(三).2): with escalation set to 3 warnings (so two warnings stay
    unescalated), commendations revoke the oldest live warning, then the next, then none."""
    lenient = books(document({"escalation.warnings_to_demerit": "3"}))
    facts = [
        meddled("2026-07-01 10:00"),
        meddled("2026-07-05 10:00"),
        good_deed("2026-07-10 10:00"),
        good_deed("2026-07-11 10:00"),
        good_deed("2026-07-12 10:00"),
    ]
    derivation = run(facts, rulebooks=lenient)
    first, second = by_kind(derivation, "warning")
    c1, c2, _c3 = by_kind(derivation, "commendation")
    assert [(r.sanction_id, r.revoked_by) for r in derivation.revocations] == [
        (first.sanction_id, c1.sanction_id),
        (second.sanction_id, c2.sanction_id),
    ]


def test_escalated_warnings_are_not_offset() -> None:
    """REC-05 + ESC-01 (seed 001 三.(三).2, 三.(三).3): W1 + W2 escalate to a demerit; only the
    unescalated W3 is left for the commendation to revoke."""
    facts = [
        meddled("2026-07-01 10:00"),
        meddled("2026-07-02 10:00"),
        meddled("2026-07-03 10:00"),
        good_deed("2026-07-10 10:00"),
    ]
    derivation = run(facts)
    w1, w2, w3 = by_kind(derivation, "warning")
    demerit = one(derivation, "demerit", "ESC-01")
    assert demerit.depends_on == (w1.sanction_id, w2.sanction_id)
    assert [r.sanction_id for r in derivation.revocations] == [w3.sanction_id]


def test_revoked_warning_does_not_escalate() -> None:
    """REC-05 + ESC-01 (seed 001 三.(三).2): W1 revoked on 07-05, so W2 on 07-10 is alone: no
    demerit."""
    facts = [
        meddled("2026-07-01 10:00"),
        good_deed("2026-07-05 10:00"),
        meddled("2026-07-10 10:00"),
    ]
    derivation = run(facts)
    assert by_kind(derivation, "demerit") == []
    assert len(derivation.revocations) == 1


def test_offsets_can_be_switched_off() -> None:
    """REC-05 (rulebook parameter recognition.commendation_offsets_warning = false)."""
    strict = books(document({"recognition.commendation_offsets_warning": "false"}))
    derivation = run([meddled("2026-07-01 10:00"), good_deed("2026-07-10 10:00")], rulebooks=strict)
    assert derivation.revocations == ()


# -- TRN-01 qualification gate -------------------------------------------------------------

GATE = [
    pytest.param(
        [qualification("2026-01-10 09:00", True)],
        "2026-01-12 10:00",
        False,
        id="TRN-01 served after passing: no finding",
    ),
    pytest.param(
        [qualification("2026-01-10 09:00", True)],
        "2026-01-08 10:00",
        True,
        id="TRN-01 served before passing: served_before_qualification",
    ),
    pytest.param(
        [qualification("2026-01-10 09:00", True)],
        "2026-01-10 09:00",
        False,
        id="TRN-01 served at the very instant of passing: not before",
    ),
    pytest.param(
        [qualification("2026-01-10 09:00", False)],
        "2026-01-12 10:00",
        True,
        id="TRN-01 failed assessment does not open the gate",
    ),
    pytest.param(
        [qualification("2026-01-10 09:00", False), qualification("2026-01-20 09:00", True)],
        "2026-01-15 10:00",
        True,
        id="TRN-01 served between a failed and the first passed assessment",
    ),
    pytest.param([], "2026-01-12 10:00", True, id="TRN-01 never assessed: finding"),
]


@pytest.mark.parametrize(("assessments", "served_at", "finding"), GATE)
def test_qualification_gate(assessments: list[Event], served_at: str, finding: bool) -> None:
    """TRN-01 (seed 001 四.(一).1 考核合格后方可正式上岗): a finding, never a sanction."""
    service = praised("E1", served_at)
    facts = [hired("E1", "2026-01-05 09:00"), *assessments, service]
    derivation = run(facts)
    got = [f for f in derivation.findings if f.code == "served_before_qualification"]
    if finding:
        (only,) = got
        assert service.event_id in only.event_ids
    else:
        assert got == []
    assert records(derivation) == []


GATE_SCOPE = [
    pytest.param(
        make("service.inspected", "E1", "2026-01-08 10:00", inspection="company", passed=True),
        False,
        id="TRN-01 service.inspected is exempt",
    ),
    pytest.param(
        complaint_received("E1", "2026-01-08 10:00"), True, id="TRN-01 complaint handled early"
    ),
    pytest.param(
        make("service.phone_answered", "E1", "2026-01-08 10:00", rings=2),
        True,
        id="TRN-01 phone answered early",
    ),
]


@pytest.mark.parametrize(("fact", "finding"), GATE_SCOPE)
def test_qualification_gate_scope(fact: Event, finding: bool) -> None:
    """TRN-01 (seed 001 四.(一).1): every service.* fact except service.inspected."""
    facts = [hired("E1", "2026-01-05 09:00"), qualification("2026-01-10 09:00", True), fact]
    got = findings(run(facts, now="2026-01-09 00:00"), "served_before_qualification")
    assert got == ([("served_before_qualification", "2026-01-08 10:00")] if finding else [])


def test_qualification_gate_only_for_employees_hired_in_the_ledger() -> None:
    """TRN-01 (RULEBOOK §5 "for an employee with employee.hired in the ledger")."""
    facts = [praised("E1", "2026-01-08 10:00")]
    assert findings(run(facts), "served_before_qualification") == []
    assert rows(run(facts)) == []


def test_bonus_amounts_are_exact_decimals() -> None:
    """REC-02 (RULEBOOK §5): bonuses are Decimal money, never floats."""
    fact = make("recognition.suggestion_adopted", "E1", "2026-07-09 10:00", tier=2)
    (bonus,) = by_kind(run([fact]), "bonus")
    assert bonus.amount == Decimal("300.00")
    assert isinstance(bonus.amount, Decimal)
