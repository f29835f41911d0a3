"""ATT-01 attendance points and ATT-02 serious absence (RULEBOOK.md §1).

Clauses: seed 000 服务规范 一.4 "不迟到早退, 不擅自离岗"; seed 001 三.(二).2 工作纪律;
ATT-02 also 劳动合同法 第39条. Expectations are hand-worked from RULEBOOK.md: points per fact,
a rolling 12-month window ``(t - 12 months, t]``, thresholds 4 notice / 6 warning /
8 demerit / 10 major_demerit with only the highest crossed threshold issued.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from policy_helpers import (
    event_id,
    findings,
    fines_of,
    make_with_id,
    records,
    rows,
    run,
)

from ledger.events import Event
from ledger.testing import absent, early, late, make, retract


def post_left(when: str, minutes: int | None = None) -> Event:
    if minutes is None:
        return make("attendance.post_left", "E1", when)
    return make("attendance.post_left", "E1", when, minutes=minutes)


def leave(when: str, kind: str = "annual", days: int = 3) -> Event:
    return make("attendance.leave_taken", "E1", when, kind=kind, days=days)


# -- ATT-01: points per fact ---------------------------------------------------------------
#
# Base: an absence (3 points) on 07-01 and a 10-minute late arrival (0.5) on 07-02 give 3.5.
# The probe fact on 07-03 adds p points; the counter then reads 3.5 + p. p = 0 crosses
# nothing; p = 0.5 or 1 crosses 4 (notice); p = 3 crosses 4 and 6 (warning); p = 6 crosses
# 4, 6 and 8 (demerit). The basis value pins p itself, so 0.5 and 1 are told apart.

POINTS = [
    pytest.param(late("E1", "2026-07-03 09:01", minutes=1), "0", id="ATT-01 late 1 min: grace"),
    pytest.param(late("E1", "2026-07-03 09:05", minutes=5), "0", id="ATT-01 late 5 min: grace"),
    pytest.param(late("E1", "2026-07-03 09:06", minutes=6), "0.5", id="ATT-01 late 6 min"),
    pytest.param(late("E1", "2026-07-03 09:30", minutes=30), "0.5", id="ATT-01 late 30 min"),
    pytest.param(late("E1", "2026-07-03 09:31", minutes=31), "1", id="ATT-01 late 31 min"),
    pytest.param(late("E1", "2026-07-03 13:00", minutes=240), "1", id="ATT-01 late 240 min"),
    pytest.param(early("E1", "2026-07-03 17:55", minutes=5), "0", id="ATT-01 early 5 min: grace"),
    pytest.param(early("E1", "2026-07-03 17:54", minutes=6), "0.5", id="ATT-01 early 6 min"),
    pytest.param(early("E1", "2026-07-03 17:30", minutes=30), "0.5", id="ATT-01 early 30 min"),
    pytest.param(early("E1", "2026-07-03 17:29", minutes=31), "1", id="ATT-01 early 31 min"),
    pytest.param(post_left("2026-07-03 10:00"), "1", id="ATT-01 post left"),
    pytest.param(post_left("2026-07-03 10:00", 3), "1", id="ATT-01 post left 3 min: no grace"),
    pytest.param(absent("E1", "2026-07-03 09:00", days=1), "3", id="ATT-01 absence 1 day"),
    pytest.param(absent("E1", "2026-07-03 09:00", days=2), "6", id="ATT-01 absence 2 days"),
    pytest.param(leave("2026-07-03 09:00"), "0", id="ATT-01 annual leave: never"),
    pytest.param(leave("2026-07-03 09:00", "sick", 30), "0", id="ATT-01 sick leave: never"),
    pytest.param(leave("2026-07-03 09:00", "personal", 10), "0", id="ATT-01 personal leave"),
]

OUTCOME_AT = {"0": None, "0.5": "notice", "1": "notice", "3": "warning", "6": "demerit"}


@pytest.mark.parametrize(("probe", "points"), POINTS)
def test_points_per_fact(probe: Event, points: str) -> None:
    """ATT-01 (seed 000 一.4 不迟到早退, 不擅自离岗): the points table and the 5-minute grace."""
    base = [absent("E1", "2026-07-01 09:00"), late("E1", "2026-07-02 09:10", minutes=10)]
    derivation = run([*base, probe])
    issued = records(derivation, "ATT-01")
    expected = OUTCOME_AT[points]
    if expected is None:
        assert issued == []
        return
    assert [o.kind for o in issued] == [expected]
    (outcome,) = issued
    assert outcome.caused_by == (probe.event_id,)
    assert outcome.basis.previous == Decimal("3.5")
    assert outcome.basis.value == Decimal("3.5") + Decimal(points)


# -- ATT-01: thresholds and highest-only crossing ------------------------------------------

A = "2026-07-0{} 09:00"

LADDER = [
    pytest.param(
        [absent("E1", A.format(1)), late("E1", A.format(2), minutes=10)],
        [],
        id="ATT-01 3.5 points: below 4, nothing",
    ),
    pytest.param(
        [absent("E1", A.format(1)), post_left(A.format(2))],
        [("ATT-01", "notice", None, "2026-07-02 09:00")],
        id="ATT-01 exactly 4: notice",
    ),
    pytest.param(
        [absent("E1", A.format(1)), post_left(A.format(2)), late("E1", A.format(3), minutes=10)],
        [("ATT-01", "notice", None, "2026-07-02 09:00")],
        id="ATT-01 4 then 4.5: no second notice",
    ),
    pytest.param(
        [absent("E1", A.format(1)), absent("E1", A.format(2))],
        [("ATT-01", "warning", None, "2026-07-02 09:00")],
        id="ATT-01 3 -> 6 crosses 4 and 6: warning only",
    ),
    pytest.param(
        [absent("E1", A.format(1), days=3)],
        [("ATT-01", "demerit", None, "2026-07-01 09:00")],
        id="ATT-01 0 -> 9 crosses 4, 6, 8: demerit only",
    ),
    pytest.param(
        [absent("E1", A.format(1), days=4)],
        [("ATT-01", "major_demerit", None, "2026-07-01 09:00")],
        id="ATT-01 0 -> 12 crosses all four: major_demerit only",
    ),
    pytest.param(
        [
            late("E1", "2026-07-01 09:40", minutes=40),
            absent("E1", "2026-07-02 09:00"),
            late("E1", "2026-07-03 09:12", minutes=12),
            post_left("2026-07-04 10:00"),
            late("E1", "2026-07-05 09:03", minutes=3),
            absent("E1", "2026-07-06 09:00"),
        ],
        [
            ("ATT-01", "notice", None, "2026-07-02 09:00"),
            ("ATT-01", "demerit", None, "2026-07-06 09:00"),
        ],
        id="ATT-01 worked example: 1, 4 notice, 4.5, 5.5, 5.5, 8.5 demerit",
    ),
    pytest.param(
        [post_left(f"2026-07-{day:02d} 10:00") for day in range(1, 12)],
        [
            ("ATT-01", "notice", None, "2026-07-04 10:00"),
            ("ATT-01", "warning", None, "2026-07-06 10:00"),
            ("ATT-01", "demerit", None, "2026-07-08 10:00"),
            ("ATT-01", "major_demerit", None, "2026-07-10 10:00"),
        ],
        id="ATT-01 one point a day: 4 notice, 6 warning, 8 demerit, 10 major, 11 nothing",
    ),
]


@pytest.mark.parametrize(("facts", "expected"), LADDER)
def test_thresholds_highest_crossed_only(
    facts: list[Event], expected: list[tuple[str, str, str | None, str]]
) -> None:
    """ATT-01 (seed 001 三.(二).2 工作纪律): thresholds 4/6/8/10, only the highest crossed."""
    assert rows(run(facts), "ATT-01") == expected


# -- ATT-01: the rolling 12-month window (t - 12 months, t] --------------------------------

WINDOW = [
    pytest.param(
        "2025-07-01 09:00",
        "2026-07-01 09:00",
        [],
        id="ATT-01 absence exactly 12 months earlier is OUT of the window",
    ),
    pytest.param(
        "2025-07-01 09:00",
        "2026-07-01 08:59",
        [("ATT-01", "notice", None, "2026-07-01 08:59")],
        id="ATT-01 absence 12 months minus 1 min earlier is IN the window",
    ),
    pytest.param(
        "2025-02-28 09:00",
        "2026-02-28 09:00",
        [],
        id="ATT-01 window edge by calendar months (relativedelta), Feb",
    ),
]


@pytest.mark.parametrize(("absence_at", "post_left_at", "expected"), WINDOW)
def test_points_expire_with_the_window(
    absence_at: str, post_left_at: str, expected: list[tuple[str, str, str | None, str]]
) -> None:
    """ATT-01 (seed 000 一.4): 3 points, then 1 point; notice only while both are in the window."""
    facts = [absent("E1", absence_at), post_left(post_left_at)]
    assert rows(run(facts), "ATT-01") == expected


def test_recrossing_after_points_expire_issues_again() -> None:
    """ATT-01 (seed 000 一.4): a counter that fell below 4 and climbs back crosses 4 again.

    2025-01-10 absence (3), 2025-01-20 post left (4: notice). On 2026-01-15 the window is
    (2025-01-15, 2026-01-15]: the old absence is out, the post left (1) is in; a new absence
    takes the counter from 1 to 4: a second notice.
    """
    facts = [
        absent("E1", "2025-01-10 09:00"),
        post_left("2025-01-20 10:00"),
        absent("E1", "2026-01-15 09:00"),
    ]
    assert rows(run(facts), "ATT-01") == [
        ("ATT-01", "notice", None, "2025-01-20 10:00"),
        ("ATT-01", "notice", None, "2026-01-15 09:00"),
    ]


# -- ATT-01: ties at one timestamp (ordered by event_id) -----------------------------------

TIES = [
    pytest.param(
        (1, "attendance.late_arrival", {"minutes": 10}),
        (2, "attendance.absence", {"days": 1}),
        [("notice", 1), ("warning", 2)],
        id="ATT-01 tie: 0.5 first (id 1) -> notice, then absence -> 7 crosses 6 warning",
    ),
    pytest.param(
        (2, "attendance.late_arrival", {"minutes": 10}),
        (1, "attendance.absence", {"days": 1}),
        [("warning", 1)],
        id="ATT-01 tie: absence first (id 1) -> 6.5 warning, then 0.5 -> 7 nothing",
    ),
]


@pytest.mark.parametrize(("first", "second", "expected"), TIES)
def test_ties_are_ordered_by_event_id(
    first: tuple[int, str, dict[str, int]],
    second: tuple[int, str, dict[str, int]],
    expected: list[tuple[str, int]],
) -> None:
    """ATT-01 (RULEBOOK §0 order of facts): same ``occurred_at`` → string order of event_id.

    Base 3.5 points (absence 07-01, late 10 min 07-02), then two facts at 07-03 09:00.
    The result does not depend on the order the facts are passed in.
    """
    base = [absent("E1", "2026-07-01 09:00"), late("E1", "2026-07-02 09:10", minutes=10)]
    pair = [make_with_id(n, t, "2026-07-03 09:00", **d) for n, t, d in (first, second)]
    for ordered in ([*base, *pair], [*reversed(pair), *reversed(base)]):
        got = [(o.kind, o.caused_by) for o in records(run(ordered), "ATT-01")]
        assert got == [(kind, (event_id(n),)) for kind, n in expected]


def test_retraction_moves_the_crossing() -> None:
    """ATT-01 with RULEBOOK §10 correction.retracted: a retracted fact never counted.

    Absence 07-01 (3), post left 07-02 (4: notice), late 10 min 07-03, late 10 min 07-04.
    Retracting the post left: 3, 3.5, 4.0 → the notice moves to 07-04 and its cause changes.
    """
    left = post_left("2026-07-02 10:00")
    last = late("E1", "2026-07-04 09:10", minutes=10)
    facts = [absent("E1", "2026-07-01 09:00"), left, late("E1", "2026-07-03 09:10"), last]
    before = records(run(facts), "ATT-01")
    assert [(o.kind, o.caused_by) for o in before] == [("notice", (left.event_id,))]
    correction = retract(left, at="2026-07-10 12:00")
    after = run([*facts, correction])
    assert [(o.kind, o.caused_by) for o in records(after, "ATT-01")] == [
        ("notice", (last.event_id,))
    ]
    assert dict(after.retracted) == {left.event_id: correction.event_id}


def test_discipline_records_carry_their_fines() -> None:
    """ATT-01 + PAY-01 (RULEBOOK §0 fines): the warning at 6 points carries fine 50.00."""
    derivation = run([absent("E1", "2026-07-01 09:00"), absent("E1", "2026-07-02 09:00")])
    (warning,) = records(derivation, "ATT-01")
    fine = fines_of(derivation)[warning.sanction_id]
    assert (fine.rule.rule_id, fine.amount, fine.caused_by) == (
        "ATT-01",
        Decimal("50.00"),
        warning.caused_by,
    )
    assert findings(derivation) == []


# -- ATT-02: serious absence ---------------------------------------------------------------

SERIOUS = [
    pytest.param(
        [("2026-07-01 09:00", 1), ("2026-07-10 09:00", 1)],
        [],
        id="ATT-02 2 days in 30 days: nothing",
    ),
    pytest.param(
        [("2026-07-01 09:00", 1), ("2026-07-10 09:00", 1), ("2026-07-30 09:00", 1)],
        ["2026-07-30 09:00"],
        id="ATT-02 3 days within 30 days: dismissal_recommended at the 3rd",
    ),
    pytest.param(
        [("2026-07-01 09:00", 1), ("2026-07-15 09:00", 1), ("2026-07-31 09:00", 1)],
        [],
        id="ATT-02 3rd day exactly 30 days after the 1st: 1st is OUT",
    ),
    pytest.param(
        [("2026-07-01 09:00", 1), ("2026-07-15 09:00", 1), ("2026-07-31 08:59", 1)],
        ["2026-07-31 08:59"],
        id="ATT-02 3rd day 30 days minus 1 min after the 1st: IN",
    ),
    pytest.param(
        [("2026-07-01 09:00", 3)],
        ["2026-07-01 09:00"],
        id="ATT-02 one absence of 3 days",
    ),
    pytest.param(
        [(f"2026-07-0{d} 09:00", 1) for d in (1, 2, 3, 4)],
        ["2026-07-03 09:00"],
        id="ATT-02 4th day in the same 30 days: once per crossing",
    ),
    pytest.param(
        [(f"2026-{m:02d}-10 09:00", 1) for m in (1, 3, 5, 7)],
        [],
        id="ATT-02 4 days in 12 months, never 3 in 30: nothing",
    ),
    pytest.param(
        [(f"2026-{m:02d}-10 09:00", 1) for m in (1, 3, 5, 7, 9)],
        ["2026-09-10 09:00"],
        id="ATT-02 5 days within 12 months: dismissal_recommended at the 5th",
    ),
    pytest.param(
        [("2025-09-10 09:00", 1)] + [(f"2026-{m:02d}-10 09:00", 1) for m in (1, 3, 5, 9)],
        [],
        id="ATT-02 5th day exactly 12 months after the 1st: 1st is OUT",
    ),
    pytest.param(
        [(f"2026-07-0{d} 09:00", 1) for d in (1, 2, 3, 4, 5)],
        ["2026-07-03 09:00", "2026-07-05 09:00"],
        id="ATT-02 3-in-30 crossing, then the separate 5-in-12-months crossing",
    ),
    pytest.param(
        [("2026-07-01 09:00", 5)],
        ["2026-07-01 09:00"],
        id="ATT-02 one fact crossing both windows: issued once",
    ),
]


@pytest.mark.parametrize(("absences", "expected"), SERIOUS)
def test_serious_absence(absences: list[tuple[str, int]], expected: list[str]) -> None:
    """ATT-02 (seed 001 三.(二).2; 劳动合同法 第39条): 3 days / 30 days or 5 days / 12 months."""
    facts = [absent("E1", when, days=days) for when, days in absences]
    got = rows(run(facts), "ATT-02")
    assert got == [("ATT-02", "dismissal_recommended", None, when) for when in expected]


def test_serious_absence_has_no_fine_and_names_its_cause() -> None:
    """ATT-02 (劳动合同法 第39条): a recommendation for a human, caused by the crossing fact."""
    facts = [absent("E1", f"2026-07-0{d} 09:00") for d in (1, 2, 3)]
    derivation = run(facts)
    (recommendation,) = records(derivation, "ATT-02")
    assert recommendation.caused_by == (facts[2].event_id,)
    assert recommendation.amount is None
    assert recommendation.sanction_id not in fines_of(derivation)


def test_leave_never_counts_towards_serious_absence() -> None:
    """ATT-02 (RULEBOOK §1 "leave taken (any kind): 0, never"): leave is not absence."""
    facts = [leave(f"2026-07-0{d} 09:00", "sick", 5) for d in (1, 2, 3)]
    assert rows(run(facts)) == []
