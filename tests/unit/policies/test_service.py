"""SVC-01..SVC-06 service rules (RULEBOOK.md §2).

Clauses: seed 004 一.(3) 首问负责 / 二.(1) 投诉处理时限 / 三.(3); seed 003 3.2, 4.2.1.2 (phone
within three rings); seed 000 三不准 / 四不准, 二.6, 三.1 (checks). Expectations are
hand-worked from RULEBOOK.md: reply within 24 h (notice at t + 24 h), resolution within 48 h
(warning at t + 48 h, dismissal counts), apology within 24 h of verification (warning at the
due time), lapses (> 300 s, > 3 rings) 3 → notice / 5 → warning in rolling 30 days, failed
inspections notice then warning within a calendar quarter.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from policy_helpers import FAR, at, fines_of, one, records, rows, run

from ledger.events import Event
from ledger.testing import (
    appeal_decided,
    complaint_received,
    complaint_verified,
    make,
    retract,
)


def replied(when: str, cid: str = "C1") -> Event:
    return make("service.complaint_replied", "E1", when, complaint_id=cid)


def resolved(when: str, cid: str = "C1") -> Event:
    return make("service.complaint_resolved", "E1", when, complaint_id=cid)


def dismissed(when: str, cid: str = "C1") -> Event:
    return make("service.complaint_dismissed", "E1", when, complaint_id=cid)


def apology(when: str, cid: str = "C1") -> Event:
    return make("service.apology_made", "E1", when, complaint_id=cid)


def response(when: str, seconds: int) -> Event:
    return make("service.first_response_timed", "E1", when, seconds=seconds)


def phone(when: str, rings: int) -> Event:
    return make("service.phone_answered", "E1", when, rings=rings)


def inspected(when: str, passed: bool = False, inspection: str = "company") -> Event:
    return make("service.inspected", "E1", when, inspection=inspection, passed=passed)


RECEIVED = "2026-07-01 10:00"

# -- SVC-01: verified complaint ------------------------------------------------------------

SEVERITIES = [
    pytest.param("minor", "warning", "50.00", id="SVC-01 minor -> warning (fine 50.00)"),
    pytest.param("major", "demerit", "100.00", id="SVC-01 major -> demerit (fine 100.00)"),
    pytest.param(
        "serious", "major_demerit", "200.00", id="SVC-01 serious -> major_demerit (fine 200.00)"
    ),
]


@pytest.mark.parametrize(("severity", "kind", "fine"), SEVERITIES)
def test_verified_complaint_by_severity(severity: str, kind: str, fine: str) -> None:
    """SVC-01 (seed 004 二.(1) 投诉经查属实): severity → record, fine and apology duty (+24 h)."""
    verified = complaint_verified("E1", "2026-07-05 10:00", severity=severity)  # type: ignore[arg-type]
    derivation = run([verified, apology("2026-07-05 18:00")])
    assert sorted(rows(derivation, "SVC-01")) == sorted(
        [
            ("SVC-01", kind, None, "2026-07-05 10:00"),
            ("SVC-01", "obligation", None, "2026-07-05 10:00"),
        ]
    )
    record = one(derivation, kind, "SVC-01")
    assert record.caused_by == (verified.event_id,)
    assert fines_of(derivation)[record.sanction_id].amount == Decimal(fine)
    duty = one(derivation, "obligation", "SVC-01")
    assert duty.due_at == at("2026-07-06 10:00")
    assert duty.caused_by == (verified.event_id,)
    assert rows(derivation, "SVC-05") == []


# -- SVC-05: apology -----------------------------------------------------------------------

APOLOGY = [
    pytest.param([apology("2026-07-05 12:00")], FAR, [], id="SVC-05 apology before due: met"),
    pytest.param(
        [apology("2026-07-06 10:00")], FAR, [], id="SVC-05 apology exactly at due (24 h): met"
    ),
    pytest.param(
        [apology("2026-07-06 10:01")],
        FAR,
        ["2026-07-06 10:00"],
        id="SVC-05 apology 24 h + 1 min: warning issued at the due time",
    ),
    pytest.param([], FAR, ["2026-07-06 10:00"], id="SVC-05 never apologised: warning at due"),
    pytest.param(
        [apology("2026-07-05 12:00", cid="C2")],
        FAR,
        ["2026-07-06 10:00"],
        id="SVC-05 apology for another complaint does not count",
    ),
    pytest.param([], "2026-07-06 09:59", [], id="SVC-05 due not yet passed at now: no miss"),
]


@pytest.mark.parametrize(("extra", "now", "expected"), APOLOGY)
def test_apology_deadline(extra: list[Event], now: str, expected: list[str]) -> None:
    """SVC-05 (seed 003 4.2.1.2 赔礼道歉): no apology by the due time → warning at due."""
    verified = complaint_verified("E1", "2026-07-05 10:00", severity="minor")
    derivation = run([verified, *extra], now=now)
    assert rows(derivation, "SVC-05") == [("SVC-05", "warning", None, t) for t in expected]
    for warning in records(derivation, "SVC-05"):
        assert warning.caused_by == (verified.event_id,)
        assert fines_of(derivation)[warning.sanction_id].amount == Decimal("50.00")


# -- SVC-02: reply deadline (24 h) ---------------------------------------------------------

REPLY = [
    pytest.param([replied("2026-07-01 12:00")], FAR, [], id="SVC-02 replied within 24 h"),
    pytest.param([replied("2026-07-02 10:00")], FAR, [], id="SVC-02 replied at exactly 24 h: met"),
    pytest.param(
        [replied("2026-07-02 10:01")],
        FAR,
        ["2026-07-02 10:00"],
        id="SVC-02 replied at 24 h + 1 min: notice issued at t + 24 h",
    ),
    pytest.param([], FAR, ["2026-07-02 10:00"], id="SVC-02 never replied: notice at t + 24 h"),
    pytest.param(
        [replied("2026-07-01 12:00", cid="C9")],
        FAR,
        ["2026-07-02 10:00"],
        id="SVC-02 reply to another complaint does not count",
    ),
    pytest.param(
        [resolved("2026-07-01 12:00")],
        FAR,
        ["2026-07-02 10:00"],
        id="SVC-02 a resolution is not a reply: notice",
    ),
    pytest.param([], "2026-07-02 09:59", [], id="SVC-02 deadline not yet passed at now: no miss"),
]


@pytest.mark.parametrize(("extra", "now", "expected"), REPLY)
def test_reply_deadline(extra: list[Event], now: str, expected: list[str]) -> None:
    """SVC-02 (seed 004 二.(1) 24小时内回复): no reply with occurred_at ≤ t + 24 h → notice."""
    received = complaint_received("E1", RECEIVED)
    derivation = run([received, *extra], now=now)
    assert rows(derivation, "SVC-02") == [("SVC-02", "notice", None, t) for t in expected]
    for notice in records(derivation, "SVC-02"):
        assert notice.caused_by == (received.event_id,)
        assert notice.sanction_id not in fines_of(derivation)


# -- SVC-03: resolution deadline (48 h; dismissal resolves) --------------------------------

RESOLVE = [
    pytest.param([resolved("2026-07-02 10:00")], FAR, [], id="SVC-03 resolved within 48 h"),
    pytest.param(
        [resolved("2026-07-03 10:00")], FAR, [], id="SVC-03 resolved at exactly 48 h: met"
    ),
    pytest.param(
        [resolved("2026-07-03 10:01")],
        FAR,
        ["2026-07-03 10:00"],
        id="SVC-03 resolved at 48 h + 1 min: warning issued at t + 48 h",
    ),
    pytest.param(
        [dismissed("2026-07-02 16:00")], FAR, [], id="SVC-03 dismissal counts as resolution"
    ),
    pytest.param(
        [dismissed("2026-07-03 10:00")], FAR, [], id="SVC-03 dismissal at exactly 48 h: met"
    ),
    pytest.param(
        [dismissed("2026-07-03 10:01")],
        FAR,
        ["2026-07-03 10:00"],
        id="SVC-03 dismissal at 48 h + 1 min: warning",
    ),
    pytest.param(
        [replied("2026-07-01 11:00")],
        FAR,
        ["2026-07-03 10:00"],
        id="SVC-03 a reply alone is not a resolution",
    ),
    pytest.param(
        [resolved("2026-07-02 10:00", cid="C9")],
        FAR,
        ["2026-07-03 10:00"],
        id="SVC-03 resolving another complaint does not count",
    ),
    pytest.param([], "2026-07-03 09:59", [], id="SVC-03 deadline not yet passed at now: no miss"),
]


@pytest.mark.parametrize(("extra", "now", "expected"), RESOLVE)
def test_resolution_deadline(extra: list[Event], now: str, expected: list[str]) -> None:
    """SVC-03 (seed 004 二.(1) 48小时内解决): no resolution ≤ t + 48 h → warning at t + 48 h."""
    received = complaint_received("E1", RECEIVED)
    derivation = run([received, *extra], now=now)
    assert rows(derivation, "SVC-03") == [("SVC-03", "warning", None, t) for t in expected]
    for warning in records(derivation, "SVC-03"):
        assert warning.caused_by == (received.event_id,)
        fine = fines_of(derivation)[warning.sanction_id]
        assert (fine.amount, fine.issued_at) == (Decimal("50.00"), warning.issued_at)


def test_both_deadlines_missed_are_independent() -> None:
    """SVC-02 + SVC-03 (seed 004 二.(1)): no reply and no resolution → notice at +24 h, warning
    at +48 h, both caused by the received complaint."""
    received = complaint_received("E1", RECEIVED)
    derivation = run([received])
    assert rows(derivation) == [
        ("SVC-02", "notice", None, "2026-07-02 10:00"),
        ("SVC-03", "warning", None, "2026-07-03 10:00"),
    ]


def test_retracted_reply_reopens_the_miss() -> None:
    """SVC-02 with RULEBOOK §10: a retracted reply never counted, so the deadline was missed."""
    reply = replied("2026-07-01 12:00")
    facts = [complaint_received("E1", RECEIVED), reply]
    assert rows(run(facts), "SVC-02") == []
    again = run([*facts, retract(reply, at="2026-07-05 09:00")])
    assert rows(again, "SVC-02") == [("SVC-02", "notice", None, "2026-07-02 10:00")]


def test_fulfilment_recorded_late_but_occurred_in_time_counts() -> None:
    """SVC-02 (RULEBOOK §0 the truth is retroactive): a reply that occurred by the deadline
    meets it whatever order the facts arrive in."""
    received = complaint_received("E1", RECEIVED)
    reply = replied("2026-07-02 09:00")
    assert rows(run([reply, received]), "SVC-02") == []


# -- SVC-04: service lapses ----------------------------------------------------------------

LAPSE_PROBES = [
    pytest.param(response("2026-07-03 10:00", 300), False, id="SVC-04 first response 300 s: ok"),
    pytest.param(response("2026-07-03 10:00", 301), True, id="SVC-04 first response 301 s: lapse"),
    pytest.param(response("2026-07-03 10:00", 0), False, id="SVC-04 first response 0 s: ok"),
    pytest.param(phone("2026-07-03 10:00", 3), False, id="SVC-04 phone at 3 rings: ok"),
    pytest.param(phone("2026-07-03 10:00", 4), True, id="SVC-04 phone at 4 rings: lapse"),
    pytest.param(phone("2026-07-03 10:00", 1), False, id="SVC-04 phone at 1 ring: ok"),
]


@pytest.mark.parametrize(("probe", "is_lapse"), LAPSE_PROBES)
def test_what_is_a_lapse(probe: Event, is_lapse: bool) -> None:
    """SVC-04 (seed 004 一.(3) 首问5分钟; seed 003 3.2 电话三声内接听): > 300 s, > 3 rings.

    Two lapses first (phone, 5 rings; response 400 s); the probe would be the 3rd → notice.
    """
    base = [phone("2026-07-01 10:00", 5), response("2026-07-02 10:00", 400)]
    got = rows(run([*base, probe]), "SVC-04")
    assert got == ([("SVC-04", "notice", None, "2026-07-03 10:00")] if is_lapse else [])


LAPSE_SERIES = [
    pytest.param(
        [f"2026-07-0{d} 10:00" for d in (1, 2)], [], id="SVC-04 2 lapses in 30 days: nothing"
    ),
    pytest.param(
        [f"2026-07-0{d} 10:00" for d in (1, 2, 3)],
        [("notice", "2026-07-03 10:00")],
        id="SVC-04 3rd lapse: notice",
    ),
    pytest.param(
        [f"2026-07-0{d} 10:00" for d in (1, 2, 3, 4)],
        [("notice", "2026-07-03 10:00")],
        id="SVC-04 4th lapse: nothing more",
    ),
    pytest.param(
        [f"2026-07-0{d} 10:00" for d in (1, 2, 3, 4, 5, 6)],
        [("notice", "2026-07-03 10:00"), ("warning", "2026-07-05 10:00")],
        id="SVC-04 5th lapse: warning, 6th: nothing",
    ),
    pytest.param(
        ["2026-07-01 10:00", "2026-07-15 10:00", "2026-07-31 10:00"],
        [],
        id="SVC-04 3rd lapse exactly 30 days after the 1st: 1st is OUT",
    ),
    pytest.param(
        ["2026-07-01 10:00", "2026-07-15 10:00", "2026-07-31 09:59"],
        [("notice", "2026-07-31 09:59")],
        id="SVC-04 3rd lapse 30 days minus 1 min after the 1st: IN",
    ),
]


@pytest.mark.parametrize(("times", "expected"), LAPSE_SERIES)
def test_lapse_thresholds_and_window(times: list[str], expected: list[tuple[str, str]]) -> None:
    """SVC-04 (seed 004 一.(3); seed 003 3.2): rolling 30 days, 3 → notice, 5 → warning."""
    facts = [phone(t, 6) if i % 2 else response(t, 900) for i, t in enumerate(times)]
    assert rows(run(facts), "SVC-04") == [("SVC-04", k, None, t) for k, t in expected]


# -- SVC-06: inspections -------------------------------------------------------------------

INSPECTIONS = [
    pytest.param([("2026-07-10 10:00", True)], [], id="SVC-06 passed inspection: nothing"),
    pytest.param(
        [("2026-07-10 10:00", False)],
        [("notice", "2026-07-10 10:00")],
        id="SVC-06 first failed inspection of the quarter: notice",
    ),
    pytest.param(
        [("2026-07-10 10:00", False), ("2026-08-10 10:00", False)],
        [("notice", "2026-07-10 10:00"), ("warning", "2026-08-10 10:00")],
        id="SVC-06 2nd failed in the quarter: warning",
    ),
    pytest.param(
        [("2026-07-10 10:00", False), ("2026-08-10 10:00", True), ("2026-09-10 10:00", False)],
        [("notice", "2026-07-10 10:00"), ("warning", "2026-09-10 10:00")],
        id="SVC-06 a pass in between does not reset the quarter",
    ),
    pytest.param(
        [("2026-06-30 23:59", False), ("2026-07-01 00:00", False)],
        [("notice", "2026-06-30 23:59"), ("notice", "2026-07-01 00:00")],
        id="SVC-06 new quarter resets: Q2 last minute, Q3 first minute",
    ),
    pytest.param(
        [("2026-09-30 23:59", False), ("2026-09-30T16:30:00+00:00", False)],
        [("notice", "2026-09-30 23:59"), ("notice", "2026-10-01 00:30")],
        id="SVC-06 quarters are company time (16:30Z on 09-30 is Q4 in Shanghai)",
    ),
]


@pytest.mark.parametrize(("checks", "expected"), INSPECTIONS)
def test_inspections(checks: list[tuple[str, bool]], expected: list[tuple[str, str]]) -> None:
    """SVC-06 (seed 000 三.1 自查/检查/抽查): failed → notice; 2nd+ in a quarter → warning."""
    facts = [inspected(when, passed) for when, passed in checks]
    assert rows(run(facts), "SVC-06") == [("SVC-06", k, None, t) for k, t in expected]


@pytest.mark.parametrize("kind", ["self_check", "company", "spot_check"])
def test_every_inspection_kind_counts(kind: str) -> None:
    """SVC-06 (seed 000 三.1 月度自查, 季度检查, 抽查): all three kinds count toward the quarter."""
    facts = [inspected("2026-07-10 10:00", inspection="company"), inspected("2026-07-20 10:00")]
    facts[1] = inspected("2026-07-20 10:00", inspection=kind)
    assert [k for _, k, _, _ in rows(run(facts), "SVC-06")] == ["notice", "warning"]


def test_deadline_outcomes_use_issue_time_for_live_period() -> None:
    """SVC-03 (RULEBOOK §0 issue time; live 6 months): the warning lives from t + 48 h."""
    received = complaint_received("E1", RECEIVED)
    warning = one(run([received]), "warning", "SVC-03")
    assert warning.issued_at == at(RECEIVED) + timedelta(hours=48)
    assert warning.expires_at == at("2027-01-03 10:00")


APPEALED = [
    pytest.param("obligation", [], id="SVC-05 apology obligation voided on appeal: no miss"),
    pytest.param(
        "warning",
        [("SVC-05", "warning", None, "2026-07-06 10:00")],
        id="SVC-05 only the SVC-01 warning voided: the apology duty stands",
    ),
]


@pytest.mark.parametrize(("voided", "expected"), APPEALED)
def test_missed_apology_depends_on_its_obligation(
    voided: str, expected: list[tuple[str, str, str | None, str]]
) -> None:
    """SVC-05 + §10 (RULEBOOK §0: a sanction voided on appeal was never issued, and neither
    was anything derived from it): the missed apology is derived from the obligation."""
    verified = complaint_verified("E1", "2026-07-05 10:00", severity="minor")
    target = one(run([verified]), voided, "SVC-01").sanction_id
    decided = appeal_decided("E1", "2026-07-05 12:00", sanction_id=target)
    assert rows(run([verified, decided]), "SVC-05") == expected
