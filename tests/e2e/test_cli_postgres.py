"""End-to-end on PostgreSQL: the README's tour gives the same output as on SQLite, and
concurrent importers of disjoint files all land in one PostgreSQL ledger.

Each test gets a fresh database (``pg_url``, tests/conftest.py); without a reachable server
they are skipped (or fail when ``CI=true``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner
from conftest import require_psycopg

from ledger.cli import cli, main

require_psycopg()

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LEDGER = Path(sys.executable).parent / "ledger"
HORIZON = "2026-10-01T00:00:00+08:00"
IMPORTERS, PER_FILE = 4, 150
TOUR = (
    ("init", "--effective-from", "2026-01-01", "--published-on", "2025-12-20"),
    ("import", str(EXAMPLES / "quarter.jsonl")),
    ("tick", "--now", HORIZON),
    ("sanctions", "--period", "2026Q3"),
    ("sanctions", "--period", "2026Q3", "--format", "json"),
    ("scorecard", "E1001", "--period", "2026Q3", "--format", "json"),
    ("payroll", "--period", "2026Q3"),
    ("explain", "85c72d09"),
    ("rules",),
    ("replay", "--period", "2026Q3", "--rulebook", "proposal.toml", "--format", "json"),
    ("export", "--period", "2026Q3", "--out", "audit"),
    ("verify-bundle", "audit"),
    ("verify",),
)
# What differs between two runs on any backend: the wall clock (recorded_at, as_of) and
# therefore the hashes.
VOLATILE = (
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+08:00"), "<time>"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<hash>"),
    (re.compile(r"\b[0-9a-f]{16}\.\.\."), "<hash>..."),
)


def in_process() -> click.Group:
    """The `ledger` group with every command registered."""
    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
        main(["--help"])
    return cli


def tour(db: str, workdir: Path) -> list[str]:
    """The README's tour on ``db``, run in ``workdir``; each command's normalised output."""
    workdir.mkdir()
    outputs = []
    runner = CliRunner()
    group = in_process()
    with contextlib.chdir(workdir):
        for args in TOUR:
            if args[0] == "replay":  # the tour's proposal: the rulebook in force, exported
                exported = runner.invoke(group, ["--db", db, "rulebook", "--export"])
                assert exported.exit_code == 0, exported.output
                Path("proposal.toml").write_text(
                    exported.stdout.replace('fine = "50.00"', 'fine = "80.00"'),
                    encoding="utf-8",
                )
            done = runner.invoke(group, ["--db", db, *args], env={"COLUMNS": "200"})
            assert done.exit_code == 0, (args, done.output, done.exception)
            text = done.stdout.replace(db, "<db>")
            for pattern, replacement in VOLATILE:
                text = pattern.sub(replacement, text)
            outputs.append(text)
    return outputs


def test_the_readme_tour_prints_the_same_on_postgresql_as_on_sqlite(
    pg_url: str, tmp_path: Path
) -> None:
    on_sqlite = tour(str(tmp_path / "company.db"), tmp_path / "sqlite")
    on_postgres = tour(pg_url, tmp_path / "postgres")
    for args, expected, actual in zip(TOUR, on_sqlite, on_postgres, strict=True):
        assert actual == expected, f"ledger {' '.join(args)} differs"
    assert "85c72d09" in on_postgres[3]
    assert "intact: 27 events" in on_postgres[-1]


def _facts(writer: int) -> str:
    lines = []
    for n in range(PER_FILE):
        lines.append(
            json.dumps(
                {
                    "event_id": f"00000000-0000-4000-8{writer:03d}-{n:012d}",
                    "type": "attendance.late_arrival",
                    "employee_id": f"W{writer}-{n % 5}",
                    "occurred_at": f"2026-07-{1 + n % 28:02d}T09:{n % 60:02d}:00+08:00",
                    "recorded_by": "system:badge-gateway",
                    "data": {"minutes": 1 + n % 50},
                }
            )
        )
    return "\n".join(lines) + "\n"


def test_concurrent_importers_of_disjoint_files_all_land_and_verify(
    pg_url: str, tmp_path: Path
) -> None:
    environment = {k: v for k, v in os.environ.items() if k not in ("LEDGER_DB", "LEDGER_WAIT")}

    def ledger(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(LEDGER), "--db", pg_url, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
        )

    def finish(process: subprocess.Popen[str]) -> str:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        return out

    finish(ledger("init"))
    files = []
    for writer in range(IMPORTERS):
        files.append(tmp_path / f"w{writer}.jsonl")
        files[-1].write_text(_facts(writer), encoding="utf-8")
    again = ledger("import", str(files[0]))  # the same file twice: once appended, once present
    importers = [ledger("import", str(f)) for f in files]
    said = [finish(p) for p in [again, *importers]]
    counts = [re.search(r"appended (\d+)", s) for s in said]
    appended = sorted(int(found.group(1)) for found in counts if found is not None)
    assert appended == [0] + [PER_FILE] * IMPORTERS, said
    verified = finish(ledger("verify", "--format", "json"))
    assert json.loads(verified)["ok"] is True
