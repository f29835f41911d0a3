"""``ledger feed``: the log as JSON Lines, for downstream systems that follow it."""

from __future__ import annotations

import sys

import click

from ledger.cli import LedgerContext, handles_errors
from ledger.events import canonical_json
from ledger.feed import feed_record, follow_rows

__all__ = ["register"]


@click.command(name="feed")
@click.option(
    "--after",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Start after this position (your checkpoint).",
)
@click.option(
    "--types",
    "types",
    metavar="T1,T2",
    help="Only these event types; shell patterns work (sanction.*,grade.*).",
)
@click.option("--follow", "-f", is_flag=True, help="When caught up, wait for new events.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl"]),
    default="jsonl",
    show_default=True,
    help="One JSON object a line.",
)
@click.pass_obj
@handles_errors
def feed(state: LedgerContext, after: int, types: str | None, follow: bool, fmt: str) -> None:
    """Print recorded events after a position, in position order; with --follow, keep
    printing each new one as it is committed (until interrupted).

    Each line is one JSON object (canonical: sorted keys, no spaces) with position, version,
    recorded_at, hash and the wire fields. Keep the last position you handled and resume
    with --after it. PostgreSQL wakes a follower at each commit; SQLite is polled.

    \b
    Examples:
      ledger feed --after 0
      ledger feed --after 1200 --types 'sanction.*,grade.*' --follow
    """
    ledger = state.open()
    chosen = types.split(",") if types is not None else None
    stream = sys.stdout.buffer
    try:
        for row in follow_rows(ledger.store, after, chosen, wait=follow):
            stream.write(canonical_json(feed_record(row)) + b"\n")
            stream.flush()
    except (KeyboardInterrupt, BrokenPipeError):
        # Stopped by the reader (Ctrl-C, or a closed pipe such as `| head`): a normal end.
        _quiet_stdout()
        sys.exit(0)


def _quiet_stdout() -> None:
    """Leave nothing for the interpreter to flush into a closed pipe at exit."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def register(group: click.Group) -> None:
    """Add ``feed`` to ``group``."""
    group.add_command(feed)
