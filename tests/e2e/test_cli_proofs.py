"""End-to-end: keygen, checkpoint, verify --checkpoint, prove, verify-receipt,
export --checkpoint, verify-bundle --public-key and schema --receipt, via the CLI (issue 15,
"Done when"). Every tamper edits the SQLite file directly and recomputes the whole hash chain,
so plain `ledger verify` passes and only the checkpoint catches it."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from test_cli_audit import HORIZON, LINES, fact, ledger, ok

from ledger.testing import rechain_sqlite

PHONE = fact("B1", 7, "service.phone_answered", "2026-07-02 10:00", "system:pbx", rings=5)
LATER = [
    fact("A1", 20, "attendance.late_arrival", "2026-10-12 09:40", "system:badge", minutes=40),
    fact("C1", 20, "service.phone_answered", "2026-10-12 10:00", "system:pbx", rings=2),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A populated ledger, a key pair, another key, and a checkpoint kept beside them."""
    where = tmp_path_factory.mktemp("proofs")
    db = where / "ledger.db"
    ok(db, "init")
    (where / "quarter.jsonl").write_text("\n".join([*LINES, PHONE]) + "\n", encoding="utf-8")
    ok(db, "import", str(where / "quarter.jsonl"))
    ok(db, "tick", "--now", HORIZON)
    ok(db, "keygen", "--out", str(where / "k.key"))
    ok(db, "keygen", "--out", str(where / "other.key"))
    ok(db, "checkpoint", "--key", str(where / "k.key"), "--out", str(where / "ckpt.txt"))
    return db


@pytest.fixture
def db(built: Path, tmp_path: Path) -> Path:
    """A private copy of the ledger, with the keys and the checkpoint beside it."""
    for name in ("ledger.db", "k.key", "k.key.pub", "other.key.pub", "ckpt.txt"):
        shutil.copy(built.parent / name, tmp_path / name)
    return tmp_path / "ledger.db"


def check(db: Path, *more: str, key: str = "k.key.pub") -> tuple[int, str]:
    result = ledger(
        db,
        "verify",
        "--checkpoint",
        str(db.parent / "ckpt.txt"),
        *more,
        "--public-key",
        str(db.parent / key),
    )
    return result.returncode, result.stdout + result.stderr


def tamper(db: Path, edit: Callable[[sqlite3.Connection], None]) -> None:
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        conn.execute("BEGIN")
        conn.execute("DROP TRIGGER IF EXISTS events_no_update")
        conn.execute("DROP TRIGGER IF EXISTS events_no_delete")
        edit(conn)
        rechain_sqlite(conn)
        conn.execute("COMMIT")
    assert "BROKEN" not in ledger(db, "verify").stderr  # the chain alone no longer notices


def test_the_checkpoint_is_signed_recorded_and_verifies(db: Path) -> None:
    note = (db.parent / "ckpt.txt").read_text()
    origin, size = note.split("\n")[:2]
    assert origin.startswith("conduct-ledger/") and int(size) > 20
    assert f"\n\n\u2014 {origin} " in note
    with closing(sqlite3.connect(db)) as conn:
        recorded = conn.execute(
            "SELECT position, recorded_by FROM events WHERE type = 'ledger.checkpointed'"
        ).fetchall()
    assert recorded == [(int(size) + 1, "ledger")]  # the log lists the checkpoint it issued
    code, text = check(db)
    assert code == 0, text
    assert "extends the checkpoint" in text and text.startswith("intact")


def test_a_grown_log_still_extends_it(db: Path) -> None:
    (db.parent / "later.jsonl").write_text("\n".join(LATER) + "\n", encoding="utf-8")
    ok(db, "import", str(db.parent / "later.jsonl"))
    ok(db, "checkpoint", "--key", str(db.parent / "k.key"), "--out", str(db.parent / "c2.txt"))
    code, text = check(db, "--checkpoint", str(db.parent / "c2.txt"))
    assert code == 0, text
    assert text.count("extends the checkpoint") == 2


def test_another_key_fails(db: Path) -> None:
    code, text = check(db, key="other.key.pub")
    assert code == 1
    assert "FAILS" in text and "another key" in text


def _cut_five(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM events WHERE position > (SELECT max(position) - 5 FROM events)")


def _edit_phone(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE events SET data = '{\"rings\":2}' WHERE type = 'service.phone_answered'")


def _remove_stream(conn: sqlite3.Connection) -> None:
    conn.execute(
        "DELETE FROM events WHERE stream_id = (SELECT id FROM streams WHERE employee_id = 'B1')"
    )


def _swap(conn: sqlite3.Connection) -> None:
    (first,) = conn.execute(
        "SELECT a.position FROM events a JOIN events b ON b.position = a.position + 1 "
        "WHERE a.stream_id != b.stream_id AND a.type = 'attendance.late_arrival' "
        "ORDER BY a.position LIMIT 1"
    ).fetchone()
    conn.execute("UPDATE events SET position = -1 WHERE position = ?", (first,))
    conn.execute("UPDATE events SET position = ? WHERE position = ?", (first, first + 1))
    conn.execute("UPDATE events SET position = ? WHERE position = -1", (first + 1,))


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_cut_five, "events were removed"),
        (_edit_phone, "does not extend the checkpoint"),
        (_remove_stream, "events were removed"),
        (_swap, "does not extend the checkpoint"),
    ],
    ids=["cut by 5", "phone fact edited", "stream removed", "events swapped"],
)
def test_a_rewrite_with_the_chain_recomputed_fails(
    db: Path, edit: Callable[[sqlite3.Connection], None], expected: str
) -> None:
    tamper(db, edit)
    if edit is _edit_phone:  # a fact that caused nothing: plain verify passes
        assert ok(db, "verify").startswith("intact")
    code, text = check(db)
    assert code == 1, text
    assert expected in text


def test_an_emptied_file_fails(db: Path) -> None:
    db.write_bytes(b"")
    code, text = check(db)
    assert code == 1, text
    assert "the log is empty" in text


def test_verify_checkpoint_needs_a_public_key(db: Path) -> None:
    result = ledger(db, "verify", "--checkpoint", str(db.parent / "ckpt.txt"))
    assert result.returncode == 2
    assert "--public-key" in result.stderr


def test_a_receipt_is_proven_offline_and_refused_when_edited(db: Path, tmp_path: Path) -> None:
    rows = json.loads(ok(db, "sanctions", "--employee", "A1", "--format", "json"))
    warning = next(r for r in rows if r["kind"] == "warning")
    receipt = db.parent / "receipt.json"
    out = ok(
        db,
        "prove",
        warning["sanction_id"][:8],
        "--checkpoint",
        str(db.parent / "ckpt.txt"),
        "--out",
        str(receipt),
    )
    assert "events proven" in out
    nowhere = tmp_path / "elsewhere" / "no.db"  # verify-receipt needs no database
    pub = str(db.parent / "k.key.pub")
    assert "verifies" in ok(nowhere, "verify-receipt", str(receipt), "--public-key", pub)
    other = ledger(
        nowhere, "verify-receipt", str(receipt), "--public-key", str(db.parent / "other.key.pub")
    )
    assert other.returncode == 1 and "another key" in other.stderr
    value = json.loads(receipt.read_text())
    cause = next(e for e in value["events"] if e["role"] == "cause")
    cause["record"]["data"]["minutes"] = 5
    edited = db.parent / "edited.json"
    edited.write_text(json.dumps(value))
    result = ledger(nowhere, "verify-receipt", str(edited), "--public-key", pub)
    assert result.returncode == 1
    assert "does not match its hash" in result.stderr
    schema = json.loads(ok(nowhere, "schema", "--receipt"))
    assert schema["title"] == "conduct-ledger receipt"
    assert set(value) == set(schema["properties"])


def test_an_anchored_bundle_verifies(db: Path) -> None:
    bundle = db.parent / "bundle"
    out = ok(
        db,
        "export",
        "--period",
        "2026Q3",
        "--out",
        str(bundle),
        "--checkpoint",
        str(db.parent / "ckpt.txt"),
    )
    assert "exported" in out
    pub = str(db.parent / "k.key.pub")
    assert "signed checkpoint" in ok(db, "verify-bundle", str(bundle), "--public-key", pub)
    other = ledger(
        db, "verify-bundle", str(bundle), "--public-key", str(db.parent / "other.key.pub")
    )
    assert other.returncode == 1
