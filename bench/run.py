"""Benchmark the ledger against raw SQLite and ``eventsourcing`` on one synthetic quarter.

Usage::

    python bench/run.py [--events N] [--employees M] [--format table|json] [--out DIR]

Generates (or reuses) a deterministic 2026Q3 JSON Lines file, then runs every step of
``PLAN`` in a fresh subprocess (``bench/steps.py``) and prints one table with the rates and
ratios to the references. Peak RSS is the step process's ``VmHWM`` from ``/proc``; the
``ru_maxrss`` that ``os.wait4`` reports for the same process is kept in the JSON as a cross
check. See ``bench/README.md`` for what each row means.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

import datagen  # sibling modules of this script
import pgutil
import report

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Step:
    """One row of the table: a step of ``steps.py`` with its options and database."""

    key: str
    step: str
    label: str
    db: str
    fresh: bool = True
    options: tuple[str, ...] = ()
    default: bool = True
    """In the run without ``--steps``; the others run only when ``--steps`` names them."""
    postgres: bool = False
    """Runs on PostgreSQL (issue 12): ``db`` names a database on ``$LEDGER_TEST_PG``."""
    history: bool = False
    """A daily feed onto a ledger that already holds ``--history-quarters`` earlier quarters
    (issue 11): reads the quarter and its history from a data file of its own."""


LISTINGS = (
    ("sanctions", "sanctions --period 2026Q3"),
    ("scorecards", "scorecards --period 2026Q3"),
    ("complaints", "complaints --now 2026-09-30T18:00"),
    ("payroll", "payroll --period 2026Q3"),
    ("report", "report --period 2026Q3"),
    ("export", "export --period 2026Q3"),
)
"""The listing rows (issue 11): each through the CLI on a copy of the imported ledger, and
the raw sqlite3 reference of the same rows (``bench/steps.py``, ``listing``)."""

PLAN: tuple[Step, ...] = (
    Step("raw-floor", "raw-floor", "raw sqlite3 + sha256 chain, 1 unique index (floor)", "raw"),
    Step("raw-indexed", "raw-indexed", "raw sqlite3 + chain, the ledger's indexes", "raw-idx"),
    Step("es-aggregates", "es-aggregates", "eventsourcing: aggregate/employee, batched", "es"),
    Step("es-recorder", "es-recorder", "eventsourcing: recorder only, no domain objects", "es2"),
    Step("ledger-validate", "ledger-validate", "ledger: decode + validate only", "none"),
    Step("ledger-append", "ledger-append", "ledger: validate + store.append, no rules", "app"),
    Step("ledger-import", "ledger-import", "ledger import (synchronous=FULL)", "ledger"),
    Step(
        "ledger-import-normal",
        "ledger-import",
        "ledger import (synchronous=NORMAL)",
        "ledger-normal",
        options=("--synchronous", "NORMAL"),
    ),
    Step(
        "ledger-import-1",
        "ledger-import",
        "ledger import, every line validated in the importing process",
        "ledger-1",
        options=("--parse-workers", "1"),
    ),
    Step("ledger-tick", "ledger-tick", "ledger tick (deadlines to 10-01 00:00)", "ledger", False),
    Step("ledger-rebuild", "ledger-rebuild", "full projection rebuild", "ledger", False),
    Step("ledger-replay", "ledger-replay", "replay 2026Q3 (adopted rulebook)", "ledger", False),
    Step(
        "proof-checkpoint",
        "proof-checkpoint",
        "ledger checkpoint of the whole log (first: every event hashed)",
        "proof",
    ),
    Step("latency-derive", "latency-derive", "derive(employee)", "ledger", False),
    Step("latency-scorecard", "latency-scorecard", "scorecard(view, 2026Q3)", "ledger", False),
    Step("latency-explain", "latency-explain", "explain(sanction)", "ledger", False),
    *(
        step
        for name, shown in LISTINGS
        for step in (
            Step(
                f"listing-{name}",
                "listing",
                f"ledger {shown}",
                "ledger",
                False,
                options=("--listing", name),
            ),
            Step(
                f"listing-raw-{name}",
                "listing-raw",
                f"raw sqlite3: the rows of {name}",
                "ledger",
                False,
                options=("--listing", name),
            ),
        )
    ),
    Step(
        "concurrency-writers",
        "concurrency-writers",
        "4 writer processes × 1/4 of the events, one import each, into one file (2 runs)",
        "writers",
        options=("--writers", "4", "--imports", "1", "--runs", "2"),
    ),
    Step(
        "concurrency-writers-batched",
        "concurrency-writers",
        "4 writer processes × 1/40 of the events in 20 imports each, into one file",
        "writers-batched",
        options=("--writers", "4", "--split", "40", "--imports", "20", "--runs", "1"),
    ),
    Step(
        "concurrency-threads",
        "concurrency-threads",
        "8 threads sharing one Ledger, 30 record() × 20 events each",
        "threads",
        options=("--threads", "8", "--batches", "30", "--batch-events", "20"),
    ),
    Step(
        "latency-feed",
        "latency-feed",
        "feed lag: commit → follower process (SQLite, polling)",
        "feed",
        default=False,
    ),
    # PostgreSQL (issue 12), on $LEDGER_TEST_PG (default: the local server's socket); only
    # with --steps (see POSTGRES_STEPS) or --postgres.
    Step("pg-import", "ledger-import", "PostgreSQL: ledger import", "pg-ledger", postgres=True),
    Step(
        "pg-tick",
        "ledger-tick",
        "PostgreSQL: ledger tick (deadlines to 10-01 00:00)",
        "pg-ledger",
        False,
        postgres=True,
    ),
    Step(
        "pg-replay",
        "ledger-replay",
        "PostgreSQL: replay 2026Q3 (adopted rulebook)",
        "pg-ledger",
        False,
        postgres=True,
    ),
    Step(
        "pg-latency-scorecard",
        "latency-scorecard",
        "PostgreSQL: scorecard(view, 2026Q3)",
        "pg-ledger",
        False,
        postgres=True,
    ),
    Step(
        "pg-latency-explain",
        "latency-explain",
        "PostgreSQL: explain(sanction)",
        "pg-ledger",
        False,
        postgres=True,
    ),
    Step(
        "pg-writers",
        "concurrency-writers",
        "PostgreSQL: 4 writer processes × 1/4 of the events, one import each (2 runs)",
        "pg-writers",
        options=("--writers", "4", "--imports", "1", "--runs", "2"),
        postgres=True,
    ),
    Step(
        "pg-latency-feed",
        "latency-feed",
        "feed lag: commit → follower process (PostgreSQL, LISTEN/NOTIFY)",
        "pg-feed",
        postgres=True,
    ),
)
POSTGRES_STEPS = tuple(s.key for s in PLAN if s.postgres)
KEPT = ("ledger", "none", "pg-ledger")
"""Databases later rows read: removed at the end of the run, not after their row."""


FEED_KINDS = ("ledger", "es", "raw", "ledger-tick", "ledger-warm", "raw-warm", "es-warm")
"""``-warm``: the same quarter fed onto a ledger that already holds the quarters before it."""
WARM_DEFAULT = ("ledger-warm", "raw-warm")
"""The warm kinds in the default run (``es-warm`` imports the history slowly: on request)."""
FEED_LISTED = (10, 90)
"""File counts ``--list`` shows feed rows for (any other count can be named too)."""


def feed_step(kind: str, files: int, *, default: bool, snapshot_every: int = 100) -> Step:
    """The daily feed row (issue 11) of ``kind`` for the quarter cut into ``files`` files."""
    key = f"feed-{kind}-{files}"
    if kind.endswith("-warm"):
        cold = feed_step(kind.removesuffix("-warm"), files, default=default)
        return replace(
            cold,
            key=key,
            db=key,
            label=f"{cold.label}, after a history of earlier quarters",
            history=True,
            options=(*cold.options, "--snapshot-every", str(snapshot_every))
            if kind == "es-warm"
            else cold.options,
        )
    options = ("--files", str(files))
    if kind == "es":
        label = f"eventsourcing: {files} daily files, snapshot every {snapshot_every} events"
        return Step(
            key,
            "feed-es",
            label,
            key,
            options=(*options, "--snapshot-every", str(snapshot_every)),
            default=default,
        )
    if kind == "raw":
        label = f"raw sqlite3, the ledger's indexes: {files} daily files"
        return Step(key, "feed-raw", label, key, options=options, default=default)
    tick = kind == "ledger-tick"
    label = f"ledger: {files} daily files" + (", tick at each file's end" if tick else "")
    return Step(
        key,
        "feed-ledger",
        label,
        key,
        options=(*options, "--tick") if tick else options,
        default=default,
    )


def plan(args: argparse.Namespace, chosen: set[str]) -> list[Step]:
    """``PLAN`` and the feed rows: those of ``--feed-files`` (no ticks) in the default run,
    any other ``feed-KIND-K`` when ``--steps`` names it."""
    defaults = [int(k) for k in args.feed_files.split(",") if k.strip()]
    steps = [s if not s.postgres else replace(s, default=args.postgres) for s in PLAN]
    wanted = list(dict.fromkeys([*defaults, *FEED_LISTED]))
    for key in chosen:
        kind, _, files = key.removeprefix("feed-").rpartition("-")
        if key.startswith("feed-") and kind in FEED_KINDS and files.isdigit() and int(files) > 0:
            wanted.append(int(files))
    for files in dict.fromkeys(wanted):
        for kind in FEED_KINDS:
            on = files in defaults and (kind in ("ledger", "es", "raw") or kind in WARM_DEFAULT)
            steps.append(feed_step(kind, files, default=on, snapshot_every=args.snapshot_every))
    return steps


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _remove(step_db: str, out: Path) -> None:
    """Remove a row's database: a file of ``out``, or a PostgreSQL database."""
    if step_db.startswith("pg-"):
        pgutil.drop(pgutil.database_url(step_db))
    else:
        _remove_db(out / f"{step_db}.db")


def run_step(step: Step, data: Path, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Run ``step`` in a fresh interpreter; its JSON result plus the OS's view of it."""
    db = out / f"{step.db}.db"
    history: tuple[str, ...] = ()
    if step.history:
        before, data = _history_files(args, out)
        history = ("--history", str(before), "--history-quarters", str(args.history_quarters))
    url = pgutil.database_url(step.db) if step.postgres else None
    if step.fresh:
        _remove(step.db, out)
        if url is not None:
            pgutil.recreate(url)
    elif not (pgutil.exists(url) if url is not None else db.exists()):
        first = "pg-import" if url is not None else "ledger-import"
        needs = f"needs the database of {first} (run both, or an earlier run with --keep)"
        return {"key": step.key, "label": step.label, "step": step.step, "error": needs}
    command = [
        sys.executable,
        str(HERE / "steps.py"),
        step.step,
        "--data",
        str(data),
        "--db",
        str(db),
        "--batch",
        str(args.batch),
        "--samples",
        str(args.samples),
        "--budget",
        str(args.budget),
        "--events",
        str(args.events),
        "--employees",
        str(args.employees),
        "--seed",
        str(args.seed),
        "--ids",
        args.ids,
        *(("--url", url) if url is not None else ()),
        *step.options,
        *history,
    ]
    logs = out / "logs"
    logs.mkdir(exist_ok=True)
    code = report.commit()
    started = time.perf_counter()
    with (
        (logs / f"{step.key}.json").open("w+") as stdout,
        (logs / f"{step.key}.log").open("w+") as stderr,
    ):
        child = subprocess.Popen(command, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        text, errors = stdout.read(), stderr.read()
    row: dict[str, Any] = {"key": step.key, "label": step.label, "step": step.step}
    row["commit"] = code
    row["process_seconds"] = time.perf_counter() - started
    row["rusage_maxrss_kb"] = usage.ru_maxrss
    if child.returncode != 0 or not text.strip():
        tail = errors.strip().splitlines()[-1:] or [f"exit status {child.returncode}"]
        row["error"] = tail[0]
        return row
    row.update(orjson.loads(text.strip().splitlines()[-1]))
    return row


def _data_file(args: argparse.Namespace, out: Path) -> tuple[Path, float | None]:
    name = (
        f"quarter-{args.events}-{args.employees}-s{args.seed}-{args.ids}"
        f"-g{datagen.GENERATOR_VERSION}.jsonl"
    )
    path = out / name
    if path.exists():
        return path, None
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    datagen.generate(
        partial, events=args.events, employees=args.employees, seed=args.seed, ids=args.ids
    )
    partial.rename(path)
    return path, time.perf_counter() - started


def _history_files(args: argparse.Namespace, out: Path) -> tuple[Path, Path]:
    """The warm feed's data (made once, then reused): ``--history-quarters`` quarters
    before 2026Q3 and the quarter itself, at the quarter's density of events per employee
    and working day, cut into the history and the quarter."""
    quarters = args.history_quarters
    events = args.events * (quarters + 1)
    path = out / (
        f"history-{args.events}-{args.employees}-h{quarters}-s{args.seed}-{args.ids}"
        f"-g{datagen.GENERATOR_VERSION}.jsonl"
    )
    if not path.exists():
        started = time.perf_counter()
        partial = path.with_suffix(".partial")
        datagen.generate(
            partial,
            events=events,
            employees=args.employees,
            seed=args.seed,
            ids=args.ids,
            history=quarters,
        )
        partial.rename(path)
        print(
            f"history data: {path.name} (generated in {time.perf_counter() - started:.1f} s)",
            file=sys.stderr,
        )
    return datagen.split_history(path, out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="lines in the quarter")
    parser.add_argument("--employees", type=int, default=1_000)
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.add_argument("--out", type=Path, default=HERE / "out", help="data, dbs and logs")
    parser.add_argument("--seed", type=int, default=20260701)
    parser.add_argument(
        "--ids", choices=["v4", "v7"], default="v4", help="client event ids: random or time-ordered"
    )
    parser.add_argument("--batch", type=int, default=5000, help="events per reference commit")
    parser.add_argument("--samples", type=int, default=200, help="per latency step")
    parser.add_argument("--budget", type=float, default=10.0, help="seconds per latency step")
    parser.add_argument(
        "--steps", default="", help="comma-separated keys to run (default: all); see --list"
    )
    parser.add_argument(
        "--feed-files",
        default="10",
        help="comma-separated file counts of the daily feed rows in the default run "
        "(issue 11; e.g. 10,90)",
    )
    parser.add_argument(
        "--snapshot-every", type=int, default=100, help="eventsourcing feed: snapshot interval"
    )
    parser.add_argument(
        "--history-quarters",
        type=int,
        default=4,
        help="warm feed rows: quarters of history before the fed quarter (4: a full "
        "12-month window)",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="add the PostgreSQL rows (issue 12) to the default run; server: $LEDGER_TEST_PG",
    )
    parser.add_argument("--list", action="store_true", help="list the steps and exit")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    chosen = {k.strip() for k in args.steps.split(",") if k.strip()}
    steps = plan(args, chosen)
    if args.list:
        for step in steps:
            extra = "" if step.default else "  (only with --steps)"
            print(f"{step.key:28} {step.label}{extra}")
        return 0
    unknown = chosen - {s.key for s in steps}
    if unknown:
        print(f"unknown step(s): {', '.join(sorted(unknown))}; see --list", file=sys.stderr)
        return 2
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    machine = report.machine()
    started = time.perf_counter()
    data, generated = _data_file(args, out)
    print(
        f"data: {data.name}" + (f" (generated in {generated:.1f} s)" if generated else ""),
        file=sys.stderr,
    )
    rows = []
    for step in steps:
        if (chosen and step.key not in chosen) or (not chosen and not step.default):
            continue
        print(f"{step.key:28} ...", end="", file=sys.stderr, flush=True)
        row = run_step(step, data, out, args)
        rows.append(row)
        print(f" {row.get('process_seconds', 0):.1f} s {row.get('error', '')}", file=sys.stderr)
        if not args.keep and step.db not in KEPT:
            _remove(step.db, out)
    if not args.keep:
        _remove_db(out / "ledger.db")
        if any(s.postgres for s in steps):
            _remove("pg-ledger", out)
    machine["load_after"] = os.getloadavg()
    result = {
        "params": {
            "events": args.events,
            "employees": args.employees,
            "seed": args.seed,
            "ids": args.ids,
            "batch": args.batch,
            "feed_files": args.feed_files,
            "snapshot_every": args.snapshot_every,
            "history_quarters": args.history_quarters,
            "data": data.name,
            "generated_seconds": generated,
            "total_seconds": time.perf_counter() - started,
        },
        "machine": machine,
        "rows": rows,
        "targets": report.targets(rows),
    }
    (out / f"results-{args.events}-{args.employees}.json").write_bytes(
        orjson.dumps(result, option=orjson.OPT_INDENT_2)
    )
    if args.format == "json":
        sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        sys.stdout.write(report.render(result))
    return 1 if any("error" in row for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
