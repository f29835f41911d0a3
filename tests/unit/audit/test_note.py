"""C2SP signed notes and key files (ledger/audit/note.py)."""

from __future__ import annotations

import base64
import hashlib
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from ledger.audit.note import (
    NoteError,
    generate_keypair,
    key_hash,
    load_private_key,
    load_public_key,
    open_note,
    sign_note,
    vkey,
)
from ledger.errors import UsageError

NAME = "conduct-ledger/test"
TEXT = f"{NAME}\n7\n{base64.b64encode(b'r' * 32).decode()}\n"


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    return generate_keypair(tmp_path / "signing.key")


def test_keygen_writes_a_private_key_only_its_owner_reads(
    pair: tuple[Path, Path], tmp_path: Path
) -> None:
    private, public = pair
    assert public == tmp_path / "signing.key.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    with pytest.raises(UsageError, match="never overwritten"):
        generate_keypair(private)


def test_a_note_is_signed_as_c2sp_says(pair: tuple[Path, Path]) -> None:
    private = load_private_key(pair[0])
    note = sign_note(TEXT, NAME, private)
    text, signature = note.split("\n\n")
    assert text + "\n" == TEXT
    dash, name, blob = signature.rstrip("\n").split(" ")
    assert (dash, name) == ("\u2014", NAME)
    raw = base64.b64decode(blob)
    public = private.public_key()
    pub_raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert raw[:4] == hashlib.sha256(NAME.encode() + b"\n\x01" + pub_raw).digest()[:4]
    assert raw[:4] == key_hash(NAME, public)
    public.verify(raw[4:], TEXT.encode())  # raises if the signature is not over the text
    assert open_note(note, load_public_key(pair[1]), NAME) == TEXT


def test_a_vkey_verifies_under_its_own_name_only(pair: tuple[Path, Path], tmp_path: Path) -> None:
    private = load_private_key(pair[0])
    note = sign_note(TEXT, NAME, private)
    line = vkey(NAME, private.public_key())
    assert line.startswith(f"{NAME}+{key_hash(NAME, private.public_key()).hex()}+")
    (tmp_path / "v").write_text(line + "\n")
    verifier = load_public_key(tmp_path / "v")
    assert open_note(note, verifier, NAME) == TEXT
    with pytest.raises(NoteError, match="named"):
        open_note(note, verifier, "someone-else")
    (tmp_path / "bad").write_text(line[:-4] + "AAA=")
    with pytest.raises(UsageError):
        load_public_key(tmp_path / "bad")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda n: n.replace("\n7\n", "\n8\n"), "does not verify"),
        (lambda n: n.replace("\n\n", "\n"), "not a signed note"),
        (lambda n: n.rstrip("\n"), "not a signed note"),
        (lambda n: n.replace("\u2014", "-"), "malformed signature line"),
        (lambda n: n[:-3] + "!=\n", "base64"),
        (lambda n: n.replace(f"\u2014 {NAME}", "\u2014 other"), "another key"),
    ],
)
def test_an_altered_note_fails(pair: tuple[Path, Path], edit: object, message: str) -> None:
    note = sign_note(TEXT, NAME, load_private_key(pair[0]))
    assert callable(edit)
    with pytest.raises(NoteError, match=message):
        open_note(edit(note), load_public_key(pair[1]), NAME)


def test_another_key_fails(pair: tuple[Path, Path], tmp_path: Path) -> None:
    note = sign_note(TEXT, NAME, load_private_key(pair[0]))
    _, other = generate_keypair(tmp_path / "other.key")
    with pytest.raises(NoteError, match="another key"):
        open_note(note, load_public_key(other), NAME)


def test_key_files_that_are_not_keys_are_usage_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.write_text("hello")
    for loader in (load_private_key, load_public_key):
        with pytest.raises(UsageError, match="junk"):
            loader(junk)
        with pytest.raises(UsageError, match="cannot read"):
            loader(tmp_path / "missing")
