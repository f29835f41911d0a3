"""Whole-ledger verification: the hash chain, and the recorded consequences vs the rules.

The chain alone cannot catch an attacker who deletes a derived event and re-hashes
everything after it (the chain has no outside anchor); re-deriving can: every consequence
the facts imply must be recorded, and every recorded one must still be implied or voided
with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ledger.audit.pool import PARALLEL_FROM, EmployeePool
from ledger.audit.rights import RightsReport, check_rights
from ledger.events import (
    GradeAssigned,
    SanctionIssued,
    SanctionReinstated,
    SanctionRevoked,
    SanctionVoided,
)
from ledger.policies.engine import Derivation
from ledger.policies.status import SanctionState
from ledger.store import ChainReport

if TYPE_CHECKING:
    from ledger.app import Ledger

__all__ = ["Discrepancy", "VerifyReport", "content_differences", "verify"]


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One thing that is wrong, with where and what."""

    employee_id: str
    problem: str
    sanction_id: str | None = None


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of :func:`verify`."""

    chain: ChainReport
    discrepancies: tuple[Discrepancy, ...]
    employees: int
    rights: RightsReport = field(default_factory=lambda: RightsReport(False))
    """Who wrote what, against the access document in force at each position."""
    unhired: tuple[str, ...] = ()
    """Employees with facts but no ``employee.hired``: their facts derive nothing (not a
    discrepancy; ``ledger findings`` names the facts)."""

    @property
    def ok(self) -> bool:
        """Intact chain, no discrepancy, and every fact written with the right to."""
        return self.chain.ok and not self.discrepancies and not self.rights.violations

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "ok": self.ok,
            "chain": {
                "ok": self.chain.ok,
                "checked": self.chain.checked,
                "head_hash": self.chain.head_hash,
                "first_bad_position": self.chain.first_bad_position,
                "problem": self.chain.problem,
            },
            "employees_checked": self.employees,
            "unhired": list(self.unhired),
            "discrepancies": [
                {"employee_id": d.employee_id, "sanction_id": d.sanction_id, "problem": d.problem}
                for d in self.discrepancies
            ],
            "rights": self.rights.to_json(),
        }


def _describe(employee_id: str, data: object) -> Discrepancy:
    if isinstance(data, SanctionIssued):
        return Discrepancy(
            employee_id,
            f"{data.kind} {data.rule_id} issued {data.effective_at.isoformat()} is implied by "
            "the facts but not recorded as in force",
            str(data.sanction_id),
        )
    if isinstance(data, SanctionVoided):
        return Discrepancy(
            employee_id,
            "recorded consequence is no longer implied by the facts and not voided "
            f"({data.reason})",
            str(data.sanction_id),
        )
    if isinstance(data, SanctionRevoked):
        return Discrepancy(
            employee_id,
            "a commendation offsets this warning but no revocation is recorded",
            str(data.sanction_id),
        )
    if isinstance(data, SanctionReinstated):
        return Discrepancy(
            employee_id,
            "recorded as revoked but no commendation offsets it",
            str(data.sanction_id),
        )
    if isinstance(data, GradeAssigned):
        return Discrepancy(
            employee_id,
            f"grade for {data.period} should be {data.level} ({data.score}) but is not recorded so",
        )
    return Discrepancy(employee_id, f"missing derived record {type(data).__name__}")


_COMPARED = (
    "kind",
    "amount",
    "rule_id",
    "rule_version",
    "rulebook_id",
    "rulebook_version",
    "rulebook_sha256",
    "caused_by",
    "depends_on",
    "effective_at",
    "expires_at",
    "due_at",
    "attached_to",
)


def content_differences(recorded: SanctionIssued, derived: SanctionIssued) -> list[str]:
    """``"field recorded -> derived"`` for each field of a consequence that differs."""
    return [
        f"{name} {getattr(recorded, name)} -> {getattr(derived, name)}"
        for name in _COMPARED
        if getattr(recorded, name) != getattr(derived, name)
    ]


def _differences(
    employee_id: str, derivation: Derivation, recorded: Iterable[SanctionState]
) -> list[Discrepancy]:
    """Recorded consequences in force whose content differs from the one derived now.

    Reconciliation matches consequences by id, and an id names the rulebook by id and
    version only: a rulebook document edited in place (and the chain re-hashed) changes
    amounts without changing ids. Comparing the content catches that.
    """
    derived = derivation.by_id()
    found = []
    for state in recorded:
        outcome = derived.get(state.sanction_id)
        if state.voided or outcome is None:
            continue
        changed = content_differences(state.issued, outcome.to_data())
        if changed:
            found.append(
                Discrepancy(
                    employee_id,
                    f"recorded {state.issued.kind} {state.issued.rule_id} differs from what the "
                    f"rules derive now: {'; '.join(changed)}",
                    str(state.sanction_id),
                )
            )
    return found


def _check(ledger: Ledger, employee_id: str, _: None) -> list[Discrepancy]:
    """Everything wrong with one employee's recorded consequences (in a worker or not): one
    read of the stream, one derivation from scratch."""
    new, derivation, recorded = ledger.audit(employee_id)
    found = [_describe(employee_id, event.data) for event in new]
    found += _differences(employee_id, derivation, recorded)
    return found


def verify(
    ledger: Ledger, *, workers: int | None = None, parallel_from: int = PARALLEL_FROM
) -> VerifyReport:
    """Check the chain, then re-derive every employee and compare with what is recorded,
    and judge every fact by the access document in force at its position
    (:func:`ledger.audit.rights.check_rights`).

    A broken chain stops there: nothing after it can be trusted to re-derive.

    Employees are re-derived on worker processes, each reading the file read-only, when
    the ledger is a SQLite file with many employees (see :mod:`ledger.audit.pool`); they
    start at once and the chain is walked here meanwhile. The report is the same either way.

    Args:
        workers: processes to re-derive on (default: every CPU from ``parallel_from``
            employees on, else this process only).
        parallel_from: employees from which the default is to use every CPU.
    """
    employees = ledger.employees()
    with EmployeePool(
        ledger, employees, _check, None, workers=workers, parallel_from=parallel_from
    ) as pool:
        chain = ledger.store.verify()
        if not chain.ok:
            return VerifyReport(chain, (), 0)
        rights = check_rights(ledger.store)
        found = tuple(d for part in pool.results() for d in part)
    hired = {row.employee_id for row in ledger.store.rows(types=frozenset({"employee.hired"}))}
    unhired = tuple(e for e in employees if e not in hired)
    return VerifyReport(chain, found, len(employees), rights, unhired)
