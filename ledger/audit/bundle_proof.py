"""A bundle anchored to a signed checkpoint: every event it holds proven in the log, and no
stream of the period left out.

``ledger export --checkpoint CKPT`` writes the log as of the checkpoint (positions up to its
size) and two more files:

* ``checkpoint.txt``: the signed checkpoint, verbatim;
* ``leaves.jsonl``: for every position of the log *not* in ``events.jsonl``, one canonical
  line ``[position, employee_id, occurred_at, hash]``: the leaf entry of that event
  (:func:`ledger.audit.merkle.leaf_entry`) without its content.

With the exported events' own leaves, these are every leaf of the checkpoint's tree, so the
verifier recomputes the signed root (in one pass, one hash per tree level held): a batch
inclusion proof of every exported event, and a proof that nothing else is in the log. A
leaf names its stream and valid time, so an event of an exported stream missing from
``events.jsonl``, or of a stream with an event in the period that was left out (a dropped
employee), is found; rewriting an event or the bundle's chain changes its leaf and so the
root. (Separate audit paths for each event would cost ~log2(n) hashes each, gigabytes for a
large log, and could not show that a stream was dropped.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ledger.audit.checkpoints import open_checkpoint, read_note
from ledger.audit.merkle import leaf_entry, leaf_hash, streamed_root
from ledger.audit.note import NoteError, PublicKey
from ledger.errors import UsageError
from ledger.events import canonical_json
from ledger.store import EventStore
from ledger.timeutil import Period

__all__ = ["CHECKPOINT_FILE", "LEAVES_FILE", "check_anchor", "write_leaves"]

CHECKPOINT_FILE = "checkpoint.txt"
LEAVES_FILE = "leaves.jsonl"


def write_leaves(store: EventStore, size: int, exported: set[str], handle: BinaryIO) -> int:
    """Write ``leaves.jsonl``: the leaf entries of positions ``1..size`` whose stream is not
    in ``exported``. Returns how many lines."""
    count = 0
    lines: list[bytes] = []
    for position, employee_id, occurred_at, digest in store.leaf_entries(1, size):
        if employee_id not in exported:
            lines.append(canonical_json([position, employee_id, occurred_at, digest]) + b"\n")
            count += 1
            if len(lines) >= 5000:
                handle.write(b"".join(lines))
                lines.clear()
    handle.write(b"".join(lines))
    return count


def _exported(path: Path) -> Iterator[tuple[int, str, str, str]]:
    """``(position, employee_id, occurred_at, hash)`` of each line of ``events.jsonl``
    (malformed lines are reported by the bundle's own checks and skipped here)."""
    with path.open("rb") as handle:
        for raw in handle:
            try:
                line = orjson.loads(raw)
                record = line["record"]
                yield (
                    int(record["position"]),
                    str(record["employee_id"]),
                    str(record["occurred_at"]),
                    str(line["hash"]),
                )
            except (ValueError, KeyError, TypeError):
                continue


def _listed(path: Path, problems: list[str]) -> Iterator[tuple[int, str, str, str]]:
    if not path.is_file():
        problems.append(f"{LEAVES_FILE}: missing (the rest of the log's leaves)")
        return
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                value = orjson.loads(raw)
                position, employee_id, occurred_at, digest = value
                if not isinstance(position, int) or canonical_json(value) + b"\n" != raw:
                    raise ValueError("not canonical")
                yield position, str(employee_id), str(occurred_at), str(digest)
            except (ValueError, TypeError):
                problems.append(f"{LEAVES_FILE}:{number}: malformed line")


def check_anchor(directory: Path, chain: Any, key: PublicKey, problems: list[str]) -> None:
    """Check a bundle against its signed checkpoint; append each problem."""
    try:
        stated = open_checkpoint(read_note(directory / CHECKPOINT_FILE), key)
    except (NoteError, UsageError) as exc:
        problems.append(f"{CHECKPOINT_FILE}: {exc}")
        return
    if not isinstance(chain, dict) or chain.get("head_position") != stated.size:
        problems.append(
            f"chain.json: the bundle does not end at the checkpoint's size {stated.size}"
        )
        return
    try:
        period = Period.parse(str(chain.get("period")))
    except Exception:  # an unparseable period is reported, never a crash
        problems.append("chain.json: no valid period")
        return
    exported = list(_exported(directory / "events.jsonl"))
    streams = {employee for _, employee, _, _ in exported}
    dropped: set[str] = set()

    def merged() -> Iterator[bytes]:
        listed = _listed(directory / LEAVES_FILE, problems)
        events = iter(exported)
        nxt_event = next(events, None)
        nxt_listed = next(listed, None)
        expected = 1
        while nxt_event is not None or nxt_listed is not None:
            if nxt_listed is None or (nxt_event is not None and nxt_event[0] <= nxt_listed[0]):
                entry, nxt_event = nxt_event, next(events, None)
            else:
                entry, nxt_listed = nxt_listed, next(listed, None)
                _check_listed(entry, streams, period, dropped, problems)
            assert entry is not None
            if entry[0] != expected:
                problems.append(
                    f"position {expected} is neither in events.jsonl nor in {LEAVES_FILE}"
                    if entry[0] > expected
                    else f"position {entry[0]} appears twice"
                )
                expected = max(expected, entry[0])
            expected += 1
            try:
                yield leaf_hash(leaf_entry(entry[3], entry[1], entry[2]))
            except ValueError:
                problems.append(f"position {entry[0]}: hash {entry[3]!r} is not 32 bytes of hex")
        if expected <= stated.size:
            problems.append(
                f"positions {expected} to {stated.size} are neither in events.jsonl nor in "
                f"{LEAVES_FILE}"
            )

    count, root = streamed_root(merged())
    for employee in sorted(dropped):
        problems.append(
            f"{employee} has events in {period.label} but is not in the bundle (dropped)"
        )
    if count != stated.size or root != stated.root:
        problems.append(
            f"the bundle's {count} leaves do not hash to the signed root of {stated.size} "
            "events: an event was rewritten, added or removed (or the chain recomputed)"
        )


def _check_listed(
    entry: tuple[int, str, str, str],
    streams: set[str],
    period: Period,
    dropped: set[str],
    problems: list[str],
) -> None:
    position, employee_id, occurred_at, _ = entry
    if employee_id in streams:
        problems.append(
            f"position {position} of exported stream {employee_id} is missing from events.jsonl"
        )
        return
    try:
        when = datetime.fromisoformat(occurred_at)
    except ValueError:
        problems.append(f"{LEAVES_FILE}: position {position} has no valid occurred_at")
        return
    if period.start <= when <= period.last_instant:
        dropped.add(employee_id)
