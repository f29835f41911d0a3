"""``EmployeeView``'s shortcuts equal the scans they replace (docs/ARCHITECTURE.md, "Read
models"): a period's facts found by bisection, and the facts of a few types."""

from __future__ import annotations

from datetime import timedelta

from projection_helpers import build, evaluated, rude, staff, view

from ledger.projections.measures import ATTENDANCE_TYPES, POSITION_TYPES, QUALIFICATION_TYPES
from ledger.testing import instant, make, retract
from ledger.timeutil import Period

EDGES = [
    "2026-04-01 00:00",  # the first instant of Q2 and of April
    "2026-06-30 23:59",
    "2026-07-01 00:00",  # Q3 starts: in Q3, not Q2
    "2026-09-30 23:59",
]


def _ledger():  # type: ignore[no-untyped-def]
    events = staff("E1", on="2025-12-01")
    events += [rude("E1", at) for at in EDGES]
    events += [evaluated("E1", "2026-05-05 10:00", 4), evaluated("E1", "2026-08-05 10:00", 5)]
    late = make("attendance.late_arrival", "E1", "2026-07-01 00:00", minutes=20)
    wrong = make("attendance.late_arrival", "E1", "2026-07-02 09:00", minutes=20)
    events += [late, wrong, retract(wrong, at="2026-07-03 09:00")]
    # The last microsecond of Q3, which a period still holds.
    events.append(rude("E1", instant("2026-10-01 00:00") - timedelta(microseconds=1)))
    return build(events)


def test_counted_in_is_the_period_filter_at_every_edge() -> None:
    v = view(_ledger(), "E1", "2026-12-31 00:00")
    labels = ["2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4", "2026-06", "2026-07", "2026"]
    for label in labels:
        period = Period.parse(label)
        expected = tuple(f for f in v.counted if f.occurred_at in period)
        assert v.counted_in(period) == expected, label
    q3 = v.counted_in(Period.parse("2026Q3"))
    assert sum(1 for f in q3 if f.type == "conduct.violation") == 3
    assert all(f.event_id not in v.retracted for f in q3)


def test_counted_of_is_the_type_filter_and_computed_once() -> None:
    v = view(_ledger(), "E1", "2026-12-31 00:00")
    for types in (ATTENDANCE_TYPES, POSITION_TYPES, QUALIFICATION_TYPES, {"service.evaluated"}):
        expected = tuple(f for f in v.counted if f.type in types)
        assert v.counted_of(types) == expected
        assert v.counted_of(sorted(types)) is v.counted_of(types)
    late = v.counted_of(ATTENDANCE_TYPES)
    assert [f.occurred_at for f in late] == [instant("2026-07-01 00:00")]
    for label in ("2026Q2", "2026Q3", "2026-06", "2026-07", "2026"):
        period = Period.parse(label)
        for types in (ATTENDANCE_TYPES, {"service.evaluated"}, {"conduct.violation"}):
            in_period = tuple(f for f in v.counted_of(types) if f.occurred_at in period)
            assert v.counted_of_in(types, period) == in_period, (label, types)
    assert len(v.counted_of_in({"conduct.violation"}, Period.parse("2026Q3"))) == 3
