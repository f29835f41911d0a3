"""Copy a whole log between stores (SQLite → PostgreSQL and back), byte for byte.

The rows travel exactly as stored: same positions, versions, ``recorded_at`` text, canonical
JSON and hashes, so the copy *is* the same log and ``verify`` holds on it with the same head.
Each row's link is checked on the way (a broken source is refused before anything is
committed), the whole copy is one transaction of the destination (all or nothing), and the
destination's chain is walked again once committed. Projections are caches and are not
copied: they rebuild from the log on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ledger.errors import TamperedError, UsageError
from ledger.store.base import (
    GENESIS_HASH,
    ChainReport,
    EventStore,
    ReadFilter,
    Row,
    chain_hash,
    record_of_row,
)

__all__ = ["CopyReport", "copy_log"]

CHUNK = 5000
"""Rows written to the destination per statement batch."""


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What :func:`copy_log` copied and what the destination's chain walk found."""

    copied: int
    head_hash: str
    destination: ChainReport

    @property
    def ok(self) -> bool:
        """Whether the destination verifies and ends on the source's head."""
        return (
            self.destination.ok
            and self.destination.checked == self.copied
            and self.destination.head_hash == self.head_hash
        )


def copy_log(
    source: EventStore,
    target: EventStore,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> CopyReport:
    """Copy every event of ``source`` (up to its head when the copy starts) into ``target``.

    Args:
        progress: called with ``(copied, total)`` after each batch of rows, and while the
            destination's chain is walked again with ``(checked, total)``.

    Raises:
        UsageError: ``target`` already holds events.
        TamperedError: a source row does not link to its predecessor (nothing is written).
        StorageError: either store failed (nothing is written).
    """
    total = source.head()
    copied = 0
    prev = GENESIS_HASH
    versions: dict[str, int] = {}
    with target.transaction():
        if target.head():
            raise UsageError(
                f"the destination already holds {target.head()} events; copy into an empty "
                "ledger (a new file or database)"
            )
        batch: list[Row] = []
        for row in source.rows(ReadFilter(to_position=total)):
            problem = None
            if row.position != copied + 1:
                problem = f"position {copied + 1} is missing (next is {row.position})"
            elif row.version != versions.get(row.employee_id, 0) + 1:
                problem = f"stream {row.employee_id} version {row.version} is out of sequence"
            elif chain_hash(prev, record_of_row(row)) != row.hash:
                problem = "content does not match its hash (the event was altered)"
            if problem is not None:
                raise TamperedError(
                    f"source position {row.position}: {problem}; nothing was copied"
                )
            prev = row.hash
            versions[row.employee_id] = row.version
            copied += 1
            batch.append(row)
            if len(batch) >= CHUNK:
                target._insert(batch)
                batch = []
                if progress is not None:
                    progress(copied, total)
        if batch:
            target._insert(batch)
        if copied != total:
            raise TamperedError(f"source ends at position {copied}, its head says {total}")
        if progress is not None:
            progress(copied, total)
    walked = target.verify(
        progress=None if progress is None else (lambda checked: progress(checked, total))
    )
    return CopyReport(copied, prev, walked)
