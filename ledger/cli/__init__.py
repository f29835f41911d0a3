"""The ``ledger`` command line: a thin layer over :class:`ledger.app.Ledger`.

Exit codes: 0 success, 1 verification found a problem, 2 bad input or usage, 3 internal
error (a bug: one line says so and where its traceback was written; ``--debug`` or
``LEDGER_DEBUG=1`` shows the traceback instead).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from uuid import UUID

import click
from rich.console import Console
from rich.markup import escape

from ledger.app import Ledger
from ledger.errors import LedgerError, RulebookError, StorageError
from ledger.store.sqlite import DEFAULT_WRITE_TIMEOUT, NOT_A_LEDGER
from ledger.store.urls import display_location, is_postgres_url, sqlite_path

__all__ = ["main"]

P = ParamSpec("P")
R = TypeVar("R")

# Off a terminal rich would assume 80 columns; tables read better wider ($COLUMNS wins).
# Lines of text are never wrapped (soft_wrap): scripts read them, and a long path must not
# be broken across lines.
out = Console(
    highlight=False,
    emoji=False,
    soft_wrap=True,
    width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160,
)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

EXIT_PROBLEM = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class LedgerContext:
    """What every command shares: the database path and a lazily opened ledger."""

    def __init__(
        self, db: str, wait: float = DEFAULT_WRITE_TIMEOUT, actor: str | None = None
    ) -> None:
        self.db = db
        self.actor = actor
        """Who writes (``--as`` / ``$LEDGER_ACTOR``), or ``None``."""
        self.name = display_location(db)
        """The database as printed (a URL's password masked)."""
        self.wait = wait
        self._ledger: Ledger | None = None

    def open(
        self, *, write: bool = False, create: bool = False, rulebook: bool = True
    ) -> Ledger:
        """Open the ledger: read-only unless ``write``; only ``create`` makes a new one.

        A read-only open takes no lock and answers from the last committed state while
        another process writes; a writer queues behind other writers (saying so) for up to
        ``--wait`` seconds. A missing, empty or foreign file (or PostgreSQL database) is
        refused, never created or modified, unless ``create``. Unless ``rulebook`` is
        false (or ``create``), a ledger without an adopted rulebook is refused too: it could
        judge nothing.
        """
        if self._ledger is None:
            if not create and not is_postgres_url(self.db):
                path = sqlite_path(self.db)
                if path == ":memory:" or not Path(path).exists():
                    raise StorageError(
                        f"{self.db}: does not exist: {NOT_A_LEDGER}, or point --db / "
                        "$LEDGER_DB at one"
                    )
            self._ledger = Ledger.open(
                self.db,
                adopt_default=False,
                readonly=not (write or create),
                actor=self.actor,
                create=create,
                write_timeout=self.wait,
                on_wait=self._waiting,
                notify=lambda text: err.print(escape(text)),
            )
            if rulebook and not create and not self._ledger.rulebooks():
                raise RulebookError(
                    f"{self.name}: no rulebook is adopted in this ledger; run `ledger init` "
                    "(or `ledger rulebook --adopt FILE`)"
                )
        return self._ledger

    def _waiting(self) -> None:
        err.print(
            f"waiting for another writer (up to {self.wait:g} s; change with --wait or "
            "$LEDGER_WAIT) ..."
        )

    def close(self) -> None:
        """Close the ledger if it was opened."""
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None


def fail(message: str, code: int = EXIT_USAGE) -> None:
    """Print ``message`` on standard error and exit with ``code``."""
    err.print(f"[bold red]error:[/] {escape(message)}")
    sys.exit(code)


def find_sanction(ledger: Ledger, prefix: str) -> UUID:
    """The consequence whose id is ``prefix`` or starts with it; exit 2 if none or several."""
    matches = [found for found, _ in ledger.store.find_sanctions(prefix)]
    if not matches:
        fail(f"no consequence with id {prefix!r}; see `ledger sanctions`")
    if len(matches) > 1:
        fail(f"id prefix {prefix!r} is ambiguous ({len(matches)} consequences); give more")
    return UUID(str(matches[0]))


def handles_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn ledger errors into a message on standard error and exit code 2."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except LedgerError as exc:
            fail(str(exc))
            raise AssertionError("unreachable") from exc

    return wrapper


class _Commands(click.Group):
    """The command group: a Ctrl-C ends a command with its own message and exit 130
    (click's standalone mode would print "Aborted!" and exit 1, the code of a failed
    verification)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            err.print(INTERRUPTED)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None


INTERRUPTED = "interrupted; nothing half-written (a write is one transaction)"
EXIT_INTERRUPTED = 130


@click.group(
    cls=_Commands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="\b\nExamples:\n  ledger init\n  ledger import quarter.jsonl\n  ledger verify\n",
)
@click.option(
    "--db",
    default=lambda: os.environ.get("LEDGER_DB", "ledger.db"),
    show_default="$LEDGER_DB, else ./ledger.db",
    help="The ledger database: a file (or sqlite:///PATH), or postgresql://HOST/DBNAME.",
)
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=lambda: float(os.environ.get("LEDGER_WAIT", DEFAULT_WRITE_TIMEOUT)),
    show_default=f"$LEDGER_WAIT, else {DEFAULT_WRITE_TIMEOUT:g}",
    help="Seconds a writing command waits for another writer before giving up.",
)
@click.option(
    "--as",
    "actor",
    default=lambda: os.environ.get("LEDGER_ACTOR") or None,
    show_default="$LEDGER_ACTOR",
    metavar="ACTOR",
    help="Who is writing (e.g. hr:H01), checked against the access document in force.",
)
@click.option(
    "--debug",
    is_flag=True,
    default=lambda: bool(os.environ.get("LEDGER_DEBUG")),
    help="Show the traceback of an internal error (a bug) instead of writing it to a file.",
)
@click.version_option(package_name="conduct-ledger")
@click.pass_context
def cli(ctx: click.Context, db: str, wait: float, actor: str | None, debug: bool) -> None:
    """Conduct ledger: a tamper-evident record of service conduct and its consequences.

    Reading commands open the database read-only and answer while another process
    writes; writing commands (init, record, import, tick, rulebook --adopt, access
    --adopt, rebuild) queue behind each other. Once an access document is adopted, every
    write is checked against it: say who you are with --as (see `ledger access`).
    """
    state = LedgerContext(db, wait, actor)
    ctx.obj = state
    ctx.call_on_close(state.close)


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the ``ledger`` console script."""
    from ledger.cli import (
        access_cmds,
        audit_cmds,
        copy_cmds,
        demo_cmd,
        feed_cmds,
        findings_cmds,
        notice_cmd,
        policy_cmds,
        projection_cmds,
        proof_cmds,
        readmodel_cmds,
        store_cmds,
    )

    if not cli.commands:
        store_cmds.register(cli)
        policy_cmds.register(cli)
        readmodel_cmds.register(cli)
        projection_cmds.register(cli)
        audit_cmds.register(cli)
        copy_cmds.register(cli)
        feed_cmds.register(cli)
        demo_cmd.register(cli)
        notice_cmd.register(cli)
        proof_cmds.register(cli)
        access_cmds.register(cli)
        findings_cmds.register(cli)
    args = sys.argv[1:] if argv is None else argv
    try:
        return cli.main(args=args, prog_name="ledger")
    except KeyboardInterrupt:  # (outside a command: while click reads the arguments)
        err.print(INTERRUPTED)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`ledger sanctions | head`): not an error of ours to report.
        sys.stderr.close()
        sys.exit(EXIT_PROBLEM)
    except Exception as exc:  # the last guard: no traceback reaches a user
        if os.environ.get("LEDGER_DEBUG") or "--debug" in args:
            raise
        log = crash_log(exc)
        where = f"the traceback is in {log}" if log else "the traceback could not be saved"
        err.print(
            f"[bold red]internal error:[/] {escape(type(exc).__name__)}: {escape(str(exc))} "
            f"-- a bug in ledger, not in your input; please report it ({escape(where)}; "
            "--debug or LEDGER_DEBUG=1 shows it)"
        )
        sys.exit(EXIT_INTERNAL)


def crash_log(exc: BaseException) -> str | None:
    """Write ``exc``'s traceback to a new file and return its path (``None`` if it cannot).

    The directory is ``$LEDGER_LOG_DIR``, else ``$XDG_STATE_HOME/ledger`` (by default
    ``~/.local/state/ledger``), else the system's temporary directory.
    """
    import tempfile
    import traceback
    from datetime import datetime

    text = "".join(traceback.format_exception(exc))
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    places = [os.environ.get("LEDGER_LOG_DIR"), str(Path(state) / "ledger"), tempfile.gettempdir()]
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    argv = " ".join(sys.argv)
    for place in places:
        if not place:
            continue
        try:
            Path(place).mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(
                prefix=f"ledger-internal-error-{stamp}-", suffix=".log", dir=place
            )
            with os.fdopen(handle, "w", encoding="utf-8") as log:
                log.write(f"ledger internal error at {stamp}\ncommand: {argv}\n\n{text}")
            return name
        except OSError:
            continue
    return None
