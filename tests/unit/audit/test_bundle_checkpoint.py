"""Bundles cut at a signed checkpoint (ledger/audit/bundle_proof.py): every leaf of the log is
accounted for, so a dropped employee or a rewritten chain fails even when the attacker also
recomputes ``chain.json`` and the manifest."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from audit_helpers import Quarter, build_quarter, relink, remanifest

from ledger.app import Ledger
from ledger.audit import (
    CheckpointMismatch,
    checkpoint,
    generate_keypair,
    load_private_key,
    load_public_key,
)
from ledger.audit.bundle import export_bundle, verify_bundle
from ledger.audit.note import PublicKey
from ledger.events import canonical_json
from ledger.testing import hired, late, make
from ledger.timeutil import Period

Keys = tuple[PublicKey, PublicKey]


@pytest.fixture(scope="module")
def anchored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Keys, Quarter]:
    """A bundle of 2026Q3 cut at a checkpoint, from a ledger that also holds an employee
    with no event in the quarter (so leaves.jsonl is not empty) and events after it."""
    folder = tmp_path_factory.mktemp("anchored")
    private, public = generate_keypair(folder / "k")
    _, other = generate_keypair(folder / "other")
    quarter = build_quarter(lambda clock: Ledger.in_memory(clock=clock))
    ledger = quarter.ledger
    ledger.record(
        [
            hired("Z9", at="2026-02-02 09:00"),
            late("Z9", at="2026-02-03 09:30"),
            make("employee.separated", "Z9", at="2026-03-20 18:00", reason="moved away"),
        ]
    )
    note = checkpoint(ledger, load_private_key(private)).note
    ledger.record([late("E01", at="2026-09-30 09:30")])  # after the checkpoint
    (folder / "ckpt.txt").write_text(note)
    out = folder / "bundle"
    export_bundle(ledger, Period.parse("2026Q3"), out, note)
    return out, (load_public_key(public), load_public_key(other)), quarter


@pytest.fixture
def bundle(anchored: tuple[Path, Keys, Quarter], tmp_path: Path) -> Path:
    return Path(shutil.copytree(anchored[0], tmp_path / "copy"))


def key(anchored: tuple[Path, Keys, Quarter]) -> PublicKey:
    return anchored[1][0]


def test_an_anchored_bundle_verifies(anchored: tuple[Path, Keys, Quarter]) -> None:
    out, _, quarter = anchored
    chain = orjson.loads((out / "chain.json").read_bytes())
    size = quarter.ledger.store.head() - 2  # the checkpoint's record and the late fact follow
    assert chain["head_position"] == size
    leaves = (out / "leaves.jsonl").read_bytes().splitlines()
    assert {orjson.loads(line)[1] for line in leaves} == {"Z9"}
    manifest = orjson.loads((out / "manifest.json").read_bytes())["files"]
    assert {"checkpoint.txt", "leaves.jsonl"} <= set(manifest)
    assert verify_bundle(out) == []
    assert verify_bundle(out, key(anchored)) == []


def test_another_key_fails(anchored: tuple[Path, Keys, Quarter]) -> None:
    problems = verify_bundle(anchored[0], anchored[1][1])
    assert any("checkpoint.txt" in p and "another key" in p for p in problems)


def test_a_bundle_without_a_checkpoint_fails_with_a_key(
    anchored: tuple[Path, Keys, Quarter], tmp_path: Path
) -> None:
    plain = tmp_path / "plain"
    export_bundle(anchored[2].ledger, Period.parse("2026Q3"), plain)
    assert verify_bundle(plain) == []
    assert any("checkpoint.txt" in p for p in verify_bundle(plain, key(anchored)))


def test_a_checkpoint_of_another_log_is_refused(
    anchored: tuple[Path, Keys, Quarter], tmp_path: Path
) -> None:
    note = (anchored[0] / "checkpoint.txt").read_text()
    with Ledger.in_memory() as other, pytest.raises(CheckpointMismatch):
        export_bundle(other, Period.parse("2026Q3"), tmp_path / "x", note)


def reseal(bundle: Path) -> None:
    """Recompute chain.json's count and head and the manifest, as an attacker would."""
    events = (bundle / "events.jsonl").read_bytes().splitlines()
    chain = orjson.loads((bundle / "chain.json").read_bytes())
    last = orjson.loads(events[-1])
    chain["events"] = len(events)  # the head stays at the checkpoint's size, as it must
    if last["record"]["position"] == chain["head_position"]:
        chain["head_hash"] = last["hash"]
    chain["employees"] = sorted(
        {orjson.loads(e)["record"]["employee_id"] for e in events} - {"_ledger"}
    )
    (bundle / "chain.json").write_bytes(canonical_json(chain))
    remanifest(bundle)


def rechain(
    bundle: Path, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]], renumber: bool
) -> None:
    """Edit the records, recompute every hash and link (renumbering positions and versions
    when asked), then reseal."""
    lines = [orjson.loads(raw) for raw in (bundle / "events.jsonl").read_bytes().splitlines()]
    data, _ = relink(edit([line["record"] for line in lines]), renumber=renumber)
    (bundle / "events.jsonl").write_bytes(data)
    reseal(bundle)


def test_a_dropped_employee_fails(anchored: tuple[Path, Keys, Quarter], bundle: Path) -> None:
    rechain(bundle, lambda rs: [r for r in rs if r["employee_id"] != "E06"], renumber=True)
    assert verify_bundle(bundle) == []  # the bundle is consistent in itself
    problems = verify_bundle(bundle, key(anchored))
    assert any("do not hash to the signed root" in p for p in problems)


def test_a_dropped_employee_listed_as_leaves_fails(
    anchored: tuple[Path, Keys, Quarter], bundle: Path
) -> None:
    """The attacker keeps the positions and moves the employee's leaves to leaves.jsonl:
    the root holds, but the leaves show an event of the period outside the bundle."""
    kept, moved = [], []
    for raw in (bundle / "events.jsonl").read_bytes().splitlines():
        line = orjson.loads(raw)
        record = line["record"]
        if record["employee_id"] == "E06":
            moved.append(
                [record["position"], "E06", record["occurred_at"], line["hash"]],
            )
        else:
            kept.append(raw + b"\n")
    (bundle / "events.jsonl").write_bytes(b"".join(kept))
    listed = [orjson.loads(raw) for raw in (bundle / "leaves.jsonl").read_bytes().splitlines()]
    merged = sorted(listed + moved)
    (bundle / "leaves.jsonl").write_bytes(b"".join(canonical_json(v) + b"\n" for v in merged))
    reseal(bundle)
    problems = verify_bundle(bundle, key(anchored))
    assert "E06 has events in 2026Q3 but is not in the bundle (dropped)" in problems
    assert not any("signed root" in p for p in problems)


def test_a_rewritten_chain_fails(anchored: tuple[Path, Keys, Quarter], bundle: Path) -> None:
    def edit(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for record in records:
            if record["type"] == "service.phone_answered" or record["type"].startswith("task."):
                record["recorded_by"] = "someone-else"
                break
        return records

    rechain(bundle, edit, renumber=False)
    problems = verify_bundle(bundle, key(anchored))
    assert any("signed root" in p for p in problems)


def test_a_removed_leaf_line_fails(anchored: tuple[Path, Keys, Quarter], bundle: Path) -> None:
    (bundle / "leaves.jsonl").write_bytes(b"")
    reseal(bundle)
    problems = verify_bundle(bundle, key(anchored))
    assert any("neither in events.jsonl nor in leaves.jsonl" in p for p in problems)
