"""Small helpers shared by the rule modules."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from ledger.events import Basis, CountedFact, Event, OutcomeKind
from ledger.events.base import EARLIEST, assembled
from ledger.policies.framework import Draft, RuleInfo
from ledger.policies.windows import Timed
from ledger.timeutil import COMPANY_TZ

__all__ = ["ZH", "counted", "single", "zh"]

ZH: dict[str, str] = {
    "notice": "提醒",
    "warning": "警告",
    "demerit": "记过",
    "major_demerit": "记大过",
    "fine": "罚款",
    "compensation": "赔偿",
    "bonus": "奖金",
    "commendation": "嘉奖",
    "demotion_recommended": "降职建议",
    "dismissal_recommended": "辞退建议",
    "obligation": "义务",
}


def zh(kind: str) -> str:
    """The Chinese term for an outcome kind."""
    return ZH.get(kind, kind)


def counted(items: Iterable[tuple[Timed, Decimal]], note: str = "") -> tuple[CountedFact, ...]:
    """Facts (or their tallies) with what each contributed, for a basis."""
    return tuple(_counted_fact(e.event_id, e.type, e.occurred_at, v, note) for e, v in items)


_LATEST = datetime(9000, 1, 1, tzinfo=COMPANY_TZ)
"""Far past any time a fact can carry (``ledger.events.base.LATEST_DAY``), far from where
converting to company time overflows."""


def _counted_fact(
    event_id: UUID, type_: str, occurred_at: datetime, value: Decimal, note: str
) -> CountedFact:
    """``CountedFact(...)`` of values a derivation already holds as validated types.

    The fields are set as validation would leave them (the time in company time), without
    running it: the same ``__dict__``, fields set and equality as the validated model, at
    two fifths of its cost; a rule's basis lists a whole window of facts, at every
    crossing. Any other type of value goes through validation.
    """
    if (
        type(event_id) is UUID
        and type(type_) is str
        and type(occurred_at) is datetime
        and occurred_at.utcoffset() is not None
        and type(value) is Decimal
        and value.is_finite()
        and type(note) is str
        and EARLIEST <= occurred_at <= _LATEST  # (out of range: as validation says)
    ):
        return assembled(
            CountedFact,
            {
                "event_id": event_id,
                "type": type_,
                "occurred_at": occurred_at.astimezone(COMPANY_TZ),
                "value": value,
                "note": note,
            },
        )
    return CountedFact(
        event_id=event_id, type=type_, occurred_at=occurred_at, value=value, note=note
    )


def single(
    rule: RuleInfo,
    kinds: Iterable[OutcomeKind],
    fact: Event,
    summary: str,
    summary_zh: str,
    *,
    amount: Decimal | None = None,
    issued_at: datetime | None = None,
    parameters: tuple[tuple[str, str], ...] = (),
) -> list[Draft]:
    """Drafts of ``kinds`` caused by one fact, issued at its ``occurred_at``."""
    basis = Basis(
        summary=summary,
        summary_zh=summary_zh,
        window_end=fact.occurred_at,
        counted=counted([(fact, Decimal(1))]),
        parameters=parameters,
    )
    return [
        Draft(
            rule=rule,
            kind=kind,
            caused_by=(fact.event_id,),
            issued_at=issued_at or fact.occurred_at,
            judged_at=fact.occurred_at,
            basis=basis,
            amount=amount,
        )
        for kind in kinds
    ]
