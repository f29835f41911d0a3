"""The store contract of DESIGN.md §5, as a base class every backend's tests subclass.

A backend's test module subclasses :class:`StoreContract` and implements ``make_store(clock)``;
``self.workdir`` is a fresh temporary directory for backends that need files.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ledger.errors import ConcurrencyError, ConflictError, UsageError, ValidationFailed
from ledger.events import Event
from ledger.store import GENESIS_HASH, EventStore, ReadFilter
from ledger.testing import ManualClock, absent, complaint_received, early, instant, late, praised


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

    def test_an_empty_batch_appends_nothing(self, store: EventStore) -> None:
        report = store.append([])
        assert (report.appended, report.already_present, store.head()) == ((), (), 0)

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

    def test_a_failing_transaction_rolls_its_appends_back(self, store: EventStore) -> None:
        store.append([late("E1")])
        with pytest.raises(RuntimeError), store.transaction():
            store.append([late("E2"), early("E1")])
            raise RuntimeError("caller gave up")
        assert (store.head(), store.employees(), store.stream_version("E1")) == (1, ["E1"], 1)
        assert store.verify().ok

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
