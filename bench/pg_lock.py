"""How PostgreSQL appends serialise on the chain head: an advisory lock or a locked head row.

Issue 12 asked to measure both before choosing. Each strategy runs in a fresh database on the
server ``$LEDGER_TEST_PG`` names (default ``postgresql:///postgres``): ``--writers``
processes each append ``--appends`` transactions of ``--batch`` chained events, as the
ledger does (lock, read the head, insert the positioned rows, commit):

- ``advisory``: ``pg_advisory_xact_lock`` after ``BEGIN``, then the head is the last row of
  the events table (a backward primary-key scan);
- ``row``: ``SELECT … FROM head FOR UPDATE`` on a one-row table, which the transaction
  updates to the new position and hash before it commits.

Prints one JSON line per strategy and round: wall seconds, appends/s, events/s, and the
writers' CPU seconds; then the medians. ``python bench/pg_lock.py --rounds 5``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import psycopg

SERVER = os.environ.get("LEDGER_TEST_PG", "postgresql:///postgres")
SCHEMA = (
    "CREATE TABLE events (position bigint PRIMARY KEY, event_id bytea NOT NULL UNIQUE, "
    "data text NOT NULL, hash text NOT NULL)",
    "CREATE TABLE head (one boolean PRIMARY KEY DEFAULT true, position bigint NOT NULL, "
    "hash text NOT NULL)",
    "INSERT INTO head VALUES (true, 0, repeat('0', 64))",
)


def _url(name: str) -> str:
    parts = urlsplit(SERVER)
    return f"{parts.scheme}://{parts.netloc}/{name}"


def writer(strategy: str, url: str, appends: int, batch: int, start: Any, out: Any) -> None:
    conn = psycopg.connect(url, autocommit=True)
    start.wait()
    began, cpu = time.perf_counter(), time.process_time()
    for _ in range(appends):
        conn.execute("BEGIN")
        if strategy == "advisory":
            conn.execute("SELECT pg_advisory_xact_lock(1, 1)")
            row = conn.execute(
                "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1"
            ).fetchone()
            position, prev = row if row else (0, "0" * 64)
        else:
            position, prev = conn.execute("SELECT position, hash FROM head FOR UPDATE").fetchone()
        rows = []
        for _ in range(batch):
            position += 1
            data = json.dumps({"n": position, "pad": "x" * 200})
            prev = hashlib.sha256(bytes.fromhex(prev) + data.encode()).hexdigest()
            rows.append((position, uuid.uuid4().bytes, data, prev))
        with conn.cursor() as cursor, cursor.copy("COPY events FROM STDIN") as copy:
            for values in rows:
                copy.write_row(values)
        if strategy == "row":
            conn.execute("UPDATE head SET position = %s, hash = %s", (position, prev))
        conn.execute("COMMIT")
    out.put((time.perf_counter() - began, time.process_time() - cpu))
    conn.close()


def run(strategy: str, args: argparse.Namespace) -> dict[str, Any]:
    name = f"ledger_bench_lock_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(SERVER, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(_url(name), autocommit=True) as conn:
            for statement in SCHEMA:
                conn.execute(statement)
        context = multiprocessing.get_context("spawn")
        start = context.Barrier(args.writers + 1)
        out = context.Queue()
        procs = [
            context.Process(
                target=writer, args=(strategy, _url(name), args.appends, args.batch, start, out)
            )
            for _ in range(args.writers)
        ]
        for proc in procs:
            proc.start()
        start.wait()
        began = time.perf_counter()
        results = [out.get(timeout=600) for _ in procs]
        wall = time.perf_counter() - began
        for proc in procs:
            proc.join(60)
        with psycopg.connect(_url(name), autocommit=True) as conn:
            count = conn.execute("SELECT count(*), max(position) FROM events").fetchone()
        total = args.writers * args.appends
        assert count == (total * args.batch, total * args.batch), count
        return {
            "strategy": strategy,
            "writers": args.writers,
            "appends": total,
            "batch": args.batch,
            "wall_s": round(wall, 3),
            "appends_per_s": round(total / wall),
            "events_per_s": round(total * args.batch / wall),
            "writers_cpu_s": round(sum(cpu for _, cpu in results), 3),
        }
    finally:
        with psycopg.connect(SERVER, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--appends", type=int, default=500, help="transactions per writer")
    parser.add_argument("--batch", type=int, default=1, help="events per transaction")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    rows: dict[str, list[dict[str, Any]]] = {"advisory": [], "row": []}
    for _ in range(args.rounds):
        for strategy in rows:  # interleaved, so drift on a noisy machine hits both alike
            row = run(strategy, args)
            rows[strategy].append(row)
            print(json.dumps(row), flush=True)
    for strategy, found in rows.items():
        summary = {
            key: statistics.median(r[key] for r in found)
            for key in ("wall_s", "appends_per_s", "events_per_s", "writers_cpu_s")
        }
        print(json.dumps({"median": strategy, **summary}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
