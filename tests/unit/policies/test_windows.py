"""``ledger.policies.windows.window_start`` is ``moment - length`` exactly (docs/ARCHITECTURE.md,
"Derivation state": the windowed rules), on month ends, leap days and any zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from ledger.policies.windows import window_start
from ledger.timeutil import COMPANY_TZ

ZONES = st.sampled_from([COMPANY_TZ, ZoneInfo("America/New_York"), ZoneInfo("UTC")])
LENGTHS = st.builds(
    relativedelta,
    years=st.integers(0, 2),
    months=st.integers(0, 24),
    days=st.integers(0, 400),
    hours=st.sampled_from([0, 0, 0, 5]),
    leapdays=st.sampled_from([0, 0, 0, -1]),
    day=st.sampled_from([None, None, None, 31]),
    weekday=st.sampled_from([None, None, None, 0]),
)
MOMENTS = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 12, 31))


@given(MOMENTS, ZONES, LENGTHS)
def test_window_start_is_the_subtraction(
    naive: datetime, zone: ZoneInfo, length: relativedelta
) -> None:
    moment = naive.replace(tzinfo=zone)
    expected = moment - length
    found = window_start(moment, length)
    assert (found, found.tzinfo, found.fold) == (expected, expected.tzinfo, expected.fold)


def test_month_ends_clip_as_relativedelta_does() -> None:
    moment = datetime(2024, 3, 31, 9, 30, tzinfo=COMPANY_TZ)
    assert window_start(moment, relativedelta(months=1)) == datetime(
        2024, 2, 29, 9, 30, tzinfo=COMPANY_TZ
    )
    assert window_start(moment, relativedelta(months=13)) == datetime(
        2023, 2, 28, 9, 30, tzinfo=COMPANY_TZ
    )


def test_a_length_in_fractions_of_a_day_is_subtracted_as_it_is() -> None:
    moment = datetime(2024, 3, 10, 12, 0, tzinfo=ZoneInfo("America/New_York"))
    for length in (relativedelta(days=1.5), relativedelta(months=1, days=0.25)):
        assert window_start(moment, length) == moment - length
