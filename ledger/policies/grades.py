"""The quarterly obedience grade (GRD-01; seed 001 三.(三).1 优秀/良好/合格/不合格).

Over the outcomes issued in the quarter that are in the truth (not voided) and not revoked
by the quarter's end::

    score = 100 - 2 x notices - 10 x warnings - 20 x demerits - 30 x major demerits
            + min(10, 5 x commendations), within [0, 100]

Levels: >= 90 excellent (优秀), 80-89 good (良好), 60-79 qualified (合格), < 60 unqualified
(不合格). Caps at the quarter's end: a live demerit or major demerit -> at most qualified;
else a live warning -> at most good. Worked example: 1 notice, 1 warning, 1 commendation
-> 100 - 2 - 10 + 5 = 93, but the warning is still live at the quarter's end -> good.

A low grade never triggers dismissal by itself (最高法 指导案例18号).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Protocol
from uuid import UUID

from ledger.events import Event, GradeComponent, GradeLevel, Hired, Separated
from ledger.policies.rulebook import RulebookSet
from ledger.timeutil import Period, quarter_of, start_of_day

__all__ = [
    "LEVELS_ZH",
    "Grade",
    "GradeInputs",
    "employment_quarters",
    "employment_span",
    "grades_for",
    "quarter_grade",
    "span_quarters",
]

LEVELS: tuple[GradeLevel, ...] = ("unqualified", "qualified", "good", "excellent")
LEVELS_ZH: dict[str, str] = {
    "excellent": "优秀",
    "good": "良好",
    "qualified": "合格",
    "unqualified": "不合格",
}
_WEIGHTED = ("notice", "warning", "demerit", "major_demerit")


@dataclass(frozen=True, slots=True)
class Grade:
    """One quarter's grade with its arithmetic."""

    period: str
    level: GradeLevel
    score: int
    components: tuple[GradeComponent, ...]
    capped_by: str | None
    rulebook_version: int


class _Graded(Protocol):
    @property
    def sanction_id(self) -> UUID: ...
    @property
    def kind(self) -> str: ...
    @property
    def issued_at(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime | None: ...


class _Offset(Protocol):
    @property
    def sanction_id(self) -> UUID: ...
    @property
    def at(self) -> datetime: ...


class GradeInputs(Protocol):
    """What a grade reads: outcomes and offsets (a :class:`~ledger.policies.engine.Derivation`,
    or the part of one a resumed derivation keeps)."""

    @property
    def outcomes(self) -> Sequence[_Graded]: ...
    @property
    def revocations(self) -> Sequence[_Offset]: ...


def _cap(level: GradeLevel, ceiling: GradeLevel) -> GradeLevel:
    return level if LEVELS.index(level) <= LEVELS.index(ceiling) else ceiling


def quarter_grade(derived: GradeInputs, quarter: Period, rulebooks: RulebookSet) -> Grade | None:
    """GRD-01 for ``quarter`` from a derivation, or ``None`` when no rulebook binds it."""
    adopted = rulebooks.in_force(quarter.last_instant) or rulebooks.in_force(quarter.start)
    if adopted is None:
        return None
    rules = adopted.rulebook.grade
    end = quarter.end
    revoked = {r.sanction_id for r in derived.revocations if r.at < end}
    counts = dict.fromkeys((*_WEIGHTED, "commendation"), 0)
    ceiling: GradeLevel = "excellent"
    capped_by = None
    for outcome in derived.outcomes:
        # Only what was issued before the quarter's end counts or is live at it (a card per
        # quarter of employment asks about years of outcomes issued after).
        if outcome.issued_at >= end or outcome.sanction_id in revoked:
            continue
        if outcome.issued_at in quarter and outcome.kind in counts:
            counts[outcome.kind] += 1
        live_at_end = outcome.expires_at is None or outcome.expires_at > quarter.last_instant
        if not live_at_end:
            continue
        if outcome.kind in ("demerit", "major_demerit") and ceiling != "qualified":
            ceiling, capped_by = "qualified", f"live {outcome.kind} {outcome.sanction_id}"
        elif outcome.kind == "warning" and ceiling == "excellent":
            ceiling, capped_by = "good", f"live warning {outcome.sanction_id}"
    weights = {k: int(getattr(rules, k)) for k in _WEIGHTED}
    components = [_component(k, counts[k], -weights[k] * counts[k]) for k in _WEIGHTED]
    bonus = min(rules.commendation_max, rules.commendation * counts["commendation"])
    components.append(_component("commendation", counts["commendation"], bonus))
    score = max(0, min(100, rules.base + sum(c.points for c in components)))
    if score >= rules.excellent:
        level: GradeLevel = "excellent"
    elif score >= rules.good:
        level = "good"
    elif score >= rules.qualified:
        level = "qualified"
    else:
        level = "unqualified"
    capped = _cap(level, ceiling)
    return Grade(
        period=quarter.label,
        level=capped,
        score=score,
        components=tuple(components),
        capped_by=capped_by if capped != level else None,
        rulebook_version=adopted.rulebook.version,
    )


@lru_cache(maxsize=1024)
def _component(kind: str, count: int, points: int) -> GradeComponent:
    """A grade's line, built once per value (frozen: equal lines are one; most quarters'
    lines are all zero)."""
    return GradeComponent(kind=kind, count=count, points=points)


def employment_span(facts: Sequence[Event]) -> tuple[datetime, datetime | None] | None:
    """From ``hired_on`` (else the first fact) until separation (``None``: still employed)."""
    if not facts:
        return None
    hires = [f.data for f in facts if isinstance(f.data, Hired)]

    start = start_of_day(hires[0].hired_on) if hires else min(f.occurred_at for f in facts)
    ends = [f.occurred_at for f in facts if isinstance(f.data, Separated)]
    return start, (max(ends) if ends else None)


def employment_quarters(facts: Sequence[Event], until: datetime) -> list[Period]:
    """Every quarter of employment that ended by ``until`` (for recording grades)."""
    return span_quarters(employment_span(facts), until)


def span_quarters(span: tuple[datetime, datetime | None] | None, until: datetime) -> list[Period]:
    """Every quarter of an employment span that ended by ``until``."""
    if span is None:
        return []
    start, end = span
    quarters: list[Period] = []
    quarter = quarter_of(start)
    while quarter.end <= until and (end is None or quarter.start <= end):
        quarters.append(quarter)
        quarter = quarter_of(quarter.end)
    return quarters


def grades_for(
    derived: GradeInputs, quarters: Iterable[Period], rulebooks: RulebookSet
) -> list[Grade]:
    """GRD-01 for each of ``quarters`` (skipping those no rulebook binds)."""
    return [g for g in (quarter_grade(derived, q, rulebooks) for q in quarters) if g is not None]
