"""Commands over stored read models: payroll, rebuild."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ledger.cli import LedgerContext, err, fail, handles_errors, out
from ledger.cli.policy_cmds import FORMATS, emit
from ledger.cli.progress import progress
from ledger.cli.tables import Column, Window, paging_options, print_table
from ledger.projections.listings import (
    ComplaintBoard,
    SanctionRegister,
    month_range,
    quarters_with_cards,
)
from ledger.projections.store import Projections
from ledger.timeutil import Period

__all__ = ["register"]


PAYROLL_COLUMNS = (
    "employee_id",
    "month",
    "wage",
    "cap",
    "due",
    "deducted",
    "carried",
    "refunded",
    "bonuses",
    "closed",
)


@click.command()
@click.option("--employee", "-e", help="Only this employee.")
@click.option("--period", "-p", help="Only months within 2026Q3, 2026-07 or 2026.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.option(
    "--excel",
    is_flag=True,
    help="CSV for spreadsheets: starts with a UTF-8 byte order mark (implies --format csv).",
)
@paging_options
@click.pass_obj
@handles_errors
def payroll(
    state: LedgerContext,
    employee: str | None,
    period: str | None,
    fmt: str,
    excel: bool,
    limit: int | None,
    offset: int,
) -> None:
    """Monthly deductions: due, deducted (capped), carried, refunded, bonuses.

    Deductions are capped at 20 % of the wage and never below the minimum wage
    (工资支付暂行规定 第16条); months the last tick passed are closed and never recomputed.
    Rows come by month, then employee; --offset and --limit page through them. JSON and
    CSV columns come in the table's order; CSV writes true/false for closed.

    \b
    Examples:
      ledger payroll --period 2026Q3
      ledger payroll -e E1001 --format json
      ledger payroll --period 2026Q3 --limit 100
      ledger payroll --period 2026Q3 --excel > payroll.csv
    """
    ledger = state.open()
    chosen = Period.parse(period) if period else None
    # The stored projection is keyed "month employee": the listing's order, and the months
    # of a period are a key range, so a page and its total come from the index.
    key_from, key_to = month_range(chosen) if chosen else (None, None)
    projections = Projections(ledger)
    window = Window(offset, limit)
    selection: dict[str, Any] = {"employee_id": employee, "key_from": key_from, "key_to": key_to}
    shown = list(
        projections.page("payroll", **selection, offset=window.offset, limit=window.limit)
    )
    total = projections.count("payroll", **selection)
    if excel:
        if fmt not in ("table", "csv"):
            fail("--excel writes CSV; leave out --format or give --format csv")
        fmt = "csv"
        click.echo("\ufeff", nl=False)  # the UTF-8 BOM: Excel then reads 中文 right
    if fmt != "table":
        ordered = ({c: row.get(c) for c in PAYROLL_COLUMNS} for row in shown)
        emit(ordered, fmt, list(PAYROLL_COLUMNS), "Payroll")
        return
    print_table(
        out,
        [
            Column(c, align="left" if c in ("employee_id", "month") else "right")
            for c in PAYROLL_COLUMNS
        ],
        [[_cell(row[c]) for c in PAYROLL_COLUMNS] for row in shown],
        title=f"Payroll ({total:,} employee-months)",
        footer=window.footer(total, len(shown)),
        empty="no payroll rows" if not total else "no payroll rows in this window",
    )


def _cell(value: Any) -> str:
    """A payroll value as the table prints it (``closed`` as yes / no)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


@click.command()
@click.argument("name", required=False)
@click.pass_obj
@handles_errors
def rebuild(state: LedgerContext, name: str | None) -> None:
    """Recompute stored projections from the log (all, or NAME).

    \b
    Examples:
      ledger rebuild
      ledger rebuild payroll
    """
    ledger = state.open(write=True)
    projections = Projections(ledger)
    names = [name] if name else sorted(projections.registry)
    with progress(err, f"rebuilding {', '.join(names)}"):
        count = projections.rebuild(name)
    for each in names:
        out.print(f"rebuilt {each}: {count} employees, checkpoint {ledger.store.head()}")
    if name is None:  # and the listings' read models
        with progress(err, "rebuilding the sanction register"):
            folded = SanctionRegister(ledger).rebuild()
        out.print(f"rebuilt sanctions: {folded} events, checkpoint {ledger.store.head()}")
        years = range(2000, ledger.now().year + 2)
        quarters = [Period.parse(f"{y}Q{n}") for y in years for n in range(1, 5)]
        for cards in quarters_with_cards(ledger, quarters):
            with progress(err, f"rebuilding {cards.model.name}"):
                done = cards.rebuild()
            out.print(f"rebuilt {cards.model.name}: {done} employees")
        with progress(err, "rebuilding the complaint board"):
            handlers = ComplaintBoard(ledger).rebuild()
        out.print(f"rebuilt complaints: {handlers} handlers, checkpoint {ledger.store.head()}")
        from ledger.report import report_models

        months = [Period.parse(f"{y}-{m:02d}") for y in years for m in range(1, 13)]
        periods = [*(Period.parse(str(y)) for y in years), *quarters, *months]
        for rows in report_models(ledger, periods):
            with progress(err, f"rebuilding {rows.model.name}"):
                done = rows.rebuild()
            out.print(f"rebuilt {rows.model.name}: {done} employees")


@click.command()
@click.option("--period", "-p", required=True, help="2026Q3, 2026-07 or 2026.")
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="The HTML file to write.",
)
@click.pass_obj
@handles_errors
def report(state: LedgerContext, period: str, out_file: str) -> None:
    """Write a self-contained HTML report (inline SVG charts, no network).

    \b
    Example:
      ledger report --period 2026Q3 --out q3.html
    """
    from ledger.report import build_report

    ledger = state.open()
    with progress(err, f"building the report of {period}"):
        html = build_report(ledger, Period.parse(period))
    Path(out_file).write_text(html, encoding="utf-8")
    out.print(f"wrote {out_file} ({len(html) // 1024} KiB)")


def register(group: click.Group) -> None:
    """Add these commands to ``group``."""
    for command in (payroll, rebuild, report):
        group.add_command(command)
