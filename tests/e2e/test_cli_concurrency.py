"""End-to-end: several `ledger` processes on one database file.

Writers (init, record, import, ...) queue behind each other and say so once on stderr;
readers open the file read-only and answer from the last commit while a writer holds the
lock; nothing that is not a ledger database is ever created or modified by a reader.

Where concurrency between processes is the point these run the installed console script
as real subprocesses, each bounded by a timeout; refusals of a bad file run in process.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ledger.cli import cli, main
from ledger.store import SQLiteStore

BENCH = Path(__file__).resolve().parents[2] / "bench"
LEDGER = Path(sys.executable).parent / "ledger"
WAITING = "waiting for another writer"
NOT_A_LEDGER = "not a ledger database"
SERIAL = itertools.count(1)  # names the output files of background processes
TIMEOUT = 120  # seconds: a hang guard; no subprocess of this file comes near it


def env() -> dict[str, str]:
    """The environment without the user's $LEDGER_DB / $LEDGER_WAIT."""
    return {k: v for k, v in os.environ.items() if k not in ("LEDGER_DB", "LEDGER_WAIT")}


def ledger(db: Path, *args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run the installed `ledger` script to completion."""
    return subprocess.run(
        [str(LEDGER), "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env(),
    )


class Proc:
    """A `ledger` subprocess running in the background, its output captured in files
    (so the test can read stderr while it runs, and no pipe can fill up)."""

    def __init__(self, db: Path, *args: str, logs: Path) -> None:
        logs.mkdir(parents=True, exist_ok=True)
        stem = f"{next(SERIAL)}-{args[0]}"
        self.out_path, self.err_path = logs / f"{stem}.out", logs / f"{stem}.err"
        with self.out_path.open("w") as out, self.err_path.open("w") as err:
            self.popen = subprocess.Popen(
                [str(LEDGER), "--db", str(db), *args], stdout=out, stderr=err, env=env()
            )

    @property
    def stdout(self) -> str:
        return self.out_path.read_text()

    @property
    def stderr(self) -> str:
        return self.err_path.read_text()

    def running(self) -> bool:
        return self.popen.poll() is None

    def wait(self, timeout: float = TIMEOUT) -> int:
        return self.popen.wait(timeout=timeout)

    def kill(self) -> None:
        if self.running():
            self.popen.kill()
            self.popen.wait(timeout=10)


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    """Background processes a test starts; any still running at the end is killed."""
    started: list[Proc] = []
    yield started
    for proc in started:
        proc.kill()


def poll(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait until ``condition()`` is true, failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def write_locked(db: Path) -> bool:
    """Whether another connection holds the database's write lock (never keeps it)."""
    conn = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return True
        raise
    else:
        conn.execute("ROLLBACK")
        return False
    finally:
        conn.close()


def stored(db: Path) -> list[tuple[str, str, str]]:
    """Every stored event as (event id, type, employee), read through the store read-only."""
    store = SQLiteStore(db, readonly=True)
    try:
        return [(str(r.event_id), r.event.type, r.event.employee_id) for r in store.read()]
    finally:
        store.close()


@pytest.fixture(scope="module")
def fresh_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database made by `ledger init` (once per module: copies of it are handed out)."""
    db = tmp_path_factory.mktemp("template") / "ledger.db"
    done = ledger(db, "init")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in db.parent.iterdir()) == ["ledger.db"]  # WAL checkpointed
    return db


@pytest.fixture
def db(fresh_ledger: Path, tmp_path: Path) -> Path:
    """A fresh copy of the `ledger init`-ed database."""
    path = tmp_path / "ledger.db"
    shutil.copyfile(fresh_ledger, path)
    return path


# -- data ------------------------------------------------------------------------------------


def working_days(start: date = date(2026, 7, 1), end: date = date(2026, 9, 30)) -> list[date]:
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return [d for d in days if d.weekday() < 5]


def write_feed(path: Path, prefix: str, employees: int, per_employee: int, seed: int) -> list[str]:
    """A JSON Lines feed: one `employee.hired` per employee of ``prefix``, then late arrivals
    (most within the grace period, some beyond) on the quarter's working days. Returns the
    event ids, in file order."""
    rng = random.Random(seed)
    days = working_days()
    assert per_employee - 1 <= len(days)
    ids: list[str] = []
    lines: list[str] = []

    def emit(kind: str, emp: str, at: str, by: str, data: dict[str, object]) -> None:
        event_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        ids.append(event_id)
        lines.append(
            json.dumps(
                {
                    "event_id": event_id,
                    "type": kind,
                    "employee_id": emp,
                    "occurred_at": at,
                    "recorded_by": by,
                    "data": data,
                }
            )
        )

    for n in range(1, employees + 1):
        emp = f"{prefix}E{n:03d}"
        hired_on = date(2025, 1, 2) + timedelta(days=n)
        emit(
            "employee.hired",
            emp,
            f"{hired_on.isoformat()}T09:00:00+08:00",
            "hr:H01",
            {
                "department": "front-desk",
                "role": "clerk",
                "hired_on": hired_on.isoformat(),
                "monthly_wage": f"{rng.randrange(5000, 9000, 100)}.00",
            },
        )
        for day in days[: per_employee - 1]:
            minutes = rng.choice((1, 2, 3, 4, 12))
            emit(
                "attendance.late_arrival",
                emp,
                f"{day.isoformat()}T09:{minutes:02d}:00+08:00",
                "system:badge",
                {"minutes": minutes},
            )
    path.write_text("\n".join(lines) + "\n")
    return ids


# -- 1. concurrent imports -------------------------------------------------------------------

IMPORTERS = 4
EMPLOYEES_PER_FILE = 25
EVENTS_PER_EMPLOYEE = 48  # 1,200 events a file


def test_concurrent_imports_of_disjoint_files_store_every_event_once(
    db: Path, tmp_path: Path, procs: list[Proc]
) -> None:
    feeds: dict[Path, list[str]] = {}
    for n in range(1, IMPORTERS + 1):
        path = tmp_path / f"feed{n}.jsonl"
        feeds[path] = write_feed(path, f"P{n}", EMPLOYEES_PER_FILE, EVENTS_PER_EMPLOYEE, seed=n)
    every_id = [i for ids in feeds.values() for i in ids]
    assert (
        len(set(every_id)) == len(every_id) == IMPORTERS * EMPLOYEES_PER_FILE * EVENTS_PER_EMPLOYEE
    )

    # Another writer holds the lock while the imports start, so that they queue whatever
    # the machine's load (each validates its whole file first, then asks for the lock):
    # every one of them says it waits, once, and goes on when the lock is free.
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        for path in feeds:
            procs.append(Proc(db, "import", str(path), logs=tmp_path / "logs"))
        deadline = time.monotonic() + TIMEOUT
        while not all(WAITING in p.stderr for p in procs) and time.monotonic() < deadline:
            assert all(p.running() for p in procs), [p.stderr for p in procs]
            time.sleep(0.05)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert all(WAITING in p.stderr for p in procs), [p.stderr for p in procs]
    for proc, path in zip(procs, feeds, strict=True):
        assert proc.wait() == 0, proc.stderr
        assert f"appended {len(feeds[path])}, already present 0, rejected 0" in proc.stdout
    for proc in procs:
        assert proc.stderr.count(WAITING) <= 1, proc.stderr  # said once, not per retry

    events = stored(db)
    seen = Counter(event_id for event_id, _, _ in events)
    assert all(seen[i] == 1 for i in every_id)
    assert sum(1 for _, kind, _ in events if kind == "rulebook.adopted") == 1
    # Nothing but the feeds, the rulebook and what the ledger derived from them.
    ours = {i for i, _, _ in events} - set(every_id)
    assert all(
        kind == "rulebook.adopted" or (kind.startswith("sanction.") and emp.startswith("P"))
        for event_id, kind, emp in events
        if event_id in ours
    ), Counter(kind for event_id, kind, _ in events if event_id in ours)

    verified = ledger(db, "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"intact: {len(events)} events" in verified.stdout


# -- 2. racing init --------------------------------------------------------------------------


@pytest.mark.parametrize("round_", [1, 2, 3])
def test_racing_inits_of_a_new_file_adopt_the_rulebook_once(
    tmp_path: Path, procs: list[Proc], round_: int
) -> None:
    db = tmp_path / f"race{round_}.db"
    procs.extend(Proc(db, "init", logs=tmp_path / "logs") for _ in range(4))
    for proc in procs:
        assert proc.wait() == 0, proc.stderr
        assert f"ledger ready at {db}: 1 events, rulebook" in proc.stdout
        assert "error" not in proc.stderr.lower(), proc.stderr
    events = stored(db)
    assert [kind for _, kind, _ in events] == ["rulebook.adopted"]


# -- 3. readers refuse what is not a ledger, and leave it as it was ---------------------------

READERS = [
    ["verify"],
    ["sanctions"],
    ["scorecards", "--period", "2026Q3"],
    ["payroll"],
    ["explain", "abc"],
    ["rules"],
    ["export", "--period", "2026Q3", "--out", "{out}"],
    ["complaints"],
    ["replay", "--period", "2026Q3"],
]


def in_process() -> click.Group:
    """The `ledger` group with every command registered, for quick in-process runs."""
    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
        main(["--help"])
    return cli


def foreign_sqlite(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total TEXT)")
        conn.execute("INSERT INTO invoices (total) VALUES ('12.50')")
        conn.commit()


def listing(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_verify_of_an_empty_file_exits_2_and_leaves_it_empty(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    db.touch()
    done = ledger(db, "verify")
    assert done.returncode == 2
    assert NOT_A_LEDGER in done.stderr
    assert "Traceback" not in done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["empty.db"]  # no -wal, -shm, -journal
    assert db.stat().st_size == 0


@pytest.mark.parametrize("kind", ["missing", "empty", "random bytes", "foreign sqlite"])
@pytest.mark.parametrize("args", READERS, ids=lambda a: a[0])
def test_reading_commands_refuse_what_is_not_a_ledger_and_change_nothing(
    tmp_path: Path, kind: str, args: list[str]
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    db = home / "company.db"
    if kind == "empty":
        db.touch()
    elif kind == "random bytes":
        db.write_bytes(random.Random(7).randbytes(8192))
    elif kind == "foreign sqlite":
        foreign_sqlite(db)
    before = listing(home)
    out = tmp_path / "bundle"
    argv = ["--db", str(db), *(a.format(out=out) for a in args)]

    done = CliRunner().invoke(in_process(), argv)

    assert done.exit_code == 2, (done.output, done.exception)
    assert isinstance(done.exception, SystemExit)  # an error message, not a crash
    assert NOT_A_LEDGER in done.stderr
    assert listing(home) == before  # not created, not truncated, no schema, no WAL files
    assert not out.exists()
    if kind == "empty":
        assert db.stat().st_size == 0


# -- 4. readers do not wait for a writer -----------------------------------------------------

BIG_EVENTS, BIG_EMPLOYEES = 50_000, 500
READER_LIMIT = 10.0  # seconds a reader may take while the import holds the write lock


def test_readers_answer_promptly_while_a_long_import_holds_the_write_lock(
    db: Path, tmp_path: Path, procs: list[Proc]
) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        from datagen import generate  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(BENCH))
    big = tmp_path / "big.jsonl"
    generate(big, events=BIG_EVENTS, employees=BIG_EMPLOYEES)
    head = len(stored(db))

    importer = Proc(db, "import", str(big), logs=tmp_path / "logs")
    procs.append(importer)
    # The import validates the whole file first, then holds the write lock while appending.
    poll(lambda: write_locked(db) or not importer.running(), 60, "the import to take the lock")
    assert importer.running(), f"the import ended before it was seen writing: {importer.stderr}"

    for args in (["sanctions"], ["verify"], ["payroll"]):
        started = time.monotonic()
        done = ledger(db, *args, timeout=READER_LIMIT * 3)
        took = time.monotonic() - started
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        assert took < READER_LIMIT, (args, took)
        assert WAITING not in done.stderr, (args, done.stderr)
        if args == ["verify"]:  # the last commit: the log before the import
            assert f"intact: {head} events" in done.stdout, done.stdout
    # Still inside the import's one transaction: the readers ran beside the writer.
    assert importer.running() and write_locked(db), "the import finished before the readers"

    assert importer.wait() == 0, importer.stderr
    assert f"appended {BIG_EVENTS}, already present 0" in importer.stdout
    assert WAITING not in importer.stderr  # the readers never held it up


# -- 5. a writer queues behind another writer ------------------------------------------------

RECORD = (
    "record",
    "attendance.late_arrival",
    "-e",
    "E1",
    "--at",
    "2026-07-03T09:12:00+08:00",
    "--data",
    '{"minutes": 12}',
)


@contextlib.contextmanager
def holding_write_lock(db: Path) -> Iterator[sqlite3.Connection]:
    """Hold the database's write lock (``BEGIN IMMEDIATE``) until the caller commits or
    leaves the block (rolled back then)."""
    conn = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()


def test_a_writer_waits_for_another_writer_then_succeeds(
    db: Path, tmp_path: Path, procs: list[Proc]
) -> None:
    event_id = str(uuid.uuid4())
    with holding_write_lock(db) as lock:
        writer = Proc(db, *RECORD, "--id", event_id, logs=tmp_path / "logs")
        procs.append(writer)
        poll(lambda: WAITING in writer.stderr or not writer.running(), 30, "the waiting notice")
        assert writer.running(), (writer.stdout, writer.stderr)
        time.sleep(1.0)
        assert writer.running(), "the writer did not wait for the lock"
        assert event_id not in {i for i, _, _ in stored(db)}
        lock.execute("COMMIT")
    assert writer.wait(timeout=30) == 0, writer.stderr
    assert writer.stdout.startswith(f"appended: {event_id} attendance.late_arrival E1")
    assert writer.stderr.count(WAITING) == 1, writer.stderr
    assert event_id in {i for i, _, _ in stored(db)}


def test_a_writer_gives_up_after_wait_seconds_and_writes_nothing(db: Path) -> None:
    before = stored(db)
    with holding_write_lock(db):
        started = time.monotonic()
        done = ledger(db, "--wait", "0.5", *RECORD, timeout=30)
        took = time.monotonic() - started
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert WAITING in done.stderr and "up to 0.5 s" in done.stderr
    error = done.stderr.split(WAITING, 1)[1]
    assert "error:" in error and "another writer" in error and "nothing written" in error
    assert "Traceback" not in done.stderr
    assert took < 15, took  # gave up after about half a second, not the default hour
    assert done.stdout == ""
    assert stored(db) == before
