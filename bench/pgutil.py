"""PostgreSQL databases for the benchmark rows of issue 12: one fresh database per row.

The server is ``$LEDGER_TEST_PG`` (default ``postgresql:///postgres``, the local socket), as
for the tests; each row's database is ``ledger_bench_<name>`` on it.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

SERVER = os.environ.get("LEDGER_TEST_PG", "postgresql:///postgres")


def database_url(name: str, server: str = SERVER) -> str:
    """The URL of database ``ledger_bench_<name>`` on ``server``."""
    parts = urlsplit(server)
    query = f"?{parts.query}" if parts.query else ""
    safe = "".join(c if c.isalnum() else "_" for c in name)
    return f"{parts.scheme}://{parts.netloc}/ledger_bench_{safe}{query}"


def is_url(location: object) -> bool:
    """Whether a step's location is a PostgreSQL URL (else a SQLite file)."""
    return str(location).startswith(("postgresql://", "postgres://"))


def _admin(url: str) -> tuple[Any, str]:
    import psycopg

    parts = urlsplit(url)
    admin = psycopg.connect(f"{parts.scheme}://{parts.netloc}/postgres", autocommit=True)
    return admin, parts.path.lstrip("/")


def drop(url: str) -> None:
    """Drop the database of ``url`` if it exists (closing its connections)."""
    admin, name = _admin(url)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def recreate(url: str) -> None:
    """Drop and create the database of ``url``: empty, without the ledger's schema."""
    admin, name = _admin(url)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def exists(url: str) -> bool:
    """Whether the database of ``url`` exists."""
    admin, name = _admin(url)
    with admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return found.fetchone() is not None


def _times(pid: str) -> tuple[str, int, list[int]] | None:
    """``(comm, ppid, [utime, stime, cutime, cstime])`` of a process, in clock ticks."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            text = stat.read()
    except OSError:
        return None
    comm = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    return comm, int(fields[1]), [int(v) for v in fields[11:15]]


def server_cpu_seconds() -> float | None:
    """CPU seconds the local PostgreSQL server has used so far: its live processes (the
    backends, WAL writer, checkpointer...) plus what the postmaster reaped of ended ones.
    ``None`` when no server process is visible (a remote server, or no ``/proc``)."""
    if not os.path.isdir("/proc"):
        return None
    found = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            times = _times(pid)
            if times is not None and times[0] == "postgres":
                found[int(pid)] = times
    if not found:
        return None
    ticks = 0
    for _, ppid, (utime, stime, cutime, cstime) in found.values():
        ticks += utime + stime
        if ppid not in found:  # the postmaster: add the children it has reaped
            ticks += cutime + cstime
    return ticks / os.sysconf("SC_CLK_TCK")
