"""Which facts count: none before the hire is recorded, none before ``hired_on``
(ledger.policies.hiring; issue 13)."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.events import Event
from ledger.policies.hiring import employed, employment_start, unhired_finding
from ledger.testing import absent, hired, instant, late, retract

HIRE = hired("E1", "2026-07-10 09:00", hired_on=date(2026, 7, 5))
BEFORE = late("E1", at="2026-07-04 09:10")
ON_THE_DAY = late("E1", at="2026-07-05 00:00")
AFTER = absent("E1", at="2026-07-06 09:00")


@pytest.mark.parametrize(
    ("events", "counted"),
    [
        ([BEFORE, ON_THE_DAY, AFTER], []),  # never hired: nothing counts
        ([BEFORE, ON_THE_DAY, AFTER, HIRE], [ON_THE_DAY, AFTER, HIRE]),  # from hired_on on
        ([HIRE, AFTER], [HIRE, AFTER]),
        ([BEFORE, HIRE, retract(HIRE, at="2026-07-11 09:00")], []),  # a retracted hire
    ],
)
def test_employed_keeps_the_facts_from_hired_on_of_a_hire_that_stands(
    events: list[Event], counted: list[Event]
) -> None:
    kept = employed(events)
    assert [e for e in kept if e.type != "correction.retracted"] == counted


def test_the_employment_starts_at_the_earliest_hired_on() -> None:
    rehire = hired("E1", "2026-08-01 09:00", hired_on=date(2026, 8, 1))
    assert employment_start([rehire, HIRE]) == instant("2026-07-05 00:00")
    assert employment_start([BEFORE]) is None


def test_the_finding_names_the_idle_facts() -> None:
    never = unhired_finding("E1", [BEFORE, AFTER])
    assert never is not None and never.code == "not_hired"
    assert never.event_ids == (BEFORE.event_id, AFTER.event_id)
    early = unhired_finding("E1", [BEFORE, AFTER, HIRE])
    assert early is not None and early.code == "before_hire"
    assert early.event_ids == (BEFORE.event_id,)
    assert unhired_finding("E1", [HIRE, AFTER]) is None
