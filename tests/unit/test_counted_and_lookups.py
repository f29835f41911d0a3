"""Two shortcuts of the derivation's hot path stay exact (docs/ARCHITECTURE.md, "Read
models", "Trusted reads"): a basis's counted facts built without re-validation, and
``Context.of`` over several types answered from the by-type index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from ledger.events import CountedFact
from ledger.policies.common import _counted_fact, counted
from ledger.policies.framework import Context
from ledger.policies.rulebook import RulebookSet
from ledger.testing import absent, early, hired, late, praised
from ledger.timeutil import COMPANY_TZ

_ZONES = st.sampled_from(
    [UTC, COMPANY_TZ, timezone(timedelta(hours=-5)), timezone(timedelta(hours=14))]
)
_TIMES = st.builds(
    lambda naive, zone: naive.replace(tzinfo=zone),
    st.one_of(
        st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 1)),
        st.datetimes(),  # (any year: beyond what a fact may carry, as validation has it)
    ),
    _ZONES,
)
_VALUES = st.decimals(allow_nan=False, allow_infinity=False, places=2, max_value=1000)


@given(st.uuids(), st.sampled_from(["attendance.late_arrival", "x"]), _TIMES, _VALUES, st.text())
@example(UUID(int=1), "x", datetime(9999, 12, 31, 20, tzinfo=UTC), Decimal(1), "")
@example(UUID(int=1), "x", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))), Decimal(0), "")
def test_a_counted_fact_built_directly_equals_the_validated_one(
    event_id: UUID, type_: str, at: datetime, value: Decimal, note: str
) -> None:
    try:
        validated = CountedFact(
            event_id=event_id, type=type_, occurred_at=at, value=value, note=note
        )
    except ValidationError:  # (a time company time cannot hold: refused alike)
        with pytest.raises(ValidationError):
            _counted_fact(event_id, type_, at, value, note)
        return
    direct = _counted_fact(event_id, type_, at, value, note)
    assert direct == validated
    assert hash(direct) == hash(validated)
    assert direct.model_dump_json() == validated.model_dump_json()
    assert direct.model_fields_set == validated.model_fields_set
    assert direct.occurred_at.tzinfo == validated.occurred_at.tzinfo == COMPANY_TZ


def test_values_of_another_type_are_validated() -> None:
    at = datetime(2026, 7, 1, 9, 3, tzinfo=COMPANY_TZ)
    event_id = UUID(int=7)
    found = _counted_fact(event_id, "x", at, 1, "")  # type: ignore[arg-type]
    assert found.value == Decimal(1) and type(found.value) is Decimal
    fact = late("E1", "2026-07-01 09:03", minutes=3)
    listed = counted([(fact, Decimal("0.5"))], "points")
    assert listed == (
        CountedFact(
            event_id=fact.event_id,
            type=fact.type,
            occurred_at=fact.occurred_at,
            value=Decimal("0.5"),
            note="points",
        ),
    )


def _context(*facts: object) -> Context:
    ordered = sorted(facts, key=lambda f: (f.occurred_at, f.event_id.int))  # type: ignore[attr-defined]
    return Context.build("E1", ordered, RulebookSet([]), datetime(2027, 1, 1, tzinfo=COMPANY_TZ))  # type: ignore[arg-type]


def test_of_several_types_keeps_fact_order() -> None:
    facts = [
        hired("E1"),
        late("E1", "2026-07-01 09:10"),
        early("E1", "2026-07-01 17:20"),
        late("E1", "2026-07-02 09:10"),
        absent("E1", "2026-07-03 09:00"),
        praised("E1", "2026-07-03 10:00"),
    ]
    ctx = _context(*facts)
    types = ("attendance.late_arrival", "attendance.early_departure", "attendance.absence")
    assert ctx.of(*types) == tuple(f for f in ctx.facts if f.type in types)
    assert [f.type for f in ctx.of(*types)] == [
        "attendance.late_arrival",
        "attendance.early_departure",
        "attendance.late_arrival",
        "attendance.absence",
    ]


def test_of_several_types_with_one_or_none_present() -> None:
    ctx = _context(hired("E1"), late("E1", "2026-07-01 09:10"), late("E1", "2026-07-02 09:10"))
    lates = ctx.of("attendance.late_arrival", "attendance.early_departure", "attendance.absence")
    assert lates == ctx.by_type["attendance.late_arrival"] and len(lates) == 2
    assert ctx.of("attendance.early_departure", "attendance.late_arrival") == lates
    assert ctx.of("attendance.early_departure", "attendance.absence") == ()
