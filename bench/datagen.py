"""A deterministic synthetic quarter (2026Q3) as JSON Lines, for the benchmark (with
``history``, the quarters before it too: the warm daily feed's ledger).

The quarter reads like a real feed: one ``employee.hired`` per employee (before the quarter),
then, for every working day in time order, mostly benign facts: late arrivals (most within
the five-minute grace), phones picked up, first responses timed, evaluations, praise, tasks
assigned and mostly completed on time, leave, training and inspections; a few complaints
with their lifecycle (received, replied, resolved or dismissed, sometimes verified and
apologised for), a handful of violations and absences, and a few retractions of a badge
reading. Five per cent of employees are habitually late, so the usual mix of consequences
(notices, warnings, fines, bonuses, misses found by ``tick``) appears.

The same ``(events, employees, seed, ids)`` always gives the same bytes. Exactly ``events``
lines are written; follow-ups (a reply, a completion) are scheduled onto later days and may
be cut off by the end of the quarter or by the line budget, as in life.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

import orjson

__all__ = [
    "GENERATOR_VERSION",
    "QUARTER",
    "Quarter",
    "daily_files",
    "generate",
    "history_start",
    "split_history",
    "writer_parts",
]

GENERATOR_VERSION = 1
QUARTER = "2026Q3"
TZ = timezone(timedelta(hours=8))
START, END = date(2026, 7, 1), date(2026, 9, 30)

Record = dict[str, Any]
Emit = Callable[[datetime, str, str, dict[str, Any]], Record]


@dataclass
class Quarter:
    """What :func:`generate` wrote."""

    path: Path
    events: int
    employees: int
    seed: int
    ids: str
    types: Counter[str] = field(default_factory=Counter)


class _Gen:
    def __init__(self, employees: int, seed: int, ids: str, start: date = START) -> None:
        self.rng = random.Random(seed)
        self.start = start
        self.ids = ids
        self.names = [f"E{n:06d}" for n in range(1, employees + 1)]
        self.habitual = {e for e in self.names if self.rng.random() < 0.05}
        self.lates: dict[str, tuple[str, date]] = {}
        self.serial = 0
        self.later: list[tuple[datetime, int, Record]] = []

    def event_id(self, at: datetime) -> str:
        bits = self.rng.getrandbits(128)
        if self.ids == "v7":  # time-ordered: 48-bit milliseconds, version 7, random rest
            millis = int(at.timestamp() * 1000) & ((1 << 48) - 1)
            bits = (millis << 80) | (bits & ((1 << 80) - 1))
            bits = (bits & ~(0xF << 76)) | (7 << 76)  # version (uuid.UUID knows only 1-5)
            bits = (bits & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
            return str(UUID(int=bits))
        return str(UUID(int=bits, version=4))

    def emit(self, at: datetime, kind: str, emp: str, data: dict[str, Any]) -> Record:
        actor = {
            "attendance": "system:badge-gateway",
            "service": "system:service-desk",
            "task": "supervisor:S01",
        }.get(kind.split(".")[0], "hr:H01")
        return {
            "event_id": self.event_id(at),
            "type": kind,
            "employee_id": emp,
            "occurred_at": at.isoformat(),
            "recorded_by": actor,
            "data": data,
        }

    def schedule(self, at: datetime, record: Record) -> None:
        self.serial += 1
        heapq.heappush(self.later, (at, self.serial, record))

    def hired(self, emp: str) -> Record:
        rng = self.rng
        if self.start == START:
            day = date(2024, 1, 2) + timedelta(days=rng.randrange(800))
        else:  # a history: everyone is employed before it begins
            day = self.start - timedelta(days=1 + rng.randrange(800))
        at = datetime(day.year, day.month, day.day, 9, 0, tzinfo=TZ)
        wage = f"{rng.randrange(4500, 12000, 100)}.00"
        dept = rng.choice(("front-desk", "call-centre", "field-service", "billing"))
        data = {"department": dept, "role": "clerk", "hired_on": day.isoformat()}
        return self.emit(at, "employee.hired", emp, {**data, "monthly_wage": wage})

    def episode(self, emp: str, day: date) -> list[Record]:
        """One occurrence for ``emp`` on ``day``: its first event now, follow-ups scheduled."""
        rng = self.rng
        at = datetime(day.year, day.month, day.day, 9, 0, tzinfo=TZ) + timedelta(
            minutes=rng.randrange(0, 8 * 60)
        )
        roll = rng.random() * 100
        for weight, make in _EPISODES:
            if roll < weight:
                return make(self, emp, day, at)
            roll -= weight
        return _phone(self, emp, day, at)


def _late(g: _Gen, emp: str, day: date, at: datetime) -> list[Record]:
    r = g.rng.random()
    beyond = 0.5 if emp in g.habitual else 0.12
    minutes = g.rng.randint(1, 5) if r > beyond else g.rng.choice((6, 10, 15, 25, 40, 70))
    start = datetime(day.year, day.month, day.day, 9, 0, tzinfo=TZ)
    record = g.emit(start + timedelta(minutes=minutes), "attendance.late_arrival", emp, {})
    record["data"] = {"minutes": minutes}
    if minutes > 5:
        g.lates[emp] = (record["event_id"], day)
    return [record]


def _phone(g: _Gen, emp: str, day: date, at: datetime) -> list[Record]:
    rings = g.rng.randint(1, 3) if g.rng.random() < 0.96 else g.rng.randint(4, 8)
    return [g.emit(at, "service.phone_answered", emp, {"rings": rings})]


def _first_response(g: _Gen, emp: str, day: date, at: datetime) -> list[Record]:
    seconds = g.rng.randint(20, 280) if g.rng.random() < 0.97 else g.rng.randint(301, 900)
    return [g.emit(at, "service.first_response_timed", emp, {"seconds": seconds})]


def _evaluated(g: _Gen, emp: str, day: date, at: datetime) -> list[Record]:
    rater = g.rng.choices(("customer", "peer", "supervisor", "self"), (60, 20, 15, 5))[0]
    score = max(40, min(100, round(g.rng.gauss(86, 7))))
    return [g.emit(at, "service.evaluated", emp, {"rater": rater, "score": score})]


def _praised(g: _Gen, emp: str, day: date, at: datetime) -> list[Record]:
    channel = g.rng.choice(("letter", "phone", "web", "in-person"))
    return [g.emit(at, "service.customer_praised", emp, {"channel": channel})]


def _task(g: _Gen, emp: str, day: date, at: datetime) -> list[Record]:
    g.serial += 1
    task = f"T-{g.serial}"
    due = (at + timedelta(days=g.rng.randint(1, 5))).replace(hour=18, minute=0)
    assigned = g.emit(at, "task.assigned", emp, {"task_id": task, "due_at": due.isoformat()})
    r = g.rng.random()
    if r < 0.95:
        done = at + (due - at) * g.rng.uniform(0.1, 0.95)
    elif r < 0.98:
        done = due + timedelta(hours=g.rng.randint(2, 30))
    else:
        return [assigned]
    g.schedule(done, g.emit(done, "task.completed", emp, {"task_id": task}))
    return [assigned]


def _complaint(g: _Gen, emp: str, day: date, at: datetime) -> list[Record]:
    g.serial += 1
    cid = f"C-2026-{g.serial}"
    channel = g.rng.choice(("phone", "web", "letter"))
    received = g.emit(at, "service.complaint_received", emp, {"complaint_id": cid})
    received["data"]["channel"] = channel
    rng, ref = g.rng, {"complaint_id": cid}
    reply = at + timedelta(hours=rng.uniform(1, 20) if rng.random() < 0.93 else rng.uniform(25, 40))
    g.schedule(reply, g.emit(reply, "service.complaint_replied", emp, dict(ref)))
    close = at + timedelta(hours=rng.uniform(5, 46) if rng.random() < 0.9 else rng.uniform(50, 70))
    closing = "service.complaint_resolved" if rng.random() < 0.6 else "service.complaint_dismissed"
    g.schedule(close, g.emit(close, closing, emp, dict(ref)))
    if closing == "service.complaint_resolved" and rng.random() < 0.3:
        severity = rng.choices(("minor", "major", "serious"), (85, 14, 1))[0]
        found = close + timedelta(hours=rng.uniform(1, 24))
        verified = g.emit(found, "service.complaint_verified", emp, {**ref, "severity": severity})
        g.schedule(found, verified)
        if rng.random() < 0.9:
            sorry = found + timedelta(hours=rng.uniform(1, 20))
            g.schedule(sorry, g.emit(sorry, "service.apology_made", emp, dict(ref)))
    return [received]


def _simple(kind: str, make: Callable[[random.Random], dict[str, Any]]) -> Any:
    def episode(g: _Gen, emp: str, day: date, at: datetime) -> list[Record]:
        return [g.emit(at, kind, emp, make(g.rng))]

    return episode


def _retraction(g: _Gen, emp: str, day: date, at: datetime) -> list[Record]:
    late = g.lates.get(emp)
    if late is None or late[1] >= day:  # retract only an earlier day's reading
        return _phone(g, emp, day, at)
    del g.lates[emp]
    data = {"target_event_id": late[0], "reason": "badge reader fault, confirmed by facilities"}
    return [g.emit(at, "correction.retracted", emp, data)]


_VIOLATIONS = ("discourtesy", "operating_rules", "operating_rules", "confidentiality")
_EPISODES: tuple[tuple[float, Callable[[_Gen, str, date, datetime], list[Record]]], ...] = (
    (27.0, _late),
    (22.0, _phone),
    (10.0, _first_response),
    (9.0, _evaluated),
    (4.0, _praised),
    (8.5, _task),
    (1.6, _complaint),
    (3.0, _simple("attendance.early_departure", lambda r: {"minutes": r.randint(5, 40)})),
    (
        2.0,
        _simple(
            "attendance.leave_taken",
            lambda r: {"kind": r.choice(("annual", "sick", "personal")), "days": r.randint(1, 3)},
        ),
    ),
    (
        1.5,
        _simple(
            "training.completed",
            lambda r: {
                "course": "service etiquette",
                "passed": r.random() < 0.9,
                "score": r.randint(55, 100),
            },
        ),
    ),
    (
        1.5,
        _simple(
            "service.inspected",
            lambda r: {
                "inspection": r.choice(("self_check", "company", "spot_check")),
                "passed": r.random() < 0.95,
            },
        ),
    ),
    (0.4, _simple("attendance.absence", lambda r: {"days": 1})),
    (
        0.15,
        _simple(
            "conduct.violation",
            lambda r: {"kind": r.choice(_VIOLATIONS), "description": "reported by a supervisor"},
        ),
    ),
    (0.3, _simple("recognition.suggestion_adopted", lambda r: {"tier": r.choice((1, 1, 2, 3))})),
    (0.3, _simple("recognition.good_deed", lambda r: {"description": "returned a lost wallet"})),
    (0.3, _retraction),
)
_FOLLOW_UPS = 0.085 * 1.05 + 0.016 * 2.5  # mean extra events per episode (task, complaint)


def _working_days(start: date = START) -> list[date]:
    days, day = [], start
    while day <= END:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def history_start(quarters: int) -> date:
    """The first day of the ``quarters`` whole quarters before 2026Q3."""
    month = START.year * 12 + START.month - 1 - 3 * quarters
    return date(month // 12, month % 12 + 1, 1)


def generate(
    path: Path,
    *,
    events: int,
    employees: int,
    seed: int = 20260701,
    ids: str = "v4",
    history: int = 0,
) -> Quarter:
    """Write exactly ``events`` JSON Lines for ``employees`` employees over 2026Q3 (and
    the ``history`` quarters before it, when asked: then everyone is hired before the first
    of them, and the lines are spread evenly over all the working days).

    Args:
        path: the file to write.
        events: lines to write (at least ``employees``: one hiring each).
        employees: how many employees.
        seed: the random seed (same inputs, same bytes).
        ids: ``v4`` (random client ids, the index's worst case) or ``v7`` (time-ordered).
        history: whole quarters before 2026Q3 to cover as well (0: the quarter alone).
    """
    if events < employees:
        raise ValueError("--events must be at least --employees (one hiring each)")
    if history < 0:
        raise ValueError("--history must be 0 or more quarters")
    start = history_start(history)
    gen = _Gen(employees, seed, ids, start)
    quarter = Quarter(path, 0, employees, seed, ids)
    days = _working_days(start)
    with path.open("wb") as out:

        def write(record: Record) -> bool:
            if quarter.events >= events:
                return False
            out.write(orjson.dumps(record) + b"\n")
            quarter.events += 1
            quarter.types[record["type"]] += 1
            return True

        for emp in gen.names:
            write(gen.hired(emp))
        for day, left in zip(days, range(len(days), 0, -1), strict=True):
            budget = events - quarter.events - len(gen.later)
            rate = max(0.0, budget / (employees * left * (1 + _FOLLOW_UPS)))
            today: list[tuple[datetime, int, Record]] = []
            for emp in gen.names:
                count = int(rate) + (gen.rng.random() < rate - int(rate))
                for _ in range(count):
                    for record in gen.episode(emp, day):
                        gen.serial += 1
                        today.append(
                            (datetime.fromisoformat(record["occurred_at"]), gen.serial, record)
                        )
            horizon = datetime(day.year, day.month, day.day, tzinfo=TZ) + timedelta(days=1)
            while gen.later and gen.later[0][0] < horizon:
                today.append(heapq.heappop(gen.later))
            today.sort(key=lambda item: (item[0], item[1]))
            for _, _, record in today:
                write(record)
        last = datetime(END.year, END.month, END.day, 17, 0, tzinfo=TZ)
        while quarter.events < events:  # the budget was not spent: a busy last afternoon
            write(_phone(gen, gen.rng.choice(gen.names), END, last)[0])
    return quarter


def daily_files(data: Path, folder: Path, *, files: int) -> list[tuple[Path, date]]:
    """The quarter ``data`` cut into about ``files`` consecutive files by day, for a daily feed.

    Lines are grouped by the calendar date of their ``occurred_at`` (the file is in time
    order after the hirings, so each date is one run of lines); the ``d`` distinct dates are
    dealt into ``g = min(files, d)`` groups of consecutive dates, one file each: date ``i``
    goes to group ``⌊(i + ½)·g / d⌋``, so groups differ by at most one date and, when there
    are fewer groups than dates, the groups of two dates fall inside the quarter, not at
    its ends. Every ``employee.hired`` line goes to the first file whatever its date. The
    files are reused when they exist (the folder's name carries the data file's name and
    ``files``).

    Returns:
        The files in feed order, each with the last date it covers.
    """
    target = folder / f"feed-{data.stem}-k{files}"
    if target.is_dir():
        found = sorted(target.glob("*.jsonl"))
        return [(p, date.fromisoformat(p.stem.split("_", 1)[1])) for p in found]
    days: list[str] = []  # distinct dates in file order
    hirings: list[bytes] = []
    by_day: dict[str, list[bytes]] = {}
    with data.open("rb") as lines:
        for line in lines:
            record = orjson.loads(line)
            if record["type"] == "employee.hired":
                hirings.append(line)
                continue
            day = record["occurred_at"][:10]
            if day not in by_day:
                days.append(day)
                by_day[day] = []
            by_day[day].append(line)
    if not days:
        raise ValueError(f"{data} holds no dated events to feed")
    groups = min(files, len(days))
    partial = folder / f"{target.name}.partial"
    partial.mkdir(parents=True, exist_ok=True)
    for old in partial.glob("*.jsonl"):
        old.unlink()
    written: list[tuple[Path, date]] = []
    chosen: list[list[str]] = [[] for _ in range(groups)]
    for i, day in enumerate(days):
        chosen[(2 * i + 1) * groups // (2 * len(days))].append(day)
    for number, group in enumerate(chosen, start=1):
        path = partial / f"{number:03d}_{group[-1]}.jsonl"
        with path.open("wb") as out:
            if number == 1:
                out.writelines(hirings)
            for day in group:
                out.writelines(by_day[day])
        written.append((target / path.name, date.fromisoformat(group[-1])))
    partial.rename(target)
    return written


def split_history(data: Path, folder: Path) -> tuple[Path, Path]:
    """``data`` cut at 2026Q3's first day: the history (every hiring and every line dated
    before the quarter) and the quarter itself, as two files of ``folder`` (reused when they
    exist). The quarter's file is what :func:`daily_files` deals into a feed."""
    history = folder / f"{data.stem}-history.jsonl"
    quarter = folder / f"{data.stem}-{QUARTER}.jsonl"
    if history.exists() and quarter.exists():
        return history, quarter
    first = START.isoformat()
    parts = [history.with_suffix(".partial"), quarter.with_suffix(".partial")]
    with data.open("rb") as lines, parts[0].open("wb") as old, parts[1].open("wb") as new:
        for line in lines:
            record = orjson.loads(line)
            early = record["type"] == "employee.hired" or record["occurred_at"][:10] < first
            (old if early else new).write(line)
    parts[0].rename(history)
    parts[1].rename(quarter)
    return history, quarter


WRITERS_NAMESPACE = UUID("6f1c3a52-9d1e-5b7a-8c44-2f0e5d9b1a73")
"""Namespace of the re-keyed event ids: ``uuid5(WRITERS_NAMESPACE, f"{writer}:{event_id}")``."""


def writer_parts(
    folder: Path,
    *,
    writers: int,
    events: int,
    employees: int,
    seed: int = 20260701,
    ids: str = "v4",
    imports: int = 1,
) -> list[list[Path]]:
    """Disjoint import files for ``writers`` concurrent writers: ``events`` lines each.

    One quarter of ``events`` lines and ``employees`` employees is generated, then written
    once per writer with its employees re-keyed (``E000001`` becomes ``W1-E000001``), its
    event ids re-derived with :func:`uuid.uuid5` (references to them in retractions follow)
    and its task and complaint ids prefixed alike, so the writers share no employee, event,
    task or complaint. Each writer's copy is cut into ``imports`` files of consecutive lines
    (the first file holds the hirings). The files are reused when they exist (the folder's
    name carries every parameter and the generator version).

    Returns:
        For each writer, its files in import order.
    """
    name = f"writers-{writers}x{events}-{employees}-s{seed}-{ids}-i{imports}-g{GENERATOR_VERSION}"
    target = folder / name
    paths = [
        [target / f"w{w + 1}-{i + 1:02d}.jsonl" for i in range(imports)] for w in range(writers)
    ]
    if target.is_dir():
        return paths
    partial = folder / f"{name}.partial"
    partial.mkdir(parents=True, exist_ok=True)
    base = partial / "quarter.jsonl"
    generate(base, events=events, employees=employees, seed=seed, ids=ids)
    cuts = [round(events * (i + 1) / imports) for i in range(imports)]
    for w in range(writers):
        prefix = f"W{w + 1}-"
        files = [(partial / p.name).open("wb") for p in paths[w]]
        try:
            with base.open("rb") as lines:
                part = 0
                for number, line in enumerate(lines):
                    while number >= cuts[part]:
                        part += 1
                    files[part].write(orjson.dumps(_rekey(orjson.loads(line), w + 1, prefix)))
                    files[part].write(b"\n")
        finally:
            for file in files:
                file.close()
    base.unlink()
    partial.rename(target)
    return paths


def _rekey(record: Record, writer: int, prefix: str) -> Record:
    def new_id(old: str) -> str:
        return str(uuid5(WRITERS_NAMESPACE, f"{writer}:{old}"))

    record["event_id"] = new_id(record["event_id"])
    record["employee_id"] = prefix + record["employee_id"]
    data = record["data"]
    if "target_event_id" in data:
        data["target_event_id"] = new_id(data["target_event_id"])
    for key in ("task_id", "complaint_id"):
        if key in data:
            data[key] = prefix + data[key]
    return record


def main(argv: list[str] | None = None) -> int:
    """``python bench/datagen.py --events N --employees N --out FILE [--seed S] [--ids v4|v7]``."""
    import argparse

    parser = argparse.ArgumentParser(
        description="Write a deterministic synthetic 2026Q3 as JSON Lines (ledger import FILE)."
    )
    parser.add_argument("--events", type=int, required=True, help="lines to write")
    parser.add_argument("--employees", type=int, required=True, help="head count")
    parser.add_argument("--out", type=Path, required=True, help="the .jsonl file to write")
    parser.add_argument("--seed", type=int, default=20260701, help="same seed, same bytes")
    parser.add_argument("--ids", choices=["v4", "v7"], default="v4", help="event id kind")
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="also cover this many whole quarters before 2026Q3 (--events spread over all)",
    )
    args = parser.parse_args(argv)
    if args.employees < 1 or args.events < args.employees:
        parser.error("--employees must be at least 1 and --events at least --employees")
    if args.history < 0:
        parser.error("--history must be 0 or more quarters")
    quarter = generate(
        args.out,
        events=args.events,
        employees=args.employees,
        seed=args.seed,
        ids=args.ids,
        history=args.history,
    )
    print(f"wrote {quarter.events:,} events for {quarter.employees:,} employees to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
