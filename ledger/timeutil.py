"""Company time: the time zone, periods and rolling windows.

All calendar arithmetic happens in company time (Asia/Shanghai). Periods are written
``2026Q3`` (quarter), ``2026-07`` (month) or ``2026`` (year); a period is the half-open
interval ``[start, end)`` of aware datetimes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.parser import isoparse
from dateutil.relativedelta import relativedelta

from ledger.errors import UsageError

__all__ = [
    "COMPANY_TZ",
    "Period",
    "month_of",
    "months_of",
    "parse_instant",
    "quarter_of",
    "start_of_day",
    "to_company",
    "to_the_second",
]

COMPANY_TZ = ZoneInfo("Asia/Shanghai")

_PERIOD = re.compile(r"^(?P<y>\d{4})(?:(?:Q(?P<q>[1-4]))|(?:-(?P<m>\d{2})))?$")


def to_company(moment: datetime) -> datetime:
    """Return ``moment`` expressed in company time.

    Raises:
        UsageError: ``moment`` has no time zone.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise UsageError(f"datetime {moment.isoformat()} has no time zone")
    return moment.astimezone(COMPANY_TZ)


def parse_instant(text: str, *, what: str = "time") -> datetime:
    """Parse an ISO 8601 instant; a bare date means its midnight in company time.

    Raises:
        UsageError: the text is not ISO 8601, or it is a date-time without a time zone.
    """
    try:
        parsed = isoparse(text)
    except (ValueError, OverflowError) as exc:
        raise UsageError(f"{what} {text!r} is not an ISO 8601 date or date-time") from exc
    if parsed.tzinfo is None:
        if len(text.strip()) == 10:
            return parsed.replace(tzinfo=COMPANY_TZ)
        raise UsageError(f"{what} {text!r} has no time zone offset (e.g. +08:00)")
    return parsed.astimezone(COMPANY_TZ)


def to_the_second(moment: datetime) -> str:
    """``moment`` as people read it: ISO 8601 in company time, to the second
    (``2026-09-30T23:59:59+08:00``, not ``...23:59:59.999999+08:00``)."""
    return to_company(moment).replace(microsecond=0).isoformat()


def start_of_day(day: date) -> datetime:
    """Midnight at the start of ``day`` in company time."""
    return datetime.combine(day, time(0), tzinfo=COMPANY_TZ)


@dataclass(frozen=True, slots=True)
class Period:
    """A calendar period in company time: a year, a quarter or a month.

    Attributes:
        label: canonical label, e.g. ``2026Q3``.
        start: first instant (inclusive).
        end: first instant after the period (exclusive).
    """

    label: str
    start: datetime
    end: datetime

    @classmethod
    def parse(cls, label: str) -> Period:
        """Parse ``2026Q3``, ``2026-07`` or ``2026`` (each label once: periods are immutable,
        and grades and payroll ask for the same few again and again).

        Raises:
            UsageError: the label is none of those forms.
        """
        return _parsed(label)

    @staticmethod
    def _parse(label: str) -> Period:
        cls = Period
        match = _PERIOD.match(label.strip())
        if not match:
            raise UsageError(f"period {label!r} is not of the form 2026Q3, 2026-07 or 2026")
        year = int(match["y"])
        if match["q"]:
            first = date(year, 3 * int(match["q"]) - 2, 1)
            return cls(
                label.strip(), start_of_day(first), start_of_day(first + relativedelta(months=3))
            )
        if match["m"]:
            month = int(match["m"])
            if not 1 <= month <= 12:
                raise UsageError(f"period {label!r} names month {month}, which does not exist")
            first = date(year, month, 1)
            return cls(
                label.strip(), start_of_day(first), start_of_day(first + relativedelta(months=1))
            )
        return cls(str(year), start_of_day(date(year, 1, 1)), start_of_day(date(year + 1, 1, 1)))

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime) and self.start <= moment < self.end

    @property
    def last_instant(self) -> datetime:
        """The last representable instant inside the period."""
        return self.end - timedelta(microseconds=1)


@lru_cache(maxsize=4096)
def _parsed(label: str) -> Period:
    # Periods are immutable; the rules ask for the same few quarters per fact.
    return Period._parse(label)


def quarter_of(moment: datetime) -> Period:
    """The calendar quarter (company time) containing ``moment``."""
    local = to_company(moment)
    return _parsed(f"{local.year}Q{(local.month - 1) // 3 + 1}")


def month_of(moment: datetime) -> Period:
    """The calendar month (company time) containing ``moment``."""
    local = to_company(moment)
    return _parsed(f"{local.year}-{local.month:02d}")


def months_of(period: Period) -> list[Period]:
    """The calendar months that make up ``period``, in order."""
    months: list[Period] = []
    cursor = period.start
    while cursor < period.end:
        months.append(month_of(cursor))
        cursor = start_of_day((cursor + relativedelta(months=1)).date().replace(day=1))
    return months
