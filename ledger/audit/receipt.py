"""Receipts: one consequence, its causes and its status history, each with an inclusion proof
against a signed checkpoint, checkable offline with nothing but the public key.

The JSON format is :class:`Receipt` (its JSON Schema: ``ledger schema --receipt``; described
in README.md, "Receipts"). Each event carries its canonical record (the record the hash chain
hashes), the hash of its predecessor in the log and its own chain hash, so a verifier
recomputes ``hash = sha256(prev_hash || canonical_json(record))``, the leaf
``SHA-256(0x00 || hash || employee_id || 0x0A || occurred_at)``, and the RFC 9162 audit path
up to the signed root.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal
from uuid import UUID

import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from ledger.audit.checkpoints import CheckpointMismatch, matching_tree, open_checkpoint
from ledger.audit.merkle import leaf_entry, leaf_hash, verify_inclusion
from ledger.audit.note import NoteError, PublicKey
from ledger.errors import NotFoundError
from ledger.events import (
    Event,
    SanctionIssued,
    SanctionReinstated,
    SanctionRevoked,
    SanctionVoided,
    parse_event,
)
from ledger.policies.status import fold_sanctions
from ledger.store import GENESIS_HASH, ReadFilter, Recorded, Row, chain_hash
from ledger.store.base import record_of_row
from ledger.timeutil import COMPANY_TZ

if TYPE_CHECKING:
    from ledger.app import Ledger

__all__ = [
    "RECEIPT_FORMAT",
    "Receipt",
    "ReceiptEvent",
    "ReceiptReport",
    "prove",
    "receipt_schema",
    "verify_receipt",
]

RECEIPT_FORMAT = "conduct-ledger.receipt/1"
Hex32 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Role = Literal["consequence", "cause", "dependency", "status"]
Standing = Literal["in_force", "voided", "revoked"]
_STATUS_TYPES = frozenset({"sanction.voided", "sanction.revoked", "sanction.reinstated"})
_OWN_ROLES = ("consequence", "status")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReceiptEvent(_Frozen):
    """One event of the log with what proves it is there."""

    role: Role = Field(
        description="consequence: a sanction.issued of the receipt's id; cause: a fact it "
        "names in caused_by; dependency: a consequence it names in depends_on; status: a "
        "sanction.voided/.revoked/.reinstated of it"
    )
    record: dict[str, Any] = Field(
        description="the canonical record the chain hashes: the wire form of the event plus "
        "position, version and recorded_at"
    )
    prev_hash: Hex32 = Field(description="chain hash of the event at position - 1 (zeros at 1)")
    hash: Hex32 = Field(description="sha256(prev_hash as 32 bytes || canonical_json(record))")
    leaf_index: int = Field(ge=0, description="position - 1")
    inclusion_proof: tuple[Hex32, ...] = Field(
        description="RFC 9162 audit path of the leaf, from the leaf up, in the checkpoint's tree"
    )


class Receipt(_Frozen):
    """A consequence, its causing facts and status history, provable offline."""

    format: Literal["conduct-ledger.receipt/1"]
    sanction_id: UUID
    employee_id: str
    status: Standing = Field(
        description="as of the checkpoint: voided, revoked (offset by a commendation) or "
        "in_force (expiry follows from the consequence's expires_at)"
    )
    origin: str = Field(description="the ledger's identity, the checkpoint's origin line")
    tree_size: int = Field(ge=1, description="events the checkpoint covers")
    root_hash: Hex32 = Field(description="the checkpoint's root, hex")
    checkpoint: str = Field(description="the signed checkpoint (C2SP signed note), verbatim")
    events: tuple[ReceiptEvent, ...] = Field(min_length=1)

    def to_json_bytes(self) -> bytes:
        """The receipt file's bytes (indented JSON)."""
        return orjson.dumps(self.model_dump(mode="json"), option=orjson.OPT_INDENT_2) + b"\n"


def receipt_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a receipt file."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://conduct-ledger.invalid/schema/receipt.json",
        **Receipt.model_json_schema(mode="validation"),
        "title": "conduct-ledger receipt",
    }


# -- proving ---------------------------------------------------------------------------------


def _prev_hash(ledger: Ledger, position: int) -> str:
    if position == 1:
        return GENESIS_HASH
    for row in ledger.store.rows(ReadFilter(from_position=position - 1, to_position=position - 1)):
        return row.hash
    raise CheckpointMismatch(f"the log has no event at position {position - 1}")


def _sanction_of(row: Row) -> UUID:
    return UUID(str(orjson.loads(row.data)["sanction_id"]))


def prove(ledger: Ledger, sanction_id: UUID, note: str) -> Receipt:
    """The receipt of one consequence against a checkpoint of this ledger.

    The checkpoint's signature is not checked here (``verify_receipt`` does); its root must
    be this log's root at its size. Events recorded after the checkpoint are not in it.

    Raises:
        NoteError: ``note`` is not a checkpoint.
        CheckpointMismatch: the checkpoint is of another ledger, or this log does not
            extend it.
        NotFoundError: no such consequence in the events the checkpoint covers.
    """
    store = ledger.store
    stated, tree = matching_tree(store, note)
    origin = stated.origin
    employees = [e for found, e in store.find_sanctions(str(sanction_id)) if found == sanction_id]
    if not employees:
        raise NotFoundError(f"no consequence {sanction_id} is recorded")
    stream = list(store.rows(ReadFilter(employee_id=employees[0], to_position=stated.size)))
    issued = [r for r in stream if r.type == "sanction.issued" and _sanction_of(r) == sanction_id]
    if not issued:
        raise NotFoundError(
            f"consequence {sanction_id} was recorded after this checkpoint of {stated.size} "
            "events; issue a new checkpoint (`ledger checkpoint`)"
        )
    causes: set[str] = set()
    depends: set[UUID] = set()
    for row in issued:
        data = orjson.loads(row.data)
        causes.update(data.get("caused_by", ()))
        depends.update(UUID(d) for d in data.get("depends_on", ()))
    chosen: list[tuple[Role, Row]] = []
    for row in stream:
        if row.type == "sanction.issued":
            sanction = _sanction_of(row)
            if sanction == sanction_id:
                chosen.append(("consequence", row))
            elif sanction in depends:
                chosen.append(("dependency", row))
        elif row.type in _STATUS_TYPES and _sanction_of(row) == sanction_id:
            chosen.append(("status", row))
        elif str(row.event_id) in causes:
            chosen.append(("cause", row))
    events = [
        ReceiptEvent(
            role=role,
            record=record_of_row(row),
            prev_hash=_prev_hash(ledger, row.position),
            hash=row.hash,
            leaf_index=row.position - 1,
            inclusion_proof=tuple(p.hex() for p in tree.inclusion_proof(row.position - 1)),
        )
        for role, row in chosen
    ]
    recorded = [_recorded(e) for e in events if e.role in ("consequence", "status")]
    return Receipt(
        format=RECEIPT_FORMAT,
        sanction_id=sanction_id,
        employee_id=employees[0],
        status=_standing(recorded, sanction_id),
        origin=origin,
        tree_size=stated.size,
        root_hash=stated.root_hex,
        checkpoint=note,
        events=tuple(events),
    )


# -- verifying -------------------------------------------------------------------------------


def _recorded(item: ReceiptEvent) -> Recorded:
    record = item.record
    wire = {k: v for k, v in record.items() if k not in ("position", "version", "recorded_at")}
    return Recorded(
        event=parse_event(wire),
        position=record["position"],
        version=record["version"],
        recorded_at=datetime.fromisoformat(record["recorded_at"]).astimezone(COMPANY_TZ),
        hash=item.hash,
    )


def _standing(recorded: list[Recorded], sanction_id: UUID) -> Standing:
    state = fold_sanctions(sorted(recorded, key=lambda r: r.position)).get(sanction_id)
    if state is not None and state.voided:
        return "voided"
    if state is not None and state.revoked_by is not None:
        return "revoked"
    return "in_force"


class ReceiptReport(_Frozen):
    """What :func:`verify_receipt` found: the receipt (when it parsed) and every problem."""

    receipt: Receipt | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Every check passed."""
        return self.receipt is not None and not self.problems


def _role_of(event: Event, sanction_id: UUID, causes: set[UUID], depends: set[UUID]) -> str:
    data = event.data
    if isinstance(data, SanctionIssued):
        if data.sanction_id == sanction_id:
            return "consequence"
        return "dependency" if data.sanction_id in depends else "unrelated"
    if isinstance(data, SanctionVoided | SanctionRevoked | SanctionReinstated):
        return "status" if data.sanction_id == sanction_id else "unrelated"
    return "cause" if event.event_id in causes else "unrelated"


def _check_event(index: int, item: ReceiptEvent, receipt: Receipt, root: bytes) -> list[str]:
    where = f"events[{index}]"
    record = item.record
    position = record.get("position")
    if not isinstance(position, int) or isinstance(position, bool):
        return [f"{where}: record has no integer position"]
    if not isinstance(record.get("employee_id"), str) or not isinstance(
        record.get("occurred_at"), str
    ):
        return [f"{where}: record has no employee_id or occurred_at text"]
    try:
        actual = chain_hash(item.prev_hash, record)
        leaf = leaf_hash(leaf_entry(item.hash, record["employee_id"], record["occurred_at"]))
    except (KeyError, TypeError, ValueError, orjson.JSONEncodeError) as exc:
        return [f"{where}: record is malformed ({exc})"]
    problems = []
    if actual != item.hash:
        problems.append(f"{where}: position {position} does not match its hash (record altered)")
    if item.leaf_index != position - 1:
        problems.append(f"{where}: leaf index {item.leaf_index} is not position {position} - 1")
    proof = [bytes.fromhex(p) for p in item.inclusion_proof]
    if not verify_inclusion(leaf, item.leaf_index, receipt.tree_size, proof, root):
        problems.append(
            f"{where}: the inclusion proof of position {position} does not lead to the "
            "checkpoint's root"
        )
    return problems


def verify_receipt(data: bytes | str | Mapping[str, Any], key: PublicKey) -> ReceiptReport:
    """Check a receipt offline: the checkpoint's signature by ``key``, every event's chain
    hash and inclusion proof, and that the events are the consequence's recorded provenance
    (its causes, the consequences it depends on, its status history) and nothing else."""
    try:
        value = orjson.loads(data) if isinstance(data, bytes | str) else dict(data)
        receipt = Receipt.model_validate(value)
    except (orjson.JSONDecodeError, ValidationError, TypeError, ValueError) as exc:
        return ReceiptReport(receipt=None, problems=(f"not a receipt: {exc}",))
    try:
        stated = open_checkpoint(receipt.checkpoint, key)
    except NoteError as exc:
        return ReceiptReport(receipt=receipt, problems=(f"checkpoint: {exc}",))
    problems: list[str] = []
    for name, said, signed in (
        ("origin", receipt.origin, stated.origin),
        ("tree_size", receipt.tree_size, stated.size),
        ("root_hash", receipt.root_hash, stated.root_hex),
    ):
        if said != signed:
            problems.append(f"{name} {said} is not the signed checkpoint's {signed}")
    if problems:
        return ReceiptReport(receipt=receipt, problems=tuple(problems))
    recorded: list[Recorded] = []
    for index, item in enumerate(receipt.events):
        found = _check_event(index, item, receipt, stated.root)
        problems += found
        if not found:
            try:
                recorded.append(_recorded(item))
            except Exception as exc:  # a receipt is untrusted input: report, never crash
                problems.append(f"events[{index}]: not a valid event ({exc})")
    if not problems:
        problems += _provenance(receipt, recorded)
    return ReceiptReport(receipt=receipt, problems=tuple(problems))


def _provenance(receipt: Receipt, recorded: list[Recorded]) -> list[str]:
    problems: list[str] = []
    sid = receipt.sanction_id
    issued = [
        r.event.data
        for r in recorded
        if isinstance(r.event.data, SanctionIssued) and r.event.data.sanction_id == sid
    ]
    if not issued:
        return [f"no sanction.issued of {sid} in the receipt"]
    causes = {c for data in issued for c in data.caused_by}
    depends = {d for data in issued for d in data.depends_on}
    positions = [r.position for r in recorded]
    if len(set(positions)) != len(positions):
        problems.append("an event appears twice")
    seen_causes: set[UUID] = set()
    seen_depends: set[UUID] = set()
    for index, (item, r) in enumerate(zip(receipt.events, recorded, strict=True)):
        if r.event.employee_id != receipt.employee_id:
            problems.append(f"events[{index}]: of {r.event.employee_id}, not {receipt.employee_id}")
        role = _role_of(r.event, sid, causes, depends)
        if role != item.role:
            problems.append(f"events[{index}]: is a {role} event, the receipt says {item.role}")
        if role == "cause":
            seen_causes.add(r.event.event_id)
        elif role == "dependency" and isinstance(r.event.data, SanctionIssued):
            seen_depends.add(r.event.data.sanction_id)
    for missing in sorted(causes - seen_causes, key=str):
        problems.append(f"causing fact {missing} (caused_by) is not in the receipt")
    for missing in sorted(depends - seen_depends, key=str):
        problems.append(f"consequence {missing} it depends on is not in the receipt")
    own = [r for r in recorded if _role_of(r.event, sid, causes, depends) in _OWN_ROLES]
    standing = _standing(own, sid)
    if standing != receipt.status:
        problems.append(f"status {receipt.status} is not what its history says ({standing})")
    return problems
