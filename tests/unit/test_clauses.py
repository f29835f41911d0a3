"""Every rule cites seed clauses, and every quote is verbatim from its seed file."""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from types import MappingProxyType

import pytest

from ledger.policies.clauses import CLAUSES, Clause

RULE_IDS = (
    "ATT-01",
    "ATT-02",
    "SVC-01",
    "SVC-02",
    "SVC-03",
    "SVC-04",
    "SVC-05",
    "SVC-06",
    "CND-01",
    "CND-02",
    "OBD-01",
    "OBD-02",
    "OBD-03",
    "OBD-04",
    "REC-01",
    "REC-02",
    "REC-03",
    "REC-04",
    "REC-05",
    "TRN-01",
    "ESC-01",
    "ESC-02",
    "ESC-03",
    "PAY-01",
    "GRD-01",
    "PRM-01",
    "APL-01",
)

SEED_NAME = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")

ALL_CLAUSES = [
    pytest.param(rule_id, index, clause, id=f"{rule_id}[{index}]")
    for rule_id, clauses in CLAUSES.items()
    for index, clause in enumerate(clauses)
]


def seeds_dir() -> Path:
    """``$LEDGER_SEEDS``, else ``<repo>/../shared/seeds``."""
    configured = os.environ.get("LEDGER_SEEDS")
    if configured:
        return Path(configured)
    repo = Path(__file__).resolve().parents[2]
    return repo.parent / "shared" / "seeds"


@cache
def seed_text(name: str) -> str:
    with open(seeds_dir() / name, encoding="utf-8") as handle:
        return handle.read()


def test_every_rule_has_clauses() -> None:
    missing = [rule_id for rule_id in RULE_IDS if not CLAUSES.get(rule_id)]
    assert missing == []


def test_no_unknown_rule_ids() -> None:
    assert set(CLAUSES) == set(RULE_IDS)


def test_mapping_is_read_only() -> None:
    assert isinstance(CLAUSES, MappingProxyType)
    for clauses in CLAUSES.values():
        assert isinstance(clauses, tuple)


@pytest.mark.parametrize(("rule_id", "index", "clause"), ALL_CLAUSES)
def test_clause_fields(rule_id: str, index: int, clause: Clause) -> None:
    assert isinstance(clause, Clause)
    assert SEED_NAME.match(clause.seed), clause.seed
    assert clause.section.strip()
    assert clause.gloss.strip()
    assert 20 <= len(clause.text) <= 200, len(clause.text)
    assert clause.text == clause.text.strip()


@pytest.mark.parametrize(("rule_id", "index", "clause"), ALL_CLAUSES)
def test_quote_is_verbatim(rule_id: str, index: int, clause: Clause) -> None:
    directory = seeds_dir()
    if not directory.is_dir():
        pytest.skip(f"seed directory {directory} is absent (set LEDGER_SEEDS)")
    assert (directory / clause.seed).is_file(), f"{rule_id}: no seed file {clause.seed}"
    assert clause.text in seed_text(clause.seed), f"{rule_id}[{index}] is not verbatim"


@pytest.mark.parametrize("rule_id", ["ATT-02", "PAY-01"])
def test_law_based_rules_name_the_law(rule_id: str) -> None:
    law = {"ATT-02": "劳动合同法 第39条", "PAY-01": "工资支付暂行规定 第16条"}[rule_id]
    assert law in CLAUSES[rule_id][0].gloss
