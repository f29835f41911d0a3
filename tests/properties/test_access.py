"""Property: no sequence of writes by actors without ``appeals`` voids a sanction.

A ledger holds E1's warning (a violation recorded by hr:H01), appealed by E1, under an
access document where hr:H02 alone holds ``appeals`` and nobody may retract. Any sequence of
attempts by everyone else (hr:H01, admin and hr; the badge system; the employee; an intruder),
each fact recorded under the actor's own name or another's: appeals filed and decided,
retractions of the violation or of a decision, more facts, forged ``sanction.voided`` events
appended to the store directly. Whatever is accepted or refused, no consequence is voided
and the ledger verifies.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ledger.app import Ledger
from ledger.audit import verify
from ledger.errors import LedgerError
from ledger.events import Event, SanctionVoided
from ledger.testing import (
    ManualClock,
    appeal_decided,
    appeal_filed,
    hired,
    late,
    make,
    retract,
)
from ledger.write import derived_event

DOCUMENT = """\
id = "access"
version = 1

[roles]
admin = ["rulebook.adopted", "access.adopted"]
hr = ["employee.*", "conduct.*", "recognition.*"]
attendance = ["attendance.*"]
appeals = ["appeal.decided"]

[actors]
"hr:H01" = ["admin", "hr"]
"hr:H02" = ["appeals"]
"system:badge" = ["attendance"]
"""
ACTORS = ("hr:H01", "system:badge", "employee:E1", "intruder", "employee:E2")
KINDS = ("file", "decide", "reject", "retract", "retract-decision", "violation", "late", "forge")


def violation(at: str) -> Event:
    return make("conduct.violation", "E1", at, "hr:H01", kind="discourtesy", description="rude")


def build(
    attempt: tuple[str, str, str | None, int], warning: Any, decisions: list[Event], n: int = 0
) -> Event:
    """The ``n``th attempt's event. Each attempt has its own minute: two violations at one
    instant order their warnings by sanction id (engine, the walk), so a second one may
    legitimately re-pair the escalation of the first (a void and a re-issue, by a writer
    with the right to record violations): not what this property is about."""
    kind, actor, named, day = attempt
    recorder = named or actor
    at = f"2026-07-{day:02d} 11:{n:02d}"
    if kind == "file":
        return appeal_filed("E1", at, sanction_id=warning, recorded_by=recorder)
    if kind in ("decide", "reject"):
        outcome = "upheld" if kind == "decide" else "rejected"
        decision = appeal_decided(
            "E1", at, sanction_id=warning, outcome=outcome, recorded_by=recorder
        )
        decisions.append(decision)
        return decision
    if kind == "retract-decision" and decisions:
        return retract(decisions[-1], at=at, recorded_by=recorder)
    if kind in ("retract", "retract-decision"):
        return retract(FIRST, at=at, recorded_by=recorder)
    if kind == "violation":
        return make(
            "conduct.violation", "E1", at, recorder, kind="discourtesy", description="again"
        )
    return late("E1", at, recorded_by=recorder)


FIRST = violation("2026-07-10 10:00")

attempts = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.sampled_from(ACTORS),
        st.sampled_from((None, None, None, *ACTORS)),  # mostly under the actor's own name
        st.integers(11, 28),
    ),
    max_size=10,
)


@given(attempts)
def test_no_writes_by_actors_without_appeals_void_a_sanction(
    tries: list[tuple[str, str, str | None, int]],
) -> None:
    ledger = Ledger.in_memory(clock=ManualClock("2026-08-01 00:00"))
    ledger.adopt_access(DOCUMENT, by="hr:H01")
    ledger.record(hired("E1", "2026-01-05 09:00", recorded_by="hr:H01"), actor="hr:H01")
    ledger.record(FIRST, actor="hr:H01")
    (warning,) = [s.sanction_id for s in ledger.sanctions("E1") if s.issued.kind == "warning"]
    appeal = appeal_filed("E1", "2026-07-11 09:00", sanction_id=warning, recorded_by="employee:E1")
    ledger.record(appeal, actor="employee:E1")
    decisions: list[Event] = []
    for n, attempt in enumerate(tries):
        kind, actor, _, _ = attempt
        try:
            if kind == "forge":
                void = SanctionVoided(sanction_id=warning, reason="forged")
                ledger.store.append([derived_event("E1", void, ledger.now())])
            else:
                ledger.record(build(attempt, warning, decisions, n), actor=actor)
        except LedgerError:
            pass
    assert not any(s.voided for s in ledger.sanctions("E1"))
    assert verify(ledger).ok
