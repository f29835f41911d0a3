"""End-to-end: `ledger tick` whose worker processes cannot start still ticks, and says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ledger import write
from ledger.app import Ledger
from ledger.audit.pool import EmployeePool
from ledger.cli import main
from ledger.demo import generate
from ledger.testing import ManualClock


def test_a_tick_without_its_workers_exits_0_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "ledger.db"
    with Ledger.open(db, create=True, clock=ManualClock("2027-01-01 00:00")) as ledger:
        ledger.record(list(generate(employees=5)))

    def cannot_start(self: EmployeePool[Any, Any]) -> EmployeePool[Any, Any]:
        raise OSError("too many open files")

    monkeypatch.setattr(write, "PARALLEL_TICK_FROM", 1)
    monkeypatch.setattr(EmployeePool, "__enter__", cannot_start)
    code = 0
    try:
        main(["--db", str(db), "tick", "--now", "2026-10-01T00:00:00+08:00"])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert code == 0
    assert "ticked to 2026-10-01T00:00:00+08:00" in out
    assert "note: the worker processes stopped (OSError: too many open files)" in err
    with Ledger.open(db, clock=ManualClock("2027-01-01 00:00")) as ledger:
        assert ledger.horizon() is not None
        assert any(r.event.type == "payroll.closed" for r in ledger.store.read())
