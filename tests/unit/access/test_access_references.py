"""References must resolve, with or without an access document (issue 13, point 8): a
retraction targets a recorded observation of its stream other than itself; an appeal names
a consequence recorded for that employee; a decision answers a filed appeal."""

from __future__ import annotations

import io
from collections.abc import Callable
from uuid import UUID

import orjson
import pytest
from access_helpers import EMP, violation

from ledger.app import Ledger
from ledger.errors import ImportRejected, ValidationFailed
from ledger.events import Event, event_to_wire
from ledger.testing import ManualClock, appeal_decided, appeal_filed, hired, late, retract


@pytest.fixture
def ledger() -> Ledger:
    """No access document: the references are checked all the same."""
    book = Ledger.in_memory(clock=ManualClock())
    book.record([hired(EMP, "2026-01-05 09:00"), hired("E2", "2026-01-05 09:00")])
    return book


def warning_of(ledger: Ledger, emp: str = EMP) -> UUID:
    ledger.record(violation(emp))
    return next(s.sanction_id for s in ledger.sanctions(emp) if s.issued.kind == "warning")


def sanction_event_id(ledger: Ledger) -> UUID:
    return next(iter(ledger.store.read(types=frozenset({"sanction.issued"})))).event_id


def refused(ledger: Ledger, events: list[Event], field: str, message: str) -> None:
    head = ledger.store.head()
    with pytest.raises(ValidationFailed) as caught:
        ledger.record(events)
    assert ledger.store.head() == head
    (problem,) = caught.value.problems
    assert (problem.field, message in problem.message) == (field, True), problem


Case = Callable[[Ledger], tuple[list[Event], str]]


def _self(ledger: Ledger) -> tuple[list[Event], str]:
    own = UUID("00000000-0000-4000-8000-0000000000aa")
    return [retract(own, emp=EMP, at="2026-07-05 10:00", event_id=own)], "cannot target itself"


def _unknown(ledger: Ledger) -> tuple[list[Event], str]:
    ghost = UUID(int=42)
    return [retract(ghost, emp=EMP, at="2026-07-05 10:00")], f"no event {ghost} is recorded"


def _derived(ledger: Ledger) -> tuple[list[Event], str]:
    warning_of(ledger)
    target = sanction_event_id(ledger)
    return [retract(target, emp=EMP, at="2026-07-20 10:00")], "which the ledger writes"


def _other_stream(ledger: Ledger) -> tuple[list[Event], str]:
    theirs = late("E2")
    ledger.record(theirs)
    return [retract(theirs.event_id, emp=EMP, at="2026-07-05 10:00")], "on E2's stream"


def _decided_without_filing(ledger: Ledger) -> tuple[list[Event], str]:
    warning = warning_of(ledger)
    return [appeal_decided(EMP, sanction_id=warning)], "no appeal is filed"


def _decided_twice(ledger: Ledger) -> tuple[list[Event], str]:
    warning = warning_of(ledger)
    ledger.record(
        [
            appeal_filed(EMP, sanction_id=warning),
            appeal_decided(EMP, sanction_id=warning, outcome="rejected"),
        ]
    )
    return [appeal_decided(EMP, "2026-07-21 10:00", sanction_id=warning)], "every appeal filed"


def _decided_unknown(ledger: Ledger) -> tuple[list[Event], str]:
    return [appeal_decided(EMP, sanction_id=UUID(int=9))], "no consequence"


def _filed_unknown(ledger: Ledger) -> tuple[list[Event], str]:
    return [appeal_filed(EMP, sanction_id=UUID(int=9))], "no consequence"


def _filed_for_another(ledger: Ledger) -> tuple[list[Event], str]:
    warning = warning_of(ledger, "E2")
    return [appeal_filed(EMP, sanction_id=warning)], "was issued to E2, not E1"


def _retracted_filing(ledger: Ledger) -> tuple[list[Event], str]:
    warning = warning_of(ledger)
    filing = appeal_filed(EMP, sanction_id=warning)
    ledger.record([filing, retract(filing)])
    return [appeal_decided(EMP, "2026-07-21 10:00", sanction_id=warning)], "no appeal is filed"


@pytest.mark.parametrize(
    ("case", "field"),
    [
        (_self, "data.target_event_id"),
        (_unknown, "data.target_event_id"),
        (_derived, "data.target_event_id"),
        (_other_stream, "data.target_event_id"),
        (_decided_without_filing, "data.sanction_id"),
        (_decided_twice, "data.sanction_id"),
        (_decided_unknown, "data.sanction_id"),
        (_filed_unknown, "data.sanction_id"),
        (_filed_for_another, "data.sanction_id"),
        (_retracted_filing, "data.sanction_id"),
    ],
)
def test_a_reference_that_does_not_resolve_is_refused(
    ledger: Ledger, case: Case, field: str
) -> None:
    events, message = case(ledger)
    refused(ledger, events, field, message)


def test_a_fact_and_its_retraction_in_one_batch_resolve(ledger: Ledger) -> None:
    fact = late()
    assert ledger.record([fact, retract(fact)]).appended == 2


def test_a_filing_and_its_decision_in_one_batch_resolve_and_void(ledger: Ledger) -> None:
    warning = warning_of(ledger)
    ledger.record(
        [appeal_filed(EMP, sanction_id=warning), appeal_decided(EMP, sanction_id=warning)]
    )
    assert ledger.sanction(warning).voided


def test_a_retraction_before_its_target_in_a_batch_is_refused(ledger: Ledger) -> None:
    fact = late()
    refused(ledger, [retract(fact), fact], "data.target_event_id", "is recorded")


def test_an_import_names_the_line_of_the_dangling_reference(ledger: Ledger) -> None:
    fact = late()
    lines = [
        event_to_wire(fact),
        event_to_wire(retract(fact)),
        event_to_wire(retract(UUID(int=5), emp=EMP, at="2026-07-05 10:00")),
    ]
    text = "".join(orjson.dumps(line).decode() + "\n" for line in lines)
    head = ledger.store.head()
    with pytest.raises(ImportRejected) as caught:
        ledger.import_stream(io.StringIO(text), source="fix.jsonl")
    assert caught.value.line == 3
    assert str(caught.value).startswith("fix.jsonl:3: data.target_event_id: no event")
    assert ledger.store.head() == head
