"""The change feed: the log in position order, then each new event as it is committed.

A downstream system (payroll, notifications, the HR portal) keeps its own checkpoint, the
last position it has handled, and resumes after it, after a crash too::

    for recorded in ledger.follow(after=checkpoint, types=["sanction.*", "grade.*"]):
        handle(recorded.event)
        checkpoint = recorded.position

Positions are committed in order (docs/ARCHITECTURE.md, "Store contract"), so a follower
never skips one that commits later. When caught up the follower waits on
:meth:`~ledger.store.EventStore.wait_for`: PostgreSQL wakes it with ``LISTEN/NOTIFY`` when an
append commits; SQLite and the in-memory store poll the head.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Iterable, Iterator
from typing import Any

from ledger.errors import UsageError
from ledger.events import EVENT_TYPES
from ledger.store.base import EventStore, ReadFilter, Row, record_of_row

__all__ = ["WAKE_SECONDS", "feed_record", "follow_rows", "select_types"]

WAKE_SECONDS = 1.0
"""The longest a follower waits in one go before it looks at the log again."""


def select_types(patterns: Iterable[str] | None) -> frozenset[str] | None:
    """The event types that names or shell patterns (``sanction.*``) select; ``None`` for all.

    Raises:
        UsageError: a name or pattern selects no type of the catalogue.
    """
    if patterns is None:
        return None
    chosen: set[str] = set()
    for pattern in patterns:
        text = pattern.strip()
        if not text:
            continue
        found = fnmatch.filter(EVENT_TYPES, text)
        if not found:
            raise UsageError(
                f"--types: {text!r} selects no event type (see `ledger schema`; patterns like "
                "sanction.* work)"
            )
        chosen.update(found)
    if not chosen:
        raise UsageError("--types: no event type given")
    return frozenset(chosen)


def follow_rows(
    store: EventStore,
    after: int = 0,
    types: Iterable[str] | None = None,
    *,
    wait: bool = True,
    timeout: float | None = None,
) -> Iterator[Row]:
    """Stored rows after position ``after`` in position order, then new ones as they commit.

    Args:
        after: the consumer's checkpoint: the last position it has handled (0: from the
            start).
        types: event types or shell patterns (``sanction.*``); default every type.
        wait: when caught up, wait for more (default); ``False`` stops at the head.
        timeout: stop after waiting this many seconds with nothing new (default: never).

    Raises:
        UsageError: ``after`` is negative, or ``types`` selects nothing.
        StorageError: the store failed.
    """
    if after < 0:
        raise UsageError(f"after must be a position (0 or more), not {after}")
    chosen = select_types(list(types) if types is not None else None)
    position = after
    head = store.head()
    idle_since = time.monotonic()
    while True:
        if head > position:
            # Everything up to ``head`` is committed: read exactly that much, then move on.
            yield from store.rows(
                ReadFilter(types=chosen, from_position=position + 1, to_position=head)
            )
            position = head
            idle_since = time.monotonic()
        if not wait:
            return
        step = WAKE_SECONDS
        if timeout is not None:
            left = timeout - (time.monotonic() - idle_since)
            if left <= 0:
                return
            step = min(step, left)
        head = store.wait_for(position, step)


def feed_record(row: Row) -> dict[str, Any]:
    """What the feed prints for a row: the chained record (the wire fields plus
    ``position``, ``version`` and ``recorded_at``) and its ``hash``."""
    return {**record_of_row(row), "hash": row.hash}
