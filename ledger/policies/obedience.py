"""Obedience rules (seed 001 三 服从管理制度).

Worked example (default rulebook), all in 2026Q3::

    task T1 due 07-10 18:00, completed 07-10 17:00  => nothing
    task T2 due 08-01 18:00, never completed        => OBD-02 notice at 08-01 18:00 (1st miss)
    task T3 due 09-01 18:00, completed 09-02        => OBD-02 warning at 09-01 18:00 (2nd miss)
    task T4 refused, no approved alternative        => OBD-01 warning
    acted beyond authority                          => OBD-03 warning
    missed the weekly meeting                       => OBD-04 notice

A task the employee refused (on or before its due time) is judged by OBD-01 alone, never
also as a missed deadline.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ledger.events import Basis, TaskAssigned, TaskRefused
from ledger.policies.common import counted, single, zh
from ledger.policies.framework import Context, Draft, Finding, RuleInfo
from ledger.timeutil import quarter_of

__all__ = [
    "OBD_01",
    "OBD_02",
    "OBD_03",
    "OBD_04",
    "authority_exceeded",
    "meetings_missed",
    "missed_deadlines",
    "refusals",
]

OBD_01 = RuleInfo(
    "OBD-01", 1, "Task refused without an approved alternative (拒绝任务)", ("warning",)
)
OBD_02 = RuleInfo("OBD-02", 1, "Task deadline missed (未按时完成任务)", ("notice", "warning"))
OBD_03 = RuleInfo("OBD-03", 1, "Acted beyond authority (擅自做主)", ("warning",))
OBD_04 = RuleInfo("OBD-04", 1, "Required meeting missed (缺席会议)", ("notice",))


def refusals(ctx: Context) -> Iterator[Draft | Finding]:
    """OBD-01: a refusal without an approved alternative."""
    for fact in ctx.current("task.refused"):
        book = ctx.rulebook_at(fact.occurred_at)
        assert isinstance(fact.data, TaskRefused)
        if book is None or fact.data.approved_alternative:
            continue
        kind = book.obedience.refusal_outcome
        yield from single(
            OBD_01,
            [kind],
            fact,
            f"task {fact.data.task_id} refused without an approved alternative: {kind}",
            f"无正当理由拒绝任务{fact.data.task_id}: {zh(kind)}",
        )


def missed_deadlines(ctx: Context) -> Iterator[Draft | Finding]:
    """OBD-02: assigned tasks not completed by their due time, counted per quarter."""
    misses = []
    for fact in ctx.of("task.assigned"):
        assert isinstance(fact.data, TaskAssigned)
        book = ctx.rulebook_at(fact.occurred_at)
        due = fact.data.due_at
        if book is None or due > ctx.now:
            continue
        task_id = fact.data.task_id
        settled = any(
            getattr(f.data, "task_id", None) == task_id and f.occurred_at <= due
            for f in ctx.of("task.completed", "task.refused")
        )
        if not settled:
            misses.append((due, fact.event_id.int, fact, book))
    per_quarter: dict[str, int] = {}
    for due, _, fact, book in sorted(misses, key=lambda m: (m[0], m[1])):
        assert isinstance(fact.data, TaskAssigned)
        quarter = quarter_of(due).label
        per_quarter[quarter] = per_quarter.get(quarter, 0) + 1
        nth = per_quarter[quarter]
        if not ctx.wanted(due):
            continue  # counted, not issued again
        rules = book.obedience
        kind = rules.missed_deadline_first if nth == 1 else rules.missed_deadline_repeat
        yield Draft(
            rule=OBD_02,
            kind=kind,
            caused_by=(fact.event_id,),
            issued_at=due,
            judged_at=fact.occurred_at,
            basis=Basis(
                summary=(
                    f"task {fact.data.task_id} not completed by {due.isoformat()}; missed "
                    f"deadline no. {nth} in {quarter}: {kind}"
                ),
                summary_zh=(
                    f"任务{fact.data.task_id}未在{due.isoformat()}前完成, {quarter}第{nth}次"
                    f"逾期: {zh(kind)}"
                ),
                counter="missed deadlines in quarter",
                window_start=fact.occurred_at,
                window_end=due,
                value=Decimal(nth),
                counted=counted([(fact, Decimal(1))]),
                parameters=(("quarter", quarter),),
            ),
        )


def authority_exceeded(ctx: Context) -> Iterator[Draft | Finding]:
    """OBD-03: deciding beyond one's authority."""
    for fact in ctx.current("task.authority_exceeded"):
        book = ctx.rulebook_at(fact.occurred_at)
        if book is None:
            continue
        kind = book.obedience.authority_exceeded_outcome
        yield from single(
            OBD_03, [kind], fact, f"acted beyond authority: {kind}", f"擅自做主: {zh(kind)}"
        )


def meetings_missed(ctx: Context) -> Iterator[Draft | Finding]:
    """OBD-04: a missed required meeting."""
    for fact in ctx.current("task.meeting_missed"):
        book = ctx.rulebook_at(fact.occurred_at)
        if book is None:
            continue
        kind = book.obedience.meeting_missed_outcome
        yield from single(
            OBD_04, [kind], fact, f"missed a required meeting: {kind}", f"缺席会议: {zh(kind)}"
        )
