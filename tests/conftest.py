"""Shared fixtures and hypothesis profiles.

Profiles: ``default`` and ``ci`` (40 examples, no deadline), ``thorough`` (500 examples); pick
one with ``HYPOTHESIS_PROFILE=thorough pytest``. The input fuzz suite
(``tests/properties/test_fuzz_input.py``) sets its own counts: 2,000 lines and 2,000 random
files (plus 300 near-wire files each as JSON Lines and CSV) in ``default`` and ``ci``, 10,000
with ``thorough``.

PostgreSQL: the tests that need a server take ``pg_url``, a fresh database created for the
test and dropped after it, on the server ``$LEDGER_TEST_PG`` names (default: the local one,
``postgresql:///postgres`` over the socket, else ``postgresql://127.0.0.1:5432/postgres``).
Without a reachable server they are skipped, and one line at the end of the run says why;
with ``CI=true`` they fail instead.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, settings

from ledger.store import MemoryStore, SQLiteStore
from ledger.testing import ManualClock

for name, examples in (("default", 40), ("ci", 40), ("thorough", 500)):
    settings.register_profile(
        name,
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True, scope="session")
def _internal_error_logs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Internal-error logs of the tests (some raise one on purpose) go to a temporary
    directory, not the user's ``~/.local/state/ledger``; a test may still set its own."""
    saved = os.environ.get("LEDGER_LOG_DIR")
    os.environ["LEDGER_LOG_DIR"] = str(tmp_path_factory.mktemp("internal-error-logs"))
    yield
    if saved is None:
        os.environ.pop("LEDGER_LOG_DIR", None)
    else:
        os.environ["LEDGER_LOG_DIR"] = saved


@pytest.fixture
def tmp_db(tmp_path: Path) -> Path:
    """A path for a fresh SQLite ledger file (not yet created)."""
    return tmp_path / "ledger.db"


@pytest.fixture
def clock() -> ManualClock:
    """A clock standing at 2027-01-01 00:00 company time, after the default event window."""
    return ManualClock()


@pytest.fixture
def memory_store(clock: ManualClock) -> MemoryStore:
    """An empty in-memory store on the manual clock."""
    return MemoryStore(clock=clock)


@pytest.fixture
def sqlite_store(tmp_db: Path, clock: ManualClock) -> Iterator[SQLiteStore]:
    """An empty SQLite store in a temporary file, on the manual clock."""
    store = SQLiteStore(tmp_db, clock=clock, synchronous="NORMAL")
    yield store
    store.close()


# -- PostgreSQL ------------------------------------------------------------------------------

PG_ENV = "LEDGER_TEST_PG"
PG_DEFAULTS = ("postgresql:///postgres", "postgresql://127.0.0.1:5432/postgres")


@functools.cache
def postgres_server() -> tuple[str | None, str]:
    """``(URL of a reachable PostgreSQL server, "")``, or ``(None, why not)``."""
    try:
        import psycopg
    except ImportError:
        return None, "psycopg is not installed (pip install -e '.[test]')"
    given = os.environ.get(PG_ENV)
    problems = []
    for url in (given,) if given else PG_DEFAULTS:
        try:
            with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
                conn.execute("SELECT 1")
            return url, ""
        except psycopg.Error as exc:
            problems.append(f"{url}: {' '.join(str(exc).split())}")
    return None, "; ".join(problems) + f" (set ${PG_ENV}=postgresql://...)"


def _ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_psycopg() -> None:
    """At the top of a test module that imports psycopg: skip the module when psycopg is not
    installed, or fail it when ``CI=true``."""
    if importlib.util.find_spec("psycopg") is None:
        why = "psycopg is not installed (pip install -e '.[test]')"
        if _ci():
            pytest.fail(why, pytrace=False)
        pytest.skip(why, allow_module_level=True)


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The URL of the PostgreSQL server the tests use (skips, or fails with CI=true)."""
    url, why = postgres_server()
    if url is None:
        message = f"PostgreSQL unreachable: {why}"
        if _ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return url


def database_url(server: str, name: str) -> str:
    """The URL of database ``name`` on the server of ``server`` (another database's URL)."""
    parts = urlsplit(server)
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{parts.netloc}/{name}{query}"


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test (dropped afterwards), as a URL."""
    import psycopg
    from psycopg import sql

    name = f"ledger_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(pg_server, name)
    finally:
        with psycopg.connect(pg_server, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line when the PostgreSQL tests could not run."""
    url, why = postgres_server()
    if url is None:
        verdict = "failed" if _ci() else "skipped"
        terminalreporter.write_line(f"PostgreSQL tests {verdict}: {why}", yellow=True)
