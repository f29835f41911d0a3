"""docs/ARCHITECTURE.md "Trusted reads" for the types the ledger derives: every row of a
demo quarter (facts, consequences, grades, payroll, ticks) decodes on the trusted path to
the same values, of the same types, as full validation of its wire form gives."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from ledger import Ledger
from ledger.demo import generate
from ledger.events import parse_event
from ledger.store.base import recorded_of_row, wire_of_row
from ledger.testing import ManualClock, instant


def _same(trusted: Any, validated: Any, where: str) -> None:
    assert type(trusted) is type(validated), where
    if isinstance(trusted, BaseModel):
        assert trusted.model_fields_set == validated.model_fields_set, where
        assert trusted.__dict__.keys() == validated.__dict__.keys(), where
        for name, value in trusted.__dict__.items():
            _same(value, validated.__dict__[name], f"{where}.{name}")
    elif isinstance(trusted, tuple):
        assert len(trusted) == len(validated), where
        for i, (a, b) in enumerate(zip(trusted, validated, strict=True)):
            _same(a, b, f"{where}[{i}]")
    elif isinstance(trusted, datetime):
        assert (trusted, trusted.tzinfo, trusted.fold) == (
            validated,
            validated.tzinfo,
            validated.fold,
        ), where
    elif isinstance(trusted, Decimal):
        assert trusted.as_tuple() == validated.as_tuple(), where
    else:
        assert trusted == validated, where


def test_every_derived_type_decodes_as_full_validation_does() -> None:
    with Ledger.open(":memory:", clock=ManualClock("2026-10-02 09:00")) as ledger:
        ledger.record(list(generate(employees=12)))
        ledger.tick(instant("2026-10-01 00:00"))
        rows = list(ledger.store.rows())
    types = {row.type for row in rows}
    assert {"sanction.issued", "grade.assigned", "payroll.closed", "ledger.ticked"} <= types
    for row in rows:
        trusted = recorded_of_row(row).event
        validated = parse_event(wire_of_row(row))  # a per-type subclass of Event: compare fields
        assert trusted.__dict__.keys() == validated.__dict__.keys()
        for name, value in trusted.__dict__.items():
            _same(value, validated.__dict__[name], f"{row.type}@{row.position}.{name}")
