"""Audit: explain a consequence, verify the whole ledger, replay a period, export bundles,
and prove the log was not rewritten: signed checkpoints, consistency proofs and receipts."""

from ledger.audit.checkpoints import (
    Checkpoint,
    CheckpointCheck,
    CheckpointMismatch,
    check_checkpoints,
    checkpoint,
    ledger_origin,
    log_tree,
    open_checkpoint,
    parse_checkpoint,
)
from ledger.audit.explain import Explanation, explain
from ledger.audit.note import (
    NoteError,
    PublicKey,
    generate_keypair,
    load_private_key,
    load_public_key,
)
from ledger.audit.receipt import Receipt, ReceiptReport, prove, receipt_schema, verify_receipt
from ledger.audit.replay import ReplayReport, replay
from ledger.audit.verify import Discrepancy, VerifyReport, verify

__all__ = [
    "Checkpoint",
    "CheckpointCheck",
    "CheckpointMismatch",
    "Discrepancy",
    "Explanation",
    "NoteError",
    "PublicKey",
    "Receipt",
    "ReceiptReport",
    "ReplayReport",
    "VerifyReport",
    "check_checkpoints",
    "checkpoint",
    "explain",
    "generate_keypair",
    "ledger_origin",
    "load_private_key",
    "load_public_key",
    "log_tree",
    "open_checkpoint",
    "parse_checkpoint",
    "prove",
    "receipt_schema",
    "replay",
    "verify",
    "verify_receipt",
]
