"""A synthetic company quarter for ``ledger demo``, deterministic for a seed.

:func:`generate` invents a company of ``employees`` people in five departments (前台 front
desk, 呼叫中心 call centre, 外勤 field service, 收费 billing, 售后 after-sales) and a quarter of
what its systems and supervisors would record about them. Mostly good conduct: phones picked
up by the third ring, visitors attended within five minutes, evaluations by all four raters,
training, praise. Some lateness (mostly within the five-minute grace), a few absences,
complaints with their lifecycle (most answered in time, some verified against a colleague who
then apologises), tasks (a few missed), inspections, and rare serious breaches. Scripted
stories (:data:`STORIES`) make sure every observation type occurs, whatever the size::

    E1001 front desk   newcomer: serves before passing the 上岗考核 (a TRN-01 finding)
    E1002 call centre  struggling: lateness, an absence, a post left; a 52-minute "late
                       arrival" was a badge-reader fault and is retracted
    E1006 front desk   appellant: a discourtesy warning, appealed and upheld

:func:`run_demo` records it into a fresh SQLite ledger in two phases, as a company would: the
quarter's observations first; then what came later, the retraction and the appeal (which
needs the id of the warning the ledger derived, see :func:`appeal_events`). The company's
access document (:func:`~ledger.access.document.company_access_document`) is adopted first,
and every fact is recorded by the actor it names, as that actor. It ticks to the
quarter's end and prints the department summary, the grade distribution, the employees with
the most consequences, one full explanation and the commands to explore further.

Event ids are UUIDv5 of the seed, the period and a counter; every event the demo records has
``source = "demo:seed=N"``, which is how :func:`is_demo_database` recognises a database
:func:`run_demo` may replace.
"""

from __future__ import annotations

import shlex
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from math import exp
from pathlib import Path
from random import Random
from typing import Literal
from uuid import UUID, uuid5

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ledger.access.document import company_access_document
from ledger.app import Ledger
from ledger.audit import explain
from ledger.errors import UsageError
from ledger.events import (
    DISCIPLINE_KINDS,
    Absence,
    ApologyMade,
    AppealDecided,
    AppealFiled,
    AuthorityExceeded,
    ComplaintDismissed,
    ComplaintReceived,
    ComplaintReplied,
    ComplaintResolved,
    ComplaintVerified,
    CustomerPraised,
    EarlyDeparture,
    Event,
    EventData,
    FirstResponseTimed,
    GoodDeed,
    GradeAssigned,
    Hired,
    LateArrival,
    LeaveTaken,
    MeetingMissed,
    PhoneAnswered,
    PostLeft,
    PropertyDamaged,
    QualificationAssessed,
    Retracted,
    Separated,
    ServiceEvaluated,
    ServiceInspected,
    SuggestionAdopted,
    SupervisionReported,
    TaskAssigned,
    TaskCompleted,
    TaskRefused,
    TrainingCompleted,
    Transferred,
    Violation,
    WageChanged,
)
from ledger.policies.common import zh
from ledger.policies.grades import LEVELS, LEVELS_ZH
from ledger.policies.rulebook import Rulebook
from ledger.policies.status import SanctionState
from ledger.projections.registers import department_summary, quota_percent
from ledger.projections.scorecard import Scorecard, scorecard
from ledger.projections.view import employee_view
from ledger.timeutil import COMPANY_TZ, Period

__all__ = [
    "DEPARTMENTS",
    "STORIES",
    "DemoResult",
    "Department",
    "appeal_events",
    "generate",
    "is_demo_database",
    "run_demo",
]

NAMESPACE = UUID("0f3c9a52-6d1e-5b7a-9c44-2e8d7f1a6b30")
"""Namespace of the demo's event ids: uuid5 of ``"{seed}/{period}/{counter}"``."""

Temperament = Literal["star", "steady", "struggling"]


@dataclass(frozen=True, slots=True)
class Department:
    """A department of the demo company and how often its work is observed."""

    code: str
    name_zh: str
    role: str
    base_wage: int
    phones_per_day: float
    responses_per_day: float
    complaints_per_quarter: float
    customer_ratings: int


DEPARTMENTS: tuple[Department, ...] = (
    Department("front-desk", "前台", "receptionist", 4200, 0.3, 0.9, 1.6, 3),
    Department("call-centre", "呼叫中心", "agent", 4500, 1.2, 0.0, 2.0, 3),
    Department("field-service", "外勤", "technician", 6000, 0.2, 0.2, 0.3, 2),
    Department("billing", "收费", "cashier", 5000, 0.3, 0.7, 1.0, 2),
    Department("after-sales", "售后", "service-rep", 4800, 0.6, 0.5, 2.0, 3),
)
_NAMES_ZH = {d.code: d.name_zh for d in DEPARTMENTS}

# Per temperament: lateness per day, share of service lapses, praise per quarter, mean 360 score.
_TEMPER: dict[Temperament, tuple[float, float, float, float]] = {
    "star": (0.02, 0.015, 2.5, 91.0),
    "steady": (0.04, 0.03, 1.0, 84.0),
    "struggling": (0.12, 0.08, 0.3, 72.0),
}
_COURSES = (
    "服务礼仪 service etiquette",
    "投诉处理 complaint handling",
    "客户信息保护 data protection",
    "安全生产 safety",
    "收费系统 billing system",
)
_CHANNELS = ("hotline", "counter", "wechat", "web", "letter")
_RATERS: tuple[Literal["peer", "supervisor", "self"], ...] = ("peer", "peer", "supervisor", "self")
BOSS = "supervisor"
"""Actor placeholder in :data:`STORIES`: the employee's department supervisor."""

# Rare facts anyone may have: (chance per quarter, minute of the day, actor, data).
_RARE: tuple[tuple[float, int, str, EventData], ...] = (
    (0.03, 990, BOSS, MeetingMissed(meeting="monthly service meeting")),
    (0.04, 900, "hr:H01", SupervisionReported(summary="reported a skipped meter-reading route")),
    (0.06, 720, BOSS, GoodDeed(description="returned a wallet left at the counter")),
    (0.015, 660, BOSS, Violation(kind="discourtesy", description="argued over a queue number")),
    (0.015, 1000, BOSS, Violation(kind="operating_rules", description="skipped a cash check")),
)

STORIES: tuple[tuple[str, str], ...] = (
    ("newcomer", "front-desk"),
    ("struggling", "call-centre"),
    ("extortion", "field-service"),
    ("leak", "billing"),
    ("damage", "field-service"),
    ("appellant", "front-desk"),
    ("refusal", "after-sales"),
    ("overreach", "billing"),
    ("star", "call-centre"),
    ("leaver", "after-sales"),
    ("mover", "call-centre"),
    ("raise", "field-service"),
)
"""The scripted stories and the department each prefers, cast in roster order."""

# Scripted facts: (story, fraction of the quarter's working days, minute of the day, actor,
# data, evidence). The struggling employee's points cross 4, 6 and 8 only with the mistaken
# 52-minute late arrival (added in code); its retraction voids what it caused.
_SCRIPT: tuple[tuple[str, float, int, str, EventData, tuple[str, ...]], ...] = (
    ("newcomer", 0.08, 840, "hr:training", QualificationAssessed(passed=False, score=55), ()),
    ("newcomer", 0.16, 840, "hr:training", QualificationAssessed(passed=True, score=82), ()),
    *(
        ("struggling", f, 540 + m, "system:badge-gateway", LateArrival(minutes=m), ())
        for f, m in ((0.1, 12), (0.15, 3), (0.2, 17), (0.3, 9), (0.5, 2), (0.6, 20), (0.7, 4))
    ),
    ("struggling", 0.8, 565, "system:badge-gateway", LateArrival(minutes=25), ()),
    ("struggling", 0.35, 600, BOSS, Absence(days=1), ()),
    ("struggling", 0.7, 1065, "system:badge-gateway", EarlyDeparture(minutes=15), ()),
    ("struggling", 0.55, 990, BOSS, MeetingMissed(meeting="weekly call-quality review"), ()),
    ("struggling", 0.84, 900, BOSS, PostLeft(minutes=40), ()),
    (
        "extortion", 0.55, 910, BOSS,
        Violation(
            kind="extortion",
            description="accepted a 500-yuan red envelope from a contractor to expedite a "
            "meter installation (吃拿卡要)",
        ),
        ("complaint-letter:CL-0917",),
    ),
    (
        "leak", 0.4, 680, BOSS,
        Violation(
            kind="confidentiality",
            customer_data=True,
            description="read a customer's payment history to a caller who could not prove "
            "the account was theirs",
        ),
        ("call-recording:R-55102",),
    ),
    (
        "damage", 0.5, 960, "facilities:F02",
        PropertyDamaged(amount=Decimal("680.00"), description="dropped a meter tester"),
        ("repair-invoice:RI-3310",),
    ),
    (
        "appellant", 0.25, 860, BOSS,
        Violation(kind="discourtesy", description="raised voice at a customer at the counter"),
        (),
    ),
    (
        "overreach", 0.65, 930, BOSS,
        AuthorityExceeded(description="waived a 200-yuan reconnection fee without approval"),
        (),
    ),
    *(
        ("star", f, 700, "system:feedback", CustomerPraised(channel="letter", note="patient"), ())
        for f in (0.2, 0.4, 0.6, 0.8)
    ),
    ("star", 0.5, 900, "hr:H01", SuggestionAdopted(tier=2), ()),
    ("star", 0.7, 900, "hr:H01", SupervisionReported(summary="flagged a wrong refund script"), ()),
    ("star", 0.3, 1110, "hr:H01", GoodDeed(description="walked an elderly customer home"), ()),
    ("mover", 0.5, 540, "hr:H01", Transferred(department="after-sales", role="service-rep"), ()),
    ("leaver", 0.88, 1080, "hr:H01", Separated(reason="resigned: moving to another city"), ()),
)  # fmt: skip


@dataclass
class _Staff:
    employee_id: str
    department: Department
    hired_on: date
    wage: Decimal
    temperament: Temperament
    rng: Random
    separated_on: date | None = None
    stories: set[str] = field(default_factory=set)

    @property
    def boss(self) -> str:
        return f"{BOSS}:S0{DEPARTMENTS.index(self.department) + 1}"


def _quarter(period: str) -> Period:
    chosen = Period.parse(period)
    if "Q" not in chosen.label or chosen.start.year < 2021:
        raise UsageError(f"--period {period!r}: the demo needs a quarter from 2021Q1 on")
    return chosen


def _poisson(rng: Random, mean: float) -> int:
    limit, count, product = exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _late_minutes(rng: Random) -> int:
    """72 % within the five-minute grace, 24 % up to half an hour, 4 % longer."""
    band = rng.random()
    return rng.randint(1, 5) if band < 0.72 else rng.randint(6, 30) if band < 0.96 else 45


class _Company:
    """The roster, the cast of the stories and the facts of one demo company."""

    def __init__(self, employees: int, period: str, seed: int) -> None:
        if not 5 <= employees <= 100_000:
            raise UsageError(f"--employees {employees}: choose between 5 and 100000")
        self.quarter = _quarter(period)
        self.seed = seed
        self.source = f"demo:seed={seed}"
        self.rng = Random(f"{seed}/{self.quarter.label}/company")
        self.events: list[Event] = []
        self._counter = 0
        first = self.quarter.start.date()
        calendar = (first + timedelta(days=n) for n in range(100))
        self.workdays = [d for d in calendar if d < self.quarter.end.date() and d.weekday() < 5]
        self.staff = [self._hire(i) for i in range(employees)]
        self.cast: dict[str, _Staff] = {}
        for story, preferred in STORIES:
            free = [s for s in self.staff if not s.stories]
            same = [s for s in self.staff if s.department.code == preferred]
            pool = [s for s in free if s in same] or free or same
            self.cast[story] = min(pool, key=lambda s: len(s.stories))
            self.cast[story].stories.add(story)
        self.cast["struggling"].temperament = "struggling"
        self.cast["star"].temperament = "star"
        self.cast["newcomer"].hired_on = self.day(0.03)
        self.cast["leaver"].separated_on = self.day(0.88)

    def _hire(self, index: int) -> _Staff:
        employee_id = f"E{1001 + index}"
        rng = Random(f"{self.seed}/{self.quarter.label}/{employee_id}")
        department = DEPARTMENTS[index % len(DEPARTMENTS)]
        roll = rng.random()
        temperament: Temperament = (
            "star" if roll < 0.15 else "struggling" if roll > 0.9 else "steady"
        )
        start = self.quarter.start.date()
        if rng.random() < 0.75:  # long-tenured: hired 13 months to 6 years ago
            earliest = max(date(2020, 1, 2), start - timedelta(days=6 * 365))
            span = (start - timedelta(days=400) - earliest).days
            hired_on = earliest + timedelta(days=rng.randint(0, max(0, span)))
        else:
            hired_on = start - timedelta(days=rng.randint(30, 330))
        wage = department.base_wage + 350 * (start - hired_on).days / 365
        wage = min(12000.0, max(3000.0, wage + rng.uniform(-1200, 1500)))
        return _Staff(
            employee_id, department, hired_on, Decimal(int(wage) // 10 * 10), temperament, rng
        )

    def day(self, fraction: float) -> date:
        """The working day at ``fraction`` of the quarter's working days."""
        return self.workdays[min(len(self.workdays) - 1, int(fraction * len(self.workdays)))]

    @staticmethod
    def at(day: date, minute: int) -> datetime:
        """``minute`` minutes after midnight of ``day``, company time."""
        midnight = datetime(day.year, day.month, day.day, tzinfo=COMPANY_TZ)
        return midnight + timedelta(minutes=minute)

    def put(
        self, who: _Staff, when: datetime, by: str, data: EventData, evidence: tuple[str, ...] = ()
    ) -> Event:
        """Add one fact with the next deterministic id."""
        self._counter += 1
        event = Event.of(
            data,
            employee_id=who.employee_id,
            occurred_at=when,
            recorded_by=who.boss if by == BOSS else by,
            event_id=uuid5(NAMESPACE, f"{self.seed}/{self.quarter.label}/{self._counter}"),
            source=self.source,
            evidence=evidence,
        )
        self.events.append(event)
        return event

    def employed(self, staff: _Staff, day: date) -> bool:
        """Whether ``staff`` works for the company on ``day``."""
        return staff.hired_on <= day and (staff.separated_on is None or day < staff.separated_on)

    def generate(self) -> list[Event]:
        """Every fact of the quarter (the retraction included), in occurred order."""
        for staff in self.staff:
            self._joined(staff)
            days = [d for d in self.workdays if self.employed(staff, d)]
            if len(days) >= 10:
                self._days(staff, days)
                self._quarterly(staff, days)
        self._stories()
        self._complaints()
        return sorted(self.events, key=lambda e: (e.occurred_at, str(e.event_id)))

    def _joined(self, s: _Staff) -> None:
        r, dept = s.rng, s.department
        hired = Hired(
            department=dept.code, role=dept.role, hired_on=s.hired_on, monthly_wage=s.wage
        )
        self.put(s, self.at(s.hired_on, 540), "hr:H01", hired)
        if "newcomer" in s.stories:
            return
        assessed = s.hired_on + timedelta(days=r.randint(4, 10))
        if r.random() < 0.2:
            failed = QualificationAssessed(passed=False, score=r.randint(42, 59))
            self.put(s, self.at(assessed, 840), "hr:training", failed)
            assessed += timedelta(days=7)
        passed = QualificationAssessed(passed=True, score=r.randint(66, 97))
        self.put(s, self.at(assessed, 840), "hr:training", passed)

    def _days(self, s: _Staff, days: list[date]) -> None:
        """Leave, absence, and each working day's badge, phone and queue observations."""
        r, dept, scripted = s.rng, s.department, "struggling" in s.stories
        late_chance, lapse = _TEMPER[s.temperament][:2]
        off: set[date] = set()
        if r.random() < 0.35 or "raise" in s.stories:
            first, length = r.randrange(len(days) - 5), r.randint(1, 4)
            off.update(days[first : first + length])
            leave = LeaveTaken(kind="annual", days=length)
            self.put(s, self.at(days[first], 540), "hr:H01", leave)
        if r.random() < 0.1:
            off.add(sick := r.choice(days))
            self.put(s, self.at(sick, 540), "hr:H01", LeaveTaken(kind="sick", days=1))
        if not scripted and r.random() < (0.25 if s.temperament == "struggling" else 0.03):
            off.add(absent := r.choice([d for d in days if d not in off]))
            self.put(s, self.at(absent, 600), BOSS, Absence(days=1))
        for day in (d for d in days if d not in off):
            if not scripted and r.random() < late_chance:
                late = _late_minutes(r)
                badge = LateArrival(minutes=late)
                self.put(s, self.at(day, 540 + late), "system:badge-gateway", badge)
            if not scripted and r.random() < 0.003:
                early = EarlyDeparture(minutes=r.randint(10, 40))
                self.put(s, self.at(day, 1080 - early.minutes), "system:badge-gateway", early)
            for _ in range(_poisson(r, dept.phones_per_day)):
                ok = r.random() >= lapse
                rings = r.choices((1, 2, 3), (45, 35, 20))[0] if ok else r.randint(4, 7)
                picked = PhoneAnswered(rings=rings)
                self.put(s, self.at(day, r.randint(545, 1065)), "system:call-switch", picked)
            for _ in range(_poisson(r, dept.responses_per_day)):
                ok = r.random() >= lapse
                seconds = int(r.triangular(5, 290, 40)) if ok else r.randint(301, 900)
                timed = FirstResponseTimed(seconds=seconds)
                self.put(s, self.at(day, r.randint(545, 1065)), "system:queue-display", timed)

    def _quarterly(self, s: _Staff, days: list[date]) -> None:
        """Evaluations, training, praise, tasks, inspections and the rare facts."""
        r, dept = s.rng, s.department
        praise, mean = _TEMPER[s.temperament][2:]
        closing = [d for d in days if d >= self.day(0.85)] or days[-1:]
        raters = ("customer",) * dept.customer_ratings + _RATERS
        for rater in raters:
            score = round(r.gauss(mean + (4 if rater == "self" else 0), 6))
            rated = ServiceEvaluated(rater=rater, score=max(40, min(100, score)))
            self.put(s, self.at(r.choice(closing), r.randint(600, 1020)), "hr:360-review", rated)
        for course in r.sample(_COURSES, r.randint(1, 2)):
            ok = r.random() < 0.92
            score = r.randint(72, 98) if ok else r.randint(40, 59)
            trained = TrainingCompleted(course=course, passed=ok, score=score)
            self.put(s, self.at(r.choice(days), 960), "hr:training", trained)
        for _ in range(_poisson(r, praise)):
            thanks = CustomerPraised(channel=r.choice(_CHANNELS), note="thanked by name")
            self.put(s, self.at(r.choice(days), r.randint(560, 1050)), "system:feedback", thanks)
        self._tasks(s, days)
        checks: list[tuple[Literal["company", "spot_check"], date]] = [
            ("company", r.choice([d for d in days if d >= self.day(0.7)] or days))
        ]
        if r.random() < 0.3:
            checks.append(("spot_check", r.choice(days)))
        for kind, day in checks:
            ok = r.random() < 0.94
            clause = None if ok else r.choice(("仪容仪表 dress", "服务用语 service phrases"))
            inspected = ServiceInspected(inspection=kind, passed=ok, clause=clause)
            self.put(s, self.at(day, 900), "qa:inspector-Q1", inspected)
        if r.random() < 0.08:
            tier = r.choice((1, 1, 1, 2, 3))
            self.put(s, self.at(r.choice(days), 900), "hr:H01", SuggestionAdopted(tier=tier))
        for chance, minute, actor, data in _RARE:
            if r.random() < chance:
                self.put(s, self.at(r.choice(days), minute), actor, data)

    def _tasks(self, s: _Staff, days: list[date]) -> None:
        """Tasks assigned by the supervisor: 93 % completed in time, 5 % late, 2 % never."""
        r, last = s.rng, self.quarter.end - timedelta(hours=1)
        for n in range(1, _poisson(r, 2.5) + 1):
            index = r.randrange(len(days) - 4)
            assigned = self.at(days[index], 600)
            due = self.at(days[min(index + r.randint(2, 8), len(days) - 2)], 1080)
            task = TaskAssigned(task_id=f"T-{s.employee_id}-{n}", due_at=due)
            self.put(s, assigned, BOSS, task)
            roll, in_time = r.random(), assigned + (due - assigned) * r.uniform(0.2, 0.95)
            done = in_time if roll < 0.93 else min(last, due + timedelta(hours=r.randint(2, 40)))
            if roll < 0.98:
                self.put(s, done, "system:task-board", TaskCompleted(task_id=task.task_id))

    def _stories(self) -> None:
        cast, day, at = self.cast, self.day, self.at
        for story, fraction, minute, actor, data, evidence in _SCRIPT:
            self.put(cast[story], at(day(fraction), minute), actor, data, evidence)
        late = cast["struggling"]
        badge = LateArrival(minutes=52)
        mistaken = self.put(late, at(day(0.45), 592), "system:badge-gateway", badge)
        reason = (
            "badge reader at the east entrance was faulty that morning (facilities ticket "
            "FM-2291); the employee badged in on time at the side door"
        )
        retraction = Retracted(target_event_id=mistaken.event_id, reason=reason)
        self.put(late, at(day(0.48), 660), "hr:H02", retraction, ("ticket:FM-2291",))
        refuser = cast["refusal"]
        for n, fraction, approved in ((1, 0.3, False), (2, 0.6, True)):
            assigned = at(day(fraction), 600)
            task = TaskAssigned(
                task_id=f"T-{refuser.employee_id}-R{n}", due_at=at(day(fraction + 0.05), 1080)
            )
            refused = TaskRefused(task_id=task.task_id, approved_alternative=approved)
            self.put(refuser, assigned, BOSS, task)
            self.put(refuser, assigned + timedelta(minutes=90), BOSS, refused)
        raised = cast["raise"]
        self.put(raised, at(day(0.34), 540), "hr:H01", WageChanged(monthly_wage=raised.wage + 600))

    def _complaints(self) -> None:
        """Complaints handled first-question (首问负责); some verified against a colleague."""
        r = self.rng
        last = self.quarter.end.date() - timedelta(days=8)
        handlers = [s for s in self.staff if s.department.complaints_per_quarter > 0]
        weights = list(accumulate(s.department.complaints_per_quarter for s in handlers))
        total = max(3, round(weights[-1] * r.uniform(0.8, 1.0)))
        teams = {d: [s for s in self.staff if s.department is d] for d in DEPARTMENTS}
        outcomes = ["dismissed"] * max(1, round(total * 0.3))
        outcomes += ["verified"] * max(1, round(total * 0.12))
        outcomes += ["resolved"] * (total - len(outcomes))
        r.shuffle(outcomes)
        desk, review = "system:complaint-desk", "qa:complaint-review"
        for n, outcome in enumerate(outcomes, 1):
            handler = r.choices(handlers, cum_weights=weights)[0]
            days = [d for d in self.workdays if d <= last and self.employed(handler, d)]
            if not days:
                continue
            cid = f"C-{self.quarter.label}-{n:04d}"
            received = self.at(r.choice(days), r.randint(540, 1050))
            self.put(
                handler,
                received,
                desk,
                ComplaintReceived(complaint_id=cid, channel=r.choice(_CHANNELS)),
            )
            delay = r.randint(30, 1200) if r.random() < 0.9 else r.randint(1500, 2400)
            replied = received + timedelta(minutes=delay)
            self.put(handler, replied, desk, ComplaintReplied(complaint_id=cid))
            delay = r.randint(180, 2760) if r.random() < 0.9 else r.randint(3000, 5400)
            closed = max(replied, received + timedelta(minutes=delay)) + timedelta(minutes=5)
            if outcome == "dismissed":
                self.put(handler, closed, review, ComplaintDismissed(complaint_id=cid))
                continue
            self.put(handler, closed, desk, ComplaintResolved(complaint_id=cid))
            if outcome == "resolved":
                continue
            team = teams[handler.department]
            colleagues = [
                s
                for s in r.sample(team, min(5, len(team)))
                if s is not handler and self.employed(s, closed.date())
            ]
            subject = colleagues[0] if colleagues else handler
            severity = r.choices(("minor", "major", "serious"), (75, 20, 5))[0]
            verified = closed - timedelta(minutes=30)
            self.put(
                subject, verified, review, ComplaintVerified(complaint_id=cid, severity=severity)
            )
            roll = r.random()
            if roll < 0.95:  # 85 % apologise within the day, 10 % late, 5 % never
                delay = r.randint(60, 1200) if roll < 0.85 else r.randint(1800, 3000)
                self.put(
                    subject,
                    verified + timedelta(minutes=delay),
                    desk,
                    ApologyMade(complaint_id=cid),
                )


def generate(employees: int = 48, period: str = "2026Q3", seed: int = 7) -> Iterator[Event]:
    """Yield a synthetic company's quarter of observations, in occurred order.

    The same arguments always give the same events, ids included. The appeal is not among
    them: it needs the id of a sanction the ledger derives (see :func:`appeal_events`).

    Args:
        employees: head count (5 to 100000), spread over :data:`DEPARTMENTS`.
        period: the quarter, e.g. ``2026Q3`` (2021Q1 or later).
        seed: the seed of every random choice.

    Raises:
        UsageError: the period is not such a quarter, or the head count is out of range.
    """
    yield from _Company(employees, period, seed).generate()


def appeal_events(
    ledger: Ledger, employees: int = 48, period: str = "2026Q3", seed: int = 7
) -> list[Event]:
    """The second phase: the appellant's discourtesy warning, appealed and upheld.

    Call after recording :func:`generate`'s events (same arguments) into ``ledger``. Returns
    ``[]`` when the ledger derived no such warning (e.g. under a rulebook without one).
    """
    company = _Company(employees, period, seed)
    appellant = company.cast["appellant"].employee_id
    warnings = [
        s.issued
        for s in ledger.sanctions(appellant)
        if (s.issued.kind, s.issued.rule_id, s.voided) == ("warning", "CND-01", False)
    ]
    if not warnings:
        return []
    target = warnings[0].sanction_id
    filed_at = warnings[0].effective_at + timedelta(days=3)  # well within the 15 days
    grounds = "the counter's CCTV shows the customer shouting; I kept to the service phrases"
    steps: tuple[tuple[str, EventData, datetime, str, tuple[str, ...]], ...] = (
        ("filed", AppealFiled(sanction_id=target, grounds=grounds), filed_at,
         f"employee:{appellant}", ()),
        ("decided", AppealDecided(sanction_id=target, outcome="upheld"),
         filed_at + timedelta(days=7), "hr:appeals-board", ("cctv:counter-2",)),
    )  # fmt: skip
    return [
        Event.of(
            data,
            employee_id=appellant,
            occurred_at=min(when, company.quarter.last_instant),
            recorded_by=by,
            event_id=uuid5(NAMESPACE, f"{seed}/{company.quarter.label}/appeal-{name}"),
            source=company.source,
            evidence=evidence,
        )
        for name, data, when, by, evidence in steps
    ]


ADMIN_ACTOR = "hr:H01"
"""Who adopts the demo's access document and rulebook (``admin`` in
:func:`~ledger.access.document.company_access_document`)."""


def _record_as_recorders(ledger: Ledger, facts: list[Event]) -> None:
    """Record ``facts`` as each of their recorders would: one batch per actor, acting as it
    (the access document in force refuses a fact recorded under another's name)."""
    batches: dict[str, list[Event]] = {}
    for event in facts:
        batches.setdefault(event.recorded_by, []).append(event)
    for actor, batch in batches.items():
        ledger.record(batch, actor=actor)


def is_demo_database(path: str | Path) -> bool:
    """Whether ``path`` is a ledger database whose every event the demo or the ledger wrote.

    An empty ledger counts (nothing to lose); a file without an events table does not.
    Read-only: the file is opened with ``mode=ro``, never migrated or changed.
    """
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            other = conn.execute(
                "SELECT 1 FROM events WHERE recorded_by != 'ledger' "
                "AND coalesce(source, '') NOT LIKE 'demo:%' LIMIT 1"
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return other is None


def _clear(path: Path) -> None:
    if not path.exists():
        return
    if path.stat().st_size and not is_demo_database(path):
        raise UsageError(
            f"{path} exists and was not made by `ledger demo`; refusing to replace it "
            "(give another --db)"
        )
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What :func:`run_demo` built: counts, the ids worth a look, the time it took."""

    path: str
    period: str
    employees: int
    facts: int
    events: int
    consequences: int
    voided: int
    explained: UUID | None
    appealed: UUID | None
    retracted: UUID | None
    elapsed: float


def run_demo(
    db_path: str | Path = "demo.db",
    employees: int = 48,
    period: str = "2026Q3",
    seed: int = 7,
    console: Console | None = None,
) -> DemoResult:
    """Build the demo company's quarter in a fresh ledger and print what the ledger made of it.

    The ledger's clock stands still one day after the quarter. Phase one records the
    quarter's observations; phase two the retraction and the appeal; then a tick to the
    quarter's end evaluates the deadlines, records the grades and closes payroll.

    Args:
        db_path: the database; an existing file is replaced only when it is a previous
            demo's (:func:`is_demo_database`). ``:memory:`` keeps nothing.
        employees, period, seed: as for :func:`generate`.
        console: where to print (default: a new rich console on standard output).

    Raises:
        UsageError: the file exists and is not a demo ledger, or an argument is invalid.
    """
    started = time.perf_counter()
    screen = console or Console()
    quarter = _quarter(period)
    facts = list(generate(employees, period, seed))
    path = str(db_path)
    if path != ":memory:":
        _clear(Path(path))
    later = [e for e in facts if e.type == "correction.retracted"]
    stopped = quarter.end + timedelta(days=1)
    busy = screen.status("recording the quarter…") if screen.is_terminal else nullcontext()
    with Ledger.open(path, clock=lambda: stopped, adopt_default=False, synchronous="NORMAL") as (
        ledger
    ):
        with busy:
            source = f"demo:seed={seed}"
            ledger.adopt_access(company_access_document(), by=ADMIN_ACTOR, source=source)
            ledger.adopt(Rulebook.default_document(), source=source, by=ADMIN_ACTOR)
            _record_as_recorders(ledger, [e for e in facts if e.type != "correction.retracted"])
            appeal = appeal_events(ledger, employees, period, seed)
            for event in [*later, *appeal]:  # the retraction, the appeal, its decision
                ledger.record(event, actor=event.recorded_by)
            ledger.tick(quarter.end)
        sanctions = ledger.sanctions(period=quarter)
        appealed = next(
            (e.data.sanction_id for e in appeal if isinstance(e.data, AppealFiled)), None
        )
        explained = _report(
            ledger, quarter, sanctions, screen, path, seed, len(facts) + len(appeal), appealed
        )
        elapsed = time.perf_counter() - started
        screen.print(f"[dim]built, recorded and reported in {elapsed:.1f} s[/]")
        return DemoResult(
            path=path,
            period=quarter.label,
            employees=employees,
            facts=len(facts) + len(appeal),
            events=ledger.store.head(),
            consequences=len(sanctions),
            voided=sum(1 for s in sanctions if s.voided),
            explained=explained,
            appealed=appealed,
            retracted=later[0].event_id if later else None,
            elapsed=elapsed,
        )


# -- the report -------------------------------------------------------------------------------

_SEVERITY = (
    "dismissal_recommended",
    "demotion_recommended",
    "major_demerit",
    "demerit",
    "warning",
    "notice",
    "compensation",
)
"""Adverse outcome kinds, most serious first (fines go with their records)."""


def _report(
    ledger: Ledger,
    quarter: Period,
    sanctions: list[SanctionState],
    console: Console,
    path: str,
    seed: int,
    facts: int,
    appealed: UUID | None,
) -> UUID | None:
    """Print the demo's sections; returns the id of the sanction explained."""
    cards = {e: scorecard(employee_view(ledger, e), quarter) for e in sorted(ledger.employees())}
    voided = [s for s in sanctions if s.voided]
    grades = _recorded_grades(ledger, quarter)
    console.rule(
        f"[bold]ledger demo[/] · {quarter.label} · {len(cards):,} employees · seed {seed}"
    )
    console.print(
        f"{facts:,} observations of {len(cards):,} employees recorded into {escape(path)} "
        f"({ledger.store.head():,} events with the rulebook and the ledger's own). The ledger "
        f"derived {len(sanctions):,} consequences ({len(voided):,} voided by corrections recorded "
        f"later) and {len(grades):,} quarterly grades."
    )
    _departments(console, ledger, quarter, list(cards.values()))
    _grade_table(console, quarter, grades)
    _top_table(console, sanctions, cards)
    _corrections(console, ledger, voided)
    chosen = _interesting(sanctions)
    if chosen is not None:
        _explain(console, ledger, chosen)
    if path != ":memory:":
        db, label = shlex.quote(path), quarter.label
        who = chosen.employee_id if chosen else next(iter(cards))
        commands = [
            (f"sanctions --period {label}", "every consequence, voided ones included"),
            (f"scorecards --period {label}", "every scorecard, with the quota check"),
            (f"scorecard {who} --period {label}", "one employee's quarter"),
            (f"explain {chosen.sanction_id if chosen else 'ID'}", "the explanation above"),
            (f"payroll --period {label}", "monthly deductions, capped by law"),
            ("verify", "hash chain, and every consequence re-derived"),
        ]
        if appealed is not None:
            commands.insert(4, (f"explain {appealed}", "the warning voided on appeal"))
        console.print("\n[bold]Explore further[/]")
        for command, what in commands:
            console.print(f"  ledger --db {escape(db)} {command}  [dim]# {what}[/]", soft_wrap=True)
    return chosen.sanction_id if chosen else None


def _departments(console: Console, ledger: Ledger, quarter: Period, cards: list[Scorecard]) -> None:
    report = department_summary(cards, quota_percent(ledger.rulebooks(), quarter))
    table = Table(title=f"Department summary {quarter.label}", title_justify="left")
    columns = ("department", "n", "优秀", "良好", "合格", "不合格", "quota", "fines")
    for column in (*columns, "compensation", "bonuses"):
        table.add_column(column, justify="left" if column == "department" else "right")
    for d in report.departments:
        levels = ("excellent", "good", "qualified", "unqualified")
        table.add_row(
            f"{d.department} {_NAMES_ZH.get(d.department, '')}",
            str(d.employees),
            *(str(d.distribution[level]) for level in levels),
            f"{d.quota}" + (f" [yellow]({d.excess} over)[/]" if d.excess else ""),
            *(format(m, "f") for m in (d.fines_total, d.compensation_total, d.bonuses_total)),
        )
    console.print(table)
    over = [d for d in report.departments if d.over_quota]
    if over:
        console.print(
            f"[yellow]{len(over)} department(s) over the {over[0].quota_percent} % excellent "
            f"quota[/]: `ledger scorecards --period {quarter.label} --calibrate` applies it."
        )


def _recorded_grades(ledger: Ledger, quarter: Period) -> dict[str, GradeAssigned]:
    """The latest ``grade.assigned`` of ``quarter`` per employee (a later one supersedes)."""
    latest: dict[str, GradeAssigned] = {}
    for item in ledger.store.read(types=frozenset({"grade.assigned"})):
        data = item.event.data
        if isinstance(data, GradeAssigned) and data.period == quarter.label:
            latest[item.event.employee_id] = data
    return latest


def _grade_table(console: Console, quarter: Period, grades: Mapping[str, GradeAssigned]) -> None:
    counts = Counter(g.level for g in grades.values())
    title = f"Grades {quarter.label} 服从考核"
    table = Table(title=title, title_justify="left", caption="as recorded (grade.assigned)")
    for column in ("level", "", "n", "share", ""):
        table.add_column(column, justify="right" if column in ("n", "share") else "left")
    for level in reversed(LEVELS):
        share = counts[level] / len(grades) if grades else 0.0
        bar = "█" * round(share * 40)
        table.add_row(level, LEVELS_ZH[level], str(counts[level]), f"{share:.0%}", bar)
    console.print(table)


def _top_table(
    console: Console, sanctions: list[SanctionState], cards: Mapping[str, Scorecard]
) -> None:
    per: dict[str, list[SanctionState]] = {}
    for s in sanctions:
        if not s.voided and s.issued.kind in (*_SEVERITY, "fine"):
            per.setdefault(s.employee_id, []).append(s)
    ranked = sorted(
        per.items(), key=lambda kv: (-sum(s.issued.kind != "fine" for s in kv[1]), kv[0])
    )
    table = Table(title="Most consequences this quarter (not voided)", title_justify="left")
    for column in ("employee", "department", "records", "money", "grade"):
        table.add_column(column, justify="right" if column == "money" else "left")
    for employee, items in ranked[:5]:
        kinds = Counter[str](s.issued.kind for s in items)
        what = ", ".join(f"{kinds[k]} {k} {zh(k)}" for k in _SEVERITY if kinds[k])
        money = sum((s.issued.amount or Decimal(0) for s in items), Decimal("0.00"))
        card = cards[employee]
        level = card.grade.level
        grade = f"{LEVELS_ZH[level]} {level} ({card.grade.score})" if level else "—"
        table.add_row(employee, card.department or "", what, format(money, "f"), grade)
    console.print(table)


def _corrections(console: Console, ledger: Ledger, voided: list[SanctionState]) -> None:
    later = frozenset({"correction.retracted", "appeal.decided"})
    console.print("\n[bold]Corrected later[/] (new facts; reconciliation voids, never edits)")
    for item in ledger.store.read(types=later):
        event, data = item.event, item.event.data
        if isinstance(data, Retracted):
            target = ledger.store.get(data.target_event_id)
            what = f"{target.event.type} of {target.event.occurred_at:%Y-%m-%d}" if target else "?"
            line = f"retracted {what}: {data.reason}"
        elif isinstance(data, AppealDecided):
            line = f"appeal {data.outcome} against sanction {data.sanction_id}"
        else:
            continue
        mine = Counter(
            f"{s.issued.kind} ({s.issued.rule_id})"
            for s in voided
            if s.employee_id == event.employee_id
        )
        console.print(f"  {event.employee_id} {escape(line)}")
        if mine:
            console.print("    voided: " + ", ".join(f"{n} × {k}" for k, n in mine.items()))


def _interesting(sanctions: list[SanctionState]) -> SanctionState | None:
    """The live discipline record with the richest basis (the most facts counted)."""
    records = [s for s in sanctions if not s.voided and s.issued.kind in DISCIPLINE_KINDS]
    records.sort(key=lambda s: (-len(s.issued.basis.counted), s.issued.effective_at))
    return records[0] if records else None


def _explain(console: Console, ledger: Ledger, state: SanctionState) -> None:
    """The full explanation, exactly as ``ledger explain ID`` prints it."""
    title = f"ledger explain {state.sanction_id}"
    text = explain(ledger, state.sanction_id).text().rstrip()
    console.print()
    # (wrapped inside the panel: a console that soft-wraps would crop its lines instead)
    console.print(
        Panel(Text(text), title=title, title_align="left", expand=False), soft_wrap=False
    )
