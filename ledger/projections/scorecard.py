"""The per-employee scorecard for a period (DESIGN.md §7, §9), computed from an EmployeeView.

Instants: the view fixes ``as_of`` (valid time) and ``known_at`` (transaction time). Within a
period the scorecard is judged at ``at = min(as_of, the period's last instant)``: attendance
points (rolling window ending at ``at``), live discipline records, open complaints, the
department and role. Promotion is judged at ``min(as_of, period end)`` so that a quarter
counts as completed at its end. Counts and totals cover facts and outcomes in the period up
to ``as_of``; complaint deadlines are judged at ``as_of``.

The grade: for a quarter, that quarter; for a month, its quarter; for a year, the last
quarter of the year that ended by ``as_of`` (else the running one), with every quarter of the
year begun by then listed in ``grades``. A grade is *provisional* while deadlines inside its
quarter have not all been evaluated (the quarter's end is after the view's ``evaluated_to``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from ledger.events import GradeComponent, GradeLevel
from ledger.money import ZERO
from ledger.policies.framework import Finding
from ledger.policies.grades import LEVELS_ZH
from ledger.projections.complaints import ComplaintStats, complaint_stats
from ledger.projections.measures import (
    ATTENDANCE_TYPES,
    POSITION_TYPES,
    QUALIFICATION_TYPES,
    LiveRecord,
    Qualification,
    RaterMean,
    attendance_points,
    employed_in,
    evaluation_means,
    live_records,
    position,
    qualification,
)
from ledger.projections.promotion import Promotion, promotion
from ledger.projections.view import EmployeeView
from ledger.timeutil import Period, quarter_of

__all__ = ["QuarterGrade", "Scorecard", "grade_quarters", "scorecard"]


@dataclass(frozen=True, slots=True)
class QuarterGrade:
    """A quarter's obedience grade as a scorecard shows it.

    ``level`` is ``None`` when the quarter has no grade (``note`` says why). After department
    calibration ``level`` is the calibrated level and ``calibrated_from`` the computed one.
    """

    period: str
    level: GradeLevel | None
    score: int | None = None
    capped_by: str | None = None
    components: tuple[GradeComponent, ...] = ()
    provisional: bool = False
    note: str = ""
    calibrated_from: GradeLevel | None = None

    def to_json(self) -> dict[str, Any]:
        """``{level, score, capped_by, ...}`` (DESIGN.md §9) with the arithmetic."""
        return {
            "level": self.level,
            "score": self.score,
            "capped_by": self.capped_by,
            "period": self.period,
            "level_zh": LEVELS_ZH.get(self.level or ""),
            "provisional": self.provisional,
            # (a component's model_dump, written out: a card lists each line of its
            # grade's arithmetic, and a rebuild writes a card per quarter of employment)
            "components": [
                {"kind": c.kind, "count": c.count, "points": c.points} for c in self.components
            ],
            "calibrated_from": self.calibrated_from,
            "note": self.note,
        }


@dataclass(frozen=True)
class Scorecard:
    """One employee's record for one period (see the module docstring for the instants)."""

    employee_id: str
    period: Period
    as_of: datetime
    known_at: datetime | None
    at: datetime
    department: str | None
    role: str | None
    grade: QuarterGrade
    grades: tuple[QuarterGrade, ...]
    fact_counts: Mapping[str, int]
    outcome_counts: Mapping[str, int]
    revoked: int
    retracted: int
    attendance_points: Decimal
    live_records: tuple[LiveRecord, ...]
    fines_total: Decimal
    compensation_total: Decimal
    bonuses_total: Decimal
    evaluations: Mapping[str, RaterMean]
    complaints: ComplaintStats
    qualification: Qualification
    promotion: Promotion
    findings: tuple[Finding, ...]

    def with_grade(self, grade: QuarterGrade) -> Scorecard:
        """A copy with ``grade`` (and the same quarter in ``grades``) replaced."""
        grades = tuple(grade if g.period == grade.period else g for g in self.grades)
        return replace(self, grade=grade, grades=grades)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape of DESIGN.md §9, money as decimal strings, plus extras."""
        grade = self.grade.to_json()  # (also the shown quarter's entry in "grades")
        return {
            "employee_id": self.employee_id,
            "period": self.period.label,
            "as_of": self.as_of.isoformat(),
            "known_at": self.known_at.isoformat() if self.known_at else None,
            "grade": grade,
            "counts": {
                "facts": dict(self.fact_counts),
                "outcomes": dict(self.outcome_counts),
                "revoked": self.revoked,
                "retracted": self.retracted,
            },
            "attendance_points": format(self.attendance_points, "f"),
            "live_records": [r.to_json() for r in self.live_records],
            "fines_total": format(self.fines_total, "f"),
            "compensation_total": format(self.compensation_total, "f"),
            "bonuses_total": format(self.bonuses_total, "f"),
            "evaluations": {k: v.to_json() for k, v in self.evaluations.items()},
            "complaints": self.complaints.to_json(),
            "qualification": self.qualification.status,
            "promotion": self.promotion.to_json(),
            "at": self.at.isoformat(),
            "department": self.department,
            "role": self.role,
            "grades": [grade if g is self.grade else g.to_json() for g in self.grades],
            "training": self.qualification.to_json(),
            "findings": [
                {"code": f.code, "at": f.at.isoformat(), "message": f.message}
                for f in self.findings
            ],
        }

    def row(self) -> dict[str, Any]:
        """One flat row (table and CSV output)."""
        overall = self.evaluations.get("all")
        compliance = self.complaints.sla_compliance
        return {
            "employee_id": self.employee_id,
            "department": self.department,
            "role": self.role,
            "period": self.period.label,
            "grade_period": self.grade.period,
            "level": self.grade.level,
            "score": self.grade.score,
            "capped_by": self.grade.capped_by,
            "calibrated_from": self.grade.calibrated_from,
            "attendance_points": format(self.attendance_points, "f"),
            "live_records": len(self.live_records),
            "fines_total": format(self.fines_total, "f"),
            "compensation_total": format(self.compensation_total, "f"),
            "bonuses_total": format(self.bonuses_total, "f"),
            "evaluation_mean": None if overall is None else format(overall.mean, "f"),
            "complaints_received": self.complaints.received,
            "sla_compliance_percent": None if compliance is None else format(compliance, "f"),
            "qualification": self.qualification.status,
            "promotion_eligible": self.promotion.eligible,
            "promotion_reasons": list(self.promotion.reasons),
        }


def grade_quarters(period: Period, as_of: datetime) -> tuple[Period, tuple[Period, ...]]:
    """The quarter whose grade a scorecard shows, and the quarters it lists."""
    if "Q" in period.label:
        return period, (period,)
    if "-" in period.label:
        quarter = quarter_of(period.start)
        return quarter, (quarter,)
    quarters = [Period.parse(f"{period.label}Q{n}") for n in range(1, 5)]
    begun = [q for q in quarters if q.start <= as_of] or quarters[:1]
    ended = [q for q in begun if q.end <= as_of]
    return (ended or begun)[-1], tuple(begun)


def _quarter_grade(view: EmployeeView, quarter: Period, span: Any) -> QuarterGrade:
    if quarter.start > view.as_of:
        return QuarterGrade(quarter.label, None, note=f"{quarter.label} had not begun as of then")
    if not employed_in(span, quarter):
        return QuarterGrade(quarter.label, None, note=f"not employed in {quarter.label}")
    grade = view.quarter_grade(quarter)
    if grade is None:
        return QuarterGrade(quarter.label, None, note=f"no rulebook binds {quarter.label}")
    return QuarterGrade(
        quarter.label,
        grade.level,
        grade.score,
        grade.capped_by,
        grade.components,
        provisional=quarter.end > view.evaluated_to,
    )


def _total(amounts: list[Decimal | None]) -> Decimal:
    return sum((a for a in amounts if a is not None), ZERO)


def scorecard(view: EmployeeView, period: Period) -> Scorecard:
    """The scorecard of ``view``'s employee for ``period``.

    Args:
        view: what is known (see :func:`ledger.projections.view.employee_view`).
        period: a quarter, month or year.
    """
    at = min(view.as_of, period.last_instant)
    # The facts each measure reads (a period's slice, a few types), not the whole history
    # again for every quarter's card.
    in_period = view.counted_in(period)
    outcomes = [o for o in view.derivation.outcomes if o.issued_at in period]
    span = view.span
    shown, listed = grade_quarters(period, view.as_of)
    grades = {q.label: _quarter_grade(view, q, span) for q in dict.fromkeys((*listed, shown))}
    department, role = position(view.counted_of(POSITION_TYPES), at)

    def money(kind: str) -> Decimal:
        return _total([o.amount for o in outcomes if o.kind == kind])

    return Scorecard(
        employee_id=view.employee_id,
        period=period,
        as_of=view.as_of,
        known_at=view.known_at,
        at=at,
        department=department,
        role=role,
        grade=grades[shown.label],
        grades=tuple(grades[q.label] for q in listed),
        fact_counts=dict(sorted(Counter(f.type for f in in_period).items())),
        outcome_counts=dict(sorted(Counter(o.kind for o in outcomes).items())),
        revoked=sum(1 for r in view.derivation.revocations if r.at in period),
        retracted=sum(1 for f in view.retracted_facts if f.occurred_at in period),
        attendance_points=attendance_points(
            view.counted_of(ATTENDANCE_TYPES), view.rulebooks, at
        ),
        live_records=live_records(view.derivation, at),
        fines_total=money("fine"),
        compensation_total=money("compensation"),
        bonuses_total=money("bonus"),
        evaluations=evaluation_means(in_period, [period]),
        complaints=complaint_stats(
            in_period, view.rulebooks, period, view.as_of, at, steps=view.complaint_steps
        ),
        qualification=qualification(view.counted_of(QUALIFICATION_TYPES), at, period),
        promotion=promotion(view, min(view.as_of, period.end)),
        findings=tuple(f for f in view.derivation.findings if f.at in period),
    )
