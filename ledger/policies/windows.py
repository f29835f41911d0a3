"""Rolling-window counters with the rulebook's threshold-crossing semantics.

For each fact f at time t (facts in ``(occurred_at, event_id)`` order) the counter ``v`` is
the sum over facts up to and including f with ``occurred_at`` in ``(t - window, t]``, and
``v0 = v - value(f)``. Every threshold T with ``v0 < T <= v`` is crossed; only the highest
crossed threshold counts. Values expire as the window moves on.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache

from dateutil.relativedelta import relativedelta

from ledger.events import Event

__all__ = ["Crossing", "crossings", "span"]


@cache
def span(*, months: int = 0, days: int = 0) -> relativedelta:
    """A window length, built once per value (rules ask for one at every fact)."""
    return relativedelta(months=months, days=days)


@dataclass(frozen=True, slots=True)
class Crossing:
    """The counter crossed ``threshold`` at ``fact``."""

    fact: Event
    previous: Decimal
    value: Decimal
    threshold: Decimal
    window_start: datetime
    counted: tuple[tuple[Event, Decimal], ...]


def crossings(
    items: Sequence[tuple[Event, Decimal]],
    window: Callable[[Event], relativedelta],
    thresholds: Callable[[Event], Sequence[Decimal]],
    since: datetime | None = None,
) -> Iterator[Crossing]:
    """Yield the highest threshold crossed at each fact, if any.

    Args:
        items: ``(fact, value)`` in fact order; zero values still occupy the window.
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
        fact, value = items[index]
        start = fact.occurred_at - window(fact)
        first = bisect.bisect_right(times, start, 0, index)
        total = prefix[index + 1] - prefix[first]
        previous = total - value
        crossed = [t for t in thresholds(fact) if previous < t <= total]
        if crossed:
            yield Crossing(
                fact, previous, total, max(crossed), start, tuple(items[first : index + 1])
            )
