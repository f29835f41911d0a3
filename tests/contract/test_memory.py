"""The store contract, run against the in-memory backend."""

from __future__ import annotations

from concurrency_contract import ConcurrencyContract
from store_contract import StoreContract

from ledger.store import EventStore, MemoryStore
from ledger.testing import ManualClock


class TestMemoryStore(StoreContract, ConcurrencyContract):
    """MemoryStore keeps the store contract."""

    def make_store(self, clock: ManualClock) -> EventStore:
        return MemoryStore(clock=clock)
