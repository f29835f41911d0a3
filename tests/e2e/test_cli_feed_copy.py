"""End-to-end: the change feed (``Ledger.follow``, ``ledger feed``) and ``ledger copy``, on
SQLite and on PostgreSQL (a fresh database per test; skipped without a server, failing with
``CI=true``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ledger.app import Ledger
from ledger.cli import cli, main
from ledger.feed import select_types
from ledger.store import EventStore, chain_hash, open_store
from ledger.testing import ManualClock, absent, early, late

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LEDGER = Path(sys.executable).parent / "ledger"
LAG_LIMIT = 1.0  # seconds from a commit to a follower printing it


def in_process() -> click.Group:
    """The `ledger` group with every command registered."""
    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
        main(["--help"])
    return cli


def run(*args: str) -> tuple[int, str, str]:
    done = CliRunner().invoke(in_process(), list(args))
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception
    return done.exit_code, done.stdout, done.stderr


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty ledger location on each backend."""
    if request.param == "sqlite":
        return str(tmp_path / "ledger.db")
    url: str = request.getfixturevalue("pg_url")
    return url


def _quarter(location: str) -> int:
    """The example quarter, imported and ticked; returns the head."""
    code, _, err = run("--db", location, "init")
    assert code == 0, err
    code, _, err = run("--db", location, "import", str(EXAMPLES / "quarter.jsonl"))
    assert code == 0, err
    code, _, err = run("--db", location, "tick", "--now", "2026-10-01T00:00:00+08:00")
    assert code == 0, err
    store = open_store(location, readonly=True)
    try:
        return store.head()
    finally:
        store.close()


# -- the feed --------------------------------------------------------------------------------


def test_select_types_expands_patterns_and_refuses_what_selects_nothing() -> None:
    chosen = select_types(["sanction.*", "grade.assigned"])
    assert chosen is not None
    assert {"sanction.issued", "sanction.voided", "grade.assigned"} <= chosen
    assert all(t.startswith(("sanction.", "grade.")) for t in chosen)
    assert select_types(None) is None
    with pytest.raises(Exception, match="selects no event type"):
        select_types(["sanctions.*"])


def test_follow_yields_the_log_in_order_and_resumes_after_a_checkpoint(location: str) -> None:
    with Ledger.open(location, clock=ManualClock("2026-10-02 09:00")) as ledger:
        ledger.record([late("E1"), early("E2"), absent("E1")])
        head = ledger.store.head()
        everything = list(ledger.follow(wait=False))
        assert [r.position for r in everything] == list(range(1, head + 1))
        resumed = list(ledger.follow(after=3, wait=False))
        assert [r.position for r in resumed] == list(range(4, head + 1))
        assert [r.event for r in resumed] == [r.event for r in everything[3:]]
        lateness = list(ledger.follow(types=["attendance.late_*"], wait=False))
        assert [r.event.employee_id for r in lateness] == ["E1"]


def test_follow_on_the_in_memory_store_waits_for_another_thread() -> None:
    ledger = Ledger.in_memory(clock=ManualClock("2026-10-02 09:00"))
    start = ledger.store.head()
    timer = threading.Timer(0.2, lambda: ledger.record(late("E5")))
    timer.start()
    first = next(iter(ledger.follow(after=start, timeout=5)))
    timer.join(5)
    assert (first.position, first.event.employee_id) == (start + 1, "E5")
    assert list(ledger.follow(after=ledger.store.head(), timeout=0.1)) == []


def test_a_follower_sees_an_event_committed_elsewhere_within_a_second(location: str) -> None:
    Ledger.open(location, clock=ManualClock("2026-10-02 09:00")).close()
    reader = Ledger.open(location, readonly=True)
    writer: EventStore = open_store(location, clock=ManualClock("2026-10-02 09:00"))
    seen: queue.Queue[tuple[int, float]] = queue.Queue()
    stop = threading.Event()
    start = reader.store.head()

    def follow() -> None:
        for recorded in reader.follow(after=start, timeout=10):
            seen.put((recorded.position, time.monotonic()))
            if stop.is_set():
                return

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    try:
        lags = []
        for n in range(3):
            time.sleep(0.3)  # the follower is waiting, caught up
            if n == 2:
                stop.set()
            committed = time.monotonic()
            writer.append([late(f"F{n}")])
            position, when = seen.get(timeout=5)
            assert position == start + n + 1
            lags.append(when - committed)
        thread.join(5)
        assert max(lags) < LAG_LIMIT, lags
    finally:
        stop.set()
        writer.close()
        reader.close()


def test_feed_lists_positions_in_order_with_hash_and_wire_fields(location: str) -> None:
    head = _quarter(location)
    code, out, err = run("--db", location, "feed", "--after", "0")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["position"] for line in lines] == list(range(1, len(lines) + 1))
    assert len(lines) == head
    prev = "0" * 64
    for line in lines:  # each line is the chained record and its hash
        record = {k: v for k, v in line.items() if k != "hash"}
        assert chain_hash(prev, record) == line["hash"]
        prev = line["hash"]
    assert {"event_id", "type", "employee_id", "occurred_at", "recorded_at", "data"} <= set(
        lines[0]
    )
    code, out, _ = run("--db", location, "feed", "--after", "20", "--types", "sanction.*,grade.*")
    picked = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and picked
    assert all(p["position"] > 20 for p in picked)
    assert {p["type"] for p in picked} <= {"sanction.issued", "grade.assigned"}
    code, _, err = run("--db", location, "feed", "--types", "nothing.*")
    assert code == 2 and "selects no event type" in err


def test_feed_follow_prints_a_new_event_within_a_second_of_its_commit(location: str) -> None:
    Ledger.open(location).close()
    environment = {k: v for k, v in os.environ.items() if k not in ("LEDGER_DB", "LEDGER_WAIT")}
    head = open_store(location, readonly=True)
    start = head.head()
    head.close()
    follower = subprocess.Popen(
        [str(LEDGER), "--db", location, "feed", "--after", str(start - 1), "--follow"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    )
    lines: queue.Queue[tuple[bytes, float]] = queue.Queue()

    def pump() -> None:
        assert follower.stdout is not None
        for line in follower.stdout:
            lines.put((line, time.monotonic()))

    threading.Thread(target=pump, daemon=True).start()
    writer = open_store(location)
    try:
        first, _ = lines.get(timeout=30)  # the last event so far: the follower is running
        assert json.loads(first)["position"] == start
        time.sleep(0.3)  # caught up and waiting
        committed = time.monotonic()
        writer.append([late("E77")])
        line, when = lines.get(timeout=5)
        event = json.loads(line)
        assert (event["position"], event["employee_id"]) == (start + 1, "E77")
        assert when - committed < LAG_LIMIT, f"printed {when - committed:.2f} s after the commit"
    finally:
        writer.close()
        follower.terminate()
        follower.wait(10)


# -- copy ------------------------------------------------------------------------------------


@pytest.fixture
def other(request: pytest.FixtureRequest, location: str, tmp_path: Path) -> str:
    """An empty ledger location on the other backend than ``location``."""
    if location.startswith("postgresql"):
        return str(tmp_path / "copy.db")
    url: str = request.getfixturevalue("pg_url")
    return url


def _rows(location: str) -> list[tuple[object, ...]]:
    store = open_store(location, readonly=True)
    try:
        return [tuple(row) for row in store.rows()]
    finally:
        store.close()


def test_copy_moves_the_log_byte_for_byte_to_the_other_backend_and_back(
    location: str, other: str, tmp_path: Path
) -> None:
    head = _quarter(location)
    code, out, err = run("copy", "--from", location, "--to", other)
    assert code == 0, err
    assert f"copied {head} events" in out and "verified" in out
    assert f"copying {head} events" in err
    assert _rows(other) == _rows(location)  # positions, recorded_at, text and hashes
    back = str(tmp_path / "back.db")
    code, _, err = run("copy", "--from", other, "--to", back)
    assert code == 0, err
    assert _rows(back) == _rows(location)
    code, out, err = run("--db", other, "verify")
    assert code == 0 and f"intact: {head} events" in out, err
    code, out, err = run("--db", other, "sanctions", "--period", "2026Q3", "--format", "json")
    assert code == 0 and "85c72d09" in out


def test_copy_refuses_a_destination_that_holds_events(location: str, other: str) -> None:
    _quarter(location)
    Ledger.open(other).close()  # adopts the default rulebook: one event
    before = _rows(other)
    code, _, err = run("copy", "--from", location, "--to", other)
    assert code == 2
    assert "already holds 1 events" in err
    assert _rows(other) == before


def test_copy_of_an_altered_source_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "source.db"
    _quarter(str(source))
    with contextlib.closing(sqlite3.connect(source)) as conn:
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("UPDATE events SET recorded_by = 'forged' WHERE position = 5")
        conn.commit()
    target = tmp_path / "target.db"
    code, _, err = run("copy", "--from", str(source), "--to", str(target))
    assert code == 1
    assert "source does not verify" in err and "position 5" in err
    assert not target.exists()


def test_copy_of_a_missing_source_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("copy", "--from", str(tmp_path / "none.db"), "--to", str(tmp_path / "x"))
    assert code == 2 and "not a ledger database" in err
    assert not (tmp_path / "x").exists()
