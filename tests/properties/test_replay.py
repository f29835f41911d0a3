"""Properties of ``replay``: how HR evaluates a proposed rulebook before adopting it.

Ledgers hold two employees' realistic 2026Q3 (the strategies of ``test_policies``: attendance,
complaints, tasks, praise, violations, retractions, appeal decisions) plus their hiring, so
that grades are derived too; deadlines are evaluated up to 2026-10-15.

* Replaying under the rulebook in force, or under an identical copy of its text, reports no
  difference at all.
* Replaying under a copy whose only change is ``[fines] warning = "80.00"`` reports exactly
  the fines attached to warnings, each 50.00 -> 80.00, and a fine total 30.00 higher per such
  fine; nothing added, removed or regraded.
* An honestly recorded ledger verifies, and so does its audit bundle.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from test_policies import HORIZON, appealed_quarters

from ledger.app import Ledger
from ledger.audit import ReplayReport, replay, verify
from ledger.audit.bundle import export_bundle, verify_bundle
from ledger.audit.replay import _recorded_side
from ledger.events import Event, GradeAssigned
from ledger.policies.rulebook import Rulebook
from ledger.policies.status import fold_sanctions
from ledger.testing import ManualClock, WhenResolvable, hired
from ledger.timeutil import Period

Q3 = Period.parse("2026Q3")
DEFAULT_DOC = Rulebook.default_document()
PROPOSED_DOC = DEFAULT_DOC.replace('warning = "50.00"', 'warning = "80.00"', 1)
assert PROPOSED_DOC != DEFAULT_DOC
assert PROPOSED_DOC.index('warning = "80.00"') > PROPOSED_DOC.index("[fines]")

HALF = settings(max_examples=max(20, settings().max_examples // 2))
"""Each example records and ticks a two-employee ledger: half the profile's examples."""


@st.composite
def ledgers(draw: Any) -> Ledger:
    """A ledger holding two employees' quarters, recorded in a few batches, ticked once."""
    facts: list[Event] = []
    for emp, on in (("E1", "2025-03-03 09:00"), ("E2", "2026-02-02 09:00")):
        facts.append(hired(emp, on, event_id=draw(st.uuids(version=4))))
        facts += draw(appealed_quarters(emp))
    ordered = draw(st.permutations(facts))
    cuts = sorted(draw(st.lists(st.integers(0, len(ordered)), max_size=2)))
    ledger = Ledger.in_memory(clock=ManualClock("2026-12-01 00:00"))
    recorder = WhenResolvable(ledger)  # an appeal waits for its consequence to be recorded
    for start, end in zip([0, *cuts], [*cuts, len(ordered)], strict=True):
        if end > start:
            recorder.record(ordered[start:end])
    ledger.tick(HORIZON)
    assert recorder.flush() == []
    return ledger


def assert_no_difference(report: ReplayReport) -> None:
    data = report.to_json()
    assert data["employees"] == []
    totals = data["totals"]
    assert (
        totals["employees_differing"],
        totals["added"],
        totals["removed"],
        totals["changed"],
        totals["grades_changed"],
    ) == (0, 0, 0, 0, 0)
    for money in totals["money"].values():
        assert money["recorded"] == money["replayed"]
        assert money["difference"] == "0.00"


@HALF
@given(ledgers())
def test_replaying_the_same_rulebook_reports_no_difference(ledger: Ledger) -> None:
    assert_no_difference(replay(ledger, Q3))
    identical = replay(ledger, Q3, DEFAULT_DOC)
    assert identical.rulebook.startswith("service-standard v1 (")
    assert_no_difference(identical)


@HALF
@given(ledgers())
def test_replaying_a_higher_warning_fine_reports_exactly_the_changed_fines(
    ledger: Ledger,
) -> None:
    warning_fines: Counter[tuple[str, str, str]] = Counter()
    for emp in ledger.employees():
        held = {s.sanction_id: s for s in ledger.sanctions(emp)}
        for s in ledger.sanctions(emp, Q3):
            target = held.get(s.issued.attached_to) if s.issued.attached_to else None
            if s.voided or s.issued.kind != "fine" or target is None:
                continue
            if target.issued.kind == "warning":
                assert s.issued.amount == Decimal("50.00")
                warning_fines[(emp, s.issued.rule_id, s.issued.effective_at.isoformat())] += 1

    report = replay(ledger, Q3, PROPOSED_DOC)
    data = report.to_json()
    changed: Counter[tuple[str, str, str]] = Counter()
    for e in data["employees"]:
        assert e["added"] == []
        assert e["removed"] == []
        assert e["grades"] == []
        for row in e["changed"]:
            assert (row["kind"], row["recorded_amount"], row["amount"]) == (
                "fine",
                "50.00",
                "80.00",
            )
            changed[(e["employee_id"], row["rule_id"], row["issued_at"])] += 1
    assert changed == warning_fines

    count = sum(warning_fines.values())
    totals = data["totals"]
    assert (totals["added"], totals["removed"], totals["grades_changed"]) == (0, 0, 0)
    assert totals["changed"] == count
    assert totals["employees_differing"] == len({emp for emp, _, _ in warning_fines})
    fine = totals["money"]["fine"]
    assert Decimal(fine["difference"]) == Decimal("30.00") * count
    assert Decimal(fine["replayed"]) - Decimal(fine["recorded"]) == Decimal("30.00") * count
    for kind in ("compensation", "bonus"):
        assert totals["money"][kind]["difference"] == "0.00"
    # Nothing was written: the same replay under the adopted rulebook still differs in nothing.
    assert_no_difference(replay(ledger, Q3))


@HALF
@given(ledgers())
def test_an_honest_ledger_verifies_and_so_does_its_bundle(ledger: Ledger) -> None:
    report = verify(ledger)
    assert report.ok, report.to_json()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "bundle"
        export_bundle(ledger, Q3, out)
        assert verify_bundle(out) == []


@HALF
@given(ledgers(), st.sampled_from(["2026Q3", "2026Q4", "2026"]))
def test_the_recorded_side_read_from_rows_equals_the_folded_decoded_events(
    ledger: Ledger, label: str
) -> None:
    """``_recorded_side`` reads a few fields of the stored rows (no payload decoded); it
    must give what folding the decoded events gives (voids, reissues and regrades
    included), in the replayed side's form."""
    period = Period.parse(label)
    for emp in ledger.employees():
        recorded, grades = _recorded_side(ledger.store.rows(employee_id=emp), period)
        expected: dict[Any, dict[str, Any]] = {}
        for state in fold_sanctions(ledger.store.read(employee_id=emp)).values():
            i = state.issued
            if state.voided or i.effective_at not in period:
                continue
            causes = tuple(sorted(map(str, i.caused_by)))
            key = (i.rule_id, i.kind, causes, i.effective_at.isoformat())
            expected[key] = {
                "kind": i.kind,
                "rule_id": i.rule_id,
                "amount": None if i.amount is None else format(i.amount, "f"),
                "issued_at": key[3],
                "summary": i.basis.summary,
            }
        assert recorded == expected
        was = {}
        for r in ledger.store.read(employee_id=emp):
            if isinstance(r.event.data, GradeAssigned):
                was[r.event.data.period] = (r.event.data.level, r.event.data.score)
        assert grades == was
