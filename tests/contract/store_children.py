"""What child processes of the contract tests run.

Kept apart from the test modules so that a spawned child imports only the ledger (not
pytest), which halves its start-up time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ledger.store import EventStore, SQLiteStore, open_store
from ledger.testing import late


def open_sqlite_file(path: str) -> EventStore:
    """Open the SQLite ledger at ``path`` as the file backend's tests do."""
    return SQLiteStore(path, synchronous="NORMAL")


def open_postgres(url: str) -> EventStore:
    """Open the PostgreSQL ledger at ``url`` as the PostgreSQL tests do."""
    return open_store(url, synchronous="NORMAL")


def append_batches(
    open_store: Callable[[str], EventStore],
    path: str,
    writer: int,
    batches: int,
    size: int,
    start: Any,
    out: str,
) -> None:
    """Append ``batches`` batches of ``size`` events; report each batch's positions as JSON.

    The batches interleave the shared streams ``E1`` and ``E2`` with the writer's own.
    """
    report: dict[str, Any] = {"batches": [], "ids": [], "error": None}
    try:
        store = open_store(path)
        try:
            start.wait(timeout=60)
            for batch in range(batches):
                events = [
                    late(emp, f"2026-06-{1 + batch:02d} 09:{n % 60:02d}", minutes=1 + writer)
                    for n, emp in enumerate((["E1", "E2", f"W{writer}"] * size)[:size])
                ]
                appended = store.append(events)
                report["batches"].append([r.position for r in appended.appended])
                report["ids"].extend(str(e.event_id) for e in events)
        finally:
            store.close()
    except BaseException as exc:
        report["error"] = f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
        raise
    finally:
        Path(out).write_text(json.dumps(report))


def first_open(path: str, start: Any, error_file: str) -> None:
    """Open (creating) the ledger at ``path`` together with other processes, then close it."""
    try:
        start.wait(timeout=60)
        open_store(path).close()
    except BaseException as exc:
        Path(error_file).write_text(f"{type(exc).__module__}.{type(exc).__name__}: {exc}")
        raise
