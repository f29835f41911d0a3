"""Events written only by the ledger: rulebook adoption and derived consequences."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ledger.events.base import EventData, Instant
from ledger.money import Money

__all__ = [
    "DISCIPLINE_KINDS",
    "INERT_LEDGER_TYPES",
    "Allocation",
    "Basis",
    "CheckpointIssued",
    "CountedFact",
    "GradeAssigned",
    "GradeLevel",
    "OutcomeKind",
    "PayrollClosed",
    "RulebookAdopted",
    "SanctionIssued",
    "SanctionReinstated",
    "SanctionRevoked",
    "SanctionVoided",
    "Ticked",
]

OutcomeKind = Literal[
    "notice",
    "warning",
    "demerit",
    "major_demerit",
    "fine",
    "compensation",
    "bonus",
    "commendation",
    "demotion_recommended",
    "dismissal_recommended",
    "obligation",
]
DISCIPLINE_KINDS: tuple[OutcomeKind, ...] = ("warning", "demerit", "major_demerit")
GradeLevel = Literal["excellent", "good", "qualified", "unqualified"]


class RulebookAdopted(EventData):
    """A rulebook version was adopted; carries the whole document so replays are self-contained."""

    TYPE: ClassVar[str] = "rulebook.adopted"
    LEDGER_WIDE: ClassVar[bool] = True
    rulebook_id: str = Field(min_length=1, max_length=100)
    version: int = Field(ge=1)
    effective_from: date
    published_on: date
    document: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _hash_matches(self) -> RulebookAdopted:
        actual = hashlib.sha256(self.document.encode("utf-8")).hexdigest()
        if actual != self.sha256:
            raise ValueError(f"sha256 {self.sha256} does not match the document ({actual})")
        return self


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CountedFact(_Frozen):
    """A fact that a counter took into account, with what it contributed."""

    event_id: UUID
    type: str
    occurred_at: Instant
    value: Decimal
    note: str = ""


class Basis(_Frozen):
    """Why a consequence was derived, for machines and for people.

    Attributes:
        summary: one readable sentence (English).
        summary_zh: the same in Chinese.
        counter: what was counted, e.g. ``attendance points``.
        window_start: start (exclusive) of the rolling window, if any.
        window_end: end (inclusive) of the window: the instant judged.
        value: the counter at the causing fact.
        previous: the counter just before it.
        threshold: the threshold crossed.
        counted: the facts counted.
        parameters: the rulebook parameters used, as ``(name, value)`` pairs.
    """

    summary: str
    summary_zh: str = ""
    counter: str | None = None
    window_start: Instant | None = None
    window_end: Instant | None = None
    value: Decimal | None = None
    previous: Decimal | None = None
    threshold: Decimal | None = None
    counted: tuple[CountedFact, ...] = ()
    parameters: tuple[tuple[str, str], ...] = ()


class SanctionIssued(EventData):
    """A consequence the policies derived, with full provenance."""

    TYPE: ClassVar[str] = "sanction.issued"
    DERIVED: ClassVar[bool] = True
    sanction_id: UUID
    kind: OutcomeKind
    amount: Money | None = None
    rule_id: str
    rule_version: int = Field(ge=1)
    rulebook_id: str
    rulebook_version: int = Field(ge=1)
    rulebook_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    caused_by: tuple[UUID, ...]
    depends_on: tuple[UUID, ...] = ()
    basis: Basis
    effective_at: Instant
    expires_at: Instant | None = None
    due_at: Instant | None = None
    attached_to: UUID | None = None


class SanctionVoided(EventData):
    """A recorded consequence is no longer implied by the facts (appeal upheld, retraction...)."""

    TYPE: ClassVar[str] = "sanction.voided"
    DERIVED: ClassVar[bool] = True
    sanction_id: UUID
    reason: str
    caused_by: tuple[UUID, ...] = ()


class SanctionRevoked(EventData):
    """A warning was offset by a commendation (嘉奖抵消警告)."""

    TYPE: ClassVar[str] = "sanction.revoked"
    DERIVED: ClassVar[bool] = True
    sanction_id: UUID
    revoked_by: UUID
    reason: str = ""


class SanctionReinstated(EventData):
    """A revocation no longer holds (its commendation was voided or now offsets another)."""

    TYPE: ClassVar[str] = "sanction.reinstated"
    DERIVED: ClassVar[bool] = True
    sanction_id: UUID
    reason: str = ""


class Ticked(EventData):
    """The ledger evaluated deadlines up to ``now`` (the deadline horizon)."""

    TYPE: ClassVar[str] = "ledger.ticked"
    LEDGER_WIDE: ClassVar[bool] = True
    DERIVED: ClassVar[bool] = True
    now: Instant


class CheckpointIssued(EventData):
    """The ledger signed a checkpoint of its first ``tree_size`` events (C2SP tlog-checkpoint;
    docs/ARCHITECTURE.md, "Signed checkpoints"), so the log lists the checkpoints it issued.
    The checkpoint itself must be kept outside the database to prove anything."""

    TYPE: ClassVar[str] = "ledger.checkpointed"
    LEDGER_WIDE: ClassVar[bool] = True
    DERIVED: ClassVar[bool] = True
    origin: str = Field(min_length=1, max_length=200)
    tree_size: int = Field(ge=1)
    root_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    key_hash: str = Field(pattern=r"^[0-9a-f]{8}$")
    note: str = Field(min_length=1)


INERT_LEDGER_TYPES = frozenset({CheckpointIssued.TYPE})
"""Ledger-wide types that change no derivation or read model (a ``_ledger`` event of
another type makes the stored projections recompute everyone)."""


class GradeComponent(_Frozen):
    """One line of a grade's arithmetic: ``count`` outcomes of ``kind`` worth ``points``."""

    kind: str
    count: int
    points: int


class GradeAssigned(EventData):
    """The obedience grade (服从考核) of a completed quarter."""

    TYPE: ClassVar[str] = "grade.assigned"
    DERIVED: ClassVar[bool] = True
    period: str = Field(pattern=r"^\d{4}Q[1-4]$")
    level: GradeLevel
    score: int = Field(ge=0, le=100)
    components: tuple[GradeComponent, ...] = ()
    capped_by: str | None = None
    supersedes: UUID | None = None
    reason: str = ""
    rulebook_version: int = Field(default=1, ge=1)


class Allocation(_Frozen):
    """Money moved for one consequence (a fine or compensation) in a payroll month."""

    sanction_id: UUID
    amount: Money


class PayrollClosed(EventData):
    """A payroll month was closed for this employee; closed months are never recomputed."""

    TYPE: ClassVar[str] = "payroll.closed"
    DERIVED: ClassVar[bool] = True
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    wage: Money | None = None
    cap: Money | None = None
    due: Money
    deducted: Money
    carried: Money
    refunded: Money
    bonuses: Money
    allocations: tuple[Allocation, ...] = ()
    refunds: tuple[Allocation, ...] = ()
    bonus_ids: tuple[UUID, ...] = ()
