"""Two OS processes appending to one SQLite file interleave without gaps or losses."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from ledger.store import SQLiteStore
from ledger.testing import late

WRITERS, BATCHES, BATCH_SIZE = 2, 20, 10


def _append_batches(path: str, writer: int, start: Any) -> None:
    store = SQLiteStore(path, synchronous="NORMAL")
    start.wait(timeout=60)
    for batch in range(BATCHES):
        events = [
            late(emp, f"2025-06-{1 + n:02d} 09:{batch:02d}", minutes=1 + writer)
            for n, emp in enumerate(["E1", "E2", f"W{writer}"] * 3 + ["E1"])
        ]
        store.append(events[:BATCH_SIZE])
    store.close()


def test_concurrent_writers_leave_a_gapless_verified_log(tmp_db: Path) -> None:
    SQLiteStore(tmp_db).close()  # create the schema before the race
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WRITERS)
    writers = [
        context.Process(target=_append_batches, args=(str(tmp_db), n, start))
        for n in range(WRITERS)
    ]
    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=120)
    assert [p.exitcode for p in writers] == [0] * WRITERS

    store = SQLiteStore(tmp_db)
    recorded = list(store.read())
    assert [r.position for r in recorded] == list(range(1, WRITERS * BATCHES * BATCH_SIZE + 1))
    assert len({r.event_id for r in recorded}) == len(recorded)
    assert {r.event.data.minutes for r in recorded} == {1, 2}  # type: ignore[attr-defined]
    report = store.verify()
    assert (report.ok, report.checked) == (True, 400)
    store.close()
