"""Rolling-window counters with the rulebook's threshold-crossing semantics.

For each fact f at time t (facts in ``(occurred_at, event_id)`` order) the counter ``v`` is
the sum over facts up to and including f with ``occurred_at`` in ``(t - window, t]``, and
``v0 = v - value(f)``. Every threshold T with ``v0 < T <= v`` is crossed; only the highest
crossed threshold counts. Values expire as the window moves on.

A window's items are facts, or :class:`Tally` values standing for facts a resumed
derivation no longer holds whole (``ledger.policies.incremental``): a window reads only an
item's id, type and time, and the value the rule gave it.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any, Protocol
from uuid import UUID

from dateutil.relativedelta import relativedelta

from ledger.events import Event

__all__ = ["Crossing", "Tally", "Timed", "crossings", "span"]


class Timed(Protocol):
    """What a window reads of an item: a fact, or a :class:`Tally` of one."""

    @property
    def event_id(self) -> UUID: ...
    @property
    def type(self) -> str: ...
    @property
    def occurred_at(self) -> datetime: ...


class Tally:
    """A counted fact reduced to what a rolling window reads of it (id, type, time).

    A derivation state carries the earlier part of each window as tallies, with the value
    the rule gave each fact, instead of the facts (docs/ARCHITECTURE.md, "Derivation
    state"): a window then costs what its numbers cost, not what its facts do. The id is
    kept as text until asked for (only a basis that lists the window asks), and the time
    as read back (any offset: it is compared and listed, never shown as is).
    """

    __slots__ = ("_id", "_row", "occurred_at", "type", "when")

    def __init__(
        self,
        event_id: UUID | str,
        type_: str,
        occurred_at: datetime,
        when: str,
        row: list[Any] | None = None,
    ) -> None:
        self._id = event_id
        self.type = type_
        self.occurred_at = occurred_at
        self.when = when
        """``occurred_at`` as ISO 8601 text (as stored)."""
        self._row = row

    def row(self, value: Decimal) -> list[Any]:
        """``[id, type, time, value]`` as a derivation state stores it (built once: a
        tally counts in one rule's window, with one value)."""
        found = self._row
        if found is None:
            found = self._row = [self.id_text, self.type, self.when, str(value)]
        return found

    @classmethod
    def of(cls, fact: Timed) -> Tally:
        """The tally of a fact."""
        return cls(fact.event_id, fact.type, fact.occurred_at, fact.occurred_at.isoformat())

    @property
    def event_id(self) -> UUID:
        found = self._id
        if isinstance(found, str):
            found = self._id = UUID(found)
        return found

    @property
    def id_text(self) -> str:
        """The id as text (as stored)."""
        return self._id if isinstance(self._id, str) else str(self._id)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tally):
            return NotImplemented
        return (self.event_id, self.type, self.occurred_at) == (
            other.event_id,
            other.type,
            other.occurred_at,
        )

    def __hash__(self) -> int:
        return hash((self.event_id, self.occurred_at))

    def __repr__(self) -> str:
        return f"Tally({self.id_text}, {self.type}, {self.when})"


@cache
def span(*, months: int = 0, days: int = 0) -> relativedelta:
    """A window length, built once per value (rules ask for one at every fact)."""
    return relativedelta(months=months, days=days)


def window_start(moment: datetime, length: relativedelta) -> datetime:
    """``moment - length``, exactly.

    A length of whole years, months and days (every window's) moves the calendar day and
    keeps the time of day, as relativedelta adds on the wall clock: the day is computed once
    per (day, length) and the moment keeps its time and zone, with fold 0 as after any
    arithmetic. A quarter of the cost of the subtraction, which runs at every windowed fact.
    """
    found = _SHAPES.get(id(length))
    if found is None or found[0] is not length:
        if len(_SHAPES) >= 1024:
            _SHAPES.clear()
        parts = (length.years, length.months, length.days)
        whole = all(type(part) is int for part in parts) and length == relativedelta(
            years=parts[0], months=parts[1], days=parts[2]
        )
        found = _SHAPES[id(length)] = (length, parts if whole else None)
    shape = found[1]
    if shape is None:
        return moment - length
    day = _day_before(moment.date(), *shape)
    return moment.replace(year=day.year, month=day.month, day=day.day, fold=0)


_SHAPES: dict[int, tuple[relativedelta, tuple[int, int, int] | None]] = {}
"""id(length) -> (length, its whole (years, months, days) when that is all it holds): kept
with the length itself, so an id is never taken for another length's. Lengths are treated
as values (``span`` shares them): one changed in place after use would keep its old shape."""


@lru_cache(maxsize=8192)
def _day_before(day: date, years: int, months: int, days: int) -> date:
    shifted: date = day - relativedelta(years=years, months=months, days=days)
    return shifted


@dataclass(frozen=True, slots=True)
class Crossing:
    """The counter crossed ``threshold`` at ``fact``."""

    fact: Event
    """The fact the counter crossed at (always a whole fact: tallies precede ``since``)."""
    previous: Decimal
    value: Decimal
    threshold: Decimal
    window_start: datetime
    counted: tuple[tuple[Timed, Decimal], ...]


def crossings(
    items: Sequence[tuple[Timed, Decimal]],
    window: Callable[[Event], relativedelta],
    thresholds: Callable[[Event], Sequence[Decimal]],
    since: datetime | None = None,
) -> Iterator[Crossing]:
    """Yield the highest threshold crossed at each fact, if any.

    Args:
        items: ``(fact, value)`` in fact order; zero values still occupy the window. Items
            before ``since`` may be tallies (:class:`Tally`); those from it on are facts.
        window: the rolling window length in force at a fact (the rulebook binding it).
        thresholds: the threshold values in force at a fact.
        since: skip facts that occurred before it (they still count in later windows).
    """
    times = [fact.occurred_at for fact, _ in items]
    prefix = [Decimal(0)]
    for _, value in items:
        prefix.append(prefix[-1] + value)
    begin = 0 if since is None else bisect.bisect_left(times, since)
    for index in range(begin, len(items)):
        item, value = items[index]
        assert isinstance(item, Event), "a window's items from `since` on are facts"
        fact = item
        start = window_start(fact.occurred_at, window(fact))
        first = bisect.bisect_right(times, start, 0, index)
        total = prefix[index + 1] - prefix[first]
        previous = total - value
        crossed = [t for t in thresholds(fact) if previous < t <= total]
        if crossed:
            yield Crossing(
                fact, previous, total, max(crossed), start, tuple(items[first : index + 1])
            )
