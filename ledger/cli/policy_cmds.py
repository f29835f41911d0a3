"""Commands over consequences and rules: tick, sanctions, rules, rulebook."""

from __future__ import annotations

import csv
import io
import json
import sys
from typing import Any

import click
from rich.table import Table

from ledger.cli import LedgerContext, fail, handles_errors, out
from ledger.cli.tables import Column, Window, paging_options, print_table
from ledger.policies.engine import DEFAULT_RULES, PARAMETER_SECTIONS
from ledger.policies.status import SanctionState
from ledger.timeutil import Period, parse_instant

__all__ = ["register", "sanction_row"]

FORMATS = click.Choice(["table", "json", "csv"])


def sanction_row(state: SanctionState, at: Any) -> dict[str, Any]:
    """The stable JSON shape of one consequence (DESIGN.md §9)."""
    issued = state.issued
    return {
        "sanction_id": str(issued.sanction_id),
        "employee_id": state.employee_id,
        "kind": issued.kind,
        "amount": None if issued.amount is None else format(issued.amount, "f"),
        "rule_id": issued.rule_id,
        "rule_version": issued.rule_version,
        "rulebook_id": issued.rulebook_id,
        "rulebook_version": issued.rulebook_version,
        "caused_by": [str(c) for c in issued.caused_by],
        "depends_on": [str(c) for c in issued.depends_on],
        "issued_at": issued.effective_at.isoformat(),
        "expires_at": issued.expires_at.isoformat() if issued.expires_at else None,
        "due_at": issued.due_at.isoformat() if issued.due_at else None,
        "attached_to": str(issued.attached_to) if issued.attached_to else None,
        "status": state.status(at),
        "summary": issued.basis.summary,
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


def emit(rows: list[dict[str, Any]], fmt: str, columns: list[str], title: str) -> None:
    """Print rows as a table, JSON or CSV."""
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer,
            fieldnames=list(rows[0]) if rows else columns,
            extrasaction="ignore",
            lineterminator="\n",
        )
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(v) for k, v in row.items()})
        click.echo(buffer.getvalue(), nl=False)
        return
    print_table(
        out,
        [Column(c, shrink=1) for c in columns],
        [["" if row[c] is None else str(row[c]) for c in columns] for row in rows],
        title=title,
    )


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
    report = ledger.tick(moment)
    out.print(
        f"ticked to {report.now.isoformat()}: {report.employees} employees checked, "
        f"{report.derived} derived events recorded"
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


def _sanction_cells(state: SanctionState, at: Any) -> tuple[str, ...]:
    """One consequence as the cells of the table: what :func:`sanction_row` says, shorter."""
    issued = state.issued
    return (
        str(issued.sanction_id)[:8],
        state.employee_id,
        issued.kind,
        "" if issued.amount is None else format(issued.amount, "f"),
        issued.rule_id,
        issued.effective_at.isoformat()[:16].replace("T", " "),
        state.status(at),
        issued.basis.summary,
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
    states = ledger.sanctions(employee, chosen)
    shown = window.slice(states)
    if fmt != "table":
        header = list(sanction_row(states[0], now)) if states else []
        emit([sanction_row(s, now) for s in shown], fmt, header, "Consequences")
        return
    print_table(
        out,
        SANCTION_COLUMNS,
        [_sanction_cells(s, now) for s in shown],
        title=f"Consequences ({len(states):,})",
        footer=window.footer(len(states), len(shown)),
        empty="no consequences" if not states else "no consequences in this window",
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
                "seed": clause.seed if clause else None,
                "section": clause.section if clause else None,
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
            f"{row['section']}: {row['clause']}" if row["clause"] else "",
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
    ledger = state.open(write=bool(adopt))
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
