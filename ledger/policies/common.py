"""Small helpers shared by the rule modules."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from ledger.events import Basis, CountedFact, Event, OutcomeKind
from ledger.policies.framework import Draft, RuleInfo
from ledger.policies.windows import Timed

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
    return tuple(
        CountedFact(event_id=e.event_id, type=e.type, occurred_at=e.occurred_at, value=v, note=note)
        for e, v in items
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
