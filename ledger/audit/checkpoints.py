"""Signed checkpoints of the log and the proof that today's log extends them.

A checkpoint is a C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint), a signed note
(:mod:`ledger.audit.note`) whose text is::

    conduct-ledger/<id of the ledger's first event>     (the origin: which ledger)
    <tree size: events covered>
    <base64 of the RFC 9162 root of those events>        (:mod:`ledger.audit.merkle`)

signed with Ed25519 under the key name of the origin. Issuing one records
``ledger.checkpointed`` (the ledger's own write path), so the log lists its checkpoints; the
checkpoint proves something only when kept outside the database (docs/ARCHITECTURE.md,
"Signed checkpoints").

The ledger's identity is the event id of its first event (at ``ledger init``, the adoption of
the default rulebook): chosen once, stored and chained in the log, and kept by ``ledger
copy``, so a checkpoint verifies against a copy of the same log on any backend.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.audit.merkle import BLOCK, BlockTree, root_of, verify_consistency
from ledger.audit.note import (
    NoteError,
    PublicKey,
    b64,
    key_hash,
    open_note,
    sign_note,
    unb64,
)
from ledger.errors import LedgerError, TamperedError, UsageError
from ledger.events import LEDGER_STREAM, CheckpointIssued
from ledger.store import EventStore, ReadFilter

if TYPE_CHECKING:
    from ledger.app import Ledger

__all__ = [
    "ORIGIN_PREFIX",
    "Checkpoint",
    "CheckpointCheck",
    "CheckpointMismatch",
    "check_checkpoints",
    "checkpoint",
    "ledger_origin",
    "log_tree",
    "matching_tree",
    "open_checkpoint",
    "parse_checkpoint",
    "read_note",
]

ORIGIN_PREFIX = "conduct-ledger/"
MERKLE = "merkle"
"""The projection (cache) holding the hashes of complete 256-leaf blocks."""
_GROUP = 1024
"""Blocks per projection row group: a catch-up rewrites the last group only."""
_SIZE = re.compile(r"^(0|[1-9][0-9]{0,19})$")


class CheckpointMismatch(LedgerError):
    """A checkpoint does not describe this log (another ledger, a longer log, another root)."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A parsed checkpoint: which ledger, how many events, their Merkle root, the note."""

    origin: str
    size: int
    root: bytes
    note: str

    @property
    def root_hex(self) -> str:
        """The root hash as hex."""
        return self.root.hex()


def parse_checkpoint(note: str) -> Checkpoint:
    """The checkpoint a signed note states, signature NOT checked (see :func:`open_checkpoint`).

    Raises:
        NoteError: not a checkpoint note.
    """
    if "\n\n" not in note:
        raise NoteError("not a signed checkpoint (text, a blank line, signature lines)")
    lines = note[: note.rindex("\n\n")].split("\n")
    if len(lines) < 3 or not lines[0]:
        raise NoteError("a checkpoint's text has an origin, a tree size and a root hash")
    if not _SIZE.match(lines[1]):
        raise NoteError(f"tree size {lines[1]!r} is not a decimal number")
    root = unb64(lines[2], "the root hash")
    if len(root) != 32:
        raise NoteError("the root hash is not 32 bytes")
    return Checkpoint(lines[0], int(lines[1]), root, note)


def open_checkpoint(note: str, key: PublicKey) -> Checkpoint:
    """The checkpoint of a note whose signature by ``key`` (under the origin) verifies.

    Raises:
        NoteError: malformed, not signed by ``key``, or altered.
    """
    stated = parse_checkpoint(note)
    open_note(note, key, stated.origin)
    return stated


def read_note(path: Path) -> str:
    """A checkpoint file's text.

    Raises:
        UsageError: unreadable.
        NoteError: not UTF-8 text.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the checkpoint: {exc.strerror}") from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError(f"{path}: not UTF-8 text (altered?)") from None


def ledger_origin(store: EventStore) -> str:
    """``conduct-ledger/<event id at position 1>``: the ledger's stable identity.

    Raises:
        UsageError: the log is empty (it has no identity yet).
    """
    for row in store.rows(ReadFilter(to_position=1)):
        return f"{ORIGIN_PREFIX}{row.event_id}"
    raise UsageError("the ledger is empty: it has no identity and nothing to checkpoint")


# -- the tree over the stored log -------------------------------------------------------------


def _leaves(entries: Iterable[tuple[int, str, str, str]], first: int) -> Iterable[bytes]:
    """Leaf hashes of stored entries that must start at position ``first``, gapless."""
    sha = hashlib.sha256
    expected = first
    for position, employee_id, occurred_at, digest in entries:
        if position != expected:
            raise TamperedError(f"position {expected} is missing from the log")
        expected += 1
        yield sha(
            b"\x00" + bytes.fromhex(digest) + employee_id.encode() + b"\n" + occurred_at.encode()
        ).digest()


def leaf_hashes(store: EventStore, start: int, end: int) -> list[bytes]:
    """Leaf hashes of leaves ``[start, end)`` (leaf ``i`` is the event at position ``i + 1``).

    Raises:
        TamperedError: a position in the range is missing.
    """
    found = list(_leaves(store.leaf_entries(start + 1, end), start + 1))
    if len(found) != end - start:
        raise TamperedError(f"the log has no event at position {start + len(found) + 1}")
    return found


def _blocks_from(store: EventStore, start: int, end: int) -> list[bytes]:
    """Hashes of the complete blocks of leaves ``[start, end)`` (both multiples of BLOCK)."""
    blocks: list[bytes] = []
    chunk: list[bytes] = []
    for leaf in _leaves(store.leaf_entries(start + 1, end), start + 1):
        chunk.append(leaf)
        if len(chunk) == BLOCK:
            blocks.append(root_of(chunk))
            chunk = []
    if len(blocks) * BLOCK != end - start:
        raise TamperedError(f"the log has fewer than {end} events")
    return blocks


def _cached_blocks(store: EventStore, want: int) -> list[bytes]:
    """At least ``want`` block hashes: those cached in the ``merkle`` projection, the rest
    computed from the log and offered to the cache (a reader never waits for it)."""
    covered = store.projection_checkpoint(MERKLE)
    blocks = [bytes.fromhex(v) for _, _, v in store.projection_rows(MERKLE)] if covered else []
    if covered % BLOCK or len(blocks) != covered // BLOCK or covered > store.head():
        blocks, covered = [], 0  # not a cache this code wrote, or of a longer log: start over
    if len(blocks) >= want:
        return blocks
    have = len(blocks)
    blocks += _blocks_from(store, have * BLOCK, want * BLOCK)
    first = (have // _GROUP) * _GROUP
    rows = [(f"{i:012d}", f"~merkle{i // _GROUP:06d}", blocks[i].hex()) for i in range(first, want)]
    groups = {employee for _, employee, _ in rows}
    if store.readonly:
        store.offer_projection(MERKLE, groups, rows, want * BLOCK, covered)
    else:
        with store.transaction():
            if store.projection_checkpoint(MERKLE) == covered:
                store.projection_replace(MERKLE, groups, rows, want * BLOCK)
    return blocks


def log_tree(store: EventStore, size: int | None = None, *, cached: bool = True) -> BlockTree:
    """The Merkle tree of the first ``size`` events (default: the whole log).

    Args:
        cached: take the complete blocks' hashes from the ``merkle`` projection (and extend
            it); ``False`` hashes every stored event again, trusting no cache (``verify``).

    Raises:
        TamperedError: a position is missing.
        UsageError: ``size`` is beyond the head.
    """
    head = store.head()
    size = head if size is None else size
    if not 0 <= size <= head:
        raise UsageError(f"the log has {head} events, not {size}")
    want = size // BLOCK
    blocks = _cached_blocks(store, want) if cached else _blocks_from(store, 0, want * BLOCK)
    return BlockTree(size, blocks, lambda a, b: leaf_hashes(store, a, b))


def matching_tree(store: EventStore, note: str) -> tuple[Checkpoint, BlockTree]:
    """A checkpoint of this ledger (signature not checked) and the tree at its size, whose
    root it must state: what proofs against it are made from.

    Raises:
        NoteError: ``note`` is not a checkpoint.
        CheckpointMismatch: of another ledger, longer than the log, or another root.
    """
    stated = parse_checkpoint(note)
    origin = ledger_origin(store)
    if stated.origin != origin:
        raise CheckpointMismatch(f"the checkpoint is of {stated.origin}, this ledger is {origin}")
    if stated.size > store.head():
        raise CheckpointMismatch(
            f"the checkpoint covers {stated.size} events, the log has {store.head()}"
        )
    tree = log_tree(store, stated.size)
    if tree.root() != stated.root:
        raise CheckpointMismatch(
            "this log does not extend the checkpoint (run `ledger verify --checkpoint`)"
        )
    return stated, tree


# -- issuing ---------------------------------------------------------------------------------


def _last_recorded(store: EventStore) -> CheckpointIssued | None:
    flt = ReadFilter(
        employee_id=LEDGER_STREAM,
        types=frozenset({CheckpointIssued.TYPE}),
        reverse=True,
        limit=1,
    )
    for recorded in store.read(flt):
        data = recorded.event.data
        assert isinstance(data, CheckpointIssued)
        return data
    return None


def checkpoint(ledger: Ledger, key: Ed25519PrivateKey) -> Checkpoint:
    """Sign a checkpoint of the whole log with ``key`` and record that it was issued.

    The size is the head under the write lock; the record (``ledger.checkpointed``) follows
    it. A log that no longer extends the last checkpoint it recorded is refused.

    Raises:
        UsageError: the ledger is empty.
        CheckpointMismatch: the log does not extend its last recorded checkpoint.
    """
    store = ledger.store

    def sign(size: int) -> CheckpointIssued:
        origin = ledger_origin(store)
        tree = log_tree(store, size)
        last = _last_recorded(store)
        if (
            last is not None
            and last.tree_size <= size
            and tree.root(last.tree_size).hex() != last.root_hash
        ):
            raise CheckpointMismatch(
                f"the log no longer extends the checkpoint it recorded of {last.tree_size} "
                "events: an event was rewritten; run `ledger verify --checkpoint` with the "
                "checkpoints kept outside the database"
            )
        root = tree.root()
        note = sign_note(f"{origin}\n{size}\n{b64(root)}\n", origin, key)
        return CheckpointIssued(
            origin=origin,
            tree_size=size,
            root_hash=root.hex(),
            key_hash=key_hash(origin, key.public_key()).hex(),
            note=note,
        )

    recorded = ledger.record_checkpoint(sign)
    data = recorded.event.data
    assert isinstance(data, CheckpointIssued)
    return parse_checkpoint(data.note)


# -- verifying -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckpointCheck:
    """Whether the log extends one checkpoint, and if not why."""

    name: str
    ok: bool
    message: str
    size: int | None = None
    log_size: int = 0

    def to_json(self) -> dict[str, object]:
        """JSON form."""
        return {
            "checkpoint": self.name,
            "ok": self.ok,
            "message": self.message,
            "checkpoint_size": self.size,
            "log_size": self.log_size,
        }


def check_checkpoints(
    ledger: Ledger | None, notes: Sequence[tuple[str, str]], key: PublicKey
) -> list[CheckpointCheck]:
    """For each ``(name, note)``: its signature by ``key``, then a consistency proof from its
    size to today's log, over a tree hashed again from every stored event (no cache).

    ``ledger`` is ``None`` for a database that is empty or no longer a ledger at all.
    """
    store = ledger.store if ledger is not None else None
    log_size = store.head() if store is not None else 0
    tree: BlockTree | None = None
    broken: str | None = None
    if store is not None and log_size:
        try:
            tree = log_tree(store, cached=False)
        except TamperedError as exc:
            broken = str(exc)
    results = []
    for name, note in notes:
        try:
            stated = open_checkpoint(note, key)
        except NoteError as exc:
            results.append(CheckpointCheck(name, False, f"signature: {exc}", None, log_size))
            continue
        m = stated.size
        if store is None or log_size == 0:
            problem = (
                f"the log is empty (or not a ledger database any more), but the checkpoint "
                f"covers {m} events: everything was removed"
            )
        elif broken is not None:
            problem = f"the log cannot be hashed: {broken}"
        elif stated.origin != (origin := ledger_origin(store)):
            problem = (
                f"the checkpoint is of {stated.origin}, this log is {origin}: its first "
                "event differs (the log was replaced or rewritten from the start)"
            )
        elif m > log_size:
            problem = (
                f"the log has {log_size} events, the checkpoint covers {m}: {m - log_size} "
                "events were removed (a cut-off tail or a removed stream)"
            )
        else:
            assert tree is not None
            proof = tree.consistency_proof(m)
            if verify_consistency(m, log_size, stated.root, tree.root(), proof):
                results.append(
                    CheckpointCheck(
                        name,
                        True,
                        f"extends the checkpoint: consistency proof {m} -> {log_size} "
                        f"({len(proof)} hashes) verified",
                        m,
                        log_size,
                    )
                )
                continue
            problem = (
                f"the log does not extend the checkpoint: its first {m} events do not hash "
                f"to the signed root {stated.root_hex[:16]}...; an event at or before "
                f"position {m} was rewritten, removed, inserted or reordered (even with the "
                "chain recomputed)"
            )
        results.append(CheckpointCheck(name, False, problem, m, log_size))
    return results
