"""One benchmark step, run in a fresh process: ``python bench/steps.py STEP --data F --db D``.

Prints one JSON object on standard output: the step's ``count`` (events, or samples for a
latency step), ``seconds`` (wall time of the measured section only: opening the database and
importing modules are excluded), the process's peak RSS read from ``/proc/self/status``
(``VmHWM``, kB) and the peak RSS of any worker processes it waited for
(``getrusage(RUSAGE_CHILDREN).ru_maxrss``, kB), plus step-specific fields. A step whose API
is not importable reports ``{"na": "..."}`` instead of numbers.

The concurrency steps (issue 10) report their own ``label``, the events appended as
``count``, wall time from a common start to the last finish, the writers' CPU time over the
same section, and ``n`` / ``p50_ms`` / ``p99_ms`` / ``max_ms`` of what ``percentiles_of``
names (the lock wait per import, or the ``record()`` latency), with their checks.

The daily feed steps (issue 11) report, besides the totals, every file's ``events``,
``seconds`` and ``cpu_seconds`` (``per_file``) and the CPU per file and per event of the
first and the last ``--edge`` files (``first_us_per_event``, ``last_us_per_event``,
``last_over_first``).
"""

from __future__ import annotations

import argparse
import gc
import inspect
import queue
import random
import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pgutil  # sibling modules of this script
import refs

from ledger import COMPANY_TZ, Ledger, write
from ledger.timeutil import Period

QUARTER = "2026Q3"
CLOCK = datetime(2026, 10, 1, 6, 0, tzinfo=COMPANY_TZ)
"""The ledger's clock in every step: the morning after the quarter."""
TICK_AT = datetime(2026, 10, 1, 0, 0, tzinfo=COMPANY_TZ)
"""``tick`` evaluates every deadline up to the quarter's end."""

Result = dict[str, Any]


class Timer:
    """Wall and CPU time of the measured sections (``with timer.measure():``), accumulated;
    with ``server`` (a PostgreSQL row), the local server's CPU time over them too."""

    def __init__(self, server: bool = False) -> None:
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self.server = server
        self.server_cpu_seconds: float | None = None

    @contextmanager
    def measure(self) -> Iterator[None]:
        start, cpu = time.perf_counter(), _cpu()
        served = pgutil.server_cpu_seconds() if self.server else None
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - start
            self.cpu_seconds += _cpu() - cpu
            after = pgutil.server_cpu_seconds() if served is not None else None
            if served is not None and after is not None:
                self.server_cpu_seconds = (self.server_cpu_seconds or 0.0) + after - served


def _cpu() -> float:
    """CPU seconds of this process and of the worker processes it has waited for."""
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + workers.ru_utime + workers.ru_stime


def _clock() -> datetime:
    return CLOCK


def _location(args: argparse.Namespace) -> str:
    """The step's database: ``--url`` (PostgreSQL, issue 12) when given, else ``--db``."""
    return str(args.url or args.db)


def _open(args: argparse.Namespace) -> Ledger:
    return Ledger.open(_location(args), clock=_clock, synchronous=args.synchronous)


def _lines(path: Path) -> int:
    with path.open("rb") as stream:
        return sum(1 for _ in stream)


def raw_floor(args: argparse.Namespace, timer: Timer) -> Result:
    with timer.measure():
        return refs.raw_sqlite(
            args.data, args.db, batch=args.batch, indexed=False, synchronous=args.synchronous
        )


def raw_indexed(args: argparse.Namespace, timer: Timer) -> Result:
    with timer.measure():
        return refs.raw_sqlite(
            args.data, args.db, batch=args.batch, indexed=True, synchronous=args.synchronous
        )


def es_aggregates(args: argparse.Namespace, timer: Timer) -> Result:
    with timer.measure():
        return refs.eventsourcing_aggregates(args.data, args.db, batch=args.batch)


def es_recorder(args: argparse.Namespace, timer: Timer) -> Result:
    with timer.measure():
        return refs.eventsourcing_recorder(args.data, args.db, batch=args.batch)


def ledger_validate(args: argparse.Namespace, timer: Timer) -> Result:
    """Decode and validate every line (``read_events``), storing nothing."""
    from ledger.importer import read_events

    count = 0
    with timer.measure(), args.data.open(encoding="utf-8") as stream:
        for _ in read_events(stream, source=str(args.data)):
            count += 1
    return {"count": count}


def ledger_append(args: argparse.Namespace, timer: Timer) -> Result:
    """Validate and ``store.append`` in batches in one transaction: no rules derived."""
    from ledger.importer import read_events

    count = 0
    with _open(args) as ledger, timer.measure(), args.data.open(encoding="utf-8") as stream:
        store = ledger.store
        with store.transaction():
            batch = []
            for _, event in read_events(stream, source=str(args.data)):
                batch.append(event)
                if len(batch) >= 5000:
                    count += len(store.append(batch).appended)
                    batch = []
            count += len(store.append(batch).appended) if batch else 0
    return {"count": count}


def ledger_import(args: argparse.Namespace, timer: Timer) -> Result:
    with _open(args) as ledger, timer.measure():
        report = ledger.import_file(args.data, workers=args.parse_workers)
    return {"count": report.lines, "appended": report.appended, "derived": report.derived}


def ledger_tick(args: argparse.Namespace, timer: Timer) -> Result:
    with _open(args) as ledger:
        with timer.measure():
            report = ledger.tick(TICK_AT)
        issued = ledger.store.read(types=frozenset({"sanction.issued"}))
        sanctions = sum(1 for _ in issued)  # streamed, so as not to inflate the peak RSS
    return {
        "count": _lines(args.data),
        "employees": report.employees,
        "derived": report.derived,
        "sanctions": sanctions,
    }


def ledger_rebuild(args: argparse.Namespace, timer: Timer) -> Result:
    from ledger.projections.store import Projections

    with _open(args) as ledger:
        projections = Projections(ledger)
        names = sorted(projections.registry)
        name = inspect.signature(projections.rebuild).parameters["name"]
        with timer.measure():
            if name.default is inspect.Parameter.empty:  # one projection per call
                employees = sum(projections.rebuild(n) for n in names)
            else:  # all of them from one view per employee
                employees = projections.rebuild()
    return {"count": _lines(args.data), "projections": names, "employees": employees}


def ledger_replay(args: argparse.Namespace, timer: Timer) -> Result:
    try:
        from ledger.audit import replay
    except ImportError as exc:
        return {"na": f"not available: {exc}"}
    with _open(args) as ledger, timer.measure():
        report = replay(ledger, Period.parse(QUARTER))
        totals = report.totals()
    return {"count": _lines(args.data), "employees": len(report.employees), "totals": totals}


def _percentiles(samples: list[float]) -> Result:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "count": len(samples),
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": p95 * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def _latencies(
    keys: list[Any], call: Callable[[Any], object], args: argparse.Namespace, timer: Timer
) -> Result:
    """Time ``call`` on random keys: ``--samples`` of them, or fewer when ``--budget`` runs out.

    At least five samples are taken; two warm-up calls (rulebook parsing, caches) are not
    counted.
    """
    if not keys:
        return {"na": "nothing to sample"}
    rng = random.Random(7)
    for key in rng.sample(keys, min(2, len(keys))):
        call(key)
    times: list[float] = []
    cpu = time.process_time()
    while len(times) < args.samples and (len(times) < 5 or sum(times) < args.budget):
        key = rng.choice(keys)
        start = time.perf_counter()
        call(key)
        times.append(time.perf_counter() - start)
    timer.seconds, timer.cpu_seconds = sum(times), time.process_time() - cpu
    return {**_percentiles(times), "population": len(keys)}


def latency_derive(args: argparse.Namespace, timer: Timer) -> Result:
    with _open(args) as ledger:
        return _latencies(ledger.employees(), ledger.derive, args, timer)


def latency_scorecard(args: argparse.Namespace, timer: Timer) -> Result:
    try:
        from ledger.projections.scorecard import scorecard
    except ImportError as exc:
        return {"na": f"not available: {exc}"}
    from ledger.projections.view import employee_view

    period = Period.parse(QUARTER)
    with _open(args) as ledger:
        return _latencies(
            ledger.employees(),
            lambda emp: scorecard(employee_view(ledger, emp), period).to_json(),
            args,
            timer,
        )


def latency_explain(args: argparse.Namespace, timer: Timer) -> Result:
    try:
        from ledger.audit import explain
    except ImportError as exc:
        return {"na": f"not available: {exc}"}
    with _open(args) as ledger:
        issued = ledger.store.read(types=frozenset({"sanction.issued"}))  # streamed: ids only
        ids = sorted(r.event.data.sanction_id for r in issued)
        return _latencies(ids, lambda sid: explain(ledger, sid).to_json(), args, timer)


# -- proofs (issue 15) -----------------------------------------------------------------------


def proof_checkpoint(args: argparse.Namespace, timer: Timer) -> Result:
    """Signed checkpoints and proofs over the quarter's log (issue 15). The log is built by
    validate + append (no rules, untimed: the cost depends on the number of events only).
    Timed: the first checkpoint (every event hashed, the block cache written), the next one
    after 1,000 more events (the cache extended), what ``verify --checkpoint`` adds (every
    event hashed again, no cache, and a consistency proof), and ``log_tree`` + an inclusion
    proof of a random event, as ``prove`` makes one per event of a receipt."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ledger.audit import checkpoint, log_tree
    from ledger.audit.merkle import verify_consistency, verify_inclusion
    from ledger.testing import make

    ledger_append(args, Timer())
    key = Ed25519PrivateKey.generate()
    with _open(args) as ledger:
        store = ledger.store
        with timer.measure():
            first = checkpoint(ledger, key)
        more = [
            make("service.phone_answered", f"P{i % 50}", at="2026-09-28 10:00", rings=1)
            for i in range(1000)
        ]
        store.append(more)
        start = time.perf_counter()
        second = checkpoint(ledger, key)
        warm = time.perf_counter() - start
        start = time.perf_counter()
        tree = log_tree(store, cached=False)
        proof = tree.consistency_proof(first.size)
        assert verify_consistency(first.size, tree.size, first.root, tree.root(), proof)
        verify_s = time.perf_counter() - start
        rng = random.Random(15)
        times = []
        for _ in range(max(5, min(args.samples, 50))):
            index = rng.randrange(second.size)
            start = time.perf_counter()
            cached = log_tree(store, second.size)
            path = cached.inclusion_proof(index)
            times.append(time.perf_counter() - start)
            assert verify_inclusion(cached.leaf(index), index, second.size, path, second.root)
    return {
        "count": first.size,
        "proofs": {
            "checkpoint_cold_s": timer.seconds,
            "checkpoint_warm_s": warm,
            "verify_tree_s": verify_s,
            "inclusion": _percentiles(times),
        },
    }


# -- concurrency (issue 10) ------------------------------------------------------------------


def _quantiles(samples: list[float]) -> Result:
    """p50, p99 and max of ``samples`` (seconds) in ms; p99 is the nearest rank, so with
    fewer than 100 samples it is one of the largest (with 12, the largest)."""
    ordered = sorted(samples)
    if not ordered:
        return {"n": 0}
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": p99 * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def _remove_db(path: Path | str) -> None:
    if pgutil.is_url(path):
        pgutil.drop(str(path))
        return
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _init_db(path: Path | str, synchronous: str) -> None:
    """A fresh ledger file (or PostgreSQL database), as ``ledger init`` makes it (schema and
    the default rulebook), adopted at the bench clock like every other row's database."""
    if pgutil.is_url(path):
        pgutil.recreate(str(path))
    else:
        _remove_db(path)
    Ledger.open(path, clock=_clock, synchronous=synchronous).close()


def _time_transactions(store: Any, spans: list[tuple[float, float, float]]) -> None:
    """Wrap ``store.transaction`` so that each outermost transaction appends ``(called,
    acquired, committed)`` on ``time.monotonic()`` (one clock for every process on Linux):
    acquired - called is the wait for the write lock (``BEGIN IMMEDIATE`` included)."""
    original = store.transaction
    local = threading.local()

    @contextmanager
    def timed() -> Iterator[None]:
        if getattr(local, "inside", False):
            with original():
                yield
            return
        called = time.monotonic()
        with original():
            acquired = time.monotonic()
            local.inside = True
            try:
                yield
            finally:
                local.inside = False
        spans.append((called, acquired, time.monotonic()))

    store.transaction = timed


def _writer(
    index: int, db: str, parts: list[str], synchronous: str, start: Any, results: Any
) -> None:
    """One writer process: open the shared file, say it is ready, wait for the common start
    (``start``, an event the parent sets once every writer is ready), import its parts."""
    try:
        waited: list[float] = []
        spans: list[tuple[float, float, float]] = []
        ledger = Ledger.open(
            db, clock=_clock, synchronous=synchronous, on_wait=lambda: waited.append(1.0)
        )
        _time_transactions(ledger.store, spans)
        imports = []
        results.put({"writer": index, "ready": True})
        start.wait()
        started, cpu = time.monotonic(), time.process_time()
        for part in parts:
            before, waits = time.monotonic(), len(waited)
            report = ledger.import_file(part)
            called, acquired, committed = spans[-1]
            imports.append(
                {
                    "validate_s": called - before,
                    "wait_s": acquired - called,
                    "held_s": committed - acquired,
                    "waited": len(waited) > waits,
                    "appended": report.appended,
                    "present": report.already_present,
                    "derived": report.derived,
                }
            )
        finished, cpu = time.monotonic(), time.process_time() - cpu
        ledger.close()
        results.put(
            {
                "writer": index,
                "started": started,
                "finished": finished,
                "cpu_seconds": cpu,
                "imports": imports,
                "peak_rss_kb": peak_rss_kb(),
            }
        )
    except BaseException as exc:  # reported by the parent, which would wait otherwise
        results.put({"writer": index, "error": f"{type(exc).__name__}: {exc}"})
        raise


def _collect(results: Any, processes: list[Any], key: str) -> list[Result]:
    """One message with ``key`` from every process; raises on a writer's error or death."""
    found: list[Result] = []
    while len(found) < len(processes):
        try:
            message = results.get(timeout=1)
        except queue.Empty:
            dead = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"a writer died (exit status {dead[0]})") from None
            continue
        if "error" in message:
            raise RuntimeError(f"writer {message['writer'] + 1} failed: {message['error']}")
        if key in message:
            found.append(message)
    return found


def _positions_by_writer(store: Any) -> list[str]:
    """The writer prefix (``W1-``...) of every stored event in position order; ``""`` for the
    ledger-wide stream."""
    return [
        r.employee_id.split("-", 1)[0] if r.employee_id.startswith("W") else ""
        for r in store.rows()
    ]


def _check_stored(db: Path | str, parts: list[Path], appended: int) -> Result:
    """Every line of ``parts`` stored exactly once, the chain intact, transactions whole."""
    from ledger.store import open_store

    wanted: list[UUID] = []
    for path in parts:
        with path.open("rb") as lines:
            wanted += [UUID(orjson.loads(line)["event_id"]) for line in lines]
    store = open_store(db, readonly=True)
    try:
        found = set(store._existing(wanted))
        owners = [w for w in _positions_by_writer(store) if w]
        blocks = sum(1 for i, w in enumerate(owners) if i == 0 or owners[i - 1] != w)
        chain = store.verify()
        return {
            "lines": len(wanted),
            "distinct_ids": len(set(wanted)),
            "stored_once": len(found) == len(set(wanted)) == len(wanted) == appended,
            "stored_events": store.head(),
            "writer_blocks": blocks,
            "verify_ok": chain.ok,
            "verify_checked": chain.checked,
        }
    finally:
        store.close()


def concurrency_writers(args: argparse.Namespace, timer: Timer) -> Result:
    """``--writers`` processes each import their own share of a quarter into one fresh file,
    all released at once (a barrier), in ``--imports`` files each, ``--runs`` times.

    Each writer's share is ``--events`` / ``--split`` events of ``--employees`` / ``--split``
    employees (``--split`` defaults to ``--writers``: together they import one quarter).
    """
    import multiprocessing

    import datagen

    writers, runs = args.writers, args.runs
    split = args.split or writers
    per_writer = args.events // split
    parts = datagen.writer_parts(
        args.db.parent,
        writers=writers,
        events=per_writer,
        employees=max(1, args.employees // split),
        seed=args.seed,
        ids=args.ids,
        imports=args.imports,
    )
    context = multiprocessing.get_context("spawn")
    outcomes: list[Result] = []
    location = _location(args)
    for _ in range(runs):
        _init_db(location, args.synchronous)
        start, results = context.Event(), context.Queue()
        processes = [
            context.Process(
                target=_writer,
                args=(
                    w,
                    location,
                    [str(p) for p in parts[w]],
                    args.synchronous,
                    start,
                    results,
                ),
            )
            for w in range(writers)
        ]
        for process in processes:
            process.start()
        _collect(results, processes, "ready")
        served = pgutil.server_cpu_seconds() if args.url else None
        start.set()
        done = _collect(results, processes, "finished")
        for process in processes:
            process.join()
        after = pgutil.server_cpu_seconds() if served is not None else None
        appended = sum(i["appended"] for d in done for i in d["imports"])
        check = _check_stored(location, [p for ps in parts for p in ps], appended)
        outcomes.append(
            {
                "seconds": max(d["finished"] for d in done) - min(d["started"] for d in done),
                "cpu_seconds": sum(d["cpu_seconds"] for d in done),
                "server_cpu_seconds": None if after is None else after - served,
                "appended": appended,
                "present": sum(i["present"] for d in done for i in d["imports"]),
                "derived": sum(i["derived"] for d in done for i in d["imports"]),
                "imports": [
                    i for d in sorted(done, key=lambda d: d["writer"]) for i in d["imports"]
                ],
                "writer_peak_rss_kb": [d["peak_rss_kb"] for d in done],
                **check,
            }
        )
    timer.seconds = sum(o["seconds"] for o in outcomes)
    timer.cpu_seconds = sum(o["cpu_seconds"] for o in outcomes)
    if all(o["server_cpu_seconds"] is not None for o in outcomes):
        timer.server_cpu_seconds = sum(o["server_cpu_seconds"] for o in outcomes)
    imports = [i for o in outcomes for i in o["imports"]]
    batched = (
        f" in {args.imports} imports of {per_writer // args.imports:,}" if args.imports > 1 else ""
    )
    return {
        "label": f"{writers} writer processes × {per_writer:,} events{batched} into one "
        + ("PostgreSQL database" if args.url else "file"),
        "count": sum(o["appended"] for o in outcomes),
        "runs": runs,
        "writers": writers,
        "per_writer": per_writer,
        "imports_per_writer": args.imports,
        "percentiles_of": "lock wait per import",
        **_quantiles([i["wait_s"] for i in imports]),
        "waited": sum(i["waited"] for i in imports),
        "held": _quantiles([i["held_s"] for i in imports]),
        "held_total_s": sum(i["held_s"] for i in imports),
        "validate": _quantiles([i["validate_s"] for i in imports]),
        "run_seconds": [o["seconds"] for o in outcomes],
        "derived": outcomes[-1]["derived"],
        "split": split,
        "stored_once": all(o["stored_once"] and o["present"] == 0 for o in outcomes),
        "verify_ok": all(o["verify_ok"] for o in outcomes),
        "writer_blocks": [o["writer_blocks"] for o in outcomes],
        "writers_peak_rss_kb": max(kb for o in outcomes for kb in o["writer_peak_rss_kb"]),
        "writers_peak_rss_sum_kb": max(sum(o["writer_peak_rss_kb"]) for o in outcomes),
        "outcomes": [{k: v for k, v in o.items() if k != "imports"} for o in outcomes],
    }


def _thread_batches(path: Path, threads: int, batches: int, size: int) -> list[list[list[Any]]]:
    """For each thread, ``batches`` lists of ``size`` parsed events of its own employees
    (dealt round-robin in order of appearance: the hirings first), in file order."""
    from ledger.importer import read_events

    want = batches * size
    owner: dict[str, int] = {}
    chosen: list[list[Any]] = [[] for _ in range(threads)]
    with path.open(encoding="utf-8") as stream:
        for _, event in read_events(stream, source=str(path)):
            thread = owner.setdefault(event.employee_id, len(owner) % threads)
            if len(chosen[thread]) < want:
                chosen[thread].append(event)
                if all(len(c) >= want for c in chosen):
                    break
    return [[c[i : i + size] for i in range(0, len(c), size)] for c in chosen]


def _record_all(ledger: Ledger, plan: list[list[list[Any]]], threads: bool) -> Result:
    """Record every batch of ``plan``: one thread per entry (released together), or all
    of them in order on this thread. Wall and CPU time, per-call latencies, reports."""
    latencies: list[float] = []
    finished: list[float] = []
    spans: list[tuple[float, float, float]] = []
    waits: list[float] = []
    ledger.store.on_wait = lambda: waits.append(1.0)  # type: ignore[attr-defined]
    _time_transactions(ledger.store, spans)
    appended = derived = 0
    lock = threading.Lock()
    failures: list[BaseException] = []

    def work(batches: list[list[Any]], barrier: threading.Barrier | None) -> None:
        nonlocal appended, derived
        mine: list[float] = []
        added = made = 0
        try:
            if barrier is not None:
                barrier.wait()
            for batch in batches:
                start = time.perf_counter()
                report = ledger.record(batch)
                mine.append(time.perf_counter() - start)
                added, made = added + report.appended, made + report.derived
        except BaseException as exc:
            failures.append(exc)
        with lock:
            latencies.extend(mine)
            finished.append(time.perf_counter())
            appended, derived = appended + added, derived + made

    if threads:
        barrier = threading.Barrier(len(plan) + 1)
        workers = [threading.Thread(target=work, args=(b, barrier)) for b in plan]
        for worker in workers:
            worker.start()
        barrier.wait()
        start, cpu = time.perf_counter(), time.process_time()
        for worker in workers:
            worker.join()
    else:
        start, cpu = time.perf_counter(), time.process_time()
        for batches in plan:
            work(batches, None)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if failures:
        raise failures[0]
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "count": appended,
        "derived": derived,
        "latency": _quantiles(latencies),
        "lock_wait": _quantiles([acquired - called for called, acquired, _ in spans]),
        "held": _quantiles([done - acquired for _, acquired, done in spans]),
        "held_total_s": sum(done - acquired for _, acquired, done in spans),
        "waited": len(waits),
        "first_done_s": min(finished) - start if threads else None,
    }


def _check_recorded(ledger: Ledger, plan: list[list[list[Any]]]) -> Result:
    from ledger.audit import verify

    ids = [e.event_id.bytes for batches in plan for batch in batches for e in batch]
    conn = ledger.store.conn  # type: ignore[attr-defined]
    present = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        present += conn.execute(
            f"SELECT count(*) FROM events WHERE event_id IN ({marks})", chunk
        ).fetchone()[0]
    audit = verify(ledger)
    return {"expected": len(ids), "present": present, "audit_ok": audit.ok}


def concurrency_threads(args: argparse.Namespace, timer: Timer) -> Result:
    """``--threads`` threads share one ``Ledger`` and each record ``--batches`` batches of
    ``--batch-events`` events; then the same batches by one thread into another fresh file."""
    plan = _thread_batches(args.data, args.threads, args.batches, args.batch_events)
    with Ledger.open(":memory:", clock=_clock) as scratch:  # warm code paths, not the files
        scratch.record(plan[0][0])
    _init_db(args.db, args.synchronous)
    with _open(args) as ledger:
        shared = _record_all(ledger, plan, threads=True)
        shared.update(_check_recorded(ledger, plan))
    alone = args.db.with_name(f"{args.db.stem}-sequential.db")
    _init_db(alone, args.synchronous)
    with Ledger.open(alone, clock=_clock, synchronous=args.synchronous) as ledger:
        one = _record_all(ledger, plan, threads=False)
        one.update(_check_recorded(ledger, plan))
    _remove_db(alone)
    timer.seconds, timer.cpu_seconds = shared.pop("seconds"), shared.pop("cpu_seconds")
    batches = sum(len(b) for b in plan)
    return {
        "label": f"{args.threads} threads sharing one Ledger, {args.batches} record() × "
        f"{args.batch_events} events each",
        **shared,
        "batches": batches,
        "percentiles_of": "record() latency",
        **shared.pop("latency"),
        "sequential": {
            "label": f"the same {batches} record() calls by one thread (same process)",
            **one,
            "percentiles_of": "record() latency",
            **one.pop("latency"),
        },
    }


# -- the change feed (issue 12) -------------------------------------------------------------


def _follower(location: str, after: int, count: int, out: Any, ready: Any) -> None:
    """A follower process: ``Ledger.follow`` from ``after``; reports ``(position, when seen)``
    on ``out`` for each event, ``count`` of them."""
    try:
        ledger = Ledger.open(location, readonly=True, adopt_default=False)
        ready.set()
        for seen, recorded in enumerate(ledger.follow(after=after, timeout=60), start=1):
            out.put((recorded.position, time.monotonic()))
            if seen >= count:
                break
        ledger.close()
    except BaseException as exc:  # reported by the parent, which would wait otherwise
        out.put(("error", f"{type(exc).__name__}: {exc}"))
        raise


def latency_feed(args: argparse.Namespace, timer: Timer) -> Result:
    """Feed lag: this process appends ``--appends`` single events, 10-50 ms apart, to a
    fresh ledger; a follower process (``Ledger.follow``) reports when it yields each one.
    The lag runs from the append's return (its commit) to the follower's ``yield``
    (``time.monotonic``, one clock for every process on Linux). Three warm-up appends are
    not counted."""
    import multiprocessing

    from ledger.store import open_store
    from ledger.testing import late

    location = _location(args)
    _init_db(location, args.synchronous)
    warm = 3
    total = warm + args.appends
    store = open_store(location, clock=_clock, synchronous=args.synchronous)
    context = multiprocessing.get_context("spawn")
    out, ready = context.Queue(), context.Event()
    follower = context.Process(target=_follower, args=(location, store.head(), total, out, ready))
    follower.start()
    rng = random.Random(7)
    lags: list[float] = []
    try:
        if not ready.wait(60):
            raise RuntimeError("the follower did not start")
        time.sleep(0.5)  # caught up and waiting
        cpu = time.process_time()
        for n in range(total):
            store.append([late(f"F{n % 10}", "2026-09-30 09:00", minutes=1 + n % 50)])
            committed = time.monotonic()
            position, seen = out.get(timeout=30)
            if position == "error":
                raise RuntimeError(f"the follower failed: {seen}")
            if n >= warm:
                lags.append(max(0.0, seen - committed))
            time.sleep(rng.uniform(0.01, 0.05))
        cpu = time.process_time() - cpu
    finally:
        follower.join(30)
        if follower.is_alive():
            follower.kill()
        store.close()
    timer.seconds, timer.cpu_seconds = sum(lags), cpu
    return {
        **_percentiles(lags),
        "population": args.appends,
        "p99_ms": _quantiles(lags)["p99_ms"],
        "waits_by": "LISTEN/NOTIFY" if pgutil.is_url(location) else "polling the head",
    }


# -- daily feed (issue 11) -------------------------------------------------------------------


class _GcClock:
    """CPU seconds the cyclic garbage collector has spent in this process so far (timed
    through ``gc.callbacks``): the feed rows report each file's share."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0
        gc.callbacks.append(self._phase)

    def _phase(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started


_GC = _GcClock()


def _feed_files(args: argparse.Namespace) -> list[tuple[Path, date]]:
    """The daily files of the feed; with ``--history`` (the feed of a ledger that already
    holds earlier quarters), ``--data`` is the quarter alone and ``--history`` the rest."""
    import datagen

    return datagen.daily_files(args.data, args.db.parent, files=args.files)


def _quarter_morning() -> datetime:
    """06:00 on the quarter's first day: the clock while the history is imported."""
    import datagen

    first = datagen.START
    return datetime(first.year, first.month, first.day, 6, tzinfo=COMPANY_TZ)


def _after_history(args: argparse.Namespace) -> str:
    return "" if args.history is None else f", after {args.history_quarters} quarters of history"


def _employees_in(path: Path) -> int:
    with path.open("rb") as lines:
        return len({orjson.loads(line)["employee_id"] for line in lines})


def _feed_summary(files: list[Result], edge: int) -> Result:
    """CPU per file and per event over the first and the last ``edge`` files, their ratio,
    and the µs/event of each fifth of the feed (pooled: CPU s over events)."""

    def pooled(chosen: list[Result]) -> float:
        return (
            1e6 * sum(f["cpu_seconds"] for f in chosen) / max(1, sum(f["events"] for f in chosen))
        )

    edge = max(1, min(edge, len(files) // 2 or 1))
    first, last = files[:edge], files[-edge:]
    fifths = [files[len(files) * i // 5 : len(files) * (i + 1) // 5] for i in range(5)]
    first_us, last_us = pooled(first), pooled(last)
    return {
        "gc_cpu_seconds": sum(f.get("gc_cpu_seconds", 0.0) for f in files),
        "edge": edge,
        "first_cpu_s": statistics.fmean(f["cpu_seconds"] for f in first),
        "last_cpu_s": statistics.fmean(f["cpu_seconds"] for f in last),
        "first_us_per_event": first_us,
        "last_us_per_event": last_us,
        "last_over_first": last_us / first_us if first_us else None,
        "fifths_us_per_event": [pooled(f) for f in fifths if f],
    }


def feed_ledger(args: argparse.Namespace, timer: Timer) -> Result:
    """Import the quarter as ``--files`` consecutive daily files into one fresh ledger, one
    ``import_file`` after the other (with ``--tick``, a ``tick`` at the end of each file's
    last day after it). The clock stands at 06:00 the morning after each file's last day."""
    files = _feed_files(args)
    touched = [_employees_in(path) for path, _ in files]
    ends = [
        datetime(d.year, d.month, d.day, tzinfo=COMPANY_TZ) + timedelta(days=1) for _, d in files
    ]
    now = [ends[0] + timedelta(hours=6)]  # the default rulebook is adopted at the first morning
    _remove_db(args.db)
    per_file: list[Result] = []
    history: Result = {}
    with Ledger.open(args.db, clock=lambda: now[0], synchronous=args.synchronous) as ledger:
        if args.history is not None:  # the quarters before, imported at once, not timed
            now[0] = _quarter_morning()
            start, cpu = time.perf_counter(), _cpu()
            report = ledger.import_file(args.history)
            if args.tick:
                ledger.tick(now[0] - timedelta(hours=6))
            history = {
                "history_quarters": args.history_quarters,
                "history_events": report.lines,
                "history_derived": report.derived,
                "history_seconds": time.perf_counter() - start,
                "history_cpu_seconds": _cpu() - cpu,
            }
        counted = dict(write.DERIVATIONS)
        for (path, _), end, employees in zip(files, ends, touched, strict=True):
            now[0] = end + timedelta(hours=6)
            item: Result = {"file": path.name, "employees": employees}
            start, cpu, collecting = time.perf_counter(), _cpu(), _GC.seconds
            report = ledger.import_file(path)
            item["import_seconds"] = time.perf_counter() - start
            item["import_cpu_seconds"] = _cpu() - cpu
            if args.tick:
                ticked = ledger.tick(end)
                item["tick_derived"] = ticked.derived
                item["tick_employees"] = ticked.employees
            item["seconds"] = time.perf_counter() - start
            item["cpu_seconds"] = _cpu() - cpu
            item["gc_cpu_seconds"] = _GC.seconds - collecting
            item.update(events=report.lines, appended=report.appended, derived=report.derived)
            per_file.append(item)
    timer.seconds = sum(f["seconds"] for f in per_file)
    timer.cpu_seconds = sum(f["cpu_seconds"] for f in per_file)
    result: Result = {
        "label": f"ledger: {len(files)} daily files"
        + (", tick at each file's end" if args.tick else "")
        + _after_history(args),
        "count": sum(f["events"] for f in per_file),
        **history,
        "files": len(per_file),
        "tick": args.tick,
        "derived": sum(f["derived"] + f.get("tick_derived", 0) for f in per_file),
        "import_cpu_seconds": sum(f["import_cpu_seconds"] for f in per_file),
        "derivations": {k: v - counted.get(k, 0) for k, v in write.DERIVATIONS.items()},
        **_feed_summary(per_file, args.edge),
        "per_file": per_file,
    }
    return result


def _feed_files_timed(
    files: list[tuple[Path, date]], append: Callable[[Path], Result], timer: Timer
) -> list[Result]:
    """Each file appended by ``append`` (which returns its ``count`` of events, the employees
    it ``touched`` and anything else to keep), timed; the timer gets the sums."""
    per_file: list[Result] = []
    for path, _ in files:
        start, cpu, collecting = time.perf_counter(), _cpu(), _GC.seconds
        done = dict(append(path))
        seconds, cpu = time.perf_counter() - start, _cpu() - cpu
        done["gc_cpu_seconds"] = _GC.seconds - collecting
        per_file.append(
            {
                "file": path.name,
                "events": done.pop("count"),
                "employees": done.pop("touched"),
                "seconds": seconds,
                "cpu_seconds": cpu,
                **done,
            }
        )
    timer.seconds = sum(f["seconds"] for f in per_file)
    timer.cpu_seconds = sum(f["cpu_seconds"] for f in per_file)
    return per_file


def feed_raw(args: argparse.Namespace, timer: Timer) -> Result:
    """The floor of the daily feed: the same files appended by raw ``sqlite3`` with the
    ledger's indexes and hash chain (``refs.RawLog``), one transaction per file, nothing
    derived. Its growth through the quarter is what SQLite's B-trees cost before any of the
    ledger's own work (an event-id index on random keys, two indexes by stream)."""
    files = _feed_files(args)
    _remove_db(args.db)
    log = refs.RawLog(args.db, indexed=True, synchronous=args.synchronous)
    history: Result = {}
    if args.history is not None:
        start, cpu = time.perf_counter(), _cpu()
        appended = log.append(next(refs.read_batches(args.history, 1 << 62), []))
        history = {
            "history_quarters": args.history_quarters,
            "history_employees": appended,
            "history_seconds": time.perf_counter() - start,
            "history_cpu_seconds": _cpu() - cpu,
        }

    def append(path: Path) -> Result:
        chunk = next(refs.read_batches(path, 1 << 62), [])
        return {"count": len(chunk), "touched": log.append(chunk)}

    try:
        per_file = _feed_files_timed(files, append, timer)
    finally:
        log.close()
    return {
        "label": f"raw sqlite3, the ledger's indexes: {len(files)} daily files"
        + _after_history(args),
        "count": sum(f["events"] for f in per_file),
        **history,
        "files": len(per_file),
        **_feed_summary(per_file, args.edge),
        "per_file": per_file,
    }


def feed_es(args: argparse.Namespace, timer: Timer) -> Result:
    """The same files through ``eventsourcing`` (``refs.EventsourcingFeed``): per file, get
    every touched employee's aggregate (snapshot + later events), apply, save once."""
    files = _feed_files(args)
    _remove_db(args.db)
    feed = refs.EventsourcingFeed(args.db, snapshot_every=args.snapshot_every)
    history: Result = {}
    try:
        if args.history is not None:
            start, cpu = time.perf_counter(), _cpu()
            feed.import_file(args.history)
            history = {
                "history_quarters": args.history_quarters,
                "history_seconds": time.perf_counter() - start,
                "history_cpu_seconds": _cpu() - cpu,
            }
        per_file = _feed_files_timed(files, feed.import_file, timer)
    finally:
        feed.close()
    return {
        "label": f"eventsourcing: {len(files)} daily files, snapshot every "
        f"{args.snapshot_every} events" + _after_history(args),
        "count": sum(f["events"] for f in per_file),
        **history,
        "files": len(per_file),
        "snapshot_every": args.snapshot_every,
        "snapshots": sum(f["snapshots"] for f in per_file),
        "replayed": sum(f["replayed"] for f in per_file),
        **_feed_summary(per_file, args.edge),
        "per_file": per_file,
    }


# -- listings (issue 11, point 3) ------------------------------------------------------------

BOARD_AT = "2026-09-30T18:00:00+08:00"
"""The complaint board is listed as it stood on the quarter's last evening."""
LISTING_ARGS: dict[str, tuple[str, ...]] = {
    "sanctions": ("sanctions", "--period", QUARTER),
    "scorecards": ("scorecards", "--period", QUARTER),
    "complaints": ("complaints", "--now", BOARD_AT),
    "payroll": ("payroll", "--period", QUARTER),
    "report": ("report", "--period", QUARTER, "--out"),
    "export": ("export", "--period", QUARTER, "--out"),
}
"""The commands; ``report`` and ``export`` get a fresh file or directory per call."""
LISTING_MODELS: dict[str, tuple[str, ...]] = {
    "sanctions": ("sanctions",),
    "scorecards": (f"scorecards@{QUARTER}",),
    "complaints": ("complaints",),
    "payroll": ("payroll",),
    "report": (f"report@{QUARTER}",),
    "export": (),
}
"""The read models each listing answers from, dropped before its first call (``export``
writes the log itself: it has none)."""


def _scratch_copy(db: Path) -> Path:
    """A copy of the imported ledger (SQLite's backup API), which a listing step may write."""
    import sqlite3

    copy = db.with_name(f"{db.stem}-listing.db")
    _remove_db(copy)
    source, target = sqlite3.connect(db), sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    return copy


def listing(args: argparse.Namespace, timer: Timer) -> Result:
    """``ledger LISTING`` through the CLI, in this process, on a copy of the imported
    ledger whose listing read models were dropped: the first call (the models caught up
    from nothing, then saved by the read-only reader), then ``--repeat`` calls (the models
    current). ``seconds`` and ``cpu_seconds`` are the medians of the repeated calls."""
    import contextlib
    import io
    import itertools
    import re
    import shutil

    from ledger.cli import main as cli

    copy = _scratch_copy(args.db)
    try:
        with Ledger.open(copy, clock=_clock) as ledger:
            for name in LISTING_MODELS[args.listing]:
                ledger.store.projection_drop(name)
            employees = len(ledger.employees())
        base = ["--db", str(copy), *LISTING_ARGS[args.listing]]
        calls = itertools.count()

        def call() -> tuple[float, float, str]:
            command = base
            if base[-1] == "--out":  # a file (report) or a directory (export) of its own
                command = [*base, str(copy.with_name(f"{copy.stem}-out-{next(calls)}"))]
            sink = io.StringIO()
            start, cpu = time.perf_counter(), time.process_time()
            with contextlib.redirect_stdout(sink):
                try:
                    cli(command)
                except SystemExit as exc:
                    if exc.code not in (0, None):
                        raise RuntimeError(f"ledger {command}: exit {exc.code}") from exc
            return time.perf_counter() - start, time.process_time() - cpu, sink.getvalue()

        first = call()
        runs = [call() for _ in range(args.repeat)]
    finally:
        _remove_db(copy)
        for made in copy.parent.glob(f"{copy.stem}-out-*"):
            if made.is_dir():
                shutil.rmtree(made)
            else:
                made.unlink()
    # The count in the title; "exported N events ..."; the report shows every employee.
    counted = r"exported ([\d,]+)" if args.listing == "export" else r"\(([\d,]+)"
    title = re.search(counted, first[2])
    shown = employees if args.listing == "report" else None
    if title and shown is None:
        shown = int(title[1].replace(",", ""))
    timer.seconds = statistics.median(r[0] for r in runs)
    timer.cpu_seconds = statistics.median(r[1] for r in runs)
    return {
        "count": _lines(args.data),
        "listing": " ".join(a for a in LISTING_ARGS[args.listing] if a != "--out"),
        "rows": shown,
        "output_bytes": len(first[2].encode()),
        "first_seconds": first[0],
        "first_cpu_seconds": first[1],
        "runs": [{"seconds": r[0], "cpu_seconds": r[1]} for r in runs],
    }


def _raw_listing(conn: Any, which: str) -> int:
    """The floor of a listing: a raw ``sqlite3`` query of the stored events the listing
    shows (or summarises), each ``data`` decoded with orjson; how many rows it kept."""
    period = Period.parse(QUARTER)
    start, end = period.start.isoformat(), period.end.isoformat()
    if which == "sanctions":
        rows = conn.execute(
            "SELECT data FROM events WHERE type IN ('sanction.issued', 'sanction.voided', "
            "'sanction.revoked', 'sanction.reinstated')"
        )
        decoded = (orjson.loads(data) for (data,) in rows)
        kept = [d for d in decoded if start <= d.get("effective_at", start) < end]
    elif which in ("scorecards", "report"):  # the report summarises the same events
        rows = conn.execute(
            "SELECT stream_id, data FROM events WHERE occurred_at >= ? AND occurred_at < ?",
            (start, end),
        )
        kept = [(stream, orjson.loads(data)) for stream, data in rows]
    elif which == "export":  # the bundle is the log: every event, in position order
        rows = conn.execute("SELECT position, hash, data FROM events ORDER BY position")
        kept = [(position, digest, orjson.loads(data)) for position, digest, data in rows]
    elif which == "complaints":
        from ledger.projections.registers import BOARD_TYPES

        marks = ",".join("?" * len(BOARD_TYPES))
        rows = conn.execute(
            f"SELECT data FROM events WHERE type IN ({marks}) AND occurred_at <= ?",
            (*sorted(BOARD_TYPES), BOARD_AT),
        )
        kept = [orjson.loads(data) for (data,) in rows]
    else:
        from ledger.timeutil import months_of

        months = {m.label for m in months_of(period)}
        rows = conn.execute("SELECT data FROM events WHERE type = 'payroll.closed'")
        kept = [d for (data,) in rows if (d := orjson.loads(data))["month"] in months]
    return len(kept)


def listing_raw(args: argparse.Namespace, timer: Timer) -> Result:
    """The raw ``sqlite3`` reference of ``--listing`` (see :func:`_raw_listing`): the
    median of ``--repeat`` runs after one warm-up."""
    import sqlite3

    conn = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    try:
        kept = _raw_listing(conn, args.listing)
        runs = []
        for _ in range(args.repeat):
            start, cpu = time.perf_counter(), time.process_time()
            _raw_listing(conn, args.listing)
            runs.append((time.perf_counter() - start, time.process_time() - cpu))
    finally:
        conn.close()
    timer.seconds = statistics.median(r[0] for r in runs)
    timer.cpu_seconds = statistics.median(r[1] for r in runs)
    return {
        "count": _lines(args.data),
        "listing": f"raw sqlite3: {args.listing}",
        "rows": kept,
        "runs": [{"seconds": r[0], "cpu_seconds": r[1]} for r in runs],
    }


STEPS: dict[str, Callable[[argparse.Namespace, Timer], Result]] = {
    "raw-floor": raw_floor,
    "raw-indexed": raw_indexed,
    "es-aggregates": es_aggregates,
    "es-recorder": es_recorder,
    "ledger-validate": ledger_validate,
    "ledger-append": ledger_append,
    "proof-checkpoint": proof_checkpoint,
    "ledger-import": ledger_import,
    "ledger-tick": ledger_tick,
    "ledger-rebuild": ledger_rebuild,
    "ledger-replay": ledger_replay,
    "latency-derive": latency_derive,
    "latency-scorecard": latency_scorecard,
    "latency-explain": latency_explain,
    "concurrency-writers": concurrency_writers,
    "concurrency-threads": concurrency_threads,
    "latency-feed": latency_feed,
    "feed-ledger": feed_ledger,
    "feed-es": feed_es,
    "feed-raw": feed_raw,
    "listing": listing,
    "listing-raw": listing_raw,
}


def peak_rss_kb() -> int:
    """This process's peak resident set (``VmHWM`` in ``/proc/self/status``), in kB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument(
        "--url",
        help="a PostgreSQL URL to run on instead of --db (issue 12; --db still names "
        "the working directory)",
    )
    parser.add_argument("--appends", type=int, default=100, help="latency-feed: appends")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--budget", type=float, default=10.0, help="seconds per latency step")
    parser.add_argument("--synchronous", default="FULL", choices=["FULL", "NORMAL"])
    parser.add_argument(
        "--parse-workers",
        type=int,
        default=None,
        help="ledger-import: processes validating the lines (default: by the file's size)",
    )
    concurrency = parser.add_argument_group("concurrency steps (issue 10)")
    concurrency.add_argument("--events", type=int, default=100_000, help="split among writers")
    concurrency.add_argument("--employees", type=int, default=1_000, help="split among writers")
    concurrency.add_argument("--seed", type=int, default=20260701)
    concurrency.add_argument("--ids", choices=["v4", "v7"], default="v4")
    concurrency.add_argument("--writers", type=int, default=4, help="writer processes")
    concurrency.add_argument("--imports", type=int, default=1, help="import files per writer")
    concurrency.add_argument("--runs", type=int, default=1, help="repetitions of the writers")
    concurrency.add_argument(
        "--split", type=int, default=0, help="a writer's share is 1/SPLIT (default: --writers)"
    )
    concurrency.add_argument("--threads", type=int, default=8, help="threads sharing a Ledger")
    concurrency.add_argument("--batches", type=int, default=30, help="record() calls per thread")
    concurrency.add_argument("--batch-events", type=int, default=20, help="events per record()")
    feed = parser.add_argument_group("daily feed steps (issue 11)")
    feed.add_argument("--files", type=int, default=90, help="files the quarter is cut into")
    feed.add_argument("--tick", action="store_true", help="tick at the end of each file's day")
    feed.add_argument("--edge", type=int, default=3, help="first/last files compared")
    feed.add_argument(
        "--history", type=Path, help="earlier quarters, imported at once before the feed"
    )
    feed.add_argument(
        "--history-quarters", type=int, default=0, help="how many quarters --history holds"
    )
    feed.add_argument("--snapshot-every", type=int, default=100, help="eventsourcing snapshots")
    listings = parser.add_argument_group("listing steps (issue 11)")
    listings.add_argument("--listing", choices=sorted(LISTING_ARGS), default="sanctions")
    listings.add_argument("--repeat", type=int, default=3, help="calls after the first")
    args = parser.parse_args(argv)
    timer = Timer(server=bool(args.url))
    result = STEPS[args.step](args, timer)
    result.setdefault("seconds", timer.seconds)
    result.setdefault("cpu_seconds", timer.cpu_seconds)
    if timer.server_cpu_seconds is not None:
        result.setdefault("server_cpu_seconds", timer.server_cpu_seconds)
    result["peak_rss_kb"] = peak_rss_kb()
    result["workers_peak_rss_kb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
