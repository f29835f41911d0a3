"""Incremental derivation equals full derivation (docs/ARCHITECTURE.md, "Derivation state").

The same facts are fed, in the same batches and with the same ticks, to a ledger that resumes
each employee's derivation from its stored state and to one that derives every reconciled
employee's whole history. The derived events each records (sanctions, voids, offsets,
reinstatements, grades) must be the same, in the same order, on random histories with facts
recorded late (back-dated), retractions and appeal decisions, and employees hired from the
start, hired midway (some facts before ``hired_on``, which never count) or never hired
(whose facts derive nothing, ledger.policies.hiring).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_policies import CLOCK_AT, appealed_quarters, fact, quarters, times

from ledger import write
from ledger.app import Ledger
from ledger.events import EVENT_TYPES, Event
from ledger.store import MemoryStore
from ledger.testing import ManualClock, WhenResolvable, hired, instant

TICKS = [instant("2026-07-01 00:00") + timedelta(days=7 * week, hours=13) for week in range(14)]
"""Weekly tick times over the quarter and just after it (grades, deadlines)."""


def derived_log(ledger: Ledger) -> dict[str, list[tuple[Any, ...]]]:
    """Every employee's derived events as (type, valid time, data), in stream order; a
    superseding grade names the event it supersedes by its place in that list (event ids
    are random, so two ledgers give the same grade different ids)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    places: dict[UUID, int] = {}
    for recorded in ledger.store.read():
        event = recorded.event
        if EVENT_TYPES[event.type].DERIVED and not event.employee_id.startswith("_"):
            log = out.setdefault(event.employee_id, [])
            data = event.data.model_dump(mode="json")
            if data.get("supersedes"):
                data["supersedes"] = places[UUID(data["supersedes"])]
            places[event.event_id] = len(log)
            log.append((event.type, event.occurred_at, data))
    return out


def feed(
    facts: Sequence[Event],
    batches: int,
    ticks: Sequence[datetime],
    *,
    incremental: bool,
    kept: bool = True,
    every: int = Ledger.states_every,
    restart: int = 0,
    prior_lag: timedelta = Ledger.prior_lag,
) -> Ledger:
    """Record ``facts`` in ``batches`` consecutive batches, ticking before each batch whose
    first fact lies after a tick time. ``kept=False``: every derivation state is decoded
    from its stored text (as another process would), none reused from the last write.
    ``every``: a kept state is written once it accounts for that many events more than the
    stored one. ``restart``: every that many batches, another ``Ledger`` on the same store
    takes over (a new process: what the last one kept but did not write is gone).
    ``prior_lag``: how much later the latest stored state must pause before it replaces the
    prior one (0: at every write)."""
    store = MemoryStore()
    clock = ManualClock(CLOCK_AT)

    def opened() -> Ledger:
        ledger = Ledger(store, clock=clock)
        ledger.incremental = incremental
        ledger.states_every = every
        ledger.prior_lag = prior_lag
        if not kept:
            ledger.states_kept = 0
        return ledger

    ledger = opened()
    size = max(1, -(-len(facts) // max(1, batches)))
    pending_ticks = list(ticks)
    recorder = WhenResolvable(ledger)  # an appeal waits for its consequence to be recorded
    for number, start in enumerate(range(0, len(facts), size)):
        if restart and number and number % restart == 0:
            ledger = recorder.ledger = opened()
        chunk = facts[start : start + size]
        while pending_ticks and chunk and chunk[0].occurred_at > pending_ticks[0]:
            ledger.tick(pending_ticks.pop(0))
        recorder.record(chunk)
    for moment in pending_ticks:
        ledger.tick(moment)
    recorder.flush()
    return ledger


def daily_order(facts: Sequence[Event], late: Sequence[int]) -> list[Event]:
    """Facts in the order they occurred, except those at indexes ``late``, recorded a while
    after (back-dated when they arrive)."""
    ordered = sorted(facts, key=lambda e: (e.occurred_at, e.event_id.int))
    moved = [ordered[i % len(ordered)] for i in late] if ordered else []
    ids = {e.event_id for e in moved}
    rest = [e for e in ordered if e.event_id not in ids]
    for offset, event in enumerate(moved):
        rest.insert(min(len(rest), (late[offset] % max(1, len(rest))) + 3 + offset), event)
    return rest


@st.composite
def early_fulfilments(draw: Any, emp: str) -> list[Event]:
    """An apology made before the verification it answers, a reply before the complaint is
    recorded as received, a task completed before it was assigned: fulfilments whose origin
    comes later in time (the origin's deadline still counts them)."""
    facts = []
    for cid, origin, fulfil, extra in (
        ("V9", "service.complaint_verified", "service.apology_made", {"severity": "minor"}),
        ("C9", "service.complaint_received", "service.complaint_replied", {"channel": "web"}),
    ):
        if draw(st.booleans()):
            first = draw(times)
            facts.append(fact(draw, fulfil, emp, first, complaint_id=cid))
            later = first + timedelta(hours=draw(st.integers(1, 24 * 20)))
            facts.append(fact(draw, origin, emp, later, complaint_id=cid, **extra))
    if draw(st.booleans()):
        done = draw(times)
        assigned = done + timedelta(hours=draw(st.integers(1, 24 * 20)))
        due = assigned + timedelta(hours=draw(st.integers(1, 72)))
        facts.append(fact(draw, "task.completed", emp, done, task_id="T9"))
        facts.append(fact(draw, "task.assigned", emp, assigned, task_id="T9", due_at=due))
    return facts


def hire(emp: str, at: datetime | str = "2026-06-30 09:00", on: date | None = None) -> Event:
    """``emp`` hired (by default from before every drawn fact)."""
    return hired(emp, at, hired_on=on or date(2026, 1, 1))


@st.composite
def histories(draw: Any) -> list[Event]:
    """E1 hired from the start; E2 hired midway or from the start; E3 never hired."""
    midway = draw(times)
    on = draw(st.dates(date(2026, 6, 25), date(2026, 9, 30)))
    e2_hired = hire("E2", midway, on) if draw(st.booleans()) else hire("E2")
    return [
        hire("E1"),
        *draw(appealed_quarters("E1")),
        e2_hired,
        *draw(quarters("E2")),
        *draw(early_fulfilments("E1")),
        *draw(early_fulfilments("E2")),
        *draw(quarters("E3", retractions=False)),
    ]


@given(
    histories(),
    st.integers(1, 12),
    st.lists(st.integers(0, 500), max_size=3),
    st.lists(st.sampled_from(TICKS), max_size=8, unique=True).map(sorted),
    st.booleans(),
    st.sampled_from([1, 3, Ledger.states_every]),
    st.integers(0, 4),
    st.sampled_from([timedelta(0), timedelta(days=9), Ledger.prior_lag]),
)
def test_resumed_derivation_records_what_full_derivation_records(
    history: list[Event],
    batches: int,
    late: list[int],
    ticks: list[datetime],
    kept: bool,
    every: int,
    restart: int,
    prior_lag: timedelta,
) -> None:
    facts = daily_order(history, late)
    resumed = feed(
        facts,
        batches,
        ticks,
        incremental=True,
        kept=kept,
        every=every,
        restart=restart,
        prior_lag=prior_lag,
    )
    full = feed(facts, batches, ticks, incremental=False)
    assert derived_log(resumed) == derived_log(full)
    assert resumed.verify_chain().ok


@settings(max_examples=10)
@given(quarters("E1", retractions=False), quarters("E2", retractions=False))
def test_a_feed_in_time_order_resumes_instead_of_deriving_again(
    first: list[Event], second: list[Event]
) -> None:
    facts = daily_order([hire("E1"), hire("E2"), *first, *second], [])
    before = write.DERIVATIONS["resumed"]
    resumed = feed(facts, 8, TICKS, incremental=True)
    full = feed(facts, 8, TICKS, incremental=False)
    assert derived_log(resumed) == derived_log(full)
    if len(facts) >= 16:
        assert write.DERIVATIONS["resumed"] > before


@pytest.mark.parametrize("kept", [True, False], ids=["states kept", "states decoded"])
def test_a_daily_feed_resumes_every_day_after_the_first(kept: bool) -> None:
    from ledger.testing import late

    days = [instant("2026-07-01 09:10") + timedelta(days=d) for d in range(30)]
    facts = [late("E1", at=d, minutes=20 + i % 50) for i, d in enumerate(days)]
    ledger = Ledger(MemoryStore(), clock=ManualClock(CLOCK_AT))
    ledger.states_kept = 2_048 if kept else 0
    ledger.record(hire("E1"))
    counts = []
    for one in facts:
        before = dict(write.DERIVATIONS)
        ledger.record([one])
        counts.append(write.DERIVATIONS["resumed"] - before.get("resumed", 0))
    assert counts == [1] * 30  # from the state the hire left (issue 13: hire first)
    reference = Ledger(MemoryStore(), clock=ManualClock(CLOCK_AT))
    reference.incremental = False
    reference.record(hire("E1"))
    for one in facts:
        reference.record([one])
    assert derived_log(ledger) == derived_log(reference)
    assert any(kind == "sanction.issued" for kind, _, _ in derived_log(ledger)["E1"])


def test_two_ledgers_writing_in_turn_never_reuse_a_state_the_other_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A kept state is reused only while the stored text is the one kept with it: two
    writers on one store (two processes, say) alternate days, each resuming from the state
    the other wrote, and record what one full derivation records."""
    from ledger.testing import late

    days = [instant("2026-07-01 09:10") + timedelta(days=d) for d in range(24)]
    facts = [late("E1", at=d, minutes=20 + 7 * i % 50) for i, d in enumerate(days)]
    store = MemoryStore()
    writers = [Ledger(store, clock=ManualClock(CLOCK_AT)) for _ in range(2)]
    writers[0].record(hire("E1"))
    decoded: list[str] = []
    decode = write.incremental.decode

    def counting(text: str, employee_id: str, *args: Any) -> Any:
        decoded.append(employee_id)
        return decode(text, employee_id, *args)

    monkeypatch.setattr(write.incremental, "decode", counting)
    before = write.DERIVATIONS["resumed"]
    for i, one in enumerate(facts):
        decoded.clear()
        writers[i % 2 if i < 12 else 0].record([one])  # then one writer only: kept states
        # In turns, each finds the state the other wrote and decodes it; alone, none.
        assert decoded == (["E1"] if 0 < i < 13 else [])
        kept = writers[0]._kept_states.get("E1")
        assert kept is not None
        stored = [v for _, _, v in store.projection_rows("derivation", "E1")]
        assert stored == [kept.text] or i % 2 == 1
    assert write.DERIVATIONS["resumed"] - before == len(facts)
    reference = Ledger(MemoryStore(), clock=ManualClock(CLOCK_AT))
    reference.incremental = False
    reference.record(hire("E1"))
    for one in facts:
        reference.record([one])
    assert derived_log(writers[0]) == derived_log(reference)
    assert any(kind == "sanction.issued" for kind, _, _ in derived_log(reference)["E1"])


def test_an_apology_made_before_the_verification_still_fulfils_it_when_resumed() -> None:
    """Found by the stateful test: a state must keep a fulfilment whose origin is not yet
    recorded (the apology came first; the verification, recorded days later, back-dated)."""
    from ledger.testing import make

    start = instant("2026-07-01 08:00")
    first = [
        hire("E1"),
        make("service.apology_made", "E1", start - timedelta(hours=50), complaint_id="C1"),
        make("attendance.late_arrival", "E1", start - timedelta(hours=40), minutes=30),
        make("attendance.absence", "E1", start - timedelta(hours=30), days=1),
    ]
    verified = make(
        "service.complaint_verified",
        "E1",
        start + timedelta(hours=52, minutes=-3660),
        complaint_id="C1",
        severity="minor",
    )
    logs = []
    for incremental in (True, False):
        clock = ManualClock("2026-07-01 08:00")
        ledger = Ledger(MemoryStore(), clock=clock)
        ledger.incremental = incremental
        ledger.record(first)
        clock.advance(hours=15)
        ledger.tick()
        clock.advance(hours=37)
        before = write.DERIVATIONS["resumed"]
        ledger.record(verified)
        assert write.DERIVATIONS["resumed"] == before + (1 if incremental else 0)
        logs.append(derived_log(ledger))
        kinds = sorted(s.issued.kind for s in ledger.sanctions("E1") if not s.voided)
        assert kinds == ["fine", "obligation", "warning"]  # no SVC-05 miss: apology was made
    assert logs[0] == logs[1]


def test_facts_of_an_employee_never_hired_derive_nothing_and_count_once_hired() -> None:
    from ledger.testing import absent

    absences = [absent("E9", at=f"2026-07-0{d} 09:00") for d in range(1, 8)]
    logs = []
    for incremental in (True, False):
        ledger = Ledger(MemoryStore(), clock=ManualClock(CLOCK_AT))
        ledger.incremental = incremental
        for one in absences:
            ledger.record(one)
        ledger.tick(instant("2026-08-01 00:00"))
        assert "E9" not in derived_log(ledger)
        ledger.record(hire("E9", "2026-07-20 09:00", date(2026, 7, 4)))
        issued = [s.issued for s in ledger.sanctions("E9")]
        assert issued and min(i.effective_at for i in issued) >= instant("2026-07-04 00:00")
        logs.append(derived_log(ledger))
    assert logs[0] == logs[1]


def test_payroll_closed_by_a_resumed_tick_is_what_a_full_derivation_closes() -> None:
    """A tick crossing month ends closes payroll (PAY-01) from the resumed derivation: the
    fines, compensation and bonuses issued before the state's instant are the recorded ones,
    those after it derived again; wages (a raise mid-quarter, a lower one later) are read
    from the stream. Fines larger than the cap carry over; every month closes as in full."""
    from ledger.testing import make

    facts: list[Event] = [hire("E1")]
    for week in range(12):
        day = instant("2026-07-02 10:00") + timedelta(days=7 * week)
        facts.append(
            make("conduct.violation", "E1", day, kind="discourtesy", description=f"w{week}")
        )
        facts.append(
            make(
                "conduct.property_damaged",
                "E1",
                day + timedelta(days=2),
                amount=f"{900 + 150 * week}.00",
                description="cash drawer",
            )
        )
        if week % 3 == 1:
            praised = day + timedelta(days=3)
            facts.append(make("service.customer_praised", "E1", praised, channel="letter"))
    facts.append(make("employee.wage_changed", "E1", "2026-08-03 09:00", monthly_wage="9500.00"))
    facts.append(make("employee.wage_changed", "E1", "2026-09-07 09:00", monthly_wage="7000.00"))
    facts.sort(key=lambda e: (e.occurred_at, e.event_id.int))
    before = write.DERIVATIONS["resumed"]
    resumed = feed(facts, 12, TICKS, incremental=True)
    assert write.DERIVATIONS["resumed"] > before
    full = feed(facts, 12, TICKS, incremental=False)
    logs = derived_log(resumed), derived_log(full)
    assert logs[0] == logs[1]
    closed = [data for kind, _, data in logs[0]["E1"] if kind == "payroll.closed"]
    assert [c["month"] for c in closed] == ["2026-07", "2026-08"]  # (the last tick: 09-30)
    assert any(c["carried"] != "0.00" for c in closed)  # the cap bit: amounts carried over


def test_a_write_touching_more_employees_than_can_be_kept_keeps_none() -> None:
    """States are kept only when a write's employees all fit: a larger one would push each
    out before its next write (least recently used first), so it keeps none and lets go of
    those kept before (they are being rewritten)."""
    from ledger.testing import late

    ledger = Ledger(MemoryStore(), clock=ManualClock(CLOCK_AT))
    ledger.states_kept = 2
    ledger.record([hire("E1"), hire("E2")])
    ledger.record([late("E1", "2026-07-01 09:10", minutes=20), late("E2", "2026-07-01 09:10")])
    assert sorted(ledger._kept_states) == ["E1", "E2"]
    ledger.record([hire("E3"), late("E3", "2026-07-02 09:10"), late("E1", "2026-07-02 09:10")])
    assert sorted(ledger._kept_states) == ["E1", "E3"]  # two employees: kept, E2 pushed out
    three = [late(emp, "2026-07-03 09:10", minutes=15) for emp in ("E1", "E2", "E3")]
    ledger.record(three)
    assert not ledger._kept_states


def test_a_kept_state_is_written_once_it_accounts_for_states_every_events_more() -> None:
    """A long-running writer keeps its states and writes one only every ``states_every``
    events (docs/ARCHITECTURE.md, "Derivation state"); another ledger on the store (a new
    process) resumes from the older stored state, derives the events since, and records
    what a full derivation records."""
    from ledger.testing import late

    days = [instant("2026-07-01 09:10") + timedelta(days=d) for d in range(30)]
    facts = [late("E1", at=d, minutes=20 + 7 * i % 50) for i, d in enumerate(days)]
    store = MemoryStore()
    first = Ledger(store, clock=ManualClock(CLOCK_AT))
    first.states_every = 8
    first.record(hire("E1"))
    stored_versions, kept_versions = [], []
    for one in facts[:19]:
        first.record([one])
        (text,) = [v for _, _, v in store.projection_rows("derivation", "E1")]
        stored_versions.append(write.incremental.decode(text, "E1", first.rulebooks()).version)
        kept = first._kept_states["E1"]
        assert kept.state.version == len(list(store.read(employee_id="E1")))
        assert kept.stored == stored_versions[-1] <= kept.state.version
        kept_versions.append(kept.state.version)
    written = sorted(set(stored_versions))
    assert len(written) < len(facts[:19]) // 2  # not at every write
    assert all(b - a >= 8 for a, b in pairwise(written))
    assert stored_versions[-1] < kept_versions[-1]  # the new process starts from an older one
    second = Ledger(store, clock=ManualClock(CLOCK_AT))  # a new process: nothing kept
    before = write.DERIVATIONS["resumed"]
    for one in facts[19:]:
        second.record([one])
    assert write.DERIVATIONS["resumed"] - before == len(facts[19:])
    assert derived_log(second) == one_by_one_in_full(facts)


def test_a_kept_state_beyond_its_stream_is_not_reused() -> None:
    """A kept state is reused only while its stream reaches the state's version: a database
    restored from before the last writes, say, has the stored row but not those events."""
    from ledger.testing import late

    days = [instant("2026-07-01 09:10") + timedelta(days=d) for d in range(10)]
    facts = [late("E1", at=d, minutes=20 + 7 * i % 50) for i, d in enumerate(days)]
    ledger = Ledger(MemoryStore(), clock=ManualClock(CLOCK_AT))
    ledger.record(hire("E1"))
    for i, one in enumerate(facts):
        kept = ledger._kept_states.get("E1")
        if i == 5 and kept is not None:  # as if the stream had lost its last events
            ahead = replace(kept.state, version=kept.state.version + 3)
            ledger._kept_states["E1"] = write.KeptState(kept.text, kept.stored, ahead)
        ledger.record([one])
        if i == 5:
            assert ledger._kept_states["E1"].state.version == len(
                list(ledger.store.read(employee_id="E1"))
            )
    assert derived_log(ledger) == one_by_one_in_full(facts)


@pytest.mark.parametrize("backend", ["memory", "sqlite", "postgresql"])
def test_a_rolled_back_write_lets_go_of_the_states_it_kept(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A state kept but not written accounts for the events of its transaction; when that
    transaction rolls back, the ledger lets go of its kept states (``on_rollback``, on
    every backend), and what it records next is what a ledger that never saw the
    rolled-back facts records."""
    from ledger.testing import late

    days = [instant("2026-07-01 09:10") + timedelta(days=d) for d in range(12)]
    facts = [late("E1", at=d, minutes=25 + 9 * i % 40) for i, d in enumerate(days)]
    where = {
        "memory": ":memory:",
        "sqlite": str(tmp_path / "ledger.db"),
        "postgresql": request.getfixturevalue("pg_url") if backend == "postgresql" else "",
    }[backend]
    ledger = Ledger.open(where, clock=ManualClock(CLOCK_AT))
    request.addfinalizer(ledger.close)
    ledger.record(hire("E1"))
    for i, one in enumerate(facts):
        if i % 3 == 1:
            with pytest.raises(RuntimeError), ledger.store.transaction():
                ledger.record([one])
                assert ledger._kept_states["E1"].stored < ledger._kept_states["E1"].state.version
                raise RuntimeError("the caller's transaction fails after the record")
            assert not ledger._kept_states
            continue
        ledger.record([one])
    recorded = [one for i, one in enumerate(facts) if i % 3 != 1]
    assert derived_log(ledger) == one_by_one_in_full(recorded)


def one_by_one_in_full(facts: Sequence[Event]) -> dict[str, list[tuple[Any, ...]]]:
    """The derived log of E1 hired, then ``facts`` recorded one at a time, each derived in
    full (the reference); it must hold a sanction, or the comparison proves little."""
    reference = Ledger(MemoryStore(), clock=ManualClock(CLOCK_AT))
    reference.incremental = False
    reference.record(hire("E1"))
    for one in facts:
        reference.record([one])
    log = derived_log(reference)
    assert any(kind == "sanction.issued" for kind, _, _ in log["E1"])
    return log


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_tick_on_worker_processes_records_what_one_process_records(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """A tick over many employees of a file (or a PostgreSQL database) derives them in
    worker processes (``write._derivations``): the events it records and the states it
    stores are exactly those of the same ticks in one process (on a SQLite file), for a
    first tick after a bulk import (everyone in full), month ends (payroll) and a deadline
    tick (some employees, resumed)."""
    from ledger.audit.pool import available_cpus
    from ledger.demo import generate

    facts = list(generate(employees=12))
    ticks = [instant(t) for t in ("2026-08-01 00:00", "2026-08-20 00:00", "2026-10-01 00:00")]
    where = {10**9: str(tmp_path / "one.db"), 1: str(tmp_path / "workers.db")}
    if backend == "postgresql":
        where[1] = request.getfixturevalue("pg_url")
    logs, states = [], []
    for parallel_from in (10**9, 1):
        monkeypatch.setattr(write, "PARALLEL_TICK_FROM", parallel_from)
        with Ledger.open(where[parallel_from], clock=ManualClock(CLOCK_AT)) as ledger:
            ledger.states_kept = 0  # every state written, to compare the rows
            ledger.record(facts)
            for moment in ticks:
                before = write.DERIVATIONS.total()
                ledger.tick(moment)
                here = write.DERIVATIONS.total() - before  # (workers count their own)
                assert here == 0 if parallel_from == 1 and available_cpus() > 1 else here > 0
            logs.append(derived_log(ledger))
            states.append(list(ledger.store.projection_rows("derivation")))
    assert logs[0] == logs[1]
    assert states[0] == states[1]
    assert sum(kind == "payroll.closed" for log in logs[0].values() for kind, _, _ in log) > 12
    # Employees whose states this process keeps resume here: no workers for them; nor for
    # a tick inside a caller's transaction (the workers could not see what it holds).
    with Ledger.open(tmp_path / "kept.db", clock=ManualClock(CLOCK_AT)) as ledger:
        ledger.record(facts)
        ledger.tick(ticks[0])  # (derived in full here: the states' now lies before their at)
        before = write.DERIVATIONS.total()
        ledger.tick(ticks[1])
        assert write.DERIVATIONS.total() > before
        ledger.states_kept = 0
        with ledger.store.transaction():
            before = write.DERIVATIONS.total()
            ledger.tick(ticks[2])
            assert write.DERIVATIONS.total() > before
        assert derived_log(ledger) == logs[0]


def test_a_tick_whose_workers_stop_goes_on_in_its_own_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers that stop part-way (a process killed) or never start leave the rest of the
    tick to its own process: the same events and states as one process, and the report
    says why the workers stopped (``write._derivations``)."""
    from concurrent.futures.process import BrokenProcessPool

    from ledger.audit.pool import EmployeePool, available_cpus
    from ledger.demo import generate

    if available_cpus() < 2:
        pytest.skip("one CPU: a tick never starts workers here")
    facts = list(generate(employees=12))
    moment = instant("2026-10-01 00:00")

    def run(name: str) -> tuple[Any, Any, write.TickReport]:
        with Ledger.open(tmp_path / name, clock=ManualClock(CLOCK_AT)) as ledger:
            ledger.states_kept = 0
            ledger.record(facts)
            report = ledger.tick(moment)
            rows = list(ledger.store.projection_rows("derivation"))
            return derived_log(ledger), rows, report

    monkeypatch.setattr(write, "PARALLEL_TICK_FROM", 10**9)
    alone = run("one.db")
    assert alone[2].workers_stopped is None
    monkeypatch.setattr(write, "PARALLEL_TICK_FROM", 1)
    real = EmployeePool.stream

    def dies_after_five(self: EmployeePool[Any, Any]) -> Iterator[Any]:
        for n, result in enumerate(real(self)):
            if n == 5:
                raise BrokenProcessPool("a worker was killed")
            yield result

    monkeypatch.setattr(EmployeePool, "stream", dies_after_five)
    log, rows, report = run("stopped.db")
    assert (log, rows) == alone[:2]
    assert report.workers_stopped == "BrokenProcessPool: a worker was killed"
    assert report.derived == alone[2].derived

    def stops_after_five(self: EmployeePool[Any, Any]) -> Iterator[Any]:
        for n, result in enumerate(real(self)):
            if n == 5:
                return
            yield result

    monkeypatch.setattr(EmployeePool, "stream", stops_after_five)
    log, rows, report = run("short.db")
    assert (log, rows) == alone[:2]
    assert report.workers_stopped == "the workers sent fewer results than employees"

    def one_too_many(self: EmployeePool[Any, Any]) -> Iterator[Any]:
        results = list(real(self))
        yield from [*results, results[-1]]

    monkeypatch.setattr(EmployeePool, "stream", one_too_many)
    with pytest.raises(RuntimeError, match="more results than employees"):
        run("long.db")

    def cannot_start(self: EmployeePool[Any, Any]) -> EmployeePool[Any, Any]:
        raise OSError("too many open files")

    monkeypatch.setattr(EmployeePool, "__enter__", cannot_start)
    log, rows, report = run("unstarted.db")
    assert (log, rows) == alone[:2]
    assert report.workers_stopped == "OSError: too many open files"


def test_a_write_keeping_no_state_holds_no_state_text_either(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bulk write (more employees than can be kept) holds neither the states nor their
    encoded texts once written: at 1M events those texts were 40 MB of the import's peak."""
    from ledger.testing import late

    held: list[int] = []
    save = write._States.save

    def saving(self: Any) -> None:
        save(self)
        held.append(len(self.base))

    monkeypatch.setattr(write._States, "save", saving)
    ledger = Ledger(MemoryStore(), clock=ManualClock(CLOCK_AT))
    ledger.states_kept = 2
    ledger.record([hire(e) for e in ("E1", "E2", "E3")])
    ledger.record([late(e, "2026-07-01 09:10", minutes=25) for e in ("E1", "E2", "E3")])
    assert held and held[-1] == 0
    held.clear()
    ledger.record([late(e, "2026-07-02 09:10", minutes=25) for e in ("E1", "E2")])
    assert held == [2]  # kept: with the text each resumes from


def test_a_first_tick_after_months_of_untested_imports_resumes_and_grades_every_quarter() -> None:
    """Two quarters imported day by day and never ticked: the states hold that every
    deadline was met (``met_to``) and the outcomes of every quarter not graded yet, so the
    first tick resumes instead of deriving in full, and grades 2026Q2 and 2026Q3 (with a
    warning in each) and closes payroll exactly as a full derivation does."""
    from ledger.testing import late, make

    facts: list[Event] = [hire("E1", "2026-03-30 09:00", date(2026, 1, 1))]
    for week in range(24):
        day = instant("2026-04-02 10:00") + timedelta(days=7 * week)
        facts.append(late("E1", at=day, minutes=25 + 5 * (week % 4)))
        if week in (3, 16):
            facts.append(
                make(
                    "conduct.violation",
                    "E1",
                    day + timedelta(hours=2),
                    kind="discourtesy",
                    description="rude",
                )
            )
        cid = f"C{week}"
        received = day + timedelta(days=1)
        facts.append(
            make("service.complaint_received", "E1", received, complaint_id=cid, channel="web")
        )
        for kind, hours in (("replied", 3), ("resolved", 20)):
            done = received + timedelta(hours=hours)
            facts.append(make(f"service.complaint_{kind}", "E1", done, complaint_id=cid))
    logs = []
    for incremental in (True, False):
        ledger = Ledger(MemoryStore(), clock=ManualClock(CLOCK_AT))
        ledger.incremental = incremental
        for one in facts:
            ledger.record([one])
        before = dict(write.DERIVATIONS)
        ledger.tick(instant("2026-10-01 00:00"))
        if incremental:
            assert write.DERIVATIONS["resumed"] == before.get("resumed", 0) + 1
            assert write.DERIVATIONS["full"] == before.get("full", 0)
        logs.append(derived_log(ledger))
    assert logs[0] == logs[1]
    grades = [data["period"] for kind, _, data in logs[0]["E1"] if kind == "grade.assigned"]
    assert {"2026Q2", "2026Q3"} <= set(grades)
    warnings = [d for k, _, d in logs[0]["E1"] if k == "sanction.issued" and d["kind"] == "warning"]
    assert len(warnings) >= 2


@pytest.mark.parametrize("kept", [True, False], ids=["states kept", "states decoded"])
def test_a_retraction_weeks_back_resumes_from_the_prior_state(kept: bool) -> None:
    """A retraction of a late arrival weeks back: the latest state holds it only as a
    tally, so it cannot resume; the prior state (docs/ARCHITECTURE.md, "Derivation state")
    pauses before it and does, deriving those weeks again, not the whole history. What it
    records is what a full derivation records, and differs from the feed without it."""
    from ledger.testing import late, retract

    days = [instant("2026-07-01 09:10") + timedelta(days=d) for d in range(50)]
    facts = [late("E1", at=d, minutes=20 if i % 4 == 0 else 3) for i, d in enumerate(days)]
    withdrawn = retract(facts[40], at=days[45] + timedelta(hours=2))
    feed_of = [*facts[:46], withdrawn, *facts[46:]]

    def run(
        incremental: bool, events: list[Event]
    ) -> tuple[Ledger, list[tuple[int, int, int]]]:
        store = MemoryStore()
        reads = store.projection_rows
        priors_read = [0]

        def counting(name: str, employee_id: str | None = None) -> Any:
            priors_read[0] += name == "derivation-prior"
            return reads(name, employee_id)

        store.projection_rows = counting  # type: ignore[method-assign]
        ledger = Ledger(store, clock=ManualClock(CLOCK_AT))
        ledger.incremental = incremental
        ledger.states_every = 1
        ledger.states_kept = 2_048 if kept else 0
        ledger.record(hire("E1"))
        counts = []
        for one in events:
            before, priors_read[0] = dict(write.DERIVATIONS), 0
            ledger.record([one])
            counts.append(
                (
                    write.DERIVATIONS["prior"] - before.get("prior", 0),
                    write.DERIVATIONS["full"] - before.get("full", 0),
                    priors_read[0],
                )
            )
        return ledger, counts

    resumed, counts = run(True, feed_of)
    at = feed_of.index(withdrawn)
    assert counts[at] == (1, 0, 1)  # from the prior state (read once), not in full
    # Otherwise never read, even when every state is decoded (a process per day): the
    # latest state's text says where the prior pauses.
    assert all(c == (0, 0, 0) for i, c in enumerate(counts) if i != at)
    priors = [v for _, _, v in resumed.store.projection_rows("derivation-prior", "E1")]
    assert len(priors) == 1
    full, _ = run(False, feed_of)
    assert derived_log(resumed) == derived_log(full)
    unretracted, _ = run(True, facts)
    assert derived_log(resumed) != derived_log(unretracted)


def test_the_prior_state_is_not_read_where_it_cannot_help() -> None:
    """An employee never hired (derived in full, cheaply, every time) and a first
    derivation never read the prior state; only a refusal for what was recorded since
    does."""
    from ledger.testing import late

    store = MemoryStore()
    reads = store.projection_rows
    asked: list[str] = []

    def counting(name: str, employee_id: str | None = None) -> Any:
        if name == "derivation-prior":
            asked.append(str(employee_id))
        return reads(name, employee_id)

    store.projection_rows = counting  # type: ignore[method-assign]
    ledger = Ledger(store, clock=ManualClock(CLOCK_AT))
    ledger.states_every = 1
    ledger.record(hire("E1"))
    for day in range(12):
        at = instant("2026-07-01 09:20") + timedelta(days=day)
        ledger.record([late("E9", at=at, minutes=30), late("E1", at=at, minutes=3)])
    assert asked == []
