"""``ledger copy``: move a whole ledger between backends (SQLite ↔ PostgreSQL)."""

from __future__ import annotations

import sys
from contextlib import suppress
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ledger.cli import EXIT_PROBLEM, LedgerContext, err, fail, handles_errors, out
from ledger.errors import TamperedError
from ledger.store import EventStore, display_location, is_postgres_url, open_store, sqlite_path
from ledger.store.copy import CopyReport, copy_log
from ledger.store.sqlite import NOT_A_LEDGER

__all__ = ["register"]

_LINE_EVERY = 50_000
"""Without a terminal, a progress line on stderr every this many events."""


@click.command(name="copy")
@click.option("--from", "source", required=True, metavar="SRC", help="The ledger to copy.")
@click.option(
    "--to", "target", required=True, metavar="DST", help="An empty or new ledger to copy into."
)
@click.pass_obj
@handles_errors
def copy_cmd(state: LedgerContext, source: str, target: str) -> None:
    """Copy a whole ledger into an empty one, byte for byte, and verify it there.

    SRC and DST are each a file (or sqlite:///PATH) or a postgresql:// URL. The copy keeps
    every position, recorded_at and hash; it is one transaction of DST (all or nothing), DST
    must hold no events (a new file or database is created), and DST's chain is walked
    again once committed. Stored projections are not copied: they rebuild on first use.
    Exit 1 when a chain does not verify, 2 on bad input.

    \b
    Examples:
      ledger copy --from company.db --to postgresql://ledger@db.internal/conduct
      ledger copy --from postgresql:///conduct --to backup.db
    """
    if not is_postgres_url(source) and not Path(sqlite_path(source)).is_file():
        fail(f"{display_location(source)}: does not exist: {NOT_A_LEDGER}")
    new_file = not is_postgres_url(target) and not Path(sqlite_path(target)).exists()
    src = open_store(source, readonly=True)
    dst: EventStore | None = None
    report: CopyReport | None = None
    try:
        dst = open_store(
            target,
            create=True,
            write_timeout=state.wait,
            on_wait=state._waiting,
            notify=lambda text: err.print(text),
        )
        total = src.head()
        err.print(f"copying {total} events from {display_location(source)} to "
                  f"{display_location(target)} ...")  # fmt: skip
        show = sys.stderr.isatty()
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=err, transient=True, disable=not show) as bar:
            task = bar.add_task("copying", total=total)
            said = [0]

            def progress(count: int, of: int) -> None:
                bar.update(task, completed=count)
                if not show and count - said[0] >= _LINE_EVERY:
                    said[0] = count
                    err.print(f"  {count} of {of} events")

            try:
                report = copy_log(src, dst, progress=progress)
            except TamperedError as exc:
                err.print(f"[bold red]error:[/] source does not verify: {exc}")
                sys.exit(EXIT_PROBLEM)
    finally:
        src.close()
        if dst is not None:
            dst.close()
        if new_file and report is None:
            _remove_sqlite(sqlite_path(target))
    assert report is not None
    if not report.ok:
        err.print(
            f"[bold red]error:[/] the copy does NOT verify at position "
            f"{report.destination.first_bad_position}: {report.destination.problem}"
        )
        sys.exit(EXIT_PROBLEM)
    out.print(
        f"copied {report.copied} events to {display_location(target)}; verified: chain intact, "
        f"head {report.head_hash}"
    )


def _remove_sqlite(path: str) -> None:
    """Remove a SQLite file this command created for a copy that did not happen."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with suppress(OSError):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def register(group: click.Group) -> None:
    """Add ``copy`` to ``group``."""
    group.add_command(copy_cmd)
