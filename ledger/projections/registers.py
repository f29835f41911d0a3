"""Registers across employees: the complaint board and the department summary.

* **Complaint board**: every complaint received and neither resolved nor dismissed by
  ``now``, with its first-question handler (首问负责) and the time left to its reply (SVC-02)
  and resolution (SVC-03) deadlines; negative time means overdue.
* **Department summary** for a quarter: the grade distribution per department, the quota
  check of GRD-01 (at most ``grade.excellent_quota_percent`` % ``excellent`` per department,
  rounded down, at least 1, counted over the graded employees) and the fines, compensation
  and bonuses totals. Calibration is reported always and applied only when asked: the excess
  excellents with the lowest scores become ``good`` (ties: the higher employee id yields).
  Worked example: 6 graded employees, 20 % -> 6 x 20 / 100 = 1.2 -> quota 1; 3 graded -> 0.6
  -> at least 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar

from ledger.events import ComplaintReceived, Event
from ledger.money import ZERO
from ledger.policies.grades import LEVELS
from ledger.policies.rulebook import RulebookSet
from ledger.projections.complaints import lifecycle
from ledger.projections.measures import counted, position
from ledger.projections.scorecard import QuarterGrade
from ledger.timeutil import Period

__all__ = [
    "BOARD_TYPES",
    "Calibration",
    "ComplaintStream",
    "DepartmentReport",
    "DepartmentSummary",
    "GradedCard",
    "HandlerFacts",
    "OpenComplaint",
    "complaint_board",
    "department_summary",
    "excellent_quota",
    "quota_percent",
    "readable",
]

NO_DEPARTMENT = "(none)"


def readable(delta: timedelta) -> str:
    """``"5h 07m left"`` or ``"overdue 2d 3h"``."""
    seconds = int(delta.total_seconds())
    amount = abs(seconds)
    days, rest = divmod(amount, 86400)
    hours, rest = divmod(rest, 3600)
    text = f"{days}d {hours}h" if days else f"{hours}h {rest // 60:02d}m"
    return f"{text} left" if seconds >= 0 else f"overdue {text}"


@dataclass(frozen=True, slots=True)
class OpenComplaint:
    """An open complaint on the board at ``now``."""

    complaint_id: str
    handler: str
    department: str | None
    channel: str
    received_at: datetime
    replied_at: datetime | None
    reply_due: datetime | None
    resolve_due: datetime | None
    now: datetime

    @property
    def reply_left(self) -> timedelta | None:
        """Time to the reply deadline (negative: overdue); ``None`` once replied."""
        if self.replied_at is not None or self.reply_due is None:
            return None
        return self.reply_due - self.now

    @property
    def resolve_left(self) -> timedelta | None:
        """Time to the resolution deadline (negative: overdue)."""
        return None if self.resolve_due is None else self.resolve_due - self.now

    @property
    def overdue(self) -> bool:
        """Whether a deadline has passed unmet."""
        return any(left is not None and left < timedelta(0) for left in self._lefts())

    def _lefts(self) -> tuple[timedelta | None, timedelta | None]:
        return self.reply_left, self.resolve_left

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form; times left in whole seconds."""
        reply, resolve = self._lefts()
        return {
            "complaint_id": self.complaint_id,
            "handler": self.handler,
            "department": self.department,
            "channel": self.channel,
            "received_at": self.received_at.isoformat(),
            "replied_at": self.replied_at.isoformat() if self.replied_at else None,
            "reply_due": self.reply_due.isoformat() if self.reply_due else None,
            "reply_left_seconds": None if reply is None else int(reply.total_seconds()),
            "resolve_due": self.resolve_due.isoformat() if self.resolve_due else None,
            "resolve_left_seconds": None if resolve is None else int(resolve.total_seconds()),
            "overdue": self.overdue,
        }


class HandlerFacts(Protocol):
    """What the board reads of one handler (an :class:`EmployeeView` has it all)."""

    @property
    def employee_id(self) -> str:
        """The handler."""

    @property
    def facts(self) -> Sequence[Event]:
        """At least the handler's facts of :data:`BOARD_TYPES`."""

    @property
    def rulebooks(self) -> RulebookSet:
        """Every adopted rulebook (their deadlines)."""


@dataclass(frozen=True, slots=True)
class ComplaintStream:
    """One handler's facts of :data:`BOARD_TYPES`: enough for the board, no derivation."""

    employee_id: str
    facts: tuple[Event, ...]
    rulebooks: RulebookSet


BOARD_TYPES = frozenset(
    {
        "service.complaint_received",
        "service.complaint_replied",
        "service.complaint_resolved",
        "service.complaint_dismissed",
        "correction.retracted",
        "employee.hired",
        "employee.transferred",
    }
)
"""The types the complaint board reads: complaints, their steps, retractions, positions."""


def complaint_board(views: Iterable[HandlerFacts], now: datetime) -> list[OpenComplaint]:
    r"""Open complaints at ``now`` over ``views``, the nearest resolution deadline first.

    ``views`` may be :class:`EmployeeView`\ s or the much cheaper :class:`ComplaintStream`\ s
    (read through the type index: no derivation), with the same result.
    """
    board: list[OpenComplaint] = []
    for view in views:
        facts = [f for f in counted(view.facts) if f.occurred_at <= now]
        department, _ = position(facts, now)
        steps = lifecycle(facts)
        for fact in facts:
            data = fact.data
            if not isinstance(data, ComplaintReceived):
                continue
            replied, closed = steps.get(data.complaint_id, (None, None))
            if closed is not None:
                continue
            adopted = view.rulebooks.in_force(fact.occurred_at)
            hours = adopted.rulebook.complaints if adopted else None
            board.append(
                OpenComplaint(
                    data.complaint_id,
                    view.employee_id,
                    department,
                    data.channel,
                    fact.occurred_at,
                    replied,
                    fact.occurred_at + timedelta(hours=hours.reply_hours) if hours else None,
                    fact.occurred_at + timedelta(hours=hours.resolve_hours) if hours else None,
                    now,
                )
            )
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(board, key=lambda c: (c.resolve_due or far, c.handler, c.complaint_id))


def quota_percent(rulebooks: RulebookSet, quarter: Period) -> int:
    """``grade.excellent_quota_percent`` of the rulebook binding ``quarter`` (default 20)."""
    adopted = rulebooks.in_force(quarter.last_instant) or rulebooks.latest()
    return adopted.rulebook.grade.excellent_quota_percent if adopted else 20


def excellent_quota(graded: int, percent: int) -> int:
    """At most ``percent`` % of ``graded``, rounded down, but at least 1."""
    return max(1, graded * percent // 100)


@dataclass(frozen=True, slots=True)
class Calibration:
    """An excess ``excellent`` demoted to ``good`` by calibration."""

    employee_id: str
    department: str
    quarter: str
    score: int | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "employee_id": self.employee_id,
            "department": self.department,
            "quarter": self.quarter,
            "score": self.score,
            "from": "excellent",
            "to": "good",
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class DepartmentSummary:
    """One department's grades, quota check and money for a quarter.

    ``distribution`` counts the levels as graded (GRD-01); ``calibrated`` holds the
    demotions applied (empty unless calibration was asked for) and ``final`` the
    distribution after them.
    """

    department: str
    quarter: str
    employees: int
    distribution: Mapping[str, int]
    final: Mapping[str, int]
    quota_percent: int
    quota: int
    excess: int
    calibrated: tuple[Calibration, ...]
    fines_total: Decimal
    compensation_total: Decimal
    bonuses_total: Decimal

    @property
    def over_quota(self) -> bool:
        """More excellents than the quota allows (before calibration)."""
        return self.excess > 0

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form, money as decimal strings."""
        return {
            "department": self.department,
            "quarter": self.quarter,
            "employees": self.employees,
            "distribution": dict(self.distribution),
            "final_distribution": dict(self.final),
            "excellent": self.distribution["excellent"],
            "quota_percent": self.quota_percent,
            "quota": self.quota,
            "over_quota": self.over_quota,
            "excess": self.excess,
            "calibrated": [c.to_json() for c in self.calibrated],
            "fines_total": format(self.fines_total, "f"),
            "compensation_total": format(self.compensation_total, "f"),
            "bonuses_total": format(self.bonuses_total, "f"),
        }


class GradedCard(Protocol):
    """What the department summary reads of a scorecard: a
    :class:`~ledger.projections.scorecard.Scorecard`, or a stored one
    (:class:`~ledger.projections.listings.CardRecord`)."""

    @property
    def employee_id(self) -> str:
        """The employee."""

    @property
    def department(self) -> str | None:
        """The department at the card's instant."""

    @property
    def grade(self) -> QuarterGrade:
        """The grade shown."""

    @property
    def fines_total(self) -> Decimal:
        """Fines in the period."""

    @property
    def compensation_total(self) -> Decimal:
        """Compensation in the period."""

    @property
    def bonuses_total(self) -> Decimal:
        """Bonuses in the period."""

    def with_grade(self: C, grade: QuarterGrade) -> C:
        """A copy with ``grade`` shown."""


C = TypeVar("C", bound=GradedCard)


@dataclass(frozen=True, slots=True)
class DepartmentReport(Generic[C]):
    """The summaries and the scorecards (calibrated when asked), in the given order."""

    departments: tuple[DepartmentSummary, ...]
    scorecards: tuple[C, ...]


def _distribution(cards: Sequence[GradedCard]) -> dict[str, int]:
    counts = dict.fromkeys(reversed(LEVELS), 0) | {"ungraded": 0}
    for card in cards:
        counts[card.grade.level or "ungraded"] += 1
    return counts


def department_summary(
    cards: Sequence[C], percent: int, *, calibrate: bool = False
) -> DepartmentReport[C]:
    """Per-department distribution, quota check and totals of ``cards`` (one quarter).

    Args:
        cards: scorecards of the same period and ``as_of``.
        percent: the quota, usually :func:`quota_percent`.
        calibrate: demote the lowest-scoring excess excellents to ``good``.
    """
    groups: dict[str, list[C]] = {}
    for card in cards:
        groups.setdefault(card.department or NO_DEPARTMENT, []).append(card)
    replaced: dict[str, C] = {}
    summaries: list[DepartmentSummary] = []
    for name in sorted(groups):
        members = groups[name]
        graded = [c for c in members if c.grade.level is not None]
        quota = excellent_quota(len(graded), percent)
        best = sorted(
            (c for c in graded if c.grade.level == "excellent"),
            key=lambda c: (-(c.grade.score or 0), c.employee_id),
        )
        excess = best[quota:]
        calibrations: list[Calibration] = []
        if calibrate:
            for card in excess:
                reason = (
                    f"calibration: {len(best)} excellent in {name} over a quota of {quota} "
                    f"({percent} % of {len(graded)} graded, rounded down, at least 1); score "
                    f"{card.grade.score} is among the {len(excess)} lowest (on equal scores the "
                    "higher employee id yields)"
                )
                calibrations.append(
                    Calibration(card.employee_id, name, card.grade.period, card.grade.score, reason)
                )
                demoted = replace(
                    card.grade, level="good", note=reason, calibrated_from="excellent"
                )
                replaced[card.employee_id] = card.with_grade(demoted)
        final_cards = [replaced.get(c.employee_id, c) for c in members]
        summaries.append(
            DepartmentSummary(
                department=name,
                quarter=members[0].grade.period,
                employees=len(members),
                distribution=_distribution(members),
                final=_distribution(final_cards),
                quota_percent=percent,
                quota=quota,
                excess=len(excess),
                calibrated=tuple(calibrations),
                fines_total=sum((c.fines_total for c in members), ZERO),
                compensation_total=sum((c.compensation_total for c in members), ZERO),
                bonuses_total=sum((c.bonuses_total for c in members), ZERO),
            )
        )
    return DepartmentReport(tuple(summaries), tuple(replaced.get(c.employee_id, c) for c in cards))
