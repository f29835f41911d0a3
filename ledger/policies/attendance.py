"""Attendance rules (seed 000 服务规范 一.4 "不迟到早退, 不擅自离岗"; seed 001 三.(二).2).

ATT-01 turns lateness, early departure, posts left and absences into points over a rolling
12 months and issues the highest threshold crossed. Worked example (default rulebook)::

    07-01 late 40 min  -> 1 point   (total 1)
    07-02 absence 1 d  -> 3 points  (total 4: crosses 4)   => notice
    07-03 late 12 min  -> 0.5       (total 4.5)
    07-04 post left    -> 1         (total 5.5)
    07-05 late 3 min   -> 0 (grace) (total 5.5)
    07-06 absence 1 d  -> 3         (total 8.5: crosses 6 and 8) => demerit (highest only)

ATT-02 recommends dismissal (劳动合同法 第39条; a human decides) when unauthorised absence
days reach 3 in a rolling 30 days or 5 in a rolling 12 months.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from ledger.events import Absence, Basis, EarlyDeparture, Event, LateArrival, PostLeft
from ledger.policies.common import counted, zh
from ledger.policies.framework import Context, Draft, RuleInfo
from ledger.policies.rulebook import Rulebook, SeriousAbsence
from ledger.policies.windows import Timed, crossings, span

__all__ = [
    "ATT_01",
    "ATT_02",
    "absence_items",
    "attendance_items",
    "attendance_points",
    "serious_absence",
]

ATT_01 = RuleInfo(
    "ATT-01",
    1,
    "Attendance points ladder (考勤积分: 迟到/早退/擅自离岗/旷工)",
    ("notice", "warning", "demerit", "major_demerit"),
)
ATT_02 = RuleInfo(
    "ATT-02", 1, "Serious unauthorised absence (严重旷工)", ("dismissal_recommended",)
)
_TYPES = (
    "attendance.late_arrival",
    "attendance.early_departure",
    "attendance.post_left",
    "attendance.absence",
)


def points_of(fact: Event, book: Rulebook) -> Decimal:
    """The attendance points a fact is worth under ``book``."""
    rules = book.attendance
    data = fact.data
    if isinstance(data, LateArrival | EarlyDeparture):
        if data.minutes <= rules.grace_minutes:
            return Decimal(0)
        return rules.minor_points if data.minutes <= rules.minor_max_minutes else rules.major_points
    if isinstance(data, PostLeft):
        return rules.post_left_points
    if isinstance(data, Absence):
        return rules.absence_points_per_day * data.days
    return Decimal(0)


def attendance_items(
    rulebook_at: Callable[[datetime], Rulebook | None], facts: Iterable[Event]
) -> Iterator[tuple[Event, Decimal]]:
    """ATT-01's window items: each bound attendance fact with its points."""
    for fact in facts:
        book = rulebook_at(fact.occurred_at)
        if book is not None and fact.type in _TYPES:
            yield fact, points_of(fact, book)


def absence_items(
    rulebook_at: Callable[[datetime], Rulebook | None], facts: Iterable[Event]
) -> Iterator[tuple[Event, Decimal]]:
    """ATT-02's window items: each bound absence with its days."""
    for fact in facts:
        if isinstance(fact.data, Absence) and rulebook_at(fact.occurred_at):
            yield fact, Decimal(fact.data.days)


def attendance_points(ctx: Context) -> Iterator[Draft]:
    """ATT-01: the highest attendance-points threshold crossed at each fact.

    Each fact's points, and the window and thresholds applied at it, come from the
    rulebook binding that fact.
    """

    def book_of(fact: Timed) -> Rulebook:
        book = ctx.rulebook_at(fact.occurred_at)
        assert book is not None  # only bound facts are counted
        return book

    def _window(fact: Event) -> relativedelta:
        return span(months=book_of(fact).attendance.window_months)

    def _thresholds(fact: Event) -> list[Decimal]:
        return [t.at for t in book_of(fact).attendance.thresholds]

    items = ctx.window(ATT_01, attendance_items(ctx.rulebook_at, ctx.of(*_TYPES)))
    for crossing in crossings(items, _window, _thresholds, ctx.since):
        book = book_of(crossing.fact)
        outcome = next(t.outcome for t in book.attendance.thresholds if t.at == crossing.threshold)
        if outcome == "dismissal_recommended":
            continue
        yield Draft(
            rule=ATT_01,
            kind=outcome,
            caused_by=(crossing.fact.event_id,),
            issued_at=crossing.fact.occurred_at,
            judged_at=crossing.fact.occurred_at,
            basis=Basis(
                summary=(
                    f"attendance points reached {crossing.value} in the rolling "
                    f"{book.attendance.window_months} months (was {crossing.previous}), crossing "
                    f"{crossing.threshold}: {outcome}"
                ),
                summary_zh=(
                    f"滚动{book.attendance.window_months}个月考勤积分由{crossing.previous}升至"
                    f"{crossing.value}, 达到{crossing.threshold}分: {zh(outcome)}"
                ),
                counter="attendance points",
                window_start=crossing.window_start,
                window_end=crossing.fact.occurred_at,
                value=crossing.value,
                previous=crossing.previous,
                threshold=crossing.threshold,
                counted=counted(crossing.counted, "points"),
                parameters=(
                    ("grace_minutes", str(book.attendance.grace_minutes)),
                    (
                        "thresholds",
                        ", ".join(f"{t.at}={t.outcome}" for t in book.attendance.thresholds),
                    ),
                ),
            ),
        )


def serious_absence(ctx: Context) -> Iterator[Draft]:
    """ATT-02: absence days reaching the short- or long-window limit."""
    items = ctx.window(ATT_02, absence_items(ctx.rulebook_at, ctx.of("attendance.absence")))

    def rules(fact: Timed) -> SeriousAbsence:
        book = ctx.rulebook_at(fact.occurred_at)
        assert book is not None
        return book.serious_absence

    windows: tuple[
        tuple[
            Callable[[Event], relativedelta],
            Callable[[Event], list[Decimal]],
            Callable[[SeriousAbsence], tuple[str, str]],
        ],
        ...,
    ] = (
        (
            lambda f: span(days=rules(f).short_window_days),
            lambda f: [Decimal(rules(f).short_window_days_absent)],
            lambda r: (f"{r.short_window_days} days", f"{r.short_window_days}天"),
        ),
        (
            lambda f: span(months=rules(f).long_window_months),
            lambda f: [Decimal(rules(f).long_window_days_absent)],
            lambda r: (f"{r.long_window_months} months", f"{r.long_window_months}个月"),
        ),
    )
    found: dict[object, Draft] = {}
    for window, limits, labels in windows:
        for crossing in crossings(items, window, limits, ctx.since):
            label, label_zh = labels(rules(crossing.fact))
            limit = crossing.threshold
            if crossing.fact.event_id in found:
                continue
            found[crossing.fact.event_id] = Draft(
                rule=ATT_02,
                kind="dismissal_recommended",
                caused_by=(crossing.fact.event_id,),
                issued_at=crossing.fact.occurred_at,
                judged_at=crossing.fact.occurred_at,
                basis=Basis(
                    summary=(
                        f"unauthorised absence reached {crossing.value} days within {label} "
                        f"(limit {limit}): dismissal recommended for a human decision "
                        "(Labour Contract Law art. 39)"
                    ),
                    summary_zh=(
                        f"{label_zh}内旷工累计{crossing.value}天(上限{limit}天): 建议辞退, "
                        "由人工决定(劳动合同法第39条)"
                    ),
                    counter="absence days",
                    window_start=crossing.window_start,
                    window_end=crossing.fact.occurred_at,
                    value=crossing.value,
                    previous=crossing.previous,
                    threshold=crossing.threshold,
                    counted=counted(crossing.counted, "days"),
                ),
            )
    yield from sorted(found.values(), key=lambda d: (d.issued_at, d.caused_by[0].int))
