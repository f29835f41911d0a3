"""The rules of who may record what (ledger.access.rules.judge), one row per rule."""

from __future__ import annotations

import pytest
from access_helpers import ACCESS

from ledger.access import SELF_SERVICE, judge, load_access

DOC = load_access(ACCESS).document
CAUSED_BY_H01 = frozenset({"hr:H01"})


@pytest.mark.parametrize(
    ("actor", "type_name", "employee", "recorders", "role", "missing"),
    [
        # roles grant types by glob
        ("system:badge", "attendance.late_arrival", "E1", (), "attendance", None),
        (
            "system:badge",
            "conduct.violation",
            "E1",
            (),
            None,
            "a role granting conduct.violation (access v1: system:badge holds attendance)",
        ),
        ("hr:H01", "employee.hired", "E1", (), "hr", None),
        ("intruder", "attendance.absence", "E1", (), None, "intruder is not among its actors"),
        # adoptions: rulebooks by the roles, access documents by admin alone
        ("hr:H01", "rulebook.adopted", "_ledger", (), "admin", None),
        (
            "system:badge",
            "rulebook.adopted",
            "_ledger",
            (),
            None,
            "a role granting rulebook.adopted",
        ),
        ("hr:H01", "access.adopted", "_ledger", (), "admin", None),
        ("hr:H02", "access.adopted", "_ledger", (), None, "the admin role"),
        # self-service: an employee appeals on their own stream, nothing else
        ("employee:E1", "appeal.filed", "E1", (), SELF_SERVICE, None),
        ("employee:E1", "appeal.filed", "E2", (), None, "a role granting appeal.filed"),
        (
            "employee:E1",
            "attendance.leave_taken",
            "E1",
            (),
            None,
            "a role granting attendance.leave_taken",
        ),
        # nobody decides or retracts on their own stream, whatever the roles say
        (
            "employee:E1",
            "appeal.decided",
            "E1",
            (),
            None,
            "nobody records appeal.decided on their own stream",
        ),
        (
            "employee:E1",
            "correction.retracted",
            "E1",
            (),
            None,
            "nobody records correction.retracted on their own stream",
        ),
        # four eyes: the decider recorded none of the causing facts
        ("hr:H02", "appeal.decided", "E1", CAUSED_BY_H01, "appeals", None),
        ("hr:H01", "appeal.decided", "E1", CAUSED_BY_H01, None, "four eyes"),
        ("hr:H01", "appeal.decided", "E1", (), None, "a role granting appeal.decided"),
        # ledger-only types: never
        ("hr:H01", "sanction.issued", "E1", (), None, "only the ledger derives it"),
        ("hr:H01", "ledger.ticked", "_ledger", (), None, "only the ledger derives it"),
        ("hr:H01", "payroll.closed", "E1", (), None, "only the ledger derives it"),
        ("hr:H01", "grade.assigned", "E1", (), None, "only the ledger derives it"),
    ],
)
def test_judge(
    actor: str,
    type_name: str,
    employee: str,
    recorders: frozenset[str],
    role: str | None,
    missing: str | None,
) -> None:
    verdict = judge(DOC, actor, type_name, employee, causing_recorders=recorders)
    assert verdict.role == role
    assert verdict.allowed == (missing is None)
    if missing is not None:
        assert verdict.missing is not None and missing in verdict.missing


def test_an_employee_granted_a_role_still_cannot_decide_their_own_appeal() -> None:
    doc = load_access(ACCESS + '"employee:E1" = ["appeals", "hr"]\n').document
    assert judge(doc, "employee:E1", "appeal.decided", "E2").role == "appeals"
    assert not judge(doc, "employee:E1", "appeal.decided", "E1").allowed
    assert not judge(doc, "employee:E1", "correction.retracted", "E1").allowed
    assert judge(doc, "employee:E1", "correction.retracted", "E2").role == "hr"
