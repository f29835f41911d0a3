"""The store contract, run against the SQLite backend (a file and ``:memory:``)."""

from __future__ import annotations

from store_contract import StoreContract

from ledger.store import EventStore, SQLiteStore
from ledger.testing import ManualClock, late


class TestSQLiteFileStore(StoreContract):
    """SQLiteStore on a WAL file keeps the §5 contract."""

    def make_store(self, clock: ManualClock) -> EventStore:
        return SQLiteStore(self.workdir / "ledger.db", clock=clock, synchronous="NORMAL")

    def test_a_reopened_file_holds_the_same_log(self, clock: ManualClock) -> None:
        first = self.make_store(clock)
        events = [late("E1"), late("E2")]
        first.append(events)
        head_hash = first.head_hash()
        first.close()
        second = self.make_store(clock)
        assert [r.event for r in second.read()] == events
        assert (second.head_hash(), second.verify().ok) == (head_hash, True)
        second.close()


class TestSQLiteMemoryStore(StoreContract):
    """SQLiteStore on ``:memory:`` keeps the §5 contract."""

    def make_store(self, clock: ManualClock) -> EventStore:
        return SQLiteStore(":memory:", clock=clock)
