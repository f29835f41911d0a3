"""The write path reports the stages of an import and a tick to a callback, and only that.

``ledger.write.Stages`` receives ``(stage, done, total)``; the CLI shows it on a terminal
(``ledger.cli.progress.staged``). What is recorded is the same with or without it.
"""

from __future__ import annotations

import io
from typing import Any

from ledger.app import Ledger
from ledger.events import Event
from ledger.events.codec import wire_json
from ledger.testing import ManualClock, hired, instant, make
from ledger.write import FINDING_DUE, RECONCILING


def facts() -> list[Event]:
    """Three employees; E2 is rude in July (a warning and its fine)."""
    return [
        *(hired(emp, "2026-06-01 09:00", monthly_wage="8000.00") for emp in ("E1", "E2", "E3")),
        make("conduct.violation", "E2", "2026-07-10 10:00", kind="discourtesy", description="x"),
    ]


def jsonl(events: list[Event]) -> io.StringIO:
    return io.StringIO("".join(wire_json(e).decode() + "\n" for e in events))


def recorded(ledger: Ledger) -> list[tuple[str, str, Any]]:
    return [
        (r.event.type, r.event.employee_id, r.event.data)
        for r in ledger.store.read()
        if r.event.recorded_by == "ledger"
    ]


def test_an_import_reports_each_employee_reconciled_out_of_those_it_touched() -> None:
    calls: list[tuple[str, int, int | None]] = []
    history = facts()
    with_stages = Ledger.in_memory(clock=ManualClock("2026-07-20 00:00"))
    report = with_stages.import_stream(jsonl(history), stages=lambda *call: calls.append(call))
    assert calls == [(RECONCILING, 1, 3), (RECONCILING, 2, 3), (RECONCILING, 3, 3)]
    assert report.appended == 4 and report.derived > 0
    without = Ledger.in_memory(clock=ManualClock("2026-07-20 00:00"))
    without.import_stream(jsonl(history))
    assert recorded(with_stages) == recorded(without)


def test_a_tick_reports_finding_the_employees_due_then_each_one_reconciled() -> None:
    clock = ManualClock("2026-07-20 00:00")
    ledger = Ledger.in_memory(clock=clock)
    ledger.record(facts())
    clock.set("2026-08-02 00:00")
    calls: list[tuple[str, int, int | None]] = []
    report = ledger.tick(instant("2026-08-01 00:00"), stages=lambda *call: calls.append(call))
    # A month ended: everyone is due (payroll closes).
    assert calls == [(FINDING_DUE, 0, None), *((RECONCILING, n, 3) for n in (1, 2, 3))]
    assert report.employees == 3
    # Mid-month, nothing has a deadline: the stage of finding them, and no one to reconcile.
    clock.set("2026-08-10 00:00")
    calls.clear()
    assert (
        ledger.tick(instant("2026-08-09 00:00"), stages=lambda *c: calls.append(c)).employees == 0
    )
    assert calls == [(FINDING_DUE, 0, None)]
