"""Canonical JSON and the wire format (JSON Lines of envelopes), with upcasting.

Canonical JSON is what is hashed and stored: keys sorted, no whitespace, UTF-8, decimals
as strings, datetimes ISO 8601 with their offset (company time), ``None`` fields omitted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any
from uuid import UUID, uuid5

import orjson
from pydantic import TypeAdapter, ValidationError

from ledger.errors import FieldProblem, ValidationFailed
from ledger.events.base import Event
from ledger.events.registry import EVENT_TYPES, wire_adapter

__all__ = [
    "CONTENT_ID_NAMESPACE",
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

    def steps(self) -> frozenset[tuple[str, int]]:
        """The ``(type, from_version)`` of every step registered (a parse worker, which
        imports only the steps the package registers, checks it has the same)."""
        return frozenset(self._steps)

    def upcast(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Bring a raw envelope dict to its type's current schema version."""
        model = EVENT_TYPES.get(str(raw.get("type", "")))
        if model is None:
            return raw
        version = raw.get("schema_version", model.SCHEMA_VERSION)
        if (
            not isinstance(version, int)
            or isinstance(version, bool)
            or version == model.SCHEMA_VERSION
        ):
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
        if err["type"] == "value_error":
            message = message.removeprefix("Value error, ")
        elif err["type"] == "union_tag_invalid":
            tag = err.get("input", {})
            tag = tag.get("type") if isinstance(tag, dict) else tag
            message = f"unknown event type {tag!r}"
            loc = ["type"]
        elif err["type"] == "union_tag_not_found":
            message = "missing (the event type)"
            loc = ["type"]
        elif err["type"] == "timezone_aware":
            message = "datetime has no time zone offset (e.g. +08:00); naive datetimes are refused"
        elif err["type"].endswith("_type") and "input" in err:
            message = f"{message}, not {_shown(err['input'])}"
        problems.append(FieldProblem(".".join(loc), message))
    return problems


def validation_failed(exc: ValueError) -> ValidationFailed:
    """Wrap a pydantic ``ValidationError`` (or plain ``ValueError``) as ``ValidationFailed``."""
    if isinstance(exc, ValidationError):
        return ValidationFailed(problems_of(exc))
    return ValidationFailed([FieldProblem("", str(exc))])


CONTENT_ID_NAMESPACE = UUID("5f0c2d3e-9a1b-5c8e-8f3a-6b1e2d4c7a90")
"""The UUIDv5 namespace of ids derived from content (README, "Wire format")."""


def content_id(event: Event) -> UUID:
    """The id of an event sent without one: a UUIDv5 over its canonical wire form (envelope
    and data, ``event_id`` left out), so that sending the same line again is a no-op."""
    form = event_to_wire(event)
    form.pop("event_id", None)
    return uuid5(CONTENT_ID_NAMESPACE, canonical_json(form).decode())


def parse_event(
    raw: Mapping[str, Any] | str | bytes,
    *,
    observations_only: bool = False,
    recorded_by: str | None = None,
    derive_id: bool | None = None,
) -> Event:
    """Validate one wire-format event (a dict or a JSON document), upcasting old versions.

    A JSON document is validated strictly, as the wire format says: an integer is a JSON
    integer (not ``true``, not ``"12"``), money a decimal string, a time an ISO 8601 string
    with its offset. A dict (a CSV row, a Python caller) may hold numbers and booleans as
    text.

    Args:
        raw: the event.
        observations_only: refuse the types only the ledger writes (``sanction.issued``...).
        recorded_by: the recorder of an event that names none (the acting actor).
        derive_id: without ``event_id``, derive the id from the content
            (:func:`content_id`), so that a retry is a no-op; else a new UUIDv7 is drawn.
            Default: for a JSON document (a line of the wire format), not for a dict.
            A derived id covers the recorder too (the acting actor's, when the line names
            none), so the same actor sending the same line again writes nothing.

    Raises:
        ValidationFailed: malformed JSON, unknown type, unknown or invalid field.
    """
    text: str | bytes | None = None
    if isinstance(raw, str | bytes):
        text = raw
        try:
            loaded = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            # The position within this record (one line of a file): its own "line 2" (a
            # trailing newline) would read as the file's.
            raise ValidationFailed(
                [FieldProblem("", f"not valid JSON: {exc.msg} at column {exc.pos + 1}")]
            ) from None
    else:
        loaded = raw
    if not isinstance(loaded, Mapping):
        raise ValidationFailed([FieldProblem("", "an event must be a JSON object")])
    kind = loaded.get("type")
    if "type" in loaded and (not isinstance(kind, str) or kind not in EVENT_TYPES):
        message = (
            f"unknown event type {kind!r}"
            if isinstance(kind, str)
            else f"must be an event type name (a string), not {_shown(kind)}"
        )
        raise ValidationFailed([FieldProblem("type", message)])
    if observations_only and isinstance(kind, str) and kind in EVENT_TYPES:
        model = EVENT_TYPES[kind]
        if model.DERIVED or model.LEDGER_WIDE:
            raise ValidationFailed(
                [FieldProblem("type", f"{model.TYPE} events are written by the ledger, not sent")]
            )
    sent = loaded
    if recorded_by is not None and "recorded_by" not in loaded:
        loaded = {**loaded, "recorded_by": recorded_by}
    upcast = UPCASTERS.upcast(dict(loaded))
    try:
        if text is None:
            event = _adapter().validate_python(upcast)
        else:
            if upcast != sent:  # upcast, or the recorder filled in
                text = orjson.dumps(upcast)
            event = _adapter().validate_json(text, strict=True)
    except ValidationError as exc:
        raise ValidationFailed(problems_of(exc)) from None
    if derive_id is None:
        derive_id = text is not None
    if derive_id and "event_id" not in loaded:
        event = event.model_copy(update={"event_id": content_id(event)})
    return event


def _shown(value: Any) -> str:
    """A JSON value as a message quotes it: short values whole, others by their kind."""
    if isinstance(value, bool | int | float | str) or value is None:
        text = json.dumps(value, ensure_ascii=False)  # (orjson refuses ints past 64 bits)
        if len(text) <= 40:
            return text
    return f"a JSON {_json_kind(value)}"


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number"


def event_to_wire(event: Event) -> dict[str, Any]:
    """The wire-format dict of ``event`` (JSON-ready, ``None`` fields omitted)."""
    return event.model_dump(mode="json", exclude_none=True)


def canonical_json(value: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace, UTF-8."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def wire_json(event: Event) -> bytes:
    """The canonical JSON of an event's wire form."""
    return canonical_json(event_to_wire(event))
