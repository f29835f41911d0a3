"""Read models of the listings: indexed rows that ``sanctions``, ``payroll``, ``scorecards``
and ``complaints`` page through instead of folding the log (docs/ARCHITECTURE.md, "Read
models"); ``ledger.report`` keeps the report's on the same :class:`ReadModel`.

Each model is rows ``(key, employee_id, value JSON)`` in the store's projection tables, with
a checkpoint (the last log position applied) and a stamp row (``~stamp``: the instant the
rows describe and the format version). Keys are built so that **key order is the listing's
order and a period is a key range**: :meth:`~ledger.store.EventStore.projection_page` and
:meth:`~ledger.store.EventStore.projection_count` answer a page and its total from an index.

* **Sanction register** (:class:`SanctionRegister`, model ``sanctions``): one row per recorded
  consequence, keyed ``effective_at (UTC, fixed width) employee sanction_id``: the order of
  ``ledger sanctions``. It is folded from ``sanction.*`` events alone, no derivation: catching
  up reads only the ``sanction.*`` events after the checkpoint (the type index) and refolds
  the rows of the employees they touch. The status is the only part that depends on the
  time asked, so the row keeps what decides it (voided, revoked, expiry) and
  :meth:`SanctionRegister.page` fills it in.
* **Scorecards of a quarter** (:class:`QuarterCards`, model ``scorecards@2026Q3``): one card
  per employee, keyed by employee id, computed as of the stored instant
  (:func:`~ledger.projections.store.stored_as_of`) and caught up like the stored
  projections (the employees whose streams moved; everyone when the ``_ledger`` stream
  moved). A card is a function of the time asked (``as_of``), so each row also says until
  when it stays exact: a card of a quarter that ended by the stored instant does not change
  with ``as_of`` until one of the employee's facts or one of their complaint deadlines is
  reached (:func:`valid_until`). A card asked for outside that window is computed on demand.
* **Payroll** is the stored projection ``payroll``, keyed ``month employee``.
* **Complaint board** (:class:`ComplaintBoard`, model ``complaints``): one row per complaint
  received that is on the board at some instant, keyed ``end handler event_id`` where
  ``end`` (company wall time, see :func:`wall_key`) is the first instant from which it is
  off the board for good (its receipt retracted, or a resolution or dismissal that no
  retraction undoes; ``9999-99``: never). The board at ``now`` is then the key range
  ``end > now``: the complaints open at the log's end plus those closed after ``now``,
  never the whole history. Each row keeps the instants that decide the board at any
  ``now`` (when each of its facts started and stopped counting, its replies and closings,
  the handler's positions), which :meth:`ComplaintBoard.board` evaluates. It is folded
  from :data:`BOARD_TYPES` alone: catching up refolds the handlers with such events after
  the checkpoint (everyone when the rulebooks' complaint deadlines change).

The separator ``" "`` sorts below every character an employee id may hold, so
``"2026-07 E1 …" < "2026-07 E10 …"`` as ``("E1", …) < ("E10", …)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from ledger.events import (
    DISCIPLINE_KINDS,
    EVENT_TYPES,
    INERT_LEDGER_TYPES,
    LEDGER_STREAM,
    ComplaintReceived,
    GradeComponent,
    SanctionIssued,
    SanctionReinstated,
    SanctionRevoked,
    SanctionVoided,
)
from ledger.projections.registers import BOARD_TYPES, OpenComplaint
from ledger.projections.scorecard import QuarterGrade, Scorecard, scorecard
from ledger.projections.store import stored_as_of
from ledger.projections.view import EmployeeView, employee_view
from ledger.store import ReadFilter
from ledger.timeutil import COMPANY_TZ, Period, months_of

if TYPE_CHECKING:
    from ledger.app import Ledger

__all__ = [
    "SANCTION_TYPES",
    "CardRecord",
    "ComplaintBoard",
    "QuarterCards",
    "ReadModel",
    "SanctionRegister",
    "grade_of",
    "instant_key",
    "month_range",
    "open_deadlines",
    "sanction_fields",
    "settled",
    "valid_until",
]

SEP = " "
STAMP = "~stamp"
SANCTION_TYPES = frozenset(
    {"sanction.issued", "sanction.voided", "sanction.revoked", "sanction.reinstated"}
)
_LIVE_KINDS = frozenset({*DISCIPLINE_KINDS, "commendation", "obligation"})
_MICRO = timedelta(microseconds=1)

Row = tuple[str, str, str]


def instant_key(moment: datetime) -> str:
    """``moment`` as fixed-width UTC text: text order is time order (DST-proof)."""
    try:
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    except OverflowError:  # the first or last representable day
        return "0000" if moment.year < 2 else "9999-99"


def month_range(period: Period) -> tuple[str, str]:
    """The key range of rows keyed ``month ...`` whose month starts within ``period``."""
    labels = [m.label for m in months_of(period) if m.start in period]
    if not labels:
        return "", ""
    return labels[0], labels[-1] + "!"  # "!" sorts just above the separator


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


P = TypeVar("P")
R = TypeVar("R")
POOL_FROM: int | None = None
"""Employees from which :func:`per_employee` uses worker processes (``None``: the pool's
default, ``ledger.audit.pool.PARALLEL_FROM``)."""


def listed_employees(ledger: Ledger) -> list[str]:
    """The employees the scorecard and report listings show, in id order: those with an
    ``employee.hired`` recorded. The facts of anyone else are stored but derive nothing
    until the hire is recorded (``ledger.policies.hiring``): no department, grade or wage
    to show (``ledger findings`` names them)."""
    hired = {row.employee_id for row in ledger.store.rows(types=frozenset({"employee.hired"}))}
    return sorted(e for e in ledger.employees() if e in hired)


def per_employee(
    ledger: Ledger, employees: Sequence[str], work: Callable[[Ledger, str, P], R], params: P
) -> list[R]:
    """``work(ledger, employee, params)`` for each employee, in order: on
    ``ledger.audit.pool``'s worker processes when there are many (``work`` is then a
    module-level function), here inside a write transaction (whose events the workers,
    reading the database themselves, could not see)."""
    if ledger.store.in_transaction():
        return [work(ledger, e, params) for e in employees]
    from ledger.audit.pool import PARALLEL_FROM, EmployeePool

    start = PARALLEL_FROM if POOL_FROM is None else POOL_FROM
    with EmployeePool(ledger, employees, work, params, parallel_from=start) as pool:
        return pool.results()


class ReadModel:
    """One read model's rows in the store, with what a read-only catch-up laid over them.

    Rows are ``(key, employee_id, value JSON)``; the stamp row (:data:`STAMP`, on the
    ``_ledger`` stream) says what they describe. :meth:`save` replaces an employee's rows
    (on a read-only store: offers them, else keeps them in memory and lays them over)."""

    def __init__(self, ledger: Ledger, name: str) -> None:
        self.ledger = ledger
        self.name = name
        self._overlay: tuple[set[str], list[Row], int] | None = None

    def checkpoint(self) -> int:
        if self._overlay is not None:
            return self._overlay[2]
        return self.ledger.store.projection_checkpoint(self.name)

    def stamp(self) -> dict[str, Any] | None:
        for key, _, value in self._rows(LEDGER_STREAM):
            if key == STAMP:
                found: dict[str, Any] = orjson.loads(value)
                return found
        return None

    def save(self, employees: set[str], rows: list[Row], head: int, since: int) -> None:
        """Replace the rows of ``employees`` and move the checkpoint to ``head``.

        On a read-only store the rows are offered (saved if the write lock is free now and
        nobody moved the checkpoint from ``since``); if declined they stay in memory.
        """
        store = self.ledger.store
        replaced = {*employees, LEDGER_STREAM}
        if not store.readonly:
            store.projection_replace(self.name, replaced, rows, head)
            return
        if self._overlay is not None:  # fold what this reader computed before into these
            old, earlier, _ = self._overlay
            rows = [r for r in earlier if r[1] not in replaced] + rows
            replaced |= old
        if store.offer_projection(self.name, replaced, rows, head, since):
            self._overlay = None
        else:
            self._overlay = (replaced, rows, head)

    def drop(self) -> None:
        self._overlay = None
        self.ledger.store.projection_drop(self.name)

    def _rows(self, employee_id: str | None = None) -> list[Row]:
        stored = list(self.ledger.store.projection_rows(self.name, employee_id))
        if self._overlay is None:
            return stored
        replaced, computed, _ = self._overlay
        rows = [r for r in stored if r[1] not in replaced]
        rows += [r for r in computed if employee_id is None or r[1] == employee_id]
        return sorted(rows)

    def page(
        self,
        *,
        employee_id: str | None = None,
        key_from: str | None = None,
        key_to: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Iterator[Row]:
        """The rows in ``[key_from, key_to)`` by key, paged (the stamp row left out)."""
        if key_to is None or key_to > "~":
            key_to = "~"  # the stamp row sorts after every other key
        if self._overlay is None:
            yield from self.ledger.store.projection_page(
                self.name,
                employee_id=employee_id,
                key_from=key_from,
                key_to=key_to,
                offset=offset,
                limit=limit,
            )
            return
        rows = (
            r
            for r in self._rows(employee_id)
            if (key_from is None or r[0] >= key_from) and r[0] < key_to
        )
        yield from itertools.islice(rows, offset, None if limit is None else offset + limit)

    def count(
        self,
        *,
        employee_id: str | None = None,
        key_from: str | None = None,
        key_to: str | None = None,
    ) -> int:
        if key_to is None or key_to > "~":
            key_to = "~"
        if self._overlay is None:
            return self.ledger.store.projection_count(
                self.name, employee_id=employee_id, key_from=key_from, key_to=key_to
            )
        return sum(1 for _ in self.page(employee_id=employee_id, key_from=key_from, key_to=key_to))

    def dump(self) -> list[Row]:
        """Every row, the stamp included (to compare incremental and rebuilt states)."""
        return self._rows()


# -- the sanction register ---------------------------------------------------------------------


def sanction_fields(employee_id: str, issued: SanctionIssued) -> dict[str, Any]:
    """The listing's JSON of one consequence without its status and history (which follow)."""
    return {
        "sanction_id": str(issued.sanction_id),
        "employee_id": employee_id,
        "kind": issued.kind,
        "amount": None if issued.amount is None else format(issued.amount, "f"),
        "rule_id": issued.rule_id,
        "rule_version": issued.rule_version,
        "rulebook_id": issued.rulebook_id,
        "rulebook_version": issued.rulebook_version,
        "caused_by": [str(c) for c in issued.caused_by],
        "depends_on": [str(c) for c in issued.depends_on],
        "issued_at": issued.effective_at.isoformat(),
        "expires_at": issued.expires_at.isoformat() if issued.expires_at else None,
        "due_at": issued.due_at.isoformat() if issued.due_at else None,
        "attached_to": str(issued.attached_to) if issued.attached_to else None,
        "status": None,
        "summary": issued.basis.summary,
    }


@dataclass
class _Sanction:
    """A consequence being folded: its listing row and what decides its status."""

    row: dict[str, Any]
    key: str
    voided: bool = False
    revoked: bool = False
    live: bool = False
    expires: str | None = None

    def value(self) -> str:
        return _dumps(
            {
                "row": self.row,
                "voided": self.voided,
                "revoked": self.revoked,
                "live": self.live,
                "expires": self.expires,
            }
        )

    @classmethod
    def load(cls, key: str, value: str) -> _Sanction:
        data = orjson.loads(value)
        return cls(
            data["row"], key, data["voided"], data["revoked"], data["live"], data["expires"]
        )

    def issue(self, employee_id: str, issued: SanctionIssued) -> None:
        history = self.row.get("history", [])
        self.row = {**sanction_fields(employee_id, issued), "history": history}
        self.key = SEP.join(
            (instant_key(issued.effective_at), employee_id, str(issued.sanction_id))
        )
        self.voided = False
        self.live = issued.kind in _LIVE_KINDS
        self.expires = instant_key(issued.expires_at) if issued.expires_at else None


def status_of(value: dict[str, Any], at: str) -> str:
    """The status of a stored consequence at ``at`` (an :func:`instant_key`): as
    :meth:`ledger.policies.status.SanctionState.status` says."""
    if value["voided"]:
        return "voided"
    if value["revoked"]:
        return "revoked"
    expires = value["expires"]
    if value["live"] and expires is not None and expires <= at:
        return "expired"
    return "active"


class SanctionRegister:
    """The recorded consequences with their history, folded from ``sanction.*`` events."""

    NAME = "sanctions"
    VERSION = 1

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.model = ReadModel(ledger, self.NAME)

    def catch_up(self) -> int:
        """Fold the ``sanction.*`` events after the checkpoint; returns how many."""
        store = self.ledger.store
        head = store.head()
        checkpoint = since = self.model.checkpoint()
        stamp = self.model.stamp()
        if stamp is None or stamp.get("version") != self.VERSION:
            since = 0
        if since >= head:
            return 0
        # employee -> sanction id -> (key, value): each state kept as its row's text, which
        # is a third of the objects' size; decoded again only when a later event touches it.
        states: dict[str, dict[str, tuple[str, str]]] = {}
        count = 0
        for item in store.read(
            ReadFilter(types=SANCTION_TYPES, from_position=since + 1, to_position=head)
        ):
            count += 1
            event = item.event
            mine = states.get(event.employee_id)
            if mine is None:
                mine = states[event.employee_id] = self._stored(event.employee_id, since)
            data = event.data
            change: dict[str, Any] = {
                "what": "issued",
                "occurred_at": event.occurred_at.isoformat(),
                "recorded_at": item.recorded_at.isoformat(),
                "reason": "",
            }
            sanction_id = str(data.sanction_id) if hasattr(data, "sanction_id") else ""
            kept = mine.get(sanction_id)
            state = None if kept is None else _Sanction.load(*kept)
            if isinstance(data, SanctionIssued):
                if state is None:
                    state = _Sanction({}, "")
                    state.issue(event.employee_id, data)
                else:
                    state.issue(state.row["employee_id"], data)
            elif state is None:
                continue
            elif isinstance(data, SanctionVoided):
                state.voided = True
                change.update(what="voided", reason=data.reason)
            elif isinstance(data, SanctionRevoked):
                state.revoked = True
                change.update(what="revoked", reason=data.reason)
            elif isinstance(data, SanctionReinstated):
                state.revoked = False
                change.update(what="reinstated", reason=data.reason)
            else:
                continue
            state.row["history"].append(change)
            mine[sanction_id] = (state.key, state.value())
        employees = set(states)
        rows: list[Row] = []
        while states:  # each employee's states go as their rows come (a bound on memory)
            employee_id, mine = states.popitem()
            rows += [(key, employee_id, value) for key, value in mine.values()]
        rows.append((STAMP, LEDGER_STREAM, _dumps({"version": self.VERSION})))
        if since == 0:  # from scratch: whatever was stored goes
            employees.update(store.employees())
            if not store.readonly:
                self.model.drop()
        self.model.save(employees, rows, head, checkpoint)
        return count

    def _stored(self, employee_id: str, since: int) -> dict[str, tuple[str, str]]:
        """The stored ``(key, value)`` of one employee's consequences by sanction id (the
        key's last part)."""
        if since == 0:
            return {}
        return {
            key.rsplit(SEP, 1)[1]: (key, value)
            for key, _, value in self.model.page(employee_id=employee_id)
        }

    def rebuild(self) -> int:
        """Drop the register and fold it again from the whole log."""
        self.model.drop()
        return self.catch_up()

    @staticmethod
    def _range(period: Period | None) -> tuple[str | None, str | None]:
        if period is None:
            return None, None
        return instant_key(period.start), instant_key(period.end)

    def count(self, employee_id: str | None = None, period: Period | None = None) -> int:
        """How many consequences the listing has (of one employee, issued in ``period``)."""
        key_from, key_to = self._range(period)
        return self.model.count(employee_id=employee_id, key_from=key_from, key_to=key_to)

    def page(
        self,
        at: datetime,
        employee_id: str | None = None,
        period: Period | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The listing's rows in order (effective time, employee, id), status as of ``at``."""
        key_from, key_to = self._range(period)
        moment = instant_key(at)
        for _, _, value in self.model.page(
            employee_id=employee_id, key_from=key_from, key_to=key_to, offset=offset, limit=limit
        ):
            data = orjson.loads(value)
            row: dict[str, Any] = data["row"]
            row["status"] = status_of(data, moment)
            yield row

    def dump(self) -> list[Row]:
        """Every stored row after catching up."""
        self.catch_up()
        return self.model.dump()


# -- the complaint board -----------------------------------------------------------------------

_NEVER = "9999-99"
"""The end key of a complaint that stays on the board (sorts after every instant's key)."""


def wall_key(moment: datetime) -> str:
    """``moment`` as fixed-width company wall time: the board compares instants as the
    on-demand fold does (aware datetimes of one time zone compare by wall time)."""
    local = moment if moment.tzinfo is COMPANY_TZ else moment.astimezone(COMPANY_TZ)
    return local.replace(tzinfo=None).isoformat(timespec="microseconds")


def _pack(moment: datetime) -> str:
    """A datetime as text that :func:`_unpack` turns back into an equal one, time zone
    object and fold included (so differences and ``isoformat`` come out the same)."""
    if moment.tzinfo is COMPANY_TZ:
        return ("Z" if moment.fold == 0 else "F") + moment.replace(tzinfo=None).isoformat()
    return "O" + moment.isoformat()


def _unpack(text: str) -> datetime:
    moment = datetime.fromisoformat(text[1:])
    if text[0] == "O":
        return moment
    return moment.replace(tzinfo=COMPANY_TZ, fold=int(text[0] == "F"))


def _maybe(text: str | None) -> datetime | None:
    return None if text is None else _unpack(text)


def _counts(since: str, until: str | None, at: str) -> bool:
    """Whether a fact that counts from ``since`` until ``until`` (a retraction) counts at ``at``."""
    return since <= at and (until is None or at < until)


@dataclass(frozen=True, slots=True)
class _BoardFact:
    """One event of :data:`BOARD_TYPES`, as much as the board needs of it."""

    order: str  # wall key + event id: the order of counted facts (occurred_at, event id)
    type: str
    occurred: str  # packed occurred_at
    event_id: str
    subject: str | None  # complaint id, retraction target or department
    channel: str | None = None
    reply_due: str | None = None
    resolve_due: str | None = None

    @property
    def at(self) -> str:
        return self.order[:26]


def _board_fact(event: Any, rulebooks: Any) -> _BoardFact:
    """The board's part of a recorded event of :data:`BOARD_TYPES`."""
    data = event.data
    moment: datetime = event.occurred_at
    common = (wall_key(moment) + event.event_id.hex, event.type, _pack(moment), event.event_id.hex)
    if isinstance(data, ComplaintReceived):
        adopted = rulebooks.in_force(moment)
        hours = adopted.rulebook.complaints if adopted else None
        return _BoardFact(
            *common,
            data.complaint_id,
            data.channel,
            _pack(moment + timedelta(hours=hours.reply_hours)) if hours else None,
            _pack(moment + timedelta(hours=hours.resolve_hours)) if hours else None,
        )
    if event.type == "correction.retracted":
        return _BoardFact(*common, data.target_event_id.hex)
    if event.type in ("employee.hired", "employee.transferred"):
        return _BoardFact(*common, data.department)
    return _BoardFact(*common, getattr(data, "complaint_id", None))


_CLOSINGS = frozenset({"service.complaint_resolved", "service.complaint_dismissed"})


def board_rows(handler: str, facts: Iterable[_BoardFact]) -> list[Row]:
    """The board's rows of one handler: one per complaint received that is on the board at
    some instant, with what decides when (see :meth:`ComplaintBoard.board`).

    A fact counts from its ``occurred_at`` until the first retraction of it occurs (the
    on-demand fold drops facts after ``now`` and facts retracted by ``now``).
    """
    ordered = sorted(facts, key=lambda f: f.order)
    retracted: dict[str, str] = {}
    for fact in ordered:
        if fact.type == "correction.retracted" and fact.subject is not None:
            retracted.setdefault(fact.subject, fact.at)  # the first (earliest) retraction

    def span(fact: _BoardFact) -> tuple[str, str | None] | None:
        until = retracted.get(fact.event_id)
        if until is not None and until <= fact.at:
            return None  # never counts
        return fact.at, until

    positions: list[list[Any]] = []
    replies: dict[str, list[list[Any]]] = {}
    closings: dict[str, list[list[Any]]] = {}
    received: list[tuple[_BoardFact, tuple[str, str | None]]] = []
    for fact in ordered:
        counted_span = span(fact)
        if counted_span is None:
            continue
        since, until = counted_span
        if fact.type in ("employee.hired", "employee.transferred"):
            positions.append([since, until, fact.subject])
        elif fact.type == "service.complaint_replied" and fact.subject is not None:
            replies.setdefault(fact.subject, []).append([since, until, fact.occurred])
        elif fact.type in _CLOSINGS and fact.subject is not None:
            closings.setdefault(fact.subject, []).append([since, until])
        elif fact.type == "service.complaint_received":
            received.append((fact, counted_span))
    rows: list[Row] = []
    for fact, (since, until) in received:
        assert fact.subject is not None
        closes = closings.get(fact.subject, [])
        ends = [c[0] for c in closes if c[1] is None]  # closed for good from then on
        if until is not None:
            ends.append(until)
        end = min(ends) if ends else _NEVER
        if end <= since:
            continue  # closed (or retracted) before it could show
        resolve_key = wall_key(_unpack(fact.resolve_due)) if fact.resolve_due else _NEVER
        value = {
            "complaint_id": fact.subject,
            "channel": fact.channel,
            "order": fact.order,
            "received": [since, until, fact.occurred],
            "reply_due": fact.reply_due,
            "resolve_due": fact.resolve_due,
            "resolve_key": resolve_key,
            "replies": replies.get(fact.subject, []),
            "closings": closes,
            "positions": positions,
        }
        rows.append((SEP.join((end, handler, fact.event_id)), handler, _dumps(value)))
    return rows


def _rulebook_deadlines(rulebooks: Any) -> list[list[Any]]:
    """What the board reads of the rulebooks: when each binds, its complaint deadlines."""
    return [
        [
            a.binds_from.isoformat(),
            a.rulebook.complaints.reply_hours,
            a.rulebook.complaints.resolve_hours,
        ]
        for a in rulebooks.versions
    ]


class ComplaintBoard:
    """The complaint board's read model: every complaint that is on the board at some instant,
    keyed by when it leaves the board for good, folded from :data:`BOARD_TYPES`."""

    NAME = "complaints"
    VERSION = 1

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.model = ReadModel(ledger, self.NAME)

    def catch_up(self) -> int:
        """Refold the handlers with board events after the checkpoint (everyone when the
        model's version or the rulebooks' complaint deadlines changed); returns how many."""
        store = self.ledger.store
        head = store.head()
        checkpoint = since = self.model.checkpoint()
        rulebooks = self.ledger.rulebooks()
        stamp_value = {"version": self.VERSION, "deadlines": _rulebook_deadlines(rulebooks)}
        if self.model.stamp() != stamp_value:
            since = 0
        if since >= head:
            return 0
        facts: dict[str, list[_BoardFact]] = {}
        if since == 0:
            for item in store.read(ReadFilter(types=BOARD_TYPES, to_position=head)):
                event = item.event
                facts.setdefault(event.employee_id, []).append(_board_fact(event, rulebooks))
        else:
            touched = {
                row.employee_id
                for row in store.rows(
                    ReadFilter(types=BOARD_TYPES, from_position=since + 1, to_position=head)
                )
            }
            for employee_id in sorted(touched):
                facts[employee_id] = [
                    _board_fact(item.event, rulebooks)
                    for item in store.read(
                        ReadFilter(employee_id=employee_id, types=BOARD_TYPES, to_position=head)
                    )
                ]
        rows: list[Row] = []
        for handler in sorted(facts):
            rows += board_rows(handler, facts[handler])
        rows.append((STAMP, LEDGER_STREAM, _dumps(stamp_value)))
        employees = set(facts)
        if since == 0:  # from scratch: whatever was stored goes
            employees.update(store.employees())
            if not store.readonly:
                self.model.drop()
        self.model.save(employees, rows, head, checkpoint)
        return len(facts)

    def rebuild(self) -> int:
        """Drop the board and fold it again from the whole log."""
        self.model.drop()
        return self.catch_up()

    def board(self, now: datetime) -> list[OpenComplaint]:
        """The open complaints at ``now``, the nearest resolution deadline first: what
        :func:`~ledger.projections.registers.complaint_board` gives over every handler's
        facts of :data:`BOARD_TYPES` that occurred by ``now``."""
        self.catch_up()
        at = wall_key(now)
        found: list[tuple[tuple[str, str, str, str], OpenComplaint]] = []
        for _, handler, text in self.model.page(key_from=at + "!"):
            value = orjson.loads(text)
            since, until, received = value["received"]
            if not _counts(since, until, at) or any(
                _counts(s, u, at) for s, u in value["closings"]
            ):
                continue
            replied = min(
                ((s, packed) for s, u, packed in value["replies"] if _counts(s, u, at)),
                default=None,
            )
            department = None
            for s, u, name in value["positions"]:
                if _counts(s, u, at):
                    department = name
            complaint_id = value["complaint_id"]
            found.append(
                (
                    (value["resolve_key"], handler, complaint_id, value["order"]),
                    OpenComplaint(
                        complaint_id,
                        handler,
                        department,
                        value["channel"],
                        _unpack(received),
                        None if replied is None else _unpack(replied[1]),
                        _maybe(value["reply_due"]),
                        _maybe(value["resolve_due"]),
                        now,
                    ),
                )
            )
        found.sort(key=lambda pair: pair[0])
        return [complaint for _, complaint in found]

    def dump(self) -> list[Row]:
        """Every stored row after catching up."""
        self.catch_up()
        return self.model.dump()


# -- scorecards per quarter --------------------------------------------------------------------


def open_deadlines(view: EmployeeView, quarter: Period) -> list[datetime]:
    """The reply and resolution deadlines of complaints received in ``quarter`` that the
    facts of ``view`` do not meet: a card judges each of them pending before it and missed
    after it (:func:`~ledger.projections.complaints.complaint_stats`); a met deadline is met
    whenever it is judged."""
    facts = view.counted
    steps = view.complaint_steps
    dues: list[datetime] = []
    for fact in facts:
        data = fact.data
        if not isinstance(data, ComplaintReceived) or fact.occurred_at not in quarter:
            continue
        adopted = view.rulebooks.in_force(fact.occurred_at)
        if adopted is None:
            continue
        hours = adopted.rulebook.complaints
        replied, closed = steps.get(data.complaint_id, (None, None))
        for done, due in (
            (replied, fact.occurred_at + timedelta(hours=hours.reply_hours)),
            (closed, fact.occurred_at + timedelta(hours=hours.resolve_hours)),
        ):
            if done is None or done > due:
                dues.append(due)
    return dues


def settled(view: EmployeeView, quarter: Period) -> datetime:
    """The instant to store ``quarter``'s card at: the view's ``as_of``, or the last open
    complaint deadline after it, so that the card stays exact from then on."""
    later = [due for due in open_deadlines(view, quarter) if due > view.as_of]
    return max([view.as_of, *later])


def valid_until(view: EmployeeView, quarter: Period) -> datetime | None:
    """Until when (exclusive) ``scorecard(view, quarter)`` stays the card of later ``as_of``s.

    A card reads ``as_of`` through the facts that occurred by then, the deadlines evaluated
    (``min(as_of, horizon)``), the instant it judges (``min(as_of, quarter's end)``) and the
    complaint deadlines it judges at ``as_of``. Once the quarter has ended and the horizon is
    behind ``as_of``, only the employee's next fact and the next open deadline of a complaint
    received in the quarter (:func:`open_deadlines`) can change it. ``None``: never (as far
    as the log goes).
    """
    moment = view.as_of
    if moment < quarter.end or (view.horizon is not None and view.horizon > moment):
        return moment + _MICRO  # the card moves with as_of: exact at this instant only
    bounds = [
        r.event.occurred_at
        for r in view.recorded
        if r.event.occurred_at > moment and not EVENT_TYPES[r.event.type].DERIVED
    ]
    bounds += [due for due in open_deadlines(view, quarter) if due > moment]
    return min(bounds) if bounds else None


def grade_of(data: dict[str, Any]) -> QuarterGrade:
    """The grade of its JSON (:meth:`QuarterGrade.to_json`)."""
    return QuarterGrade(
        period=data["period"],
        level=data["level"],
        score=data["score"],
        capped_by=data["capped_by"],
        components=tuple(GradeComponent(**c) for c in data["components"]),
        provisional=data["provisional"],
        note=data["note"],
        calibrated_from=data["calibrated_from"],
    )


def _compact(value: Any) -> bytes:
    """``value`` as JSON bytes of their own size (orjson's keep a 32 KB buffer; a ``str``
    of text with any CJK character takes two bytes a character)."""
    return bytes(memoryview(orjson.dumps(value)))


@dataclass(frozen=True)
class CardRecord:
    """A scorecard as the listing prints it: its JSON (:meth:`Scorecard.to_json`), its flat
    row (:meth:`Scorecard.row`) and what the department summary reads.

    The JSON is kept as compact UTF-8 text (``text``) and decoded when asked for: a listing
    holds every employee's card for the department summary, and the decoded JSON is about
    eight times the size of its text (10,000 decoded cards held 290 MB at 1M events).
    """

    employee_id: str
    department: str | None
    grade: QuarterGrade
    fines_total: Decimal
    compensation_total: Decimal
    bonuses_total: Decimal
    text: bytes
    flat: dict[str, Any]
    eligible: bool
    """Eligible for promotion."""
    codes: tuple[str, ...]
    """The codes of the failing promotion conditions."""

    @classmethod
    def of(cls, card: Scorecard) -> CardRecord:
        """The record of a card computed on demand."""
        return cls.load(card.to_json(), card.row())

    @classmethod
    def load(cls, data: dict[str, Any], flat: dict[str, Any]) -> CardRecord:
        """The record of a card's JSON and flat row."""
        return cls(
            employee_id=data["employee_id"],
            department=data["department"],
            grade=grade_of(data["grade"]),
            fines_total=Decimal(data["fines_total"]),
            compensation_total=Decimal(data["compensation_total"]),
            bonuses_total=Decimal(data["bonuses_total"]),
            text=_compact(data),
            flat=flat,
            eligible=bool(data["promotion"]["eligible"]),
            codes=tuple(data["promotion"]["codes"]),
        )

    def with_grade(self, grade: QuarterGrade) -> CardRecord:
        """As :meth:`Scorecard.with_grade`: the grade (and that quarter in ``grades``)."""
        shown = grade.to_json()
        data = self.to_json()
        data = {
            **data,
            "grade": shown,
            "grades": [shown if g["period"] == grade.period else g for g in data["grades"]],
        }
        flat = {
            **self.flat,
            "grade_period": grade.period,
            "level": grade.level,
            "score": grade.score,
            "capped_by": grade.capped_by,
            "calibrated_from": grade.calibrated_from,
        }
        return replace(self, grade=grade, text=_compact(data), flat=flat)

    @property
    def data(self) -> dict[str, Any]:
        """:meth:`to_json`."""
        return self.to_json()

    def to_json(self) -> dict[str, Any]:
        """:meth:`Scorecard.to_json` (decoded anew at each call)."""
        data: dict[str, Any] = orjson.loads(self.text)
        return data

    def row(self) -> dict[str, Any]:
        """:meth:`Scorecard.row`."""
        return self.flat


class QuarterCards:
    """Every employee's scorecard of one quarter, stored and caught up incrementally."""

    VERSION = 3
    """3: employees never hired are left out (:func:`listed_employees`)."""

    def __init__(self, ledger: Ledger, quarter: Period) -> None:
        if "Q" not in quarter.label:
            raise ValueError(f"{quarter.label} is not a quarter")
        self.ledger = ledger
        self.quarter = quarter
        self.model = ReadModel(ledger, f"scorecards@{quarter.label}")

    def catch_up(self) -> int:
        """Recompute the cards of the employees whose streams moved (everyone when the
        ``_ledger`` stream or the stored instant moved); returns how many."""
        store = self.ledger.store
        head = store.head()
        since = self.model.checkpoint()
        as_of = stored_as_of(self.ledger)
        stamp = self.model.stamp()
        fresh = stamp == {"as_of": as_of.isoformat(), "version": self.VERSION}
        if fresh and since >= head:
            return 0
        everyone = set(self.ledger.employees())
        listed = set(listed_employees(self.ledger))
        touched: set[str] | None = None
        if fresh:
            touched = set()
            for row in store.rows(ReadFilter(from_position=since + 1, to_position=head)):
                if row.employee_id == LEDGER_STREAM and row.type not in INERT_LEDGER_TYPES:
                    touched = None
                    break
                touched.add(row.employee_id)
        employees = everyone if touched is None else touched & everyone
        rows = per_employee(
            self.ledger, sorted(employees & listed), _card_row, (self.quarter.label, as_of)
        )
        rows.append(
            (STAMP, LEDGER_STREAM, _dumps({"as_of": as_of.isoformat(), "version": self.VERSION}))
        )
        self.model.save(employees, rows, head, since)
        return len(employees)

    def _row(self, employee_id: str, as_of: datetime) -> Row:
        view = employee_view(self.ledger, employee_id, as_of=as_of)
        if as_of >= self.quarter.end:
            later = settled(view, self.quarter)
            if later != as_of:
                view = employee_view(self.ledger, employee_id, as_of=later)
        card = scorecard(view, self.quarter)
        until = valid_until(view, self.quarter)
        value = {
            "from": view.as_of.isoformat(),
            "until": None if until is None else until.isoformat(),
            "card": card.to_json(),
            "row": card.row(),
        }
        return employee_id, employee_id, _dumps(value)

    def rebuild(self) -> int:
        """Drop the cards and compute them again from the whole log."""
        self.model.drop()
        return self.catch_up()

    def cards(self, as_of: datetime) -> Iterator[CardRecord]:
        """Every employee's card as of ``as_of`` by employee id: stored where exact, else
        computed on demand."""
        self.catch_up()
        text = as_of.isoformat()
        for employee_id, _, value in self.model.page():
            data = orjson.loads(value)
            until = data["until"]
            exact = datetime.fromisoformat(data["from"]) <= as_of and (
                until is None or as_of < datetime.fromisoformat(until)
            )
            if exact:
                card = data["card"]
                card["as_of"] = text
                yield CardRecord.load(card, data["row"])
            else:
                view = employee_view(self.ledger, employee_id, as_of=as_of)
                yield CardRecord.of(scorecard(view, self.quarter))

    def dump(self) -> list[Row]:
        """Every stored row after catching up."""
        self.catch_up()
        return self.model.dump()


def _card_row(ledger: Ledger, employee_id: str, params: tuple[str, datetime]) -> Row:
    """:meth:`QuarterCards._row` (run on a pool's worker)."""
    label, as_of = params
    return QuarterCards(ledger, Period.parse(label))._row(employee_id, as_of)


def quarters_with_cards(ledger: Ledger, quarters: Iterable[Period]) -> list[QuarterCards]:
    """The stored card models among ``quarters`` (those with a checkpoint)."""
    return [
        QuarterCards(ledger, q)
        for q in quarters
        if ledger.store.projection_checkpoint(f"scorecards@{q.label}") > 0
    ]
