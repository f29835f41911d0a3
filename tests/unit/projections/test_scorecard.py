"""Scorecards (DESIGN.md §7, §9), hand-worked from RULEBOOK.md v1.

GRD-01: score = 100 - 2 x notices - 10 x warnings - 20 x demerits - 30 x major demerits
+ min(10, 5 x commendations), over outcomes issued in the quarter, not voided, not revoked
by the quarter's end; a live demerit at the quarter's end caps at qualified, a live warning
at good. REC-05: a commendation revokes the oldest live warning (its fine stays).
"""

from __future__ import annotations

import json

import pytest
from projection_helpers import (
    assessed,
    build,
    card,
    evaluated,
    good_deed,
    leaked,
    rude,
    staff,
    view,
)

from ledger.app import Ledger
from ledger.events import Event
from ledger.projections.scorecard import grade_quarters, scorecard
from ledger.testing import ManualClock, absent, complaint_verified, instant, late, make, retract
from ledger.timeutil import Period

AFTER_Q3 = "2026-10-15 12:00"


def test_a_revoked_warning_no_longer_caps_the_grade_but_its_fine_stays() -> None:
    ledger = build([*staff("E1"), rude("E1", "2026-07-10 10:00"), good_deed("E1", "2026-08-05")])
    q3 = card(ledger, "E1", "2026Q3", AFTER_Q3)
    # The warning was revoked on 08-05: not counted, not live at the end -> 100 + 5, capped 100.
    assert (q3.grade.level, q3.grade.score, q3.grade.capped_by) == ("excellent", 100, None)
    components = {c.kind: (c.count, c.points) for c in q3.grade.components}
    assert components["warning"] == (0, 0)
    assert components["commendation"] == (1, 5)
    assert dict(q3.outcome_counts) == {"commendation": 1, "fine": 1, "warning": 1}
    assert q3.revoked == 1
    assert str(q3.fines_total) == "50.00"
    assert q3.live_records == ()
    assert q3.promotion.eligible and q3.promotion.reasons == ()
    # At the end of July the warning was still live (revoked only on 08-05).
    july = card(ledger, "E1", "2026-07", AFTER_Q3)
    assert [r.kind for r in july.live_records] == ["warning"]
    assert july.grade.period == "2026Q3" and july.grade.level == "excellent"


def test_a_live_warning_caps_the_grade_at_good() -> None:
    ledger = build([*staff("E1"), rude("E1", "2026-07-10 10:00")])
    q3 = card(ledger, "E1", "2026Q3", AFTER_Q3)
    (record,) = q3.live_records
    assert (q3.grade.level, q3.grade.score) == ("good", 90)
    assert q3.grade.capped_by == f"live warning {record.sanction_id}"
    assert record.expires_at == instant("2027-01-10 10:00")
    assert q3.promotion.codes == ("live_discipline",)


def test_a_live_demerit_caps_at_qualified_and_commendations_add_at_most_10() -> None:
    deeds = [good_deed("E1", f"2026-08-0{d} 10:00") for d in (1, 2, 3)]
    ledger = build([*staff("E1"), leaked("E1", "2026-07-20 10:00"), *deeds])
    q3 = card(ledger, "E1", "2026Q3", AFTER_Q3)
    components = {c.kind: (c.count, c.points) for c in q3.grade.components}
    # 100 - 20 + min(10, 3 x 5) = 90: excellent by score, but the demerit is live -> qualified.
    assert components["demerit"] == (1, -20)
    assert components["commendation"] == (3, 10)
    assert (q3.grade.level, q3.grade.score) == ("qualified", 90)
    assert q3.grade.capped_by is not None and q3.grade.capped_by.startswith("live demerit ")
    assert str(q3.fines_total) == "100.00"
    assert dict(q3.outcome_counts) == {"commendation": 3, "demerit": 1, "fine": 1}


def test_attendance_points_roll_over_12_months_ending_at_the_period_or_as_of() -> None:
    ledger = build(
        [
            *staff("E1"),
            late("E1", "2025-08-01 09:40", minutes=40),  # 1 point
            absent("E1", "2026-07-06 09:00"),  # 3 points: 4 in the window -> notice
            late("E1", "2026-07-08 09:12", minutes=12),  # 0.5
        ]
    )
    # July ends 07-31: the window (2025-07-31, 2026-07-31] still holds 2025-08-01.
    assert str(card(ledger, "E1", "2026-07", AFTER_Q3).attendance_points) == "4.5"
    # Q3 ends 09-30: 2025-08-01 has left the window.
    q3 = card(ledger, "E1", "2026Q3", AFTER_Q3)
    assert str(q3.attendance_points) == "3.5"
    assert dict(q3.outcome_counts) == {"notice": 1}
    assert (q3.grade.level, q3.grade.score) == ("excellent", 98)
    # As of 07-07 the half point of 07-08 is not known yet, and Q3 is not over.
    early = card(ledger, "E1", "2026Q3", "2026-07-07 00:00")
    assert str(early.attendance_points) == "4"
    assert early.grade.provisional and not q3.grade.provisional


def test_complaint_statistics_as_handler_and_as_subject() -> None:
    def fact(kind: str, when: str, cid: str) -> Event:
        return make(f"service.complaint_{kind}", "E2", when, complaint_id=cid)

    events = [
        *staff("E2"),
        # C1: replied in 5 h, resolved in 23 h -> both met.
        make(
            "service.complaint_received", "E2", "2026-07-01 10:00", complaint_id="C1", channel="web"
        ),
        fact("replied", "2026-07-01 15:00", "C1"),
        fact("resolved", "2026-07-02 09:00", "C1"),
        # C2: replied after 26 h, resolved after 71 h -> both missed.
        make(
            "service.complaint_received", "E2", "2026-07-10 10:00", complaint_id="C2", channel="web"
        ),
        fact("replied", "2026-07-11 12:00", "C2"),
        fact("resolved", "2026-07-13 09:00", "C2"),
        # C4: never replied (missed); dismissed within 24 h (resolution met).
        make(
            "service.complaint_received", "E2", "2026-08-01 09:00", complaint_id="C4", channel="web"
        ),
        fact("dismissed", "2026-08-02 09:00", "C4"),
        # C3: replied in 1 h; unresolved, resolution due 10-02 20:00.
        make(
            "service.complaint_received", "E2", "2026-09-30 20:00", complaint_id="C3", channel="web"
        ),
        fact("replied", "2026-09-30 21:00", "C3"),
        # Against E2: C9 verified minor, apology made.
        complaint_verified("E2", "2026-08-10 10:00", complaint_id="C9", severity="minor"),
        make("service.apology_made", "E2", "2026-08-10 12:00", complaint_id="C9"),
    ]
    ledger = build(events)
    stats = card(ledger, "E2", "2026Q3", "2026-10-01 12:00").complaints
    assert (stats.received, stats.open) == (4, 1)
    assert (stats.replied_in_time, stats.reply_missed, stats.reply_pending) == (2, 2, 0)
    assert (stats.resolved_in_time, stats.resolve_missed, stats.resolve_pending) == (2, 1, 1)
    assert str(stats.sla_compliance) == "57.1"  # 4 met of 7 decided
    subject = stats.to_json()["as_subject"]
    assert subject == {
        "verified": {"minor": 1, "major": 0, "serious": 0},
        "verified_total": 1,
        "apologies": 1,
    }
    later = card(ledger, "E2", "2026Q3", "2026-10-05 00:00").complaints
    assert (later.resolve_missed, later.resolve_pending, later.open) == (2, 0, 1)
    assert str(later.sla_compliance) == "50.0"


def test_evaluation_means_per_rater_within_the_period() -> None:
    ledger = build(
        [
            *staff("E1"),
            evaluated("E1", "2026-06-20 10:00", 50),  # Q2: not in Q3
            evaluated("E1", "2026-07-20 10:00", 90),
            evaluated("E1", "2026-08-20 10:00", 80),
            evaluated("E1", "2026-09-20 10:00", 70, rater="peer"),
        ]
    )
    means = card(ledger, "E1", "2026Q3", AFTER_Q3).to_json()["evaluations"]
    assert means == {
        "customer": {"count": 2, "mean": 85.0},
        "peer": {"count": 1, "mean": 70.0},
        "all": {"count": 3, "mean": 80.0},
    }


def test_qualification_training_department_and_role_follow_the_instant() -> None:
    events = [
        *staff("E3", "2026-06-01", qualified=None),
        assessed("E3", "2026-06-05 10:00", passed=False),
        assessed("E3", "2026-07-03 10:00", passed=True),
        make("training.completed", "E3", "2026-07-10 10:00", course="A", passed=True, score=90),
        make("training.completed", "E3", "2026-08-12 10:00", course="B", passed=False),
        make(
            "employee.transferred", "E3", "2026-08-15 09:00", department="complaints", role="agent"
        ),
    ]
    ledger = build(events)
    june = card(ledger, "E3", "2026-06", AFTER_Q3)
    assert june.qualification.status == "failed"
    july = card(ledger, "E3", "2026-07", AFTER_Q3)
    assert (july.department, july.role, july.qualification.status) == (
        "front-desk",
        "clerk",
        "passed",
    )
    assert (july.qualification.trainings_passed, july.qualification.trainings_failed) == (1, 0)
    q3 = card(ledger, "E3", "2026Q3", AFTER_Q3)
    assert (q3.department, q3.role) == ("complaints", "agent")
    assert (q3.qualification.trainings_passed, q3.qualification.trainings_failed) == (1, 1)
    assert q3.to_json()["training"]["qualified_on"] == "2026-07-03"
    assert card(ledger, "E3", "2026Q2", AFTER_Q3).grade.level == "excellent"
    q1 = card(ledger, "E3", "2026Q1", AFTER_Q3).grade
    assert q1.level is None and q1.note == "not employed in 2026Q1"


def test_a_year_shows_the_last_quarter_ended_and_lists_every_quarter_begun() -> None:
    ledger = build([*staff("E1"), rude("E1", "2026-11-02 10:00")])
    year = card(ledger, "E1", "2026", "2026-11-15 00:00")
    assert year.grade.period == "2026Q3" and year.grade.level == "excellent"
    assert [g.period for g in year.grades] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    q4 = year.grades[-1]
    assert (q4.level, q4.score, q4.provisional) == ("good", 90, True)
    assert card(ledger, "E1", "2026-08", AFTER_Q3).grade.period == "2026Q3"


@pytest.mark.parametrize(
    ("period", "as_of", "shown", "listed"),
    [
        ("2026Q2", "2026-11-01 00:00", "2026Q2", ["2026Q2"]),
        ("2026-11", "2026-11-01 00:00", "2026Q4", ["2026Q4"]),
        ("2026", "2026-02-01 00:00", "2026Q1", ["2026Q1"]),
        ("2026", "2027-03-01 00:00", "2026Q4", ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]),
        ("2026", "2026-07-01 00:00", "2026Q2", ["2026Q1", "2026Q2", "2026Q3"]),
    ],
)
def test_grade_quarters(period: str, as_of: str, shown: str, listed: list[str]) -> None:
    quarter, quarters = grade_quarters(Period.parse(period), instant(as_of))
    assert quarter.label == shown
    assert [q.label for q in quarters] == listed


def test_known_at_shows_what_the_ledger_believed_then() -> None:
    clock = ManualClock("2026-07-10 12:00")
    ledger = Ledger.in_memory(clock=clock)
    ledger.record([*staff("E1"), rude("E1", "2026-07-10 10:00")])
    clock.set("2026-07-20 12:00")
    ledger.record(good_deed("E1", "2026-07-15 10:00"))
    clock.set("2026-08-01 00:00")
    then = card(ledger, "E1", "2026-07", "2026-07-31 23:00", known_at="2026-07-12 00:00")
    assert [r.kind for r in then.live_records] == ["warning"] and then.revoked == 0
    assert then.known_at == instant("2026-07-12 00:00")
    now = card(ledger, "E1", "2026-07", "2026-07-31 23:00")
    assert now.live_records == () and now.revoked == 1


def test_retracted_facts_are_not_counted_but_are_reported() -> None:
    slip = late("E1", "2026-07-03 09:40", minutes=40)
    ledger = build([*staff("E1"), slip, retract(slip), late("E1", "2026-07-04 09:40", minutes=40)])
    q3 = card(ledger, "E1", "2026Q3", AFTER_Q3)
    assert q3.fact_counts == {"attendance.late_arrival": 1}
    assert (q3.retracted, str(q3.attendance_points)) == (1, "1")


def test_json_has_the_keys_scripts_rely_on() -> None:
    ledger = build([*staff("E1"), rude("E1", "2026-07-10 10:00")])
    data = json.loads(json.dumps(card(ledger, "E1", "2026Q3", AFTER_Q3).to_json()))
    design = {
        "employee_id",
        "period",
        "as_of",
        "known_at",
        "grade",
        "counts",
        "attendance_points",
        "live_records",
        "fines_total",
        "compensation_total",
        "bonuses_total",
        "evaluations",
        "complaints",
        "qualification",
        "promotion",
    }
    assert design <= set(data)
    assert {"level", "score", "capped_by"} <= set(data["grade"])
    assert data["grade"]["level"] in {"excellent", "good", "qualified", "unqualified"}
    assert {"eligible", "reasons"} <= set(data["promotion"])
    assert (data["fines_total"], data["compensation_total"], data["bonuses_total"]) == (
        "50.00",
        "0.00",
        "0.00",
    )
    assert data["counts"]["facts"] == {"conduct.violation": 1}
    assert data["counts"]["outcomes"] == {"fine": 1, "warning": 1}
    assert data["live_records"][0]["kind"] == "warning"
    assert data["qualification"] == "passed"
    assert data["known_at"] is None and data["period"] == "2026Q3"


def test_a_scorecard_is_a_pure_function_of_the_view() -> None:
    ledger = build([*staff("E1"), rude("E1", "2026-07-10 10:00")])
    seen = view(ledger, "E1", AFTER_Q3)
    assert scorecard(seen, Period.parse("2026Q3")) == scorecard(seen, Period.parse("2026Q3"))
