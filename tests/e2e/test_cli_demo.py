"""End-to-end: `ledger demo` builds a quarter in a fresh database that the other commands read."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ledger.app import Ledger
from ledger.cli import cli, demo_cmd, main

# `python -m ledger`, with `demo` registered even before ledger.cli.main() registers it.
RUNNER = """
import sys
from ledger.cli import cli, demo_cmd, main

plain = cli.main

def with_demo(*args, **kwargs):
    if "demo" not in cli.commands:
        demo_cmd.register(cli)
    return plain(*args, **kwargs)

cli.main = with_demo
sys.exit(main(sys.argv[1:]))
"""


def ledger(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LEDGER_DB"} | {"COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-c", RUNNER, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    cwd = tmp_path_factory.mktemp("demo")
    return cwd, ledger(cwd, "demo", "--employees", "12")


def test_demo_writes_demo_db_in_the_working_directory_and_prints_every_section(
    demo: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    cwd, done = demo
    assert done.returncode == 0, done.stderr
    assert (cwd / "demo.db").exists()
    assert not (cwd / "ledger.db").exists()
    for section in (
        "ledger demo · 2026Q3 · 12 employees · seed 7",
        "Department summary 2026Q3",
        "Grades 2026Q3",
        "Most consequences",
        "Corrected later",
        "ledger explain",
        "Explore further",
        "ledger --db demo.db verify",
        "built, recorded and reported in",
    ):
        assert section in done.stdout
    # The explanation panel wraps its long lines (a console that soft-wraps used to crop
    # them at the width, ids and all, when the output went to a file or a pipe).
    panel = done.stdout[done.stdout.index("ledger explain") :]
    panel = panel[: panel.index("╰")]
    ids = re.findall(r"\(([0-9a-f-]{8,})", panel.replace("│", " ").replace("\n", ""))
    assert ids and all(re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", i) for i in ids)


def test_the_demo_database_verifies_and_lists_its_sanctions(
    demo: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    cwd, _ = demo
    verified = ledger(cwd, "--db", "demo.db", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    listed = ledger(cwd, "--db", "demo.db", "sanctions", "--period", "2026Q3", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert '"status": "voided"' in listed.stdout


def in_process() -> click.Group:
    """The `ledger` group with every command, `demo` included, for quick in-process runs."""
    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
        main(["--help"])  # registers the other commands
    if "demo" not in cli.commands:
        demo_cmd.register(cli)
    return cli


def test_demo_honours_an_explicit_db_and_refuses_a_ledger_it_did_not_make(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Ledger.open(tmp_path / "company.db").close()
    refused = CliRunner().invoke(in_process(), ["--db", "company.db", "demo", "-n", "5"])
    assert refused.exit_code == 2
    assert "not made by `ledger demo`" in refused.stderr
    assert not (tmp_path / "demo.db").exists()


@pytest.mark.parametrize(
    ("args", "problem"), [(["--period", "2026-07"], "quarter"), (["-n", "3"], "--employees")]
)
def test_bad_arguments_exit_2_naming_the_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], problem: str
) -> None:
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(in_process(), ["demo", *args])
    assert done.exit_code == 2
    assert problem in done.stderr
    assert not (tmp_path / "demo.db").exists()
