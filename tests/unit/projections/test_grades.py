"""The quarterly obedience grade GRD-01 (RULEBOOK §8; seed 001 三.(三).1), worked by hand.

Over the outcomes issued in the quarter that are in the truth and not revoked by its end::

    score = 100 - 2 x notices - 10 x warnings - 20 x demerits - 30 x major demerits
            + min(10, 5 x commendations), within [0, 100]

Levels: >= 90 excellent, 80-89 good, 60-79 qualified, < 60 unqualified. Caps at the
quarter's end: a live demerit or major demerit -> at most qualified; else a live warning ->
at most good.

Facts used (RULEBOOK §3-5): ``task.meeting_missed`` -> notice (OBD-04); discourtesy -> warning
(CND-01); confidentiality -> demerit, with customer data -> major demerit; a good deed ->
commendation (REC-04), which revokes the oldest live, unrevoked, unescalated warning (REC-05).
Two live warnings escalate to a demerit (ESC-01). Times are company time (Asia/Shanghai).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

import pytest

from ledger.app import Ledger
from ledger.events import Event, GradeAssigned
from ledger.policies.engine import Derivation, derive
from ledger.policies.grades import Grade, employment_quarters, quarter_grade
from ledger.policies.rulebook import AdoptedRulebook, Rulebook, RulebookSet
from ledger.testing import (
    ManualClock,
    appeal_decided,
    appeal_filed,
    hired,
    instant,
    make,
    retract,
)
from ledger.timeutil import Period

EMP = "E1"
Q3 = Period.parse("2026Q3")
FAR = instant("2030-01-01 00:00")
DEFAULT = RulebookSet([AdoptedRulebook.from_document(Rulebook.default_document())])


# -- fact builders -----------------------------------------------------------------------------


def notice(at: str) -> Event:
    return make("task.meeting_missed", EMP, at, meeting="morning briefing")


def warning(at: str) -> Event:
    return make("conduct.violation", EMP, at, kind="discourtesy", description="rude to a guest")


def demerit(at: str) -> Event:
    return make("conduct.violation", EMP, at, kind="confidentiality", description="leaked a memo")


def major(at: str) -> Event:
    return make(
        "conduct.violation",
        EMP,
        at,
        kind="confidentiality",
        customer_data=True,
        description="leaked customer data",
    )


def good_deed(at: str) -> Event:
    return make("recognition.good_deed", EMP, at, description="returned a lost wallet")


def days(maker: Callable[[str], Event], count: int, month: int = 7) -> list[Event]:
    """``count`` facts from ``maker``, one a day from the 1st of ``month`` 2026 at 10:00."""
    return [maker(f"2026-{month:02d}-{day:02d} 10:00") for day in range(1, count + 1)]


def grade(
    facts: Sequence[Event], quarter: Period = Q3, books: RulebookSet = DEFAULT
) -> tuple[str, int, str | None]:
    result = graded(facts, quarter, books)
    return result.level, result.score, result.capped_by


def graded(facts: Sequence[Event], quarter: Period = Q3, books: RulebookSet = DEFAULT) -> Grade:
    result = quarter_grade(derive(EMP, facts, books, FAR), quarter, books)
    assert result is not None
    return result


def sanction_of(derived: Derivation, kind: str) -> UUID:
    (found,) = [o.sanction_id for o in derived.outcomes if o.kind == kind]
    return found


def components(result: Grade) -> dict[str, tuple[int, int]]:
    return {c.kind: (c.count, c.points) for c in result.components}


# -- the score ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "level", "score"),
    [
        pytest.param([], "excellent", 100, id="no outcomes scores 100"),
        pytest.param(days(notice, 1), "excellent", 98, id="1 notice: 100-2"),
        pytest.param(days(notice, 5), "excellent", 90, id="5 notices: 90 is excellent"),
        pytest.param(
            [*days(notice, 8), good_deed("2026-08-01 10:00")], "good", 89, id="100-16+5=89 good"
        ),
        pytest.param(days(notice, 10), "good", 80, id="10 notices: 80 is good"),
        pytest.param(
            [*days(notice, 13), good_deed("2026-08-01 10:00")],
            "qualified",
            79,
            id="100-26+5=79 qualified",
        ),
        pytest.param(days(notice, 20), "qualified", 60, id="20 notices: 60 is qualified"),
        pytest.param(
            [*days(notice, 23), good_deed("2026-08-01 10:00")],
            "unqualified",
            59,
            id="100-46+5=59 unqualified",
        ),
        pytest.param(
            [*days(notice, 8), *days(good_deed, 3, month=8)],
            "excellent",
            94,
            id="commendations add at most 10: 100-16+min(10,15)=94",
        ),
        pytest.param(days(good_deed, 3), "excellent", 100, id="capped at 100"),
        pytest.param(days(major, 4), "unqualified", 0, id="floored at 0: 100-4x30"),
    ],
)
def test_score_arithmetic_and_level_boundaries(facts: list[Event], level: str, score: int) -> None:
    result = graded(facts)
    assert (result.level, result.score, result.capped_by) == (level, score, None)


def test_components_show_the_arithmetic() -> None:
    # Commendation first (no warning to offset yet), then a warning and a notice: the worked
    # example of RULEBOOK §8: 100 - 2 - 10 + 5 = 93, capped to good by the live warning.
    facts = [
        good_deed("2026-07-02 10:00"),
        warning("2026-07-10 10:00"),
        notice("2026-07-20 10:00"),
    ]
    result = graded(facts)
    assert components(result) == {
        "notice": (1, -2),
        "warning": (1, -10),
        "demerit": (0, 0),
        "major_demerit": (0, 0),
        "commendation": (1, 5),
    }
    assert (result.score, result.level, result.period) == (93, "good", "2026Q3")
    assert result.rulebook_version == 1


def test_only_outcomes_issued_in_the_quarter_count() -> None:
    facts = [notice("2026-06-30 23:59"), notice("2026-07-01 00:00"), notice("2026-10-01 00:00")]
    assert grade(facts) == ("excellent", 98, None)


# -- caps at the quarter's end -----------------------------------------------------------------


def test_a_live_warning_caps_at_good() -> None:
    facts = [warning("2026-07-10 10:00")]
    level, score, capped_by = grade(facts)
    assert (level, score) == ("good", 90)
    warned = sanction_of(derive(EMP, facts, DEFAULT, FAR), "warning")
    assert capped_by is not None and "warning" in capped_by and str(warned) in capped_by


def test_a_live_demerit_caps_at_qualified() -> None:
    facts = [demerit("2026-07-10 10:00")]
    level, score, capped_by = grade(facts)
    assert (level, score) == ("qualified", 80)
    assert capped_by is not None and "demerit" in capped_by


def test_a_live_major_demerit_caps_at_qualified() -> None:
    facts = [major("2026-07-10 10:00"), *days(good_deed, 2, month=8)]  # 100 - 30 + 10 = 80
    level, score, capped_by = grade(facts)
    assert (level, score) == ("qualified", 80)
    assert capped_by is not None and "major_demerit" in capped_by


@pytest.mark.parametrize(
    "facts",
    [
        pytest.param(
            [demerit("2025-10-15 10:00"), warning("2026-05-10 10:00")], id="demerit first"
        ),
        pytest.param(
            [warning("2026-05-10 10:00"), demerit("2026-06-10 10:00")], id="warning first"
        ),
    ],
)
def test_a_live_demerit_and_a_live_warning_cap_at_qualified(facts: list[Event]) -> None:
    # Both from earlier quarters, both live at Q3's end; Q3 itself scores 100.
    level, score, capped_by = grade(facts)
    assert (level, score) == ("qualified", 100)
    assert capped_by is not None and "demerit" in capped_by and "warning" not in capped_by


def test_a_cap_that_does_not_lower_the_level_is_not_reported() -> None:
    # One major demerit: 70, qualified by score; the cap (qualified) changes nothing.
    assert grade([major("2026-07-10 10:00")]) == ("qualified", 70, None)
    # Two warnings escalate to a demerit (ESC-01): 100 - 10 - 10 - 20 = 60, qualified anyway.
    assert grade([warning("2026-07-10 10:00"), warning("2026-07-20 10:00")]) == (
        "qualified",
        60,
        None,
    )


def test_a_record_from_an_earlier_quarter_still_live_caps_without_counting() -> None:
    # A warning of 10 June (live 6 months, to 10 December) caps 2026Q3 at good; Q3 scores 100.
    level, score, capped_by = grade([warning("2026-06-10 10:00")])
    assert (level, score) == ("good", 100) and capped_by is not None
    # A demerit of 15 October 2025 (live 12 months, to 15 October 2026) caps it at qualified.
    level, score, capped_by = grade([demerit("2025-10-15 10:00")])
    assert (level, score) == ("qualified", 100) and capped_by is not None
    # A demerit of 15 July 2025 expired on 15 July 2026, before Q3's end: no cap.
    assert grade([demerit("2025-07-15 10:00")]) == ("excellent", 100, None)


def test_a_warning_expiring_exactly_at_the_quarters_end_caps_it() -> None:
    # Issued 1 April 00:00, live 6 months: to 1 October 00:00, so live through Q3's last
    # instant. Reading chosen: "at the quarter's end" is the quarter's last instant.
    level, score, capped_by = grade([warning("2026-04-01 00:00")])
    assert (level, score) == ("good", 100) and capped_by is not None
    # A day earlier it expired on 30 September: no cap.
    assert grade([warning("2026-03-31 00:00")]) == ("excellent", 100, None)


def test_a_warning_issued_in_the_quarter_but_expired_before_its_end_counts_without_capping() -> (
    None
):
    text = Rulebook.default_document().replace(
        "[live_months]      # how long a record stays live after its issue time\nwarning = 6",
        "[live_months]      # how long a record stays live after its issue time\nwarning = 1",
    )
    assert text != Rulebook.default_document()
    short = RulebookSet([AdoptedRulebook.from_document(text)])
    # 10 July + 1 month = 10 August, before 1 October: -10 in the score, no cap.
    assert grade([warning("2026-07-10 10:00")], books=short) == ("excellent", 90, None)
    # Issued 5 September it is live until 5 October: capped.
    level, score, capped_by = grade([warning("2026-09-05 10:00")], books=short)
    assert (level, score) == ("good", 90) and capped_by is not None


# -- revocation, appeal, retraction ------------------------------------------------------------


def test_a_warning_revoked_by_a_commendation_neither_counts_nor_caps() -> None:
    # REC-05: the good deed of 20 July revokes the warning of 10 July.
    facts = [warning("2026-07-10 10:00"), good_deed("2026-07-20 10:00")]
    derived = derive(EMP, facts, DEFAULT, FAR)
    assert [r.sanction_id for r in derived.revocations] == [sanction_of(derived, "warning")]
    result = graded(facts)
    assert (result.level, result.score, result.capped_by) == ("excellent", 100, None)
    assert components(result)["warning"] == (0, 0)
    assert components(result)["commendation"] == (1, 5)


def test_a_warning_revoked_after_the_quarter_counts_and_caps_that_quarter_only() -> None:
    facts = [warning("2026-09-10 10:00"), good_deed("2026-10-20 10:00")]
    level, score, capped_by = grade(facts)
    assert (level, score) == ("good", 90) and capped_by is not None
    # 2026Q4: the commendation counts (+5, capped at 100), the warning is revoked by its end.
    assert grade(facts, Period.parse("2026Q4")) == ("excellent", 100, None)


def test_a_warning_voided_on_appeal_was_never_issued() -> None:
    rude = warning("2026-07-10 10:00")
    warned = sanction_of(derive(EMP, [rude], DEFAULT, FAR), "warning")
    facts = [rude, appeal_decided(EMP, "2026-07-20 10:00", sanction_id=warned)]
    assert grade(facts) == ("excellent", 100, None)


def test_a_retracted_observation_never_counted() -> None:
    leak = demerit("2026-07-10 10:00")
    assert grade([leak, retract(leak)]) == ("excellent", 100, None)


# -- employment quarters -----------------------------------------------------------------------


def labels(quarters: list[Period]) -> list[str]:
    return [q.label for q in quarters]


def test_every_quarter_of_employment_that_has_ended() -> None:
    hire = hired(EMP, "2026-02-20 09:00", hired_on=instant("2026-02-16 00:00").date())
    assert labels(employment_quarters([hire], instant("2026-10-01 00:00"))) == [
        "2026Q1",
        "2026Q2",
        "2026Q3",
    ]
    assert labels(employment_quarters([hire], instant("2026-09-30 23:59"))) == [
        "2026Q1",
        "2026Q2",
    ]
    assert employment_quarters([hire], instant("2026-03-31 23:59")) == []


def test_employment_runs_from_hired_on_else_the_first_fact_until_separation() -> None:
    # hired_on (16 March) counts, not the day the hire was recorded (2 April).
    hire = hired(EMP, "2026-04-02 09:00", hired_on=instant("2026-03-16 00:00").date())
    assert labels(employment_quarters([hire], instant("2026-07-01 00:00"))) == [
        "2026Q1",
        "2026Q2",
    ]
    # No hire recorded: from the first fact.
    first = [notice("2026-05-10 10:00"), notice("2026-08-10 10:00")]
    assert labels(employment_quarters(first, instant("2027-01-01 00:00"))) == [
        "2026Q2",
        "2026Q3",
        "2026Q4",
    ]
    # Separated on 10 May: 2026Q2 is the last graded quarter.
    left = make("employee.separated", EMP, "2026-05-10 18:00", reason="resigned")
    assert labels(employment_quarters([hire, left], instant("2027-01-01 00:00"))) == [
        "2026Q1",
        "2026Q2",
    ]
    assert employment_quarters([], instant("2027-01-01 00:00")) == []


# -- recording by tick and superseding ---------------------------------------------------------


class Books:
    def __init__(self) -> None:
        self.clock = ManualClock("2026-01-05 09:00")
        self.ledger = Ledger.in_memory(clock=self.clock)

    def record(self, when: str, *events: Event) -> None:
        self.clock.set(when)
        self.ledger.record(list(events))

    def tick(self, when: str) -> None:
        self.ledger.tick(self.clock.set(when))

    def grades(self) -> list[tuple[Event, GradeAssigned]]:
        return [(e, e.data) for e in self.ledger.history(EMP) if isinstance(e.data, GradeAssigned)]


def test_tick_records_grades_for_ended_quarters_only() -> None:
    book = Books()
    book.record("2026-05-04 09:00", hired(EMP, "2026-05-04 09:00"))
    book.record("2026-07-11 09:00", warning("2026-07-10 10:00"))
    book.tick("2026-09-30 23:59")
    assert [g.period for _, g in book.grades()] == ["2026Q2"]
    book.tick("2026-10-01 00:00")
    recorded = book.grades()
    assert [g.period for _, g in recorded] == ["2026Q2", "2026Q3"]
    event, q3 = recorded[1]
    assert (q3.level, q3.score, q3.supersedes) == ("good", 90, None)
    assert q3.capped_by is not None and "warning" in q3.capped_by
    assert event.occurred_at == instant("2026-10-01 00:00")  # the quarter's end
    assert event.recorded_by == "ledger"
    # Ticking again, or later in the same quarter, records no new grade.
    book.tick("2026-10-01 00:00")
    book.tick("2026-11-15 00:00")
    assert len(book.grades()) == 2


def test_a_retraction_supersedes_the_grade_of_a_closed_quarter_with_a_reason() -> None:
    book = Books()
    book.record("2026-05-04 09:00", hired(EMP, "2026-05-04 09:00"))
    leak = demerit("2026-08-10 10:00")
    book.record("2026-08-21 09:00", leak, notice("2026-08-20 10:00"))
    book.tick("2026-10-01 00:00")
    (first_event, first) = book.grades()[-1]
    assert (first.period, first.level, first.score) == ("2026Q3", "qualified", 78)

    book.record("2026-10-12 09:00", retract(leak, at="2026-10-12 09:00", reason="wrong person"))
    q3 = [(e, g) for e, g in book.grades() if g.period == "2026Q3"]
    assert len(q3) == 2  # the first grade stays in the log; a new one supersedes it
    event, latest = q3[1]
    assert (latest.level, latest.score, latest.capped_by) == ("excellent", 98, None)
    assert latest.supersedes == first_event.event_id
    assert "2026Q3" in latest.reason and "78" in latest.reason and "98" in latest.reason
    assert event.occurred_at == instant("2026-10-12 09:00")  # when the truth changed
    # 2026Q2 did not change: not superseded. Nothing more on a re-tick.
    assert [g.period for _, g in book.grades()].count("2026Q2") == 1
    book.tick("2026-10-12 09:00")
    assert len(book.grades()) == 3


def test_an_upheld_appeal_supersedes_the_grade_and_a_rejected_one_does_not() -> None:
    book = Books()
    book.record("2026-05-04 09:00", hired(EMP, "2026-05-04 09:00"))
    book.record("2026-07-11 09:00", warning("2026-07-10 10:00"))
    book.tick("2026-10-01 00:00")
    warned = sanction_of(book.ledger.derive(EMP), "warning")
    count = len(book.grades())
    rejected = appeal_decided(EMP, "2026-10-05 10:00", sanction_id=warned, outcome="rejected")
    book.record("2026-10-04 10:00", appeal_filed(EMP, "2026-10-04 10:00", sanction_id=warned))
    book.record("2026-10-05 10:00", rejected)
    assert len(book.grades()) == count
    book.record("2026-10-05 12:00", appeal_filed(EMP, "2026-10-05 12:00", sanction_id=warned))
    book.record("2026-10-06 10:00", appeal_decided(EMP, "2026-10-06 10:00", sanction_id=warned))
    _, latest = book.grades()[-1]
    assert (latest.period, latest.level, latest.score) == ("2026Q3", "excellent", 100)
    assert latest.supersedes is not None and latest.reason
