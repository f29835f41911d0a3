"""Audit commands: explain, verify, replay, export, verify-bundle."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.markup import escape

from ledger.audit import (
    CheckpointCheck,
    CheckpointMismatch,
    explain,
    load_public_key,
    replay,
    verify,
)
from ledger.audit.bundle import export_bundle, verify_bundle
from ledger.audit.checkpoints import read_note
from ledger.audit.rights import NOT_CHECKED, RightsReport
from ledger.cli import (
    EXIT_PROBLEM,
    LedgerContext,
    err,
    fail,
    find_sanction,
    handles_errors,
    out,
)
from ledger.cli.progress import progress
from ledger.cli.proof_cmds import checkpoint_checks, report_checks
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
    explanation = explain(ledger, find_sanction(ledger, sanction_id))
    if fmt == "json":
        click.echo(json.dumps(explanation.to_json(), ensure_ascii=False, indent=2))
    elif fmt == "markdown":
        click.echo(explanation.markdown(), nl=False)
    else:
        click.echo(explanation.text(), nl=False)


@click.command(name="verify")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="A signed checkpoint the log must extend (repeatable); needs --public-key.",
)
@click.option(
    "--public-key",
    type=click.Path(dir_okay=False),
    help="The public key that signed the checkpoints (PEM or C2SP vkey).",
)
@click.pass_obj
@handles_errors
def verify_cmd(
    state: LedgerContext, fmt: str, checkpoints: tuple[str, ...], public_key: str | None
) -> None:
    """Check the hash chain and that every recorded consequence is what the rules derive;
    with --checkpoint, also that the log extends each signed checkpoint (a consistency
    proof), which catches a rewrite even with the chain recomputed.

    Exit 0 when intact; 1 naming the first broken position, listing each discrepancy, or
    each checkpoint the log does not extend.

    \b
    Examples:
      ledger verify && echo intact
      ledger verify --checkpoint ckpt-1.txt --checkpoint ckpt-2.txt --public-key k.pub
    """
    checks: list[CheckpointCheck] = []
    if checkpoints or public_key:
        found, checks = checkpoint_checks(state, checkpoints, public_key)
        if found is None:  # an emptied database: nothing else to check
            report_checks(checks)
            sys.exit(EXIT_PROBLEM)
    ledger = state.open()
    with progress(err, "verifying: the chain, then every employee re-derived"):
        report = verify(ledger)
    failed = not report.ok or not all(c.ok for c in checks)
    if fmt == "json":
        data = report.to_json()
        if checkpoints:
            data["checkpoints"] = [c.to_json() for c in checks]
            data["ok"] = not failed
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
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
        _rights_note(report.rights)
    elif not report.chain.ok:
        where = report.chain.first_bad_position
        at = f" at position {where}" if where is not None else ""
        err.print(f"BROKEN{at}: {report.chain.problem}")
    else:
        if report.discrepancies:
            err.print(f"{len(report.discrepancies)} discrepancies (chain intact):")
        for d in report.discrepancies:
            err.print(f"  {d.employee_id} {d.sanction_id or ''}: {d.problem}")
        violations = report.rights.violations
        if violations:
            err.print(f"{len(violations)} facts recorded without the right (chain intact):")
        for v in violations:
            err.print(f"  {v}")
        _rights_note(report.rights)
    if fmt != "json":
        report_checks(checks)
    if failed:
        sys.exit(EXIT_PROBLEM)


def _rights_note(rights: RightsReport) -> None:
    if not rights.checked:
        out.print(NOT_CHECKED)
    elif not rights.violations:
        out.print(
            f"rights: all {rights.facts} events since the first access document were written "
            f"with the right to ({rights.access} in force)"
        )


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
        except UnicodeDecodeError as exc:
            fail(f"{rulebook_file}: not UTF-8 text ({exc.reason}): a rulebook is TOML")
    with progress(err, f"replaying {period}"):
        report = replay(ledger, Period.parse(period), document, source=rulebook_file or "")
    data = report.to_json()
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    totals = data["totals"]
    title = f"Replay of {report.period} under {report.rulebook}"
    if not data["employees"]:
        unchanged = ", ".join(f"{k} {v['recorded']}" for k, v in totals["money"].items())
        out.print(f"{title}: no employee differs (money unchanged: {unchanged})")
        return
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
        title=title,
    )
    money = ", ".join(
        f"{k} {v['recorded']} -> {v['replayed']} ({v['difference']})"
        for k, v in totals["money"].items()
    )
    out.print(
        f"{_employees(totals['employees_differing'])}: {totals['added']} added, "
        f"{totals['removed']} removed, {totals['changed']} changed amounts, "
        f"{totals['grades_changed']} grades; money {money}"
    )


def _employees(count: int) -> str:
    """``1 employee differs``, ``3 employees differ``."""
    return f"{count:,} employee differs" if count == 1 else f"{count:,} employees differ"


@click.command(name="export")
@click.option("--period", "-p", required=True, help="2026Q3, 2026-07 or 2026.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="A new (or empty) directory.",
)
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(dir_okay=False),
    help="Cut the bundle at this signed checkpoint and carry the proofs against it.",
)
@click.pass_obj
@handles_errors
def export_cmd(
    state: LedgerContext, period: str, out_dir: str, checkpoint_file: str | None
) -> None:
    """Write an offline audit bundle of a period (verify it with `ledger verify-bundle`).

    \b
    Examples:
      ledger export --period 2026Q3 --out audit-2026Q3
      ledger export --period 2026Q3 --out audit-2026Q3 --checkpoint ckpt.txt
    """
    ledger = state.open()
    note = read_note(Path(checkpoint_file)) if checkpoint_file else None
    try:
        with progress(err, f"exporting {period}"):
            chain = export_bundle(ledger, Period.parse(period), Path(out_dir), note)
    except CheckpointMismatch as exc:
        fail(f"{checkpoint_file}: {exc}", EXIT_PROBLEM)
        return
    out.print(
        f"exported {chain['events']} events of {len(chain['employees'])} employees to {out_dir} "
        f"(chain head {chain['head_position']} {chain['head_hash'][:16]}...)"
    )


@click.command(name="verify-bundle")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "--public-key",
    type=click.Path(dir_okay=False),
    help="Also check the bundle against its signed checkpoint with this public key.",
)
@handles_errors
def verify_bundle_cmd(directory: str, public_key: str | None) -> None:
    """Verify an audit bundle offline (no database needed); exit 1 listing each problem.

    With --public-key the bundle must carry a checkpoint (`export --checkpoint`) signed by
    that key, and every event of the log up to it must be accounted for: a rewritten event
    or chain, or a dropped employee, fails.

    \b
    Examples:
      ledger verify-bundle audit-2026Q3
      ledger verify-bundle audit-2026Q3 --public-key ledger-signing.key.pub
    """
    path = Path(directory)
    if not path.is_dir():
        fail(f"{directory}: no such bundle directory")
    key = load_public_key(Path(public_key)) if public_key else None
    problems = verify_bundle(path, key)
    if problems:
        for problem in problems:
            err.print(f"  {problem}")
        err.print(f"bundle {directory} does NOT verify: {len(problems)} problem(s)")
        sys.exit(EXIT_PROBLEM)
    anchored = ", signed checkpoint and every leaf of the log" if key is not None else ""
    out.print(
        f"bundle {directory} verifies: manifest, hashes, chain links and derivations{anchored}"
    )


def register(group: click.Group) -> None:
    """Add these commands to ``group`` (replacing the chain-only ``verify``)."""
    for command in (explain_cmd, verify_cmd, replay_cmd, export_cmd, verify_bundle_cmd):
        group.add_command(command)
