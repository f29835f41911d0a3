"""Ed25519 keys and C2SP signed notes (https://c2sp.org/signed-note), via ``cryptography``.

A signed note is UTF-8 text ending in a line feed, a blank line, and signature lines::

    — <key name> <base64(key hash (4 bytes) || Ed25519 signature (64 bytes))>

(an em dash, U+2014, and a space). The signature covers the text including its final line
feed. The key hash is the first 4 bytes of ``SHA-256(key name || 0x0A || 0x01 || public
key)``. A verifier key (vkey) is ``<key name>+<key hash, 8 hex digits>+<base64(0x01 ||
public key)>``.

Key files: ``keygen`` writes the private key as PKCS #8 PEM (mode 0600) and the public key
as SubjectPublicKeyInfo PEM (``FILE.pub``), which OpenSSL and every Ed25519 library read. A
PEM key has no name: the ledger signs under the key name of the checkpoint's origin (the
C2SP tlog-checkpoint convention), and a verifier given a PEM public key checks the signature
line of that name; given a vkey, of the vkey's name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.errors import LedgerError, UsageError

__all__ = [
    "NoteError",
    "PublicKey",
    "generate_keypair",
    "key_hash",
    "load_private_key",
    "load_public_key",
    "open_note",
    "sign_note",
    "vkey",
]

_ED25519 = b"\x01"
_DASH = "\u2014 "
_NAME = re.compile(r"^[^\s+]+$")
_MAX_SIGNATURES = 100


class NoteError(LedgerError):
    """A signed note does not parse, or no valid signature of the expected key is on it."""


def b64(raw: bytes) -> str:
    """Standard base64 (RFC 4648, section 4), padded."""
    return base64.b64encode(raw).decode("ascii")


def unb64(text: str, what: str) -> bytes:
    """Decode canonical standard base64 (re-encoding gives the same text).

    Raises:
        NoteError: not canonical base64.
    """
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(f"{what} is not base64") from None
    if b64(raw) != text:
        raise NoteError(f"{what} is not in canonical base64")
    return raw


def key_hash(name: str, public: Ed25519PublicKey) -> bytes:
    """The 4-byte key hash of an Ed25519 key under ``name``."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(name.encode() + b"\n" + _ED25519 + raw).digest()[:4]


def vkey(name: str, public: Ed25519PublicKey) -> str:
    """The C2SP verifier key of ``public`` under ``name``."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return f"{name}+{key_hash(name, public).hex()}+{b64(_ED25519 + raw)}"


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A verifier: an Ed25519 public key, and the key name it is bound to (a vkey's) or
    ``None`` (a PEM key, which verifies under whatever name the caller expects)."""

    key: Ed25519PublicKey
    name: str | None = None

    def fingerprint(self) -> str:
        """SHA-256 of the raw public key, hex (to tell keys apart in messages)."""
        raw = self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return hashlib.sha256(raw).hexdigest()


def generate_keypair(out: Path) -> tuple[Path, Path]:
    """Write a new Ed25519 private key to ``out`` (PKCS #8 PEM, mode 0600, never over an
    existing file) and its public key to ``out.pub``.

    Raises:
        UsageError: either file exists or cannot be written.
    """
    public_path = out.with_name(out.name + ".pub")
    for path in (out, public_path):
        if path.exists():
            raise UsageError(f"{path}: already exists; keys are never overwritten")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.chmod(out, 0o600)  # whatever the umask
        public_path.write_bytes(public_pem)
    except OSError as exc:
        raise UsageError(f"{exc.filename or out}: cannot write the key: {exc.strerror}") from exc
    return out, public_path


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the {what}: {exc.strerror}") from exc


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file (as ``keygen`` writes).

    Raises:
        UsageError: unreadable, or not an unencrypted Ed25519 private key.
    """
    data = _read(path, "private key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path}: not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> PublicKey:
    """A verifier from a PEM public key file (``keygen``'s ``.pub``) or a C2SP vkey line.

    Raises:
        UsageError: unreadable, or neither form of an Ed25519 public key.
    """
    data = _read(path, "public key")
    text = data.decode("utf-8", errors="replace").strip()
    if "-----BEGIN" in text:
        try:
            key = serialization.load_pem_public_key(data)
        except (ValueError, TypeError) as exc:
            raise UsageError(f"{path}: not a PEM public key ({exc})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise UsageError(f"{path}: not an Ed25519 public key")
        return PublicKey(key)
    parts = text.split("+", 2)  # the name has no "+", the base64 may
    try:
        if len(parts) != 3 or not _NAME.match(parts[0]):
            raise NoteError("three fields joined by +")
        raw = unb64(parts[2], "the key")
        if len(raw) != 33 or raw[:1] != _ED25519:
            raise NoteError("an Ed25519 key")
        public = Ed25519PublicKey.from_public_bytes(raw[1:])
        if key_hash(parts[0], public).hex() != parts[1]:
            raise NoteError("a key hash that matches its key")
    except (NoteError, ValueError) as exc:
        raise UsageError(
            f"{path}: not a PEM Ed25519 public key nor a C2SP verifier key (expected {exc})"
        ) from None
    return PublicKey(public, parts[0])


def sign_note(text: str, name: str, private: Ed25519PrivateKey) -> str:
    """The signed note of ``text`` (ending in a line feed) by ``private`` under ``name``."""
    if not text.endswith("\n") or "\n\n" in text or not _NAME.match(name):
        raise UsageError("a note's text ends in one line feed; a key name has no space or +")
    signature = private.sign(text.encode())
    return f"{text}\n{_DASH}{name} {b64(key_hash(name, private.public_key()) + signature)}\n"


def open_note(note: str, verifier: PublicKey, name: str) -> str:
    """The text of a signed note, once a signature by ``verifier`` under ``name`` (a vkey's
    own name must be the same) verifies.

    Raises:
        NoteError: malformed; no signature line of that key; or the signature is wrong.
    """
    if verifier.name is not None and verifier.name != name:
        raise NoteError(f"the public key is named {verifier.name!r}, the note is {name!r}")
    if not note.endswith("\n") or "\n\n" not in note:
        raise NoteError("not a signed note (text, a blank line, signature lines)")
    cut = note.rindex("\n\n")
    text, lines = note[: cut + 1], note[cut + 2 :].splitlines()
    if any(ch < " " and ch != "\n" for ch in text):
        raise NoteError("the note's text holds a control character")
    if not lines or len(lines) > _MAX_SIGNATURES:
        raise NoteError("a signed note has 1 to 100 signature lines")
    wanted = key_hash(name, verifier.key)
    for line in lines:
        if not line.startswith(_DASH) or line.count(" ") != 2:
            raise NoteError(f"malformed signature line {line!r}")
        signer, blob = line[len(_DASH) :].split(" ")
        raw = unb64(blob, "a signature")
        if len(raw) < 5:
            raise NoteError("a signature line is too short")
        if signer != name or raw[:4] != wanted:
            continue  # another signer's line (a witness): not ours to check
        try:
            verifier.key.verify(raw[4:], text.encode())
        except InvalidSignature:
            raise NoteError(f"the signature of {name} does not verify (altered note)") from None
        return text
    raise NoteError(
        f"no signature of this public key (key hash {wanted.hex()}) under {name!r}: "
        "signed with another key"
    )
