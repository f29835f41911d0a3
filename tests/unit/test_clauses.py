"""Every rule cites clean, titled, simplified regulation clauses, shipped in the package.

The shipped clauses (``ledger/regulations/clauses.json``) need nothing outside the
repository; only the traceability check against the scraped seeds (``../shared/seeds``)
skips where they are absent.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType, ModuleType

import opencc
import pytest

from ledger.policies.clauses import CLAUSES, Clause

REPO = Path(__file__).resolve().parents[2]

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

TITLES = {
    "公司优质服务规范细则",
    "服务到位服从管理制度",
    "客户服务五要素细则",
    "公司服务规范",
    "服务规章制度",
}

SEED_NAME = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")

ALL_CLAUSES = [
    pytest.param(rule_id, index, clause, id=f"{rule_id}[{index}]")
    for rule_id, clauses in CLAUSES.items()
    for index, clause in enumerate(clauses)
]

T2S = opencc.OpenCC("t2s")


@cache
def tool() -> ModuleType:
    """``tools/clean_clauses.py``, the script that computes the clean texts."""
    spec = importlib.util.spec_from_file_location("clean_clauses", REPO / "tools/clean_clauses.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seeds_dir() -> Path:
    """``$LEDGER_SEEDS``, else ``<repo>/../shared/seeds``."""
    configured = os.environ.get("LEDGER_SEEDS")
    return Path(configured) if configured else REPO.parent / "shared" / "seeds"


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
def test_clause_is_clean_titled_and_simplified(rule_id: str, index: int, clause: Clause) -> None:
    assert isinstance(clause, Clause)
    assert clause.title in TITLES
    assert SEED_NAME.match(clause.seed), clause.seed
    assert clause.section.strip() and clause.gloss.strip() and clause.original.strip()
    assert 10 <= len(clause.text) <= 200, len(clause.text)
    # simplified: OpenCC finds nothing traditional left, in the text or the section
    assert T2S.convert(clause.text) == clause.text
    assert T2S.convert(clause.section) == clause.section
    # no scraping debris: pinyin glosses, line breaks, stray spaces, mojibake
    assert not re.search(r"[a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔù]", clause.text), clause.text
    assert not re.search(r"\s", clause.text), clause.text
    assert "?" not in clause.text and "\ufffd" not in clause.text
    assert clause.source == f"{clause.title} {clause.section}"


def test_the_shipped_clauses_are_what_the_cleaning_tool_computes() -> None:
    """The committed texts are ``tools/clean_clauses.py`` applied to the originals, so
    nothing was changed by hand beyond the tool's listed repairs."""
    path = REPO / "ledger/regulations/clauses.json"
    assert tool().main(["--check", "--data", str(path)]) == 0


@pytest.mark.parametrize(
    ("original", "clean"),
    [
        ("應(yīng)按照公司的請假流程", "应按照公司的请假流程"),
        ("給予提出建議的員工適當?shù)莫剟睢", "给予提出建议的员工适当的奖励"),
        ("本人要向用户赔礼、\n道歉。", "本人要向用户赔礼、道歉。"),
        ("不参加 “ 黄 、 赌 、 毒 ” 活动 , 不养成", "不参加“黄、赌、毒”活动，不养成"),
        ("1、对《规范》的执行情况,“各科室每月", "对《规范》的执行情况，各科室每月"),
        ("我司规定必须在24小时内给予回复", "我司规定必须在24小时内给予回复"),
    ],
)
def test_cleaning_removes_debris_only(original: str, clean: str) -> None:
    assert tool().clean(original) == clean


def test_svc03_cites_the_48_hour_clause_only() -> None:
    texts = [c.text for c in CLAUSES["SVC-03"]]
    assert "48小时内解决" in texts[0]
    assert not any("72" in text for text in texts)


@pytest.mark.parametrize("rule_id", ["ATT-02", "PAY-01"])
def test_law_based_rules_name_the_law(rule_id: str) -> None:
    law = {"ATT-02": "劳动合同法 第39条", "PAY-01": "工资支付暂行规定 第16条"}[rule_id]
    assert law in CLAUSES[rule_id][0].gloss


def test_the_clauses_ship_in_the_package() -> None:
    text = resources.files("ledger.regulations").joinpath("clauses.json").read_text("utf-8")
    assert set(json.loads(text)["rules"]) == set(RULE_IDS)
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    assert "*.json" in pyproject["tool"]["setuptools"]["package-data"]["ledger.regulations"]


def test_clause_originals_trace_to_the_seed_files() -> None:
    """Traceability: every original is verbatim in its seed file, and the seed is the
    regulation named (its title in the text). Skips only where the seeds are absent."""
    directory = seeds_dir()
    if not directory.is_dir():
        pytest.skip(f"seed directory {directory} is absent (set LEDGER_SEEDS)")
    problems = []
    for rule_id, clauses in CLAUSES.items():
        for index, clause in enumerate(clauses):
            path = directory / clause.seed
            if not path.is_file():
                problems.append(f"{rule_id}[{index}]: no seed file {clause.seed}")
                continue
            seed = path.read_text(encoding="utf-8")
            if clause.original not in seed:
                problems.append(f"{rule_id}[{index}]: original is not verbatim in {clause.seed}")
            if clause.title not in T2S.convert(tool().PINYIN.sub("", seed)):
                problems.append(f"{rule_id}[{index}]: {clause.seed} is not 《{clause.title}》")
    assert problems == []
