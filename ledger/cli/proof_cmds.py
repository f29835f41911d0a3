"""Proof commands: keygen, checkpoint, prove, verify-receipt; and the checkpoint checks that
``verify --checkpoint`` adds (docs/ARCHITECTURE.md, "Signed checkpoints")."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from ledger.app import Ledger
from ledger.audit import (
    CheckpointCheck,
    CheckpointMismatch,
    NoteError,
    check_checkpoints,
    checkpoint,
    generate_keypair,
    load_private_key,
    load_public_key,
    prove,
    verify_receipt,
)
from ledger.audit.checkpoints import read_note
from ledger.cli import EXIT_PROBLEM, LedgerContext, err, fail, find_sanction, handles_errors, out
from ledger.errors import StorageError, UsageError
from ledger.store.sqlite import NOT_A_LEDGER

__all__ = ["checkpoint_checks", "register"]


@click.command(name="keygen")
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="The private key file (written 0600); the public key goes to FILE.pub.",
)
@handles_errors
def keygen_cmd(out_file: str) -> None:
    """Write a new Ed25519 key pair for signing checkpoints (never over existing files).

    Keep the private key where only the ledger's operator reads it; hand FILE.pub to the
    auditors, employees and anyone who will verify checkpoints and receipts.

    \b
    Example:
      ledger keygen --out ledger-signing.key
    """
    private, public = generate_keypair(Path(out_file))
    out.print(f"private key {private} (mode 0600), public key {public}")


@click.command(name="checkpoint")
@click.option(
    "--key",
    "key_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="The Ed25519 private key (from `ledger keygen`).",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False),
    help="Write the checkpoint here (default: standard output).",
)
@click.pass_obj
@handles_errors
def checkpoint_cmd(state: LedgerContext, key_file: str, out_file: str | None) -> None:
    """Sign a checkpoint of the whole log (C2SP tlog-checkpoint) and record that it was issued.

    The checkpoint proves something only when kept OUTSIDE the database: give it to an
    auditor, e-mail it, store it in another system. `ledger verify --checkpoint` then shows
    that the log still extends it.

    \b
    Example:
      ledger checkpoint --key ledger-signing.key --out ckpt-2026-10-01.txt
    """
    key = load_private_key(Path(key_file))
    ledger = state.open(write=True)
    try:
        issued = checkpoint(ledger, key)
    except CheckpointMismatch as exc:
        fail(str(exc), EXIT_PROBLEM)
        return
    if out_file is None:
        click.echo(issued.note, nl=False)
        return
    path = Path(out_file)
    try:
        path.write_text(issued.note, encoding="utf-8")
    except OSError as exc:
        fail(f"{out_file}: cannot write: {exc.strerror}; the checkpoint was:\n{issued.note}")
    err.print(
        f"checkpoint of {issued.size} events written to {out_file}; keep a copy outside "
        "the database"
    )


def _notes(paths: Sequence[str]) -> list[tuple[str, str]]:
    notes = []
    for name in paths:
        try:
            notes.append((name, read_note(Path(name))))
        except NoteError as exc:
            notes.append((name, f"unreadable: {exc}"))  # fails to verify, reported as such
    return notes


def checkpoint_checks(
    state: LedgerContext, paths: Sequence[str], public_key: str | None
) -> tuple[Ledger | None, list[CheckpointCheck]]:
    """For ``verify --checkpoint``: the ledger (``None`` when the database is empty or no
    longer a ledger, which fails every checkpoint) and each checkpoint's check."""
    if public_key is None:
        raise UsageError("--checkpoint needs --public-key (the key that signed it)")
    key = load_public_key(Path(public_key))
    notes = _notes(paths)
    try:
        ledger: Ledger | None = state.open()
    except StorageError as exc:
        if NOT_A_LEDGER not in str(exc) or "does not exist" in str(exc):
            raise
        ledger = None
    return ledger, check_checkpoints(ledger, notes, key)


def report_checks(checks: Sequence[CheckpointCheck]) -> None:
    """Print each checkpoint's outcome (text)."""
    for check in checks:
        if check.ok:
            out.print(f"checkpoint {check.name}: {check.message}")
        else:
            err.print(f"checkpoint {check.name} FAILS: {check.message}")


@click.command(name="prove")
@click.argument("sanction_id")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="A checkpoint of this ledger (from `ledger checkpoint`).",
)
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="The receipt file (JSON).",
)
@click.pass_obj
@handles_errors
def prove_cmd(state: LedgerContext, sanction_id: str, checkpoint_file: str, out_file: str) -> None:
    """Write a receipt: a consequence, its causing facts and status history, each with an
    inclusion proof against the checkpoint, and the signed checkpoint itself.

    Anyone with the public key checks it offline: `ledger verify-receipt`.

    \b
    Example:
      ledger prove 85c72d09 --checkpoint ckpt.txt --out receipt.json
    """
    ledger = state.open()
    note = read_note(Path(checkpoint_file))
    try:
        receipt = prove(ledger, find_sanction(ledger, sanction_id), note)
    except CheckpointMismatch as exc:
        fail(f"{checkpoint_file}: {exc}", EXIT_PROBLEM)
        return
    try:
        Path(out_file).write_bytes(receipt.to_json_bytes())
    except OSError as exc:
        fail(f"{out_file}: cannot write: {exc.strerror}")
    out.print(
        f"receipt of {receipt.sanction_id} ({receipt.employee_id}, {receipt.status}): "
        f"{len(receipt.events)} events proven against the checkpoint of {receipt.tree_size} "
        f"events, written to {out_file}"
    )


@click.command(name="verify-receipt")
@click.argument("receipt_file", type=click.Path(dir_okay=False))
@click.option(
    "--public-key",
    required=True,
    type=click.Path(dir_okay=False),
    help="The public key that signs this ledger's checkpoints (PEM or C2SP vkey).",
)
@handles_errors
def verify_receipt_cmd(receipt_file: str, public_key: str) -> None:
    """Check a receipt offline (no database): the checkpoint's signature, every inclusion
    proof, and that the events are the consequence's recorded provenance.

    Exit 0 when it verifies; 1 listing each problem.

    \b
    Example:
      ledger verify-receipt receipt.json --public-key ledger-signing.key.pub
    """
    key = load_public_key(Path(public_key))
    try:
        data = Path(receipt_file).read_bytes()
    except OSError as exc:
        fail(f"{receipt_file}: cannot read: {exc.strerror}")
        return
    report = verify_receipt(data, key)
    if not report.ok or report.receipt is None:
        for problem in report.problems:
            err.print(f"  {problem}")
        err.print(f"receipt {receipt_file} does NOT verify: {len(report.problems)} problem(s)")
        sys.exit(EXIT_PROBLEM)
    r = report.receipt
    out.print(
        f"receipt {receipt_file} verifies: {r.sanction_id} of {r.employee_id} ({r.status}), "
        f"{len(r.events)} events included in the signed checkpoint of {r.tree_size} events "
        f"of {r.origin}"
    )


def register(group: click.Group) -> None:
    """Add these commands to ``group``."""
    for command in (keygen_cmd, checkpoint_cmd, prove_cmd, verify_receipt_cmd):
        group.add_command(command)
