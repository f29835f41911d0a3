"""Shared fixtures and hypothesis profiles.

Profiles: ``default`` and ``ci`` (40 examples, no deadline), ``thorough`` (500 examples); pick
one with ``HYPOTHESIS_PROFILE=thorough pytest``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

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
