"""Progress shows on a terminal only, and never changes what a command prints."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from ledger.cli.progress import progress, staged


def console(terminal: bool) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=terminal, width=100), buffer


def test_nothing_is_written_off_a_terminal() -> None:
    err, buffer = console(terminal=False)
    with progress(err, "importing", total=1000, counted=True) as step:
        for done in range(0, 1001, 100):
            step(done)
    assert buffer.getvalue() == ""


def test_on_a_terminal_a_bar_shows_count_rate_and_time_left() -> None:
    err, buffer = console(terminal=True)
    with progress(err, "importing", total=1000, counted=True) as step:
        step(500)
        step(600, 2000)  # the total may be given late
    shown = buffer.getvalue()
    assert "importing" in shown and "600/2000" in shown
    assert "/s" in shown or "…" in shown


def test_without_a_total_a_spinner_shows_the_count() -> None:
    err, buffer = console(terminal=True)
    with progress(err, "verifying", counted=True) as step:
        step(12345)
    assert "verifying" in buffer.getvalue() and "12,345" in buffer.getvalue()


def test_each_stage_of_a_library_call_shows_with_its_count_out_of_the_total() -> None:
    err, buffer = console(terminal=True)
    with progress(err, "ticking", counted=True) as step:
        report = staged(step, "ticking")
        report("finding the employees with deadlines due", 0, None)
        first = buffer.getvalue()
        report("reconciling employees", 3, 10)
        report("reconciling employees", 7, 10)
    assert "ticking: finding the employees with deadlines due" in first
    shown = buffer.getvalue()
    assert "ticking: reconciling employees" in shown and "7/10" in shown
    quiet, nothing = console(terminal=False)
    with progress(quiet, "ticking", counted=True) as step:
        staged(step, "ticking")("reconciling employees", 1, 1)
    assert nothing.getvalue() == ""


def test_commands_write_nothing_to_a_non_terminal_stderr(tmp_path: Path) -> None:
    """tick, verify, report and export in a pipe: standard error stays empty."""
    db = tmp_path / "demo.db"
    env = {k: v for k, v in os.environ.items() if k != "LEDGER_DB"}
    run = [sys.executable, "-m", "ledger", "--db", str(db)]
    for args in (
        ["demo", "--employees", "5"],
        ["tick", "--now", "2026-10-05T00:00:00+08:00"],
        ["verify"],
        ["report", "--period", "2026Q3", "--out", str(tmp_path / "r.html")],
        ["export", "--period", "2026Q3", "--out", str(tmp_path / "bundle")],
        ["replay", "--period", "2026Q3"],
    ):
        result = subprocess.run([*run, *args], capture_output=True, text=True, timeout=120, env=env)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stderr == "", (args, result.stderr)
