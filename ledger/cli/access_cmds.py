"""``ledger access``: the access document in force (who may record what), exported,
adopted, or shown as a table."""

from __future__ import annotations

import sys

import click

from ledger.access import ADMIN, AdoptedAccess
from ledger.cli import LedgerContext, fail, handles_errors, out
from ledger.cli.tables import Column, print_table

__all__ = ["register"]

NOT_ADOPTED = "no access document adopted: who may write is not checked"


@click.command()
@click.option("--export", "export", is_flag=True, help="Print the TOML of the document in force.")
@click.option("--adopt", "adopt", type=click.Path(dir_okay=False), help="Adopt a TOML file.")
@click.pass_obj
@handles_errors
def access(state: LedgerContext, export: bool, adopt: str | None) -> None:
    """Show, export or adopt the access document: roles grant event types, actors hold roles.

    Without an option, list each actor's roles and what they may record. The first
    document may be adopted by anyone; the next only by an actor holding the admin role.
    An employee acts as employee:ID and may always appeal their own consequences.

    \b
    Examples:
      ledger access --export > access.toml
      ledger --as hr:H01 access --adopt access.toml
    """
    if export and adopt:
        fail("give at most one of --export or --adopt FILE")
    ledger = state.open(write=bool(adopt))
    if adopt is not None:
        try:
            with open(adopt, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{adopt}: cannot read: {getattr(exc, 'strerror', None) or exc}")
            return
        before = ledger.access()
        adopted = ledger.adopt_access(text, source=adopt)
        if before is not None and before.sha256 == adopted.sha256:
            out.print(f"{adopted.label} is already in force (sha256 {adopted.sha256})")
            return
        out.print(
            f"adopted {adopted.label} (sha256 {adopted.sha256}) by {adopted.adopted_by}; "
            f"every write after position {adopted.position} is checked against it"
        )
        return
    current = ledger.access()
    hint = f"{NOT_ADOPTED}; adopt one with `ledger --as ACTOR access --adopt FILE`"
    if current is None:
        if export:
            fail(hint)
        out.print(hint)
        return
    if export:
        sys.stdout.write(current.text)
        return
    _show(current)


def _show(current: AdoptedAccess) -> None:
    document = current.document
    rows = [
        [actor, ", ".join(roles), "; ".join(", ".join(document.roles[r]) for r in roles)]
        for actor, roles in sorted(document.actors.items())
    ]
    print_table(
        out,
        [Column("actor"), Column("roles"), Column("may record", shrink=1)],
        rows,
        title=f"{current.label}, adopted by {current.adopted_by} at position {current.position}",
    )
    out.print(
        f"Built in, whatever the roles say: employee:ID files appeal.filed on their own stream; "
        f"nobody decides an appeal or retracts on their own stream; the decider of an appeal "
        f"recorded none of its causing facts; sanction.*, grade.*, payroll.* and ledger.* are "
        f"written by the ledger alone; the {ADMIN} role adopts the next access document."
    )


def register(group: click.Group) -> None:
    """Add these commands to ``group``."""
    group.add_command(access)
