"""The store contract (docs/ARCHITECTURE.md, "Store contract") as a base class.

A backend's test module subclasses :class:`StoreContract` and implements ``make_store(clock)``;
``self.workdir`` is a fresh temporary directory for backends that need files.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ledger.errors import (
    AccessDenied,
    ConcurrencyError,
    ConflictError,
    UsageError,
    ValidationFailed,
)
from ledger.events import Event, Ticked
from ledger.store import GENESIS_HASH, EventStore, ReadFilter, Recorded, Row
from ledger.store.base import _DERIVATION_SEAL
from ledger.testing import ManualClock, absent, complaint_received, early, instant, late, praised
from ledger.write import derived_event


class StoreContract:
    """Behaviour every :class:`ledger.store.EventStore` backend must show."""

    workdir: Path

    def make_store(self, clock: ManualClock) -> EventStore:
        """Return a new, empty store that reads time from ``clock``."""
        raise NotImplementedError

    @pytest.fixture(autouse=True)
    def _workdir(self, tmp_path: Path) -> None:
        self.workdir = tmp_path

    @pytest.fixture
    def store(self, clock: ManualClock) -> Iterator[EventStore]:
        store = self.make_store(clock)
        yield store
        store.close()

    # -- appending --------------------------------------------------------------------------

    def test_a_batch_gets_gapless_positions_in_batch_order(self, store: EventStore) -> None:
        batch = [late("E1"), late("E2"), early("E1")]
        report = store.append(batch)
        assert [r.position for r in report.appended] == [1, 2, 3]
        assert [r.event_id for r in report.appended] == [e.event_id for e in batch]

    def test_reads_return_every_batch_in_position_order(self, store: EventStore) -> None:
        first, second = [late("E1"), absent("E2")], [early("E1"), praised("E3")]
        store.append(first)
        store.append(second)
        recorded = list(store.read())
        assert [r.position for r in recorded] == [1, 2, 3, 4]
        assert [r.event for r in recorded] == first + second

    def test_versions_count_each_employee_stream_separately(self, store: EventStore) -> None:
        store.append([late("E1"), late("E2"), early("E1")])
        store.append([absent("E1")])
        assert [(r.event.employee_id, r.version) for r in store.read()] == [
            ("E1", 1),
            ("E2", 1),
            ("E1", 2),
            ("E1", 3),
        ]
        assert (store.stream_version("E1"), store.stream_version("E2")) == (3, 1)
        assert store.stream_version("nobody") == 0

    def test_appended_events_read_back_equal_with_the_clock_as_recorded_at(
        self, store: EventStore, clock: ManualClock
    ) -> None:
        event = late("E1", evidence=("badge:42",), source="gateway")
        store.append([event])
        (recorded,) = store.read()
        assert recorded.event == event
        assert recorded.recorded_at == clock.now

    def test_an_event_of_a_type_outside_the_catalogue_is_refused_and_writes_nothing(
        self, store: EventStore
    ) -> None:
        store.append([late("E1")])
        before = (store.head(), store.head_hash())
        unknown = late("E2").model_copy(update={"type": "attendance.unknown_thing"})
        assert unknown.type == "attendance.unknown_thing"
        with pytest.raises(ValidationFailed) as caught:
            store.append([early("E1"), unknown])
        assert "type" in [p.field for p in caught.value.problems]
        assert (store.head(), store.head_hash()) == before
        assert store.employees() == ["E1"]
        assert [r.position for r in store.read()] == [1]

    def test_an_empty_batch_appends_nothing(self, store: EventStore) -> None:
        report = store.append([])
        assert (report.appended, report.already_present, store.head()) == ((), (), 0)

    # -- ledger-only types: the derivation path alone (docs/ARCHITECTURE.md, "Access") ------

    def test_a_ledger_only_type_without_the_seal_is_refused_and_nothing_written(
        self, store: EventStore
    ) -> None:
        store.append([late("E1")])
        tick = derived_event(
            "_ledger", Ticked(now=instant("2026-07-05 00:00")), instant("2026-07-05 00:00")
        )
        with pytest.raises(AccessDenied, match="derivation path"):
            store.append([late("E2"), tick])
        assert store.head() == 1
        assert [r.event.employee_id for r in store.read()] == ["E1"]

    def test_the_derivation_path_appends_ledger_only_types_with_the_seal(
        self, store: EventStore
    ) -> None:
        tick = derived_event(
            "_ledger", Ticked(now=instant("2026-07-05 00:00")), instant("2026-07-05 00:00")
        )
        report = store.append([tick], seal=_DERIVATION_SEAL)
        assert [r.event.type for r in report.appended] == ["ledger.ticked"]
        forged = tick.model_copy(update={"recorded_by": "hr:H01"})
        with pytest.raises(ValidationFailed, match="recorded_by"):
            store.append([forged], seal=_DERIVATION_SEAL)
        assert store.head() == 1

    def test_a_fact_recorded_as_the_ledger_is_refused(self, store: EventStore) -> None:
        with pytest.raises(AccessDenied, match="name of the derivation path"):
            store.append([late("E1", recorded_by="ledger")])
        assert store.head() == 0

    # -- idempotency and conflicts ----------------------------------------------------------

    def test_reappending_an_identical_event_is_already_present(self, store: EventStore) -> None:
        event = late("E1")
        store.append([event])
        report = store.append([event, absent("E1")])
        assert report.already_present == (event.event_id,)
        assert report.status(event.event_id) == "already_present"
        assert store.head() == 2

    def test_retrying_a_committed_batch_with_its_expected_version_is_idempotent(
        self, store: EventStore
    ) -> None:
        batch = [late("E1"), early("E1")]
        store.append(batch, expected_version=0)
        report = store.append(batch, expected_version=0)
        assert report.appended == ()
        assert set(report.already_present) == {e.event_id for e in batch}

    def test_same_id_with_other_content_conflicts_and_writes_nothing(
        self, store: EventStore
    ) -> None:
        event = late("E1", minutes=5)
        store.append([event])
        changed = late("E1", minutes=50, event_id=event.event_id)
        with pytest.raises(ConflictError) as caught:
            store.append([absent("E2"), changed])
        assert caught.value.event_id == str(event.event_id)
        assert (store.head(), store.employees()) == (1, ["E1"])

    def test_a_conflict_inside_one_batch_writes_nothing(self, store: EventStore) -> None:
        event = late("E1", minutes=5)
        with pytest.raises(ConflictError):
            store.append([event, late("E1", minutes=6, event_id=event.event_id)])
        assert store.head() == 0

    def test_an_identical_repeat_inside_one_batch_is_stored_once(self, store: EventStore) -> None:
        event = late("E1")
        report = store.append([event, event])
        assert (len(report.appended), report.already_present) == (1, (event.event_id,))
        assert store.head() == 1

    # -- optimistic concurrency -------------------------------------------------------------

    def test_an_int_expected_version_must_equal_the_stream_version(self, store: EventStore) -> None:
        store.append([late("E1")], expected_version=0)
        store.append([early("E1")], expected_version=1)
        with pytest.raises(ConcurrencyError) as caught:
            store.append([absent("E1")], expected_version=1)
        assert (caught.value.expected, caught.value.actual) == (1, 2)

    def test_a_mapping_expected_version_checks_every_named_stream(self, store: EventStore) -> None:
        store.append([late("E1"), late("E1")])
        store.append([early("E1"), early("E2")], expected_version={"E1": 2, "E2": 0})
        with pytest.raises(ConcurrencyError) as caught:
            store.append([absent("E1"), absent("E2")], expected_version={"E1": 3, "E2": 0})
        assert caught.value.employee_id == "E2"

    def test_a_concurrency_error_writes_nothing(self, store: EventStore) -> None:
        store.append([late("E1")])
        before = (store.head(), store.head_hash())
        with pytest.raises(ConcurrencyError):
            store.append([absent("E2"), early("E1")], expected_version={"E1": 0})
        assert (store.head(), store.head_hash()) == before
        assert store.employees() == ["E1"]

    def test_an_int_expected_version_for_several_streams_is_a_usage_error(
        self, store: EventStore
    ) -> None:
        with pytest.raises(UsageError):
            store.append([late("E1"), late("E2")], expected_version=0)

    # -- time -------------------------------------------------------------------------------

    def test_occurred_at_beyond_the_future_tolerance_is_rejected(
        self, store: EventStore, clock: ManualClock
    ) -> None:
        clock.set("2026-07-10 12:00")
        with pytest.raises(ValidationFailed) as caught:
            store.append([late("E1", at="2026-07-10 12:06")])
        assert [p.field for p in caught.value.problems] == ["occurred_at"]
        assert store.head() == 0

    def test_occurred_at_within_the_future_tolerance_is_accepted(
        self, store: EventStore, clock: ManualClock
    ) -> None:
        clock.set("2026-07-10 12:00")
        assert len(store.append([late("E1", at="2026-07-10 12:04")]).appended) == 1

    def test_recorded_at_never_decreases_when_the_clock_goes_back(
        self, store: EventStore, clock: ManualClock
    ) -> None:
        clock.set("2026-08-01 10:00")
        store.append([late("E1")])
        clock.set("2026-08-01 09:00")
        store.append([late("E2")])
        times = [r.recorded_at for r in store.read()]
        assert times == sorted(times)
        assert times[1] == instant("2026-08-01 10:00")

    # -- reads ------------------------------------------------------------------------------

    @pytest.fixture
    def mixed(self, store: EventStore, clock: ManualClock) -> list[Event]:
        """Six events over three employees, appended in three batches an hour apart."""
        batches = [
            [late("E1", "2026-07-01 09:10"), late("E2", "2026-07-01 09:20")],
            [absent("E1", "2026-07-02 09:00"), complaint_received("E3", "2026-07-02 11:00")],
            [early("E1", "2026-07-03 17:00"), praised("E2", "2026-07-04 15:00")],
        ]
        clock.set("2026-08-01 10:00")
        for batch in batches:
            store.append(batch)
            clock.advance(hours=1)
        return [event for batch in batches for event in batch]

    def test_reading_by_employee_returns_only_that_stream(
        self, store: EventStore, mixed: list[Event]
    ) -> None:
        assert [r.event for r in store.read(employee_id="E1")] == [mixed[0], mixed[2], mixed[4]]
        assert list(store.read(employee_id="nobody")) == []

    def test_reading_by_types_returns_only_those_types(
        self, store: EventStore, mixed: list[Event]
    ) -> None:
        types = frozenset({"attendance.late_arrival", "service.customer_praised"})
        assert [r.event for r in store.read(types=types)] == [mixed[0], mixed[1], mixed[5]]

    def test_reading_partly_decodes_the_types_asked_and_keeps_the_others_as_rows(
        self, store: EventStore, mixed: list[Event]
    ) -> None:
        decode = frozenset({"attendance.late_arrival", "attendance.early_departure"})
        flt = ReadFilter(employee_id="E1")
        got = list(store.read_partly(flt, decode))
        assert [type(r) for r in got] == [Recorded, Row, Recorded]
        read, rows = list(store.read(flt)), list(store.rows(flt))
        assert [got[0], got[2]] == [read[0], read[2]]
        assert got[1] == rows[1]
        assert got[1].type == "attendance.absence"
        everything = list(store.read_partly(ReadFilter(), frozenset()))
        assert everything == list(store.rows())

    def test_reading_a_position_range_includes_both_ends(
        self, store: EventStore, mixed: list[Event]
    ) -> None:
        recorded = store.read(from_position=2, to_position=4)
        assert [r.position for r in recorded] == [2, 3, 4]

    def test_reading_up_to_a_version_stops_the_stream_there(
        self, store: EventStore, mixed: list[Event]
    ) -> None:
        recorded = store.read(employee_id="E1", to_version=2)
        assert [r.event for r in recorded] == [mixed[0], mixed[2]]

    def test_reading_an_occurred_range_includes_both_ends_in_any_time_zone(
        self, store: EventStore, mixed: list[Event]
    ) -> None:
        # 2026-07-02 01:00 UTC is 09:00 company time, the absence's exact instant.
        start = datetime(2026, 7, 2, 1, 0, tzinfo=UTC)
        recorded = store.read(occurred_from=start, occurred_to=instant("2026-07-03 17:00"))
        assert [r.event for r in recorded] == [mixed[2], mixed[3], mixed[4]]

    def test_reading_a_recorded_range_selects_the_batches_recorded_then(
        self, store: EventStore, mixed: list[Event]
    ) -> None:
        second = instant("2026-08-01 11:00")
        recorded = store.read(ReadFilter(recorded_from=second, recorded_to=second))
        assert [r.event for r in recorded] == [mixed[2], mixed[3]]
        later = store.read(recorded_from=second + timedelta(seconds=1))
        assert [r.position for r in later] == [5, 6]

    def test_get_returns_the_stored_event_or_none(
        self, store: EventStore, mixed: list[Event]
    ) -> None:
        found = store.get(mixed[3].event_id)
        assert found is not None
        assert (found.event, found.position, found.version) == (mixed[3], 4, 1)
        assert store.get(late().event_id) is None

    def test_employees_lists_every_stream_sorted(
        self, store: EventStore, mixed: list[Event]
    ) -> None:
        assert store.employees() == ["E1", "E2", "E3"]

    def test_head_and_head_hash_follow_the_last_append(self, store: EventStore) -> None:
        assert (store.head(), store.head_hash()) == (0, GENESIS_HASH)
        last = store.append([late("E1"), late("E2")]).appended[-1]
        assert (store.head(), store.head_hash()) == (2, last.hash)

    def test_verify_walks_an_intact_chain(self, store: EventStore, mixed: list[Event]) -> None:
        report = store.verify()
        assert (report.ok, report.checked, report.first_bad_position) == (True, 6, None)
        assert report.head_hash == store.head_hash()

    def test_verify_of_an_empty_store_is_ok(self, store: EventStore) -> None:
        report = store.verify()
        assert (report.ok, report.checked, report.head_hash) == (True, 0, GENESIS_HASH)

    def test_in_transaction_is_true_only_inside_this_threads_transaction(
        self, store: EventStore
    ) -> None:
        seen: list[bool] = []
        assert not store.in_transaction()
        with store.transaction():
            assert store.in_transaction()
            other = threading.Thread(target=lambda: seen.append(store.in_transaction()))
            other.start()
            other.join()
        assert seen == [False] and not store.in_transaction()

    def test_a_failing_transaction_rolls_its_appends_back(self, store: EventStore) -> None:
        store.append([late("E1")])
        with pytest.raises(RuntimeError), store.transaction():
            store.append([late("E2"), early("E1")])
            raise RuntimeError("caller gave up")
        assert (store.head(), store.employees(), store.stream_version("E1")) == (1, ["E1"], 1)
        assert store.verify().ok

    def test_a_failing_transaction_rolls_projection_rows_and_checkpoints_back(
        self, store: EventStore
    ) -> None:
        store.projection_replace("q", ["E0"], [("k0", "E0", '{"n":0}')], 3)
        with pytest.raises(RuntimeError), store.transaction():
            store.append([late("E1")])
            store.projection_replace("p", ["E1"], [("k1", "E1", "{}")], 5)
            store.projection_replace("q", ["E0"], [("k9", "E0", '{"n":9}')], 9)
            raise RuntimeError("caller gave up")
        assert store.projection_checkpoint("p") == 0
        assert list(store.projection_rows("p")) == []
        assert store.projection_checkpoint("q") == 3
        assert list(store.projection_rows("q")) == [("k0", "E0", '{"n":0}')]
        assert store.head() == 0

    def test_a_failing_transaction_restores_a_dropped_projection(self, store: EventStore) -> None:
        store.projection_replace("q", ["E0"], [("k0", "E0", "{}")], 4)
        with pytest.raises(RuntimeError), store.transaction():
            store.projection_drop("q")
            raise RuntimeError("caller gave up")
        assert store.projection_checkpoint("q") == 4
        assert list(store.projection_rows("q")) == [("k0", "E0", "{}")]

    def test_retaining_owners_deletes_only_the_other_owners_rows_of_that_projection(
        self, store: EventStore
    ) -> None:
        rows = [("k1", "E1", "{}"), ("k2", "E2", "{}"), ("k3", "E3", "{}"), ("~", "_ledger", "{}")]
        store.projection_replace("p", ["E1", "E2", "E3"], rows, 7)
        store.projection_replace("q", ["E2"], [("k2", "E2", "{}")], 3)
        store.projection_retain("p", {"E1", "_ledger", "E9"})
        assert list(store.projection_rows("p")) == [rows[0], rows[3]]
        assert store.projection_checkpoint("p") == 7
        assert list(store.projection_rows("q")) == [("k2", "E2", "{}")]
        store.projection_retain("absent", {"E1"})  # no such projection: nothing to do
        with pytest.raises(RuntimeError), store.transaction():
            store.projection_retain("p", set())
            raise RuntimeError("caller gave up")
        assert list(store.projection_rows("p")) == [rows[0], rows[3]]
        store.projection_retain("p", set())
        assert list(store.projection_rows("p")) == []

    def test_a_committed_transaction_keeps_its_projection_rows(self, store: EventStore) -> None:
        with store.transaction():
            store.append([late("E1")])
            store.projection_replace("p", ["E1"], [("k1", "E1", "{}")], 1)
        assert (store.projection_checkpoint("p"), store.head()) == (1, 1)
        assert list(store.projection_rows("p")) == [("k1", "E1", "{}")]

    def test_reads_stream_past_one_page(self, store: EventStore) -> None:
        store.append([late("E1", f"2026-07-01 09:{n % 60:02d}") for n in range(2101)])
        positions = [r.position for r in store.read(from_position=5)]
        assert positions == list(range(5, 2102))

    def test_an_empty_batch_still_checks_a_mapping_expected_version(self) -> None:
        store = self.make_store(ManualClock("2026-08-01 00:00"))
        store.append([late("E1", "2026-07-01 09:10", minutes=10)])
        with pytest.raises(ConcurrencyError):
            store.append([], expected_version={"E1": 0})
        assert store.append([], expected_version={"E1": 1}).appended == ()

    # -- read options: types with positions, after_version, limit, reverse ------------------

    def test_reading_types_within_a_position_range_applies_both(
        self, store: EventStore, mixed: list[Event]
    ) -> None:
        types = frozenset(
            {"attendance.late_arrival", "attendance.early_departure", "attendance.absence"}
        )
        recorded = store.read(types=types, from_position=2, to_position=4)
        assert [r.event for r in recorded] == [mixed[1], mixed[2]]
        flt = ReadFilter(types=frozenset({"service.customer_praised"}), from_position=6)
        assert [r.position for r in store.read(flt)] == [6]
        assert list(store.read(types=types, from_position=4, to_position=4)) == []

    @pytest.fixture
    def stream(self, store: EventStore) -> list[Event]:
        """E1's five events interleaved with E2's three (positions 1..8)."""
        e1 = [late("E1", f"2026-07-01 09:{n:02d}", minutes=1 + n) for n in range(5)]
        e2 = [early("E2", f"2026-07-01 17:{n:02d}") for n in range(3)]
        store.append([e1[0], e2[0], e1[1]])
        store.append([e1[2], e2[1], e1[3], e2[2], e1[4]])
        return e1

    def test_reading_after_a_version_excludes_it_and_everything_before(
        self, store: EventStore, stream: list[Event]
    ) -> None:
        recorded = list(store.read(employee_id="E1", after_version=2))
        assert [r.version for r in recorded] == [3, 4, 5]
        assert [r.event for r in recorded] == stream[2:]
        assert [r.event for r in store.read(ReadFilter(employee_id="E1", after_version=2))] == (
            stream[2:]
        )
        assert len(list(store.read(employee_id="E1", after_version=0))) == 5
        assert list(store.read(employee_id="E1", after_version=5)) == []
        assert [r.version for r in store.rows(employee_id="E1", after_version=3)] == [4, 5]

    def test_after_version_combines_with_to_version_and_bounds_every_stream(
        self, store: EventStore, stream: list[Event]
    ) -> None:
        window = store.read(employee_id="E1", after_version=1, to_version=3)
        assert [r.event for r in window] == stream[1:3]
        everyone = store.read(after_version=2)
        assert [(r.event.employee_id, r.version) for r in everyone] == [
            ("E1", 3),
            ("E1", 4),
            ("E2", 3),
            ("E1", 5),
        ]

    def test_a_limit_returns_at_most_that_many_events_in_position_order(
        self, store: EventStore, stream: list[Event]
    ) -> None:
        assert [r.position for r in store.read(limit=3)] == [1, 2, 3]
        assert [r.event for r in store.read(employee_id="E1", limit=2)] == stream[:2]
        assert [r.position for r in store.read(limit=100)] == list(range(1, 9))
        assert [r.position for r in store.read(ReadFilter(from_position=4, limit=2))] == [4, 5]
        assert [r.position for r in store.rows(limit=1)] == [1]
        assert [r.version for r in store.read(employee_id="E1", after_version=1, limit=2)] == [
            2,
            3,
        ]

    def test_a_zero_limit_returns_nothing(self, store: EventStore, stream: list[Event]) -> None:
        assert list(store.read(limit=0)) == []
        assert list(store.read(employee_id="E1", reverse=True, limit=0)) == []
        assert list(store.rows(ReadFilter(limit=0))) == []

    def test_reverse_reads_newest_first(self, store: EventStore, stream: list[Event]) -> None:
        assert [r.position for r in store.read(reverse=True)] == list(range(8, 0, -1))
        assert [r.event for r in store.read(employee_id="E1", reverse=True)] == stream[::-1]
        ranged = store.read(ReadFilter(from_position=2, to_position=6, reverse=True))
        assert [r.position for r in ranged] == [6, 5, 4, 3, 2]
        assert [r.position for r in store.rows(reverse=True, limit=1)] == [8]

    def test_reverse_with_limit_returns_the_newest_events_of_a_stream(
        self, store: EventStore, stream: list[Event]
    ) -> None:
        newest = list(store.read(employee_id="E1", reverse=True, limit=2))
        assert [r.event for r in newest] == [stream[4], stream[3]]
        assert [r.version for r in newest] == [5, 4]
        older = store.read(employee_id="E1", reverse=True, to_version=3, after_version=1)
        assert [r.version for r in older] == [3, 2]
        types = frozenset({"attendance.early_departure"})
        assert [r.event.employee_id for r in store.read(types=types, reverse=True, limit=1)] == [
            "E2"
        ]

    def test_reverse_and_limit_page_correctly_past_one_page(self, store: EventStore) -> None:
        owners = ["E2" if n % 3 == 2 else "E1001" for n in range(3300)]
        store.append([late(emp, f"2026-07-01 09:{n % 60:02d}") for n, emp in enumerate(owners)])
        forward = [r.position for r in store.read(employee_id="E1001")]
        assert len(forward) == 2200
        last20 = list(store.read(employee_id="E1001", reverse=True, limit=20))
        assert [r.position for r in last20] == forward[::-1][:20]
        assert [r.version for r in last20] == list(range(2200, 2180, -1))
        many = [r.position for r in store.read(employee_id="E1001", reverse=True, limit=2100)]
        assert many == forward[::-1][:2100]
        everything = [r.position for r in store.rows(reverse=True)]
        assert everything == list(range(3300, 0, -1))
        ranged = [r.position for r in store.read(from_position=100, to_position=2500, reverse=True)]
        assert ranged == list(range(2500, 99, -1))
        capped = [r.position for r in store.read(from_position=10, limit=2050)]
        assert capped == list(range(10, 2060))
        tail = [r.version for r in store.read(employee_id="E1001", after_version=150, limit=2010)]
        assert tail == list(range(151, 2161))
