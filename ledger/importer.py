"""Reading events from JSON Lines and CSV, line by line, with line numbers for errors."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Any, Literal

from ledger.errors import ImportRejected, ValidationFailed
from ledger.events import Event, parse_event

__all__ = ["Format", "read_events"]

Format = Literal["jsonl", "csv"]
_ENVELOPE_COLUMNS = (
    "event_id",
    "type",
    "schema_version",
    "employee_id",
    "occurred_at",
    "recorded_by",
    "source",
    "correlation_id",
    "causation_id",
)


def read_events(
    stream: IO[str], *, source: str, fmt: Format = "jsonl", recorded_by: str | None = None
) -> Iterator[tuple[int, Event]]:
    """Yield ``(line number, event)`` for every record of ``stream``.

    Blank lines (JSONL) are skipped. Ledger-written types (``sanction.issued``...) are
    refused: only the ledger derives them. A record without ``recorded_by`` gets
    ``recorded_by`` (the acting actor), when given.

    Raises:
        ImportRejected: the first bad record, naming its line and the field at fault.
    """
    records = _jsonl(stream) if fmt == "jsonl" else _csv(stream, source)
    try:
        yield from _parsed(records, source, recorded_by)
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            source,
            0,
            f"not UTF-8 text (byte {exc.start} of the chunk being read: {exc.reason}); "
            "save it as UTF-8 (e.g. iconv -f GBK -t UTF-8)",
        ) from None


def _parsed(
    records: Iterator[tuple[int, str | dict[str, Any]]], source: str, recorded_by: str | None
) -> Iterator[tuple[int, Event]]:
    for line, raw in records:
        try:
            event = parse_event(raw, observations_only=True, recorded_by=recorded_by)
        except ValidationFailed as exc:
            raise ImportRejected(source, line, str(exc)) from None
        yield line, event


def _jsonl(stream: IO[str]) -> Iterator[tuple[int, str | dict[str, Any]]]:
    for number, text in enumerate(stream, start=1):
        if text.strip():
            yield number, text


def _csv(stream: IO[str], source: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(stream)
    header = reader.fieldnames or []
    unknown = [
        c
        for c in header
        if c not in _ENVELOPE_COLUMNS and c != "evidence" and not c.startswith("data.")
    ]
    if unknown:
        raise ImportRejected(source, 1, f"unknown CSV column(s): {', '.join(unknown)}")
    for row in reader:
        line = reader.line_num
        record: dict[str, Any] = {}
        data: dict[str, Any] = {}
        for column, value in row.items():
            if column is None:
                raise ImportRejected(source, line, "more cells than header columns")
            if value is None or value == "":
                continue
            if column.startswith("data."):
                data[column[5:]] = value
            elif column == "evidence":
                record["evidence"] = [part.strip() for part in value.split(";") if part.strip()]
            else:
                record[column] = value
        record["data"] = data
        yield line, record


def open_text(path: str) -> IO[str]:
    """Open ``path`` (``-`` for standard input) as UTF-8 text, BOM tolerated."""
    import sys

    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig")
    return open(path, encoding="utf-8-sig", newline="")
