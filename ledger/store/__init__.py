"""Append-only, hash-chained event storage: the contract and its backends."""

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
    "record_of_row",
]
