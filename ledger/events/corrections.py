"""Corrections and appeals: how the record is mended without editing it."""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from ledger.events.base import EventData

__all__ = ["AppealDecided", "AppealFiled", "Retracted"]


class Retracted(EventData):
    """The target observation (in the same employee's stream) no longer counts."""

    TYPE: ClassVar[str] = "correction.retracted"
    target_event_id: UUID
    reason: str = Field(min_length=1, max_length=2000)


class AppealFiled(EventData):
    """The employee appealed a sanction."""

    TYPE: ClassVar[str] = "appeal.filed"
    sanction_id: UUID
    grounds: str = Field(min_length=1, max_length=4000)


class AppealDecided(EventData):
    """An appeal was decided; ``upheld`` voids the sanction and what depended on it."""

    TYPE: ClassVar[str] = "appeal.decided"
    sanction_id: UUID
    outcome: Literal["upheld", "rejected"]
