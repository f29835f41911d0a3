"""Promotion eligibility (RULEBOOK.md §9; seed 001 四.(三).2).

At time ``t`` an employee is eligible iff all of these hold; every failing one is listed:

(a) ``tenure``: hired at least ``promotion.tenure_months`` (12) before ``t``; an unknown hire
    date fails;
(b) ``grades``: the grades of the last ``promotion.quarters`` (2) completed quarters (those
    that ended by ``t``) are ``good`` or ``excellent``;
(c) ``discipline``: no live ``warning``, ``demerit`` or ``major_demerit`` at ``t``;
(d) ``qualification``: a passed qualification assessment by ``t``, for employees hired in
    the ledger;
(e) ``evaluations``: when there are at least ``promotion.min_evaluations`` (3)
    ``service.evaluated`` scores in those quarters, their mean is at least
    ``promotion.min_evaluation_mean`` (80).

Worked example: hired 2025-03-03 and qualified a week later; 2026Q1 had one notice (98,
excellent), 2026Q2 one warning issued 2026-05-10 (90, capped to good by the live warning);
evaluations 85, 70, 90 in those quarters (mean 81.67). At 2026-07-01: (a) to (e) hold except
(c), since the warning is live until 2026-11-10 -> not eligible, reason ``live_discipline``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from dateutil.relativedelta import relativedelta

from ledger.events import Event, Hired
from ledger.policies.grades import employment_span
from ledger.projections.measures import (
    EVALUATION_TYPES,
    QUALIFICATION_TYPES,
    employed_in,
    evaluation_means,
    live_records,
    qualification,
)
from ledger.projections.view import EmployeeView
from ledger.timeutil import Period, quarter_of, start_of_day

__all__ = ["Check", "Promotion", "completed_quarters", "promotion"]


@dataclass(frozen=True, slots=True)
class Check:
    """One condition of §9.

    Attributes:
        clause: ``a`` to ``e``.
        criterion: stable name of the condition (``tenure``, ``grades``, ``discipline``,
            ``qualification``, ``evaluations``).
        passed: whether it holds.
        code: stable code of the outcome, e.g. ``tenure_short`` or ``ok``.
        message: a readable sentence.
    """

    clause: str
    criterion: str
    passed: bool
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "clause": self.clause,
            "criterion": self.criterion,
            "passed": self.passed,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Promotion:
    """Promotion eligibility at ``at`` with every condition checked."""

    at: datetime
    checks: tuple[Check, ...]

    @property
    def eligible(self) -> bool:
        """Whether every condition holds."""
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failing(self) -> tuple[Check, ...]:
        """The conditions that do not hold."""
        return tuple(c for c in self.checks if not c.passed)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Readable reasons, one per failing condition."""
        return tuple(f"({c.clause}) {c.message}" for c in self.failing)

    @property
    def codes(self) -> tuple[str, ...]:
        """Stable codes of the failing conditions."""
        return tuple(c.code for c in self.failing)

    def to_json(self) -> dict[str, Any]:
        """``{eligible, reasons, codes, at, checks}``."""
        return {
            "eligible": self.eligible,
            "reasons": list(self.reasons),
            "codes": list(self.codes),
            "at": self.at.isoformat(),
            "checks": [c.to_json() for c in self.checks],
        }


def completed_quarters(at: datetime, count: int) -> list[Period]:
    """The last ``count`` calendar quarters that ended by ``at``, oldest first."""
    return list(_quarters_before(quarter_of(at), count))


@lru_cache(maxsize=256)
def _quarters_before(quarter: Period, count: int) -> tuple[Period, ...]:
    quarters: list[Period] = []
    current = quarter
    while len(quarters) < count:
        current = quarter_of(current.start - relativedelta(days=1))
        quarters.insert(0, current)
    return tuple(quarters)


def promotion(view: EmployeeView, at: datetime | None = None) -> Promotion:
    """RULEBOOK.md §9 for ``view``'s employee at ``at`` (default: the view's ``as_of``)."""
    moment = at or view.as_of
    adopted = view.rulebooks.in_force(moment) or view.rulebooks.latest()
    if adopted is None:
        return Promotion(
            moment,
            (Check("-", "rulebook", False, "no_rulebook", "no rulebook is adopted"),),
        )
    rules = adopted.rulebook.promotion
    facts = view.counted
    quarters = completed_quarters(moment, rules.quarters)
    checks = (
        _tenure(view.counted_of((Hired.TYPE,)), moment, rules.tenure_months),
        _grades(view, facts, quarters),
        _discipline(view, moment),
        _qualification(view.counted_of(QUALIFICATION_TYPES), moment),
        _evaluations(
            [f for q in quarters for f in view.counted_of_in(EVALUATION_TYPES, q)],
            quarters,
            rules.min_evaluations,
            rules.min_evaluation_mean,
        ),
    )
    return Promotion(moment, checks)


def _tenure(facts: Sequence[Event], at: datetime, months: int) -> Check:
    hires = [f.data for f in facts if isinstance(f.data, Hired)]
    if not hires:
        return Check("a", "tenure", False, "tenure_unknown", "hire date unknown")
    hired_on = hires[0].hired_on
    since = _tenure_from(hired_on, months)
    if since > at:
        return Check(
            "a",
            "tenure",
            False,
            "tenure_short",
            f"hired on {hired_on.isoformat()}, less than {months} months before "
            f"{at.date().isoformat()} (eligible from {since.date().isoformat()})",
        )
    return Check("a", "tenure", True, "ok", f"hired on {hired_on.isoformat()}")


@lru_cache(maxsize=4096)
def _tenure_from(hired_on: date, months: int) -> datetime:
    return start_of_day(hired_on) + relativedelta(months=months)


def _grades(view: EmployeeView, facts: Sequence[Event], quarters: list[Period]) -> Check:
    span = view.span if facts is view.counted else employment_span(facts)
    problems: list[str] = []
    seen: list[str] = []
    code = "ok"
    for quarter in quarters:
        employed = employed_in(span, quarter)
        grade = view.quarter_grade(quarter) if employed else None
        if grade is None:
            problems.append(f"no grade for {quarter.label} (not employed then)")
            code = "grade_missing" if code == "ok" else code
        elif grade.level not in ("good", "excellent"):
            problems.append(f"{quarter.label} graded {grade.level} ({grade.score})")
            code = "grade_low"
        else:
            seen.append(f"{quarter.label} {grade.level}")
    if problems:
        return Check("b", "grades", False, code, "; ".join(problems))
    return Check("b", "grades", True, "ok", ", ".join(seen))


def _discipline(view: EmployeeView, at: datetime) -> Check:
    live = live_records(view.derivation, at)
    if live:
        names = ", ".join(
            f"{r.kind} {str(r.sanction_id)[:8]} ({r.rule_id}, issued "
            f"{r.issued_at.date().isoformat()}, live until "
            f"{r.expires_at.date().isoformat() if r.expires_at else 'revoked'})"
            for r in live
        )
        return Check("c", "discipline", False, "live_discipline", f"live record(s): {names}")
    return Check("c", "discipline", True, "ok", "no live discipline record")


def _qualification(facts: Sequence[Event], at: datetime) -> Check:
    status = qualification(facts, at, None)
    if not status.hired_in_ledger:
        return Check("d", "qualification", True, "ok", "not hired in the ledger (not applicable)")
    if status.status == "passed":
        assert status.passed_on is not None
        return Check(
            "d", "qualification", True, "ok", f"qualified on {status.passed_on.isoformat()}"
        )
    if status.status == "failed":
        return Check(
            "d", "qualification", False, "qualification_failed", "qualification assessment failed"
        )
    return Check("d", "qualification", False, "qualification_missing", "qualification not assessed")


def _evaluations(facts: Sequence[Event], quarters: list[Period], minimum: int, floor: int) -> Check:
    overall = evaluation_means(facts, quarters).get("all")
    labels = " and ".join(q.label for q in quarters)
    if overall is None or overall.count < minimum:
        count = 0 if overall is None else overall.count
        return Check(
            "e",
            "evaluations",
            True,
            "ok",
            f"{count} evaluation(s) in {labels}, fewer than {minimum}: not required",
        )
    if Decimal(overall.total) < Decimal(floor) * overall.count:
        return Check(
            "e",
            "evaluations",
            False,
            "evaluation_mean_low",
            f"mean evaluation {overall.mean} over {overall.count} in {labels}, below {floor}",
        )
    return Check(
        "e",
        "evaluations",
        True,
        "ok",
        f"mean evaluation {overall.mean} over {overall.count} in {labels}",
    )
