"""Attendance facts (不迟到早退, 不擅自离岗, 旷工, leave)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ledger.events.base import EventData

__all__ = ["Absence", "EarlyDeparture", "LateArrival", "LeaveKind", "LeaveTaken", "PostLeft"]

LeaveKind = Literal["annual", "sick", "marriage", "bereavement", "maternity", "personal"]


class LateArrival(EventData):
    """Arrived ``minutes`` late (迟到)."""

    TYPE: ClassVar[str] = "attendance.late_arrival"
    minutes: int = Field(gt=0, le=24 * 60)


class EarlyDeparture(EventData):
    """Left ``minutes`` early (早退)."""

    TYPE: ClassVar[str] = "attendance.early_departure"
    minutes: int = Field(gt=0, le=24 * 60)


class PostLeft(EventData):
    """Left the post without permission (擅自离岗)."""

    TYPE: ClassVar[str] = "attendance.post_left"
    minutes: int | None = Field(default=None, ge=0, le=24 * 60)


class Absence(EventData):
    """Unauthorised absence (旷工) of ``days`` days."""

    TYPE: ClassVar[str] = "attendance.absence"
    days: int = Field(ge=1, le=366)


class LeaveTaken(EventData):
    """Authorised leave; never penalised."""

    TYPE: ClassVar[str] = "attendance.leave_taken"
    kind: LeaveKind
    days: int = Field(ge=1, le=366)
