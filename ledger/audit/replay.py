"""Replay a period under another rulebook, writing nothing, and diff against the record.

This is how HR evaluates a proposed rulebook before adopting it. The proposed rulebook is
applied *as if in force* for the whole history (its own dates are ignored), with deadlines
evaluated up to the ledger's horizon; consequences are matched across rulebooks by what
they are (rule, kind, causes, issue time), not by id (ids include the rulebook version).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ledger.audit.pool import EmployeePool
from ledger.events import EVENT_TYPES, GradeAssigned
from ledger.money import ZERO
from ledger.policies.engine import derive
from ledger.policies.grades import employment_quarters, grades_for
from ledger.policies.hiring import employed
from ledger.policies.rulebook import AdoptedRulebook, RulebookSet
from ledger.policies.status import fold_sanctions
from ledger.store import Recorded
from ledger.timeutil import COMPANY_TZ, Period, quarter_of

if TYPE_CHECKING:
    from ledger.app import Ledger

__all__ = ["EmployeeDiff", "ReplayReport", "replay"]

Key = tuple[str, str, tuple[str, ...], str]
_MONEY = ("fine", "compensation", "bonus")


@dataclass
class EmployeeDiff:
    """What differs for one employee."""

    employee_id: str
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    money_recorded: dict[str, Decimal] = field(default_factory=dict)
    money_replayed: dict[str, Decimal] = field(default_factory=dict)
    grades: list[dict[str, Any]] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        """Whether anything differs."""
        return bool(self.added or self.removed or self.changed or self.grades) or (
            self.money_recorded != self.money_replayed
        )


@dataclass(frozen=True)
class ReplayReport:
    """Per-employee differences and totals."""

    period: str
    rulebook: str
    employees: tuple[EmployeeDiff, ...]

    def totals(self) -> dict[str, Any]:
        """Counts of differences and money totals, recorded vs replayed."""
        recorded = dict.fromkeys(_MONEY, ZERO)
        replayed = dict.fromkeys(_MONEY, ZERO)
        for e in self.employees:
            for k in _MONEY:
                recorded[k] += e.money_recorded.get(k, ZERO)
                replayed[k] += e.money_replayed.get(k, ZERO)
        return {
            "employees_differing": sum(1 for e in self.employees if e.differs),
            "added": sum(len(e.added) for e in self.employees),
            "removed": sum(len(e.removed) for e in self.employees),
            "changed": sum(len(e.changed) for e in self.employees),
            "grades_changed": sum(len(e.grades) for e in self.employees),
            "money": {
                k: {
                    "recorded": format(recorded[k], "f"),
                    "replayed": format(replayed[k], "f"),
                    "difference": format(replayed[k] - recorded[k], "f"),
                }
                for k in _MONEY
            },
        }

    def to_json(self) -> dict[str, Any]:
        """JSON form: the differing employees and the totals."""
        return {
            "period": self.period,
            "rulebook": self.rulebook,
            "totals": self.totals(),
            "employees": [
                {
                    "employee_id": e.employee_id,
                    "added": e.added,
                    "removed": e.removed,
                    "changed": e.changed,
                    "grades": e.grades,
                    "money": {
                        k: {
                            "recorded": format(e.money_recorded.get(k, ZERO), "f"),
                            "replayed": format(e.money_replayed.get(k, ZERO), "f"),
                        }
                        for k in _MONEY
                    },
                }
                for e in self.employees
                if e.differs
            ],
        }


def _row(
    kind: str, rule_id: str, amount: Decimal | None, issued: str, summary: str
) -> dict[str, Any]:
    return {
        "kind": kind,
        "rule_id": rule_id,
        "amount": None if amount is None else format(amount, "f"),
        "issued_at": issued,
        "summary": summary,
    }


def replay(
    ledger: Ledger,
    period: Period,
    document: str | None = None,
    *,
    workers: int | None = None,
    source: str = "<rulebook>",
) -> ReplayReport:
    """Derive ``period`` under ``document`` (default: the adopted rulebooks) and diff it.

    Args:
        workers: processes to use; employees partition cleanly, so a SQLite ledger with
            many employees is replayed on every core (default: all cores from 500 employees
            up; see :mod:`ledger.audit.pool`).
        source: where ``document`` came from, for error messages.
    """
    if document is None:
        books = ledger.rulebooks()
        label = "the rulebooks as adopted"
    else:
        proposed = AdoptedRulebook.from_document(
            document,
            effective_from=date(1970, 1, 1),
            published_on=date(1970, 1, 1),
            source=source,
        )
        books = RulebookSet([proposed])
        label = f"{proposed.rulebook.id} v{proposed.rulebook.version} ({proposed.sha256[:12]})"
    horizon = ledger.horizon()
    now = horizon or period.start.replace(year=1970, tzinfo=COMPANY_TZ)
    params: _Params = (books, period, now, horizon)
    with EmployeePool(ledger, ledger.employees(), _diff_of, params, workers=workers) as pool:
        diffs = pool.results()
    return ReplayReport(period.label, label, tuple(diffs))


def _employee_diff(
    employee_id: str,
    stream: Sequence[Recorded],
    books: RulebookSet,
    period: Period,
    now: datetime,
    horizon: datetime | None,
) -> EmployeeDiff:
    """What ``period`` would differ by for one employee (pure)."""
    events = employed([r.event for r in stream])
    diff = EmployeeDiff(employee_id)
    recorded: dict[Key, dict[str, Any]] = {}
    for state in fold_sanctions(stream).values():
        if state.voided or state.issued.effective_at not in period:
            continue
        i = state.issued
        key: Key = (
            i.rule_id,
            i.kind,
            tuple(sorted(map(str, i.caused_by))),
            i.effective_at.isoformat(),
        )
        recorded[key] = _row(i.kind, i.rule_id, i.amount, key[3], i.basis.summary)
    derived = derive(employee_id, events, books, now)
    replayed: dict[Key, dict[str, Any]] = {}
    for o in derived.outcomes:
        if o.issued_at in period:
            key = (
                o.rule.rule_id,
                o.kind,
                tuple(sorted(map(str, o.caused_by))),
                o.issued_at.isoformat(),
            )
            replayed[key] = _row(o.kind, o.rule.rule_id, o.amount, key[3], o.basis.summary)
    for key in sorted(replayed.keys() - recorded.keys()):
        diff.added.append(replayed[key])
    for key in sorted(recorded.keys() - replayed.keys()):
        diff.removed.append(recorded[key])
    for key in sorted(recorded.keys() & replayed.keys()):
        if recorded[key]["amount"] != replayed[key]["amount"]:
            diff.changed.append({**replayed[key], "recorded_amount": recorded[key]["amount"]})
    for rows, totals in ((recorded, diff.money_recorded), (replayed, diff.money_replayed)):
        for row in rows.values():
            if row["kind"] in _MONEY and row["amount"]:
                totals[row["kind"]] = totals.get(row["kind"], ZERO) + Decimal(row["amount"])
    if horizon is not None:
        facts = [e for e in events if not EVENT_TYPES[e.type].DERIVED]
        quarters = [
            q
            for q in employment_quarters(facts, horizon)
            if q.start in period or quarter_of(period.start) == q
        ]
        was = {}
        for e in events:
            if isinstance(e.data, GradeAssigned):
                was[e.data.period] = e.data
        for grade in grades_for(derived, quarters, books):
            before = was.get(grade.period)
            if before is None or (before.level, before.score) != (grade.level, grade.score):
                diff.grades.append(
                    {
                        "period": grade.period,
                        "recorded": None
                        if before is None
                        else {"level": before.level, "score": before.score},
                        "replayed": {"level": grade.level, "score": grade.score},
                    }
                )
    return diff


_Params = tuple[RulebookSet, Period, datetime, "datetime | None"]


def _diff_of(ledger: Ledger, employee_id: str, params: _Params) -> EmployeeDiff:
    """One employee's diff, read from ``ledger`` (in a worker process or not)."""
    return _employee_diff(employee_id, list(ledger.store.read(employee_id=employee_id)), *params)
