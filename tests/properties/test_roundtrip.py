"""Every observation type survives the wire and both stores unchanged."""

from __future__ import annotations

from datetime import datetime
from typing import Any, get_args

import orjson
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import AwareDatetime

from ledger.errors import TamperedError, ValidationFailed
from ledger.events import (
    EVENT_TYPES,
    OBSERVATION_TYPES,
    Event,
    canonical_json,
    event_to_wire,
    parse_event,
    wire_json,
)
from ledger.store import EventStore, MemoryStore, SQLiteStore
from ledger.store.base import columns_of, event_of_columns, recorded_of_row, wire_of_row
from ledger.testing import ManualClock, events, late


def _is_datetime(annotation: Any) -> bool:
    return annotation in (datetime, AwareDatetime) or any(map(_is_datetime, get_args(annotation)))


DATETIME_PATHS = {
    name: ["occurred_at"]
    + [
        f"data.{field}"
        for field, info in EVENT_TYPES[name].model_fields.items()
        if _is_datetime(info.annotation)
    ]
    for name in OBSERVATION_TYPES
}

one_of_each_type = st.tuples(*(events(types=[name]) for name in OBSERVATION_TYPES)).map(list)
"""A batch holding one event of every observation type, so every example covers them all."""


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(v) for v in value]
    return value


def _set(wire: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, leaf = path.split(".")
    target = wire
    for part in parents:
        target = target[part]
    target[leaf] = value
    return wire


def test_task_assignment_due_dates_are_among_the_datetime_fields() -> None:
    assert DATETIME_PATHS["task.assigned"] == ["occurred_at", "data.due_at"]


@given(one_of_each_type)
def test_wire_to_event_to_wire_is_the_identity_for_every_type(batch: list[Event]) -> None:
    for event in batch:
        wire = event_to_wire(event)
        parsed = parse_event(orjson.dumps(wire))
        assert parsed == event
        assert event_to_wire(parsed) == wire


@given(one_of_each_type)
def test_both_stores_read_back_every_type_as_appended(batch: list[Event]) -> None:
    assume(len({e.event_id for e in batch}) == len(batch))
    stores: list[EventStore] = [
        MemoryStore(clock=ManualClock()),
        SQLiteStore(":memory:", clock=ManualClock()),
    ]
    for store in stores:
        store.append(batch)
        assert [r.event for r in store.read()] == batch
        assert [wire_json(r.event) for r in store.read()] == [wire_json(e) for e in batch]
        assert store.verify().ok
        store.close()


@given(events())
def test_canonical_json_ignores_key_order(event: Event) -> None:
    wire = event_to_wire(event)
    assert canonical_json(_reversed_keys(wire)) == canonical_json(wire) == wire_json(event)


@given(events())
def test_canonical_json_is_stable_through_a_parse(event: Event) -> None:
    once = wire_json(event)
    assert wire_json(parse_event(once)) == once
    assert list(orjson.loads(once)) == sorted(orjson.loads(once))


@given(one_of_each_type, st.datetimes(), st.booleans())
def test_a_naive_datetime_is_refused_in_every_datetime_field(
    batch: list[Event], naive: datetime, as_text: bool
) -> None:
    for event in batch:
        for path in DATETIME_PATHS[event.type]:
            wire = _set(event_to_wire(event), path, naive.isoformat() if as_text else naive)
            with pytest.raises(ValidationFailed) as caught:
                parse_event(wire)
            assert [p.field for p in caught.value.problems] == [path]


@given(one_of_each_type)
def test_the_trusted_read_path_decodes_rows_as_full_validation_does(batch: list[Event]) -> None:
    """docs/ARCHITECTURE.md "Trusted reads": rows the store wrote decode without validating
    the envelope, to events equal in every field, time zone and wire form to parse_event's."""
    store = MemoryStore(clock=ManualClock("2099-01-01 00:00"))
    store.append(batch)
    for row in store.rows():
        trusted = recorded_of_row(row).event
        validated = parse_event(wire_of_row(row))
        assert trusted == validated
        assert trusted.model_dump() == validated.model_dump()
        assert wire_json(trusted) == wire_json(validated)
        assert trusted.occurred_at.tzinfo == validated.occurred_at.tzinfo


@given(one_of_each_type)
def test_an_event_rebuilt_from_its_columns_is_the_event(batch: list[Event]) -> None:
    """docs/ARCHITECTURE.md "Input boundary": the columns a parse worker sends and a large
    import spills, as plain tuples, rebuild through the trusted read to the validated
    event, and their wire form is the event's (what the store compares ids against)."""
    store = MemoryStore(clock=ManualClock("2099-01-01 00:00"))
    store.append(batch)
    for event, row in zip(batch, store.rows(), strict=True):
        columns = columns_of(event)
        rebuilt = event_of_columns(tuple(columns))
        assert rebuilt == event
        assert rebuilt.model_dump() == event.model_dump()
        assert wire_json(rebuilt) == wire_json(event)
        assert rebuilt.occurred_at.tzinfo == event.occurred_at.tzinfo
        assert canonical_json(wire_of_row(columns.row())) == wire_json(event)
        assert columns == (row.event_id.bytes, *row[2:3], *row[4:7], *row[8:14])
        assert columns.instant() == event.occurred_at and columns.uuid() == event.event_id


def test_a_row_altered_outside_the_ledger_is_reported_as_tampered() -> None:
    store = MemoryStore(clock=ManualClock("2099-01-01 00:00"))
    store.append([late("E1")])
    (row,) = store.rows()
    with pytest.raises(TamperedError, match="position 1"):
        recorded_of_row(row._replace(data='{"minutes": "many"}'))
