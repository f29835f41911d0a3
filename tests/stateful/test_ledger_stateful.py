"""The ledger under random recording, retractions, appeal decisions and ticks.

Whatever happens, and in whatever order, the recorded register of every employee (what is
issued and not voided, and which warnings are offset) equals what the policies derive afresh
from the employee's facts at the ledger's deadline horizon, and the hash chain holds.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ledger.app import Ledger
from ledger.events import Event, SanctionIssued
from ledger.policies.engine import derive
from ledger.policies.hiring import employed
from ledger.testing import ManualClock, hired, make
from ledger.timeutil import COMPANY_TZ

EMPLOYEES = ("E1", "E2", "E3")
COMPLAINTS = ("C1", "C2")
TASKS = ("T1", "T2")
KINDS = (
    "late",
    "absence",
    "post_left",
    "received",
    "replied",
    "resolved",
    "verified",
    "apology",
    "assigned",
    "completed",
    "refused",
    "praised",
    "good_deed",
    "violation",
    "authority_exceeded",
    "suggestion",
)
BEFORE_ANY_TICK = datetime.min.replace(tzinfo=COMPANY_TZ)


def observation(kind: str, emp: str, at: datetime, draw: Any, event_id: UUID) -> Event:
    """One observation of ``kind``; complaint and task ids come from small pools to match up."""
    cid = draw(st.sampled_from(COMPLAINTS))
    tid = draw(st.sampled_from(TASKS))
    data: dict[str, Any]
    match kind:
        case "late":
            type_name, data = "attendance.late_arrival", {"minutes": draw(st.integers(1, 60))}
        case "absence":
            type_name, data = "attendance.absence", {"days": 1}
        case "post_left":
            type_name, data = "attendance.post_left", {}
        case "received":
            type_name, data = "service.complaint_received", {"complaint_id": cid, "channel": "web"}
        case "replied" | "resolved":
            type_name, data = f"service.complaint_{kind}", {"complaint_id": cid}
        case "verified":
            severity = draw(st.sampled_from(["minor", "minor", "major", "serious"]))
            type_name = "service.complaint_verified"
            data = {"complaint_id": cid, "severity": severity}
        case "apology":
            type_name, data = "service.apology_made", {"complaint_id": cid}
        case "assigned":
            due = at + timedelta(hours=draw(st.integers(1, 72)))
            type_name, data = "task.assigned", {"task_id": tid, "due_at": due}
        case "completed":
            type_name, data = "task.completed", {"task_id": tid}
        case "refused":
            type_name = "task.refused"
            data = {"task_id": tid, "approved_alternative": draw(st.booleans())}
        case "praised":
            type_name, data = "service.customer_praised", {"channel": "letter"}
        case "good_deed":
            type_name, data = "recognition.good_deed", {"description": "helped a customer"}
        case "violation":
            violation = draw(st.sampled_from(["discourtesy", "operating_rules", "falsification"]))
            type_name, data = "conduct.violation", {"kind": violation, "description": "seen"}
        case "authority_exceeded":
            type_name, data = "task.authority_exceeded", {"description": "waived a fee"}
        case _:
            type_name, data = (
                "recognition.suggestion_adopted",
                {"tier": draw(st.sampled_from([1, 2, 3]))},
            )
    return make(type_name, emp, at, envelope={"event_id": event_id}, **data)


def content(issued: SanctionIssued) -> tuple[Any, ...]:
    return (
        issued.kind,
        issued.amount,
        issued.rule_id,
        issued.effective_at,
        issued.caused_by,
        issued.depends_on,
        issued.attached_to,
    )


class LedgerMachine(RuleBasedStateMachine):
    """A ledger on a manual clock, driven the way the company's systems and HR drive it."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock("2026-07-01 08:00")
        self.ledger = Ledger.in_memory(clock=self.clock)
        self.observations: list[Event] = []
        self.serial = 0
        # E1 and E2 are hired; E3 never is, so its facts derive nothing (issue 13).
        self.ledger.record(
            [hired(emp, "2026-06-01 09:00", hired_on=date(2026, 1, 1)) for emp in ("E1", "E2")]
        )

    def _id(self) -> UUID:
        self.serial += 1
        return uuid5(NAMESPACE_URL, f"ledger-stateful/{self.serial}")

    @rule(
        emp=st.sampled_from(EMPLOYEES),
        kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=4),
        data=st.data(),
    )
    def record_observations(self, emp: str, kinds: list[str], data: st.DataObject) -> None:
        batch = []
        for kind in kinds:
            # Facts arrive up to three days late (back-dated), never from the future.
            at = self.clock.now - timedelta(minutes=data.draw(st.integers(0, 72 * 60)))
            batch.append(observation(kind, emp, at, data.draw, self._id()))
        self.ledger.record(batch)
        self.observations.extend(batch)

    @precondition(lambda self: self.observations)
    @rule(data=st.data())
    def retract_a_fact(self, data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(self.observations))
        retraction = make(
            "correction.retracted",
            target.employee_id,
            self.clock.now,
            envelope={"event_id": self._id()},
            target_event_id=target.event_id,
            reason="recorded in error",
        )
        self.ledger.record(retraction)

    @rule(data=st.data(), outcome=st.sampled_from(["upheld", "rejected"]))
    def decide_an_appeal(self, data: st.DataObject, outcome: str) -> None:
        active = [s for s in self.ledger.sanctions() if s.status(self.clock.now) == "active"]
        if not active:
            return
        target = data.draw(st.sampled_from(active))
        decision = make(
            "appeal.decided",
            target.employee_id,
            self.clock.now,
            envelope={"event_id": self._id()},
            sanction_id=target.sanction_id,
            outcome=outcome,
        )
        filing = make(  # a decision answers a filed appeal (issue 13, point 8)
            "appeal.filed",
            target.employee_id,
            self.clock.now,
            envelope={"event_id": self._id()},
            sanction_id=target.sanction_id,
            grounds="not me",
        )
        self.ledger.record([filing, decision])
        self.observations.append(decision)  # a decision entered in error can be retracted

    @rule(hours=st.integers(1, 96), tick=st.booleans())
    def advance_the_clock(self, hours: int, tick: bool) -> None:
        self.clock.advance(hours=hours)
        if tick:
            self.ledger.tick(self.clock.now)

    @invariant()
    def the_register_is_what_the_facts_imply(self) -> None:
        horizon = self.ledger.horizon() or BEFORE_ANY_TICK
        for emp in EMPLOYEES:
            facts = employed(list(self.ledger.history(emp)))
            derived = derive(emp, facts, self.ledger.rulebooks(), horizon)
            recorded = self.ledger.sanctions(emp)
            standing = {s.sanction_id: s.issued for s in recorded if not s.voided}
            assert set(standing) == set(derived.by_id())
            for outcome in derived.outcomes:  # same id, same content (kind, money, lineage)
                assert content(standing[outcome.sanction_id]) == content(outcome.to_data())
            offsets = {r.sanction_id: r.revoked_by for r in derived.revocations}
            assert {
                s.sanction_id: s.revoked_by for s in recorded if s.revoked_by and not s.voided
            } == offsets

    @invariant()
    def the_chain_holds(self) -> None:
        assert self.ledger.verify_chain().ok


LedgerMachine.TestCase.settings = settings(settings.default, stateful_step_count=25)
TestLedgerMachine = LedgerMachine.TestCase
