"""The input boundary under fuzzing (docs/ARCHITECTURE.md, "Input boundary").

Near-wire JSON and CSV (a valid event with one field replaced by any JSON value, dropped, or
joined by an unknown one), random bytes and text in foreign encodings: every outcome is
success or a clean ``LedgerError`` (exit 2 on the command line), the store is unchanged
after every refusal, and `tick` works after every accepted input. Accepted-but-extreme
events (the first and last instants and dates the bounds allow, the longest texts) go
through `tick`, `scorecard`, `report` and `verify`.

Examples: ``FUZZ`` lines and random files (2,000 each in the default and CI profiles, 10,000
with ``HYPOTHESIS_PROFILE=thorough``) and ``FILES`` whole near-wire files imported into a
ledger (300 each; 2,000 thorough): 4,600 inputs a run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.app import Ledger
from ledger.audit import verify
from ledger.errors import LedgerError, ValidationFailed
from ledger.events import OBSERVATION_TYPES, Event, parse_event
from ledger.events.base import EARLIEST, LATEST_DAY
from ledger.projections.scorecard import scorecard
from ledger.projections.view import employee_view
from ledger.report import build_report
from ledger.testing import ManualClock, data_for, hired, instant, make
from ledger.timeutil import COMPANY_TZ, Period

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
FUZZ = 10_000 if THOROUGH else 2_000
FILES = 2_000 if THOROUGH else 300
fuzz = settings(
    max_examples=FUZZ,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
fuzz_files = settings(fuzz, max_examples=FILES)

TRICKY_TEXT = st.sampled_from(
    [
        "",
        "0001-01-01T00:00:00+08:00",
        "9999-12-31T23:00:00-08:00",
        "1969-12-31T23:59:59+08:00",
        "2100-12-31T23:59:59+08:00",
        "2026-07-03T09:12:00",
        "2026-02-30T09:00:00+08:00",
        "2026-07-03",
        "1780000000",
        "12",
        "true",
        "6000",
        "NaN",
        "1e400",
        "-0.001",
        "00000000-0000-0000-0000-000000000000",
        "_ledger",
        "sanction.issued",
        "x" * 600,
        "\u0000\ud7ff\U0001f600",
    ]
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | TRICKY_TEXT,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)
CLOCK = "2027-01-01 00:00"
MOMENTS = [
    "2026-07-03T09:12:00+08:00",
    "2026-07-03T01:12:00Z",
    "2026-09-30T23:59:59.999999+08:00",
    "1970-01-01T00:00:00+08:00",
    "2026-12-31T23:59:00-05:00",
]


@st.composite
def valid_wire(draw: Any) -> dict[str, Any]:
    """A valid observation's wire form (a cheap envelope around any type's valid data)."""
    type_name = draw(st.sampled_from(OBSERVATION_TYPES))
    data = draw(data_for(type_name)).model_dump(mode="json", exclude_none=True)
    wire: dict[str, Any] = {
        "type": type_name,
        "employee_id": draw(st.sampled_from(["E1", "E2", "E1001"])),
        "occurred_at": draw(st.sampled_from(MOMENTS)),
        "recorded_by": "system:gateway",
        "data": data,
    }
    if draw(st.booleans()):
        wire["event_id"] = str(draw(st.uuids()))
    if draw(st.booleans()):
        wire["evidence"] = ["doc-1", "sha256:ab"]
    return wire


@st.composite
def near_wire(draw: Any) -> dict[str, Any]:
    """A valid event's wire form with one change: a field replaced, dropped or added."""
    wire = draw(valid_wire())
    place = wire["data"] if draw(st.booleans()) and wire["data"] else wire
    action = draw(st.sampled_from(["replace", "drop", "add", "none"]))
    keys = sorted(place)
    if action == "replace" and keys:
        place[draw(st.sampled_from(keys))] = draw(JSON_VALUES)
    elif action == "drop" and keys:
        del place[draw(st.sampled_from(keys))]
    elif action == "add":
        place[draw(st.text(min_size=1, max_size=8))] = draw(JSON_VALUES)
    return wire


def _ledger() -> Ledger:
    return Ledger.in_memory(clock=ManualClock(CLOCK))


def _import(ledger: Ledger, content: bytes, suffix: str, *, tick: bool = False) -> bool:
    """Import ``content``; ``True`` if accepted. A refusal must be a LedgerError and leave
    the store as it was; with ``tick``, an acceptance must leave a ledger that ticks."""
    before = (ledger.store.head(), ledger.store.head_hash())
    with tempfile.TemporaryDirectory() as where:
        path = Path(where) / f"input{suffix}"
        path.write_bytes(content)
        try:
            ledger.import_file(path)
        except LedgerError:
            assert (ledger.store.head(), ledger.store.head_hash()) == before
            return False
    if tick:
        ledger.tick()
    return True


@fuzz
@given(near_wire())
def test_a_near_wire_line_parses_or_is_refused_naming_a_field(wire: dict[str, Any]) -> None:
    text = json.dumps(wire, ensure_ascii=False)
    try:
        event = parse_event(text, observations_only=True)
    except ValidationFailed as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
    else:
        assert isinstance(event, Event)
        assert event.occurred_at >= EARLIEST and event.occurred_at.date() <= LATEST_DAY
        assert parse_event(text, observations_only=True) == event  # content ids are stable


@fuzz_files
@given(
    st.lists(near_wire(), min_size=1, max_size=4),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "gb18030", "latin-1"]),
    st.binary(max_size=40),
    st.booleans(),
)
def test_a_near_wire_file_in_any_encoding_imports_or_changes_nothing(
    lines: list[dict[str, Any]], encoding: str, noise: bytes, noisy: bool
) -> None:
    text = "".join(json.dumps(w, ensure_ascii=False) + "\n" for w in lines)
    try:
        content = text.encode(encoding)
    except UnicodeEncodeError:
        content = text.encode("utf-8")
    if noisy:
        content = content[: len(content) // 2] + noise + content[len(content) // 2 :]
    _import(_ledger(), content, ".jsonl")


@fuzz_files
@given(st.lists(near_wire(), min_size=1, max_size=4))
def test_a_near_wire_csv_imports_or_changes_nothing(lines: list[dict[str, Any]]) -> None:
    rows = []
    for wire in lines:
        row = {k: v for k, v in wire.items() if k not in ("data", "evidence")}
        data = wire.get("data")
        if isinstance(data, dict):
            row.update({f"data.{k}": v for k, v in data.items()})
        rows.append({k: json.dumps(v) if not isinstance(v, str) else v for k, v in row.items()})
    columns = sorted({c for r in rows for c in r})
    out = io.StringIO()
    writer = csv.DictWriter(out, columns)
    writer.writeheader()
    writer.writerows(rows)
    _import(_ledger(), out.getvalue().encode("utf-8"), ".csv", tick=True)


@fuzz
@given(st.binary(max_size=300), st.sampled_from([".jsonl", ".csv"]))
def test_random_bytes_import_or_change_nothing(content: bytes, suffix: str) -> None:
    _import(_ledger(), content, suffix)


def test_a_retry_of_an_id_less_file_is_a_no_op() -> None:
    ledger = _ledger()
    lines = [
        {
            "type": "attendance.late_arrival",
            "employee_id": "E1",
            "recorded_by": "gw",
            "occurred_at": f"2026-07-0{d}T09:12:00+08:00",
            "data": {"minutes": 30},
        }
        for d in range(1, 4)
    ]
    content = "".join(json.dumps(x) + "\n" for x in lines).encode()
    assert _import(ledger, content, ".jsonl")
    head = ledger.store.head()
    assert _import(ledger, content, ".jsonl")
    assert ledger.store.head() == head + 0  # nothing appended, no tick moved the horizon


# -- accepted but extreme ----------------------------------------------------------------------

_FIRST = EARLIEST
_LAST_DAY = LATEST_DAY


@st.composite
def extreme_histories(draw: Any) -> list[Event]:
    """A few employees hired on the first or last allowed day (or never), with facts at the
    first instant the bounds allow, just before the clock, and in between."""
    clock = instant(CLOCK)
    instants = st.sampled_from(
        [
            _FIRST,
            _FIRST + timedelta(microseconds=1),
            clock - timedelta(minutes=1),
            instant("2026-03-31 23:59"),
            instant("2026-12-31 23:59"),
        ]
    )
    out: list[Event] = []
    for emp in ("E1", "E2", "E3"):
        when = draw(st.sampled_from(["first", "last", "recent", "never"]))
        if when != "never":
            day = {"first": _FIRST.date(), "last": _LAST_DAY, "recent": date(2026, 1, 1)}[when]
            out.append(hired(emp, draw(instants), hired_on=day, monthly_wage="99999999.99"))
        for _ in range(draw(st.integers(1, 4))):
            at = draw(instants)
            kind = draw(st.sampled_from(["late", "absence", "task", "damage", "violation"]))
            if kind == "late":
                out.append(make("attendance.late_arrival", emp, at, minutes=24 * 60))
            elif kind == "absence":
                out.append(make("attendance.absence", emp, at, days=366))
            elif kind == "task":
                due = draw(
                    st.sampled_from(
                        [_FIRST, datetime.combine(_LAST_DAY, datetime.max.time(), COMPANY_TZ)]
                    )
                )
                out.append(make("task.assigned", emp, at, task_id="T" * 100, due_at=max(due, at)))
            elif kind == "damage":
                out.append(
                    make(
                        "conduct.property_damaged",
                        emp,
                        at,
                        amount="99999999.99",
                        description="d" * 2000,
                    )
                )
            else:
                out.append(
                    make(
                        "conduct.violation",
                        emp,
                        at,
                        kind="extortion",
                        description="v" * 2000,
                        envelope={"evidence": ["e" * 500] * 20, "source": "s" * 500},
                    )
                )
    return out


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extreme_histories())
def test_accepted_extreme_events_never_break_tick_scorecard_report_or_verify(
    history: list[Event],
) -> None:
    ledger = _ledger()
    ledger.record(history)
    ledger.tick()
    assert verify(ledger).ok
    periods = {
        Period.parse(f"{e.occurred_at.year}Q{(e.occurred_at.month - 1) // 3 + 1}") for e in history
    }
    for emp in ledger.employees():
        view = employee_view(ledger, emp)
        for period in periods:
            scorecard(view, period).to_json()
    for period in periods:
        assert build_report(ledger, period).startswith("<!")
