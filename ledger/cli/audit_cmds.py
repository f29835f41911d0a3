"""Audit commands: explain, verify, replay, export, verify-bundle."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from uuid import UUID

import click
from rich.markup import escape
from rich.progress import Progress

from ledger.audit import explain, replay, verify
from ledger.audit.bundle import export_bundle, verify_bundle
from ledger.cli import EXIT_PROBLEM, LedgerContext, err, fail, handles_errors, out
from ledger.cli.tables import Column, print_table
from ledger.timeutil import Period

__all__ = ["register"]


@click.command(name="explain")
@click.argument("sanction_id")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text")
@click.pass_obj
@handles_errors
def explain_cmd(state: LedgerContext, sanction_id: str, fmt: str) -> None:
    """Explain one consequence: rule, clause, rulebook, facts, basis, history, integrity.

    SANCTION_ID may be the full id or a unique prefix (as shown by `ledger sanctions`).

    \b
    Examples:
      ledger explain 85c72d09
      ledger explain 85c72d09-6541-5866-87bc-bd515b477bf3 --format json
    """
    ledger = state.open()
    matches = [found for found, _ in ledger.store.find_sanctions(sanction_id)]
    if not matches:
        fail(f"no consequence with id {sanction_id!r}; see `ledger sanctions`")
    if len(matches) > 1:
        fail(f"id prefix {sanction_id!r} is ambiguous ({len(matches)} consequences); give more")
    explanation = explain(ledger, UUID(str(matches[0])))
    if fmt == "json":
        click.echo(json.dumps(explanation.to_json(), ensure_ascii=False, indent=2))
    elif fmt == "markdown":
        click.echo(explanation.markdown(), nl=False)
    else:
        click.echo(explanation.text(), nl=False)


@click.command(name="verify")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_obj
@handles_errors
def verify_cmd(state: LedgerContext, fmt: str) -> None:
    """Check the hash chain and that every recorded consequence is what the rules derive.

    Exit 0 when intact; 1 naming the first broken position or listing each discrepancy.

    \b
    Example:
      ledger verify && echo intact
    """
    ledger = state.open()
    with Progress(console=err, transient=True, disable=not sys.stderr.isatty()) as bar:
        bar.add_task("verifying", total=None)
        report = verify(ledger)
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    elif report.ok:
        if report.unhired:
            shown = ", ".join(report.unhired[:20]) + (", ..." if len(report.unhired) > 20 else "")
            err.print(
                f"note: {len(report.unhired)} employee(s) with facts but no employee.hired "
                f"(they derive nothing until hired; see `ledger findings`): {escape(shown)}"
            )
        out.print(
            f"intact: {report.chain.checked} events, head {report.chain.head_hash}; "
            f"{report.employees} employees re-derived, no discrepancy"
        )
    elif not report.chain.ok:
        where = report.chain.first_bad_position
        err.print(f"BROKEN at position {where}: {report.chain.problem}")
    else:
        err.print(f"{len(report.discrepancies)} discrepancies (chain intact):")
        for d in report.discrepancies:
            err.print(f"  {d.employee_id} {d.sanction_id or ''}: {d.problem}")
    if not report.ok:
        sys.exit(EXIT_PROBLEM)


@click.command(name="replay")
@click.option("--period", "-p", required=True, help="2026Q3, 2026-07 or 2026.")
@click.option(
    "--rulebook",
    "rulebook_file",
    type=click.Path(dir_okay=False),
    help="A proposed rulebook TOML (default: the adopted ones).",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
@handles_errors
def replay_cmd(state: LedgerContext, period: str, rulebook_file: str | None, fmt: str) -> None:
    """Derive a period under another rulebook, write nothing, and show what would differ.

    \b
    Examples:
      ledger rulebook --export > proposal.toml   # edit fines, thresholds...
      ledger replay --period 2026Q3 --rulebook proposal.toml
    """
    ledger = state.open()
    document = None
    if rulebook_file:
        try:
            document = Path(rulebook_file).read_text(encoding="utf-8")
        except OSError as exc:
            fail(f"{rulebook_file}: cannot read: {exc.strerror}")
    report = replay(ledger, Period.parse(period), document)
    data = report.to_json()
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    totals = data["totals"]
    # Every cell may name amounts: a narrow terminal wraps them, never cuts them. The widest
    # (the money) narrows first.
    columns = (
        Column("employee"),
        Column("added", overflow="wrap", shrink=4, min_width=12),
        Column("removed", overflow="wrap", shrink=5, min_width=12),
        Column("changed amount", overflow="wrap", shrink=3, min_width=12),
        Column("grades", overflow="wrap", shrink=2, min_width=12),
        Column("money (recorded -> replayed)", overflow="wrap", shrink=1, min_width=12),
    )
    rows = []
    for e in data["employees"]:
        rows.append(
            (
                e["employee_id"],
                "\n".join(f"{a['kind']} {a['amount'] or ''} {a['rule_id']}" for a in e["added"]),
                "\n".join(
                    f"{a['kind']} {a['amount'] or ''} {a['rule_id']}" for a in e["removed"]
                ),
                "\n".join(
                    f"{a['kind']} {a['recorded_amount']} -> {a['amount']}" for a in e["changed"]
                ),
                "\n".join(
                    f"{g['period']} {(g['recorded'] or {}).get('level')} -> "
                    f"{g['replayed']['level']}"
                    for g in e["grades"]
                ),
                "; ".join(
                    f"{k} {v['recorded']} -> {v['replayed']}"
                    for k, v in e["money"].items()
                    if v["recorded"] != v["replayed"]
                ),
            )
        )
    print_table(
        out,
        columns,
        rows,
        title=f"Replay of {report.period} under {report.rulebook}",
        empty="no employee differs",
    )
    money = ", ".join(
        f"{k} {v['recorded']} -> {v['replayed']} ({v['difference']})"
        for k, v in totals["money"].items()
    )
    out.print(
        f"{totals['employees_differing']} employees differ: {totals['added']} added, "
        f"{totals['removed']} removed, {totals['changed']} changed amounts, "
        f"{totals['grades_changed']} grades; money {money}"
    )


@click.command(name="export")
@click.option("--period", "-p", required=True, help="2026Q3, 2026-07 or 2026.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="A new (or empty) directory.",
)
@click.pass_obj
@handles_errors
def export_cmd(state: LedgerContext, period: str, out_dir: str) -> None:
    """Write an offline audit bundle of a period (verify it with `ledger verify-bundle`).

    \b
    Example:
      ledger export --period 2026Q3 --out audit-2026Q3
    """
    ledger = state.open()
    chain = export_bundle(ledger, Period.parse(period), Path(out_dir))
    out.print(
        f"exported {chain['events']} events of {len(chain['employees'])} employees to {out_dir} "
        f"(chain head {chain['head_position']} {chain['head_hash'][:16]}...)"
    )


@click.command(name="verify-bundle")
@click.argument("directory", type=click.Path(file_okay=False))
def verify_bundle_cmd(directory: str) -> None:
    """Verify an audit bundle offline (no database needed); exit 1 listing each problem.

    \b
    Example:
      ledger verify-bundle audit-2026Q3
    """
    path = Path(directory)
    if not path.is_dir():
        fail(f"{directory}: no such bundle directory")
    problems = verify_bundle(path)
    if problems:
        for problem in problems:
            err.print(f"  {problem}")
        err.print(f"bundle {directory} does NOT verify: {len(problems)} problem(s)")
        sys.exit(EXIT_PROBLEM)
    out.print(f"bundle {directory} verifies: manifest, hashes, chain links and derivations")


def register(group: click.Group) -> None:
    """Add these commands to ``group`` (replacing the chain-only ``verify``)."""
    for command in (explain_cmd, verify_cmd, replay_cmd, export_cmd, verify_bundle_cmd):
        group.add_command(command)
