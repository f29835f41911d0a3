"""Company time: periods, months and parsing instants, all in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ledger.errors import UsageError
from ledger.timeutil import (
    COMPANY_TZ,
    Period,
    months_of,
    parse_instant,
    quarter_of,
    start_of_day,
    to_company,
)


def _at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=COMPANY_TZ)


@pytest.mark.parametrize(
    ("label", "canonical", "start", "end"),
    [
        ("2026Q1", "2026Q1", _at(2026, 1, 1), _at(2026, 4, 1)),
        ("2026Q3", "2026Q3", _at(2026, 7, 1), _at(2026, 10, 1)),
        ("2026Q4", "2026Q4", _at(2026, 10, 1), _at(2027, 1, 1)),
        ("2026-07", "2026-07", _at(2026, 7, 1), _at(2026, 8, 1)),
        ("2026-12", "2026-12", _at(2026, 12, 1), _at(2027, 1, 1)),
        ("2028-02", "2028-02", _at(2028, 2, 1), _at(2028, 3, 1)),
        ("2026", "2026", _at(2026, 1, 1), _at(2027, 1, 1)),
        (" 2026Q3 ", "2026Q3", _at(2026, 7, 1), _at(2026, 10, 1)),
    ],
)
def test_a_period_label_parses_to_a_half_open_interval(
    label: str, canonical: str, start: datetime, end: datetime
) -> None:
    period = Period.parse(label)
    assert (period.label, period.start, period.end) == (canonical, start, end)


@pytest.mark.parametrize(
    "label",
    [
        "",
        "Q3",
        "26Q3",
        "2026Q0",
        "2026Q5",
        "2026q3",
        "2026-00",
        "2026-13",
        "2026-7",
        "2026-07-01",
        "2026 Q3",
        "Q3 2026",
        "twenty26",
    ],
)
def test_a_bad_period_label_is_a_usage_error(label: str) -> None:
    with pytest.raises(UsageError):
        Period.parse(label)


def test_a_period_contains_its_start_and_last_instant_but_not_its_end() -> None:
    period = Period.parse("2026-07")
    assert period.start in period
    assert period.last_instant in period
    assert period.end not in period
    assert period.last_instant == period.end - timedelta(microseconds=1)


def test_membership_compares_instants_whatever_their_offset() -> None:
    # 2026-06-30 16:00 UTC is midnight on 1 July in company time.
    assert datetime(2026, 6, 30, 16, 0, tzinfo=UTC) in Period.parse("2026Q3")
    assert datetime(2026, 6, 30, 15, 59, tzinfo=UTC) not in Period.parse("2026Q3")


@pytest.mark.parametrize(
    ("label", "months"),
    [
        ("2026Q3", ["2026-07", "2026-08", "2026-09"]),
        ("2026Q4", ["2026-10", "2026-11", "2026-12"]),
        ("2026-02", ["2026-02"]),
        ("2026", [f"2026-{m:02d}" for m in range(1, 13)]),
    ],
)
def test_months_of_lists_the_months_of_a_period_in_order(label: str, months: list[str]) -> None:
    assert [m.label for m in months_of(Period.parse(label))] == months


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-03T09:12:00+08:00", _at(2026, 7, 3, 9, 12)),
        ("2026-07-03T01:12:00Z", _at(2026, 7, 3, 9, 12)),
        ("2026-07-02T21:12:00-04:00", _at(2026, 7, 3, 9, 12)),
        ("2026-07-03", _at(2026, 7, 3)),
    ],
)
def test_parse_instant_reads_iso_8601_into_company_time(text: str, expected: datetime) -> None:
    parsed = parse_instant(text)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    "text", ["2026-07-03T09:12:00", "2026-07-03 09:12", "yesterday", "", "2026-13-01"]
)
def test_parse_instant_refuses_text_without_an_offset_or_not_a_date(text: str) -> None:
    with pytest.raises(UsageError):
        parse_instant(text)


def test_to_company_refuses_a_naive_datetime() -> None:
    with pytest.raises(UsageError):
        to_company(datetime(2026, 7, 3, 9, 12))


def test_quarter_of_uses_the_company_calendar() -> None:
    # 30 September 17:00 UTC is already 1 October in Shanghai.
    assert quarter_of(datetime(2026, 9, 30, 17, 0, tzinfo=UTC)).label == "2026Q4"


def test_start_of_day_is_company_midnight() -> None:
    assert start_of_day(date(2026, 7, 3)) == _at(2026, 7, 3)
