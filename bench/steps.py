"""One benchmark step, run in a fresh process: ``python bench/steps.py STEP --data F --db D``.

Prints one JSON object on standard output: the step's ``count`` (events, or samples for a
latency step), ``seconds`` (wall time of the measured section only: opening the database and
importing modules are excluded), the process's peak RSS read from ``/proc/self/status``
(``VmHWM``, kB) and the peak RSS of any worker processes it waited for
(``getrusage(RUSAGE_CHILDREN).ru_maxrss``, kB), plus step-specific fields. A step whose API
is not importable reports ``{"na": "..."}`` instead of numbers.
"""

from __future__ import annotations

import argparse
import inspect
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

import refs  # a sibling module of this script

from ledger import COMPANY_TZ, Ledger
from ledger.timeutil import Period

QUARTER = "2026Q3"
CLOCK = datetime(2026, 10, 1, 6, 0, tzinfo=COMPANY_TZ)
"""The ledger's clock in every step: the morning after the quarter."""
TICK_AT = datetime(2026, 10, 1, 0, 0, tzinfo=COMPANY_TZ)
"""``tick`` evaluates every deadline up to the quarter's end."""

Result = dict[str, Any]


class Timer:
    """Wall and CPU time of the measured sections (``with timer.measure():``), accumulated."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.cpu_seconds = 0.0

    @contextmanager
    def measure(self) -> Iterator[None]:
        start, cpu = time.perf_counter(), _cpu()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - start
            self.cpu_seconds += _cpu() - cpu


def _cpu() -> float:
    """CPU seconds of this process and of the worker processes it has waited for."""
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + workers.ru_utime + workers.ru_stime


def _open(args: argparse.Namespace) -> Ledger:
    return Ledger.open(args.db, clock=lambda: CLOCK, synchronous=args.synchronous)


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
        report = ledger.import_file(args.data)
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


STEPS: dict[str, Callable[[argparse.Namespace, Timer], Result]] = {
    "raw-floor": raw_floor,
    "raw-indexed": raw_indexed,
    "es-aggregates": es_aggregates,
    "es-recorder": es_recorder,
    "ledger-validate": ledger_validate,
    "ledger-append": ledger_append,
    "ledger-import": ledger_import,
    "ledger-tick": ledger_tick,
    "ledger-rebuild": ledger_rebuild,
    "ledger-replay": ledger_replay,
    "latency-derive": latency_derive,
    "latency-scorecard": latency_scorecard,
    "latency-explain": latency_explain,
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
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--budget", type=float, default=10.0, help="seconds per latency step")
    parser.add_argument("--synchronous", default="FULL", choices=["FULL", "NORMAL"])
    args = parser.parse_args(argv)
    timer = Timer()
    result = STEPS[args.step](args, timer)
    result.setdefault("seconds", timer.seconds)
    result.setdefault("cpu_seconds", timer.cpu_seconds)
    result["peak_rss_kb"] = peak_rss_kb()
    result["workers_peak_rss_kb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
