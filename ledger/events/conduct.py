"""Discipline facts (四不准 / 三不准 and damage to company property)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field

from ledger.events.base import EventData
from ledger.money import Money

__all__ = ["PropertyDamaged", "Violation", "ViolationKind"]

ViolationKind = Literal[
    "operating_rules",
    "discourtesy",
    "extortion",
    "arbitrary_charge",
    "falsification",
    "confidentiality",
    "prohibited_activity",
]


class Violation(EventData):
    """A breach of discipline of the given ``kind``."""

    TYPE: ClassVar[str] = "conduct.violation"
    kind: ViolationKind
    loss_amount: Money | None = Field(default=None, ge=Decimal(0))
    customer_data: bool | None = None
    description: str = Field(min_length=1, max_length=2000)


class PropertyDamaged(EventData):
    """Company property was damaged (损坏公司财物); ``amount`` is the loss to compensate."""

    TYPE: ClassVar[str] = "conduct.property_damaged"
    amount: Money = Field(gt=0)
    description: str = Field(min_length=1, max_length=2000)
