"""Commands over on-demand projections: scorecard, scorecards, complaints (the board)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import click
from rich.table import Table

from ledger.app import Ledger
from ledger.cli import LedgerContext, fail, handles_errors, out
from ledger.cli.policy_cmds import emit
from ledger.cli.tables import RED, Column, Window, paging_options, print_table
from ledger.policies.grades import LEVELS_ZH
from ledger.projections.listings import (
    CardRecord,
    ComplaintBoard,
    QuarterCards,
    listed_employees,
)
from ledger.projections.measures import points_text
from ledger.projections.registers import (
    DepartmentSummary,
    department_summary,
    quota_percent,
    readable,
)
from ledger.projections.scorecard import Scorecard, grade_quarters, scorecard
from ledger.projections.view import employee_view
from ledger.timeutil import Period, parse_instant, quarter_of, to_the_second

__all__ = ["register"]


def _instant(text: str | None, what: str) -> datetime | None:
    return parse_instant(text, what=what) if text else None


def _known(ledger: Ledger, employee: str) -> None:
    if employee not in ledger.employees():
        fail(f"no employee {employee!r} in the ledger (see `ledger sanctions` for known ids)")


def _level(card: Scorecard) -> str:
    grade = card.grade
    if grade.level is None:
        return f"— ({grade.note})"
    text = f"{grade.level} {LEVELS_ZH[grade.level]} ({grade.score})"
    if grade.capped_by:
        text += f", capped by {grade.capped_by}"
    if grade.calibrated_from:
        text += f", calibrated from {grade.calibrated_from}"
    return text + (", provisional" if grade.provisional else "")


def _print_card(card: Scorecard) -> None:
    data = card.to_json()
    head = Table(
        title=f"Scorecard {card.employee_id} · {card.period.label}",
        caption=f"as of {to_the_second(card.as_of)}"
        + (f", as known at {to_the_second(card.known_at)}" if card.known_at else ""),
        show_header=False,
    )
    head.add_column("what", style="bold")
    head.add_column("value", overflow="fold")
    handler = data["complaints"]["as_handler"]
    subject = data["complaints"]["as_subject"]
    evaluations = ", ".join(
        f"{rater} {v['mean']} ({v['count']})" for rater, v in data["evaluations"].items()
    )
    for label, value in (
        ("department / role", f"{card.department or '?'} / {card.role or '?'}"),
        (f"grade {card.grade.period}", _level(card)),
        *((f"grade {g.period}", g.level or g.note) for g in card.grades if g is not card.grade),
        ("attendance points", points_text(data["attendance_points"]) + " (rolling window)"),
        ("live records", str(len(card.live_records))),
        ("fines / compensation", f"{data['fines_total']} / {data['compensation_total']}"),
        ("bonuses", data["bonuses_total"]),
        ("evaluations", evaluations or "none"),
        (
            "complaints handled",
            f"{handler['received']} received, {handler['open']} open, SLA "
            f"{handler['sla_compliance_percent'] or '—'} %",
        ),
        (
            "complaints verified",
            ", ".join(f"{n} {k}" for k, n in subject["verified"].items() if n) or "none",
        ),
        (
            "qualification / training",
            f"{card.qualification.status}; trainings {card.qualification.trainings_passed} "
            f"passed, {card.qualification.trainings_failed} failed",
        ),
        ("promotion", "eligible" if card.promotion.eligible else "not eligible"),
        *(("  reason", r) for r in card.promotion.reasons),
    ):
        head.add_row(label, str(value))
    out.print(head)
    if card.live_records:
        live = Table(title="Live discipline records")
        for column in ("id", "kind", "rule", "issued", "expires", "why"):
            live.add_column(column, overflow="fold")
        for record in card.live_records:
            live.add_row(
                str(record.sanction_id)[:8],
                record.kind,
                record.rule_id,
                record.issued_at.strftime("%Y-%m-%d %H:%M"),
                record.expires_at.strftime("%Y-%m-%d") if record.expires_at else "",
                record.summary,
            )
        out.print(live)
    counts = Table(title="Counts in the period")
    for column in ("facts", "n", "outcomes", "m"):
        counts.add_column(column)
    facts, outcomes = list(card.fact_counts.items()), list(card.outcome_counts.items())
    for index in range(max(len(facts), len(outcomes))):
        fact = facts[index] if index < len(facts) else ("", "")
        outcome = outcomes[index] if index < len(outcomes) else ("", "")
        counts.add_row(fact[0], str(fact[1]), outcome[0], str(outcome[1]))
    out.print(counts)
    for finding in card.findings:
        out.print(f"[yellow]finding[/] {finding.code}: {finding.message}")


@click.command(name="scorecard")
@click.argument("employee")
@click.option("--period", "-p", help="2026Q3, 2026-07 or 2026; default the quarter of as-of.")
@click.option("--as-of", "as_of", help="Valid time (ISO 8601); default now.")
@click.option("--known-at", "known_at", help="Transaction time: only what was recorded by then.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
@handles_errors
def scorecard_cmd(
    state: LedgerContext,
    employee: str,
    period: str | None,
    as_of: str | None,
    known_at: str | None,
    fmt: str,
) -> None:
    """One employee's scorecard: grade, points, records, money, complaints, promotion.

    \b
    Examples:
      ledger scorecard E1001 --period 2026Q3
      ledger scorecard E1001 --as-of 2026-09-30 --known-at 2026-10-02T12:00:00+08:00
    """
    ledger = state.open()
    _known(ledger, employee)
    view = employee_view(
        ledger,
        employee,
        as_of=_instant(as_of, "--as-of"),
        known_at=_instant(known_at, "--known-at"),
    )
    chosen = Period.parse(period) if period else quarter_of(view.as_of)
    card = scorecard(view, chosen)
    if fmt == "json":
        click.echo(json.dumps(card.to_json(), ensure_ascii=False, indent=2))
        return
    _print_card(card)


def _print_departments(summaries: tuple[DepartmentSummary, ...]) -> None:
    levels = ("excellent", "good", "qualified", "unqualified", "ungraded")
    columns = (
        Column("department", shrink=1),
        Column("quarter"),
        Column("n", align="right"),
        *(Column(level, align="right") for level in levels),
        Column("quota", align="right"),
        Column("over", align="right"),
        *(Column(money, align="right") for money in ("fines", "compensation", "bonuses")),
    )
    print_table(
        out,
        columns,
        [
            (
                s.department,
                s.quarter,
                str(s.employees),
                *(str(s.final[k]) for k in levels),
                f"{s.quota} ({s.quota_percent} %)",
                f"+{s.excess}" if s.excess else "",
                format(s.fines_total, "f"),
                format(s.compensation_total, "f"),
                format(s.bonuses_total, "f"),
            )
            for s in summaries
        ],
        title="Departments",
        empty="no departments",
    )
    for s in summaries:
        if s.over_quota and not s.calibrated:
            out.print(
                f"[yellow]{s.department}[/]: {s.distribution['excellent']} excellent, quota "
                f"{s.quota}; --calibrate demotes the {s.excess} lowest"
            )
        for c in s.calibrated:
            out.print(f"[yellow]calibrated[/] {c.employee_id}: excellent -> good. {c.reason}")


def _scorecard_columns(quarter: str) -> tuple[Column, ...]:
    """The listing's columns; the grade's header names the quarter graded."""
    return (
        Column("employee"),
        Column("department", shrink=2),
        Column(f"grade {quarter}"),
        *(
            Column(c, align="right")
            for c in ("score", "points", "live", "fines", "bonuses", "SLA %")
        ),
        Column("qualification", shrink=3),
        Column("promotion", shrink=1),
    )


def _grade_words(level: str | None) -> str:
    """``优秀 excellent``; ``—`` for no grade."""
    return f"{LEVELS_ZH[level]} {level}" if level else "—"


def _scorecard_cells(card: CardRecord) -> tuple[str, ...]:
    row = card.row()
    return (
        card.employee_id,
        card.department or "",
        _grade_words(card.grade.level)
        + (
            f" (was {_grade_words(card.grade.calibrated_from)})"
            if card.grade.calibrated_from
            else ""
        ),
        "" if card.grade.score is None else str(card.grade.score),
        points_text(row["attendance_points"]),
        str(row["live_records"]),
        row["fines_total"],
        row["bonuses_total"],
        row["sla_compliance_percent"] or "",
        row["qualification"],
        "eligible" if card.eligible else ", ".join(card.codes),
    )


_CHUNK = 200
"""Cards written at a time by the streamed JSON."""


def _echo_members(members: Iterable[tuple[str, Iterable[Any]]]) -> None:
    """Print ``{name: [items...], ...}`` (at least one member) as ``json.dumps(...,
    ensure_ascii=False, indent=2)`` would, newline included, each item dumped as it comes."""
    parts = ["{"]
    for index, (name, items) in enumerate(members):
        parts.append(("," if index else "") + f"\n  {json.dumps(name)}: ")
        started = False
        for item in items:
            text = json.dumps(item, ensure_ascii=False, indent=2).replace("\n", "\n    ")
            parts.append((",\n    " if started else "[\n    ") + text)
            started = True
            if len(parts) >= _CHUNK:
                click.echo("".join(parts), nl=False)
                parts.clear()
        parts.append("\n  ]" if started else "[]")
    parts.append("\n}")
    click.echo("".join(parts))


@click.command(name="scorecards")
@click.option("--period", "-p", required=True, help="2026Q3, 2026-07 or 2026.")
@click.option("--department", "-d", help="Only this department.")
@click.option("--calibrate", is_flag=True, help="Apply the excellent quota (demote the excess).")
@click.option("--as-of", "as_of", help="Valid time (ISO 8601); default now.")
@click.option("--known-at", "known_at", help="Transaction time: only what was recorded by then.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@paging_options
@click.pass_obj
@handles_errors
def scorecards_cmd(
    state: LedgerContext,
    period: str,
    department: str | None,
    calibrate: bool,
    as_of: str | None,
    known_at: str | None,
    fmt: str,
    limit: int | None,
    offset: int,
) -> None:
    """Every employee's scorecard for a period, with the department summary and quota check.

    At most 20 % excellent per department (rounded down, at least 1) is reported; --calibrate
    demotes the lowest-scoring excess excellents to good. Scorecards come by employee id;
    --offset and --limit page through them (the department summary still counts everyone).

    \b
    Examples:
      ledger scorecards --period 2026Q3
      ledger scorecards --period 2026Q3 --department front-desk --calibrate --format json
      ledger scorecards --period 2026Q3 --limit 20 --offset 40
    """
    ledger = state.open()
    chosen = Period.parse(period)
    moment, known = _instant(as_of, "--as-of"), _instant(known_at, "--known-at")
    at = moment or ledger.now()
    if known is None and "Q" in chosen.label:
        # The quarter's stored cards (a read model, caught up first), each one exact for
        # ``at`` or computed again on demand.
        cards = list(QuarterCards(ledger, chosen).cards(at))
    else:
        cards = [
            CardRecord.of(scorecard(employee_view(ledger, e, as_of=at, known_at=known), chosen))
            for e in listed_employees(ledger)
        ]
    if department is not None:
        cards = [c for c in cards if c.department == department]
    quarter, _ = grade_quarters(chosen, at)
    rulebooks = ledger.ledger_state(known)[0] if known else ledger.rulebooks()
    report = department_summary(cards, quota_percent(rulebooks, quarter), calibrate=calibrate)
    window = Window(offset, limit)
    shown = window.slice(report.scorecards)
    if fmt == "json":
        # json.dumps({"scorecards": [...], "departments": [...]}, indent=2), streamed: one
        # card decoded at a time.
        _echo_members(
            (
                ("scorecards", (c.to_json() for c in shown)),
                ("departments", (s.to_json() for s in report.departments)),
            )
        )
        return
    if fmt == "csv":
        header = list(report.scorecards[0].row()) if report.scorecards else []
        emit([c.row() for c in shown], fmt, header, "Scorecards")
        return
    total = len(report.scorecards)
    print_table(
        out,
        _scorecard_columns(quarter.label),
        [_scorecard_cells(card) for card in shown],
        title=f"Scorecards {chosen.label} ({total:,})",
        footer=window.footer(total, len(shown)),
        empty="no scorecards" if not total else "no scorecards in this window",
    )
    _print_departments(report.departments)


COMPLAINT_COLUMNS = (
    Column("complaint"),
    Column("handler"),
    Column("department", shrink=1),
    Column("received"),
    Column("reply"),
    Column("resolution"),
)


@click.command(name="complaints")
@click.option("--now", "now", help="Judge the clocks at this time (ISO 8601); default now.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@paging_options
@click.pass_obj
@handles_errors
def complaints_cmd(
    state: LedgerContext, now: str | None, fmt: str, limit: int | None, offset: int
) -> None:
    """The complaint board: open complaints, their handler, time left on each deadline.

    The most urgent come first; --offset and --limit page through them.

    \b
    Examples:
      ledger complaints
      ledger complaints --now 2026-09-30T18:00:00+08:00 --format json
      ledger complaints --limit 20
    """
    ledger = state.open()
    moment = _instant(now, "--now") or ledger.now()
    # The board's read model (caught up first): the complaints that may be open at
    # ``moment`` come from one index range, their clocks evaluated at ``moment``.
    board = ComplaintBoard(ledger).board(moment)
    window = Window(offset, limit)
    shown = window.slice(board)
    if fmt == "json":
        click.echo(json.dumps([c.to_json() for c in shown], ensure_ascii=False, indent=2))
        return
    cells = []
    for c in shown:
        reply, resolve = c.reply_left, c.resolve_left
        cells.append(
            (
                c.complaint_id,
                c.handler,
                c.department or "",
                c.received_at.strftime("%Y-%m-%d %H:%M"),
                "replied" if c.replied_at else (readable(reply) if reply is not None else "?"),
                readable(resolve) if resolve is not None else "?",
            )
        )
    print_table(
        out,
        COMPLAINT_COLUMNS,
        cells,
        title=f"Open complaints at {moment.strftime('%Y-%m-%d %H:%M')} ({len(board):,})",
        footer=window.footer(len(board), len(shown)),
        styles=[RED if c.overdue else None for c in shown],
        empty="no open complaints" if not board else "no open complaints in this window",
    )


def register(group: click.Group) -> None:
    """Add these commands to ``group``."""
    for command in (scorecard_cmd, scorecards_cmd, complaints_cmd):
        group.add_command(command)
