"""The concurrency part of the store contract: threads and processes sharing one store.

A backend's test class inherits :class:`ConcurrencyContract` next to ``StoreContract`` and
may override the hooks below:

- ``supports_processes``: whether several OS processes may open the same store;
- ``open_at(path)``: a static method that opens the store at ``path`` in a child process
  (it is pickled by reference: best a function of a module that does not import pytest,
  such as ``store_children``, since every spawned child imports it);
- ``reopen(store, clock)``: close ``store`` and return a fresh store on the same data, or
  ``None`` when the backend cannot be reopened (the default);
- ``shared_location()``: where the processes test keeps its shared store (a file of
  ``workdir`` by default; a database URL for a server backend).

Every thread is a daemon and every join has a deadline, so a hang fails the test instead of
the run.
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from uuid import UUID

import pytest
from store_children import append_batches

from ledger.errors import ConcurrencyError, LedgerError
from ledger.events import Event
from ledger.store import AppendReport, EventStore
from ledger.testing import ManualClock, early, late

THREADS, APPENDS, BATCH = 8, 30, 20
RACERS, ROUNDS = 8, 20
PROCESSES, PROCESS_BATCHES, PROCESS_BATCH = 4, 10, 25
READER_BATCHES, READER_BATCH = 50, 10
JOIN_SECONDS = 30.0


def _join_all(threads: Sequence[threading.Thread], timeout: float = JOIN_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    alive = [t.name for t in threads if t.is_alive()]
    assert not alive, f"threads still running after {timeout}s: {alive}"


def _run_threads(targets: Iterable[Callable[[], None]], timeout: float = JOIN_SECONDS) -> None:
    threads = [threading.Thread(target=t, daemon=True, name=f"t{n}") for n, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    _join_all(threads, timeout)


def _foreign(errors: Iterable[BaseException]) -> list[str]:
    """Exceptions that are not ledger errors (a raw sqlite3 error must never escape)."""
    return [
        f"{type(e).__module__}.{type(e).__name__}: {e}"
        for e in errors
        if not isinstance(e, LedgerError) or isinstance(e, sqlite3.Error)
    ]


def _batch_for(thread: int, append: int) -> list[Event]:
    """20 events: 19 over the thread's own three employees, one for ``SHARED`` mid-batch."""
    events = [
        late(f"T{thread}-{n % 3}", f"2026-07-{1 + append % 28:02d} 09:{n:02d}", minutes=1 + n)
        for n in range(BATCH - 1)
    ]
    events.insert(BATCH // 2, early("SHARED", f"2026-07-{1 + append % 28:02d} 17:{thread:02d}"))
    return events


class ConcurrencyContract:
    """Behaviour every backend shows when threads (and, if supported, processes) share it."""

    workdir: Path
    supports_processes: bool = False

    def make_store(self, clock: ManualClock) -> EventStore:
        raise NotImplementedError

    def reopen(self, store: EventStore, clock: ManualClock) -> EventStore | None:
        """Close ``store`` and open its data afresh, or ``None`` when not reopenable."""
        return None

    @staticmethod
    def open_at(path: str) -> EventStore:
        """Open the store at ``path`` (in a child process)."""
        raise NotImplementedError

    def shared_location(self) -> str:
        """Where the processes test keeps the store its children share."""
        return str(self.workdir / "shared.db")

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _check_log(
        store: EventStore, committed: Sequence[Sequence[Event]], failed: Sequence[Sequence[Event]]
    ) -> None:
        recorded = list(store.read())
        assert [r.position for r in recorded] == list(range(1, len(recorded) + 1))
        stored = {r.event_id: r.event for r in recorded}
        assert len(stored) == len(recorded), "an event is stored twice"
        for batch in committed:
            assert all(stored.get(e.event_id) == e for e in batch), "a returned append is lost"
        for batch in failed:
            assert not any(e.event_id in stored for e in batch), "a failed append wrote events"
        assert len(recorded) == sum(len(b) for b in committed)
        versions: dict[str, int] = {}
        for r in recorded:
            versions[r.event.employee_id] = versions.get(r.event.employee_id, 0) + 1
            assert r.version == versions[r.event.employee_id], f"version gap at {r.position}"
        assert {e: store.stream_version(e) for e in versions} == versions
        report = store.verify()
        assert (report.ok, report.checked, report.problem) == (True, len(recorded), None)

    # -- threads sharing one store --------------------------------------------------------

    def test_threads_appending_to_one_store_lose_and_duplicate_nothing(
        self, clock: ManualClock
    ) -> None:
        store = self.make_store(clock)
        try:
            batches = [[_batch_for(t, a) for a in range(APPENDS)] for t in range(THREADS)]
            start = threading.Barrier(THREADS, timeout=10)
            outcomes: list[list[tuple[list[Event], AppendReport | BaseException]]] = [
                [] for _ in range(THREADS)
            ]

            def worker(thread: int) -> Callable[[], None]:
                def run() -> None:
                    start.wait()
                    for batch in batches[thread]:
                        try:
                            outcomes[thread].append((batch, store.append(batch)))
                        except Exception as exc:
                            outcomes[thread].append((batch, exc))

                return run

            _run_threads([worker(t) for t in range(THREADS)])
            done = [o for per_thread in outcomes for o in per_thread]
            assert len(done) == THREADS * APPENDS
            errors = [r for _, r in done if isinstance(r, BaseException)]
            assert _foreign(errors) == []
            committed = [b for b, r in done if isinstance(r, AppendReport)]
            failed = [b for b, r in done if isinstance(r, BaseException)]
            for batch, result in done:
                if isinstance(result, AppendReport):
                    positions = [r.position for r in result.appended]
                    assert [r.event_id for r in result.appended] == [e.event_id for e in batch]
                    assert positions == list(range(positions[0], positions[0] + len(batch)))
            self._check_log(store, committed, failed)
            reopened = self.reopen(store, clock)
            if reopened is not None:
                store = reopened
                self._check_log(store, committed, failed)
            assert [f"{type(e).__name__}: {e}" for e in errors] == []
            assert store.head() == THREADS * APPENDS * BATCH
        finally:
            store.close()

    @staticmethod
    def _race(store: EventStore, round_: int, version: int) -> list[AppendReport | Exception]:
        """``RACERS`` threads append one E1 event each at ``version``, released together."""
        start = threading.Barrier(RACERS, timeout=10)
        results: list[AppendReport | Exception] = []
        lock = threading.Lock()

        def racer(n: int) -> Callable[[], None]:
            event = late("E1", f"2026-07-01 09:{round_:02d}", minutes=1 + n)

            def run() -> None:
                start.wait()
                try:
                    result: AppendReport | Exception = store.append(
                        [event], expected_version=version
                    )
                except Exception as exc:
                    result = exc
                with lock:
                    results.append(result)

            return run

        _run_threads([racer(n) for n in range(RACERS)])
        return results

    def test_racing_one_expected_version_lets_exactly_one_append_win(
        self, store: EventStore
    ) -> None:
        for round_ in range(ROUNDS):
            version = store.stream_version("E1")
            results = self._race(store, round_, version)
            errors = [r for r in results if isinstance(r, Exception)]
            assert _foreign(errors) == []
            wins = [r for r in results if isinstance(r, AppendReport)]
            assert len(wins) == 1, f"round {round_}: {len(wins)} winners"
            assert len(wins[0].appended) == 1
            assert all(isinstance(e, ConcurrencyError) for e in errors), [
                f"{type(e).__name__}: {e}" for e in errors
            ]
            assert len(errors) == RACERS - 1
            assert store.stream_version("E1") == version + 1
        assert store.head() == ROUNDS
        assert store.verify().ok

    def test_a_polling_reader_sees_only_whole_committed_batches(self, store: EventStore) -> None:
        batches = [
            [late(f"E{n % 4}", f"2026-07-{1 + b % 28:02d} 09:{n:02d}") for n in range(READER_BATCH)]
            for b in range(READER_BATCHES)
        ]
        writing = threading.Event()
        finished = threading.Event()
        seen: list[list[int]] = []
        problems: list[BaseException] = []

        def writer() -> None:
            writing.set()
            try:
                for batch in batches:
                    store.append(batch)
            except Exception as exc:
                problems.append(exc)
            finally:
                finished.set()

        def reader() -> None:
            writing.wait(10)
            try:
                while not finished.is_set():
                    seen.append([r.position for r in store.read()])
                seen.append([r.position for r in store.read()])
            except Exception as exc:
                problems.append(exc)

        _run_threads([reader, writer])
        assert [f"{type(e).__name__}: {e}" for e in problems] == []
        heads = [len(positions) for positions in seen]
        for positions in seen:
            assert positions == list(range(1, len(positions) + 1)), "a read saw a gap"
            assert len(positions) % READER_BATCH == 0, f"a read saw a partial batch: {positions}"
        assert heads == sorted(heads), "the committed prefix shrank between reads"
        assert heads[-1] == READER_BATCHES * READER_BATCH

    def test_another_thread_never_sees_an_uncommitted_transaction(self, store: EventStore) -> None:
        store.append([late("E0")])
        before = (1, [1])
        after = (6, [1, 2, 3, 4, 5, 6])
        inside = threading.Event()
        release = threading.Event()
        observed: list[tuple[int, list[int]]] = []
        released_before_read_ended: list[bool] = []
        problems: list[BaseException] = []

        def holder() -> None:
            try:
                with store.transaction():
                    store.append([late("E1"), early("E1"), late("E2"), early("E2"), late("E3")])
                    inside.set()
                    assert release.wait(10), "never released"
            except BaseException as exc:
                problems.append(exc)
            finally:
                inside.set()

        def observer() -> None:
            try:
                seen = (store.head(), [r.position for r in store.read()])
                released_before_read_ended.append(release.is_set())
                observed.append(seen)
            except BaseException as exc:
                problems.append(exc)

        a = threading.Thread(target=holder, daemon=True, name="holder")
        a.start()
        assert inside.wait(10)
        b = threading.Thread(target=observer, daemon=True, name="observer")
        b.start()
        b.join(0.5)  # a backend that serialises keeps B waiting until A commits
        release.set()
        _join_all([a, b], 10)
        assert [f"{type(e).__name__}: {e}" for e in problems] == []
        assert len(observed) == 1
        if released_before_read_ended == [False]:
            assert observed[0] == before, "another thread saw an uncommitted transaction"
        else:  # B waited for A: each call saw one whole state, before or after the commit
            assert observed[0][0] in (before[0], after[0])
            assert observed[0][1] in (before[1], after[1])
        assert (store.head(), store.verify().ok) == (6, True)

    # -- processes --------------------------------------------------------------------------

    def test_processes_appending_concurrently_keep_batches_whole_and_the_log_gapless(
        self,
    ) -> None:
        if not self.supports_processes:
            pytest.skip("this backend is not shared between processes")
        path = self.shared_location()
        self.open_at(path).close()
        context = multiprocessing.get_context("spawn")
        start = context.Barrier(PROCESSES)
        outs = [self.workdir / f"child-{n}.json" for n in range(PROCESSES)]
        children = [
            context.Process(
                target=append_batches,
                args=(
                    type(self).open_at,
                    path,
                    n,
                    PROCESS_BATCHES,
                    PROCESS_BATCH,
                    start,
                    str(outs[n]),
                ),
            )
            for n in range(PROCESSES)
        ]
        try:
            for child in children:
                child.start()
            deadline = time.monotonic() + 60
            for child in children:
                child.join(max(0.0, deadline - time.monotonic()))
            assert [c.exitcode for c in children] == [0] * PROCESSES, [
                json.loads(o.read_text())["error"] if o.exists() else None for o in outs
            ]
        finally:
            for child in children:
                if child.is_alive():
                    child.kill()
                    child.join(5)
        reports = [json.loads(o.read_text()) for o in outs]
        total = PROCESSES * PROCESS_BATCHES * PROCESS_BATCH
        for report in reports:
            assert len(report["batches"]) == PROCESS_BATCHES
            for positions in report["batches"]:
                assert positions == list(range(positions[0], positions[0] + PROCESS_BATCH))
        reported = sorted(p for r in reports for b in r["batches"] for p in b)
        assert reported == list(range(1, total + 1))
        store = self.open_at(path)
        try:
            recorded = list(store.read())
            assert [r.position for r in recorded] == list(range(1, total + 1))
            ids = [r.event_id for r in recorded]
            assert len(set(ids)) == total
            assert set(ids) == {UUID(i) for r in reports for i in r["ids"]}
            report = store.verify()
            assert (report.ok, report.checked) == (True, total)
        finally:
            store.close()
