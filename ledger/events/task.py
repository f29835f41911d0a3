"""Obedience facts (服从管理): tasks, refusals, authority exceeded, missed meetings."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from ledger.events.base import EventData, WireInstant

__all__ = ["AuthorityExceeded", "MeetingMissed", "TaskAssigned", "TaskCompleted", "TaskRefused"]


class _Task(EventData):
    task_id: str = Field(min_length=1, max_length=100)


class TaskAssigned(_Task):
    """A task was assigned, due at ``due_at``."""

    TYPE: ClassVar[str] = "task.assigned"
    due_at: WireInstant


class TaskCompleted(_Task):
    """The task was completed."""

    TYPE: ClassVar[str] = "task.completed"


class TaskRefused(_Task):
    """The employee refused the task; an ``approved_alternative`` excuses it."""

    TYPE: ClassVar[str] = "task.refused"
    approved_alternative: bool


class AuthorityExceeded(EventData):
    """The employee decided beyond their authority (擅自做主)."""

    TYPE: ClassVar[str] = "task.authority_exceeded"
    description: str = Field(min_length=1, max_length=2000)


class MeetingMissed(EventData):
    """The employee missed a required meeting."""

    TYPE: ClassVar[str] = "task.meeting_missed"
    meeting: str = Field(min_length=1, max_length=200)
