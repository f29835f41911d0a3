"""End-to-end: what the people a consequence judges read (issue 16).

The demo quarter (``ledger demo``, 48 employees, deterministic) gives warnings with fines,
bonuses and an appeal. Checked: ``ledger notice`` in every format and language, ``rules``
quoting clean titled clauses, ``explain`` without Python reprs, and listings at 80 columns.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

TITLES = (
    "公司优质服务规范细则",
    "服务到位服从管理制度",
    "客户服务五要素细则",
    "公司服务规范",
    "服务规章制度",
)


def ledger(db: Path, *args: str, columns: int = 160) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LEDGER_DB"} | {"COLUMNS": str(columns)}
    return subprocess.run(
        [sys.executable, "-m", "ledger", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def ok(db: Path, *args: str, columns: int = 160) -> str:
    result = ledger(db, *args, columns=columns)
    assert result.returncode == 0, f"ledger {' '.join(args)}: {result.stderr}"
    assert result.stderr == "", result.stderr  # no progress off a terminal
    return result.stdout


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("face") / "demo.db"
    ok(path, "demo")
    return path


@pytest.fixture(scope="module")
def rows(db: Path) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = json.loads(ok(db, "sanctions", "--format", "json"))
    return listed


def warning_with_fine(rows: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    by_id = {r["sanction_id"]: r for r in rows}
    fine = next(
        r
        for r in rows
        if r["kind"] == "fine"
        and r["status"] == "active"
        and by_id.get(r["attached_to"] or "", {}).get("kind") == "warning"
    )
    return by_id[fine["attached_to"]], fine


def test_the_html_notice_states_clause_fine_and_appeal(
    db: Path, rows: list[dict[str, Any]]
) -> None:
    warning, fine = warning_with_fine(rows)
    page = ok(db, "notice", warning["sanction_id"][:8], "--format", "html")
    assert page.startswith("<!DOCTYPE html>") and "处分通知书" in page
    assert "@page { size: A4" in page and "@media print" in page
    assert not re.search(r"""(src|href)=|url\(|@import|https?://""", page)  # nothing external
    assert any(f"《{title}》" in page for title in TITLES)  # the regulation's title and clause
    assert "罚款" in page and fine["amount"] in page and "20%" in page  # fine and its cap
    assert "申诉" in page and "人力资源部" in page and "15 天内" in page  # how to appeal
    assert warning["sanction_id"] in page and "sha256" in page  # small print


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_the_notice_reads_in_english_too(db: Path, rows: list[dict[str, Any]], fmt: str) -> None:
    warning, fine = warning_with_fine(rows)
    text = ok(db, "notice", warning["sanction_id"], "--format", fmt, "--lang", "en")
    assert "Notice of disciplinary action" in text
    assert "How to appeal" in text and "Human Resources" in text
    assert f"A fine of {fine['amount']} CNY" in text
    assert "stays on record until" in text
    assert "{'" not in text and "':" not in text  # no Python reprs


def test_a_reward_gets_a_reward_notice(db: Path, rows: list[dict[str, Any]]) -> None:
    bonus = next(r for r in rows if r["kind"] == "bonus")
    text = ok(db, "notice", bonus["sanction_id"])
    assert text.startswith("奖励通知") and "处分" not in text and "申诉" not in text
    assert "奖金" in text and bonus["amount"] in text


def test_a_notice_of_an_unknown_id_is_refused(db: Path) -> None:
    result = ledger(db, "notice", "ffffffff-0000")
    assert result.returncode == 2 and "no consequence" in result.stderr
    assert result.stdout == ""


def test_rules_quote_clean_titled_clauses_and_list_grd_and_pay(db: Path) -> None:
    listed = {r["rule_id"]: r for r in json.loads(ok(db, "rules", "--format", "json"))}
    assert {"GRD-01", "PAY-01"} <= set(listed)
    assert listed["GRD-01"]["parameters"]["grade"]["excellent"] == 90
    assert listed["PAY-01"]["parameters"]["jurisdiction"]["deduction_cap_percent"] == 20
    for rule_id, row in listed.items():
        assert row["regulation"] in TITLES, rule_id
        assert row["clauses"] and all(c["title"] in TITLES for c in row["clauses"]), rule_id
        for clause in row["clauses"]:
            assert not re.search(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔù]+\)|\?|\n", clause["text"]), rule_id
    assert "48小时内解决" in listed["SVC-03"]["clause"]
    assert not any("72" in c["text"] for c in listed["SVC-03"]["clauses"])


def test_explain_prints_no_reprs_and_marks_grace_items(
    db: Path, rows: list[dict[str, Any]]
) -> None:
    attendance = [r for r in rows if r["rule_id"] == "ATT-01" and r["kind"] == "warning"]
    assert attendance
    warning, fine = warning_with_fine(rows)
    texts = [ok(db, "explain", r["sanction_id"]) for r in (*attendance, warning)]
    for text in texts:
        assert "{'" not in text and "':" not in text
        assert "Appeal 申诉" in text
    grace = [t for t in texts if "not counted 不计入" in t]
    assert grace and all("-> 0 " not in t for t in texts)
    assert f"with it 附带: 罚款 fine {fine['amount']} CNY" in texts[-1]
    bonus = next(r for r in rows if r["kind"] == "bonus")
    assert "reward 奖励编号" in ok(db, "explain", bonus["sanction_id"])


@pytest.mark.parametrize(
    "command",
    [
        ("sanctions", "--period", "2026Q3"),
        ("payroll", "--period", "2026Q3"),
        ("scorecards", "--period", "2026Q3"),
        ("rules",),
    ],
)
def test_at_80_columns_every_id_and_amount_is_whole(db: Path, command: tuple[str, ...]) -> None:
    text = (
        ok(db, *command, "--limit", "30", columns=80)
        if command[0] != "rules"
        else ok(db, *command, columns=80)
    )
    assert max(len(line) for line in text.splitlines()) <= 80, text
    if command[0] == "rules":
        return
    listed = json.loads(ok(db, *command, "--format", "json", "--limit", "30"))
    cards = listed["scorecards"] if isinstance(listed, dict) else listed
    for row in cards:
        for key in ("sanction_id", "employee_id", "amount", "deducted", "due", "fines"):
            value = row.get(key)
            if isinstance(value, str) and value:
                shown = value[:8] if key == "sanction_id" else value
                assert re.search(rf"(^|\s){re.escape(shown)}(\s|$)", text, re.M), (key, shown)


def test_payroll_csv_has_the_documented_columns_true_false_and_an_excel_bom(db: Path) -> None:
    header, first, *_ = ok(db, "payroll", "--format", "csv", "--limit", "2").splitlines()
    assert header == "employee_id,month,wage,cap,due,deducted,carried,refunded,bonuses,closed"
    assert first.endswith((",true", ",false"))
    excel = ok(db, "payroll", "--excel", "--limit", "2")
    assert excel.startswith("\ufeffemployee_id,month,")
    assert excel[1:] == ok(db, "payroll", "--format", "csv", "--limit", "2")
    refused = ledger(db, "payroll", "--excel", "--format", "json")
    assert refused.returncode == 2 and "--excel" in refused.stderr
