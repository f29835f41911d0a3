"""Replay a period under another rulebook, writing nothing, and diff against the record.

This is how HR evaluates a proposed rulebook before adopting it. The proposed rulebook is
applied *as if in force* for the whole history (its own dates are ignored), with deadlines
evaluated up to the ledger's horizon; consequences are matched across rulebooks by what
they are (rule, kind, causes, issue time), not by id (ids include the rulebook version).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson

from ledger.audit.pool import EmployeePool
from ledger.errors import TamperedError
from ledger.events import (
    EVENT_TYPES,
    OBSERVATION_TYPES,
    GradeAssigned,
    SanctionIssued,
    SanctionVoided,
)
from ledger.money import ZERO, to_money
from ledger.policies.engine import derive
from ledger.policies.grades import employment_quarters, grades_for
from ledger.policies.hiring import employed
from ledger.policies.rulebook import AdoptedRulebook, RulebookSet
from ledger.store import ReadFilter, Recorded, Row
from ledger.store.base import recorded_of_row
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


_UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
"""An id as canonical JSON holds it (``str(UUID)``: what the replayed side compares)."""
_FOLDED = frozenset({SanctionIssued.TYPE, SanctionVoided.TYPE, GradeAssigned.TYPE})
_FACTS = frozenset(OBSERVATION_TYPES)


def _recorded_side(
    rows: Iterable[Row], period: Period
) -> tuple[dict[Key, dict[str, Any]], dict[str, tuple[str, int]]]:
    """The recorded consequences of ``period`` still in force, by what they are, and the
    recorded grades by quarter, read from the stored rows' ``data`` (in position order).

    This is :func:`~ledger.policies.status.fold_sanctions` for the two things a replay
    compares (a consequence issued, then perhaps voided; a reissue lifts the void) and the
    last grade recorded per quarter, taken from the canonical JSON the store kept, without
    decoding the whole payload: a ``sanction.issued`` with its basis costs five times an
    observation to validate, and nothing else of it is compared. Every value compared is
    put in the form the replayed side takes (company time, two-place money).

    Raises:
        TamperedError: a row lacks what is compared, or holds it in another form (it was
            altered outside the ledger).
    """
    issued: dict[str, tuple[dict[str, Any], int, bool]] = {}
    grades: dict[str, tuple[str, int]] = {}
    recorded: dict[Key, dict[str, Any]] = {}
    position = 0  # of the row being read (named if it cannot be)
    try:
        for row in rows:
            if row.type not in _FOLDED:
                continue
            position = row.position
            if row.schema_version == EVENT_TYPES[row.type].SCHEMA_VERSION:
                data = orjson.loads(row.data)
            else:  # an older schema: upcast and decoded as any read does
                data = recorded_of_row(row).event.data.model_dump(mode="json")
            if row.type == SanctionIssued.TYPE:
                issued[data["sanction_id"]] = (data, position, False)
            elif row.type == SanctionVoided.TYPE:
                found = issued.get(data["sanction_id"])
                if found is not None:
                    issued[data["sanction_id"]] = (found[0], found[1], True)
            else:
                grades[data["period"]] = (_text(data["level"]), _whole(data["score"]))
        for data, at, voided in issued.values():
            position = at
            effective = datetime.fromisoformat(_text(data["effective_at"]))
            if voided or effective not in period:
                continue
            amount = data.get("amount")
            key: Key = (
                _text(data["rule_id"]),
                _text(data["kind"]),
                tuple(sorted(_uuid_text(c) for c in data["caused_by"])),
                effective.astimezone(COMPANY_TZ).isoformat(),
            )
            recorded[key] = _row(
                key[1],
                key[0],
                None if amount is None else to_money(_text(amount)),
                key[3],
                _text(data["basis"]["summary"]),
            )
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        # What the store chained decodes, or it was altered outside the ledger (as a
        # decoding read would say; `verify` names the broken link).
        raise TamperedError(
            f"stored event at position {position} is unreadable: {exc!r}"
        ) from exc
    return recorded, grades


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, found {value!r}")
    return value


def _uuid_text(value: Any) -> str:
    if not isinstance(value, str) or not _UUID_TEXT.fullmatch(value):
        raise ValueError(f"expected an event id, found {value!r}")
    return value


def _whole(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected a whole number, found {value!r}")
    return value


def _employee_diff(
    employee_id: str,
    facts: Sequence[Recorded],
    derived: Sequence[Row],
    books: RulebookSet,
    period: Period,
    now: datetime,
    horizon: datetime | None,
) -> EmployeeDiff:
    """What ``period`` would differ by for one employee (pure): ``facts`` are the stream's
    facts, decoded, and ``derived`` its derived events as stored rows (both in position
    order; ``EventStore.read_partly`` reads them in one pass)."""
    events = employed([r.event for r in facts])
    diff = EmployeeDiff(employee_id)
    recorded, was = _recorded_side(derived, period)
    derivation = derive(employee_id, events, books, now)
    replayed: dict[Key, dict[str, Any]] = {}
    key: Key
    for o in derivation.outcomes:
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
        quarters = [
            q
            for q in employment_quarters(events, horizon)
            if q.start in period or quarter_of(period.start) == q
        ]
        for grade in grades_for(derivation, quarters, books):
            before = was.get(grade.period)
            if before != (grade.level, grade.score):
                diff.grades.append(
                    {
                        "period": grade.period,
                        "recorded": None
                        if before is None
                        else {"level": before[0], "score": before[1]},
                        "replayed": {"level": grade.level, "score": grade.score},
                    }
                )
    return diff


_Params = tuple[RulebookSet, Period, datetime, "datetime | None"]


def _diff_of(ledger: Ledger, employee_id: str, params: _Params) -> EmployeeDiff:
    """One employee's diff, read from ``ledger`` (in a worker process or not): the facts
    decoded, the derived events left as stored rows for :func:`_recorded_side`."""
    facts: list[Recorded] = []
    derived: list[Row] = []
    for item in ledger.store.read_partly(ReadFilter(employee_id=employee_id), _FACTS):
        if isinstance(item, Recorded):
            facts.append(item)
        else:
            derived.append(item)
    return _employee_diff(employee_id, facts, derived, *params)
