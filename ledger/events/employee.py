"""Employment facts: hiring, wage, transfer, separation, the qualification gate (上岗考核)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from ledger.events.base import EventData, WireDate
from ledger.money import Money

__all__ = ["Hired", "QualificationAssessed", "Separated", "Transferred", "WageChanged"]


class Hired(EventData):
    """The employee joined; starts the qualification gate and the grading quarters."""

    TYPE: ClassVar[str] = "employee.hired"
    department: str = Field(min_length=1, max_length=100)
    role: str = Field(min_length=1, max_length=100)
    hired_on: WireDate
    monthly_wage: Money = Field(gt=0)


class WageChanged(EventData):
    """A new monthly wage applies from ``occurred_at`` on."""

    TYPE: ClassVar[str] = "employee.wage_changed"
    monthly_wage: Money = Field(gt=0)


class Transferred(EventData):
    """The employee moved to another department or role."""

    TYPE: ClassVar[str] = "employee.transferred"
    department: str = Field(min_length=1, max_length=100)
    role: str = Field(min_length=1, max_length=100)


class Separated(EventData):
    """The employee left the company."""

    TYPE: ClassVar[str] = "employee.separated"
    reason: str = Field(min_length=1, max_length=500)


class QualificationAssessed(EventData):
    """An on-boarding qualification assessment (上岗考核) was held."""

    TYPE: ClassVar[str] = "employee.qualification_assessed"
    passed: bool
    score: int | None = Field(default=None, ge=0, le=100)
