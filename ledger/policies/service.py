"""Service rules (seed 004 一.(3), 二.(1), 三.(3); seed 003 3.2, 4.2.1.2; seed 000 二.6, 三.1).

Worked example (default rulebook), complaint C1 received by handler E2 at 07-01 10:00::

    reply at 07-02 11:00 (> 24 h)      => SVC-02 notice to E2, issued 07-02 10:00
    resolved at 07-03 09:00 (<= 48 h)  => nothing
    verified against E3 (major)        => SVC-01 demerit to E3 + apology obligation due +24 h
    no apology by then                 => SVC-05 warning to E3 at the due time

Deadlines are met by a fulfilling fact that *occurred* by the deadline, even if it was
recorded later (reconciliation then voids the miss). A miss is issued only once the
deadline has passed (``ctx.now``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from ledger.events import (
    Basis,
    ComplaintReceived,
    ComplaintVerified,
    Event,
    FirstResponseTimed,
    PhoneAnswered,
    ServiceInspected,
)
from ledger.policies.common import counted, single, zh
from ledger.policies.framework import Context, Draft, Finding, RuleInfo, sanction_id_for
from ledger.policies.rulebook import Rulebook
from ledger.policies.windows import Timed, crossings, span
from ledger.timeutil import quarter_of

__all__ = [
    "SVC_01",
    "SVC_02",
    "SVC_03",
    "SVC_04",
    "SVC_05",
    "SVC_06",
    "apology_deadline",
    "inspections",
    "lapse_items",
    "reply_deadline",
    "resolution_deadline",
    "service_lapses",
    "verified_complaints",
]

SVC_01 = RuleInfo(
    "SVC-01",
    1,
    "Verified complaint (用户投诉经查属实)",
    ("warning", "demerit", "major_demerit", "obligation"),
)
SVC_02 = RuleInfo("SVC-02", 1, "Complaint reply deadline (投诉24小时内回复)", ("notice",))
SVC_03 = RuleInfo("SVC-03", 1, "Complaint resolution deadline (投诉48小时内解决)", ("warning",))
SVC_04 = RuleInfo(
    "SVC-04",
    1,
    "Service lapses: first response > 5 min, phone > 3 rings (首问/三声)",
    ("notice", "warning"),
)
SVC_05 = RuleInfo("SVC-05", 1, "Apology not made (未赔礼道歉)", ("warning",))
SVC_06 = RuleInfo("SVC-06", 1, "Failed inspection (检查不合格)", ("notice", "warning"))


def _book(ctx: Context, fact: Timed) -> Rulebook | None:
    return ctx.rulebook_at(fact.occurred_at)


def _fulfilled(ctx: Context, types: tuple[str, ...], complaint_id: str, deadline: datetime) -> bool:
    return any(
        getattr(f.data, "complaint_id", None) == complaint_id and f.occurred_at <= deadline
        for f in ctx.of(*types)
    )


def _deadline_miss(
    ctx: Context,
    rule: RuleInfo,
    kind: str,
    origin: Event,
    deadline: datetime,
    what: str,
    what_zh: str,
    hours: int,
    depends_on: tuple[UUID, ...] = (),
) -> Draft:
    return Draft(
        rule=rule,
        kind=kind,  # type: ignore[arg-type]
        caused_by=(origin.event_id,),
        issued_at=deadline,
        judged_at=origin.occurred_at,
        depends_on=depends_on,
        basis=Basis(
            summary=f"{what} not done within {hours} h (due {deadline.isoformat()}): {kind}",
            summary_zh=f"{what_zh}未在{hours}小时内完成(截止{deadline.isoformat()}): {zh(kind)}",
            counter="deadline",
            window_start=origin.occurred_at,
            window_end=deadline,
            counted=counted([(origin, Decimal(1))]),
            parameters=(("hours", str(hours)),),
        ),
    )


def _handler_deadline(
    ctx: Context,
    rule: RuleInfo,
    step: str,
    step_zh: str,
    fulfilling: tuple[str, ...],
    terms: Callable[[Rulebook], tuple[int, str]],
) -> Iterator[Draft | Finding]:
    """A received complaint's handler misses ``step`` unless a fulfilling fact occurred by
    the deadline; ``terms`` gives the rulebook's (hours, outcome) for it."""
    for fact in ctx.of("service.complaint_received"):
        book = _book(ctx, fact)
        assert isinstance(fact.data, ComplaintReceived)
        if book is None:
            continue
        hours, outcome = terms(book)
        deadline = fact.occurred_at + timedelta(hours=hours)
        cid = fact.data.complaint_id
        if (
            deadline <= ctx.now
            and ctx.wanted(deadline)
            and not _fulfilled(ctx, fulfilling, cid, deadline)
        ):
            yield _deadline_miss(
                ctx,
                rule,
                outcome,
                fact,
                deadline,
                f"{step} complaint {cid}",
                f"投诉{cid}的{step_zh}",
                hours,
            )


def reply_deadline(ctx: Context) -> Iterator[Draft | Finding]:
    """SVC-02: a received complaint not replied to within the reply window."""
    return _handler_deadline(
        ctx,
        SVC_02,
        "reply to",
        "回复",
        ("service.complaint_replied",),
        lambda book: (book.complaints.reply_hours, book.complaints.reply_outcome),
    )


def resolution_deadline(ctx: Context) -> Iterator[Draft | Finding]:
    """SVC-03: a received complaint not resolved (or dismissed) within the window."""
    return _handler_deadline(
        ctx,
        SVC_03,
        "resolution of",
        "解决",
        ("service.complaint_resolved", "service.complaint_dismissed"),
        lambda book: (book.complaints.resolve_hours, book.complaints.resolve_outcome),
    )


def verified_complaints(ctx: Context) -> Iterator[Draft | Finding]:
    """SVC-01: a verified complaint's discipline record and the duty to apologise."""
    for fact in ctx.current("service.complaint_verified"):
        book = _book(ctx, fact)
        assert isinstance(fact.data, ComplaintVerified)
        if book is None:
            continue
        kind = book.complaints.severity[fact.data.severity]
        cid = fact.data.complaint_id
        yield from single(
            SVC_01,
            [kind],
            fact,
            f"complaint {cid} verified ({fact.data.severity}): {kind}",
            f"投诉{cid}经查属实({fact.data.severity}): {zh(kind)}",
            parameters=(("severity", fact.data.severity),),
        )
        due = fact.occurred_at + timedelta(hours=book.complaints.apology_hours)
        yield Draft(
            rule=SVC_01,
            kind="obligation",
            caused_by=(fact.event_id,),
            issued_at=fact.occurred_at,
            judged_at=fact.occurred_at,
            due_at=due,
            basis=Basis(
                summary=f"apologise to the complainant of {cid} by {due.isoformat()}",
                summary_zh=f"须于{due.isoformat()}前就投诉{cid}赔礼道歉",
                window_start=fact.occurred_at,
                window_end=due,
                counted=counted([(fact, Decimal(1))]),
                parameters=(("apology_hours", str(book.complaints.apology_hours)),),
            ),
        )


def apology_deadline(ctx: Context) -> Iterator[Draft | Finding]:
    """SVC-05: the apology obligation of a verified complaint not met by its due time."""
    for fact in ctx.of("service.complaint_verified"):
        book = _book(ctx, fact)
        assert isinstance(fact.data, ComplaintVerified)
        if book is None:
            continue
        hours = book.complaints.apology_hours
        due = fact.occurred_at + timedelta(hours=hours)
        if (
            due <= ctx.now
            and ctx.wanted(due)
            and not _fulfilled(ctx, ("service.apology_made",), fact.data.complaint_id, due)
        ):
            # The miss depends on the SVC-01 obligation: voided on appeal, it never existed.
            adopted = ctx.rulebooks.in_force(fact.occurred_at)
            assert adopted is not None
            obligation = sanction_id_for(
                adopted, SVC_01, ctx.employee_id, "obligation", (fact.event_id,)
            )
            yield _deadline_miss(
                ctx,
                SVC_05,
                book.complaints.apology_outcome,
                fact,
                due,
                f"apology for complaint {fact.data.complaint_id}",
                f"投诉{fact.data.complaint_id}的赔礼道歉",
                hours,
                depends_on=(obligation,),
            )


def _lapse(fact: Event, book: Rulebook) -> bool:
    if isinstance(fact.data, FirstResponseTimed):
        return fact.data.seconds > book.lapses.first_response_seconds
    if isinstance(fact.data, PhoneAnswered):
        return fact.data.rings > book.lapses.max_rings
    return False


def lapse_items(
    rulebook_at: Callable[[datetime], Rulebook | None], facts: Iterable[Event]
) -> Iterator[tuple[Event, Decimal]]:
    """SVC-04's window items: each bound lapse, counting one."""
    for fact in facts:
        book = rulebook_at(fact.occurred_at)
        if book is not None and _lapse(fact, book):
            yield fact, Decimal(1)


def service_lapses(ctx: Context) -> Iterator[Draft | Finding]:
    """SVC-04: lapses (slow first response, phone past three rings) in a rolling window."""
    items = ctx.window(
        SVC_04,
        lapse_items(
            ctx.rulebook_at, ctx.of("service.first_response_timed", "service.phone_answered")
        ),
    )

    def book_of(fact: Timed) -> Rulebook:
        book = _book(ctx, fact)
        assert book is not None
        return book

    for crossing in crossings(
        items,
        lambda f: span(days=book_of(f).lapses.window_days),
        lambda f: [t.at for t in book_of(f).lapses.thresholds],
        ctx.since,
    ):
        book = book_of(crossing.fact)
        kind = next(t.outcome for t in book.lapses.thresholds if t.at == crossing.threshold)
        days = book.lapses.window_days
        yield Draft(
            rule=SVC_04,
            kind=kind,
            caused_by=(crossing.fact.event_id,),
            issued_at=crossing.fact.occurred_at,
            judged_at=crossing.fact.occurred_at,
            basis=Basis(
                summary=(
                    f"{crossing.value} service lapses in the rolling {days} days (was "
                    f"{crossing.previous}), crossing {crossing.threshold}: {kind}"
                ),
                summary_zh=(
                    f"滚动{days}天内服务失误{crossing.value}次, 达到{crossing.threshold}次: "
                    f"{zh(kind)}"
                ),
                counter="service lapses",
                window_start=crossing.window_start,
                window_end=crossing.fact.occurred_at,
                value=crossing.value,
                previous=crossing.previous,
                threshold=crossing.threshold,
                counted=counted(crossing.counted, "lapse"),
                parameters=(
                    ("first_response_seconds", str(book.lapses.first_response_seconds)),
                    ("max_rings", str(book.lapses.max_rings)),
                ),
            ),
        )


def inspections(ctx: Context) -> Iterator[Draft | Finding]:
    """SVC-06: a failed inspection; the 2nd and later in a calendar quarter weigh more."""
    if ctx.nothing_new("service.inspected"):
        return  # (each is issued at an inspection: none is new)
    failures: dict[str, int] = {}
    for fact in ctx.of("service.inspected"):
        book = _book(ctx, fact)
        assert isinstance(fact.data, ServiceInspected)
        if book is None or fact.data.passed:
            continue
        quarter = quarter_of(fact.occurred_at).label
        failures[quarter] = failures.get(quarter, 0) + 1
        nth = failures[quarter]
        if not ctx.wanted(fact.occurred_at):
            continue  # counted, not issued again
        kind = book.inspections.first_outcome if nth == 1 else book.inspections.repeat_outcome
        clause = f" ({fact.data.clause})" if fact.data.clause else ""
        yield from single(
            SVC_06,
            [kind],
            fact,
            f"failed {fact.data.inspection} inspection{clause}, no. {nth} in {quarter}: {kind}",
            f"{quarter}第{nth}次检查不合格{clause}: {zh(kind)}",
            parameters=(("quarter", quarter), ("failures_in_quarter", str(nth))),
        )
