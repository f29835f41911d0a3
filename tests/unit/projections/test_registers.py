"""The complaint board and the department summary (GRD-01 quota; SVC-02/03 clocks)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from projection_helpers import build, card, meeting_missed, rude, staff, view

from ledger.events import Event
from ledger.projections.registers import (
    BOARD_TYPES,
    ComplaintStream,
    complaint_board,
    department_summary,
    excellent_quota,
    readable,
)
from ledger.testing import complaint_received, instant, make, retract

AFTER_Q3 = "2026-10-15 12:00"


@pytest.mark.parametrize(
    ("graded", "percent", "quota"),
    [(5, 20, 1), (6, 20, 1), (9, 20, 1), (10, 20, 2), (14, 20, 2), (15, 20, 3), (3, 20, 1)],
)
def test_the_excellent_quota_rounds_down_but_allows_at_least_one(
    graded: int, percent: int, quota: int
) -> None:
    assert excellent_quota(graded, percent) == quota
    assert excellent_quota(0, 20) == 1


def quarter() -> list[Event]:
    """front-desk: F1 100, F2 100, F3 98, F4 96 (excellent), F5 90 capped good, F6 80 good.

    call-centre: C1 100, C2 100 (excellent) and a suggestion bonus.
    """
    return [
        *staff("F1"),
        *staff("F2"),
        *staff("F3"),
        meeting_missed("F3", "2026-07-02 10:00"),
        *staff("F4"),
        meeting_missed("F4", "2026-07-02 10:00"),
        meeting_missed("F4", "2026-07-03 10:00"),
        *staff("F5"),
        rude("F5", "2026-08-01 10:00"),
        *staff("F6"),
        *(meeting_missed("F6", f"2026-07-1{d} 10:00") for d in range(10)),
        *staff("C1", department="call-centre"),
        *staff("C2", department="call-centre"),
        make("recognition.suggestion_adopted", "C2", "2026-09-01 10:00", tier=2),
    ]


def test_the_department_summary_reports_the_quota_and_calibrates_only_when_asked() -> None:
    ledger = build(quarter())
    cards = [card(ledger, e, "2026Q3", AFTER_Q3) for e in sorted(ledger.employees())]
    assert [(c.employee_id, c.grade.level, c.grade.score) for c in cards] == [
        ("C1", "excellent", 100),
        ("C2", "excellent", 100),
        ("F1", "excellent", 100),
        ("F2", "excellent", 100),
        ("F3", "excellent", 98),
        ("F4", "excellent", 96),
        ("F5", "good", 90),
        ("F6", "good", 80),
    ]
    report = department_summary(cards, 20)
    centre, desk = report.departments
    assert (desk.department, desk.quarter, desk.employees) == ("front-desk", "2026Q3", 6)
    assert dict(desk.distribution) == {
        "excellent": 4,
        "good": 2,
        "qualified": 0,
        "unqualified": 0,
        "ungraded": 0,
    }
    # 6 x 20 % = 1.2 -> 1 allowed; 4 excellent -> 3 over.
    assert (desk.quota, desk.excess, desk.over_quota, desk.calibrated) == (1, 3, True, ())
    assert (centre.quota, centre.excess) == (1, 1)  # 2 x 20 % = 0.4 -> at least 1
    assert str(desk.fines_total) == "50.00" and str(centre.bonuses_total) == "300.00"
    assert report.scorecards == tuple(cards)  # reported, not applied

    calibrated = department_summary(cards, 20, calibrate=True)
    centre, desk = calibrated.departments
    # The lowest scores go first; F1 and F2 tie at 100 and the higher id yields.
    assert [c.employee_id for c in desk.calibrated] == ["F2", "F3", "F4"]
    assert [c.employee_id for c in centre.calibrated] == ["C2"]
    assert desk.final["excellent"] == 1 and desk.final["good"] == 5
    assert desk.distribution["excellent"] == 4
    by_id = {c.employee_id: c for c in calibrated.scorecards}
    assert by_id["F3"].grade.level == "good" and by_id["F3"].grade.calibrated_from == "excellent"
    assert by_id["F3"].grade.score == 98
    assert "over a quota of 1 (20 % of 6 graded" in by_id["F3"].grade.note
    assert by_id["F1"].grade.level == "excellent" and by_id["F1"].grade.calibrated_from is None
    assert [c.employee_id for c in calibrated.scorecards] == [c.employee_id for c in cards]
    assert desk.to_json()["calibrated"][0]["to"] == "good"


def test_employees_not_graded_are_outside_the_quota() -> None:
    # For the year 2026 as of 11-15 the grade shown is 2026Q3's; N1 joined in Q4.
    ledger = build([*staff("N1", "2026-11-02", qualified=None), *staff("N2"), *staff("N3")])
    cards = [card(ledger, e, "2026", "2026-11-15 00:00") for e in ("N1", "N2", "N3")]
    assert {c.department for c in cards} == {"front-desk"}
    (desk,) = department_summary(cards, 50).departments
    assert desk.distribution["ungraded"] == 1
    assert (desk.quota, desk.excess) == (1, 1)  # 2 graded x 50 % = 1


def test_the_board_shows_open_complaints_with_time_left_on_each_deadline() -> None:
    def fact(emp: str, kind: str, when: str, cid: str) -> Event:
        return make(f"service.complaint_{kind}", emp, when, complaint_id=cid)

    wrong = complaint_received("E2", "2026-07-01 07:00", complaint_id="C0")
    ledger = build(
        [
            *staff("E2", department="complaints"),
            complaint_received("E2", "2026-07-01 10:00", complaint_id="C1"),
            complaint_received("E2", "2026-07-01 08:00", complaint_id="C2"),
            fact("E2", "replied", "2026-07-01 09:00", "C2"),
            complaint_received("E2", "2026-07-01 11:00", complaint_id="C3"),
            fact("E2", "resolved", "2026-07-01 12:00", "C3"),
            complaint_received("E2", "2026-07-01 11:30", complaint_id="C4"),
            fact("E2", "dismissed", "2026-07-01 12:00", "C4"),
            wrong,
            retract(wrong),
            complaint_received("E5", "2026-07-02 08:30", complaint_id="C5"),
        ],
        tick=None,
    )
    now = "2026-07-02 09:00"
    views = [view(ledger, e, now) for e in ("E2", "E5")]
    board = complaint_board(views, instant(now))
    assert [(c.complaint_id, c.handler) for c in board] == [
        ("C2", "E2"),
        ("C1", "E2"),
        ("C5", "E5"),
    ]
    c2, c1, c5 = board
    assert c2.reply_left is None and c2.resolve_left == timedelta(hours=23)
    assert c1.reply_left == timedelta(hours=1) and c1.resolve_left == timedelta(hours=25)
    assert not c1.overdue and c1.department == "complaints" and c5.department is None
    assert c1.to_json()["reply_left_seconds"] == 3600
    late = complaint_board([view(ledger, "E2", "2026-07-02 11:00")], instant("2026-07-02 11:00"))
    assert [c.complaint_id for c in late] == ["C2", "C1"]
    assert late[1].overdue and late[1].reply_left == timedelta(hours=-1)
    assert not late[0].overdue


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(hours=25), "1d 1h left"),
        (timedelta(hours=5, minutes=7), "5h 07m left"),
        (timedelta(hours=-1), "overdue 1h 00m"),
        (timedelta(days=-2, hours=-3), "overdue 2d 3h"),
    ],
)
def test_readable_time_left(delta: timedelta, text: str) -> None:
    assert readable(delta) == text


def test_the_board_from_type_index_streams_equals_the_board_from_views() -> None:
    wrong = complaint_received("E2", "2026-07-01 07:00", complaint_id="C0")
    ledger = build(
        [
            *staff("E2", department="complaints"),
            complaint_received("E2", "2026-07-01 10:00", complaint_id="C1"),
            make("service.complaint_replied", "E2", "2026-07-01 11:00", complaint_id="C1"),
            wrong,
            retract(wrong),
            rude("E2", "2026-07-01 12:00"),
            complaint_received("E5", "2026-07-02 08:30", complaint_id="C5"),
        ],
        tick=None,
    )
    now = instant("2026-07-02 09:00")
    streams: dict[str, list[Event]] = {}
    for recorded in ledger.store.read(types=BOARD_TYPES):
        streams.setdefault(recorded.event.employee_id, []).append(recorded.event)
    light = [ComplaintStream(e, tuple(f), ledger.rulebooks()) for e, f in sorted(streams.items())]
    full = [view(ledger, e, "2026-07-02 09:00") for e in ("E2", "E5")]
    assert complaint_board(light, now) == complaint_board(full, now)
    assert [c.complaint_id for c in complaint_board(light, now)] == ["C1", "C5"]
