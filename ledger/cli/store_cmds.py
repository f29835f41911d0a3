"""Commands over the log itself: init, record, import, verify, schema."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click
import orjson
from rich.markup import escape

from ledger.audit.receipt import receipt_schema
from ledger.cli import LedgerContext, err, fail, handles_errors, out
from ledger.cli.progress import progress, staged
from ledger.errors import UsageError, ValidationFailed
from ledger.events import EVENT_TYPES, OBSERVATION_TYPES, Event, parse_event
from ledger.policies.rulebook import AdoptedRulebook, Rulebook
from ledger.schema import wire_schema
from ledger.store.urls import is_postgres_url, sqlite_path
from ledger.timeutil import parse_instant

__all__ = ["register"]


@click.command()
@click.option("--effective-from", help="The default rulebook's effective date (YYYY-MM-DD).")
@click.option("--published-on", help="When the company published it to staff (YYYY-MM-DD).")
@click.pass_obj
@handles_errors
def init(state: LedgerContext, effective_from: str | None, published_on: str | None) -> None:
    """Create the ledger database and adopt the default rulebook (idempotent).

    A rule binds only facts on or after both dates (劳动合同法 第4条). Nothing is left
    behind by a failed init. On an existing ledger, other dates are refused: adopt a new
    version with `ledger rulebook --adopt` instead.

    \b
    Examples:
      ledger --db company.db init
      ledger init --effective-from 2026-01-01 --published-on 2025-12-20
    """
    # Everything is checked before the database is touched.
    wanted = AdoptedRulebook.from_document(
        Rulebook.default_document(),
        effective_from=_day(effective_from, "--effective-from"),
        published_on=_day(published_on, "--published-on"),
        source="default rulebook",
    )
    fresh = _absent(state.db)
    try:
        ledger = state.open(create=True)
        adopted = ledger.rulebooks().versions
        if not adopted:
            ledger.adopt(
                wanted.document,
                effective_from=wanted.effective_from,
                published_on=wanted.published_on,
                source="default rulebook",
            )
    except BaseException:
        if fresh is not None:
            state.close()
            _remove(fresh)
        raise
    given = [(effective_from, wanted.effective_from), (published_on, wanted.published_on)]
    same = (wanted.rulebook.id, wanted.rulebook.version)
    first = next((a for a in adopted if (a.rulebook.id, a.rulebook.version) == same), None)
    if first is not None and (
        (effective_from and first.effective_from != wanted.effective_from)
        or (published_on and first.published_on != wanted.published_on)
    ):
        asked = ", ".join(f"{t}" for t, _ in given if t)
        raise UsageError(
            f"{state.name} is already a ledger (rulebook {first.rulebook.id} "
            f"v{first.rulebook.version} effective from {first.effective_from.isoformat()}, "
            f"published on {first.published_on.isoformat()}); init does not change it "
            f"(asked: {asked}). Adopt a new version with `ledger rulebook --adopt FILE "
            "--effective-from D --published-on D`"
        )
    latest = ledger.rulebooks().latest()
    assert latest is not None
    out.print(
        f"ledger ready at {state.name}: {ledger.store.head()} events, rulebook "
        f"{latest.rulebook.id} v{latest.rulebook.version} binding from "
        f"{latest.binds_from.date().isoformat()}"
    )


def _day(text: str | None, what: str) -> date | None:
    return parse_instant(text, what=what).date() if text else None


def _absent(location: str) -> Path | None:
    """The SQLite file ``location`` names if it does not exist yet (init then owns it)."""
    if is_postgres_url(location):
        return None
    path = sqlite_path(location)
    if path == ":memory:" or Path(path).exists():
        return None
    return Path(path)


def _remove(path: Path) -> None:
    for leftover in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        leftover.unlink(missing_ok=True)


@click.command()
@click.argument("type_name", metavar="TYPE")
@click.option("--employee", "-e", required=True, help="The employee the fact is about.")
@click.option("--at", "at", help="When it happened (ISO 8601 with offset); default now.")
@click.option("--by", "by", help="Who records it (default: --as, else cli).")
@click.option("--data", "data", default="{}", help="The type's fields as a JSON object.")
@click.option("--id", "event_id", help="Event id (UUID) for idempotent retries; default new.")
@click.option("--source", help="Originating system or document reference.")
@click.option("--evidence", multiple=True, help="Evidence reference (repeatable).")
@click.pass_obj
@handles_errors
def record(
    state: LedgerContext,
    type_name: str,
    employee: str,
    at: str | None,
    by: str | None,
    data: str,
    event_id: str | None,
    source: str | None,
    evidence: tuple[str, ...],
) -> None:
    """Record one observation by hand.

    \b
    Examples:
      ledger record attendance.late_arrival -e E1001 --at 2026-07-03T09:12:00+08:00 \\
          --data '{"minutes": 12}'
      ledger record service.customer_praised -e E1002 --data '{"channel": "phone"}'
    """
    if type_name not in OBSERVATION_TYPES:
        known = ", ".join(OBSERVATION_TYPES)
        hint = "written by the ledger" if type_name in EVENT_TYPES else "unknown"
        fail(f"type: {type_name!r} is {hint}; recordable types: {known}")
    try:
        payload = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed.single("--data", f"not valid JSON: {exc}") from None
    ledger = state.open(write=True)
    raw = {
        "type": type_name,
        "employee_id": employee,
        "occurred_at": (parse_instant(at, what="--at") if at else ledger.now()).isoformat(),
        "recorded_by": by or state.actor or "cli",
        "data": payload,
        "evidence": list(evidence),
    }
    if event_id:
        raw["event_id"] = event_id
    if source:
        raw["source"] = source
    event: Event = parse_event(orjson.dumps(raw))  # strictly, as a line of the wire format
    report = ledger.record(event)
    status = "appended" if report.appended else "already present"
    out.print(f"{status}: {event.event_id} {event.type} {event.employee_id}")


@click.command(name="import")
@click.argument("file", metavar="FILE|-")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), help="Default: by suffix.")
@click.option(
    "--encoding",
    help="The file's text encoding, any Python codec (gb18030, gbk, big5, utf-16 ...). "
    "Default: UTF-8, or UTF-16/32 by byte order mark, else detected (and printed).",
)
@click.pass_obj
@handles_errors
def import_(state: LedgerContext, file: str, fmt: str | None, encoding: str | None) -> None:
    """Import events from JSON Lines (or CSV); all or nothing.

    Every bad line is reported as FILE:LINE: field: problem (the first 100, then a
    count; exit 2) and nothing of the file is written. Re-importing the same file is a
    no-op, also for lines without an event_id (their id is derived from the content).

    \b
    Examples:
      ledger import quarter.jsonl
      cat events.jsonl | ledger import -
      ledger import badge.csv --format csv --encoding gb18030
    """
    ledger = state.open(write=True)
    with progress(err, "importing: checking", total=_lines(file), counted=True) as step:
        seen = [0]

        def moved(line: int) -> None:
            # The lines are counted twice: checked whole, then recorded (the count starts
            # again).
            if line < seen[0]:
                step.describe("importing: recording")
            seen[0] = line
            step(line)

        report = ledger.import_file(
            file,
            fmt=fmt,  # type: ignore[arg-type]
            encoding=encoding,
            progress=moved,
            stages=staged(step, "importing"),
        )
    if report.how == "detected":
        err.print(
            f"{escape(file)}: not UTF-8; read as {report.encoding} (detected; name the "
            "encoding with --encoding if the text looks wrong)"
        )
    for employee, (lines, count) in sorted(report.unknown.items()):
        shown = ", ".join(str(n) for n in lines) + (", ..." if count > len(lines) else "")
        err.print(
            f"warning: {escape(file)}: {escape(employee)} is not hired in the ledger "
            f"({count} line{'s' if count != 1 else ''}: {shown}); their facts are stored "
            "and count once an employee.hired is recorded"
        )
    out.print(f"appended {report.appended}, already present {report.already_present}, rejected 0")


def _lines(file: str) -> int | None:
    """The lines of ``file`` (for the progress bar's total), when on a terminal and a file."""
    if not err.is_terminal or file == "-":
        return None
    try:
        with open(file, "rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    except OSError:
        return None  # the import reports it


@click.command()
@click.option("--type", "type_name", help="Only this event type's schema.")
@click.option("--receipt", is_flag=True, help="The schema of a receipt (`ledger prove`) instead.")
def schema(type_name: str | None, receipt: bool) -> None:
    """Print the JSON Schema of the wire format (one event per JSON Lines line).

    \b
    Examples:
      ledger schema > ledger-event.schema.json
      ledger schema --receipt > ledger-receipt.schema.json
    """
    if receipt:
        if type_name is not None:
            fail("give --type or --receipt, not both")
        click.echo(json.dumps(receipt_schema(), ensure_ascii=False, indent=2))
        return
    if type_name is not None and type_name not in EVENT_TYPES:
        fail(f"type: unknown event type {type_name!r}")
    click.echo(json.dumps(wire_schema(type_name), ensure_ascii=False, indent=2))


def register(group: click.Group) -> None:
    """Add these commands to ``group``."""
    for command in (init, record, import_, schema):
        group.add_command(command)
