"""Commands over consequences and rules: tick, sanctions, rules, rulebook."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable
from typing import Any

import click
from rich.table import Table

from ledger.cli import LedgerContext, err, fail, handles_errors, out
from ledger.cli.progress import progress, staged
from ledger.cli.tables import Column, Window, paging_options, print_table
from ledger.policies.engine import DEFAULT_RULES, PARAMETER_SECTIONS
from ledger.policies.status import SanctionState
from ledger.projections.listings import SanctionRegister, sanction_fields
from ledger.timeutil import Period, parse_instant, to_the_second

__all__ = ["register", "sanction_row"]

FORMATS = click.Choice(["table", "json", "csv"])


def sanction_row(state: SanctionState, at: Any) -> dict[str, Any]:
    """The stable JSON shape of one consequence (DESIGN.md §9); the sanction register
    (:class:`~ledger.projections.listings.SanctionRegister`) stores the same rows."""
    row = sanction_fields(state.employee_id, state.issued)
    row["status"] = state.status(at)
    return {
        **row,
        "history": [
            {
                "what": change.what,
                "occurred_at": change.occurred_at.isoformat(),
                "recorded_at": change.recorded_at.isoformat(),
                "reason": change.reason,
            }
            for change in state.history
        ],
    }


_CHUNK = 500
"""Rows written at a time by the streamed formats."""


def emit(rows: Iterable[dict[str, Any]], fmt: str, columns: list[str], title: str) -> None:
    """Print rows as a table, JSON or CSV; JSON and CSV are streamed as they come, the
    bytes the same as ``json.dumps(list(rows), ensure_ascii=False, indent=2)`` would give."""
    if fmt == "json":
        started = False
        parts: list[str] = []
        for row in rows:
            text = json.dumps(row, ensure_ascii=False, indent=2).replace("\n", "\n  ")
            parts.append((",\n  " if started else "[\n  ") + text)
            started = True
            if len(parts) >= _CHUNK:
                click.echo("".join(parts), nl=False)
                parts.clear()
        click.echo("".join(parts) + ("\n]" if started else "[]"))
        return
    if fmt == "csv":
        writer: Any = None
        buffer = io.StringIO()
        for count, row in enumerate(rows, start=1):
            if writer is None:
                writer = _csv_writer(buffer, list(row))
            writer.writerow({k: _cell(v) for k, v in row.items()})
            if count % _CHUNK == 0:
                click.echo(buffer.getvalue(), nl=False)
                buffer.seek(0)
                buffer.truncate()
        if writer is None:
            _csv_writer(buffer, columns)
        click.echo(buffer.getvalue(), nl=False)
        return
    rows = list(rows)
    print_table(
        out,
        [Column(c, shrink=1) for c in columns],
        [["" if row[c] is None else str(row[c]) for c in columns] for row in rows],
        title=title,
    )


def _csv_writer(buffer: io.StringIO, fieldnames: list[str]) -> Any:
    writer = csv.DictWriter(
        buffer, fieldnames=fieldnames, extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    return writer


def _short(value: Any) -> str:
    if isinstance(value, list):
        return (
            "["
            + " ".join(
                f"{v.get('at')}:{v.get('outcome')}" if isinstance(v, dict) else str(v)
                for v in value
            )
            + "]"
        )
    if isinstance(value, dict):
        return "{" + " ".join(f"{k}:{v}" for k, v in value.items()) + "}"
    return str(value)


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"  # as JSON says it, not Python's True/False
    if isinstance(value, list):
        return ";".join(
            f"{v['what']}@{v['recorded_at']}" if isinstance(v, dict) else str(v) for v in value
        )
    return value


@click.command()
@click.option("--now", "now", help="Evaluate deadlines up to this time (ISO 8601); default now.")
@click.pass_obj
@handles_errors
def tick(state: LedgerContext, now: str | None) -> None:
    """Evaluate deadlines up to NOW and reconcile.

    Missed complaint replies and resolutions, apologies and task due dates become
    consequences once their deadline has passed.

    \b
    Examples:
      ledger tick
      ledger tick --now 2026-10-01T00:00:00+08:00
    """
    ledger = state.open(write=True)
    moment = parse_instant(now, what="--now") if now else None
    with progress(err, "ticking: deadlines, payroll months, grades", counted=True) as step:
        report = ledger.tick(moment, stages=staged(step, "ticking"))
    out.print(
        f"ticked to {to_the_second(report.now)}: {report.employees} employees checked, "
        f"{report.derived} derived events recorded"
    )
    if report.workers_stopped is not None:
        err.print(
            f"note: the worker processes stopped ({report.workers_stopped}); the tick went "
            "on in this process, with the same result"
        )


SANCTION_COLUMNS = (
    Column("id"),
    Column("employee"),
    Column("kind"),
    Column("amount", align="right"),
    Column("rule"),
    Column("issued"),
    Column("status"),
    Column("why", shrink=1),
)


def _sanction_cells(row: dict[str, Any]) -> tuple[str, ...]:
    """One consequence as the cells of the table: what :func:`sanction_row` says, shorter."""
    return (
        row["sanction_id"][:8],
        row["employee_id"],
        row["kind"],
        "" if row["amount"] is None else row["amount"],
        row["rule_id"],
        row["issued_at"][:16].replace("T", " "),
        row["status"],
        row["summary"],
    )


@click.command()
@click.option("--employee", "-e", help="Only this employee.")
@click.option("--period", "-p", help="Issued within 2026Q3, 2026-07 or 2026.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@paging_options
@click.pass_obj
@handles_errors
def sanctions(
    state: LedgerContext,
    employee: str | None,
    period: str | None,
    fmt: str,
    limit: int | None,
    offset: int,
) -> None:
    """List recorded consequences with their status (active/voided/revoked/expired).

    They come in the order they took effect; --offset and --limit page through them.

    \b
    Examples:
      ledger sanctions --period 2026Q3
      ledger sanctions -e E1001 --format json
      ledger sanctions --limit 50 --offset 50
    """
    ledger = state.open()
    chosen = Period.parse(period) if period else None
    now = ledger.now()
    window = Window(offset, limit)
    # The sanction register (a read model, caught up first): a page and its total from the
    # index, never a fold of the log.
    register = SanctionRegister(ledger)
    register.catch_up()
    shown = register.page(now, employee, chosen, window.offset, window.limit)
    if fmt != "table":
        first = next(register.page(now, employee, chosen, 0, 1), None)
        emit(shown, fmt, list(first) if first else [], "Consequences")
        return
    total = register.count(employee, chosen)
    rows = [_sanction_cells(row) for row in shown]
    print_table(
        out,
        SANCTION_COLUMNS,
        rows,
        title=f"Consequences ({total:,})",
        footer=window.footer(total, len(rows)),
        empty="no consequences" if not total else "no consequences in this window",
    )


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
@handles_errors
def rules(state: LedgerContext, fmt: str) -> None:
    """List the rules in force with version, clause and outcome kinds.

    \b
    Example:
      ledger rules --format json
    """
    ledger = state.open()
    adopted = ledger.rulebooks().latest()
    rows: list[dict[str, Any]] = []
    for info in DEFAULT_RULES.infos():
        clause = info.clauses[0] if info.clauses else None
        rows.append(
            {
                "rule_id": info.rule_id,
                "version": info.version,
                "title": info.title,
                "outcomes": list(info.outcomes),
                "clause": clause.text if clause else None,
                "regulation": clause.title if clause else None,
                "section": clause.section if clause else None,
                "seed": clause.seed if clause else None,
                "clauses": [c.as_json() for c in info.clauses],
                "rulebook": f"{adopted.rulebook.id} v{adopted.rulebook.version}"
                if adopted
                else None,
                "parameters": {
                    section: getattr(adopted.rulebook, section).model_dump(mode="json")
                    for section in PARAMETER_SECTIONS.get(info.rule_id, ())
                }
                if adopted
                else {},
            }
        )
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title="Rules in force")
    for column in ("rule", "title", "outcomes", "parameters", "clause"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            f"{row['rule_id']} v{row['version']}",
            row["title"],
            ", ".join(row["outcomes"]),
            "; ".join(
                f"{name}: " + ", ".join(f"{k}={_short(v)}" for k, v in values.items())
                for name, values in row["parameters"].items()
            ),
            f"《{row['regulation']}》{row['section']}：{row['clause']}" if row["clause"] else "",
        )
    out.print(table)


@click.command()
@click.option("--export", "export", is_flag=True, help="Print the TOML of the version in force.")
@click.option("--adopt", "adopt", type=click.Path(dir_okay=False), help="Adopt a TOML file.")
@click.option("--effective-from", help="Override the document's effective date (YYYY-MM-DD).")
@click.option("--published-on", help="Override the document's publication date (YYYY-MM-DD).")
@click.pass_obj
@handles_errors
def rulebook(
    state: LedgerContext,
    export: bool,
    adopt: str | None,
    effective_from: str | None,
    published_on: str | None,
) -> None:
    """Print the rulebook in force, or adopt a new version.

    \b
    Examples:
      ledger rulebook --export > rulebook.toml
      ledger rulebook --adopt rulebook-v2.toml --published-on 2026-09-15
    """
    if export == bool(adopt):
        fail("give exactly one of --export or --adopt FILE")
    ledger = state.open(write=bool(adopt), rulebook=not adopt)
    if export:
        latest = ledger.rulebooks().latest()
        if latest is None:
            fail("no rulebook is adopted; run `ledger init`")
            return
        sys.stdout.write(latest.document)
        return
    assert adopt is not None
    try:
        with open(adopt, encoding="utf-8") as handle:
            document = handle.read()
    except OSError as exc:
        fail(f"{adopt}: cannot read: {exc.strerror}")
        return
    adopted = ledger.adopt(
        document,
        effective_from=_date(effective_from, "--effective-from"),
        published_on=_date(published_on, "--published-on"),
        source=adopt,
    )
    out.print(
        f"adopted {adopted.rulebook.id} v{adopted.rulebook.version} (sha256 {adopted.sha256}), "
        f"binding from {adopted.binds_from.date().isoformat()}"
    )


def _date(text: str | None, what: str) -> Any:
    if text is None:
        return None
    return parse_instant(text, what=what).date()


def register(group: click.Group) -> None:
    """Add these commands to ``group``."""
    for command in (tick, sanctions, rules, rulebook):
        group.add_command(command)
