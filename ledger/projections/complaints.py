"""Complaint statistics of one employee for a period (SVC-01..03; seed 004 三.(3)).

As first-question handler (首问负责): complaints received in the period, each judged against
its reply (SVC-02) and resolution (SVC-03) deadlines under the rulebook binding its receipt.
A deadline is *met* when the fulfilling fact (a reply; a resolution or dismissal) occurred by
the deadline, *missed* when the deadline passed without one by the instant judged, and
*pending* otherwise. SLA compliance = met / (met + missed), both deadlines together.
Worked example: 4 complaints, replies 2 met and 2 missed, resolutions 2 met, 1 missed and
1 pending -> 4 / 7 = 57.1 %.

As subject: complaints against the employee verified in the period, by severity, and the
apologies made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ledger.events import ComplaintReceived, ComplaintVerified, Event
from ledger.policies.rulebook import RulebookSet
from ledger.projections.measures import percent
from ledger.timeutil import Period

__all__ = ["ComplaintStats", "complaint_stats", "lifecycle"]


@dataclass(frozen=True, slots=True)
class ComplaintStats:
    """Complaints handled (首问负责) and complaints against the employee, in a period.

    Attributes:
        received: complaints received as first-question handler.
        replied_in_time, reply_missed, reply_pending: the reply deadline (SVC-02).
        resolved_in_time, resolve_missed, resolve_pending: the resolution deadline (SVC-03);
            a dismissal resolves too.
        open: received but neither resolved nor dismissed by the instant judged.
        verified: complaints against the employee found true, by severity (SVC-01).
        apologies: apologies made.
    """

    received: int = 0
    replied_in_time: int = 0
    reply_missed: int = 0
    reply_pending: int = 0
    resolved_in_time: int = 0
    resolve_missed: int = 0
    resolve_pending: int = 0
    open: int = 0
    verified_minor: int = 0
    verified_major: int = 0
    verified_serious: int = 0
    apologies: int = 0

    @property
    def sla_compliance(self) -> Decimal | None:
        """Deadlines met out of deadlines decided (met or missed), in percent."""
        met = self.replied_in_time + self.resolved_in_time
        return percent(met, met + self.reply_missed + self.resolve_missed)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form; the compliance is a decimal string (or null when undecided)."""
        compliance = self.sla_compliance
        return {
            "as_handler": {
                "received": self.received,
                "replied_in_time": self.replied_in_time,
                "reply_missed": self.reply_missed,
                "reply_pending": self.reply_pending,
                "resolved_in_time": self.resolved_in_time,
                "resolve_missed": self.resolve_missed,
                "resolve_pending": self.resolve_pending,
                "open": self.open,
                "sla_compliance_percent": None if compliance is None else str(compliance),
            },
            "as_subject": {
                "verified": {
                    "minor": self.verified_minor,
                    "major": self.verified_major,
                    "serious": self.verified_serious,
                },
                "verified_total": self.verified_minor + self.verified_major + self.verified_serious,
                "apologies": self.apologies,
            },
        }


_REPLY = "service.complaint_replied"
_CLOSE = frozenset({"service.complaint_resolved", "service.complaint_dismissed"})


def lifecycle(facts: Sequence[Event]) -> dict[str, tuple[datetime | None, datetime | None]]:
    """Per complaint id: when it was first replied to, and first resolved or dismissed."""
    seen: dict[str, tuple[datetime | None, datetime | None]] = {}
    for fact in sorted(facts, key=lambda f: f.occurred_at):
        if not (fact.type == _REPLY or fact.type in _CLOSE):
            continue  # (before getattr: a model without the field raises inside it, slowly)
        cid = getattr(fact.data, "complaint_id", None)
        if cid is None:
            continue
        replied, closed = seen.get(cid, (None, None))
        if fact.type == _REPLY and replied is None:
            replied = fact.occurred_at
        elif fact.type in _CLOSE and closed is None:
            closed = fact.occurred_at
        seen[cid] = (replied, closed)
    return seen


def _deadline(done: datetime | None, due: datetime, judged: datetime) -> int:
    """0 met, 1 missed, 2 pending."""
    if done is not None and done <= due:
        return 0
    return 1 if due <= judged else 2


def complaint_stats(
    facts: Sequence[Event],
    rulebooks: RulebookSet,
    period: Period,
    judged: datetime,
    at: datetime,
    *,
    steps: Mapping[str, tuple[datetime | None, datetime | None]] | None = None,
) -> ComplaintStats:
    """Complaint statistics for complaints received (or verified) in ``period``.

    Args:
        facts: counted facts in order.
        judged: deadlines that passed by then without a fulfilling fact are missed.
        at: the instant at which a complaint is still open or not.
        steps: :func:`lifecycle` of ``facts`` when the caller has it already.
    """
    tally = dict.fromkeys(ComplaintStats.__dataclass_fields__, 0)
    if steps is None:
        steps = lifecycle(facts)
    for fact in facts:
        data = fact.data
        if fact.occurred_at not in period:
            continue
        if isinstance(data, ComplaintVerified):
            tally[f"verified_{data.severity}"] += 1
        elif fact.type == "service.apology_made":
            tally["apologies"] += 1
        elif isinstance(data, ComplaintReceived):
            tally["received"] += 1
            replied, closed = steps.get(data.complaint_id, (None, None))
            tally["open"] += int(closed is None or closed > at)
            adopted = rulebooks.in_force(fact.occurred_at)
            if adopted is None:
                continue
            hours = adopted.rulebook.complaints
            reply_due = fact.occurred_at + timedelta(hours=hours.reply_hours)
            resolve_due = fact.occurred_at + timedelta(hours=hours.resolve_hours)
            key = ("replied_in_time", "reply_missed", "reply_pending")
            tally[key[_deadline(replied, reply_due, judged)]] += 1
            key = ("resolved_in_time", "resolve_missed", "resolve_pending")
            tally[key[_deadline(closed, resolve_due, judged)]] += 1
    return ComplaintStats(**tally)
