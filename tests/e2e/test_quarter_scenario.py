"""The acceptance scenario: a realistic 2026Q3 for five employees through the installed CLI.

Every expectation below is worked by hand from RULEBOOK.md (default rulebook
``service-standard`` v1), not read back from the code. Company time is Asia/Shanghai; all
times are +08:00.

The story, in three imports:

1. ``quarter.jsonl``: the quarter's observations, as the badge gateway, the complaint desk and
   the supervisors recorded them. Deadline-bearing facts (complaints received, tasks assigned)
   yield nothing until ``tick`` evaluates them.
2. ``tick --now 2026-10-01T00:00:00+08:00``: the deadlines of the quarter are evaluated.
3. Corrections, recorded in October: a retraction of E1's absence (imported as a file) and an
   appeal of E3's second warning, upheld (recorded by hand with the sanction id HR looked up).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from ledger.timeutil import COMPANY_TZ

HORIZON = "2026-10-01T00:00:00+08:00"

# Live periods of RULEBOOK.md §0 (an obligation is live until it is due, 24 h in SVC-01).
LIVE = {
    "warning": relativedelta(months=6),
    "demerit": relativedelta(months=12),
    "major_demerit": relativedelta(months=18),
    "commendation": relativedelta(months=12),
    "obligation": relativedelta(hours=24),
}
FINE = {"warning": "50.00", "demerit": "100.00", "major_demerit": "200.00"}


def ledger(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "ledger", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"ledger {' '.join(args)}: {result.stderr}"
    return result


def says(db: Path, *args: str) -> str:
    """What a command printed, with rich's line wrapping undone."""
    return " ".join(ledger(db, *args).stdout.split())


def eid(emp: str, n: int) -> str:
    """A fixed, readable event id: employee number and fact number."""
    return f"2026{int(emp[1:]):04d}-0000-4000-8000-{n:012d}"


def fact(emp: str, n: int, type_name: str, at: str, by: str, **data: Any) -> dict[str, Any]:
    return {
        "event_id": eid(emp, n),
        "type": type_name,
        "employee_id": emp,
        "occurred_at": f"{at}:00+08:00".replace(" ", "T"),
        "recorded_by": by,
        "data": data,
    }


BADGE, DESK, SUP, HR = "system:badge-gateway", "system:complaint-desk", "supervisor:S01", "hr:H01"
RECEIVED, VERIFIED = "service.complaint_received", "service.complaint_verified"
ASSIGNED = "task.assigned"
RUDE = "raised his voice at a customer"
NO_ALTERNATIVE = {"approved_alternative": False}


def due(when: str) -> str:
    """A 2026 due time, "MM-DD HH:MM" company time, as ISO 8601."""
    return f"2026-{when.replace(' ', 'T')}:00+08:00"


def hiring(emp: str, on: str, wage: str, department: str) -> list[dict[str, Any]]:
    """Hired and qualified (上岗考核) a week later, so TRN-01 finds nothing."""
    qualified = (datetime.fromisoformat(on) + timedelta(days=7)).date().isoformat()
    return [
        fact(
            emp,
            90,
            "employee.hired",
            f"{on} 09:00",
            HR,
            department=department,
            role="clerk",
            hired_on=on,
            monthly_wage=wage,
        ),
        fact(emp, 91, "employee.qualification_assessed", f"{qualified} 10:00", HR, passed=True),
    ]


QUARTER: list[dict[str, Any]] = [
    *hiring("E1", "2025-03-03", "6000.00", "front-desk"),
    *hiring("E2", "2024-09-02", "5800.00", "complaints"),
    *hiring("E3", "2025-01-06", "5500.00", "front-desk"),
    *hiring("E4", "2024-05-06", "6200.00", "call-centre"),
    *hiring("E5", "2025-06-02", "5600.00", "field-service"),
    # -- E1: the attendance ladder (ATT-01, rolling 12 months; nothing before July) ----------
    fact("E1", 1, "attendance.late_arrival", "2026-07-02 09:40", BADGE, minutes=40),  # 1 -> 1
    fact("E1", 2, "attendance.absence", "2026-07-06 09:00", BADGE, days=1),  # 3 -> 4: notice
    fact("E1", 3, "attendance.late_arrival", "2026-07-08 09:12", BADGE, minutes=12),  # 0.5 -> 4.5
    fact("E1", 4, "attendance.late_arrival", "2026-07-09 09:03", BADGE, minutes=3),  # grace 0
    fact("E1", 5, "attendance.early_departure", "2026-07-13 17:40", BADGE, minutes=20),  # -> 5.0
    fact("E1", 6, "attendance.post_left", "2026-07-15 14:00", SUP, minutes=25),  # 6.0: warning
    fact("E1", 7, "attendance.late_arrival", "2026-08-03 09:50", BADGE, minutes=50),  # 1 -> 7.0
    fact("E1", 8, "attendance.post_left", "2026-08-10 15:00", SUP),  # 1 -> 8.0: demerit
    fact("E1", 9, "attendance.leave_taken", "2026-08-20 09:00", HR, kind="annual", days=3),  # 0
    fact("E1", 10, "attendance.absence", "2026-09-07 09:00", BADGE, days=1),  # 11.0: major
    # -- E2: first-question handler of five complaints (SVC-02 reply 24 h, SVC-03 resolve 48 h)
    fact("E2", 1, RECEIVED, "2026-07-09 09:00", DESK, complaint_id="C-301", channel="hotline"),
    fact("E2", 2, "service.complaint_replied", "2026-07-09 12:00", DESK, complaint_id="C-301"),
    fact("E2", 3, "service.complaint_resolved", "2026-07-10 11:00", DESK, complaint_id="C-301"),
    fact("E2", 4, RECEIVED, "2026-07-14 10:00", DESK, complaint_id="C-201", channel="hotline"),
    fact("E2", 5, "service.complaint_replied", "2026-07-15 16:00", DESK, complaint_id="C-201"),
    fact("E2", 6, "service.complaint_resolved", "2026-07-17 11:00", DESK, complaint_id="C-201"),
    fact("E2", 7, RECEIVED, "2026-08-04 09:00", DESK, complaint_id="C-302", channel="letter"),
    fact("E2", 8, "service.complaint_replied", "2026-08-04 10:00", DESK, complaint_id="C-302"),
    fact("E2", 9, "service.complaint_resolved", "2026-08-05 10:00", DESK, complaint_id="C-302"),
    fact("E2", 10, RECEIVED, "2026-08-20 09:00", DESK, complaint_id="C-202", channel="web"),
    fact("E2", 11, "service.complaint_replied", "2026-08-20 15:00", DESK, complaint_id="C-202"),
    fact("E2", 12, "service.complaint_resolved", "2026-08-21 18:00", DESK, complaint_id="C-202"),
    fact("E2", 13, RECEIVED, "2026-09-29 12:00", DESK, complaint_id="C-203", channel="hotline"),
    # E2's service lapses (SVC-04: > 300 s first response or > 3 rings; 3 in 30 days: notice)
    fact("E2", 14, "service.first_response_timed", "2026-08-11 10:00", SUP, seconds=420),
    fact("E2", 15, "service.phone_answered", "2026-08-18 14:00", SUP, rings=5),
    fact("E2", 16, "service.phone_answered", "2026-08-19 14:00", SUP, rings=2),  # not a lapse
    fact("E2", 17, "service.first_response_timed", "2026-09-02 11:00", SUP, seconds=360),
    # -- E3: two verified complaints (SVC-01), each apologised for in time (SVC-05 quiet) ---
    fact("E3", 1, VERIFIED, "2026-07-10 11:00", DESK, complaint_id="C-301", severity="minor"),
    fact("E3", 2, "service.apology_made", "2026-07-10 16:00", SUP, complaint_id="C-301"),
    fact("E3", 3, "service.customer_praised", "2026-07-22 10:00", DESK, channel="letter"),
    fact("E3", 4, VERIFIED, "2026-08-05 10:00", DESK, complaint_id="C-302", severity="minor"),
    fact("E3", 5, "service.apology_made", "2026-08-05 17:00", SUP, complaint_id="C-302"),
    fact("E3", 6, "service.customer_praised", "2026-09-15 10:00", DESK, channel="phone"),
    # -- E4: a warning offset by a good deed (REC-04, REC-05), a tier-2 suggestion (REC-02) --
    fact(
        "E4", 1, "conduct.violation", "2026-07-20 15:30", SUP, kind="discourtesy", description=RUDE
    ),
    fact("E4", 2, "recognition.good_deed", "2026-08-01 10:00", SUP, description="found a wallet"),
    fact("E4", 3, "recognition.suggestion_adopted", "2026-09-03 10:00", HR, tier=2),
    fact("E4", 4, "task.authority_exceeded", "2026-09-10 11:00", SUP, description="waived a fee"),
    # -- E5: tasks (OBD-02), a refusal (OBD-01), a missed meeting (OBD-04) -------------------
    fact("E5", 1, ASSIGNED, "2026-07-06 09:00", SUP, task_id="T-501", due_at=due("07-10 18:00")),
    fact("E5", 2, "task.completed", "2026-07-10 17:00", SUP, task_id="T-501"),  # in time
    fact("E5", 3, ASSIGNED, "2026-07-21 09:00", SUP, task_id="T-502", due_at=due("07-24 18:00")),
    # (T-502 is never completed.) T-503 was an instruction given in person (no task.assigned),
    # refused without an approved alternative. Kept apart from the assigned tasks: whether a
    # refused *assigned* task also counts as a missed deadline is a reading the rulebook
    # leaves open (the code: OBD-01 alone).
    fact("E5", 4, "task.refused", "2026-08-11 14:00", SUP, task_id="T-503", **NO_ALTERNATIVE),
    fact("E5", 5, "task.meeting_missed", "2026-08-25 09:00", SUP, meeting="monthly safety"),
    fact("E5", 6, ASSIGNED, "2026-09-14 09:00", SUP, task_id="T-504", due_at=due("09-18 18:00")),
    fact("E5", 7, "task.completed", "2026-09-19 10:00", SUP, task_id="T-504"),  # late
]

# Recorded in October: the 07-06 absence was a badge-reader fault on a day of approved leave.
RETRACTION = fact(
    "E1",
    11,
    "correction.retracted",
    "2026-10-09 10:00",
    HR,
    target_event_id=eid("E1", 2),
    reason="badge reader fault; the day was approved annual leave",
)

Row = tuple[str, str, str | None, str, str, str]
"""(employee, kind, amount, rule_id, issued at "MM-DD HH:MM", status)."""


def row(
    emp: str, kind: str, rule: str, at: str, status: str = "active", amount: str | None = None
) -> Row:
    return (emp, kind, amount, rule, at, status)


def record(emp: str, kind: str, rule: str, at: str, status: str = "active") -> list[Row]:
    """A discipline record and its attached fine (§0 `[fines]`). A fine has no live period:
    it stays active when its record is revoked, and is voided with its record."""
    fine_status = "voided" if status == "voided" else "active"
    return [row(emp, kind, rule, at, status), row(emp, "fine", rule, at, fine_status, FINE[kind])]


def settle(expected: list[Row]) -> list[Row]:
    """Active records whose live period has ended by today read `expired` (DESIGN §9)."""
    today = datetime.now(COMPANY_TZ)
    settled = []
    for emp, kind, amount, rule, at, status in expected:
        issued = datetime.fromisoformat(f"2026-{at}").replace(tzinfo=COMPANY_TZ)
        if status == "active" and kind in LIVE and issued + LIVE[kind] <= today:
            status = "expired"
        settled.append((emp, kind, amount, rule, at, status))
    return sorted(settled)


def register(db: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(ledger(db, "sanctions", "--format", "json").stdout)
    return rows


def observed(rows: list[dict[str, Any]]) -> list[Row]:
    seen = []
    for r in rows:
        at = datetime.fromisoformat(r["issued_at"]).astimezone(COMPANY_TZ)
        seen.append(
            (
                r["employee_id"],
                r["kind"],
                r["amount"],
                r["rule_id"],
                f"{at:%m-%d %H:%M}",
                r["status"],
            )
        )
    return sorted(seen)


def only(rows: list[dict[str, Any]], **where: Any) -> dict[str, Any]:
    found = [r for r in rows if all(r[k] == v for k, v in where.items())]
    assert len(found) == 1, (where, found)
    return found[0]


# -- expectations, worked by hand ----------------------------------------------------------

# E1, ATT-01 points (late/early 6-30 min 0.5, > 30 min 1, <= 5 min 0; post left 1; absence
# 3/day; thresholds 4 notice, 6 warning, 8 demerit, 10 major demerit; only the highest
# threshold crossed at a fact is issued):
#   07-02 late 40 -> 1 | 07-06 absence -> 4 (notice) | 07-08 late 12 -> 4.5 | 07-09 late 3
#   -> 4.5 | 07-13 early 20 -> 5.0 | 07-15 post left -> 6.0 (warning) | 08-03 late 50 -> 7.0
#   | 08-10 post left -> 8.0 (demerit) | 08-20 leave -> 8.0 | 09-07 absence -> 11.0 (crosses
#   10 only: major demerit). One warning, one demerit: no ESC-01/02; no major demerit is
#   live before 09-07: no ESC-03. Absence days 2 < 3 in 30 days, < 5 in 12 months: no ATT-02.
E1_BEFORE = [
    row("E1", "notice", "ATT-01", "07-06 09:00"),
    *record("E1", "warning", "ATT-01", "07-15 14:00"),
    *record("E1", "demerit", "ATT-01", "08-10 15:00"),
    *record("E1", "major_demerit", "ATT-01", "09-07 09:00"),
]
# After the 07-06 absence is retracted (it never counted):
#   07-02 1 | 07-08 1.5 | 07-09 1.5 | 07-13 2.0 | 07-15 3.0 | 08-03 4.0 (notice) | 08-10 5.0
#   | 09-07 8.0 (crosses 6 and 8: demerit only). Everything issued before is voided; the
#   notice moves to 08-03 and the 09-07 absence now yields a demerit instead of a major one.
E1_AFTER = [
    row("E1", "notice", "ATT-01", "07-06 09:00", "voided"),
    *record("E1", "warning", "ATT-01", "07-15 14:00", "voided"),
    *record("E1", "demerit", "ATT-01", "08-10 15:00", "voided"),
    *record("E1", "major_demerit", "ATT-01", "09-07 09:00", "voided"),
    row("E1", "notice", "ATT-01", "08-03 09:50"),
    *record("E1", "demerit", "ATT-01", "09-07 09:00"),
]

# E2. Lapses (SVC-04, rolling 30 days): 08-11 (420 s), 08-18 (5 rings) and 09-02 (360 s) are
# lapses, 08-19 (2 rings) is not; at 09-02 the window (08-03, 09-02] holds 3: notice. This
# needs no tick.
E2_BEFORE_TICK = [row("E2", "notice", "SVC-04", "09-02 11:00")]
# Complaints, evaluated by the tick up to 10-01 00:00:
#   C-301 replied 3 h, resolved 26 h after 07-09 09:00: nothing.
#   C-201 received 07-14 10:00: reply 07-15 16:00 is after 07-15 10:00 -> SVC-02 notice at
#         the deadline; resolved 07-17 11:00, after 07-16 10:00 -> SVC-03 warning at 07-16
#         10:00 (with its 50.00 fine). One warning: no escalation.
#   C-302 and C-202 replied and resolved in time: nothing.
#   C-203 received 09-29 12:00, never replied: reply due 09-30 12:00 <= 10-01 00:00 -> notice;
#         resolution due 10-01 12:00 lies after the horizon: not missed yet.
E2_AFTER_TICK = [
    *E2_BEFORE_TICK,
    row("E2", "notice", "SVC-02", "07-15 10:00"),
    *record("E2", "warning", "SVC-03", "07-16 10:00"),
    row("E2", "notice", "SVC-02", "09-30 12:00"),
]

# E3. SVC-01: each minor verified complaint -> warning (+ 50.00 fine) and an apology
# obligation due 24 h later; both apologies came in time, so SVC-05 stays quiet. At 08-05
# 10:00 the live, unrevoked, unescalated warnings reach 2 (07-10 and 08-05) -> ESC-01 demerit
# (+ 100.00 fine) at the same instant. Two praises in Q3 are fewer than 3: no REC-01.
E3_BEFORE = [
    *record("E3", "warning", "SVC-01", "07-10 11:00"),
    row("E3", "obligation", "SVC-01", "07-10 11:00"),
    *record("E3", "warning", "SVC-01", "08-05 10:00"),
    row("E3", "obligation", "SVC-01", "08-05 10:00"),
    *record("E3", "demerit", "ESC-01", "08-05 10:00"),
]
# The appeal against the 08-05 warning is upheld (§10): that warning and its fine were never
# issued, and neither was the escalation that counted it (nor its fine). The 07-10 warning
# is alone again: no escalation. The apology obligation is not the appealed sanction: it stays.
E3_AFTER = [
    *record("E3", "warning", "SVC-01", "07-10 11:00"),
    row("E3", "obligation", "SVC-01", "07-10 11:00"),
    *record("E3", "warning", "SVC-01", "08-05 10:00", "voided"),
    row("E3", "obligation", "SVC-01", "08-05 10:00"),
    *record("E3", "demerit", "ESC-01", "08-05 10:00", "voided"),
]

# E4. CND-01 discourtesy -> warning (+ 50.00) on 07-20. REC-04 good deed on 08-01 ->
# commendation; REC-05: it revokes the oldest live, unrevoked, unescalated warning, the 07-20
# one (its fine stays due). REC-02 tier 2 -> bonus 300.00. OBD-03 on 09-10 -> warning
# (+ 50.00); the revoked warning no longer counts, so one live warning: no ESC-01.
E4 = [
    row("E4", "warning", "CND-01", "07-20 15:30", "revoked"),
    row("E4", "fine", "CND-01", "07-20 15:30", "active", "50.00"),
    row("E4", "commendation", "REC-04", "08-01 10:00"),
    row("E4", "bonus", "REC-02", "09-03 10:00", "active", "300.00"),
    *record("E4", "warning", "OBD-03", "09-10 11:00"),
]

# E5. OBD-01 refusal without an approved alternative -> warning (+ 50.00) on 08-11; OBD-04
# missed meeting -> notice on 08-25. Evaluated by the tick (OBD-02, per calendar quarter):
# T-501 completed in time; T-502 never completed -> 1st miss of Q3: notice at its due time
# 07-24 18:00; T-504 completed 09-19 10:00, after 09-18 18:00 -> 2nd miss: warning (+ 50.00)
# at 09-18 18:00. Then the 08-11 and 09-18 warnings are 2 live ones -> ESC-01 demerit
# (+ 100.00) at 09-18 18:00.
E5_BEFORE_TICK = [
    *record("E5", "warning", "OBD-01", "08-11 14:00"),
    row("E5", "notice", "OBD-04", "08-25 09:00"),
]
E5_AFTER_TICK = [
    *E5_BEFORE_TICK,
    row("E5", "notice", "OBD-02", "07-24 18:00"),
    *record("E5", "warning", "OBD-02", "09-18 18:00"),
    *record("E5", "demerit", "ESC-01", "09-18 18:00"),
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    ledger(path, "init")
    quarter = tmp_path / "quarter.jsonl"
    quarter.write_text("".join(json.dumps(f) + "\n" for f in QUARTER), encoding="utf-8")
    imported = says(path, "import", str(quarter))
    assert f"appended {len(QUARTER)}, already present 0, rejected 0" in imported
    return path


def test_the_quarter_before_any_tick_has_no_missed_deadlines(db: Path) -> None:
    assert observed(register(db)) == settle(
        [*E1_BEFORE, *E2_BEFORE_TICK, *E3_BEFORE, *E4, *E5_BEFORE_TICK]
    )


def test_the_quarter_end_to_end(db: Path, tmp_path: Path) -> None:
    ledger(db, "tick", "--now", HORIZON)
    after_tick = register(db)
    assert observed(after_tick) == settle(
        [*E1_BEFORE, *E2_AFTER_TICK, *E3_BEFORE, *E4, *E5_AFTER_TICK]
    )
    # A second tick at the same horizon evaluates nothing new.
    assert "0 derived events recorded" in says(db, "tick", "--now", HORIZON)

    # Provenance a script relies on: fines attach to their records, the escalation names
    # the warnings it counted, the offset names the commendation.
    for fine in (r for r in after_tick if r["kind"] == "fine"):
        record_ = only(after_tick, sanction_id=fine["attached_to"])
        assert record_["kind"] in FINE and record_["amount"] is None
        assert fine["amount"] == FINE[record_["kind"]] and fine["caused_by"] == record_["caused_by"]
    w1 = only(after_tick, employee_id="E3", kind="warning", caused_by=[eid("E3", 1)])
    w2 = only(after_tick, employee_id="E3", kind="warning", caused_by=[eid("E3", 4)])
    escalation = only(after_tick, employee_id="E3", kind="demerit", rule_id="ESC-01")
    assert set(escalation["depends_on"]) == {w1["sanction_id"], w2["sanction_id"]}
    assert set(escalation["caused_by"]) == {eid("E3", 1), eid("E3", 4)}
    assert only(after_tick, employee_id="E1", kind="notice")["caused_by"] == [eid("E1", 2)]
    assert only(after_tick, employee_id="E2", rule_id="SVC-03", kind="warning")["caused_by"] == [
        eid("E2", 4)
    ]

    # October: the retraction arrives as a file; the appeal is recorded by hand.
    corrections = tmp_path / "corrections.jsonl"
    corrections.write_text(json.dumps(RETRACTION) + "\n", encoding="utf-8")
    assert "appended 1," in says(db, "import", str(corrections))
    for type_name, at, data in (
        ("appeal.filed", "2026-08-07T10:00:00+08:00", {"grounds": "the customer withdrew"}),
        ("appeal.decided", "2026-08-12T15:00:00+08:00", {"outcome": "upheld"}),
    ):
        ledger(
            db,
            "record",
            type_name,
            "--employee",
            "E3",
            "--at",
            at,
            "--by",
            "hr:H01",
            "--data",
            json.dumps({"sanction_id": w2["sanction_id"], **data}),
        )

    final = register(db)
    assert observed(final) == settle([*E1_AFTER, *E2_AFTER_TICK, *E3_AFTER, *E4, *E5_AFTER_TICK])
    # The voided ones keep their ids; the new ones are caused by the facts that now cross.
    assert only(final, employee_id="E3", sanction_id=w2["sanction_id"])["status"] == "voided"
    assert only(final, sanction_id=escalation["sanction_id"])["status"] == "voided"
    notice = only(final, employee_id="E1", kind="notice", status="active")
    assert notice["caused_by"] == [eid("E1", 7)]
    demerit = only(final, employee_id="E1", kind="demerit", status="active")
    assert demerit["caused_by"] == [eid("E1", 10)]
    # Re-importing and re-ticking change nothing; the log still verifies.
    quarter = tmp_path / "quarter.jsonl"
    assert f"already present {len(QUARTER)}" in says(db, "import", str(quarter))
    assert "0 derived events recorded" in says(db, "tick", "--now", HORIZON)
    assert observed(register(db)) == observed(final)
    ledger(db, "verify")
