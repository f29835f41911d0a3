"""Training and recognition facts (合理建议, 有效监督信息, 好人好事)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field

from ledger.events.base import EventData

__all__ = ["GoodDeed", "SuggestionAdopted", "SupervisionReported", "TrainingCompleted"]


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be the number 1, 2 or 3, not true or false")
    return value


class TrainingCompleted(EventData):
    """A training course was completed, passed or not."""

    TYPE: ClassVar[str] = "training.completed"
    course: str = Field(min_length=1, max_length=200)
    passed: bool
    score: int | None = Field(default=None, ge=0, le=100)


class SuggestionAdopted(EventData):
    """A reasonable suggestion by the employee was adopted (合理建议被采纳), tier 1-3."""

    TYPE: ClassVar[str] = "recognition.suggestion_adopted"
    tier: Annotated[Literal[1, 2, 3], BeforeValidator(_not_bool)]


class SupervisionReported(EventData):
    """The employee supplied useful supervision information (有效监督信息)."""

    TYPE: ClassVar[str] = "recognition.supervision_report"
    summary: str = Field(min_length=1, max_length=2000)


class GoodDeed(EventData):
    """A good deed (好人好事)."""

    TYPE: ClassVar[str] = "recognition.good_deed"
    description: str = Field(min_length=1, max_length=2000)
