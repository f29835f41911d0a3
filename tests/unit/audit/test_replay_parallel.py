"""Replay on a process pool gives exactly the sequential answer."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from audit_helpers import tampering
from rich.console import Console

from ledger import Ledger, Period
from ledger.audit import replay
from ledger.demo import run_demo
from ledger.errors import TamperedError
from ledger.policies.rulebook import Rulebook


def test_replay_on_two_processes_equals_replay_on_one(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    run_demo(db, employees=16, console=Console(file=io.StringIO()))
    proposal = Rulebook.default_document().replace('warning = "50.00"', 'warning = "80.00"')
    ledger = Ledger.open(db, adopt_default=False)
    try:
        for document in (None, proposal):
            one = replay(ledger, Period.parse("2026Q3"), document, workers=1).to_json()
            two = replay(ledger, Period.parse("2026Q3"), document, workers=2).to_json()
            assert one == two
        assert one["totals"]["changed"] > 0
    finally:
        ledger.close()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda data: data.pop("basis"), "'basis'"),
        (lambda data: data.update(amount="abc"), "'abc' is not a decimal amount"),
        (lambda data: data.update(effective_at=20260701), "expected text"),
        (lambda data: data.update(caused_by=["not-a-uuid"]), "expected an event id"),
    ],
)
def test_replay_of_a_derived_row_altered_outside_the_ledger_names_its_position(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], problem: str
) -> None:
    # Replay reads the recorded consequences' fields from the stored JSON (not through the
    # model): a row it cannot read is TamperedError naming the row, as a decoding read's is.
    db = tmp_path / "demo.db"
    run_demo(db, employees=5, console=Console(file=io.StringIO()))
    with tampering(db) as conn:
        position, text = conn.execute(
            "SELECT position, data FROM events WHERE type = 'sanction.issued' "
            "AND json_extract(data, '$.amount') IS NOT NULL ORDER BY position LIMIT 1"
        ).fetchone()
        data = json.loads(text)
        change(data)
        conn.execute("UPDATE events SET data = ? WHERE position = ?", (json.dumps(data), position))
    ledger = Ledger.open(db, adopt_default=False)
    try:
        with pytest.raises(TamperedError) as raised:
            replay(ledger, Period.parse("2026Q3"), workers=1)
    finally:
        ledger.close()
    assert f"stored event at position {position} is unreadable" in str(raised.value)
    assert problem in str(raised.value)
