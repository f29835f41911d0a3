"""Offline audit bundles: a realistic quarter's bundle verifies, and any change to it is found.

The bundle is exported once per module from the 2026Q3 of ``audit_helpers.build_quarter``
(six employees, two rulebook versions, month-end ticks, an upheld appeal, a retraction); each
test alters a private copy. Changes are found by the manifest, by the hashes and links of
``events.jsonl``, by the canonical form of the JSON files, and — when an attacker rewrites the
whole bundle consistently — by re-deriving the consequences from the bundled facts.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from audit_helpers import Quarter, build_quarter, relink, remanifest
from hypothesis import given
from hypothesis import strategies as st

from ledger.app import Ledger
from ledger.audit.bundle import export_bundle, verify_bundle
from ledger.errors import UsageError
from ledger.events import canonical_json
from ledger.timeutil import Period

FILES = [
    "events.jsonl",
    "chain.json",
    "manifest.json",
    "rulebooks/service-standard-v1.toml",
    "rulebooks/service-standard-v2.toml",
]
OFFSETS = ["first", "last", 0.1, 0.25, 0.5, 0.75, 0.9]


@pytest.fixture(scope="module")
def quarter() -> Quarter:
    return build_quarter(lambda clock: Ledger.in_memory(clock=clock))


@pytest.fixture(scope="module")
def exported(quarter: Quarter, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "audit-2026Q3"
    export_bundle(quarter.ledger, Period.parse("2026Q3"), out)
    return out


@pytest.fixture
def bundle(exported: Path, tmp_path: Path) -> Path:
    """A private copy of the exported bundle."""
    return Path(shutil.copytree(exported, tmp_path / "copy"))


def lines(bundle: Path) -> list[dict[str, Any]]:
    return [orjson.loads(raw) for raw in (bundle / "events.jsonl").read_bytes().splitlines()]


def flip(path: Path, offset: int, mask: int = 0x01) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


# -- an honest bundle ------------------------------------------------------------------------


def test_a_realistic_quarter_bundle_verifies(exported: Path, quarter: Quarter) -> None:
    assert verify_bundle(exported) == []
    files = sorted(p.relative_to(exported).as_posix() for p in exported.rglob("*") if p.is_file())
    assert files == sorted(FILES)
    manifest = orjson.loads((exported / "manifest.json").read_bytes())
    assert sorted(manifest["files"]) == sorted(f for f in FILES if f != "manifest.json")
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((exported / name).read_bytes()).hexdigest() == digest
    chain = orjson.loads((exported / "chain.json").read_bytes())
    store = quarter.ledger.store
    assert chain["period"] == "2026Q3"
    assert chain["employees"] == ["E01", "E02", "E03", "E04", "E05", "E06"]
    assert (chain["head_position"], chain["head_hash"]) == (store.head(), store.head_hash())
    assert chain["events"] == store.head()  # everyone acted in the quarter: the whole log
    records = [line["record"] for line in lines(exported)]
    types = {r["type"] for r in records}
    assert {
        "rulebook.adopted",
        "ledger.ticked",
        "sanction.issued",
        "sanction.revoked",
        "sanction.voided",
        "appeal.decided",
        "correction.retracted",
        "grade.assigned",
        "payroll.closed",
    } <= types
    adopted = [r["data"] for r in records if r["type"] == "rulebook.adopted"]
    for data in adopted:
        name = f"rulebooks/{data['rulebook_id']}-v{data['version']}.toml"
        assert (exported / name).read_text(encoding="utf-8") == data["document"]


def test_export_refuses_a_directory_that_is_not_empty(quarter: Quarter, tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("x")
    with pytest.raises(UsageError):
        export_bundle(quarter.ledger, Period.parse("2026Q3"), tmp_path)


def test_a_month_bundle_holds_only_the_streams_active_in_it(
    quarter: Quarter, tmp_path: Path
) -> None:
    chain = export_bundle(quarter.ledger, Period.parse("2026-09"), tmp_path / "b")
    # September: E03's appeal, E05's retraction, and the month-end payroll/grades for all.
    assert "E03" in chain["employees"]
    assert "E05" in chain["employees"]
    assert verify_bundle(tmp_path / "b") == []


# -- any byte changed ------------------------------------------------------------------------


@pytest.mark.parametrize("offset", OFFSETS, ids=str)
@pytest.mark.parametrize("name", FILES)
def test_flipping_any_single_byte_is_detected(bundle: Path, name: str, offset: Any) -> None:
    path = bundle / name
    size = path.stat().st_size
    at = 0 if offset == "first" else size - 1 if offset == "last" else int(size * offset)
    flip(path, at)
    problems = verify_bundle(bundle)
    assert problems, f"{name}[{at}] changed unnoticed"


@given(
    name=st.sampled_from(FILES),
    where=st.floats(min_value=0, max_value=1, exclude_max=True),
    mask=st.integers(min_value=1, max_value=255),
)
def test_any_byte_of_any_file_changed_in_any_way_is_detected(
    exported: Path, name: str, where: float, mask: int
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        bundle = Path(shutil.copytree(exported, Path(scratch) / "b"))
        path = bundle / name
        at = int(path.stat().st_size * where)
        flip(path, at, mask)
        problems = verify_bundle(bundle)  # never raises: a bundle is untrusted input
        assert problems, f"{name}[{at}] ^ {mask:#x} changed unnoticed"


def test_a_changed_event_is_named_by_line(bundle: Path) -> None:
    raw = (bundle / "events.jsonl").read_bytes()
    first_newline = raw.index(b"\n")
    flip(bundle / "events.jsonl", first_newline + 20)  # inside the hash of line 2
    problems = verify_bundle(bundle)
    assert "events.jsonl: sha256 does not match the manifest (altered)" in problems
    assert any(p.startswith("events.jsonl:2:") for p in problems)


# -- files removed or added ------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_a_removed_file_is_detected(bundle: Path, name: str) -> None:
    (bundle / name).unlink()
    problems = verify_bundle(bundle)
    assert problems
    if name != "manifest.json":
        assert f"{name}: listed in the manifest but missing" in problems


@pytest.mark.parametrize("name", ["notes.txt", "rulebooks/service-standard-v3.toml"])
def test_an_unlisted_file_is_detected(bundle: Path, name: str) -> None:
    (bundle / name).write_text("id = 'service-standard'\n", encoding="utf-8")
    assert f"{name}: not in the manifest" in verify_bundle(bundle)


# -- a consistently rewritten bundle: only re-deriving catches it --------------------------


def rewrite(bundle: Path, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
    """Rewrite the bundle as a careful attacker would: edit the records, then renumber
    positions and stream versions, recompute every hash and link, the chain head, the event
    count and the manifest, all in canonical form."""
    records = edit([line["record"] for line in lines(bundle)])
    data, prev = relink(records)
    (bundle / "events.jsonl").write_bytes(data)
    chain = orjson.loads((bundle / "chain.json").read_bytes())
    chain.update(head_position=len(records), head_hash=prev, events=len(records))
    (bundle / "chain.json").write_bytes(canonical_json(chain))
    remanifest(bundle)


def issued(records: list[dict[str, Any]], emp: str, rule_id: str, kind: str) -> int:
    (index,) = [
        i
        for i, r in enumerate(records)
        if r["type"] == "sanction.issued"
        and r["employee_id"] == emp
        and (r["data"]["rule_id"], r["data"]["kind"]) == (rule_id, kind)
    ]
    return index


def test_the_rewriter_alone_changes_nothing(bundle: Path, exported: Path) -> None:
    rewrite(bundle, lambda records: records)
    for name in FILES:
        assert (bundle / name).read_bytes() == (exported / name).read_bytes(), name
    assert verify_bundle(bundle) == []


@pytest.mark.parametrize(
    ("emp", "rule_id", "kind"),
    [("E02", "SVC-02", "notice"), ("E05", "CND-01", "fine"), ("E04", "REC-01", "bonus")],
)
def test_a_removed_consequence_fails_the_derivation_check(
    bundle: Path, emp: str, rule_id: str, kind: str
) -> None:
    removed: list[str] = []

    def drop(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        index = issued(records, emp, rule_id, kind)
        removed.append(records[index]["data"]["sanction_id"])
        return records[:index] + records[index + 1 :]

    rewrite(bundle, drop)
    assert verify_bundle(bundle) == [
        f"{emp}: consequence {removed[0]} follows from the facts but is not recorded"
    ]


def test_a_changed_amount_fails_the_derivation_check(bundle: Path) -> None:
    changed: list[str] = []

    def cheapen(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        index = issued(records, "E05", "CND-01", "fine")
        data = records[index]["data"]
        changed.append(data["sanction_id"])
        records[index] = {**records[index], "data": {**data, "amount": "1.00"}}
        return records

    rewrite(bundle, cheapen)
    (problem,) = verify_bundle(bundle)
    assert problem.startswith(f"E05: recorded consequence {changed[0]} differs")
    assert "amount 1.00 -> 100.00" in problem


def test_an_invented_consequence_fails_the_derivation_check(bundle: Path) -> None:
    def invent(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        index = issued(records, "E05", "CND-01", "fine")
        fake = dict(records[index])
        fake["event_id"] = "01a20000-0000-7000-8000-000000000001"
        fake["employee_id"] = "E06"
        fake["data"] = {**fake["data"], "sanction_id": "00000000-0000-5000-8000-000000000001"}
        return [*records, fake]

    rewrite(bundle, invent)
    assert verify_bundle(bundle) == [
        "E06: recorded consequence 00000000-0000-5000-8000-000000000001 does not follow "
        "from the facts"
    ]


def test_a_fact_removed_without_renumbering_is_detected(bundle: Path) -> None:
    """Dropping a line and fixing only the count and the manifest leaves a version gap."""
    raw = (bundle / "events.jsonl").read_bytes().splitlines(keepends=True)
    index = next(
        i
        for i, line in enumerate(raw)
        if b'"type":"employee.qualification_assessed"' in line and b'"employee_id":"E06"' in line
    )
    (bundle / "events.jsonl").write_bytes(b"".join(raw[:index] + raw[index + 1 :]))
    chain = orjson.loads((bundle / "chain.json").read_bytes())
    chain["events"] -= 1
    (bundle / "chain.json").write_bytes(canonical_json(chain))
    listed = orjson.loads((bundle / "manifest.json").read_bytes())["files"]
    for name in listed:
        listed[name] = hashlib.sha256((bundle / name).read_bytes()).hexdigest()
    (bundle / "manifest.json").write_bytes(canonical_json({"files": listed}))
    (problem,) = verify_bundle(bundle)  # the facts left still derive the same consequences
    assert "stream E06 version 3 follows 1 (an event is missing)" in problem
