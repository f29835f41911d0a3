"""OBD-01..OBD-04 obedience rules (RULEBOOK.md §4).

Clauses: seed 001 三 服从管理制度 (服从分配, 不得擅自做主, 按时完成任务). Expectations are
hand-worked from RULEBOOK.md: refusal without approved alternative → warning; a missed
deadline is issued at the due time, the 1st of the calendar quarter a notice, the 2nd and
later a warning; authority exceeded → warning; missed meeting → notice.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from policy_helpers import FAR, fines_of, records, rows, run

from ledger.events import Event
from ledger.testing import make, task_assigned, task_completed


def refused(when: str, task_id: str = "T1", alternative: bool = False) -> Event:
    return make("task.refused", "E1", when, task_id=task_id, approved_alternative=alternative)


# -- OBD-01 refusal ------------------------------------------------------------------------

REFUSALS = [
    pytest.param(False, [("OBD-01", "warning", None, "2026-07-05 10:00")], id="OBD-01 refused"),
    pytest.param(True, [], id="OBD-01 refused with an approved alternative: nothing"),
]


@pytest.mark.parametrize(("alternative", "expected"), REFUSALS)
def test_refusal(alternative: bool, expected: list[tuple[str, str, str | None, str]]) -> None:
    """OBD-01 (seed 001 三 服从分配): refusal without approved alternative → warning (+50.00).

    The task was assigned (due 07-10 18:00) and refused on 07-05: the refusal is judged by
    OBD-01 alone, never also as an OBD-02 missed deadline.
    """
    facts = [
        task_assigned("E1", "2026-07-01 09:00", due_at="2026-07-10 18:00"),
        refused("2026-07-05 10:00", alternative=alternative),
    ]
    derivation = run(facts)
    assert rows(derivation) == expected
    for warning in records(derivation):
        assert fines_of(derivation)[warning.sanction_id].amount == Decimal("50.00")


# -- OBD-02 missed deadline ----------------------------------------------------------------

DEADLINES = [
    pytest.param(
        [("T1", "2026-07-01 09:00", "2026-07-10 18:00", "2026-07-10 17:00")],
        FAR,
        [],
        id="OBD-02 completed before the due time",
    ),
    pytest.param(
        [("T1", "2026-07-01 09:00", "2026-07-10 18:00", "2026-07-10 18:00")],
        FAR,
        [],
        id="OBD-02 completed exactly at the due time: met",
    ),
    pytest.param(
        [("T1", "2026-07-01 09:00", "2026-07-10 18:00", "2026-07-10 18:01")],
        FAR,
        [("notice", "2026-07-10 18:00")],
        id="OBD-02 completed 1 min late: notice issued at the due time",
    ),
    pytest.param(
        [("T1", "2026-07-01 09:00", "2026-07-10 18:00", None)],
        FAR,
        [("notice", "2026-07-10 18:00")],
        id="OBD-02 never completed: notice at the due time",
    ),
    pytest.param(
        [("T1", "2026-07-01 09:00", "2026-07-10 18:00", None)],
        "2026-07-10 17:59",
        [],
        id="OBD-02 due time not yet passed at now: no miss",
    ),
    pytest.param(
        [
            ("T1", "2026-07-01 09:00", "2026-07-10 18:00", None),
            ("T2", "2026-07-01 09:00", "2026-08-10 18:00", None),
        ],
        FAR,
        [("notice", "2026-07-10 18:00"), ("warning", "2026-08-10 18:00")],
        id="OBD-02 1st miss of the quarter notice, 2nd warning",
    ),
    pytest.param(
        [
            ("T1", "2026-07-01 09:00", "2026-07-10 18:00", None),
            ("T2", "2026-07-01 09:00", "2026-08-10 18:00", "2026-08-09 10:00"),
            ("T3", "2026-07-01 09:00", "2026-09-10 18:00", None),
        ],
        FAR,
        [("notice", "2026-07-10 18:00"), ("warning", "2026-09-10 18:00")],
        id="OBD-02 a met deadline in between is not a miss",
    ),
    pytest.param(
        [
            ("T1", "2026-06-01 09:00", "2026-06-30 18:00", None),
            ("T2", "2026-06-01 09:00", "2026-07-01 18:00", None),
        ],
        FAR,
        [("notice", "2026-06-30 18:00"), ("notice", "2026-07-01 18:00")],
        id="OBD-02 new quarter resets: Q2 miss notice, Q3 miss notice",
    ),
    pytest.param(
        [
            ("T1", "2026-06-20 09:00", "2026-07-02 18:00", None),
            ("T2", "2026-07-01 09:00", "2026-07-05 18:00", None),
        ],
        FAR,
        [("notice", "2026-07-02 18:00"), ("warning", "2026-07-05 18:00")],
        id="OBD-02 quarter of the due time, not of the assignment",
    ),
    pytest.param(
        [
            ("T1", "2026-07-01 09:00", "2026-08-10 18:00", None),
            ("T2", "2026-07-02 09:00", "2026-07-20 18:00", None),
        ],
        FAR,
        [("notice", "2026-07-20 18:00"), ("warning", "2026-08-10 18:00")],
        id="OBD-02 misses are numbered by due time, not assignment order",
    ),
]


@pytest.mark.parametrize(("tasks", "now", "expected"), DEADLINES)
def test_missed_deadlines(
    tasks: list[tuple[str, str, str, str | None]], now: str, expected: list[tuple[str, str]]
) -> None:
    """OBD-02 (seed 001 三 按时完成): no completion ≤ due → at due: 1st in quarter notice, then
    warning."""
    facts: list[Event] = []
    for task_id, assigned_at, due, done in tasks:
        facts.append(task_assigned("E1", assigned_at, task_id=task_id, due_at=due))
        if done is not None:
            facts.append(task_completed("E1", done, task_id=task_id))
    got = rows(run(facts, now=now), "OBD-02")
    assert got == [("OBD-02", kind, None, when) for kind, when in expected]


def test_completion_of_another_task_does_not_count() -> None:
    """OBD-02 (seed 001 三): completion must name the same task_id."""
    facts = [
        task_assigned("E1", "2026-07-01 09:00", task_id="T1", due_at="2026-07-10 18:00"),
        task_completed("E1", "2026-07-05 09:00", task_id="T2"),
    ]
    assert rows(run(facts), "OBD-02") == [("OBD-02", "notice", None, "2026-07-10 18:00")]


def test_refused_task_is_not_also_a_missed_deadline() -> None:
    """OBD-01 / OBD-02 (seed 001 三): the refused task T1 is OBD-01 only; the 2nd miss of the
    quarter (T2) is therefore the 1st missed deadline → notice, not warning."""
    facts = [
        task_assigned("E1", "2026-07-01 09:00", task_id="T1", due_at="2026-07-10 18:00"),
        refused("2026-07-02 09:00", task_id="T1"),
        task_assigned("E1", "2026-07-01 09:00", task_id="T2", due_at="2026-07-20 18:00"),
    ]
    assert rows(run(facts)) == [
        ("OBD-01", "warning", None, "2026-07-02 09:00"),
        ("OBD-02", "notice", None, "2026-07-20 18:00"),
    ]


# -- OBD-03, OBD-04 ------------------------------------------------------------------------

SIMPLE = [
    pytest.param(
        make("task.authority_exceeded", "E1", "2026-07-07 11:00", description="refund"),
        ("OBD-03", "warning", None, "2026-07-07 11:00"),
        "50.00",
        id="OBD-03 authority exceeded (擅自做主): warning",
    ),
    pytest.param(
        make("task.meeting_missed", "E1", "2026-07-07 11:00", meeting="weekly"),
        ("OBD-04", "notice", None, "2026-07-07 11:00"),
        None,
        id="OBD-04 meeting missed: notice, no fine",
    ),
]


@pytest.mark.parametrize(("fact", "expected", "fine"), SIMPLE)
def test_single_fact_rules(
    fact: Event, expected: tuple[str, str, str | None, str], fine: str | None
) -> None:
    """OBD-03 / OBD-04 (seed 001 三 不得擅自做主; 按时参加会议)."""
    derivation = run([fact])
    assert rows(derivation) == [expected]
    (record,) = records(derivation)
    assert record.caused_by == (fact.event_id,)
    got = fines_of(derivation).get(record.sanction_id)
    assert (got.amount if got else None) == (Decimal(fine) if fine else None)
