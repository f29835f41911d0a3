"""The recorded life of each consequence: folded from the derived events of a stream."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from uuid import UUID

from ledger.events import (
    DISCIPLINE_KINDS,
    SanctionIssued,
    SanctionReinstated,
    SanctionRevoked,
    SanctionVoided,
)
from ledger.store import Recorded

__all__ = ["Change", "SanctionState", "Status", "fold_sanctions"]

Status = Literal["active", "voided", "revoked", "expired"]


@dataclass(frozen=True, slots=True)
class Change:
    """One step of a consequence's history, as recorded."""

    what: Literal["issued", "voided", "revoked", "reinstated"]
    occurred_at: datetime
    recorded_at: datetime
    event_id: UUID
    position: int
    reason: str = ""
    by: UUID | None = None


@dataclass
class SanctionState:
    """A recorded consequence and its history (mutable while folding; read-only after)."""

    employee_id: str
    issued: SanctionIssued
    issued_recorded_at: datetime
    voided: bool = False
    revoked_by: UUID | None = None
    history: list[Change] = field(default_factory=list)
    revoked_at: datetime | None = None
    """When the standing offset took effect (``None`` unless revoked)."""

    @property
    def sanction_id(self) -> UUID:
        """The consequence's id."""
        return self.issued.sanction_id

    def status(self, at: datetime) -> Status:
        """Status at ``at``: voided, revoked, expired (past its live period) or active."""
        if self.voided:
            return "voided"
        if self.revoked_by is not None:
            return "revoked"
        expires = self.issued.expires_at
        live_kinds = (*DISCIPLINE_KINDS, "commendation", "obligation")
        if self.issued.kind in live_kinds and expires is not None and expires <= at:
            return "expired"
        return "active"


def fold_sanctions(
    recorded: Iterable[Recorded], states: dict[UUID, SanctionState] | None = None
) -> dict[UUID, SanctionState]:
    """Fold ``sanction.*`` events (any others are skipped) into states by sanction id.

    Args:
        states: states folded from earlier events, updated in place (default: none).
    """
    states = {} if states is None else states
    for item in recorded:
        event = item.event
        data = event.data
        if isinstance(data, SanctionIssued):
            state = states.get(data.sanction_id)
            if state is None:
                state = SanctionState(event.employee_id, data, item.recorded_at)
                states[data.sanction_id] = state
            state.issued = data
            state.voided = False
            state.history.append(
                Change("issued", event.occurred_at, item.recorded_at, event.event_id, item.position)
            )
            continue
        if not isinstance(data, SanctionVoided | SanctionRevoked | SanctionReinstated):
            continue
        target = states.get(data.sanction_id)
        if target is None:
            continue
        if isinstance(data, SanctionVoided):
            target.voided = True
            change = Change(
                "voided",
                event.occurred_at,
                item.recorded_at,
                event.event_id,
                item.position,
                data.reason,
            )
        elif isinstance(data, SanctionRevoked):
            target.revoked_by = data.revoked_by
            target.revoked_at = event.occurred_at
            change = Change(
                "revoked",
                event.occurred_at,
                item.recorded_at,
                event.event_id,
                item.position,
                data.reason,
                data.revoked_by,
            )
        else:
            target.revoked_by = None
            target.revoked_at = None
            change = Change(
                "reinstated",
                event.occurred_at,
                item.recorded_at,
                event.event_id,
                item.position,
                data.reason,
            )
        target.history.append(change)
    return states
