"""Rights, checked afterwards: every fact against the access document in force where it sits.

The write path refuses what the access document does not allow; this walk proves it held
for the log as stored, so a row slipped in below the API (the chain recomputed after it) is
still found: each fact from the first ``access.adopted`` on is judged by the document
adopted last before its position (:func:`ledger.access.rules.judge`, the same rules as a
write), and ledger-only types must be recorded by ``"ledger"``. A fact is named by its
position, its recorder and its type.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

import orjson

from ledger.access import AdoptedAccess, judge, load_access
from ledger.access.references import appeal_facts
from ledger.errors import LedgerError
from ledger.events import LEDGER_STREAM
from ledger.store import EventStore, ReadFilter, Row
from ledger.store.base import LEDGER_ACTOR, is_ledger_only

__all__ = ["NOT_CHECKED", "RightsReport", "RightsViolation", "check_rights"]

NOT_CHECKED = "no access document adopted: who may write is not checked"


@dataclass(frozen=True, slots=True)
class RightsViolation:
    """A fact its recorder had no right to record."""

    position: int
    actor: str
    type: str
    employee_id: str
    problem: str
    access: str | None

    def __str__(self) -> str:
        under = f" under {self.access}" if self.access else ""
        return (
            f"position {self.position}: {self.actor} recorded {self.type} on "
            f"{self.employee_id}{under}: {self.problem}"
        )


@dataclass(frozen=True, slots=True)
class RightsReport:
    """The outcome of :func:`check_rights`.

    Attributes:
        checked: whether an access document was ever adopted (else nothing is checked).
        facts: how many events were judged.
        violations: the facts recorded without the right, in position order.
        access: the document in force at the end of the log.
    """

    checked: bool
    facts: int = 0
    violations: tuple[RightsViolation, ...] = ()
    access: str | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "checked": self.checked,
            "note": None if self.checked else NOT_CHECKED,
            "access": self.access,
            "facts_checked": self.facts,
            "violations": [
                {
                    "position": v.position,
                    "actor": v.actor,
                    "type": v.type,
                    "employee_id": v.employee_id,
                    "problem": v.problem,
                    "access": v.access,
                }
                for v in self.violations
            ],
        }


def check_rights(store: EventStore) -> RightsReport:
    """Judge every fact from the first access document on by the document in force."""
    first = next(
        store.rows(
            ReadFilter(employee_id=LEDGER_STREAM, types=frozenset({"access.adopted"}), limit=1)
        ),
        None,
    )
    if first is None:
        return RightsReport(False)
    current: AdoptedAccess | None = None
    found: list[RightsViolation] = []
    facts = 0
    for row in store.rows(ReadFilter(from_position=first.position)):
        facts += 1
        problem = _problem(store, row, current)
        if problem is not None:
            label = current.label if current is not None else None
            found.append(
                RightsViolation(
                    row.position, row.recorded_by, row.type, row.employee_id, problem, label
                )
            )
        if row.type == "access.adopted":
            adopted = _adopted(row)
            if adopted is None:
                found.append(
                    RightsViolation(
                        row.position,
                        row.recorded_by,
                        row.type,
                        row.employee_id,
                        "its document does not load; the one before stays in force",
                        current.label if current is not None else None,
                    )
                )
            current = adopted or current
    return RightsReport(True, facts, tuple(found), current.label if current is not None else None)


def _problem(store: EventStore, row: Row, current: AdoptedAccess | None) -> str | None:
    if is_ledger_only(row.type):
        if row.recorded_by != LEDGER_ACTOR:
            return f"only the ledger writes {row.type}"
        return None
    if row.recorded_by == LEDGER_ACTOR:
        return f"{LEDGER_ACTOR!r} is the derivation path's name, not a recorder of facts"
    if current is None:
        return None
    recorders: frozenset[str] = frozenset()
    if row.type == "appeal.decided":
        try:
            sanction_id = UUID(str(orjson.loads(row.data)["sanction_id"]))
        except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
            return "its sanction_id is unreadable"
        facts = appeal_facts(store, row.employee_id, sanction_id, before=row.position)
        if facts.decided >= facts.filed:
            return f"no filed appeal against {sanction_id} awaited a decision"
        recorders = facts.causing_recorders
    verdict = judge(
        current.document, row.recorded_by, row.type, row.employee_id, causing_recorders=recorders
    )
    return verdict.missing


def _adopted(row: Row) -> AdoptedAccess | None:
    try:
        data = orjson.loads(row.data)
        loaded = load_access(str(data["document"]), source=f"access.adopted at {row.position}")
    except (LedgerError, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        return None
    return replace(loaded, position=row.position, adopted_by=row.recorded_by)
