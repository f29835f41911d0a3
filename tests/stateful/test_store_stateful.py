"""The SQLite store against a list model, under random appends, retries and bad writes;
and what the triggers and the hash chain do about edits made behind the ledger's back."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path
from uuid import NAMESPACE_URL, uuid5

import orjson
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ledger.errors import ConcurrencyError, ConflictError, TamperedError
from ledger.events import Event
from ledger.store import SQLiteStore
from ledger.testing import ManualClock, events, late

EMPLOYEES = ("E1", "E2", "E3")
some_events = st.lists(events(employee_ids=EMPLOYEES), min_size=1, max_size=4)


class StoreMachine(RuleBasedStateMachine):
    """Every accepted batch is in the model; every refused one left the file untouched."""

    def __init__(self) -> None:
        super().__init__()
        self.workdir = Path(tempfile.mkdtemp(prefix="ledger-stateful-"))
        self.clock = ManualClock()
        self.store = SQLiteStore(self.workdir / "ledger.db", clock=self.clock, synchronous="OFF")
        self.model: list[Event] = []
        self.batches: list[tuple[list[Event], dict[str, int] | None]] = []
        self.serial = 0

    def _fresh(self, batch: list[Event]) -> list[Event]:
        # Hypothesis may repeat a UUID while shrinking; the model needs ids never used before.
        renamed = []
        for event in batch:
            self.serial += 1
            event_id = uuid5(NAMESPACE_URL, f"stateful/{self.serial}")
            renamed.append(event.model_copy(update={"event_id": event_id}))
        return renamed

    def _version(self, employee_id: str) -> int:
        return sum(1 for e in self.model if e.employee_id == employee_id)

    @rule(batch=some_events, pass_expected=st.booleans())
    def append_new_events(self, batch: list[Event], pass_expected: bool) -> None:
        batch = self._fresh(batch)
        expected = {e.employee_id: self._version(e.employee_id) for e in batch}
        report = self.store.append(batch, expected_version=expected if pass_expected else None)
        assert [r.event for r in report.appended] == batch
        self.model.extend(batch)
        self.batches.append((batch, expected if pass_expected else None))

    @precondition(lambda self: self.batches)
    @rule(data=st.data())
    def retry_an_appended_batch(self, data: st.DataObject) -> None:
        batch, expected = data.draw(st.sampled_from(self.batches))
        report = self.store.append(batch, expected_version=expected)
        assert report.appended == ()
        assert sorted(report.already_present) == sorted(e.event_id for e in batch)

    @rule(batch=some_events, employee=st.sampled_from(EMPLOYEES), skew=st.integers(1, 3))
    def append_with_a_stale_expected_version(
        self, batch: list[Event], employee: str, skew: int
    ) -> None:
        actual = self._version(employee)
        wrong = actual - skew if actual >= skew else actual + skew
        with pytest.raises(ConcurrencyError):
            self.store.append(self._fresh(batch), expected_version={employee: wrong})

    @precondition(lambda self: self.model)
    @rule(data=st.data(), companions=some_events)
    def append_a_conflicting_id(self, data: st.DataObject, companions: list[Event]) -> None:
        target = data.draw(st.sampled_from(self.model))
        impostor = target.model_copy(update={"recorded_by": target.recorded_by + "!"})
        batch = self._fresh(companions)
        batch.insert(data.draw(st.integers(0, len(batch))), impostor)
        with pytest.raises(ConflictError):
            self.store.append(batch)

    @rule(minutes=st.integers(-180, 180))
    def move_the_clock(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    @invariant()
    def head_counts_the_model(self) -> None:
        assert self.store.head() == len(self.model)

    @invariant()
    def chain_verifies(self) -> None:
        report = self.store.verify()
        assert (report.ok, report.checked) == (True, len(self.model))

    @invariant()
    def each_stream_reads_as_the_model(self) -> None:
        for employee in EMPLOYEES:
            stored = [r.event for r in self.store.read(employee_id=employee)]
            assert stored == [e for e in self.model if e.employee_id == employee]

    @invariant()
    def recorded_at_follows_position(self) -> None:
        times = [r.recorded_at for r in self.store.read()]
        assert times == sorted(times)

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


StoreMachine.TestCase.settings = settings(stateful_step_count=15)
TestStoreMachine = StoreMachine.TestCase


@pytest.fixture
def five_events(tmp_db: Path, clock: ManualClock) -> Path:
    """A ledger file holding five late arrivals, closed."""
    store = SQLiteStore(tmp_db, clock=clock)
    store.append([late("E1", f"2026-07-0{day} 09:10", minutes=day) for day in range(1, 6)])
    store.close()
    return tmp_db


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET data = '{\"minutes\":99}' WHERE position = 3",
        "DELETE FROM events WHERE position = 3",
    ],
)
def test_triggers_refuse_edits_of_stored_events(five_events: Path, statement: str) -> None:
    conn = _raw(five_events)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(statement)
    conn.close()


def test_verify_finds_an_update_made_with_the_triggers_dropped(
    five_events: Path, clock: ManualClock
) -> None:
    conn = _raw(five_events)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER events_no_delete")
    conn.execute("UPDATE events SET data = ? WHERE position = 3", ('{"minutes":1}',))
    conn.close()
    store = SQLiteStore(five_events, clock=clock)
    report = store.verify()
    assert (report.ok, report.first_bad_position, report.checked) == (False, 3, 2)
    store.close()


def test_verify_reports_a_deleted_event_as_a_missing_position(
    five_events: Path, clock: ManualClock
) -> None:
    conn = _raw(five_events)
    conn.execute("DROP TRIGGER events_no_delete")
    conn.execute("DELETE FROM events WHERE position = 3")
    conn.close()
    store = SQLiteStore(five_events, clock=clock)
    report = store.verify()
    assert not report.ok
    assert report.problem is not None and "position 3 is missing" in report.problem
    assert report.first_bad_position == 3
    store.close()


def test_reading_an_event_whose_data_no_longer_parses_raises_tampered(
    five_events: Path, clock: ManualClock
) -> None:
    conn = _raw(five_events)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute(
        "UPDATE events SET data = ? WHERE position = 3", (orjson.dumps({"minutes": -1}).decode(),)
    )
    conn.close()
    store = SQLiteStore(five_events, clock=clock)
    with pytest.raises(TamperedError, match="position 3"):
        list(store.read())
    store.close()
