"""Receipts (ledger/audit/receipt.py): proven offline against a signed checkpoint, and
refused when any byte of a proof, a leaf (record or hash) or the signature changes."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import orjson
import pytest
from audit_helpers import Quarter, build_quarter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.app import Ledger
from ledger.audit import (
    CheckpointMismatch,
    checkpoint,
    generate_keypair,
    load_private_key,
    load_public_key,
    prove,
    receipt_schema,
    verify_receipt,
)
from ledger.audit.note import PublicKey
from ledger.errors import NotFoundError
from ledger.testing import hired, make


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Quarter, str, PublicKey, PublicKey]:
    """The audit quarter in memory, a checkpoint of it, its public key and another key."""
    folder = tmp_path_factory.mktemp("keys")
    private, public = generate_keypair(folder / "k")
    _, other = generate_keypair(folder / "other")
    quarter = build_quarter(lambda clock: Ledger.in_memory(clock=clock))
    note = checkpoint(quarter.ledger, load_private_key(private)).note
    return quarter, note, load_public_key(public), load_public_key(other)


def receipt_of(world: tuple[Quarter, str, PublicKey, PublicKey], name: str) -> dict[str, Any]:
    quarter, note, _, _ = world
    receipt = prove(quarter.ledger, quarter.notable[name], note)
    value: dict[str, Any] = orjson.loads(receipt.to_json_bytes())
    return value


@pytest.mark.parametrize(
    ("name", "status", "roles"),
    [
        ("threshold", "revoked", {"consequence", "cause", "status"}),
        ("deadline", "in_force", {"consequence", "cause"}),
        ("escalation", "voided", {"consequence", "cause", "dependency", "status"}),
        ("appealed", "voided", {"consequence", "cause", "status"}),
    ],
)
def test_a_receipt_round_trips(
    world: tuple[Quarter, str, PublicKey, PublicKey], name: str, status: str, roles: set[str]
) -> None:
    quarter, _, key, _ = world
    value = receipt_of(world, name)
    report = verify_receipt(orjson.dumps(value), key)
    assert report.ok, report.problems
    assert report.receipt is not None and report.receipt.status == status
    assert {e["role"] for e in value["events"]} == roles
    state = quarter.ledger.sanction(quarter.notable[name])
    causes = {str(c) for c in state.issued.caused_by}
    assert {e["record"]["event_id"] for e in value["events"] if e["role"] == "cause"} == causes


def test_another_key_fails(world: tuple[Quarter, str, PublicKey, PublicKey]) -> None:
    report = verify_receipt(orjson.dumps(receipt_of(world, "threshold")), world[3])
    assert not report.ok
    assert "another key" in report.problems[0]


def test_a_consequence_after_the_checkpoint_has_no_receipt(
    world: tuple[Quarter, str, PublicKey, PublicKey], tmp_path: Path
) -> None:
    private, _ = generate_keypair(tmp_path / "k")
    with Ledger.in_memory() as ledger:
        note = checkpoint(ledger, load_private_key(private)).note
        facts = [hired("E9")] + [
            make("attendance.absence", "E9", at=f"2026-07-{day:02d} 09:00", days=1)
            for day in (1, 2, 3)
        ]
        ledger.record(facts)
        issued = ledger.sanctions("E9")
        assert issued
        with pytest.raises(NotFoundError, match="after this checkpoint"):
            prove(ledger, issued[0].sanction_id, note)
    with pytest.raises(CheckpointMismatch, match="this ledger is"):
        prove(world[0].ledger, world[0].notable["threshold"], note)


def _mutate_hex(text: str, at: int) -> str:
    old = text[at]
    new = "0" if old != "0" else "1"
    return text[:at] + new + text[at + 1 :]


PARTS = ("proof", "hash", "prev_hash", "record", "signature", "leaf_index")


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(part=st.sampled_from(PARTS), data=st.data())
def test_any_changed_byte_fails(
    world: tuple[Quarter, str, PublicKey, PublicKey], part: str, data: st.DataObject
) -> None:
    value = receipt_of(world, "escalation")
    key = world[2]
    events = value["events"]
    event = events[data.draw(st.integers(0, len(events) - 1), label="event")]
    if part == "proof":
        proof = event["inclusion_proof"]
        if not proof:
            return
        which = data.draw(st.integers(0, len(proof) - 1))
        proof[which] = _mutate_hex(proof[which], data.draw(st.integers(0, 63)))
    elif part in ("hash", "prev_hash"):
        event[part] = _mutate_hex(event[part], data.draw(st.integers(0, 63)))
    elif part == "leaf_index":
        event["leaf_index"] += data.draw(st.sampled_from([-1, 1, 2**10]))
    elif part == "record":
        record = event["record"]
        field = data.draw(st.sampled_from(sorted(k for k, v in record.items() if v is not None)))
        original = record[field]
        record[field] = data.draw(
            st.one_of(st.integers(-(2**53), 2**53), st.text(max_size=8), st.none()).filter(
                lambda v: v != original
            )
        )
    else:
        body, _, line = value["checkpoint"].rstrip("\n").rpartition("\n")
        name, blob = line[2:].split(" ")
        raw = bytearray(base64.b64decode(blob))
        raw[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
        new_blob = base64.b64encode(bytes(raw)).decode()
        value["checkpoint"] = f"{body}\n\u2014 {name} {new_blob}\n"
    report = verify_receipt(orjson.dumps(value), key)
    assert not report.ok, (part, value)


def test_a_receipt_that_drops_a_cause_or_adds_an_event_fails(
    world: tuple[Quarter, str, PublicKey, PublicKey],
) -> None:
    key = world[2]
    value = receipt_of(world, "escalation")
    without = {**value, "events": [e for e in value["events"] if e["role"] != "cause"]}
    assert any("caused_by" in p for p in verify_receipt(orjson.dumps(without), key).problems)
    other = receipt_of(world, "deadline")["events"][0]  # another employee's consequence
    added = {**value, "events": [*value["events"], other]}
    assert not verify_receipt(orjson.dumps(added), key).ok
    relabelled = orjson.loads(orjson.dumps(value))
    consequence = next(e for e in relabelled["events"] if e["role"] == "consequence")
    consequence["role"] = "cause"
    assert any("receipt says" in p for p in verify_receipt(orjson.dumps(relabelled), key).problems)
    status = {**value, "status": "in_force"}
    assert any("history says" in p for p in verify_receipt(orjson.dumps(status), key).problems)


@pytest.mark.parametrize("garbage", [b"", b"{", b"[]", b'{"format": "x"}', b"\xff\xfe"])
def test_garbage_is_not_a_receipt(
    world: tuple[Quarter, str, PublicKey, PublicKey], garbage: bytes
) -> None:
    report = verify_receipt(garbage, world[2])
    assert not report.ok and report.problems[0].startswith("not a receipt")


def test_the_schema_describes_a_receipt(world: tuple[Quarter, str, PublicKey, PublicKey]) -> None:
    schema = receipt_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert set(schema["required"]) >= {"checkpoint", "events", "sanction_id", "tree_size"}
    value = receipt_of(world, "threshold")
    assert set(value) == set(schema["properties"])
