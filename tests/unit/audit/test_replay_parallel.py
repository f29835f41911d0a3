"""Replay on a process pool gives exactly the sequential answer."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from ledger import Ledger, Period
from ledger.audit import replay
from ledger.demo import run_demo
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
