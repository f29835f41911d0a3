"""What each of the ledger's indexes costs an append: raw sqlite3, one index added at a time.

Usage (``--only TEXT`` runs the variants whose label contains TEXT, ``--cache-mb``
sets the page cache)::

    python bench/indexes.py --data bench/out/quarter-1000000-10000-s20260701-v4-g1.jsonl

Every variant appends the whole file into a fresh database exactly as the floor row of
``run.py`` does (orjson decode, sha256 chain, ``executemany`` per batch, one commit per
batch, WAL, ``synchronous=FULL``) and prints events/s. The variants start from the floor
(position as rowid, unique 16-byte event id) and add the ``(stream_id, version)`` unique
index, then ``(stream_id, occurred_at)``, then ``(type)``; the last variant loads with only
the event-id index and builds the other three at the end (their build time included), as a
bulk import into an empty ledger could.
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import sys
import time
from pathlib import Path
from uuid import UUID

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from refs import read_batches  # a sibling module of this script

_TABLE = (
    "CREATE TABLE events (position INTEGER PRIMARY KEY, event_id BLOB NOT NULL{unique}, "
    "stream_id INTEGER NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL, "
    "occurred_at TEXT NOT NULL, data TEXT NOT NULL, hash BLOB NOT NULL)"
)
VARIANTS: dict[str, tuple[str, ...]] = {
    "rowid only (no event-id index)": (),
    "+ unique event_id (the floor)": ("unique",),
    "+ (stream_id, version) unique": ("unique", "stream_version"),
    "+ (stream_id, occurred_at)": ("unique", "stream_version", "stream_occurred"),
    "+ (type): the ledger's set": ("unique", "stream_version", "stream_occurred", "type"),
    "the ledger's set, secondary indexes built after the load": (
        "unique",
        "stream_version",
        "stream_occurred",
        "type",
        "after",
    ),
}
_INDEX = {
    "stream_version": "CREATE UNIQUE INDEX ev_sv ON events (stream_id, version)",
    "stream_occurred": "CREATE INDEX ev_so ON events (stream_id, occurred_at)",
    "type": "CREATE INDEX ev_t ON events (type)",
}


def append(
    data: Path, db: Path, features: tuple[str, ...], batch: int, sync: str, cache_mb: int = 0
) -> float:
    """Seconds to append ``data`` into a fresh ``db`` with ``features``.

    ``cache_mb`` sets SQLite's page cache (``PRAGMA cache_size``; 0 keeps the 2 MB default).
    """
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={sync}")
    if cache_mb:
        conn.execute(f"PRAGMA cache_size=-{cache_mb * 1024}")
    conn.execute(_TABLE.format(unique=" UNIQUE" if "unique" in features else ""))
    after = "after" in features  # a bulk load into an empty log: index once at the end
    for name, sql in _INDEX.items():
        if name in features and not after:
            conn.execute(sql)
    started = time.perf_counter()
    prev, position = b"\0" * 32, 0
    streams: dict[str, list[int]] = {}
    for chunk in read_batches(data, batch):
        rows = []
        for record in chunk:
            position += 1
            prev = hashlib.sha256(prev + orjson.dumps(record, option=orjson.OPT_SORT_KEYS)).digest()
            stream = streams.setdefault(record["employee_id"], [len(streams) + 1, 0])
            stream[1] += 1
            rows.append(
                (
                    position,
                    UUID(record["event_id"]).bytes,
                    stream[0],
                    stream[1],
                    record["type"],
                    record["occurred_at"],
                    orjson.dumps(record["data"], option=orjson.OPT_SORT_KEYS).decode(),
                    prev,
                )
            )
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?)", rows)
        conn.execute("COMMIT")
    for name, sql in _INDEX.items():
        if name in features and after:
            conn.execute(sql)
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--db", type=Path, default=Path(__file__).parent / "out" / "indexes.db")
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--synchronous", default="FULL", choices=["FULL", "NORMAL"])
    parser.add_argument("--only", default="", help="run only variants whose label has this")
    parser.add_argument("--cache-mb", type=int, default=0, help="PRAGMA cache_size in MB")
    args = parser.parse_args(argv)
    lines = sum(1 for _ in args.data.open("rb"))
    cache = f", cache {args.cache_mb} MB" if args.cache_mb else ""
    print(f"| variant ({lines:,} events, batch {args.batch:,}{cache}) | s | events/s |")
    print("|---|--:|--:|")
    for label, features in VARIANTS.items():
        if args.only not in label:
            continue
        seconds = append(args.data, args.db, features, args.batch, args.synchronous, args.cache_mb)
        print(f"| {label} | {seconds:.1f} | {lines / seconds:,.0f} |", flush=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
