"""The measurements scorecards, promotion and registers share, over an employee's facts.

Every function is pure: it reads counted facts (retracted observations already dropped, see
:func:`counted`) or a :class:`~ledger.policies.engine.Derivation`, and an instant or period.
Conventions:

* a discipline record (``warning``, ``demerit``, ``major_demerit``) is *live* at ``t`` when
  ``issued_at <= t < expires_at`` and it was not revoked (REC-05) at or before ``t``;
* attendance points at ``t`` sum ATT-01's points over the rolling window ``(t - N, t]`` of the
  rulebook binding ``t``, each fact weighed by the rulebook that bound it;
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from ledger.events import (
    DISCIPLINE_KINDS,
    Event,
    Hired,
    QualificationAssessed,
    ServiceEvaluated,
    TrainingCompleted,
    Transferred,
)
from ledger.policies.attendance import points_of
from ledger.policies.engine import Derivation, counted_facts
from ledger.policies.rulebook import RulebookSet
from ledger.policies.windows import span, window_start
from ledger.timeutil import Period

__all__ = [
    "ATTENDANCE_TYPES",
    "LiveRecord",
    "Qualification",
    "RaterMean",
    "attendance_points",
    "counted",
    "employed_in",
    "evaluation_means",
    "live_records",
    "percent",
    "points_text",
    "position",
    "qualification",
]

ATTENDANCE_TYPES = frozenset(
    {
        "attendance.late_arrival",
        "attendance.early_departure",
        "attendance.post_left",
        "attendance.absence",
    }
)
POSITION_TYPES = frozenset({Hired.TYPE, Transferred.TYPE})
"""What :func:`position` reads."""
QUALIFICATION_TYPES = frozenset({QualificationAssessed.TYPE, TrainingCompleted.TYPE, Hired.TYPE})
"""What :func:`qualification` reads."""
EVALUATION_TYPES = frozenset({ServiceEvaluated.TYPE})
"""What :func:`evaluation_means` reads."""
QualificationStatus = Literal["passed", "failed", "not_assessed"]
_TENTH = Decimal("0.1")


def counted(facts: Iterable[Event]) -> list[Event]:
    """Observations that count: retracted ones, retractions and appeals left out, in order."""
    return counted_facts(list(facts))[0]


def employed_in(span: tuple[datetime, datetime | None] | None, quarter: Period) -> bool:
    """Whether an employment ``span`` (see ``employment_span``) overlaps ``quarter``."""
    if span is None:
        return False
    start, end = span
    return start < quarter.end and (end is None or quarter.start <= end)


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent with one decimal, or ``None`` when ``whole`` is 0."""
    if whole == 0:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(_TENTH)


@dataclass(frozen=True, slots=True)
class LiveRecord:
    """A discipline record live at some instant."""

    sanction_id: UUID
    kind: str
    rule_id: str
    issued_at: datetime
    expires_at: datetime | None
    summary: str

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "sanction_id": str(self.sanction_id),
            "kind": self.kind,
            "rule_id": self.rule_id,
            "issued_at": self.issued_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "summary": self.summary,
        }


def live_records(derivation: Derivation, at: datetime) -> tuple[LiveRecord, ...]:
    """Discipline records live at ``at`` (issued by then, not expired, not revoked by then)."""
    revoked = {r.sanction_id for r in derivation.revocations if r.at <= at}
    return tuple(
        LiveRecord(
            o.sanction_id, o.kind, o.rule.rule_id, o.issued_at, o.expires_at, o.basis.summary
        )
        for o in derivation.outcomes
        if o.kind in DISCIPLINE_KINDS
        and o.sanction_id not in revoked
        and o.issued_at <= at
        and (o.expires_at is None or at < o.expires_at)
    )


def attendance_points(facts: Sequence[Event], rulebooks: RulebookSet, at: datetime) -> Decimal:
    """ATT-01 points in the rolling window ending at ``at`` (0 when no rulebook is adopted)."""
    adopted = rulebooks.in_force(at) or rulebooks.latest()
    if adopted is None:
        return Decimal(0)
    start = window_start(at, span(months=adopted.rulebook.attendance.window_months))
    total = Decimal(0)
    for fact in facts:
        if fact.type not in ATTENDANCE_TYPES or not start < fact.occurred_at <= at:
            continue
        binding = rulebooks.in_force(fact.occurred_at)
        if binding is not None:
            total += points_of(fact, binding.rulebook)
    return total


def points_text(points: Decimal | str) -> str:
    """Attendance points as every listing prints them: at least one decimal place
    (``0.0``, ``1.0``, ``2.5``; ``0.25`` keeps its second)."""
    value = Decimal(points)
    if value == value.quantize(Decimal("0.1")):
        return f"{value:.1f}"
    return format(value.normalize(), "f")


def position(facts: Sequence[Event], at: datetime) -> tuple[str | None, str | None]:
    """Department and role at ``at``: the latest hiring or transfer that occurred by then."""
    department = role = None
    for fact in facts:
        if fact.occurred_at <= at and isinstance(fact.data, Hired | Transferred):
            department, role = fact.data.department, fact.data.role
    return department, role


@dataclass(frozen=True, slots=True)
class RaterMean:
    """The mean 360-degree score given by one kind of rater."""

    rater: str
    count: int
    total: int

    @property
    def mean(self) -> Decimal:
        """The mean score, two decimals."""
        return (Decimal(self.total) / Decimal(self.count)).quantize(Decimal("0.01"))

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (the mean as a number)."""
        return {"count": self.count, "mean": float(self.mean)}


def evaluation_means(facts: Iterable[Event], periods: Iterable[Period]) -> dict[str, RaterMean]:
    """``service.evaluated`` means per rater within any of ``periods``, plus ``all`` raters."""
    spans = [(p.start, p.end) for p in periods]
    sums: dict[str, tuple[int, int]] = {}
    for fact in facts:
        data = fact.data
        if not isinstance(data, ServiceEvaluated):
            continue
        moment = fact.occurred_at
        if any(start <= moment < end for start, end in spans):
            for key in (data.rater, "all"):
                count, total = sums.get(key, (0, 0))
                sums[key] = (count + 1, total + data.score)
    order = ("customer", "peer", "supervisor", "self", "all")
    return {k: RaterMean(k, *sums[k]) for k in order if k in sums}


@dataclass(frozen=True, slots=True)
class Qualification:
    """The qualification gate (上岗考核) and training record."""

    status: QualificationStatus
    passed_on: date | None
    hired_in_ledger: bool
    trainings_passed: int
    trainings_failed: int
    courses: tuple[tuple[str, bool, int | None, datetime], ...]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready training detail (the status itself is ``qualification``)."""
        return {
            "qualified_on": self.passed_on.isoformat() if self.passed_on else None,
            "passed": self.trainings_passed,
            "failed": self.trainings_failed,
            "courses": [
                {"course": c, "passed": p, "score": s, "at": t.isoformat()}
                for c, p, s, t in self.courses
            ],
        }


def qualification(facts: Sequence[Event], at: datetime, period: Period | None) -> Qualification:
    """Qualification status at ``at`` and the trainings completed in ``period``.

    ``passed`` once any assessment by ``at`` was passed; ``failed`` when assessed by then but
    never passed; ``not_assessed`` otherwise.
    """
    assessed = [
        (f.occurred_at, f.data.passed)
        for f in facts
        if isinstance(f.data, QualificationAssessed) and f.occurred_at <= at
    ]
    passed_at = next((when for when, ok in assessed if ok), None)
    status: QualificationStatus = (
        "passed" if passed_at else "failed" if assessed else "not_assessed"
    )
    courses = tuple(
        (f.data.course, f.data.passed, f.data.score, f.occurred_at)
        for f in facts
        if isinstance(f.data, TrainingCompleted) and (period is None or f.occurred_at in period)
    )
    return Qualification(
        status,
        passed_at.date() if passed_at else None,
        any(isinstance(f.data, Hired) for f in facts),
        sum(1 for c in courses if c[1]),
        sum(1 for c in courses if not c[1]),
        courses,
    )
