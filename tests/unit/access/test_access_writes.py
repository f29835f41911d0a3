"""Writes checked against the access document in force: record, import, adoptions, store."""

from __future__ import annotations

import io
from collections.abc import Callable
from uuid import UUID

import pytest
from access_helpers import ACCESS, EMP, access_ledger, violation

from ledger.app import Ledger
from ledger.errors import AccessDenied, ValidationFailed
from ledger.events import Event, SanctionIssued
from ledger.policies.rulebook import Rulebook
from ledger.testing import ManualClock, appeal_decided, appeal_filed, hired, late, retract
from ledger.write import derived_event


def warned(ledger: Ledger) -> UUID:
    """Record a violation as hr:H01 and return the warning it caused."""
    ledger.record(violation(), actor="hr:H01")
    (state,) = [s for s in ledger.sanctions(EMP) if s.issued.kind == "warning"]
    return state.sanction_id


def denied(ledger: Ledger, write: Callable[[], object]) -> AccessDenied:
    """The refusal ``write`` meets; nothing of it is written."""
    head = ledger.store.head()
    with pytest.raises(AccessDenied) as caught:
        write()
    assert ledger.store.head() == head
    return caught.value


def refused(ledger: Ledger, events: Event | list[Event], actor: str | None) -> AccessDenied:
    return denied(ledger, lambda: ledger.record(events, actor=actor))


# -- without an access document -----------------------------------------------------------


def test_without_a_document_anyone_records_anything_as_before() -> None:
    ledger = Ledger.in_memory(clock=ManualClock())
    assert ledger.access() is None
    ledger.record(hired(EMP, "2026-01-05 09:00", monthly_wage="6000.00", recorded_by="x"))
    ledger.record(violation(by="whoever"), actor="someone-else")
    assert ledger.rulebooks().latest() is not None
    assert sorted(s.issued.kind for s in ledger.sanctions(EMP)) == ["fine", "warning"]


# -- adopting access documents ------------------------------------------------------------


def test_the_first_adoption_is_open_and_binds_from_its_position() -> None:
    ledger = Ledger.in_memory(clock=ManualClock())
    adopted = ledger.adopt_access(ACCESS, by="anyone:first")
    assert (adopted.label, adopted.adopted_by, adopted.position) == ("access v1", "anyone:first", 2)
    assert ledger.access() == adopted


def test_the_next_adoption_needs_admin_and_a_higher_version() -> None:
    ledger = access_ledger()
    v2 = ACCESS.replace("version = 1", "version = 2")
    refusal = refused_adoption(ledger, v2, "hr:H02")
    assert "the admin role" in refusal.missing and refusal.actor == "hr:H02"
    with pytest.raises(AccessDenied, match="nobody said who is writing"):
        ledger.adopt_access(v2)
    with pytest.raises(ValidationFailed, match="version: 1 is not above the version in force"):
        ledger.adopt_access(ACCESS.replace("hr:H02", "hr:H03"), by="hr:H01")
    assert ledger.adopt_access(ACCESS, by="hr:H01").position == 2  # the same: nothing written
    assert ledger.adopt_access(v2, by="hr:H01").label == "access v2"


def refused_adoption(ledger: Ledger, text: str, by: str) -> AccessDenied:
    return denied(ledger, lambda: ledger.adopt_access(text, by=by))


def test_a_rulebook_is_adopted_by_a_role_granting_it() -> None:
    ledger = access_ledger()
    v2 = Rulebook.default_document().replace("version = 1\n", "version = 2\n", 1)
    head = ledger.store.head()
    with pytest.raises(AccessDenied, match=r"system:badge may not record rulebook\.adopted"):
        ledger.adopt(v2, by="system:badge")
    with pytest.raises(AccessDenied, match="nobody said who is writing"):
        ledger.adopt(v2)
    assert ledger.store.head() == head
    assert ledger.adopt(v2, by="hr:H01").rulebook.version == 2
    (adoption,) = [
        r for r in ledger.store.read(types=frozenset({"rulebook.adopted"})) if r.version > 1
    ]
    assert adoption.event.recorded_by == "hr:H01"


# -- recording -----------------------------------------------------------------------------


def test_a_role_grants_its_types_and_the_fact_names_the_actor() -> None:
    ledger = access_ledger()
    report = ledger.record(late(EMP, recorded_by="system:badge"), actor="system:badge")
    assert report.appended == 1


@pytest.mark.parametrize(
    ("event", "actor", "missing"),
    [
        (late(EMP, recorded_by="system:badge"), None, "nobody said who is writing"),
        (late(EMP, recorded_by="hr:H01"), "system:badge", "names 'hr:H01' as its recorder"),
        (violation(by="system:badge"), "system:badge", "a role granting conduct.violation"),
        (late(EMP, recorded_by="intruder"), "intruder", "intruder is not among its actors"),
    ],
)
def test_a_refused_fact_names_actor_type_and_missing_right(
    event: Event, actor: str | None, missing: str
) -> None:
    ledger = access_ledger()
    refusal = refused(ledger, event, actor)
    assert (refusal.actor, refusal.type) == (actor, event.type)
    assert missing in refusal.missing
    assert str(event.event_id) in str(refusal)


def test_one_refused_fact_refuses_the_whole_batch() -> None:
    ledger = access_ledger()
    batch = [late(EMP, recorded_by="system:badge"), violation(by="system:badge")]
    refusal = refused(ledger, batch, "system:badge")
    assert "event 2 of 2" in str(refusal)


def test_the_ledger_actor_defaults_and_a_call_overrides_it() -> None:
    ledger = access_ledger()
    ledger.actor = "system:badge"
    ledger.record(late(EMP, recorded_by="system:badge"))
    refused(ledger, late(EMP, "2026-07-04 09:12", recorded_by="system:badge"), "hr:H01")


# -- appeals: self-service, own stream, four eyes -----------------------------------------


def appealed_and_upheld(ledger: Ledger) -> tuple[UUID, Event]:
    """E1 appeals the warning and hr:H02 upholds it: the warning and the decision."""
    warning = warned(ledger)
    filed = appeal_filed(EMP, "2026-07-12 10:00", sanction_id=warning, recorded_by="employee:E1")
    ledger.record(filed, actor="employee:E1")
    decided = appeal_decided(EMP, "2026-07-15 10:00", sanction_id=warning, recorded_by="hr:H02")
    ledger.record(decided, actor="hr:H02")
    return warning, decided


def test_the_employee_files_hr_h02_decides_and_the_warning_is_voided() -> None:
    ledger = access_ledger()
    warning, _ = appealed_and_upheld(ledger)
    assert ledger.sanction(warning).voided


@pytest.mark.parametrize(
    ("decider", "missing"),
    [
        ("employee:E1", "nobody records appeal.decided on their own stream"),
        ("hr:H01", "four eyes"),
        ("system:badge", "a role granting appeal.decided"),
    ],
)
def test_who_may_not_decide_an_appeal(decider: str, missing: str) -> None:
    ledger = access_ledger()
    # hr:H01 is admin and hr and recorded the violation; give it appeals too: four eyes holds.
    ledger.adopt_access(
        ACCESS.replace("version = 1", "version = 2").replace(
            '"hr:H01" = ["admin", "hr"]', '"hr:H01" = ["admin", "hr", "appeals"]'
        ),
        by="hr:H01",
    )
    warning = warned(ledger)
    filed = appeal_filed(EMP, "2026-07-12 10:00", sanction_id=warning, recorded_by="employee:E1")
    ledger.record(filed, actor="employee:E1")
    decided = appeal_decided(EMP, "2026-07-15 10:00", sanction_id=warning, recorded_by=decider)
    refusal = refused(ledger, decided, decider)
    assert missing in refusal.missing
    assert not ledger.sanction(warning).voided


def test_an_employee_may_not_retract_on_their_own_stream() -> None:
    ledger = access_ledger()
    ledger.adopt_access(
        ACCESS.replace("version = 1", "version = 2") + '"employee:E1" = ["hr"]\n', by="hr:H01"
    )
    fact = late(EMP, recorded_by="system:badge")
    ledger.record(fact, actor="system:badge")
    own = retract(fact, recorded_by="employee:E1")
    refusal = refused(ledger, own, "employee:E1")
    assert "on their own stream" in refusal.missing
    assert ledger.record(retract(fact, recorded_by="hr:H01"), actor="hr:H01").appended == 1


def test_a_retry_of_a_stored_fact_is_already_present_not_refused() -> None:
    ledger = access_ledger()
    _, decided = appealed_and_upheld(ledger)
    again = ledger.record(decided, actor="hr:H02")
    assert (again.appended, again.already_present) == (0, 1)


# -- import --------------------------------------------------------------------------------

LINE = (
    '{"type":"attendance.late_arrival","employee_id":"E1",'
    '"occurred_at":"2026-07-03T09:12:00+08:00","data":{"minutes":12}%s}\n'
)


def test_an_import_fills_recorded_by_with_the_actor() -> None:
    ledger = access_ledger()
    ledger.import_stream(io.StringIO(LINE % ""), actor="system:badge")
    (fact,) = ledger.store.read(types=frozenset({"attendance.late_arrival"}))
    assert fact.event.recorded_by == "system:badge"


def test_an_import_refused_on_one_line_names_it_and_writes_nothing() -> None:
    ledger = access_ledger()
    head = ledger.store.head()
    text = LINE % "" + LINE % ',"recorded_by":"hr:H01"'
    with pytest.raises(AccessDenied) as caught:
        ledger.import_stream(io.StringIO(text), source="badge.jsonl", actor="system:badge")
    assert str(caught.value).startswith("badge.jsonl:2: access denied: system:badge")
    assert ledger.store.head() == head


# -- the store: ledger-only types come from the derivation path alone ---------------------


def test_the_store_refuses_a_forged_sanction_from_any_caller() -> None:
    ledger = access_ledger()
    warning = warned(ledger)
    issued = ledger.sanction(warning).issued
    forged = derived_event(
        EMP, issued.model_copy(update={"sanction_id": UUID(int=7)}), issued.effective_at
    )
    assert isinstance(forged.data, SanctionIssued)
    before = ledger.sanctions(EMP)
    head = ledger.store.head()
    with pytest.raises(AccessDenied, match="only the ledger's derivation path writes it"):
        ledger.store.append([forged])
    assert ledger.store.head() == head
    assert ledger.sanctions(EMP) == before


def test_the_ledger_name_is_refused_on_facts() -> None:
    ledger = Ledger.in_memory(clock=ManualClock())
    with pytest.raises(AccessDenied, match="name of the derivation path"):
        ledger.record(late(EMP, recorded_by="ledger"))
    with pytest.raises(AccessDenied):
        ledger.store.append([late(EMP, recorded_by="ledger")])
