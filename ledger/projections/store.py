"""Stored read models: checkpointed, caught up incrementally, rebuildable from scratch.

A projection turns one :class:`EmployeeView` into rows keyed by a string. The stored
tables are caches: :meth:`Projections.catch_up` reads the log after each projection's
checkpoint, recomputes only the employees it touched (all of them when the ``_ledger``
stream moved: a rulebook or a tick changes everyone), and moves the checkpoint in one
write. :meth:`Projections.rebuild` recomputes every employee of a projection (and deletes
any row no employee owns); the result equals the incremental one because both compute each
employee's rows from the same log. Stored rows are computed as of the ledger's horizon (the
last tick) or, before any tick, the head's ``recorded_at`` — a function of the log alone,
never of the wall clock.

On a read-only store catching up computes the touched employees' rows in memory and
:meth:`Projections.rows` answers from the stored rows with those laid over them, so a reader
gets the same answer as a writer would without waiting for the write lock. The reader then
offers what it computed to the store (:meth:`EventStore.offer_projection`), which saves it
only if the write lock is free at that instant and the checkpoint has not moved meanwhile.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from ledger.errors import StorageError, UsageError
from ledger.events import INERT_LEDGER_TYPES, LEDGER_STREAM
from ledger.policies.rulebook import RulebookSet
from ledger.projections.view import EmployeeView, employee_view
from ledger.store import ReadFilter, shared_location
from ledger.timeutil import quarter_of

if TYPE_CHECKING:
    from ledger.app import Ledger

__all__ = ["PROJECTIONS", "Projection", "Projections", "stored_as_of"]

Rows = list[tuple[str, dict[str, Any]]]
_LedgerState = tuple[RulebookSet, datetime | None]
"""The rulebooks and the horizon, read together (``Ledger.rulebooks_and_horizon``)."""
_AS_OF_KEY = "~as_of"
_SLICE = 500
"""Employees whose rows a writable recompute holds at once (see ``_compute_many``)."""


@dataclass(frozen=True, slots=True)
class Projection:
    """A named read model: ``rows(view)`` gives ``(key, row)`` pairs for one employee."""

    name: str
    description: str
    rows: Callable[[EmployeeView], Rows]
    version: int = 1
    """The format of the rows: stored rows of another version are recomputed."""


def payroll_rows(view: EmployeeView) -> Rows:
    """One row per payroll month, as in ``ledger payroll --format json``: every month of
    employment with a known wage up to the stored instant's, zeros included, and any other
    month with amounts (``payroll_months(every_month=True)``).

    Keyed ``month employee``: key order is the listing's (month, then employee; the space
    sorts below every character of an employee id) and a period is a key range.
    """
    months = view.payroll(every_month=True)
    return [
        (
            f"{m.month} {m.employee_id}",
            {
                "employee_id": m.employee_id,
                "month": m.month,
                "wage": None if m.wage is None else format(m.wage, "f"),
                "cap": None if m.cap is None else format(m.cap, "f"),
                "due": format(m.due, "f"),
                "deducted": format(m.deducted, "f"),
                "carried": format(m.carried, "f"),
                "refunded": format(m.refunded, "f"),
                "bonuses": format(m.bonuses, "f"),
                "closed": m.closed,
            },
        )
        for m in months
    ]


def register_rows(view: EmployeeView) -> Rows:
    """One row per derived consequence (the truth), with the rule and basis."""
    return [
        (
            f"{view.employee_id}|{o.sanction_id}",
            {
                "sanction_id": str(o.sanction_id),
                "employee_id": view.employee_id,
                "kind": o.kind,
                "amount": None if o.amount is None else format(o.amount, "f"),
                "rule_id": o.rule.rule_id,
                "rule_version": o.rule.version,
                "rulebook_version": o.rulebook.rulebook.version,
                "issued_at": o.issued_at.isoformat(),
                "expires_at": o.expires_at.isoformat() if o.expires_at else None,
                "summary": o.basis.summary,
            },
        )
        for o in view.derivation.outcomes
    ]


def scorecard_rows(view: EmployeeView) -> Rows:
    """One scorecard per quarter of employment up to the stored instant's quarter."""
    from ledger.policies.grades import employment_span
    from ledger.projections.scorecard import scorecard

    span = employment_span(view.facts)
    if span is None:
        return []
    rows: Rows = []
    quarter = quarter_of(span[0])
    last = quarter_of(view.as_of)
    while quarter.start <= last.start:
        rows.append((f"{view.employee_id}|{quarter.label}", scorecard(view, quarter).to_json()))
        quarter = quarter_of(quarter.end)
    return rows


PROJECTIONS: dict[str, Projection] = {
    p.name: p
    for p in (
        Projection(
            "payroll",
            "monthly due / deducted / carried / refunded / bonuses",
            payroll_rows,
            version=3,
        ),
        Projection(
            "register", "every consequence the facts imply, with rule and basis", register_rows
        ),
        Projection(
            "scorecards", "a scorecard per employee and quarter of employment", scorecard_rows
        ),
    )
}
"""The stored projections, by name."""


_EmployeeRows = list[tuple[str, list[tuple[str, str, str]]]]
"""One employee's rows: (projection name, [(key, employee, row JSON)])."""


def _rows_for(projections: Sequence[Projection], view: EmployeeView) -> _EmployeeRows:
    return [
        (
            p.name,
            [
                (key, view.employee_id, orjson.dumps(row, option=orjson.OPT_SORT_KEYS).decode())
                for key, row in p.rows(view)
            ],
        )
        for p in projections
    ]


def _rows_of_employee(
    ledger: Ledger, employee_id: str, params: tuple[tuple[str, ...], datetime, _LedgerState]
) -> _EmployeeRows:
    """:func:`_rows_for` of built-in projections by name (run on a pool's worker), under
    the caller's rulebooks and horizon."""
    names, as_of, state = params
    view = employee_view(ledger, employee_id, as_of=as_of, ledger_state=state)
    return _rows_for([PROJECTIONS[n] for n in names], view)


def stored_as_of(ledger: Ledger, state: _LedgerState | None = None) -> datetime:
    """The instant stored projections describe: the horizon, else the head's recorded_at.

    ``state``: the rulebooks and horizon to take it from (default: the ledger's now).
    """
    horizon = ledger.horizon() if state is None else state[1]
    if horizon is not None:
        return horizon
    head = ledger.store.head()
    if head == 0:
        return ledger.now()
    last = next(ledger.store.read(from_position=head), None)
    return last.recorded_at if last else ledger.now()


def _stamp_of(as_of: datetime, version: int) -> str:
    stamp: dict[str, Any] = {"as_of": as_of.isoformat()}
    if version != 1:
        stamp["version"] = version
    return orjson.dumps(stamp).decode()


class Projections:
    """Keeps the stored projections of one ledger up to date."""

    def __init__(
        self,
        ledger: Ledger,
        registry: dict[str, Projection] | None = None,
        *,
        workers: int | None = None,
    ) -> None:
        """``workers``: processes for recomputing many employees (default: as
        ``ledger.audit.pool.worker_count`` decides)."""
        self.ledger = ledger
        self.workers = workers
        self.registry = registry if registry is not None else PROJECTIONS
        # On a read-only store: projection -> (employees recomputed, their rows, checkpoint).
        self._overlay: dict[str, tuple[set[str], list[tuple[str, str, str]], int]] = {}

    def _get(self, name: str) -> Projection:
        try:
            return self.registry[name]
        except KeyError:
            known = ", ".join(sorted(self.registry))
            raise UsageError(f"unknown projection {name!r}; known: {known}") from None

    def _touched(self, after: int, head: int) -> set[str] | None:
        """Employees with events in ``(after, head]``; ``None`` means everyone."""
        touched: set[str] = set()
        for row in self.ledger.store.rows(ReadFilter(from_position=after + 1, to_position=head)):
            if row.employee_id == LEDGER_STREAM and row.type not in INERT_LEDGER_TYPES:
                return None
            touched.add(row.employee_id)
        return touched

    def _compute(
        self, projection: Projection, employees: set[str], head: int, since: int
    ) -> None:
        self._compute_many([projection], employees, head, since)

    def _compute_many(
        self,
        projections: list[Projection],
        employees: set[str],
        head: int,
        since: int = 0,
        *,
        prune: bool = False,
    ) -> None:
        """Recompute ``employees`` for several projections from one view each.

        A writable store takes the rows in slices of :data:`_SLICE` employees, one short
        transaction each, so memory stays bounded at any size (a million events' rows held
        at once peaked at 728 MB) and writers are not held up. The checkpoint stays at
        ``since`` and the stamp unchanged until the last slice: a crash in between leaves
        rows that the next catch-up recomputes (every employee written is one it touches, or
        the stamp's instant moved and it recomputes all). A read-only store is offered all
        of the rows at the end.

        ``prune``: also delete, with the last slice, the rows of any owner other than
        ``employees`` (a rebuild, which recomputes every employee: what is left is rows no
        employee owns). Each slice replaces its employees' rows in place rather than after
        a drop of the whole projection: deleting a million events' rows up front cost the
        writer 1.9 s of CPU, and writing each page twice (emptied, then filled) to the WAL.
        """
        # One reading of the _ledger stream: the stamp's instant and every employee's rows
        # come from the same rulebooks and horizon.
        state = self.ledger.rulebooks_and_horizon()
        as_of = stored_as_of(self.ledger, state)
        ordered = sorted(employees)
        store = self.ledger.store
        with self._employee_rows(projections, ordered, as_of, state) as results:
            if store.readonly:
                rows = self._rows_of(projections, len(ordered), results, as_of, stamp=True)
                for projection in projections:
                    replaced = {*employees, LEDGER_STREAM}
                    if store.offer_projection(
                        projection.name, replaced, rows[projection.name], head, since
                    ):
                        self._overlay.pop(projection.name, None)  # the store has them now
                    else:
                        self._overlay[projection.name] = (replaced, rows[projection.name], head)
                return
            starts = range(0, len(ordered), _SLICE)
            last = starts[-1] if starts else 0
            for start in starts or [0]:
                chunk = ordered[start : start + _SLICE]
                final = start == last
                rows = self._rows_of(projections, len(chunk), results, as_of, stamp=final)
                replaced = set(chunk) | ({LEDGER_STREAM} if final else set())
                with store.transaction():
                    for projection in projections:
                        if prune and final:
                            store.projection_retain(projection.name, {*employees, LEDGER_STREAM})
                        store.projection_replace(
                            projection.name,
                            replaced,
                            rows[projection.name],
                            head if final else since,
                        )

    @contextmanager
    def _employee_rows(
        self,
        projections: list[Projection],
        employees: list[str],
        as_of: datetime,
        state: _LedgerState,
    ) -> Iterator[Iterator[_EmployeeRows]]:
        """Each employee's rows of ``projections``, in order: computed on worker processes
        (``ledger.audit.pool``) when there are many employees and every projection is a
        built-in one a worker can name, else here (and always here inside a write
        transaction, whose uncommitted events the workers could not see)."""
        names = tuple(p.name for p in projections)
        builtin = all(PROJECTIONS.get(p.name) is p for p in projections)
        if builtin and not self.ledger.store.in_transaction():
            from ledger.audit.pool import EmployeePool

            params = (names, as_of, state)
            with EmployeePool(
                self.ledger, employees, _rows_of_employee, params, workers=self.workers
            ) as pool:
                yield pool.stream()
            return
        yield (
            _rows_for(projections, employee_view(self.ledger, e, as_of=as_of, ledger_state=state))
            for e in employees
        )

    @staticmethod
    def _rows_of(
        projections: list[Projection],
        count: int,
        results: Iterator[_EmployeeRows],
        as_of: datetime,
        *,
        stamp: bool,
    ) -> dict[str, list[tuple[str, str, str]]]:
        """The next ``count`` employees' rows of ``results`` by projection (and the stamp)."""
        rows: dict[str, list[tuple[str, str, str]]] = {
            p.name: [(_AS_OF_KEY, LEDGER_STREAM, _stamp_of(as_of, p.version))] if stamp else []
            for p in projections
        }
        for per_projection in itertools.islice(results, count):
            for name, found in per_projection:
                rows[name].extend(found)
        return rows

    def catch_up(self, name: str, progress: Callable[[int], None] | None = None) -> int:
        """Apply the log after ``name``'s checkpoint; returns how many employees changed."""
        projection = self._get(name)
        store = self.ledger.store
        head = store.head()
        checkpoint = store.projection_checkpoint(name)
        stamp = self._stamp(name)
        current = stamp is None or stamp.get("version", 1) == projection.version
        if current and (
            checkpoint >= head or self._overlay.get(name, (None, None, -1))[2] >= head
        ):
            return 0
        touched = self._touched(checkpoint, head) if current else None
        if touched is not None and (
            None if stamp is None else datetime.fromisoformat(stamp["as_of"])
        ) != stored_as_of(self.ledger):
            touched = None  # the instant described moved on: every row may change
        employees = set(self.ledger.employees()) if touched is None else touched - {LEDGER_STREAM}
        self._compute(projection, employees, head, checkpoint)
        if progress is not None:
            progress(len(employees))
        return len(employees)

    def _stamp(self, name: str) -> dict[str, Any] | None:
        """The stamp row: the instant the rows describe (``as_of``) and their ``version``."""
        for key, _, value in self._current(name, LEDGER_STREAM):
            if key == _AS_OF_KEY:
                found: dict[str, Any] = orjson.loads(value)
                return found
        return None

    def rebuild(self, name: str | None = None) -> int:
        """Recompute ``name`` (default: every projection) from the whole log: every
        employee's rows replaced, any other row deleted.

        Several projections are rebuilt from one view per employee.

        Raises:
            StorageError: the store was opened read-only.
        """
        chosen = [self._get(name)] if name else [self.registry[n] for n in sorted(self.registry)]
        store = self.ledger.store
        if store.readonly:  # (a reader's catch-up lays rows over the stored ones; a
            # rebuild must also delete some, which only a writer can)
            where = shared_location(store) or "the store"
            raise StorageError(f"{where}: opened read-only; a rebuild writes the projections")
        employees = set(self.ledger.employees())
        self._compute_many(chosen, employees, store.head(), prune=True)
        return len(employees)

    def rows(self, name: str, employee_id: str | None = None) -> Iterator[dict[str, Any]]:
        """The stored rows of ``name`` after catching up, in key order."""
        self.catch_up(name)
        for key, _, value in self._current(name, employee_id):
            if key != _AS_OF_KEY:
                yield orjson.loads(value)

    def page(
        self,
        name: str,
        *,
        employee_id: str | None = None,
        key_from: str | None = None,
        key_to: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Rows of ``name`` with ``key_from <= key < key_to`` in key order, paged, after
        catching up: straight from the store's index unless a read-only catch-up had to keep
        its rows in memory."""
        self.catch_up(name)
        if key_to is None or key_to > "~":
            key_to = "~"  # the stamp row sorts after every other key
        if name not in self._overlay:
            rows: Iterator[tuple[str, str, str]] = self.ledger.store.projection_page(
                name,
                employee_id=employee_id,
                key_from=key_from,
                key_to=key_to,
                offset=offset,
                limit=limit,
            )
        else:
            chosen = (
                r
                for r in self._current(name, employee_id)
                if (key_from is None or r[0] >= key_from) and r[0] < key_to
            )
            rows = itertools.islice(chosen, offset, None if limit is None else offset + limit)
        for _, _, value in rows:
            yield orjson.loads(value)

    def count(
        self,
        name: str,
        *,
        employee_id: str | None = None,
        key_from: str | None = None,
        key_to: str | None = None,
    ) -> int:
        """How many rows :meth:`page` has without paging."""
        self.catch_up(name)
        if key_to is None or key_to > "~":
            key_to = "~"
        if name not in self._overlay:
            return self.ledger.store.projection_count(
                name, employee_id=employee_id, key_from=key_from, key_to=key_to
            )
        return sum(
            1
            for r in self._current(name, employee_id)
            if (key_from is None or r[0] >= key_from) and r[0] < key_to
        )

    def dump(self, name: str) -> list[tuple[str, str, str]]:
        """Every stored row of ``name`` after catching up (to compare rebuilt and incremental)."""
        self.catch_up(name)
        return list(self._current(name))

    def _current(self, name: str, employee_id: str | None = None) -> list[tuple[str, str, str]]:
        """The stored rows, with what a read-only catch-up computed laid over them."""
        stored = self.ledger.store.projection_rows(name, employee_id)
        if name not in self._overlay:
            return list(stored)
        replaced, computed, _ = self._overlay[name]
        rows = [r for r in stored if r[1] not in replaced]
        rows += [r for r in computed if employee_id is None or r[1] == employee_id]
        return sorted(rows)
