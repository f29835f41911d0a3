"""The Merkle tree against RFC 6962 / RFC 9162's reference vectors and the RFC's recursive
definitions (ledger/audit/merkle.py; docs/ARCHITECTURE.md, "Signed checkpoints")."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.audit import merkle
from ledger.audit.merkle import (
    BLOCK,
    EMPTY_ROOT,
    BlockTree,
    blocks_of,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
    streamed_root,
    verify_consistency,
    verify_inclusion,
)

# The Certificate Transparency reference tree (RFC 6962 test vectors): 8 leaf entries, the
# root for each size 1..8, and audit paths / consistency proofs in that tree.
ENTRIES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [
    (0, 8, [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]),
    (5, 8, [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]),
]  # fmt: skip
CONSISTENCY = [
    (2, 8, [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]),
    (6, 8, [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]),
    (2, 5, [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ]),
]  # fmt: skip
LEAVES = [leaf_hash(e) for e in ENTRIES]


class ListSource:
    """The RFC's recursive MTH over a list of leaf hashes: the reference."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.leaves = leaves

    def subtree(self, start: int, end: int) -> bytes:
        return mth(self.leaves[start:end])


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = merkle.split(len(leaves))
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def rfc_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 9162 PATH(m, D[n]), recursively."""
    if len(leaves) == 1:
        return []
    k = merkle.split(len(leaves))
    if m < k:
        return [*rfc_path(m, leaves[:k]), mth(leaves[k:])]
    return [*rfc_path(m - k, leaves[k:]), mth(leaves[:k])]


def rfc_subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    """RFC 9162 SUBPROOF(m, D[n], b), recursively."""
    if m == len(leaves):
        return [] if whole else [mth(leaves)]
    k = merkle.split(len(leaves))
    if m <= k:
        return [*rfc_subproof(m, leaves[:k], whole), mth(leaves[k:])]
    return [*rfc_subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def synthetic(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def test_empty_root_and_hash_prefixes() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"").hex() == ROOTS[0]
    assert node_hash(LEAVES[0], LEAVES[1]).hex() == ROOTS[1]
    assert (
        node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )


@pytest.mark.parametrize("size", range(1, 9))
def test_reference_roots(size: int) -> None:
    assert root_of(LEAVES[:size]).hex() == ROOTS[size - 1]
    assert BlockTree(size, [], lambda a, b: LEAVES[a:b]).root().hex() == ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_reference_inclusion_proofs(index: int, size: int, path: list[str]) -> None:
    got = inclusion_proof(ListSource(LEAVES), index, size)
    assert [p.hex() for p in got] == path
    assert verify_inclusion(LEAVES[index], index, size, got, bytes.fromhex(ROOTS[size - 1]))


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_reference_consistency_proofs(first: int, second: int, path: list[str]) -> None:
    got = consistency_proof(ListSource(LEAVES), first, second)
    assert [p.hex() for p in got] == path
    roots = bytes.fromhex(ROOTS[first - 1]), bytes.fromhex(ROOTS[second - 1])
    assert verify_consistency(first, second, *roots, got)
    assert not verify_consistency(first, second, roots[1], roots[0], got)


def test_every_proof_of_small_trees_is_the_rfcs_and_verifies() -> None:
    leaves = synthetic(40)
    roots = [mth(leaves[:n]) for n in range(41)]
    for n in range(1, 41):
        for i in range(n):
            path = inclusion_proof(ListSource(leaves), i, n)
            assert path == rfc_path(i, leaves[:n])
            assert verify_inclusion(leaves[i], i, n, path, roots[n])
            assert not verify_inclusion(leaves[i], (i + 1) % n, n, path, roots[n]) or n == 1
            assert not verify_inclusion(leaves[i], i, n, path[:-1], roots[n]) or not path
            assert not verify_inclusion(leaves[i], i, n, [*path, b"\0" * 32], roots[n])
        for m in range(n + 1):
            proof = consistency_proof(ListSource(leaves), m, n)
            assert proof == ([] if m in (0, n) else rfc_subproof(m, leaves[:n], True))
            assert verify_consistency(m, n, roots[m], roots[n], proof)
            if 0 < m < n:
                assert not verify_consistency(m, n, roots[m], roots[n], proof[:-1])
                assert not verify_consistency(m, n, roots[m - 1], roots[n], proof)
                assert not verify_consistency(m, n, roots[m], roots[n - 1], proof)


@given(
    n=st.integers(1, 3 * BLOCK + 77),
    data=st.data(),
)
def test_the_block_tree_answers_as_the_whole_list(n: int, data: st.DataObject) -> None:
    leaves = synthetic(n)
    reads: list[tuple[int, int]] = []

    def read(a: int, b: int) -> list[bytes]:
        reads.append((a, b))
        return leaves[a:b]

    tree = BlockTree(n, blocks_of(leaves), read)
    index = data.draw(st.integers(0, n - 1))
    first = data.draw(st.integers(0, n))
    assert tree.root() == mth(leaves)
    assert tree.inclusion_proof(index) == rfc_path(index, leaves)
    assert tree.consistency_proof(first) == consistency_proof(ListSource(leaves), first, n)
    assert tree.root(first) == mth(leaves[:first])
    assert all(b - a <= BLOCK for a, b in reads)  # never more than a block of leaves at once


@given(st.integers(1, 70), st.data())
def test_any_changed_byte_of_a_proof_fails(n: int, data: st.DataObject) -> None:
    leaves = synthetic(n)
    root = mth(leaves)
    index = data.draw(st.integers(0, n - 1))
    path = inclusion_proof(ListSource(leaves), index, n)
    if path:
        which = data.draw(st.integers(0, len(path) - 1))
        byte = data.draw(st.integers(0, 31))
        flip = data.draw(st.integers(1, 255))
        bad = bytearray(path[which])
        bad[byte] ^= flip
        assert not verify_inclusion(
            leaves[index], index, n, [*path[:which], bytes(bad), *path[which + 1 :]], root
        )
    leaf = bytearray(leaves[index])
    leaf[data.draw(st.integers(0, 31))] ^= data.draw(st.integers(1, 255))
    assert not verify_inclusion(bytes(leaf), index, n, path, root)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        inclusion_proof(ListSource(LEAVES), 8, 8)
    with pytest.raises(ValueError):
        consistency_proof(ListSource(LEAVES), 5, 3)
    assert not verify_inclusion(LEAVES[0], 0, 0, [], EMPTY_ROOT)
    assert not verify_consistency(3, 2, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 8, EMPTY_ROOT, bytes.fromhex(ROOTS[7]), [])
    assert not verify_consistency(0, 8, LEAVES[0], bytes.fromhex(ROOTS[7]), [])
    assert not verify_consistency(4, 8, bytes.fromhex(ROOTS[3]), bytes.fromhex(ROOTS[7]), [])


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 8, 9, 255, 256, 257, 1000])
def test_the_streamed_root_is_the_trees(n: int) -> None:
    leaves = synthetic(n)
    assert streamed_root(iter(leaves)) == (n, mth(leaves))
