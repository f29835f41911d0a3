"""``explain``: why a consequence exists, for an auditor and for the employee who received it.

The consequences come from the realistic 2026Q3 of ``audit_helpers.build_quarter``; every
expectation is worked from RULEBOOK.md v1 (and v2, which raises the warning fine to 60.00 from
2026-08-01): 40 minutes late is a major lateness worth 1 attendance point; the ladder issues a
notice at 4 points and a warning at 6 in a rolling 12 months; a complaint must be replied to
within 24 h; two live warnings escalate to a demerit (ESC-01); a commendation revokes the
oldest live warning (REC-05); an upheld appeal voids the consequence.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from audit_helpers import DEFAULT_DOC, V2_DOC, Quarter, build_quarter, tampering

from ledger.app import Ledger
from ledger.audit import explain
from ledger.errors import NotFoundError

V1_SHA = hashlib.sha256(DEFAULT_DOC.encode("utf-8")).hexdigest()
V2_SHA = hashlib.sha256(V2_DOC.encode("utf-8")).hexdigest()


@pytest.fixture(scope="module")
def quarter() -> Quarter:
    return build_quarter(lambda clock: Ledger.in_memory(clock=clock))


def explained(quarter: Quarter, name: str) -> dict[str, Any]:
    data = explain(quarter.ledger, quarter.notable[name]).to_json()
    json.dumps(data)  # the JSON form is plain JSON
    return data


def test_a_threshold_crossing_shows_the_counted_facts_threshold_and_window(
    quarter: Quarter,
) -> None:
    data = explained(quarter, "threshold")
    late = quarter.facts["late"]
    sixth = late[-1]

    assert data["sanction"]["kind"] == "warning"
    assert data["sanction"]["employee_id"] == "E01"
    assert data["sanction"]["issued_at"] == "2026-07-08T09:40:00+08:00"
    assert data["sanction"]["expires_at"] == "2027-01-08T09:40:00+08:00"
    assert data["rule"]["rule_id"] == "ATT-01"
    assert data["rule"]["version"] == 1
    assert "考勤" in data["rule"]["title"]
    assert data["rule"]["clause"]
    assert data["rule"]["clauses"][0]["seed"].endswith(".txt")
    assert data["rule"]["clauses"][0]["section"]
    assert data["rulebook"] == {
        "id": "service-standard",
        "version": 1,
        "sha256": V1_SHA,
        "published_on": "2020-01-01",
        "effective_from": "2020-01-01",
    }

    basis = data["basis"]
    assert basis["counter"] == "attendance points"
    assert (basis["previous"], basis["value"], basis["threshold"]) == ("5", "6", "6")
    assert basis["window_end"] == "2026-07-08T09:40:00+08:00"
    assert basis["window_start"] == "2025-07-08T09:40:00+08:00"
    counted = [(c["event_id"], c["type"], c["value"]) for c in basis["counted"]]
    assert counted == [(str(e.event_id), "attendance.late_arrival", "1") for e in late]
    assert [c["occurred_at"] for c in basis["counted"]] == [e.occurred_at.isoformat() for e in late]

    (fact,) = data["caused_by"]
    assert fact["event_id"] == str(sixth.event_id)
    assert fact["type"] == "attendance.late_arrival"
    assert fact["data"] == {"minutes": 40}
    assert fact["recorded_by"] == "system:badge-gateway"
    assert fact["occurred_at"] == "2026-07-08T09:40:00+08:00"
    assert fact["recorded_at"] == "2026-07-08T10:10:00+08:00"
    assert fact["evidence"] == ["badge:E01:2026-07-08"]
    assert fact["position"] > 0
    assert len(fact["hash"]) == 64
    assert data["depends_on"] == []
    assert data["chain_verified"] is True


def test_a_deadline_miss_shows_the_due_time(quarter: Quarter) -> None:
    data = explained(quarter, "deadline")
    (complaint,) = quarter.facts["complaint"]
    due = "2026-07-02T10:00:00+08:00"

    assert data["rule"]["rule_id"] == "SVC-02"
    assert data["sanction"]["kind"] == "notice"
    assert data["sanction"]["issued_at"] == due
    basis = data["basis"]
    assert basis["window_start"] == "2026-07-01T10:00:00+08:00"
    assert basis["window_end"] == due
    assert due in basis["summary"]
    assert due in basis["summary_zh"]
    assert ["hours", "24"] in basis["parameters"]
    assert [f["event_id"] for f in data["caused_by"]] == [str(complaint.event_id)]
    assert data["caused_by"][0]["recorded_by"] == "system:complaint-desk"
    assert data["caused_by"][0]["data"] == {"complaint_id": "C-7", "channel": "phone"}
    assert data["chain_verified"] is True
    assert due in explain(quarter.ledger, quarter.notable["deadline"]).text()


def test_an_escalation_lists_the_warnings_it_continues(quarter: Quarter) -> None:
    data = explained(quarter, "escalation")
    warnings = sorted(
        (s for s in quarter.ledger.sanctions("E03") if s.issued.kind == "warning"),
        key=lambda s: s.issued.effective_at,
    )
    assert len(warnings) == 2

    assert data["rule"]["rule_id"] == "ESC-01"
    assert data["sanction"]["kind"] == "demerit"
    assert data["sanction"]["issued_at"] == "2026-08-12T11:00:00+08:00"
    assert sorted(data["depends_on"], key=lambda d: d["sanction_id"]) == sorted(
        (
            {"sanction_id": str(w.sanction_id), "kind": "warning", "rule_id": "OBD-03"}
            for w in warnings
        ),
        key=lambda d: d["sanction_id"],
    )
    assert (data["basis"]["value"], data["basis"]["threshold"]) == ("2", "2")
    assert sorted(f["event_id"] for f in data["caused_by"]) == sorted(
        str(e.event_id) for e in quarter.facts["exceeded"]
    )
    assert {f["recorded_by"] for f in data["caused_by"]} == {"supervisor:S01"}
    assert {tuple(f["evidence"]) for f in data["caused_by"]} == {("ticket:R-118",)}
    # Issued at the second warning, under rulebook v2 (effective 2026-08-01).
    assert data["rulebook"] == {
        "id": "service-standard",
        "version": 2,
        "sha256": V2_SHA,
        "published_on": "2026-07-20",
        "effective_from": "2026-08-01",
    }
    # The second warning was voided on appeal, and the escalation with it.
    assert data["sanction"]["status"] == "voided"
    assert [h["what"] for h in data["history"]] == ["issued", "voided"]
    assert "voided on appeal" in data["history"][-1]["reason"]

    text = explain(quarter.ledger, quarter.notable["escalation"]).text()
    for w in warnings:
        assert f"continues 延续: warning {w.sanction_id} (OBD-03)" in text
    assert "None" not in text


def test_a_revoked_warning_shows_the_commendation_that_revoked_it(quarter: Quarter) -> None:
    data = explained(quarter, "revoked")
    commendation = quarter.notable["commendation"]

    assert data["sanction"]["status"] == "revoked"
    assert [h["what"] for h in data["history"]] == ["issued", "revoked"]
    revoked = data["history"][1]
    assert revoked["by"] == str(commendation)
    assert "commendation" in revoked["reason"]
    assert "嘉奖" in revoked["reason"]
    assert revoked["occurred_at"] == "2026-08-05T15:00:00+08:00"
    assert revoked["recorded_by"] == "ledger"
    # The commendation itself is explained too, and names the good deed.
    deed = explain(quarter.ledger, commendation).to_json()
    assert deed["rule"]["rule_id"] == "REC-04"
    assert deed["caused_by"][0]["type"] == "recognition.good_deed"
    assert deed["caused_by"][0]["recorded_by"] == "supervisor:S02"


def test_a_voided_warning_shows_the_appeal_and_the_reason(quarter: Quarter) -> None:
    data = explained(quarter, "appealed")

    assert data["sanction"]["kind"] == "warning"
    assert data["sanction"]["status"] == "voided"
    history = data["history"]
    assert [h["what"] for h in history] == ["issued", "appeal filed", "appeal upheld", "voided"]
    filed, upheld, voided = history[1:]
    assert filed["reason"] == "the duty manager authorised the refund by phone"
    assert filed["recorded_by"] == "hr:H01"
    assert filed["occurred_at"] == "2026-09-02T10:00:00+08:00"
    assert upheld["recorded_by"] == "hr:H01"
    assert upheld["occurred_at"] == "2026-09-09T10:00:00+08:00"
    assert voided["reason"] == "appeal upheld (appeal.decided)"
    assert voided["recorded_by"] == "ledger"
    # Issued under v2, whose warning fine is 60.00.
    assert data["rulebook"]["version"] == 2
    attached = [
        s
        for s in quarter.ledger.sanctions("E03")
        if s.issued.attached_to == quarter.notable["appealed"]
    ]
    assert [(s.issued.kind, str(s.issued.amount), s.voided) for s in attached] == [
        ("fine", "60.00", True)
    ]

    text = explain(quarter.ledger, quarter.notable["appealed"]).text()
    assert "status 状态: voided" in text
    assert "appeal filed" in text
    assert "the duty manager authorised the refund by phone" in text
    assert "appeal upheld (appeal.decided)" in text


@pytest.mark.parametrize("name", ["threshold", "deadline", "escalation", "revoked", "appealed"])
def test_every_explanation_verifies_its_chain_links(quarter: Quarter, name: str) -> None:
    assert explained(quarter, name)["chain_verified"] is True


def test_the_text_form_is_bilingual(quarter: Quarter) -> None:
    text = explain(quarter.ledger, quarter.notable["threshold"]).text()
    for label in (
        "警告 warning — E01",
        "consequence 处分编号",
        "status 状态: revoked",
        "issued 生效",
        "live until 有效期至 2027-01-08T09:40:00+08:00",
        "Why 原因",
        "threshold 阈值 6",
        "window 窗口 2025-07-08T09:40:00+08:00 .. 2026-07-08T09:40:00+08:00",
        "counted 计入: attendance.late_arrival",
        "Rule 规则",
        "ATT-01 v1",
        "Rulebook 制度版本",
        f"service-standard v1, sha256 {V1_SHA}",
        "effective 生效 2020-01-01, published 公布 2020-01-01",
        "Facts 事实",
        "occurred 发生 2026-07-08T09:40:00+08:00",
        "recorded 记录 2026-07-08T10:10:00+08:00 by system:badge-gateway",
        "evidence 证据: badge:E01:2026-07-08",
        "History 经过",
        "Integrity 完整性",
        "哈希链校验: yes 是",
        "滚动12个月考勤积分由5升至6",
    ):
        assert label in text, label
    assert not any(line.startswith("#") for line in text.splitlines())


def test_the_markdown_form_has_headings(quarter: Quarter) -> None:
    markdown = explain(quarter.ledger, quarter.notable["escalation"]).markdown()
    lines = markdown.splitlines()
    assert lines[0] == "# 记过 demerit — E03"
    headings = [line for line in lines if line.startswith("## ")]
    assert headings == [
        "## Why 原因",
        "## Rule 规则",
        "## Rulebook 制度版本",
        "## Facts 事实",
        "## History 经过",
        "## Appeal 申诉",
        "## Integrity 完整性",
    ]
    assert all(line.startswith(("#", "- ")) for line in lines if line)
    assert markdown.endswith("\n")


def test_a_fine_names_its_amount(quarter: Quarter) -> None:
    fine = next(
        s
        for s in quarter.ledger.sanctions("E01")
        if s.issued.attached_to == quarter.notable["threshold"]
    )
    data = explain(quarter.ledger, fine.sanction_id).to_json()
    assert (data["sanction"]["kind"], data["sanction"]["amount"]) == ("fine", "50.00")
    assert data["sanction"]["attached_to"] == str(quarter.notable["threshold"])
    assert data["sanction"]["status"] == "active"  # a revoked warning's fine stays (REC-05)
    assert "罚款 fine 50.00 CNY — E01" in explain(quarter.ledger, fine.sanction_id).text()


def test_an_unknown_id_is_not_found(quarter: Quarter) -> None:
    with pytest.raises(NotFoundError):
        explain(quarter.ledger, uuid4())
    a_fact = quarter.facts["late"][0].event_id  # a fact is not a consequence
    with pytest.raises(NotFoundError):
        explain(quarter.ledger, a_fact)


# -- integrity: tampering with a causing fact in the SQLite file ---------------------------


@pytest.fixture
def on_disk(tmp_path: Path) -> Iterator[tuple[Path, Quarter]]:
    db = tmp_path / "ledger.db"
    quarter = build_quarter(lambda clock: Ledger.open(db, clock=clock, synchronous="NORMAL"))
    quarter.ledger.close()
    yield db, quarter


def _position(db: Path, event_id: UUID) -> int:
    with closing(sqlite3.connect(db)) as conn:
        row = conn.execute("SELECT position FROM events WHERE event_id = ?", (event_id.bytes,))
        position: int = row.fetchone()[0]
    return position


def test_chain_verified_turns_false_when_a_causing_fact_is_altered(
    on_disk: tuple[Path, Quarter],
) -> None:
    db, quarter = on_disk
    sixth = quarter.facts["late"][-1]
    with Ledger.open(db, clock=quarter.clock) as ledger:
        assert explain(ledger, quarter.notable["threshold"]).to_json()["chain_verified"] is True
    position = _position(db, sixth.event_id)
    with tampering(db) as conn:
        conn.execute("UPDATE events SET data = ? WHERE position = ?", ('{"minutes":6}', position))
    with Ledger.open(db, clock=quarter.clock) as ledger:
        explanation = explain(ledger, quarter.notable["threshold"])
        data = explanation.to_json()
        assert data["chain_verified"] is False
        assert data["caused_by"][0]["data"] == {"minutes": 6}  # shown as stored, flagged
        assert "NO 否 — the record was altered" in explanation.text()
        # The check covers this consequence's own events: others still verify.
        assert explain(ledger, quarter.notable["deadline"]).to_json()["chain_verified"] is True


def test_chain_verified_turns_false_when_the_issuing_event_is_altered(
    on_disk: tuple[Path, Quarter],
) -> None:
    db, quarter = on_disk
    with tampering(db) as conn:
        conn.execute("UPDATE events SET recorded_by = 'hr:H99' WHERE type = 'sanction.revoked'")
    with Ledger.open(db, clock=quarter.clock) as ledger:
        assert explain(ledger, quarter.notable["revoked"]).to_json()["chain_verified"] is False
        assert explain(ledger, quarter.notable["deadline"]).to_json()["chain_verified"] is True


def test_attendance_points_print_with_one_decimal_as_every_listing_does(quarter: Quarter) -> None:
    # The rule's summary says "6.0"; the counter line and counted facts print points alike
    # (ledger.projections.measures.points_text), other counters stay plain counts.
    text = explain(quarter.ledger, quarter.notable["threshold"]).text()
    assert "attendance points: 5.0 -> 6.0 (threshold 阈值 6.0;" in text
    counted = [line for line in text.splitlines() if "counted 计入: attendance." in line]
    assert counted and all(
        " points (" not in line or ".0 points" in line or ".5 points" in line for line in counted
    )
    escalation = explain(quarter.ledger, quarter.notable["escalation"]).text()
    assert "(threshold 阈值 2;" in escalation
