"""``ledger demo``: a synthetic quarter in a fresh database, and what the ledger made of it."""

from __future__ import annotations

import click

from ledger.cli import handles_errors, out
from ledger.demo import run_demo

__all__ = ["DEFAULT_DEMO_DB", "register"]

DEFAULT_DEMO_DB = "demo.db"
"""Where the demo writes unless ``--db`` is given on the command line."""


@click.command()
@click.option(
    "--employees",
    "-n",
    type=click.IntRange(5, 100_000),
    default=48,
    show_default=True,
    help="Head count, spread over five departments.",
)
@click.option("--period", "-p", default="2026Q3", show_default=True, help="The quarter.")
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed, same company.")
@click.pass_context
@handles_errors
def demo(ctx: click.Context, employees: int, period: str, seed: int) -> None:
    """Build a realistic synthetic company quarter in a fresh database and explain it.

    Five departments (前台 front desk, 呼叫中心 call centre, 外勤 field service, 收费 billing,
    售后 after-sales), a quarter of observations with plausible frequencies (mostly good
    conduct; some lateness, complaints with their lifecycle, praise, tasks, a few serious
    violations), a retraction and an upheld appeal recorded later; then a tick past the
    quarter's end. Prints the department summary, the grade distribution, the employees with
    the most consequences, one full explanation and the commands to explore further.

    The database is ./demo.db unless --db is given on the command line ($LEDGER_DB is not
    used, so the demo never touches the ledger your scripts point at). An existing file is
    replaced only when an earlier `ledger demo` made it; anything else is refused (exit 2).

    \b
    Examples:
      ledger demo
      ledger --db /tmp/big.db demo --employees 2000 --seed 42
      ledger demo --period 2026Q2
    """
    parent = ctx.parent
    given = parent is not None and (
        parent.get_parameter_source("db") is click.core.ParameterSource.COMMANDLINE
    )
    path = ctx.obj.db if given else DEFAULT_DEMO_DB
    run_demo(path, employees=employees, period=period, seed=seed, console=out)


def register(group: click.Group) -> None:
    """Add ``demo`` to ``group``."""
    group.add_command(demo)
