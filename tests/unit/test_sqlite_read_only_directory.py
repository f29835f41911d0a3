"""A ledger file in a directory this process may not write (an archived ledger on read-only
media, an auditor's copy) is still read; writing it says why it cannot.

SQLite reads a WAL database through ``-wal`` and ``-shm`` files beside it and creates them
when missing; ``ledger.store.sqlite._read_mode`` reads such a file as immutable instead
(docs/ARCHITECTURE.md, "Backends"). Root may write any directory, so the in-process tests
make the directory look read-only to the store; the CLI test drops root's override with
``capsh`` where it is available.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger import Ledger
from ledger.store import sqlite as sqlite_module
from ledger.testing import ManualClock, late

CLOCK = "2026-08-01 00:00"


@pytest.fixture
def archived(tmp_path: Path) -> Iterator[Path]:
    """A closed ledger of three facts in a directory made read-only (restored afterwards)."""
    folder = tmp_path / "archive"
    folder.mkdir()
    path = folder / "ledger.db"
    with Ledger.open(path, clock=ManualClock(CLOCK)) as ledger:
        ledger.record([late("E1", f"2026-07-0{n} 09:10", minutes=10) for n in (1, 2, 3)])
    assert sorted(p.name for p in folder.iterdir()) == ["ledger.db"]  # the WAL is gone
    path.chmod(0o444)
    folder.chmod(0o555)
    try:
        yield path
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)


def _no_write_access(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    real = os.access

    def access(target: object, mode: int, *args: object, **kwargs: object) -> bool:
        if Path(str(target)).resolve() == folder.resolve() and mode & os.W_OK:
            return False
        return real(target, mode, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite_module.os, "access", access)


def test_a_ledger_in_a_read_only_directory_is_read_as_immutable(
    archived: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_write_access(monkeypatch, archived.parent)
    assert sqlite_module._read_mode(str(archived)) == "mode=ro&immutable=1"
    with Ledger.open(archived, readonly=True, clock=ManualClock(CLOCK)) as ledger:
        assert [r.position for r in ledger.store.read(employee_id="E1")][-3:] == [2, 3, 4]
        assert ledger.rulebooks()
    # Nothing was created beside it (an ordinary read-only open makes -wal and -shm).
    assert sorted(p.name for p in archived.parent.iterdir()) == ["ledger.db"]


def test_a_wal_holding_changes_is_read_through_not_ignored(
    archived: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Immutable would skip what the -wal holds: with one there, the ordinary read-only mode.
    _no_write_access(monkeypatch, archived.parent)
    archived.parent.chmod(0o755)
    wal = archived.with_name(archived.name + "-wal")
    wal.write_bytes(b"\0" * 32)
    try:
        assert sqlite_module._read_mode(str(archived)) == "mode=ro"
    finally:
        wal.unlink()
    assert sqlite_module._read_mode(str(archived)) == "mode=ro&immutable=1"
    monkeypatch.undo()
    assert sqlite_module._read_mode(str(archived)) == "mode=ro"  # the directory is writable


def _ledger_without_override(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "capsh",
            "--drop=cap_dac_override,cap_dac_read_search",
            "--",
            "-c",
            " ".join([sys.executable, "-m", "ledger", "--db", str(db), *args]),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(
    shutil.which("capsh") is None or os.geteuid() != 0,
    reason="needs root and capsh to drop root's permission override (else the directory is "
    "simply read-only for the test's own user, as the in-process tests assume)",
)
def test_the_cli_reads_an_archived_ledger_and_says_why_it_cannot_write_it(
    archived: Path,
) -> None:
    assert stat.S_IMODE(archived.parent.stat().st_mode) == 0o555
    listed = _ledger_without_override(archived, "feed", "--after", "0")
    assert listed.returncode == 0, listed.stderr
    assert "Traceback" not in listed.stderr and listed.stdout.count("late_arrival") == 3
    verified = _ledger_without_override(archived, "verify")
    assert verified.returncode == 0 and "intact" in verified.stdout, verified.stderr
    refused = _ledger_without_override(archived, "tick", "--now", "2026-08-01T00:00+08:00")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "cannot be written" in refused.stderr and "not a ledger" not in refused.stderr
    assert sorted(p.name for p in archived.parent.iterdir()) == ["ledger.db"]
