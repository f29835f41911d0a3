"""Recognition and development rules (seed 001 二.(三), 三.(三).2, 四.(一).1, 五.(二).1).

Worked example (default rulebook), 2026Q3::

    praise 07-02, praise 08-15, praise 09-01   => REC-01 commendation + bonus 100.00 (3rd)
    praise 09-20                               => nothing more this quarter
    suggestion adopted, tier 2                 => REC-02 bonus 300.00
    supervision report                         => REC-03 bonus 100.00
    good deed                                  => REC-04 commendation
    served customers before qualifying         => TRN-01 finding, not a sanction

REC-05 (a commendation offsets the oldest live warning) runs in the escalation pass, where
the live warnings are known.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ledger.events import Basis, OutcomeKind, QualificationAssessed, SuggestionAdopted
from ledger.policies.common import counted, single
from ledger.policies.framework import Context, Draft, Finding, RuleInfo
from ledger.timeutil import quarter_of

__all__ = [
    "REC_01",
    "REC_02",
    "REC_03",
    "REC_04",
    "TRN_01",
    "good_deeds",
    "praise",
    "qualification_gate",
    "suggestions",
    "supervision_reports",
]

REC_01 = RuleInfo(
    "REC-01", 1, "Customer praise, 3rd in a quarter (客户表扬)", ("commendation", "bonus")
)
REC_02 = RuleInfo("REC-02", 1, "Suggestion adopted (合理建议被采纳)", ("bonus",))
REC_03 = RuleInfo("REC-03", 1, "Useful supervision report (有效监督信息)", ("bonus",))
REC_04 = RuleInfo("REC-04", 1, "Good deed (好人好事)", ("commendation",))
TRN_01 = RuleInfo("TRN-01", 1, "Qualification before serving (考核合格后方可上岗)", ())


def praise(ctx: Context) -> Iterator[Draft | Finding]:
    """REC-01: the Nth praise of a calendar quarter earns a commendation and a bonus, once."""
    if ctx.nothing_new("service.customer_praised"):
        return  # (each is issued at a praise: none is new)
    by_quarter: dict[str, list[object]] = {}
    for fact in ctx.of("service.customer_praised"):
        book = ctx.rulebook_at(fact.occurred_at)
        if book is None:
            continue
        quarter = quarter_of(fact.occurred_at).label
        seen = by_quarter.setdefault(quarter, [])
        seen.append(fact)
        if len(seen) != book.recognition.praise_per_quarter or not ctx.wanted(fact.occurred_at):
            continue
        facts = [f for f in ctx.of("service.customer_praised") if f in seen]
        bonus = book.recognition.praise_bonus
        basis = Basis(
            summary=f"praise no. {len(seen)} in {quarter}: commendation and bonus {bonus}",
            summary_zh=f"{quarter}第{len(seen)}次客户表扬: 嘉奖并奖金{bonus}元",
            counter="praise in quarter",
            window_end=fact.occurred_at,
            value=Decimal(len(seen)),
            threshold=Decimal(book.recognition.praise_per_quarter),
            counted=counted([(f, Decimal(1)) for f in facts]),
            parameters=(("quarter", quarter),),
        )
        causes = tuple(f.event_id for f in facts)
        pairs: tuple[tuple[OutcomeKind, Decimal | None], ...] = (
            ("commendation", None),
            ("bonus", bonus),
        )
        for kind, amount in pairs:
            yield Draft(
                rule=REC_01,
                kind=kind,
                caused_by=causes,
                issued_at=fact.occurred_at,
                judged_at=fact.occurred_at,
                basis=basis,
                amount=amount,
            )


def suggestions(ctx: Context) -> Iterator[Draft | Finding]:
    """REC-02: a bonus by the adopted suggestion's tier."""
    for fact in ctx.current("recognition.suggestion_adopted"):
        book = ctx.rulebook_at(fact.occurred_at)
        assert isinstance(fact.data, SuggestionAdopted)
        if book is None:
            continue
        tier = str(fact.data.tier)
        amount = book.recognition.suggestion_bonus[tier]  # type: ignore[index]
        yield from single(
            REC_02,
            ["bonus"],
            fact,
            f"suggestion adopted (tier {tier}): bonus {amount}",
            f"合理建议被采纳({tier}级): 奖金{amount}元",
            amount=amount,
        )


def supervision_reports(ctx: Context) -> Iterator[Draft | Finding]:
    """REC-03: a bonus for useful supervision information."""
    for fact in ctx.current("recognition.supervision_report"):
        book = ctx.rulebook_at(fact.occurred_at)
        if book is None:
            continue
        amount = book.recognition.supervision_bonus
        yield from single(
            REC_03,
            ["bonus"],
            fact,
            f"useful supervision report: bonus {amount}",
            f"提供有效监督信息: 奖金{amount}元",
            amount=amount,
        )


def good_deeds(ctx: Context) -> Iterator[Draft | Finding]:
    """REC-04: a commendation for a good deed."""
    for fact in ctx.current("recognition.good_deed"):
        if ctx.rulebook_at(fact.occurred_at) is None:
            continue
        yield from single(
            REC_04, ["commendation"], fact, "good deed: commendation", "好人好事: 嘉奖"
        )


def qualification_gate(ctx: Context) -> Iterator[Draft | Finding]:
    """TRN-01: service facts before the first passed qualification, for hired employees."""
    if ctx.since is not None or not ctx.of("employee.hired"):
        return  # (a resumed derivation reports no findings: the full one does)
    passed = [
        f
        for f in ctx.of("employee.qualification_assessed")
        if isinstance(f.data, QualificationAssessed) and f.data.passed
    ]
    gate = passed[0].occurred_at if passed else None
    early = [
        f
        for f in ctx.facts
        if f.type.startswith("service.")
        and f.type != "service.inspected"
        and (gate is None or f.occurred_at < gate)
    ]
    if early:
        when = "before qualifying" if gate else "without a passed qualification assessment"
        yield Finding(
            code="served_before_qualification",
            employee_id=ctx.employee_id,
            at=early[0].occurred_at,
            message=f"{len(early)} service fact(s) {when} (TRN-01; 考核合格后方可正式上岗)",
            event_ids=tuple(f.event_id for f in early),
        )
