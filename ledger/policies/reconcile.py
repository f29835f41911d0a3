"""Reconciliation: what the policies derive now vs what the log records, as new events.

The difference is recorded, never edited: ``sanction.issued`` for a consequence the facts
now imply (again), ``sanction.voided`` with a reason for one they no longer imply,
``sanction.revoked`` / ``sanction.reinstated`` for commendation offsets. Running it twice
changes nothing (idempotence), because the second run finds no difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from ledger.events import EventData, SanctionReinstated, SanctionRevoked, SanctionVoided
from ledger.policies.engine import Derivation
from ledger.policies.status import SanctionState

__all__ = ["Change", "reconcile"]


@dataclass(frozen=True, slots=True)
class Change:
    """One derived event to append: its data and valid time."""

    occurred_at: datetime
    data: EventData


def _void_reason(state: SanctionState, derived: Derivation) -> tuple[str, tuple[UUID, ...]]:
    issued = state.issued
    retractions = tuple(derived.retracted[c] for c in issued.caused_by if c in derived.retracted)
    if retractions:
        return "a causing fact was retracted (correction.retracted)", retractions
    if issued.sanction_id in derived.upheld:
        return "appeal upheld (appeal.decided)", (derived.upheld[issued.sanction_id],)
    if issued.attached_to is not None and issued.attached_to in derived.upheld:
        return "the record it is attached to was voided on appeal", (
            derived.upheld[issued.attached_to],
        )
    gone = [d for d in issued.depends_on if d in derived.upheld]
    if gone:
        return "it depended on a consequence voided on appeal", tuple(
            derived.upheld[d] for d in gone
        )
    return (
        "no longer implied by the facts (a fact recorded later, e.g. a fulfilment before the "
        "deadline or a back-dated fact, changed the derivation)",
        (),
    )


def reconcile(
    derived: Derivation, recorded: Mapping[UUID, SanctionState], now: datetime
) -> list[Change]:
    """The events that make the recorded consequences equal the derived ones.

    Args:
        derived: what the policies derive from the full known history, or from an instant
            on (``derived.since``): consequences issued and offsets made before it are then
            settled (an earlier reconciliation recorded them) and left alone.
        recorded: the folded ``sanction.*`` events of the same stream (when resumed: at
            least those issued from ``derived.since`` on, the warnings still live then and
            those offset from then on).
        now: valid time of voids and reinstatements (the ledger clock).
    """
    changes: list[Change] = []
    outcomes = derived.by_id()
    since = derived.since

    def settled(held: SanctionState) -> bool:
        return since is not None and held.issued.effective_at < since

    for sanction_id, held in sorted(recorded.items(), key=lambda kv: kv[0].int):
        if not held.voided and sanction_id not in outcomes and not settled(held):
            reason, causes = _void_reason(held, derived)
            changes.append(
                Change(
                    now,
                    SanctionVoided(
                        sanction_id=sanction_id,
                        reason=reason,
                        caused_by=causes,
                    ),
                )
            )
    for outcome in derived.outcomes:
        state = recorded.get(outcome.sanction_id)
        if state is None or state.voided:
            changes.append(Change(outcome.issued_at, outcome.to_data()))
    revoked = {r.sanction_id: r for r in derived.revocations}
    for revocation in derived.revocations:
        state = recorded.get(revocation.sanction_id)
        if state is None or state.revoked_by != revocation.revoked_by:
            changes.append(
                Change(
                    revocation.at,
                    SanctionRevoked(
                        sanction_id=revocation.sanction_id,
                        revoked_by=revocation.revoked_by,
                        reason="offset by a commendation (REC-05, 嘉奖抵消警告)",
                    ),
                )
            )
    for sanction_id, held in sorted(recorded.items(), key=lambda kv: kv[0].int):
        if since is not None and (held.revoked_at is None or held.revoked_at < since):
            continue  # an offset made before the instant: settled
        standing = sanction_id in outcomes or (settled(held) and not held.voided)
        if held.revoked_by is not None and sanction_id not in revoked and standing:
            changes.append(
                Change(
                    now,
                    SanctionReinstated(
                        sanction_id=sanction_id,
                        reason="its commendation no longer stands or offsets another warning",
                    ),
                )
            )
    return changes
