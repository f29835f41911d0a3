"""References a fact makes must resolve (integrity, checked whether or not an access document
is in force): a retraction names a recorded observation of the same stream, other than
itself; an appeal names a consequence recorded for that employee, and a decision answers a
filed appeal that no decision has answered yet.

"Recorded" means stored before (``before``, a position, for ``verify``), or earlier in the
batch being written (``earlier``): a batch may record a fact and its retraction together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from uuid import UUID

from ledger.errors import FieldProblem
from ledger.events import (
    EVENT_TYPES,
    AppealDecided,
    AppealFiled,
    Event,
    Retracted,
    SanctionIssued,
)
from ledger.store import EventStore

__all__ = ["AppealFacts", "appeal_facts", "reference_problem"]

_APPEAL_TYPES = frozenset({"appeal.filed", "appeal.decided", "correction.retracted"})


@dataclass(frozen=True, slots=True)
class AppealFacts:
    """What the log holds about one consequence an appeal names.

    Attributes:
        owner: the employee the consequence was issued to (``None``: not recorded).
        issued: its ``sanction.issued`` data, when recorded on the appellant's stream.
        filed: appeals filed against it (retracted ones not counted).
        decided: decisions on them (retracted ones not counted).
        causing_recorders: who recorded the facts that caused it.
    """

    owner: str | None
    issued: SanctionIssued | None
    filed: int
    decided: int
    causing_recorders: frozenset[str]


def appeal_facts(
    store: EventStore,
    employee_id: str,
    sanction_id: UUID,
    *,
    earlier: Iterable[Event] = (),
    before: int | None = None,
) -> AppealFacts:
    """Look up the consequence ``sanction_id`` and its appeals on ``employee_id``'s stream."""
    bound = None if before is None else before - 1
    owners = [emp for found, emp in store.find_sanctions(str(sanction_id)) if found == sanction_id]
    issued = None
    for recorded in store.read(
        employee_id=employee_id, types=frozenset({"sanction.issued"}), to_position=bound
    ):
        data = recorded.event.data
        if isinstance(data, SanctionIssued) and data.sanction_id == sanction_id:
            issued = data
            break
    appeals = [
        r.event for r in store.read(employee_id=employee_id, types=_APPEAL_TYPES, to_position=bound)
    ]
    appeals += [e for e in earlier if e.type in _APPEAL_TYPES and e.employee_id == employee_id]
    retracted = {e.data.target_event_id for e in appeals if isinstance(e.data, Retracted)}
    live = [e for e in appeals if e.event_id not in retracted]
    recorders: set[str] = set()
    for cause in issued.caused_by if issued is not None else ():
        fact = store.get(cause)
        if fact is not None:
            recorders.add(fact.event.recorded_by)
    return AppealFacts(
        owner=employee_id if issued is not None else (owners[0] if owners else None),
        issued=issued,
        filed=sum(
            1 for e in live if isinstance(e.data, AppealFiled) and e.data.sanction_id == sanction_id
        ),
        decided=sum(
            1
            for e in live
            if isinstance(e.data, AppealDecided) and e.data.sanction_id == sanction_id
        ),
        causing_recorders=frozenset(recorders),
    )


def reference_problem(
    store: EventStore,
    event: Event,
    *,
    earlier: Mapping[UUID, Event],
    appeal: AppealFacts | None = None,
    before: int | None = None,
) -> FieldProblem | None:
    """What is wrong with the references ``event`` makes, if anything.

    Args:
        earlier: the events before it in the same batch, by id.
        appeal: for an appeal, :func:`appeal_facts` of the consequence it names.
    """
    data = event.data
    if isinstance(data, Retracted):
        return _retraction_problem(store, event, data, earlier, before)
    if isinstance(data, AppealFiled | AppealDecided):
        assert appeal is not None
        return _appeal_problem(event, data, appeal)
    return None


def _retraction_problem(
    store: EventStore,
    event: Event,
    data: Retracted,
    earlier: Mapping[UUID, Event],
    before: int | None,
) -> FieldProblem | None:
    field = "data.target_event_id"
    target = data.target_event_id
    if target == event.event_id:
        return FieldProblem(field, "a retraction cannot target itself")
    found = earlier.get(target)
    if found is None:
        stored = store.get(target)
        if stored is not None and (before is None or stored.position < before):
            found = stored.event
    if found is None:
        return FieldProblem(
            field, f"no event {target} is recorded; a retraction targets a recorded observation"
        )
    model = EVENT_TYPES[found.type]
    if model.DERIVED or model.LEDGER_WIDE:
        return FieldProblem(
            field,
            f"event {target} is a {found.type}, which the ledger writes; only observations "
            "can be retracted (an upheld appeal voids a consequence)",
        )
    if found.employee_id != event.employee_id:
        return FieldProblem(
            field,
            f"event {target} is on {found.employee_id}'s stream, not {event.employee_id}'s",
        )
    return None


def _appeal_problem(
    event: Event, data: AppealFiled | AppealDecided, appeal: AppealFacts
) -> FieldProblem | None:
    field = "data.sanction_id"
    if appeal.issued is None:
        if appeal.owner is not None:
            return FieldProblem(
                field,
                f"consequence {data.sanction_id} was issued to {appeal.owner}, "
                f"not {event.employee_id}",
            )
        return FieldProblem(field, f"no consequence {data.sanction_id} is recorded")
    if isinstance(data, AppealDecided) and appeal.decided >= appeal.filed:
        what = "no appeal is filed" if not appeal.filed else "every appeal filed is decided"
        return FieldProblem(
            field,
            f"{what} against {data.sanction_id}; a decision answers a filed appeal",
        )
    return None
