"""``ledger findings``: the data problems derivation notes that are not consequences.

Facts of an employee never hired (they derive nothing), facts before ``hired_on``,
retractions naming nothing in the stream, facts no published rulebook binds, service
before qualification, late appeals ...: each with its code, employee, instant and events.
"""

from __future__ import annotations

import json

import click
from rich.markup import escape

from ledger.cli import LedgerContext, handles_errors, out
from ledger.policies.framework import Finding

__all__ = ["register"]


def _json(finding: Finding) -> dict[str, object]:
    return {
        "code": finding.code,
        "employee_id": finding.employee_id,
        "at": finding.at.isoformat(),
        "message": finding.message,
        "event_ids": [str(e) for e in finding.event_ids],
    }


@click.command(name="findings")
@click.option("--employee", "-e", help="Only this employee's findings.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_obj
@handles_errors
def findings(state: LedgerContext, employee: str | None, fmt: str) -> None:
    """List what derivation found wrong with the data (no consequence follows from it).

    Among them every employee with facts but no employee.hired (code not_hired): their
    facts are stored and count once the hire is recorded.

    \b
    Examples:
      ledger findings
      ledger findings --employee E1001 --format json
    """
    ledger = state.open()
    employees = [employee] if employee else ledger.employees()
    found = [f for e in employees for f in ledger.derive(e).findings]
    if fmt == "json":
        click.echo(json.dumps([_json(f) for f in found], ensure_ascii=False, indent=2))
        return
    for f in found:
        out.print(f"{escape(f.employee_id)} {f.at.isoformat()} {f.code}: {escape(f.message)}")
    out.print(f"{len(found)} finding(s) for {len(employees)} employee(s)")


def register(group: click.Group) -> None:
    """Add these commands to ``group``."""
    group.add_command(findings)
