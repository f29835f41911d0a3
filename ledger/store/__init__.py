"""Append-only, hash-chained event storage: the contract and its backends.

:func:`open_store` picks the backend from a location: a plain path, ``:memory:`` or
``sqlite:///path`` is SQLite (the embedded default); ``postgresql://…`` (or ``postgres://…``)
is PostgreSQL, whose module and driver (the ``postgres`` extra) are imported only then.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ledger.errors import UsageError
from ledger.store.base import (
    GENESIS_HASH,
    AppendReport,
    ChainReport,
    EventStore,
    ReadFilter,
    Recorded,
    Row,
    chain_hash,
    record_of_row,
)
from ledger.store.memory import MemoryStore
from ledger.store.sqlite import SCHEMA_VERSION, SQLiteStore
from ledger.store.urls import display_location, is_postgres_url, sqlite_path

__all__ = [
    "GENESIS_HASH",
    "SCHEMA_VERSION",
    "AppendReport",
    "ChainReport",
    "EventStore",
    "MemoryStore",
    "ReadFilter",
    "Recorded",
    "Row",
    "SQLiteStore",
    "chain_hash",
    "display_location",
    "is_postgres_url",
    "open_store",
    "record_of_row",
    "shared_location",
    "sqlite_path",
]

INSTALL_HINT = "pip install 'conduct-ledger[postgres]'"


def open_store(location: str | Path = ":memory:", **options: Any) -> EventStore:
    """Open the event store a location names (see the module's doc), creating it if needed.

    Args:
        location: a path, ``:memory:``, ``sqlite:///PATH`` or ``postgresql://…``.
        options: passed to the backend: ``readonly``, ``create``, ``write_timeout``,
            ``on_wait``, ``notify``, ``synchronous``, ``clock``, ``future_tolerance``.

    Raises:
        StorageError: the database is not a ledger, or cannot be opened.
        UsageError: an unknown URL scheme, or the PostgreSQL extra is not installed.
    """
    if is_postgres_url(location):
        try:
            from ledger.store.postgres import PostgresStore
        except ImportError as exc:
            raise UsageError(
                f"PostgreSQL needs psycopg 3, which is not installed ({exc}): {INSTALL_HINT}"
            ) from None
        return PostgresStore(str(location), **options)
    return SQLiteStore(sqlite_path(location), **options)


def shared_location(store: EventStore) -> str | None:
    """Where another process can open ``store`` (a SQLite file or a PostgreSQL URL), or
    ``None`` when it cannot be shared (an in-memory store)."""
    if isinstance(store, SQLiteStore):
        return None if store.path == ":memory:" else str(Path(store.path).resolve())
    url = getattr(store, "url", None)
    return url if isinstance(url, str) and is_postgres_url(url) else None
