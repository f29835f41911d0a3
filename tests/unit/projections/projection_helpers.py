"""Shared helpers for the scorecard, promotion and register tests (RULEBOOK.md v1).

Ledgers are in memory on a manual clock standing at 2027-01-01 00:00 company time; times are
company time written ``"YYYY-MM-DD HH:MM"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ledger.app import Ledger
from ledger.events import Event
from ledger.projections.scorecard import Scorecard, scorecard
from ledger.projections.view import EmployeeView, employee_view
from ledger.testing import ManualClock, hired, instant, make
from ledger.timeutil import Period

__all__ = [
    "assessed",
    "build",
    "card",
    "evaluated",
    "good_deed",
    "leaked",
    "meeting_missed",
    "rude",
    "staff",
    "view",
]


def build(events: Iterable[Event], *, tick: str | None = "2026-12-31 00:00") -> Ledger:
    """A ledger holding ``events`` (deadlines evaluated up to ``tick``)."""
    ledger = Ledger.in_memory(clock=ManualClock("2027-01-01 00:00"))
    ledger.record(list(events))
    if tick is not None:
        ledger.tick(instant(tick))
    return ledger


def view(ledger: Ledger, emp: str, as_of: str, known_at: str | None = None) -> EmployeeView:
    """The employee as of ``as_of`` (as known at ``known_at``)."""
    return employee_view(
        ledger,
        emp,
        as_of=instant(as_of),
        known_at=instant(known_at) if known_at is not None else None,
    )


def card(ledger: Ledger, emp: str, period: str, as_of: str, **kw: Any) -> Scorecard:
    """The scorecard of ``emp`` for ``period``."""
    return scorecard(view(ledger, emp, as_of, **kw), Period.parse(period))


def staff(
    emp: str,
    on: str = "2025-03-03",
    department: str = "front-desk",
    *,
    qualified: str | None = "2025-03-10 10:00",
) -> list[Event]:
    """Hired on ``on`` (09:00) and, unless ``qualified`` is None, qualified then."""
    events = [hired(emp, f"{on} 09:00", department=department, monthly_wage="6000.00")]
    if qualified is not None:
        events.append(assessed(emp, qualified, passed=True))
    return events


def assessed(emp: str, when: str, *, passed: bool) -> Event:
    """A qualification assessment (上岗考核)."""
    return make("employee.qualification_assessed", emp, when, passed=passed)


def rude(emp: str, when: str) -> Event:
    """CND-01 discourtesy: a warning (fine 50.00)."""
    return make("conduct.violation", emp, when, kind="discourtesy", description="raised voice")


def leaked(emp: str, when: str) -> Event:
    """CND-01 confidentiality: a demerit (fine 100.00)."""
    return make("conduct.violation", emp, when, kind="confidentiality", description="leaked")


def good_deed(emp: str, when: str) -> Event:
    """REC-04: a commendation."""
    return make("recognition.good_deed", emp, when, description="returned a lost wallet")


def meeting_missed(emp: str, when: str) -> Event:
    """OBD-04: a notice (-2 on the grade)."""
    return make("task.meeting_missed", emp, when, meeting="weekly briefing")


def evaluated(emp: str, when: str, score: int, rater: str = "customer") -> Event:
    """A 360-degree evaluation score."""
    return make("service.evaluated", emp, when, rater=rater, score=score)
