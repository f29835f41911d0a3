"""Offline audit bundles: export a period, verify it anywhere without the database.

Layout of a bundle directory::

    events.jsonl     one line per event: {"hash", "prev_hash", "record"} where record is the
                     canonical record hashed into the chain (wire form + position, version,
                     recorded_at); the full streams of every employee with an event in the
                     period, and the ledger-wide stream (rulebooks, ticks)
    rulebooks/       each adopted rulebook document, as adopted
    chain.json       the chain head (position, hash) at export and what was exported
    manifest.json    sha256 of every other file
    checkpoint.txt,  with ``--checkpoint``: the signed checkpoint the bundle is cut at, and
    leaves.jsonl     the leaf entries of the rest of the log (ledger/audit/bundle_proof.py)

Every JSON file is canonical (sorted keys, no whitespace), so changing any byte of the
bundle is detected: by a hash in the manifest, a hash in the chain, or the canonical form.
``verify_bundle`` also re-derives every employee's consequences from the bundled facts and
rulebooks and checks they equal the consequences recorded in the bundle.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from ledger.audit.bundle_proof import CHECKPOINT_FILE, LEAVES_FILE, check_anchor, write_leaves
from ledger.audit.checkpoints import matching_tree
from ledger.audit.note import PublicKey
from ledger.audit.verify import content_differences
from ledger.errors import UsageError
from ledger.events import LEDGER_STREAM, RulebookAdopted, Ticked, canonical_json, parse_event
from ledger.policies.engine import derive
from ledger.policies.hiring import employed
from ledger.policies.rulebook import AdoptedRulebook, Rulebook, RulebookSet
from ledger.policies.status import fold_sanctions
from ledger.store import GENESIS_HASH, Recorded, chain_hash
from ledger.timeutil import COMPANY_TZ, Period

if TYPE_CHECKING:
    from ledger.app import Ledger

__all__ = ["export_bundle", "verify_bundle"]

_DERIVED_SANCTIONS = {
    "sanction.issued",
    "sanction.voided",
    "sanction.revoked",
    "sanction.reinstated",
}


_LINES = 1000
"""Lines of ``events.jsonl`` written at a time."""


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write(handle: BinaryIO, digest: Any, lines: list[bytes]) -> None:
    chunk = b"".join(lines)
    handle.write(chunk)
    digest.update(chunk)
    lines.clear()


def export_bundle(
    ledger: Ledger, period: Period, out: Path, checkpoint: str | None = None
) -> dict[str, Any]:
    """Write the bundle of ``period`` into ``out`` (created; must be empty or absent).

    Args:
        checkpoint: a signed checkpoint of this ledger: the bundle describes the log as of
            it and carries the proofs against it (:mod:`ledger.audit.bundle_proof`).

    Returns:
        The chain summary written to ``chain.json``.

    Raises:
        CheckpointMismatch: ``checkpoint`` is not of this log.
    """
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out} is not empty; choose a new directory for the bundle")
    size = None
    if checkpoint is not None:
        size = matching_tree(ledger.store, checkpoint)[0].size
    (out / "rulebooks").mkdir(parents=True, exist_ok=True)
    involved = ledger.store.streams_between(period.start, period.last_instant)
    involved.add(LEDGER_STREAM)
    count = 0
    prev = GENESIS_HASH
    head_position, head_hash = 0, GENESIS_HASH
    digest = hashlib.sha256()  # of events.jsonl, for the manifest, as it is written
    with (out / "events.jsonl").open("wb") as handle:
        lines: list[bytes] = []
        for position, _, row_hash, record in ledger.store.chain_records(involved):
            if size is not None and position > size:
                break
            if record is not None:
                line = {"hash": row_hash, "prev_hash": prev, "record": record}
                lines.append(canonical_json(line) + b"\n")
                count += 1
                if record["type"] == "rulebook.adopted":
                    data = record["data"]
                    name = f"rulebooks/{data['rulebook_id']}-v{data['version']}.toml"
                    (out / name).write_text(data["document"], encoding="utf-8")
                if len(lines) >= _LINES:
                    _write(handle, digest, lines)
            prev = row_hash
            head_position, head_hash = position, row_hash
        _write(handle, digest, lines)
    if checkpoint is not None and size is not None:
        (out / CHECKPOINT_FILE).write_text(checkpoint, encoding="utf-8")
        with (out / LEAVES_FILE).open("wb") as leaves:
            write_leaves(ledger.store, size, involved, leaves)
    chain = {
        "period": period.label,
        "head_position": head_position,
        "head_hash": head_hash,
        "events": count,
        "employees": sorted(e for e in involved if e != LEDGER_STREAM),
        "exported_at": ledger.now().isoformat(),
    }
    (out / "chain.json").write_bytes(canonical_json(chain))
    files = sorted(p for p in out.rglob("*") if p.is_file())
    hashes = {p.relative_to(out).as_posix(): p for p in files}
    manifest = {
        "files": {
            name: digest.hexdigest() if name == "events.jsonl" else _sha(path)
            for name, path in hashes.items()
        }
    }
    (out / "manifest.json").write_bytes(canonical_json(manifest))
    return chain


def _canonical(path: Path, problems: list[str]) -> Any:
    try:
        raw = path.read_bytes()
        value = orjson.loads(raw)
    except (OSError, orjson.JSONDecodeError) as exc:
        problems.append(f"{path.name}: unreadable ({exc})")
        return None
    if canonical_json(value) != raw:
        problems.append(f"{path.name}: not in canonical form (altered)")
    return value


def verify_bundle(directory: Path, key: PublicKey | None = None) -> list[str]:
    """Check a bundle offline; returns the problems found (empty: it verifies).

    Args:
        key: check the bundle against its signed checkpoint with this public key (and
            require one).
    """
    problems: list[str] = []
    manifest = _canonical(directory / "manifest.json", problems)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        return problems or ["manifest.json: no file list"]
    listed: dict[str, str] = manifest["files"]
    present = {
        p.relative_to(directory).as_posix()
        for p in directory.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    for name in sorted(present - listed.keys()):
        problems.append(f"{name}: not in the manifest")
    for name, digest in sorted(listed.items()):
        path = directory / name
        if not path.is_file():
            problems.append(f"{name}: listed in the manifest but missing")
        elif _sha(path) != digest:
            problems.append(f"{name}: sha256 does not match the manifest (altered)")
    chain = _canonical(directory / "chain.json", problems)
    recorded = _check_events(directory / "events.jsonl", chain, problems)
    if key is not None:
        check_anchor(directory, chain, key, problems)
    if not problems:
        try:
            _check_derivation(directory, recorded, problems)
        except Exception as exc:  # e.g. a rulebook document that does not parse
            problems.append(f"cannot re-derive the consequences ({exc})")
    return problems


def _check_events(path: Path, chain: Any, problems: list[str]) -> list[Recorded]:
    out: list[Recorded] = []
    last_position, last_hash = None, None
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        problems.append(f"events.jsonl: unreadable ({exc})")
        return out
    versions: dict[Any, int] = {}
    for number, raw in enumerate(lines, start=1):
        try:
            line = orjson.loads(raw)
            record, digest, prev = line["record"], line["hash"], line["prev_hash"]
            actual = chain_hash(prev, record)
            position, stream, version = record["position"], record["employee_id"], record["version"]
            if not isinstance(position, int) or not isinstance(version, int):
                raise TypeError("position and version must be integers")
        except (ValueError, KeyError, TypeError):  # JSONDecodeError is a ValueError
            problems.append(f"events.jsonl:{number}: malformed line")
            continue
        if canonical_json(line) != raw:
            problems.append(f"events.jsonl:{number}: not in canonical form (altered)")
        if actual != digest:
            problems.append(f"events.jsonl:{number}: position {position} does not match its hash")
        if last_position is not None and position == last_position + 1 and prev != last_hash:
            problems.append(f"events.jsonl:{number}: chain link to position {last_position} broken")
        # Every exported stream is exported whole: a gap in its versions is a removed event.
        if version != versions.get(stream, 0) + 1:
            problems.append(
                f"events.jsonl:{number}: stream {stream} version {version} follows "
                f"{versions.get(stream, 0)} (an event is missing)"
            )
        versions[stream] = version
        last_position, last_hash = position, digest
        try:
            wire = {
                k: v for k, v in record.items() if k not in ("position", "version", "recorded_at")
            }
            event = parse_event(wire)
            recorded_at = datetime.fromisoformat(record["recorded_at"]).astimezone(COMPANY_TZ)
        except Exception as exc:  # a bundle is untrusted input: report, never crash
            problems.append(f"events.jsonl:{number}: unreadable event ({exc})")
            continue
        out.append(Recorded(event, position, version, recorded_at, digest))
    at_head = isinstance(chain, dict) and last_position == chain.get("head_position")
    if at_head and isinstance(chain, dict) and last_hash != chain.get("head_hash"):
        problems.append("chain.json: head hash does not match the last exported event")
    if isinstance(chain, dict) and chain.get("events") != len(lines):
        problems.append("chain.json: event count does not match events.jsonl")
    return out


def _check_derivation(directory: Path, recorded: list[Recorded], problems: list[str]) -> None:
    adopted: list[AdoptedRulebook] = []
    horizon = None
    for r in recorded:
        data = r.event.data
        if isinstance(data, RulebookAdopted):
            path = directory / "rulebooks" / f"{data.rulebook_id}-v{data.version}.toml"
            if not path.is_file() or path.read_text(encoding="utf-8") != data.document:
                problems.append(f"{path.name}: does not match the adopted document")
            adopted.append(
                AdoptedRulebook(
                    Rulebook.from_toml(data.document),
                    data.document,
                    data.sha256,
                    data.effective_from,
                    data.published_on,
                )
            )
        elif isinstance(data, Ticked):
            horizon = data.now if horizon is None else max(horizon, data.now)
    books = RulebookSet(adopted)
    streams: dict[str, list[Recorded]] = {}
    for r in recorded:
        if r.event.employee_id != LEDGER_STREAM:
            streams.setdefault(r.event.employee_id, []).append(r)
    now = horizon or datetime(1970, 1, 1, tzinfo=COMPANY_TZ)
    for employee_id, stream in sorted(streams.items()):
        outcomes = derive(employee_id, employed([r.event for r in stream]), books, now).by_id()
        derived = set(outcomes)
        states = fold_sanctions(r for r in stream if r.event.type in _DERIVED_SANCTIONS)
        active = {i for i, s in states.items() if not s.voided}
        for same in sorted(derived & active, key=str):
            changed = content_differences(states[same].issued, outcomes[same].to_data())
            if changed:
                problems.append(
                    f"{employee_id}: recorded consequence {same} differs from what the facts "
                    f"imply: {'; '.join(changed)}"
                )
        for missing in sorted(derived - active, key=str):
            problems.append(
                f"{employee_id}: consequence {missing} follows from the facts but is not recorded"
            )
        for extra in sorted(active - derived, key=str):
            problems.append(
                f"{employee_id}: recorded consequence {extra} does not follow from the facts"
            )
