"""Commands over the log itself: init, record, import, verify, schema."""

from __future__ import annotations

import json

import click
import orjson

from ledger.audit.receipt import receipt_schema
from ledger.cli import LedgerContext, err, fail, handles_errors, out
from ledger.cli.progress import progress, staged
from ledger.errors import ValidationFailed
from ledger.events import EVENT_TYPES, OBSERVATION_TYPES, Event, parse_event
from ledger.policies.rulebook import Rulebook
from ledger.schema import wire_schema
from ledger.timeutil import parse_instant

__all__ = ["register"]


@click.command()
@click.option("--effective-from", help="The default rulebook's effective date (YYYY-MM-DD).")
@click.option("--published-on", help="When the company published it to staff (YYYY-MM-DD).")
@click.pass_obj
@handles_errors
def init(state: LedgerContext, effective_from: str | None, published_on: str | None) -> None:
    """Create the ledger database and adopt the default rulebook (idempotent).

    A rule binds only facts on or after both dates (劳动合同法 第4条).

    \b
    Examples:
      ledger --db company.db init
      ledger init --effective-from 2026-01-01 --published-on 2025-12-20
    """
    ledger = state.open(create=True)
    if not ledger.rulebooks():
        ledger.adopt(
            Rulebook.default_document(),
            effective_from=parse_instant(effective_from, what="--effective-from").date()
            if effective_from
            else None,
            published_on=parse_instant(published_on, what="--published-on").date()
            if published_on
            else None,
            source="default rulebook",
        )
    latest = ledger.rulebooks().latest()
    assert latest is not None
    out.print(
        f"ledger ready at {state.name}: {ledger.store.head()} events, rulebook "
        f"{latest.rulebook.id} v{latest.rulebook.version} binding from "
        f"{latest.binds_from.date().isoformat()}"
    )


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
    event: Event = parse_event(raw)
    report = ledger.record(event)
    status = "appended" if report.appended else "already present"
    out.print(f"{status}: {event.event_id} {event.type} {event.employee_id}")


@click.command(name="import")
@click.argument("file", metavar="FILE|-")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), help="Default: by suffix.")
@click.pass_obj
@handles_errors
def import_(state: LedgerContext, file: str, fmt: str | None) -> None:
    """Import events from JSON Lines (or CSV); all or nothing.

    A bad line is reported with its line number and reason (exit 2) and nothing of the
    file is written. Re-importing the same file is a no-op.

    \b
    Examples:
      ledger import quarter.jsonl
      cat events.jsonl | ledger import -
      ledger import badge.csv --format csv
    """
    ledger = state.open(write=True)
    with progress(err, "importing: checking", total=_lines(file), counted=True) as step:
        seen = [0]

        def moved(line: int) -> None:
            # The file is read twice: checked whole, then recorded (the count starts again).
            if line < seen[0]:
                step.describe("importing: recording")
            seen[0] = line
            step(line)

        report = ledger.import_file(
            file,
            fmt=fmt,  # type: ignore[arg-type]
            progress=moved,
            stages=staged(step, "importing"),
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
