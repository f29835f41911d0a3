"""FairLock: re-entrant, first come first served, with timeouts (ledger/store/fairlock.py)."""

from __future__ import annotations

import threading
import time

import pytest

from ledger.store.fairlock import FairLock


def _wait_until(condition: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.001)


def test_waiters_get_the_lock_in_the_order_they_arrived() -> None:
    lock = FairLock()
    order: list[int] = []
    lock.acquire()
    threads = []
    for n in range(6):

        def take(n: int = n) -> None:
            with lock:
                order.append(n)

        thread = threading.Thread(target=take, daemon=True)
        thread.start()
        threads.append(thread)
        _wait_until(lambda n=n: len(lock._waiters) == n + 1)
    lock.release()
    for thread in threads:
        thread.join(5)
    assert order == list(range(6))


def test_a_newcomer_cannot_overtake_a_waiter_the_lock_was_handed_to() -> None:
    lock = FairLock()
    lock.acquire()
    got: list[str] = []
    waiter = threading.Thread(target=lambda: (lock.acquire(), got.append("waiter")), daemon=True)
    waiter.start()
    _wait_until(lambda: len(lock._waiters) == 1)
    lock.release()
    assert lock.acquire(blocking=False) is False  # handed over, even before the waiter woke
    waiter.join(5)
    assert got == ["waiter"]


def test_the_owner_may_take_it_again_and_must_release_as_often() -> None:
    lock = FairLock()
    assert lock.acquire() and lock.acquire()
    lock.release()
    other = threading.Thread(target=lambda: result.append(lock.acquire(timeout=0.05)))
    result: list[bool] = []
    other.start()
    other.join(5)
    assert result == [False]
    lock.release()
    assert lock.acquire(blocking=False)
    lock.release()


def test_a_timed_out_waiter_leaves_the_queue() -> None:
    lock = FairLock()
    lock.acquire()
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(lock.acquire(timeout=0.05)))
    thread.start()
    thread.join(5)
    assert result == [False] and not lock._waiters
    lock.release()
    assert lock.acquire(blocking=False)


def test_releasing_a_lock_held_by_another_thread_is_an_error() -> None:
    lock = FairLock()
    with pytest.raises(RuntimeError):
        lock.release()
