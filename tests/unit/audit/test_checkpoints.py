"""Signed checkpoints: issuing, and ``check_checkpoints`` catching every rewrite of the log
even when the attacker recomputed the whole hash chain (docs/ARCHITECTURE.md, "Signed
checkpoints"). The tampering goes through SQLite with the append-only triggers dropped,
then ``rehash_from`` makes ``store.verify()`` pass again, as in tests/unit/audit/test_verify.py.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from audit_helpers import Quarter, build_quarter, rehash_from, tampering

from ledger.app import Ledger
from ledger.audit import (
    CheckpointMismatch,
    check_checkpoints,
    checkpoint,
    generate_keypair,
    ledger_origin,
    load_private_key,
    load_public_key,
    log_tree,
    parse_checkpoint,
    verify,
)
from ledger.audit.checkpoints import MERKLE
from ledger.audit.merkle import BLOCK, root_of
from ledger.audit.note import PublicKey
from ledger.events import CheckpointIssued
from ledger.testing import make, rechain_sqlite


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PublicKey, PublicKey]:
    folder = tmp_path_factory.mktemp("keys")
    private, public = generate_keypair(folder / "signing.key")
    _, other = generate_keypair(folder / "other.key")
    return private, load_public_key(public), load_public_key(other)


@pytest.fixture
def signed(tmp_path: Path, keys: tuple[Path, PublicKey, PublicKey]) -> Iterator[tuple[Path, str]]:
    """The audit quarter on disk, a phone-answered fact included, and a checkpoint of it."""
    db = tmp_path / "ledger.db"
    quarter = build_quarter(lambda clock: Ledger.open(db, clock=clock))
    quarter.ledger.record([make("service.phone_answered", "E04", at="2026-09-25 10:00", rings=2)])
    note = checkpoint(quarter.ledger, load_private_key(keys[0])).note
    quarter.ledger.close()
    yield db, note


def checks(db: Path, note: str, key: PublicKey) -> list[str]:
    """The failure messages (empty: the log extends the checkpoint)."""
    with Ledger.open(db, adopt_default=False, readonly=True) as ledger:
        return [c.message for c in check_checkpoints(ledger, [("ckpt", note)], key) if not c.ok]


def test_a_checkpoint_is_a_c2sp_note_of_the_log(
    signed: tuple[Path, str], keys: tuple[Path, PublicKey, PublicKey]
) -> None:
    db, note = signed
    with Ledger.open(db, adopt_default=False) as ledger:
        stated = parse_checkpoint(note)
        origin, size, _, blank, signature = note.split("\n")[:5]
        assert origin == ledger_origin(ledger.store) == stated.origin
        assert int(size) == stated.size == ledger.store.head() - 1  # its record follows
        assert signature.startswith(f"\u2014 {origin} ") and blank == ""
        assert stated.root == log_tree(ledger.store, stated.size, cached=False).root()
        recorded = list(ledger.store.read(types=frozenset({"ledger.checkpointed"})))
        assert len(recorded) == 1 and recorded[0].position == stated.size + 1
        data = recorded[0].event.data
        assert isinstance(data, CheckpointIssued) and data.note == note
        assert recorded[0].event.recorded_by == "ledger"
        assert verify(ledger).ok  # the record changes no derivation


def test_the_log_and_a_grown_log_extend_it(
    signed: tuple[Path, str], keys: tuple[Path, PublicKey, PublicKey]
) -> None:
    db, note = signed
    assert checks(db, note, keys[1]) == []
    with Ledger.open(db, adopt_default=False) as ledger:
        ledger.record([make("attendance.late_arrival", "E04", at="2026-09-28 09:20", minutes=5)])
        second = checkpoint(ledger, load_private_key(keys[0])).note
    assert checks(db, note, keys[1]) == []
    assert checks(db, second, keys[1]) == []


def test_another_key_fails(
    signed: tuple[Path, str], keys: tuple[Path, PublicKey, PublicKey]
) -> None:
    db, note = signed
    [problem] = checks(db, note, keys[2])
    assert "signature" in problem and "another key" in problem


def test_an_altered_checkpoint_fails(
    signed: tuple[Path, str], keys: tuple[Path, PublicKey, PublicKey]
) -> None:
    db, note = signed
    size = str(parse_checkpoint(note).size)
    [problem] = checks(db, note.replace(f"\n{size}\n", f"\n{int(size) - 1}\n", 1), keys[1])
    assert "does not verify" in problem


def _cut(conn: sqlite3.Connection, count: int) -> None:
    head = conn.execute("SELECT max(position) FROM events").fetchone()[0]
    conn.execute("DELETE FROM events WHERE position > ?", (head - count,))
    conn.execute(
        "UPDATE streams SET version = (SELECT count(*) FROM events e WHERE e.stream_id = "
        "streams.id)"
    )
    conn.execute("DELETE FROM streams WHERE version = 0")


def _edit_phone_fact(conn: sqlite3.Connection) -> None:
    position, data = conn.execute(
        "SELECT position, data FROM events WHERE type = 'service.phone_answered'"
    ).fetchone()
    conn.execute(
        "UPDATE events SET data = ? WHERE position = ?", (data.replace("2", "9"), position)
    )
    rehash_from(conn, position)


def _remove_stream(conn: sqlite3.Connection) -> None:
    stream = conn.execute("SELECT id FROM streams WHERE employee_id = 'E06'").fetchone()[0]
    conn.execute("DELETE FROM events WHERE stream_id = ?", (stream,))
    rechain_sqlite(conn)


def _swap(conn: sqlite3.Connection) -> None:
    """Swap two neighbouring events of different streams (versions stay in sequence), then
    re-hash: the same events, in another order."""
    (first,) = conn.execute(
        "SELECT a.position FROM events a JOIN events b ON b.position = a.position + 1 "
        "WHERE a.stream_id != b.stream_id AND a.position > 10 AND a.type != 'rulebook.adopted' "
        "AND b.type != 'rulebook.adopted' ORDER BY "
        "a.position "
        "LIMIT 1"
    ).fetchone()
    conn.execute("UPDATE events SET position = -1 WHERE position = ?", (first,))
    conn.execute("UPDATE events SET position = ? WHERE position = ?", (first, first + 1))
    conn.execute("UPDATE events SET position = ? WHERE position = -1", (first + 1,))
    rehash_from(conn, first)


def _empty(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM events")
    conn.execute("DELETE FROM streams")


TAMPERS = {
    "cut by 5 events": (lambda conn: _cut(conn, 5), "events were removed"),
    "phone fact edited": (_edit_phone_fact, "does not extend"),
    "stream removed": (_remove_stream, "events were removed"),
    "events swapped": (_swap, "does not extend"),
    "emptied": (_empty, "the log is empty"),
}


@pytest.mark.parametrize("case", sorted(TAMPERS))
def test_every_rewrite_with_the_chain_recomputed_fails(
    case: str, signed: tuple[Path, str], keys: tuple[Path, PublicKey, PublicKey]
) -> None:
    db, note = signed
    tamper, expected = TAMPERS[case]
    with tampering(db) as conn:
        tamper(conn)
    with Ledger.open(db, adopt_default=False, readonly=True) as ledger:
        assert ledger.store.verify().ok  # the attacker recomputed the chain
    [problem] = checks(db, note, keys[1])
    assert expected in problem


def test_a_removed_stream_after_growth_is_a_different_root(
    signed: tuple[Path, str], keys: tuple[Path, PublicKey, PublicKey]
) -> None:
    db, note = signed
    with Ledger.open(db, adopt_default=False) as ledger:
        ledger.record([make("attendance.late_arrival", "E04", at="2026-09-28 09:20", minutes=5)])
        grow(ledger, 100)
    with tampering(db) as conn:
        _remove_stream(conn)
    [problem] = checks(db, note, keys[1])
    assert "does not extend" in problem


def test_several_checkpoints_are_reported_one_by_one(
    signed: tuple[Path, str], keys: tuple[Path, PublicKey, PublicKey]
) -> None:
    db, note = signed
    with Ledger.open(db, adopt_default=False) as ledger:
        later = checkpoint(ledger, load_private_key(keys[0])).note
    with tampering(db) as conn:
        _cut(conn, 1)  # removes the second checkpoint's record only
    with Ledger.open(db, adopt_default=False, readonly=True) as ledger:
        found = check_checkpoints(ledger, [("a", note), ("b", later)], keys[1])
    assert [c.ok for c in found] == [True, True]
    with tampering(db) as conn:
        _cut(conn, 1)  # now the second checkpoint's last event is gone
    with Ledger.open(db, adopt_default=False, readonly=True) as ledger:
        found = check_checkpoints(ledger, [("a", note), ("b", later)], keys[1])
    assert [c.ok for c in found] == [True, False]
    assert "1 events were removed" in found[1].message


def test_issuing_refuses_a_log_that_no_longer_extends_its_last_checkpoint(
    signed: tuple[Path, str], keys: tuple[Path, PublicKey, PublicKey]
) -> None:
    db, _ = signed
    with tampering(db) as conn:
        _edit_phone_fact(conn)
    with (
        Ledger.open(db, adopt_default=False) as ledger,
        pytest.raises(CheckpointMismatch, match="no longer extends"),
    ):
        checkpoint(ledger, load_private_key(keys[0]))


def grow(ledger: Ledger, count: int) -> None:
    """Record ``count`` more phone calls of E04 in one batch."""
    calls = [
        make("service.phone_answered", "E04", at="2026-09-28 10:00", rings=1) for _ in range(count)
    ]
    ledger.record(calls)


def test_the_block_cache_is_never_trusted_by_the_check(
    signed: tuple[Path, str], keys: tuple[Path, PublicKey, PublicKey]
) -> None:
    db, _ = signed
    with Ledger.open(db, adopt_default=False) as ledger:
        grow(ledger, 2 * BLOCK)
        note = checkpoint(ledger, load_private_key(keys[0])).note
        store = ledger.store
        rows = list(store.projection_rows(MERKLE))
        assert len(rows) == store.head() // BLOCK, "issuing caches the complete blocks"
        poisoned = [(k, e, "00" * 32) for k, e, _ in rows]
        store.projection_replace(
            MERKLE, {e for _, e, _ in rows}, poisoned, store.projection_checkpoint(MERKLE)
        )
        assert log_tree(store).root() != log_tree(store, cached=False).root()
    assert checks(db, note, keys[1]) == []


def test_the_cached_tree_equals_the_hashed_one(signed: tuple[Path, str]) -> None:
    db, _ = signed
    with Ledger.open(db, adopt_default=False) as ledger:
        store = ledger.store
        for count in (150, 150, 300, 1):  # across block boundaries, extending the cache
            grow(ledger, count)
            fresh = log_tree(store, cached=False)
            cached = log_tree(store)
            assert cached.root() == fresh.root()
            assert list(cached.blocks[: store.head() // BLOCK]) == list(fresh.blocks)
            assert store.projection_checkpoint(MERKLE) == (store.head() // BLOCK) * BLOCK
        entries = list(store.leaf_entries())
        assert [e[0] for e in entries] == list(range(1, store.head() + 1))
        generic = [(r.position, r.employee_id, r.occurred_at, r.hash) for r in store.rows()]
        assert entries == generic


def test_an_empty_ledger_has_nothing_to_checkpoint(
    keys: tuple[Path, PublicKey, PublicKey],
) -> None:
    from ledger.errors import UsageError

    with Ledger.in_memory(adopt_default=False) as ledger, pytest.raises(UsageError, match="empty"):
        checkpoint(ledger, load_private_key(keys[0]))


def test_a_memory_ledger_checkpoints_and_verifies(keys: tuple[Path, PublicKey, PublicKey]) -> None:
    with Ledger.in_memory() as ledger:
        note = checkpoint(ledger, load_private_key(keys[0])).note
        [found] = check_checkpoints(ledger, [("m", note)], keys[1])
        assert found.ok, found.message


def test_postgres_checkpoints_hash_the_same_rows(
    pg_url: str, keys: tuple[Path, PublicKey, PublicKey]
) -> None:
    quarter: Quarter = build_quarter(lambda clock: Ledger.open(pg_url, clock=clock))
    with quarter.ledger as ledger:
        note = checkpoint(ledger, load_private_key(keys[0])).note
        [found] = check_checkpoints(ledger, [("pg", note)], keys[1])
        assert found.ok, found.message
        store = ledger.store
        generic = [(r.position, r.employee_id, r.occurred_at, r.hash) for r in store.rows()]
        assert list(store.leaf_entries()) == generic
        leaves = log_tree(store, cached=False)
        assert leaves.root() == root_of([leaves.leaf(i) for i in range(store.head())])
