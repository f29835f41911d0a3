"""Canonical JSON and the wire format (JSON Lines of envelopes), with upcasting.

Canonical JSON is what is hashed and stored: keys sorted, no whitespace, UTF-8, decimals
as strings, datetimes ISO 8601 with their offset (company time), ``None`` fields omitted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from ledger.errors import FieldProblem, ValidationFailed
from ledger.events.base import Event
from ledger.events.registry import EVENT_TYPES, wire_adapter

__all__ = [
    "UPCASTERS",
    "Upcasters",
    "canonical_json",
    "event_to_wire",
    "parse_event",
    "problems_of",
    "validation_failed",
    "wire_json",
]

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class Upcasters:
    """Functions that lift an old ``data`` payload one ``schema_version`` up.

    ``register(type, from_version, fn)``: ``fn`` takes the ``data`` dict of version
    ``from_version`` and returns that of ``from_version + 1``.
    """

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], Upcaster] = {}

    def register(self, type_name: str, from_version: int, fn: Upcaster) -> None:
        """Add one step; a second step for the same ``(type, version)`` is refused."""
        key = (type_name, from_version)
        if key in self._steps:
            raise ValueError(f"upcaster for {type_name} v{from_version} registered twice")
        self._steps[key] = fn

    def upcast(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Bring a raw envelope dict to its type's current schema version."""
        model = EVENT_TYPES.get(str(raw.get("type", "")))
        if model is None:
            return raw
        version = raw.get("schema_version", model.SCHEMA_VERSION)
        if not isinstance(version, int) or version == model.SCHEMA_VERSION:
            return raw
        if version > model.SCHEMA_VERSION:
            raise ValidationFailed(
                [
                    FieldProblem(
                        "schema_version",
                        f"{version} is newer than this ledger knows "
                        f"({model.SCHEMA_VERSION}) for {model.TYPE}",
                    )
                ]
            )
        data = raw.get("data")
        if not isinstance(data, dict):
            return raw
        while version < model.SCHEMA_VERSION:
            step = self._steps.get((model.TYPE, version))
            if step is None:
                raise ValidationFailed(
                    [FieldProblem("schema_version", f"no upcaster from {model.TYPE} v{version}")]
                )
            data = step(dict(data))
            version += 1
        return {**raw, "data": data, "schema_version": version}


UPCASTERS = Upcasters()
"""The upcasters in force; every type is at schema version 1 so far."""


@cache
def _adapter() -> TypeAdapter[Event]:
    return wire_adapter()


def problems_of(exc: ValidationError) -> list[FieldProblem]:
    """Turn a pydantic error into field problems with dotted paths (union tags removed)."""
    problems = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        if loc and loc[0] in EVENT_TYPES:
            loc = loc[1:]
        message = err["msg"]
        if err["type"] == "union_tag_invalid":
            tag = err.get("input", {})
            tag = tag.get("type") if isinstance(tag, dict) else tag
            message = f"unknown event type {tag!r}"
            loc = ["type"]
        elif err["type"] == "union_tag_not_found":
            message = "missing (the event type)"
            loc = ["type"]
        elif err["type"] == "timezone_aware":
            message = "datetime has no time zone offset (e.g. +08:00); naive datetimes are refused"
        problems.append(FieldProblem(".".join(loc), message))
    return problems


def validation_failed(exc: ValueError) -> ValidationFailed:
    """Wrap a pydantic ``ValidationError`` (or plain ``ValueError``) as ``ValidationFailed``."""
    if isinstance(exc, ValidationError):
        return ValidationFailed(problems_of(exc))
    return ValidationFailed([FieldProblem("", str(exc))])


def parse_event(
    raw: Mapping[str, Any] | str | bytes,
    *,
    observations_only: bool = False,
    recorded_by: str | None = None,
) -> Event:
    """Validate one wire-format event (a dict or a JSON document), upcasting old versions.

    Args:
        raw: the event.
        observations_only: refuse the types only the ledger writes (``sanction.issued``...).
        recorded_by: the recorder of an event that names none (the acting actor).

    Raises:
        ValidationFailed: malformed JSON, unknown type, unknown or invalid field.
    """
    if isinstance(raw, str | bytes):
        try:
            loaded = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ValidationFailed([FieldProblem("", f"not valid JSON: {exc}")]) from None
    else:
        loaded = raw
    if not isinstance(loaded, dict):
        raise ValidationFailed([FieldProblem("", "an event must be a JSON object")])
    if "type" in loaded and loaded["type"] not in EVENT_TYPES:
        raise ValidationFailed([FieldProblem("type", f"unknown event type {loaded['type']!r}")])
    if observations_only and loaded.get("type") in EVENT_TYPES:
        model = EVENT_TYPES[loaded["type"]]
        if model.DERIVED or model.LEDGER_WIDE:
            raise ValidationFailed(
                [FieldProblem("type", f"{model.TYPE} events are written by the ledger, not sent")]
            )
    if recorded_by is not None and "recorded_by" not in loaded:
        loaded = {**loaded, "recorded_by": recorded_by}
    upcast = UPCASTERS.upcast(loaded)
    try:
        return _adapter().validate_python(upcast)
    except ValidationError as exc:
        raise ValidationFailed(problems_of(exc)) from None


def event_to_wire(event: Event) -> dict[str, Any]:
    """The wire-format dict of ``event`` (JSON-ready, ``None`` fields omitted)."""
    return event.model_dump(mode="json", exclude_none=True)


def canonical_json(value: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace, UTF-8."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def wire_json(event: Event) -> bytes:
    """The canonical JSON of an event's wire form."""
    return canonical_json(event_to_wire(event))
