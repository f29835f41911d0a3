"""Derivation state: resume one employee's derivation instead of redoing their history.

docs/ARCHITECTURE.md, "Derivation state". The rules are causal: a consequence issued at t
depends on facts that occurred up to t, on the rulebook binding them and, for a missed
deadline, on ``now`` having passed it. So an employee's derivation can pause before an
instant ``at`` and go on later from there, provided it keeps

- the facts the rules still need for consequences from ``at`` on (:func:`retain`): every
  fact from ``at`` on; of the earlier facts inside the longest rolling window, only what
  ATT-01, ATT-02 and SVC-04 counted of them (tallies: id, type, time and value, no fact);
  complaints whose deadlines fall from ``at`` on with what fulfils them,
  inspections and praise of ``at``'s quarter (the per-quarter counters), tasks due from
  ``at`` on and unsettled ones due earlier in the quarter, with what settles them;
- the escalation pass paused at ``at`` (:class:`~ledger.policies.engine.WalkState`);
- the retractions and upheld appeals known, and the recorded state of the consequences
  that may still change (issued from ``at`` on, warnings still live then, offsets from
  then on);
- for grades, the outcomes of ``at``'s quarter and those still live at ``at``.

:func:`plan` decides whether new events allow resuming (each must occur from ``at`` on; a
back-dated fact, a retraction or upheld appeal reaching before ``at``, a hire or a
separation, another rulebook set or an earlier ``now`` make the caller derive in full).
Full derivation stays the reference: ``verify`` re-derives from scratch, and the property
tests hold resumed == full on random histories.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import orjson
from dateutil.relativedelta import relativedelta

from ledger.events import (
    EVENT_TYPES,
    AppealDecided,
    Event,
    Hired,
    Retracted,
    SanctionIssued,
    TaskAssigned,
)
from ledger.policies.attendance import ATT_01, ATT_02, absence_items, attendance_items
from ledger.policies.engine import DEFAULT_RULES, Revocation, WalkState
from ledger.policies.framework import Carried, Context, Draft, Outcome, RuleRegistry
from ledger.policies.obedience import missed_deadlines
from ledger.policies.rulebook import Rulebook, RulebookSet
from ledger.policies.service import (
    SVC_04,
    apology_deadline,
    lapse_items,
    reply_deadline,
    resolution_deadline,
)
from ledger.policies.status import SanctionState
from ledger.policies.windows import Tally
from ledger.store.base import retained_event
from ledger.timeutil import COMPANY_TZ, quarter_of, start_of_day

__all__ = [
    "FORMAT",
    "PRIOR",
    "PRIOR_LAG",
    "PROJECTION",
    "Carried",
    "DerivationState",
    "Encoded",
    "Graded",
    "books_key",
    "deadline_reach",
    "deadlines_met",
    "decode",
    "encode",
    "head_of",
    "keep_graded",
    "keep_held",
    "met_to",
    "outcome_of",
    "paused_at",
    "plan",
    "prior_at",
    "retain",
    "with_prior",
]

FORMAT = 5
"""The state's format; a state of another format is ignored (the next derivation is full)."""
PROJECTION = "derivation"
"""Where the states live: the store's projection rows (one row per employee)."""
PRIOR = "derivation-prior"
"""An older state per employee, kept beside the latest: a derivation the latest cannot
resume (a retraction of a fact it holds only as a tally, say) resumes from it instead of
deriving the whole history (docs/ARCHITECTURE.md, "Derivation state")."""
PRIOR_LAG = timedelta(days=28)
"""The prior state is replaced by the stored latest one once that one pauses this much
later than it."""

_ATTENDANCE = frozenset(
    {
        "attendance.late_arrival",
        "attendance.early_departure",
        "attendance.post_left",
        "attendance.absence",
    }
)
_LAPSES = frozenset({"service.first_response_timed", "service.phone_answered"})
_COMPLAINTS = frozenset({"service.complaint_received", "service.complaint_verified"})
_FULFILMENTS = frozenset(
    {
        "service.complaint_replied",
        "service.complaint_resolved",
        "service.complaint_dismissed",
        "service.apology_made",
    }
)
_PER_QUARTER = frozenset({"service.inspected", "service.customer_praised"})
_SETTLES = frozenset({"task.completed", "task.refused"})
_SPAN_TYPES = frozenset({"employee.hired", "employee.separated"})
_GRADED = frozenset({"notice", "warning", "demerit", "major_demerit", "commendation"})
_CAPPING = frozenset({"warning", "demerit", "major_demerit"})
_MARGIN = timedelta(days=1)
_DEADLINE_RULES = (reply_deadline, resolution_deadline, apology_deadline, missed_deadlines)
"""The rules that read ``now`` (deadlines judged up to it); no other rule does."""
_T = TypeVar("_T")
_NOT_SAID = object()
"""A state text that does not say where the prior state pauses (:func:`prior_at`)."""


@dataclass(frozen=True, slots=True)
class Graded:
    """What a grade reads of an outcome (see ``ledger.policies.grades.GradeInputs``)."""

    sanction_id: UUID
    kind: str
    issued_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True)
class DerivationState:
    """One employee's derivation paused before ``at``, as of stream version ``version``."""

    at: datetime
    version: int
    now: datetime
    books: str
    facts: tuple[Event, ...]
    """The retained facts (rebuilt from their parts: see ``retained_event``)."""
    walk: WalkState
    graded: tuple[Graded, ...] = ()
    offsets: tuple[Revocation, ...] = ()
    retracted: Mapping[UUID, UUID] = field(default_factory=dict)
    dangling: frozenset[UUID] = frozenset()
    """Targets of retractions that named no fact of the stream (yet)."""
    upheld: Mapping[UUID, UUID] = field(default_factory=dict)
    held: Mapping[UUID, SanctionState] = field(default_factory=dict)
    span: tuple[datetime, datetime | None] | None = None
    hired: bool = False
    closed: Closed = field(default_factory=dict)
    """Complaints and tasks whose deadlines are behind ``at`` (see :func:`retain`)."""
    carried: Carried = field(default_factory=dict)
    """What ATT-01, ATT-02 and SVC-04 counted before ``at`` that their windows still hold
    (see :func:`retain`)."""
    met_to: datetime | None = None
    """When ``now`` lies before ``at`` (no tick has judged the deadlines the facts before
    ``at`` set): ``at`` if every such deadline falling after ``now`` was met (so judging
    them later misses none, and a derivation at a later ``now`` may resume), else ``None``
    (see :func:`met_to`)."""
    encoded: Encoded = field(default_factory=dict, compare=False)
    """The JSON of the objects this state holds, as read back or last encoded (a cache:
    the next state of the same employee starts from it, see :func:`encode`)."""


def books_key(rulebooks: RulebookSet) -> str:
    """Which rulebook set a state was derived under."""
    return ",".join(a.sha256 for a in rulebooks.versions)


@dataclass(frozen=True, slots=True)
class _Reach:
    attendance: relativedelta
    absence_days: int
    lapse_days: int
    deadline_hours: int


_REACH: dict[str, _Reach] = {}


def _reach(rulebooks: RulebookSet) -> _Reach:
    key = books_key(rulebooks)
    found = _REACH.get(key)
    if found is None:
        books = [a.rulebook for a in rulebooks.versions]
        months = max(
            (max(b.attendance.window_months, b.serious_absence.long_window_months) for b in books),
            default=0,
        )
        found = _Reach(
            relativedelta(months=months),
            max((b.serious_absence.short_window_days for b in books), default=0),
            max((b.lapses.window_days for b in books), default=0),
            max(
                (
                    max(
                        b.complaints.reply_hours,
                        b.complaints.resolve_hours,
                        b.complaints.apology_hours,
                    )
                    for b in books
                ),
                default=0,
            ),
        )
        _REACH[key] = found
    return found


_ORIGIN_OF = {
    "service.complaint_replied": "service.complaint_received",
    "service.complaint_resolved": "service.complaint_received",
    "service.complaint_dismissed": "service.complaint_received",
    "service.apology_made": "service.complaint_verified",
    "task.completed": "task.assigned",
    "task.refused": "task.assigned",
}
"""What a fulfilling (or settling) fact fulfils: the origin type whose deadline it meets."""
_ORIGINS = frozenset(_ORIGIN_OF.values())


def _subject(fact: Event) -> str:
    """The complaint or task a fact is about."""
    data = fact.data
    return str(getattr(data, "task_id", None) or getattr(data, "complaint_id", ""))


Closed = Mapping[str, frozenset[str]]
"""Origin type -> the complaints or tasks whose origin the state no longer keeps (its
deadline is behind): what fulfils them is no longer needed."""


def deadline_reach(rulebooks: RulebookSet) -> timedelta:
    """The longest time from a complaint fact to a deadline it sets, under any rulebook
    (with a day's margin)."""
    return timedelta(hours=_reach(rulebooks).deadline_hours) + _MARGIN


def retain(
    facts: Iterable[Event],
    at: datetime,
    rulebooks: RulebookSet,
    closed: Closed | None = None,
    carried: Carried | None = None,
) -> tuple[list[Event], dict[str, frozenset[str]], Carried]:
    """The counted facts the rules need for consequences issued from ``at`` on, the closed
    complaints and tasks (``closed``: those closed before), and the windowed rules' tallies
    (``carried``: those carried before, all earlier than ``facts``).

    Attendance and service-lapse facts before ``at`` are not kept: what ATT-01, ATT-02 and
    SVC-04 counted of them is, as tallies (the fact's id, type, time and the value the rule
    gave it under the rulebook binding it) while inside the longest window. A resumed
    derivation gives the rules those tallies as the earlier part of their windows
    (``Context.window``), so a day's derivation reads numbers, not facts.

    A fact that fulfils a complaint or settles a task is kept while its origin is kept or
    not yet recorded (an apology may come before the verification it answers); once the
    origin's deadline is behind ``at``, both go and the id is closed. A later origin with
    a closed id makes :func:`plan` refuse to resume.
    """
    reach = _reach(rulebooks)
    attendance_cut = min(at - reach.attendance, at - timedelta(days=reach.absence_days)) - _MARGIN
    lapse_cut = at - timedelta(days=reach.lapse_days) - _MARGIN
    deadline_cut = at - timedelta(hours=reach.deadline_hours) - _MARGIN
    quarter_start = quarter_of(at).start
    kept: list[Event] = []
    aged: list[Event] = []
    seen: dict[str, set[str]] = {origin: set() for origin in _ORIGINS}
    live: dict[str, set[str]] = {origin: set() for origin in _ORIGINS}
    later: list[Event] = []
    settled: dict[str, datetime] = {}  # task -> when first completed or refused
    facts = list(facts)
    for fact in facts:
        if fact.type in _SETTLES:
            task = _subject(fact)
            if task not in settled or fact.occurred_at < settled[task]:
                settled[task] = fact.occurred_at
    for fact in facts:
        kind = fact.type
        if kind in _ORIGIN_OF:
            later.append(fact)
            continue
        if fact.occurred_at >= at:
            keep = True
        elif kind in _ATTENDANCE or kind in _LAPSES:
            aged.append(fact)  # tallied below
            keep = False
        elif kind in _COMPLAINTS:
            keep = fact.occurred_at >= deadline_cut
        elif kind in _PER_QUARTER:
            keep = fact.occurred_at >= quarter_start
        elif isinstance(fact.data, TaskAssigned):
            # Due from at on: judged later. Due earlier in at's quarter: it counts in the
            # quarter's misses (OBD-02) only if nothing settled it by its due time.
            due, done = fact.data.due_at, settled.get(fact.data.task_id)
            keep = due >= at or (due >= quarter_start and (done is None or done > due))
        else:
            keep = False
        if kind in _ORIGINS:
            seen[kind].add(_subject(fact))
            if keep:
                live[kind].add(_subject(fact))
        if keep:
            kept.append(fact)
    before = closed or {}
    now_closed = {
        origin: frozenset(before.get(origin, frozenset()) | (seen[origin] - live[origin]))
        for origin in _ORIGINS
    }
    for fact in later:
        origin, subject = _ORIGIN_OF[fact.type], _subject(fact)
        if fact.occurred_at >= at or subject in live[origin] or subject not in now_closed[origin]:
            kept.append(fact)
    return kept, now_closed, _tallies(aged, rulebooks, carried or {}, attendance_cut, lapse_cut)


def _tallies(
    aged: list[Event],
    rulebooks: RulebookSet,
    carried: Carried,
    attendance_cut: datetime,
    lapse_cut: datetime,
) -> Carried:
    """``carried`` without what fell out of the windows, then the tallies of ``aged``."""

    def rulebook_at(moment: datetime) -> Rulebook | None:
        adopted = rulebooks.in_force(moment)
        return adopted.rulebook if adopted else None

    out: dict[str, tuple[tuple[Tally, Decimal], ...]] = {}
    for rule, items, cut in (
        (ATT_01, attendance_items, attendance_cut),
        (ATT_02, absence_items, attendance_cut),
        (SVC_04, lapse_items, lapse_cut),
    ):
        before = carried.get(rule.rule_id, ())
        first = 0  # the tallies are in time order: drop those the window left behind
        while first < len(before) and before[first][0].occurred_at <= cut:
            first += 1
        new = tuple(
            (Tally.of(fact), value)
            for fact, value in items(rulebook_at, aged)
            if fact.occurred_at > cut
        )
        kept = before[first:] + new
        if kept:
            out[rule.rule_id] = kept
    return out


def keep_graded(outcomes: Iterable[Graded | Outcome], at: datetime) -> tuple[Graded, ...]:
    """What grades of quarters ending after ``at`` read of outcomes issued before it."""
    quarter_start = quarter_of(at).start
    return tuple(
        Graded(o.sanction_id, o.kind, o.issued_at, o.expires_at)
        for o in outcomes
        if o.kind in _GRADED
        and (
            o.issued_at >= quarter_start
            or (o.kind in _CAPPING and (o.expires_at is None or o.expires_at > at))
        )
    )


def keep_held(held: Mapping[UUID, SanctionState], at: datetime) -> dict[UUID, SanctionState]:
    """The recorded consequences a derivation resumed at ``at`` may change or offset."""
    return {
        key: state
        for key, state in held.items()
        if state.issued.effective_at >= at
        or (state.revoked_at is not None and state.revoked_at >= at)
        or (
            state.issued.kind == "warning"
            and not state.voided
            and (state.issued.expires_at is None or state.issued.expires_at > at)
        )
    }


def plan(
    state: DerivationState | None,
    new: Sequence[Event],
    rulebooks: RulebookSet,
    now: datetime,
    retained: Mapping[UUID, Event] | None = None,
) -> bool:
    """Whether a derivation may resume from ``state`` given the events recorded since.

    Args:
        new: the stream's events after ``state.version`` (facts and derived events).
        retained: the retained facts by id (to check a retraction's target); ``None`` when
            not read yet: then any retraction refuses.
    """
    if state is None or state.books != books_key(rulebooks):
        return False
    if not _judged_alike(state.at, state.now, now, state.met_to):
        return False
    at = state.at
    for event in new:
        spec = EVENT_TYPES[event.type]
        if spec.DERIVED:
            continue
        if event.type in _SPAN_TYPES or event.occurred_at < at:
            return False
        if event.event_id in state.dangling:
            return False
        if state.span is not None and event.occurred_at < state.span[0]:
            return False  # before the employment: derived in full (ledger.policies.hiring)
        data = event.data
        if event.type in _ORIGINS and _subject(event) in state.closed.get(event.type, ()):
            return False  # a second origin for a closed complaint or task
        if isinstance(data, Retracted):
            target = (retained or {}).get(data.target_event_id)
            if (
                not state.hired
                or target is None
                or target.occurred_at < at
                or target.type == "correction.retracted"
                or target.type.startswith("appeal.")
                or target.type in _SPAN_TYPES
            ):
                return False
        elif isinstance(data, AppealDecided) and data.outcome == "upheld":
            held = state.held.get(data.sanction_id)
            if held is None or held.issued.effective_at < at:
                return False
    return True


def _judged_alike(at: datetime, then: datetime, now: datetime, met_to: datetime | None) -> bool:
    """Whether deadlines judged up to ``then`` by a derivation paused at ``at`` are judged
    alike up to ``now``: the same instant; or ``now`` no earlier than ``then`` and every
    deadline in ``(then, min(at, now)]`` known to be met (none there when ``then`` is no
    earlier than ``at``; else ``met_to``): a deadline before ``at`` left unjudged and
    missed would change what the paused derivation issued before ``at``."""
    if now == then:
        return True
    return then <= now and min(at, now) <= max(then, met_to or then)


def met_to(
    employee_id: str,
    facts: Sequence[Event],
    rulebooks: RulebookSet,
    now: datetime,
    at: datetime,
    before: DerivationState | None = None,
) -> datetime | None:
    """:attr:`DerivationState.met_to` of a state pausing at ``at``, derived at ``now`` from
    ``facts`` (the counted facts in order), resumed from ``before`` (else in full): ``at``
    when every deadline no tick has judged before ``at`` was met, else ``None``. Resumed,
    those up to ``before.at`` must have been (judged, or met by ``before``'s account)."""
    if now >= at:
        return None  # every deadline before at is judged
    after = now
    if before is not None:
        if before.now < before.at and (before.met_to is None or before.met_to < before.at):
            return None  # a missed one before the old at: only a full derivation judges it
        after = max(before.at, now)
    return at if deadlines_met(employee_id, facts, rulebooks, after, at) else None


def deadlines_met(
    employee_id: str,
    facts: Sequence[Event],
    rulebooks: RulebookSet,
    after: datetime,
    at: datetime,
) -> bool:
    """Whether no deadline in ``(after, at]`` set by ``facts`` (a complaint's reply,
    resolution or apology, a task's due time) is missed: the deadline rules (SVC-02, SVC-03,
    SVC-05, OBD-02) judged at ``at`` issue nothing after ``after``. ``facts``: the counted
    facts in order, holding every fact a deadline in that span reads."""
    ctx = Context.build(employee_id, facts, rulebooks, at)
    for rule in _DEADLINE_RULES:
        for draft in rule(ctx):
            if isinstance(draft, Draft) and draft.issued_at > after:
                return False
    return True


def new_span(
    state: DerivationState, new: Sequence[Event]
) -> tuple[datetime, datetime | None] | None:
    """The employment span after ``new`` (:func:`plan` has refused hires and separations)."""
    if state.span is not None or not new:
        return state.span
    facts = [e for e in new if not EVENT_TYPES[e.type].DERIVED]
    if not facts:
        return None
    return min(f.occurred_at for f in facts), None


def span_of(events: Iterable[Event]) -> tuple[tuple[datetime, datetime | None] | None, bool]:
    """``(span, hired)`` as ``ledger.policies.grades.employment_span`` computes it."""
    hires = []
    first: datetime | None = None
    ends: list[datetime] = []
    for event in events:
        if isinstance(event.data, Hired):
            hires.append(event.data)
        elif event.type == "employee.separated":
            ends.append(event.occurred_at)
        if first is None or event.occurred_at < first:
            first = event.occurred_at
    if first is None:
        return None, False
    start = start_of_day(hires[0].hired_on) if hires else first
    return (start, max(ends) if ends else None), bool(hires)


# -- encoding (JSON: a state is read back only by the ledger, but never trusted as code) ---


_DECIMALS: dict[str, Decimal] = {}


def _decimal(text: str) -> Decimal:
    """A tally's value (a handful of distinct values: each parsed once)."""
    found = _DECIMALS.get(text)
    if found is None:
        if len(_DECIMALS) >= 1_024:
            _DECIMALS.clear()
        found = _DECIMALS[text] = Decimal(text)
    return found


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(COMPANY_TZ) if text is not None else None


_NO_BASIS = {"summary": "(kept without its basis by the derivation state)"}


Encoded = dict[int, tuple[object, Any]]
"""The JSON of objects a state holds (retained facts, recorded and paused consequences) by
object identity, each object kept with its JSON so that its id is never reused meanwhile."""


class _Encoder:
    """Encodes the objects of one state, reusing the JSON the state it follows had for the
    same objects (a state kept between writes holds the same objects day after day, and
    encoding them again was most of what a state cost); keeps exactly what it encoded."""

    def __init__(self, before: Encoded) -> None:
        self.before = before
        self.now: Encoded = {}

    def __call__(self, obj: _T, make: Callable[[_T], Any]) -> Any:
        key = id(obj)
        found = self.before.get(key)
        if found is None or found[0] is not obj:
            found = (obj, make(obj))
        self.now[key] = found
        return found[1]


def _issued_json(issued: SanctionIssued) -> Any:
    # What resuming needs of a recorded or paused consequence is its identity, kind, times
    # and links; its basis (which can list a whole window of facts) stays in the log.
    body = issued.model_dump(mode="json", exclude={"basis"})
    body["basis"] = _NO_BASIS
    return body


def _outcome_json(outcome: Outcome) -> Any:
    return _issued_json(outcome.to_data())


def _fact_json(event: Event) -> list[Any]:
    return [
        str(event.event_id),
        event.type,
        event.occurred_at.isoformat(),
        event.data.model_dump_json(),
    ]


def encode(state: DerivationState, prior: datetime | object | None = _NOT_SAID) -> str:
    """The state as JSON text (``state.encoded`` is then what this encoding reused or made);
    with ``prior``, the ``at`` of the employee's prior state is stored beside it (``None``:
    there is none; see :func:`prior_at`), which decoding ignores."""
    once = _Encoder(state.encoded)
    walk = state.walk
    held = [
        {
            "issued": once(h.issued, _issued_json),
            "employee": h.employee_id,
            "recorded_at": _iso(h.issued_recorded_at),
            "voided": h.voided,
            "revoked_by": str(h.revoked_by) if h.revoked_by else None,
            "revoked_at": _iso(h.revoked_at),
        }
        for h in state.held.values()
    ]
    body: dict[str, Any] = {"format": FORMAT, "at": _iso(state.at)}
    if prior is None or isinstance(prior, datetime):
        body["prior"] = _iso(prior)  # (right after at: read from the head, see prior_at)
    body |= {
        "version": state.version,
        "now": _iso(state.now),
        "met_to": _iso(state.met_to),
        "books": state.books,
        "facts": [once(f, _fact_json) for f in state.facts],
        "warnings": [once(o, _outcome_json) for o in walk.warnings],
        "demerits": [once(o, _outcome_json) for o in walk.demerits],
        "majors": [once(o, _outcome_json) for o in walk.majors],
        "revoked": sorted(str(i) for i in walk.revoked),
        "accepted": [[str(k), _iso(v)] for k, v in walk.accepted.items()],
        "graded": [
            [str(g.sanction_id), g.kind, _iso(g.issued_at), _iso(g.expires_at)]
            for g in state.graded
        ],
        "offsets": [[str(r.sanction_id), str(r.revoked_by), _iso(r.at)] for r in state.offsets],
        "retracted": [[str(k), str(v)] for k, v in state.retracted.items()],
        "dangling": sorted(str(i) for i in state.dangling),
        "upheld": [[str(k), str(v)] for k, v in state.upheld.items()],
        "held": held,
        "span": [_iso(state.span[0]), _iso(state.span[1])] if state.span else None,
        "hired": state.hired,
        "closed": {k: sorted(v) for k, v in sorted(state.closed.items())},
        "carried": {
            rule: [t.row(value) for t, value in items] for rule, items in state.carried.items()
        },
    }
    text = orjson.dumps(body).decode()
    state.encoded.clear()  # a cache, shared with the state this one followed: replaced
    state.encoded.update(once.now)
    return text


def paused_at(text: str) -> datetime | None:
    """The ``at`` of an encoded state of this format, read from the head of its text
    (:func:`encode` writes it second), or ``None`` for any other text."""
    found = head_of(text)
    return found[0] if found is not None else None


def prior_at(text: str) -> datetime | object | None:
    """The ``at`` of the prior state when the latest state ``text`` was written (``None``:
    there was none), read from the head of the text, or ``_NOT_SAID`` when the text does
    not say (an older text, or one encoded by a worker process)."""
    found = head_of(text)
    return found[1] if found is not None else _NOT_SAID


def with_prior(text: str, prior: datetime | None) -> str:
    """A state ``text`` encoded without ``prior`` (by a worker process) as :func:`encode`
    with ``prior`` writes it; any other text unchanged."""
    found = head_of(text)
    if found is None or found[1] is not _NOT_SAID:
        return text
    end = text.find('"', len(f'{{"format":{FORMAT},"at":"')) + 1
    return f"{text[:end]},\"prior\":{orjson.dumps(_iso(prior)).decode()}{text[end:]}"


def head_of(text: str) -> tuple[datetime, datetime | object | None] | None:
    """:func:`paused_at` and :func:`prior_at` of a state text at once (``None``: not a
    state text of this format)."""
    head = f'{{"format":{FORMAT},"at":"'
    if not text.startswith(head):
        return None
    end = text.find('"', len(head))
    if end < 0:
        return None
    try:
        at = _at(text[len(head) : end])
        assert at is not None
        rest = text[end + 1 : end + 48]
        if rest.startswith(',"prior":null'):
            return at, None
        if rest.startswith(',"prior":"'):
            close = rest.find('"', 10)
            return at, (_at(rest[10:close]) if close > 0 else _NOT_SAID)
        return at, _NOT_SAID
    except (ValueError, AssertionError):
        return None


def outcome_of(
    data: SanctionIssued,
    employee_id: str,
    rulebooks: RulebookSet,
    registry: RuleRegistry = DEFAULT_RULES,
) -> Outcome | None:
    """The outcome a recorded ``sanction.issued`` records, or ``None`` when it names a rule
    or rulebook this ledger does not have."""
    rule = registry.get(data.rule_id, data.rule_version)
    book = next((a for a in rulebooks.versions if a.sha256 == data.rulebook_sha256), None)
    if rule is None or book is None:
        return None
    return Outcome(
        sanction_id=data.sanction_id,
        employee_id=employee_id,
        kind=data.kind,
        rule=rule,
        rulebook=book,
        caused_by=data.caused_by,
        issued_at=data.effective_at,
        basis=data.basis,
        amount=data.amount,
        expires_at=data.expires_at,
        due_at=data.due_at,
        depends_on=data.depends_on,
        attached_to=data.attached_to,
    )


def decode(
    text: str,
    employee_id: str,
    rulebooks: RulebookSet,
    registry: RuleRegistry = DEFAULT_RULES,
    now: datetime | None = None,
) -> DerivationState | None:
    """A state read back, or ``None`` when it is of another format or names a rule or
    rulebook this ledger does not have (the caller then derives in full); with ``now``,
    ``None`` too when a derivation at ``now`` could not resume from it (:func:`plan`'s
    first test), found before anything else is decoded."""
    try:
        body = orjson.loads(text)
        if body.get("format") != FORMAT or body.get("books") != books_key(rulebooks):
            return None
        if now is not None:
            at, then = _at(body["at"]), _at(body["now"])
            met = _at(body["met_to"])
            if at is None or then is None or not _judged_alike(at, then, now, met):
                return None
        encoded: Encoded = {}

        def remember(obj: _T, raw: Any) -> _T:
            encoded[id(obj)] = (obj, raw)
            return obj

        def outcome(raw: Any) -> Outcome:
            found = outcome_of(SanctionIssued.model_validate(raw), employee_id, rulebooks, registry)
            if found is None:
                raise LookupError(raw.get("rule_id"))
            return remember(found, raw)

        facts: list[Event] = []
        for raw in body["facts"]:
            occurred = _at(raw[2])
            assert occurred is not None
            fact = retained_event(UUID(raw[0]), raw[1], employee_id, occurred, raw[3])
            facts.append(remember(fact, raw))
        at = _at(body["at"])
        now = _at(body["now"])
        assert at is not None and now is not None
        walk = WalkState(
            at=at,
            warnings=tuple(outcome(o) for o in body["warnings"]),
            demerits=tuple(outcome(o) for o in body["demerits"]),
            majors=tuple(outcome(o) for o in body["majors"]),
            revoked=frozenset(UUID(i) for i in body["revoked"]),
            accepted={UUID(k): _at(v) for k, v in body["accepted"]},
        )
        held: dict[UUID, SanctionState] = {}
        for raw in body["held"]:
            issued = remember(SanctionIssued.model_validate(raw["issued"]), raw["issued"])
            recorded_at = _at(raw["recorded_at"])
            assert recorded_at is not None
            held[issued.sanction_id] = SanctionState(
                raw["employee"],
                issued,
                recorded_at,
                voided=raw["voided"],
                revoked_by=UUID(raw["revoked_by"]) if raw["revoked_by"] else None,
                revoked_at=_at(raw["revoked_at"]),
            )
        span_raw = body["span"]
        span = None
        if span_raw:
            start = _at(span_raw[0])
            assert start is not None
            span = (start, _at(span_raw[1]))
        return DerivationState(
            at=at,
            version=int(body["version"]),
            now=now,
            met_to=_at(body["met_to"]),
            books=body["books"],
            facts=tuple(facts),
            walk=walk,
            graded=tuple(
                Graded(UUID(i), kind, _at(issued) or at, _at(expires))
                for i, kind, issued, expires in body["graded"]
            ),
            offsets=tuple(
                Revocation(UUID(i), UUID(by), _at(when) or at) for i, by, when in body["offsets"]
            ),
            retracted={UUID(k): UUID(v) for k, v in body["retracted"]},
            dangling=frozenset(UUID(i) for i in body["dangling"]),
            upheld={UUID(k): UUID(v) for k, v in body["upheld"]},
            held=held,
            span=span,
            hired=bool(body["hired"]),
            closed={k: frozenset(v) for k, v in body["closed"].items()},
            encoded=encoded,
            carried={
                rule: tuple(
                    (Tally(i, kind, datetime.fromisoformat(when), when, raw), _decimal(value))
                    for raw in items
                    for i, kind, when, value in (raw,)
                )
                for rule, items in body["carried"].items()
            },
        )
    except (ValueError, KeyError, TypeError, LookupError, AssertionError):
        return None
