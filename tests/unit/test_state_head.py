"""Where a stored derivation state pauses, and where its prior does, read from the head of
its text (docs/ARCHITECTURE.md, "Derivation state": the prior state)."""

from __future__ import annotations

from datetime import datetime

import pytest

from ledger.policies import incremental
from ledger.policies.incremental import FORMAT, paused_at, prior_at
from ledger.timeutil import COMPANY_TZ

AT = "2026-09-22T00:00:00+08:00"
PRIOR = "2026-08-20T00:00:00+08:00"


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(COMPANY_TZ)


@pytest.mark.parametrize(
    ("text", "at", "prior"),
    [
        (f'{{"format":{FORMAT},"at":"{AT}","prior":"{PRIOR}","version":7}}', AT, PRIOR),
        (f'{{"format":{FORMAT},"at":"{AT}","prior":null,"version":7}}', AT, None),
        (f'{{"format":{FORMAT},"at":"{AT}","version":7}}', AT, "not said"),
        (f'{{"format":{FORMAT + 1},"at":"{AT}","prior":null}}', None, "not said"),
        (f'{{"format":{FORMAT},"at":"yesterday","prior":null}}', None, "not said"),
        (f'{{"format":{FORMAT},"at":"{AT}', None, "not said"),
        ("", None, "not said"),
    ],
    ids=["prior", "no prior", "silent", "other format", "bad time", "cut short", "empty"],
)
def test_the_head_of_a_state_text(text: str, at: str | None, prior: str | None) -> None:
    assert paused_at(text) == (moment(at) if at else None)
    found = prior_at(text)
    if prior == "not said":
        assert found is incremental._NOT_SAID
    else:
        assert found == (moment(prior) if prior else None)


def test_a_written_state_says_where_it_and_its_prior_pause() -> None:
    from datetime import date, timedelta

    from ledger.app import Ledger
    from ledger.store import MemoryStore
    from ledger.testing import ManualClock, hired, instant, late

    ledger = Ledger(MemoryStore(), clock=ManualClock(instant("2026-10-01 06:00")))
    ledger.states_every = 1
    ledger.prior_lag = timedelta(days=2)
    ledger.record(hired("E1", "2026-06-30 09:00", hired_on=date(2026, 1, 1)))
    for day in range(6):
        ledger.record([late("E1", at=instant("2026-07-01 09:20") + timedelta(days=day))])
    (text,) = [v for _, _, v in ledger.store.projection_rows(incremental.PROJECTION, "E1")]
    (prior,) = [v for _, _, v in ledger.store.projection_rows(incremental.PRIOR, "E1")]
    state = incremental.decode(text, "E1", ledger.rulebooks())
    older = incremental.decode(prior, "E1", ledger.rulebooks())
    assert state is not None and older is not None
    assert paused_at(text) == state.at and paused_at(prior) == older.at
    assert prior_at(text) == older.at < state.at
    # A worker process encodes without the prior; the writer splices it in, as encode would.
    for where in (older.at, None):
        assert incremental.with_prior(incremental.encode(state), where) == incremental.encode(
            state, where
        )
    assert incremental.with_prior(text, None) == text  # (already says: unchanged)
