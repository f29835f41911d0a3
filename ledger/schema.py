"""JSON Schema of the wire format, generated from the pydantic models."""

from __future__ import annotations

from typing import Any

from ledger.events import OBSERVATION_TYPES, wire_adapter

__all__ = ["wire_schema"]

SCHEMA_ID = "https://conduct-ledger.invalid/schema/event.json"


def wire_schema(type_name: str | None = None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one wire-format event.

    Args:
        type_name: restrict to one type; default every type (observations that systems send
            and the ledger-written types that appear in exports).
    """
    names = [type_name] if type_name else None
    schema = wire_adapter(names).json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "conduct-ledger event (one JSON Lines record)",
        "description": (
            "Envelope plus the type's data. Datetimes need a time zone offset; money is a "
            "decimal string. Types other systems may send: " + ", ".join(OBSERVATION_TYPES)
        ),
        **schema,
    }
