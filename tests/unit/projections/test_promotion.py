"""Promotion eligibility (RULEBOOK.md §9), hand-worked.

At t: (a) hired >= 12 months before t; (b) the last two completed quarters graded good or
excellent; (c) no live warning, demerit or major demerit; (d) qualification passed (hired in
the ledger); (e) with >= 3 evaluations in those quarters, their mean >= 80.
"""

from __future__ import annotations

from projection_helpers import (
    assessed,
    build,
    evaluated,
    good_deed,
    leaked,
    meeting_missed,
    rude,
    staff,
    view,
)

from ledger.projections.promotion import completed_quarters, promotion
from ledger.testing import instant, late

T = "2026-07-01 00:00"


def test_an_employee_who_meets_every_condition_is_eligible() -> None:
    ledger = build(
        [
            *staff("E1", "2025-03-03"),
            evaluated("E1", "2026-02-10 10:00", 85),
            evaluated("E1", "2026-04-10 10:00", 90, rater="supervisor"),
            evaluated("E1", "2026-05-10 10:00", 80, rater="peer"),
        ]
    )
    result = promotion(view(ledger, "E1", T), instant(T))
    assert result.eligible
    assert result.reasons == () and result.codes == ()
    assert [c.criterion for c in result.checks] == [
        "tenure",
        "grades",
        "discipline",
        "qualification",
        "evaluations",
    ]
    assert result.checks[1].message == "2026Q1 excellent, 2026Q2 excellent"
    assert "mean evaluation 85.00 over 3" in result.checks[4].message


def test_the_docstring_example_a_live_warning_blocks_promotion() -> None:
    ledger = build(
        [
            *staff("E1", "2025-03-03"),
            meeting_missed("E1", "2026-02-10 10:00"),  # Q1: 98 excellent
            rude("E1", "2026-05-10 10:00"),  # Q2: 90, capped to good; live until 11-10
            evaluated("E1", "2026-02-11 10:00", 85),
            evaluated("E1", "2026-04-11 10:00", 70),
            evaluated("E1", "2026-05-11 10:00", 90),  # mean 81.67 >= 80
        ]
    )
    result = promotion(view(ledger, "E1", T), instant(T))
    assert not result.eligible
    assert result.codes == ("live_discipline",)
    assert result.checks[1].message == "2026Q1 excellent, 2026Q2 good"
    (reason,) = result.reasons
    assert reason.startswith("(c) live record(s): warning ")
    assert "live until 2026-11-10" in reason
    # Once the warning expires (2026-11-10 10:00), Q2 and Q3 are good and excellent.
    later = promotion(view(ledger, "E1", "2026-11-10 10:00"), instant("2026-11-10 10:00"))
    assert later.eligible


def test_every_failing_reason_is_listed() -> None:
    ledger = build(
        [
            *staff("E2", "2026-01-05", qualified=None),  # never assessed
            leaked("E2", "2026-05-01 10:00"),  # Q2: demerit, 80 -> qualified (live)
            evaluated("E2", "2026-02-01 10:00", 70),
            evaluated("E2", "2026-03-01 10:00", 75),
            evaluated("E2", "2026-04-01 10:00", 80),  # mean 75 < 80
        ]
    )
    result = promotion(view(ledger, "E2", T), instant(T))
    assert not result.eligible
    assert result.codes == (
        "tenure_short",
        "grade_low",
        "live_discipline",
        "qualification_missing",
        "evaluation_mean_low",
    )
    reasons = result.reasons
    assert reasons[0] == (
        "(a) hired on 2026-01-05, less than 12 months before 2026-07-01 (eligible from 2027-01-05)"
    )
    assert reasons[1] == "(b) 2026Q2 graded qualified (80)"
    assert reasons[3] == "(d) qualification not assessed"
    assert reasons[4] == "(e) mean evaluation 75.00 over 3 in 2026Q1 and 2026Q2, below 80"
    data = result.to_json()
    assert data["eligible"] is False and len(data["reasons"]) == 5
    assert [c["passed"] for c in data["checks"]] == [False] * 5


def test_unknown_hire_date_and_missing_grades_fail_and_a_failed_assessment_is_named() -> None:
    ledger = build([late("E3", "2026-05-04 09:40", minutes=40)])
    result = promotion(view(ledger, "E3", T), instant(T))
    assert result.codes == ("tenure_unknown", "grade_missing")
    assert result.reasons[1] == "(b) no grade for 2026Q1 (not employed then)"
    failed = build(
        [*staff("E4", "2024-01-02", qualified=None), assessed("E4", "2024-01-09", passed=False)]
    )
    assert promotion(view(failed, "E4", T), instant(T)).codes == ("qualification_failed",)


def test_fewer_than_three_evaluations_are_not_required_and_a_mean_of_80_passes() -> None:
    few = build(
        [*staff("E1"), evaluated("E1", "2026-02-10 10:00", 10), evaluated("E1", "2026-04-10", 20)]
    )
    result = promotion(view(few, "E1", T), instant(T))
    assert result.eligible
    assert "2 evaluation(s) in 2026Q1 and 2026Q2, fewer than 3: not required" in (
        result.checks[4].message
    )
    exactly = build(
        [
            *staff("E1"),
            *(evaluated("E1", f"2026-0{m}-10 10:00", s) for m, s in ((2, 70), (4, 80), (5, 90))),
        ]
    )
    assert promotion(view(exactly, "E1", T), instant(T)).eligible


def test_a_revoked_warning_does_not_block_promotion() -> None:
    ledger = build([*staff("E1"), rude("E1", "2026-05-10 10:00"), good_deed("E1", "2026-05-20")])
    assert promotion(view(ledger, "E1", T), instant(T)).eligible


def test_completed_quarters_are_those_ended_by_t() -> None:
    assert [q.label for q in completed_quarters(instant("2026-10-01 00:00"), 2)] == [
        "2026Q2",
        "2026Q3",
    ]
    assert [q.label for q in completed_quarters(instant("2026-09-30 23:59"), 2)] == [
        "2026Q1",
        "2026Q2",
    ]
    assert [q.label for q in completed_quarters(instant("2026-02-01 00:00"), 2)] == [
        "2025Q3",
        "2025Q4",
    ]
