"""A self-contained HTML report of a period: charts as inline SVG, no network, no scripts.

Sections: grade distribution per department, consequences per rule, attendance points over
the period, payroll deductions against their caps, and every employee's scorecard. The
charts (:mod:`ledger.charts`) scale with the window; the page names a Chinese font for every
common system and prints on paper with its colours.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING, Any

import orjson

from ledger.charts import FONT, bar_chart, grouped_columns, line_chart, stacked_bars
from ledger.events import LEDGER_STREAM
from ledger.money import ZERO
from ledger.policies.grades import LEVELS_ZH
from ledger.policies.rulebook import RulebookSet
from ledger.projections.listings import (
    STAMP,
    ReadModel,
    grade_of,
    listed_employees,
    per_employee,
)
from ledger.projections.measures import attendance_points, points_text
from ledger.projections.registers import department_summary, quota_percent
from ledger.projections.scorecard import QuarterGrade, scorecard
from ledger.projections.view import EmployeeView, employee_view
from ledger.store import ReadFilter
from ledger.timeutil import Period, month_of, months_of, quarter_of, to_the_second

if TYPE_CHECKING:
    from ledger.app import Ledger

__all__ = ["ReportCard", "ReportFigures", "ReportRows", "build_report", "report_figures"]

LEVEL_COLOURS = {
    "excellent": "#2e7d32",
    "good": "#7cb342",
    "qualified": "#f9a825",
    "unqualified": "#c62828",
    "ungraded": "#9e9e9e",
}
FONTS = (
    '-apple-system, BlinkMacSystemFont, "Segoe UI", "PingFang SC", "Hiragino Sans GB", '
    '"Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", '
    '"Helvetica Neue", Arial, sans-serif'
)
"""Latin system faces first, then a simplified-Chinese face of every common system (macOS,
Windows, Linux), so 中文 never falls back to a random font."""
CSS = f"""
:root{{--fonts:{FONTS}}}
body{{font-family:var(--fonts);margin:0 auto;padding:1rem clamp(.75rem,3vw,2.5rem);color:#222;
line-height:1.45}}
h1{{margin-bottom:.2rem;font-size:clamp(1.3rem,2.5vw,1.9rem)}}
h2{{margin-top:2.2rem;border-bottom:1px solid #ddd}}
.wide{{overflow-x:auto}}
table{{border-collapse:collapse;width:100%;font-size:.9rem}}
th,td{{border-bottom:1px solid #eee;padding:.3rem .5rem;text-align:left;vertical-align:top}}
td.num,th.num{{text-align:right;font-variant-numeric:tabular-nums}}
.meta,.note{{color:#555;font-size:.9rem}}
svg.chart{{display:block;width:100%;max-width:64rem;height:auto}}
svg.chart text{{font-family:var(--fonts);font-size:{FONT}px;fill:#333}}
svg.chart text.axis{{fill:#555;font-style:italic}}
@media print{{
  body{{padding:0;font-size:10pt}} h2{{break-after:avoid}} svg.chart,tr{{break-inside:avoid}}
  *{{print-color-adjust:exact;-webkit-print-color-adjust:exact}}
}}
"""
LEVEL_SERIES = tuple(
    (level, f"{LEVELS_ZH.get(level, '未评')} {level}", colour)
    for level, colour in LEVEL_COLOURS.items()
)
"""The grade chart's series: key, legend label, colour."""


def _count_text(value: float) -> str:
    return f"{value:.0f}"


def _money_text(value: float) -> str:
    return f"{value:.2f}"


def _points_text(value: float) -> str:
    return f"{value:.1f}"


def weekly_instants(period: Period) -> list[datetime]:
    """The instants of the attendance chart: every 7 days from the period's start, to its end."""
    instants = []
    at = period.start + timedelta(days=7)
    while at <= period.end:
        instants.append(at)
        at += timedelta(days=7)
    return instants


_SHOWN = ("grade", "attendance_points", "fines_total", "bonuses_total")


@dataclass(frozen=True, slots=True)
class ReportCard:
    """What the report reads of one employee's scorecard: the department summary's figures
    (a :class:`~ledger.projections.registers.GradedCard`) and its row's cells (``shown``,
    the part of :meth:`Scorecard.to_json` the row prints)."""

    employee_id: str
    department: str | None
    grade: QuarterGrade
    fines_total: Decimal
    compensation_total: Decimal
    bonuses_total: Decimal
    shown: dict[str, Any]

    def with_grade(self, grade: QuarterGrade) -> ReportCard:
        """A copy with ``grade`` counted (the report does not calibrate)."""
        return replace(self, grade=grade)


@dataclass(frozen=True, slots=True)
class ReportFigures:
    """One employee's part of the report of a period, at the report's instant.

    Attributes:
        card: the scorecard's figures.
        rules: consequences issued in the period (derived at the report's instant), per rule.
        points: attendance points at each of :func:`weekly_instants`.
        payroll: ``(month, deducted, cap or 0)`` of the period's months that have amounts.
    """

    card: ReportCard
    rules: dict[str, int]
    points: tuple[Decimal, ...]
    payroll: tuple[tuple[str, Decimal, Decimal], ...]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form; decimals as their exact text (``str``), so sums come out equal."""
        card = self.card
        return {
            "department": card.department,
            "grade": card.grade.to_json(),
            "money": [str(card.fines_total), str(card.compensation_total), str(card.bonuses_total)],
            "shown": card.shown,
            "rules": self.rules,
            "points": [str(p) for p in self.points],
            "payroll": [[m, str(d), str(c)] for m, d, c in self.payroll],
        }

    @classmethod
    def load(cls, employee_id: str, data: dict[str, Any]) -> ReportFigures:
        """The figures of :meth:`to_json`."""
        fines, compensation, bonuses = (Decimal(x) for x in data["money"])
        card = ReportCard(
            employee_id,
            data["department"],
            grade_of(data["grade"]),
            fines,
            compensation,
            bonuses,
            data["shown"],
        )
        return cls(
            card,
            data["rules"],
            tuple(Decimal(p) for p in data["points"]),
            tuple((m, Decimal(d), Decimal(c)) for m, d, c in data["payroll"]),
        )


def report_figures(view: EmployeeView, period: Period) -> ReportFigures:
    """What the report of ``period`` at ``view.as_of`` sums and shows of one employee."""
    card = scorecard(view, period)
    data = card.to_json()
    shown = {k: data[k] for k in _SHOWN}
    shown["live_records"] = [
        {"kind": r["kind"], "expires_at": r["expires_at"]} for r in data["live_records"]
    ]
    shown["promotion"] = {
        "eligible": data["promotion"]["eligible"],
        "reasons": data["promotion"]["reasons"],
    }
    rules = Counter(o.rule.rule_id for o in view.derivation.outcomes if o.issued_at in period)
    months = {m.label for m in months_of(period)}
    payroll = tuple(
        (m.month, m.deducted, m.cap or ZERO)
        for m in view.payroll()
        if m.month in months
    )
    return ReportFigures(
        ReportCard(
            card.employee_id,
            card.department,
            card.grade,
            card.fines_total,
            card.compensation_total,
            card.bonuses_total,
            shown,
        ),
        dict(rules),
        tuple(attendance_points(view.facts, view.rulebooks, at) for at in weekly_instants(period)),
        payroll,
    )


def _level_words(level: str | None) -> str:
    """``优秀 excellent`` (the CLI's words); ``—`` without a grade."""
    return f"{LEVELS_ZH[level]} {level}" if level in LEVELS_ZH else "—"


def _scorecard_rows(cards: Sequence[ReportCard], quarter: str) -> str:
    rows = []
    for card in cards:
        data = card.shown
        grade = data["grade"]
        reasons = "; ".join(data["promotion"]["reasons"]) or "eligible"
        records = ", ".join(
            f"{r['kind']} until {r['expires_at'][:10]}" for r in data["live_records"]
        )
        score = "" if grade["score"] is None else str(grade["score"])
        rows.append(
            "<tr>"
            f"<td>{escape(card.employee_id)}</td><td>{escape(card.department or '')}</td>"
            f"<td>{escape(_level_words(grade['level']))}</td>"
            f"<td class=num>{escape(score)}</td>"
            f"<td class=num>{escape(points_text(data['attendance_points']))}</td>"
            f"<td>{escape(records) or '-'}</td>"
            f"<td class=num>{escape(data['fines_total'])}</td>"
            f"<td class=num>{escape(data['bonuses_total'])}</td>"
            f"<td>{'yes' if data['promotion']['eligible'] else escape(reasons)}</td>"
            "</tr>"
        )
    head = (
        f"<tr><th>employee</th><th>department</th><th>grade {escape(quarter)}</th>"
        "<th class=num>score</th><th class=num>attendance points</th><th>live records</th>"
        "<th class=num>fines</th><th class=num>bonuses</th><th>promotion</th></tr>"
    )
    return f"<div class=wide><table>{head}{''.join(rows)}</table></div>"


def _window_months(rulebooks: RulebookSet) -> int:
    """The attendance window of the latest rulebook (RULEBOOK §3: 12 months)."""
    latest = rulebooks.latest()
    return 12 if latest is None else latest.rulebook.attendance.window_months


def _fingerprint(rulebooks: RulebookSet) -> list[list[str]]:
    return [
        [a.sha256, a.effective_from.isoformat(), a.published_on.isoformat()]
        for a in rulebooks.versions
    ]


class ReportRows:
    """The report's read model of one period (model ``report@2026Q3``, created on first use):
    one :class:`ReportFigures` row per employee, keyed by employee id, at the period's last
    instant (the report's instant once the period has ended).

    A row is a function of the employee's stream, the rulebooks and the horizon up to the
    end of the instant's month (the deadlines evaluated and the months closed by then); the
    stamp holds the last two, so catching up recomputes only the employees whose streams
    moved, and everyone when the stamp changes. docs/ARCHITECTURE.md, "Read models".
    """

    VERSION = 2
    """2: employees never hired are left out (``listed_employees``)."""

    def __init__(self, ledger: Ledger, period: Period) -> None:
        self.ledger = ledger
        self.period = period
        self.as_of = period.last_instant
        self.model = ReadModel(ledger, f"report@{period.label}")

    def _stamp(self) -> dict[str, Any]:
        horizon = self.ledger.horizon()
        bound = month_of(self.as_of).end
        if horizon is not None and horizon >= bound:
            horizon = bound  # every deadline and month the report reads is evaluated
        return {
            "version": self.VERSION,
            "as_of": self.as_of.isoformat(),
            "horizon": None if horizon is None else horizon.isoformat(),
            "rulebooks": _fingerprint(self.ledger.rulebooks()),
        }

    def catch_up(self) -> int:
        """Recompute the rows of the employees whose streams moved (everyone when the stamp
        changed); returns how many."""
        store = self.ledger.store
        head = store.head()
        since = self.model.checkpoint()
        stamp = self._stamp()
        fresh = self.model.stamp() == stamp
        if fresh and since >= head:
            return 0
        everyone = set(self.ledger.employees())
        employees = everyone
        if fresh:
            touched = {
                row.employee_id
                for row in store.rows(ReadFilter(from_position=since + 1, to_position=head))
            }
            employees = touched & everyone
        listed = set(listed_employees(self.ledger))
        rows = per_employee(
            self.ledger, sorted(employees & listed), _figures_row, self.period.label
        )
        rows.append((STAMP, LEDGER_STREAM, orjson.dumps(stamp).decode()))
        self.model.save(employees, rows, head, since)
        return len(employees)

    def rebuild(self) -> int:
        """Drop the rows and compute them again from the whole log."""
        self.model.drop()
        return self.catch_up()

    def figures(self) -> Iterator[ReportFigures]:
        """Every employee's figures by employee id, after catching up."""
        self.catch_up()
        for employee_id, _, value in self.model.page():
            yield ReportFigures.load(employee_id, orjson.loads(value))

    def dump(self) -> list[tuple[str, str, str]]:
        """Every stored row after catching up."""
        self.catch_up()
        return self.model.dump()


def _figures_row(ledger: Ledger, employee_id: str, label: str) -> tuple[str, str, str]:
    """One employee's row of ``report@label`` (run on a pool's worker)."""
    period = Period.parse(label)
    figures = report_figures(employee_view(ledger, employee_id, as_of=period.last_instant), period)
    return employee_id, employee_id, orjson.dumps(figures.to_json()).decode()


def report_models(ledger: Ledger, periods: Iterable[Period]) -> list[ReportRows]:
    """The stored report models among ``periods`` (those with a checkpoint)."""
    return [
        ReportRows(ledger, p)
        for p in periods
        if ledger.store.projection_checkpoint(f"report@{p.label}") > 0
    ]


def build_report(ledger: Ledger, period: Period) -> str:
    """The HTML text of the report of ``period``.

    The report describes ``min(period's last instant, now)``. Once the period has ended that
    is a fixed instant and the figures come from the period's read model
    (:class:`ReportRows`); before, each employee's figures are computed on demand. Either
    way one employee is held at a time.
    """
    as_of = min(period.last_instant, ledger.now())
    if as_of == period.last_instant:
        each: Iterable[ReportFigures] = ReportRows(ledger, period).figures()
    else:
        each = (
            report_figures(employee_view(ledger, e, as_of=as_of), period)
            for e in listed_employees(ledger)
        )
    instants = weekly_instants(period)
    months = [m.label for m in months_of(period)]
    cards: list[ReportCard] = []
    per_rule: Counter[str] = Counter()
    weekly = [ZERO for _ in instants]
    totals: dict[str, list[Decimal]] = {m: [ZERO, ZERO] for m in months}
    for figures in each:
        cards.append(figures.card)
        per_rule.update(figures.rules)
        weekly = [total + value for total, value in zip(weekly, figures.points, strict=True)]
        for month, deducted, cap in figures.payroll:
            totals[month][0] += deducted
            totals[month][1] += cap
    quarter = quarter_of(as_of)
    summary = department_summary(cards, quota_percent(ledger.rulebooks(), quarter))
    grades = stacked_bars(
        [(d.department, dict(d.distribution)) for d in summary.departments],
        LEVEL_SERIES,
        "Grade distribution per department",
        axis=f"share of each department's employees by {quarter.label} grade",
    )
    rules = bar_chart(
        sorted(per_rule.items()),
        "Consequences per rule",
        value_text=_count_text,
        axis=f"consequences issued in {period.label}",
    )
    series = [
        (at.strftime("%m-%d"), float(total / len(cards)) if cards else 0.0)
        for at, total in zip(instants, weekly, strict=True)
    ]
    window = _window_months(ledger.rulebooks())
    points = line_chart(
        series,
        "Mean attendance points per employee",
        value_text=_points_text,
        least=0.1,
        y_axis=f"mean ATT-01 points per employee (rolling {window} months)",
        x_axis="end of each week (month-day)",
    )
    payroll = grouped_columns(
        [(m, (float(d), float(c))) for m, (d, c) in totals.items() if d or c],
        (("deducted", "#c62828"), ("cap (sum)", "#90a4ae")),
        "Deductions vs caps",
        value_text=_money_text,
        least=0.01,
        y_axis="CNY per month, employees with amounts due",
    )
    book = ledger.rulebooks().latest()
    book_text = f"{book.rulebook.id} v{book.rulebook.version}" if book else "none"
    summary_rows = "".join(
        f"<tr><td>{escape(d.department)}</td><td class=num>{d.employees}</td>"
        f"<td class=num>{d.distribution.get('excellent', 0)}</td><td class=num>{d.quota}</td>"
        f"<td>{'over quota 超出' if d.over_quota else 'ok'}</td>"
        f"<td class=num>{_money_text(float(d.fines_total))}</td>"
        f"<td class=num>{_money_text(float(d.bonuses_total))}</td></tr>"
        for d in summary.departments
    )
    window_note = (
        f"The mean, over the {len(cards)} employees, of each one's ATT-01 attendance points "
        f"in the rolling {window}-month window ending at the end of each week of "
        f"{period.label} (RULEBOOK §3)."
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Conduct report {escape(period.label)}</title><style>{CSS}</style></head>
<body>
<h1>Conduct report 服务考核报告 — {escape(period.label)}</h1>
<p class="meta">as of {escape(to_the_second(as_of))}; rulebook {escape(book_text)};
{len(cards)} employees; chain head {escape(ledger.store.head_hash())}</p>
<h2 id="grades">Grade distribution per department 各部门考核等级分布</h2>
{grades}
<div class=wide><table><tr><th>department</th><th class=num>employees</th>
<th class=num>excellent 优秀</th><th class=num>quota 名额</th><th>quota check</th>
<th class=num>fines</th><th class=num>bonuses</th></tr>{summary_rows}</table></div>
<h2 id="rules">Consequences per rule 各规则处理数量</h2>
{rules}
<h2 id="attendance">Attendance points over time 考勤积分趋势</h2>
<p class="note">{escape(window_note)}</p>
{points}
<h2 id="payroll">Payroll deductions vs caps 工资扣款与上限</h2>
<p class="note">Per month: what was deducted from wages, against the sum of the deduction caps
(min(20 % of the wage, wage − minimum wage)) of the employees who had amounts due.</p>
{payroll}
<h2 id="scorecards">Scorecards 个人考核卡</h2>
{_scorecard_rows(cards, quarter.label)}
</body></html>
"""
