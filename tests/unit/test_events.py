"""Parsing and building events: what is refused, and how the refusal names the field."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ledger.errors import ValidationFailed
from ledger.events import LEDGER_STREAM, Event, LateArrival, event_to_wire, parse_event
from ledger.testing import late, make
from ledger.timeutil import COMPANY_TZ

LATE: dict[str, Any] = {
    "type": "attendance.late_arrival",
    "employee_id": "E1001",
    "occurred_at": "2026-07-03T09:12:00+08:00",
    "recorded_by": "system:badge-gateway",
    "data": {"minutes": 12},
}
DOCUMENT = "[rulebook]\nid = 'default'\n"
RULEBOOK: dict[str, Any] = {
    **LATE,
    "type": "rulebook.adopted",
    "employee_id": LEDGER_STREAM,
    "data": {
        "rulebook_id": "default",
        "version": 1,
        "effective_from": "2026-01-01",
        "published_on": "2025-12-15",
        "document": DOCUMENT,
        "sha256": hashlib.sha256(DOCUMENT.encode()).hexdigest(),
    },
}


def _wage(amount: Any) -> dict[str, Any]:
    return {**LATE, "type": "employee.wage_changed", "data": {"monthly_wage": amount}}


REJECTIONS: list[tuple[str, dict[str, Any], str]] = [
    ("naive occurred_at", {**LATE, "occurred_at": "2026-07-03T09:12:00"}, "occurred_at"),
    (
        "naive due_at",
        {
            **LATE,
            "type": "task.assigned",
            "data": {"task_id": "T1", "due_at": "2026-07-04T18:00:00"},
        },
        "data.due_at",
    ),
    ("unknown type", {**LATE, "type": "attendance.nap_taken"}, "type"),
    ("missing type", {k: v for k, v in LATE.items() if k != "type"}, "type"),
    ("unknown data field", {**LATE, "data": {"minutes": 12, "colour": "red"}}, "data.colour"),
    ("unknown envelope field", {**LATE, "colour": "red"}, "colour"),
    ("missing data field", {**LATE, "data": {}}, "data.minutes"),
    ("negative minutes", {**LATE, "data": {"minutes": -5}}, "data.minutes"),
    ("zero minutes", {**LATE, "data": {"minutes": 0}}, "data.minutes"),
    (
        "bad severity",
        {
            **LATE,
            "type": "service.complaint_verified",
            "data": {"complaint_id": "C1", "severity": "dire"},
        },
        "data.severity",
    ),
    (
        "bad leave kind",
        {**LATE, "type": "attendance.leave_taken", "data": {"kind": "sabbatical", "days": 2}},
        "data.kind",
    ),
    (
        "bad suggestion tier",
        {**LATE, "type": "recognition.suggestion_adopted", "data": {"tier": 4}},
        "data.tier",
    ),
    ("money not a number", _wage("abc"), "data.monthly_wage"),
    ("money as float", _wage(8000.5), "data.monthly_wage"),
    ("money NaN", _wage("NaN"), "data.monthly_wage"),
    ("money infinite", _wage("Infinity"), "data.monthly_wage"),
    ("money with three places", _wage("12.345"), "data.monthly_wage"),
    ("money beyond decimal precision", _wage("1e30"), "data.monthly_wage"),
    ("wage of zero", _wage("0"), "data.monthly_wage"),
    ("reserved employee id", {**LATE, "employee_id": "_ops"}, "employee_id"),
    ("employee id starting with a symbol", {**LATE, "employee_id": "-E1"}, "employee_id"),
    ("empty employee id", {**LATE, "employee_id": ""}, "employee_id"),
    ("ledger-wide type in an employee stream", {**RULEBOOK, "employee_id": "E1"}, "employee_id"),
    ("empty recorded_by", {**LATE, "recorded_by": ""}, "recorded_by"),
    ("bad event id", {**LATE, "event_id": "not-a-uuid"}, "event_id"),
    ("schema version from the future", {**LATE, "schema_version": 9}, "schema_version"),
]


@pytest.mark.parametrize(
    ("wire", "field"), [c[1:] for c in REJECTIONS], ids=[c[0] for c in REJECTIONS]
)
def test_an_invalid_event_is_refused_naming_the_field(wire: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_event(wire)
    assert field in [p.field for p in caught.value.problems]


def test_a_rulebook_whose_sha256_does_not_match_its_document_is_refused() -> None:
    wire = {**RULEBOOK, "data": {**RULEBOOK["data"], "sha256": "0" * 64}}
    with pytest.raises(ValidationFailed) as caught:
        parse_event(wire)
    (problem,) = caught.value.problems
    assert problem.field.startswith("data")
    assert "sha256" in problem.message


@pytest.mark.parametrize("text", ["", "{", "[]", "12", "null"])
def test_text_that_is_not_a_json_object_is_refused(text: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_event(text)


def test_the_documented_wire_example_parses() -> None:
    event = parse_event(
        '{"event_id":"7d0b6f0e-8a3e-4e55-9a39-1c1d2c0b9a01","type":"attendance.late_arrival",'
        '"employee_id":"E1001","occurred_at":"2026-07-03T09:12:00+08:00",'
        '"recorded_by":"system:badge-gateway","data":{"minutes":12}}'
    )
    assert isinstance(event.data, LateArrival)
    assert (event.employee_id, event.data.minutes) == ("E1001", 12)


def test_a_rulebook_adoption_belongs_to_the_ledger_stream() -> None:
    assert parse_event(RULEBOOK).employee_id == LEDGER_STREAM


def test_occurred_at_in_another_offset_is_normalised_to_company_time() -> None:
    event = parse_event({**LATE, "occurred_at": "2026-07-03T01:12:00Z"})
    assert event.occurred_at == datetime(2026, 7, 3, 9, 12, tzinfo=COMPANY_TZ)
    assert event_to_wire(event)["occurred_at"] == "2026-07-03T09:12:00+08:00"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("8000", "8000.00"),
        ("12.5", "12.50"),
        ("1.000", "1.00"),
        (Decimal("3.10"), "3.10"),
        (7, "7.00"),
    ],
)
def test_money_is_kept_and_written_with_two_places(given: Any, stored: str) -> None:
    assert event_to_wire(parse_event(_wage(given)))["data"]["monthly_wage"] == stored


def test_wire_form_omits_absent_optional_fields() -> None:
    wire = event_to_wire(parse_event({**LATE, "type": "attendance.post_left", "data": {}}))
    assert wire["data"] == {}
    assert "source" not in wire


def test_event_of_takes_type_and_schema_version_from_the_data() -> None:
    event = Event.of(
        LateArrival(minutes=3),
        employee_id="E1",
        occurred_at=datetime(2026, 7, 3, 1, 0, tzinfo=UTC),
        recorded_by="t",
    )
    assert (event.type, event.schema_version) == ("attendance.late_arrival", 1)


def test_event_of_refuses_a_naive_occurred_at_naming_the_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        Event.of(
            LateArrival(minutes=3),
            employee_id="E1",
            occurred_at=datetime(2026, 7, 3, 9, 0),
            recorded_by="t",
        )
    assert [p.field for p in caught.value.problems] == ["occurred_at"]


def test_builders_refuse_invalid_data_naming_the_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        late(minutes=-1)
    assert [p.field for p in caught.value.problems] == ["data.minutes"]


def test_make_builds_any_type_from_company_time_text() -> None:
    event = make("service.evaluated", "E3", "2026-07-01 14:30", rater="peer", score=80)
    assert event.occurred_at == datetime(2026, 7, 1, 14, 30, tzinfo=COMPANY_TZ)
    assert event_to_wire(event)["data"] == {"rater": "peer", "score": 80}


def test_events_are_frozen() -> None:
    event = late()
    with pytest.raises(ValueError):
        event.employee_id = "E2"  # type: ignore[misc]
