"""The Merkle tree over the log, in the form of RFC 9162 (Certificate Transparency v2).

Hashes (RFC 9162, section 2.1.1)::

    leaf hash = SHA-256(0x00 || leaf entry)
    node hash = SHA-256(0x01 || left || right)
    MTH({})   = SHA-256()                       (the empty tree)

The tree over ``n`` leaves splits at ``k``, the largest power of two below ``n``. A leaf entry
of the ledger is :func:`leaf_entry`: the event's chain hash (which covers its whole canonical
record, position included, and every event before it) followed by its stream and valid time,
so that a signed root commits to every event's content at its position and to which stream
each position belongs (docs/ARCHITECTURE.md, "Signed checkpoints").

Proofs are the RFC's: an inclusion proof (audit path, section 2.1.3) and a consistency proof
(section 2.1.4), generated from any source of subtree hashes (:class:`SubtreeSource`) and
verified by the RFC's iterative algorithms, which need nothing but the proof.

pymerkle (7.0) was measured for this: 8.4 s and 445 MB to build an in-memory tree over 1M
leaves, rebuilt by every command, and proofs in its own (non-RFC) encoding; the tree here
hashes 1M stored leaves in about 1.5 s and keeps 256-leaf block hashes as a cache, so a
proof at 1M events reads a few thousand rows (``bench/RESULTS.md``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

__all__ = [
    "BLOCK",
    "EMPTY_ROOT",
    "BlockTree",
    "SubtreeSource",
    "consistency_proof",
    "inclusion_proof",
    "leaf_entry",
    "leaf_hash",
    "node_hash",
    "root_of",
    "split",
    "streamed_root",
    "verify_consistency",
    "verify_inclusion",
]

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the empty tree."""
BLOCK = 256
"""Leaves per cached block: the hashes of complete, aligned 256-leaf subtrees are kept."""
_sha256 = hashlib.sha256


def leaf_hash(entry: bytes) -> bytes:
    """``SHA-256(0x00 || entry)``."""
    return _sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return _sha256(b"\x01" + left + right).digest()


def leaf_entry(chain_hash: str, employee_id: str, occurred_at: str) -> bytes:
    """The leaf entry of one stored event: its chain hash (32 bytes), then its stream and
    its ``occurred_at`` as stored, separated by a line feed (neither may contain one).

    Raises:
        ValueError: ``chain_hash`` is not 64 hex digits.
    """
    raw = bytes.fromhex(chain_hash)
    if len(raw) != 32:
        raise ValueError(f"a chain hash has 32 bytes, not {len(raw)}")
    return raw + employee_id.encode() + b"\n" + occurred_at.encode()


def split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n`` >= 2): where RFC 9162 splits."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(hashes: Sequence[bytes]) -> bytes:
    """MTH of a list whose items are already hashed (leaf hashes, or the roots of complete
    aligned subtrees of one size): pair them level by level, carrying an odd last node up
    unchanged, which is the RFC's left-heavy tree."""
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    while len(level) > 1:
        paired = [
            _sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def streamed_root(leaves: Iterable[bytes]) -> tuple[int, bytes]:
    """``(count, MTH)`` of leaf hashes given in order, holding one hash per level: the
    complete subtrees so far (the binary digits of the count), folded right to left."""
    stack: list[tuple[int, bytes]] = []
    count = 0
    for leaf in leaves:
        count += 1
        size, node = 1, leaf
        while stack and stack[-1][0] == size:
            node = node_hash(stack.pop()[1], node)
            size *= 2
        stack.append((size, node))
    if not stack:
        return 0, EMPTY_ROOT
    root = stack[-1][1]
    for _, node in reversed(stack[:-1]):
        root = node_hash(node, root)
    return count, root


class SubtreeSource(Protocol):
    """Anything that answers ``MTH(D[start:end])`` for ``0 <= start < end <= size``."""

    def subtree(self, start: int, end: int) -> bytes:
        """The Merkle tree hash of leaves ``start`` (inclusive) to ``end`` (exclusive)."""
        ...


def inclusion_proof(source: SubtreeSource, index: int, size: int) -> list[bytes]:
    """RFC 9162 ``PATH(index, D[0:size])``: the audit path of leaf ``index`` (0-based).

    Raises:
        ValueError: ``index`` is not a leaf of a tree of ``size``.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[bytes] = []
    start, end = 0, size
    # Walk down from the root, collecting siblings; the RFC lists them from the leaf up.
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            path.append(source.subtree(start + k, end))
            end = start + k
        else:
            path.append(source.subtree(start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(source: SubtreeSource, first: int, second: int) -> list[bytes]:
    """RFC 9162 ``PROOF(first, D[0:second])``; empty when ``first`` is 0 or ``second``.

    Raises:
        ValueError: not ``0 <= first <= second``.
    """
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from {first} to {second}")
    if first in (0, second):
        return []
    path: list[bytes] = []
    start, end, m, whole = 0, second, first, True
    # SUBPROOF(m, D[start:end], whole), unrolled; siblings are appended bottom-up at the end.
    siblings: list[bytes] = []
    while m != end - start:
        k = split(end - start)
        if m <= k:
            siblings.append(source.subtree(start + k, end))
            end = start + k
        else:
            siblings.append(source.subtree(start, start + k))
            start += k
            m -= k
            whole = False
    if not whole:
        path.append(source.subtree(start, end))
    path.extend(reversed(siblings))
    return path


def _lsb(value: int) -> bool:
    return bool(value & 1)


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162, section 2.1.3.2: whether ``path`` proves ``leaf`` at ``index`` of the tree
    of ``size`` whose root is ``root``."""
    if not 0 <= index < size or any(len(p) != 32 for p in path):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if _lsb(fn) or fn == sn:
            r = node_hash(p, r)
            if not _lsb(fn):
                while not _lsb(fn) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162, section 2.1.4.2: whether ``path`` proves that the tree of ``second`` leaves
    with root ``second_root`` extends the tree of ``first`` leaves with root ``first_root``."""
    if not 0 <= first <= second or any(len(p) != 32 for p in path):
        return False
    if first == second:
        return not path and first_root == second_root
    if first == 0:
        return not path and first_root == EMPTY_ROOT
    if not path:
        return False
    items = list(path)
    if first & (first - 1) == 0:  # an exact power of two: the first tree is a node
        items.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while _lsb(fn):
        fn >>= 1
        sn >>= 1
    fr = sr = items[0]
    for c in items[1:]:
        if sn == 0:
            return False
        if _lsb(fn) or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not _lsb(fn):
                while not _lsb(fn) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


class BlockTree:
    """Subtree hashes of a log of ``size`` leaves from the hashes of its complete 256-leaf
    blocks (``blocks[i]`` = MTH of leaves ``256 i`` to ``256 (i + 1)``) and a reader of leaf
    hashes for the rest: a proof or a root reads one or two blocks' leaves and combines
    at most ``size / 256`` block hashes.

    Args:
        size: leaves in the tree.
        blocks: hashes of at least the complete blocks within ``size`` (more are ignored).
        leaves: ``leaves(start, end)`` gives the leaf hashes of ``[start, end)``.
    """

    def __init__(
        self,
        size: int,
        blocks: Sequence[bytes],
        leaves: Callable[[int, int], list[bytes]],
    ) -> None:
        if len(blocks) < size // BLOCK:
            raise ValueError(f"{len(blocks)} blocks cannot cover {size} leaves")
        self.size = size
        self.blocks = blocks
        self._leaves = leaves
        self._read: dict[int, list[bytes]] = {}

    def _block_leaves(self, block: int) -> list[bytes]:
        found = self._read.get(block)
        if found is None:
            start = block * BLOCK
            found = self._leaves(start, min(start + BLOCK, self.size))
            self._read[block] = found
        return found

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index``."""
        return self._block_leaves(index // BLOCK)[index % BLOCK]

    def subtree(self, start: int, end: int) -> bytes:
        """MTH of leaves ``[start, end)``."""
        n = end - start
        if start % BLOCK == 0 and n % BLOCK == 0:
            return root_of(self.blocks[start // BLOCK : end // BLOCK])
        if start // BLOCK == (end - 1) // BLOCK:
            offset = (start // BLOCK) * BLOCK
            return root_of(self._block_leaves(start // BLOCK)[start - offset : end - offset])
        k = split(n)
        return node_hash(self.subtree(start, start + k), self.subtree(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        """The root of the first ``size`` leaves (default all)."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"a tree of {self.size} leaves has no root at {size}")
        return self.subtree(0, size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of ``size`` (default all) leaves."""
        return inclusion_proof(self, index, self.size if size is None else size)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """The proof that the tree of ``second`` (default all) leaves extends ``first``."""
        return consistency_proof(self, first, self.size if second is None else second)


def blocks_of(leaves: Sequence[bytes]) -> list[bytes]:
    """The hashes of the complete blocks of a list of leaf hashes that starts a block."""
    return [root_of(leaves[i : i + BLOCK]) for i in range(0, len(leaves) - BLOCK + 1, BLOCK)]
