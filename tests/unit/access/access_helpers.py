"""Shared pieces of the access tests: the issue's access document and a small ledger."""

from __future__ import annotations

from pathlib import Path

from ledger.app import Ledger
from ledger.events import Event
from ledger.testing import ManualClock, hired, make

__all__ = ["ACCESS", "EMP", "access_ledger", "violation"]

ACCESS = (Path(__file__).resolve().parents[3] / "examples" / "access.toml").read_text("utf-8")
"""The example document: hr:H01 admin and hr, hr:H02 appeals, system:badge attendance."""

EMP = "E1"


def violation(emp: str = EMP, at: str = "2026-07-10 10:00", by: str = "hr:H01") -> Event:
    """A discourtesy violation (CND-01: a warning)."""
    return make("conduct.violation", emp, at, by, kind="discourtesy", description="raised voice")


def access_ledger(clock: ManualClock | None = None) -> Ledger:
    """An in-memory ledger with the example document adopted by hr:H01, and E1 hired."""
    ledger = Ledger.in_memory(clock=clock or ManualClock())
    ledger.adopt_access(ACCESS, by="hr:H01")
    ledger.record(
        hired(EMP, "2026-01-05 09:00", monthly_wage="6000.00", recorded_by="hr:H01"),
        actor="hr:H01",
    )
    return ledger
