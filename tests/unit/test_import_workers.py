"""A large import is validated by worker processes and kept on disk between validation and
appending (docs/ARCHITECTURE.md, "Input boundary"): whichever way a file is read, the same
lines are stored, the same consequences derived, the same bad lines named.

``workers=2`` forces the parse workers on a small file and ``preload`` forces the spill
file; the defaults choose them by the input's size.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ledger.app import Ledger
from ledger.audit.pool import available_cpus
from ledger.errors import ImportRejected, UsageError
from ledger.events import UPCASTERS, Event, event_to_wire
from ledger.events.codec import wire_json
from ledger.importer import (
    _PARSE_CHUNK,
    _PARSE_CHUNK_CHARS,
    _chunk,
    _parse_chunk,
    _sigint_blocked,
    _start_worker,
)
from ledger.testing import ManualClock, hired, late, make, praised
from ledger.write import MAX_PARSE_WORKERS, _parse_workers

CLOCK = "2026-09-20 00:00"


def _facts() -> list[Event]:
    """Twelve employees over a summer: lateness, rudeness, praise."""
    out: list[Event] = []
    for n in range(12):
        emp = f"E{n:02d}"
        out.append(hired(emp, "2026-06-01 09:00", monthly_wage="8000.00"))
        for day in range(1, 1 + n % 5 * 3):
            out.append(late(emp, f"2026-07-{day:02d} 09:20", minutes=20))
        if n % 3 == 0:
            rude = {"kind": "discourtesy", "description": "x"}
            out.append(make("conduct.violation", emp, "2026-08-03 10:00", **rude))
        if n % 4 == 1:
            out.append(praised(emp, "2026-08-05 11:00"))
    return out


FACTS = _facts()
"""One draw of the facts (their ids are new at each build)."""


def lines(events: list[Event], *, id_less: int = 0, recorder_less: int = 0) -> list[str]:
    """JSON Lines of ``events``; the first ``id_less`` without their id (derived from the
    content) and the next ``recorder_less`` without ``recorded_by`` (the actor's)."""
    out = []
    for n, event in enumerate(events):
        wire = event_to_wire(event)
        if n < id_less:
            del wire["event_id"]
        elif n < id_less + recorder_less:
            del wire["recorded_by"]
        out.append(json.dumps(wire, ensure_ascii=False))
    return out


def stored(ledger: Ledger) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The observations as stored (without the time of recording and the chain) and the
    consequences derived (without their own ids)."""
    facts, derived = [], []
    for row in ledger.store.rows():
        if row.employee_id == "_ledger":
            continue
        if row.recorded_by == "ledger":
            data = json.loads(row.data)
            data.pop("sanction_id", None)
            derived.append((row.employee_id, row.type, row.occurred_at, json.dumps(data)))
        else:
            facts.append(
                (row.event_id, row.employee_id, row.version, row.type, row.occurred_at,
                 row.recorded_by, row.source, row.evidence, row.data)
            )  # fmt: skip
    return facts, derived


def imported(text: str, **options: Any) -> Ledger:
    ledger = Ledger.in_memory(clock=ManualClock(CLOCK), actor="system:gateway")
    ledger.import_stream(io.StringIO(text), source="feed.jsonl", **options)
    return ledger


@pytest.fixture(scope="module")
def text() -> str:
    return "\n".join(lines(FACTS, id_less=5, recorder_less=5)) + "\n"


@pytest.fixture(scope="module")
def reference(text: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Read in this process, kept in memory: the way a small file always went."""
    return stored(imported(text, workers=1))


def test_the_reference_import_derives_something(
    reference: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]], text: str
) -> None:
    facts, derived = reference
    assert len(facts) == text.count("\n") and len(derived) > 5


@pytest.mark.parametrize(
    ("workers", "preload"),
    [(1, 7), (2, 50_000), (2, 7), (2, 0)],
    ids=["spilled", "workers", "workers-spilled", "workers-all-spilled"],
)
def test_workers_and_the_spill_file_store_and_derive_what_one_process_does(
    text: str,
    reference: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]],
    workers: int,
    preload: int,
) -> None:
    assert stored(imported(text, workers=workers, preload=preload)) == reference


def test_a_csv_file_reads_the_same_with_workers() -> None:
    chosen = [
        event_to_wire(e) for e in FACTS if e.type in ("employee.hired", "attendance.late_arrival")
    ]
    envelope = ["event_id", "type", "employee_id", "occurred_at", "recorded_by"]
    data = sorted({key for wire in chosen for key in wire["data"]})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(envelope + [f"data.{key}" for key in data])
    for wire in chosen:
        writer.writerow([wire[k] for k in envelope] + [wire["data"].get(k, "") for k in data])
    text = out.getvalue()
    one = stored(imported(text, fmt="csv", workers=1))
    assert len(one[0]) == len(chosen) > 20
    assert stored(imported(text, fmt="csv", workers=2, preload=3)) == one


def _refused(text: str, ledger: Ledger, **options: Any) -> tuple[str, list[tuple[int, str]]]:
    head = (ledger.store.head(), ledger.store.head_hash())
    with pytest.raises(ImportRejected) as caught:
        ledger.import_stream(io.StringIO(text), source="feed.jsonl", **options)
    assert (ledger.store.head(), ledger.store.head_hash()) == head  # nothing written
    return str(caught.value), [(line, str(p)) for line, p in caught.value.problems]


def test_workers_name_the_same_bad_lines_as_one_process() -> None:
    good = lines(FACTS[:20])
    other = event_to_wire(FACTS[3])
    other["data"]["minutes"] = 45  # the id of line 4 with other content
    earlier = hired("E99", "2026-06-01 09:00")  # stored before; the file has other content
    stored_id = {**event_to_wire(earlier), "employee_id": "E98"}
    future = event_to_wire(FACTS[2])
    future.pop("event_id")
    future["occurred_at"] = "2027-01-01T09:00:00+08:00"
    bad = [
        *good[:5],
        "{not json",
        json.dumps({**event_to_wire(FACTS[1]), "type": "attendance.nap"}),
        json.dumps({**event_to_wire(FACTS[1]), "occurred_at": "2026-07-01T09:00:00"}),
        *good[5:12],
        json.dumps(other),
        json.dumps(stored_id),
        json.dumps(future),
        json.dumps({**event_to_wire(FACTS[1]), "type": "sanction.issued"}),
        *good[12:],
    ]
    text = "\n".join(bad) + "\n"
    found = []
    for options in ({"workers": 1}, {"workers": 2}, {"workers": 2, "preload": 2}):
        ledger = Ledger.in_memory(clock=ManualClock(CLOCK))
        ledger.record(earlier)
        found.append(_refused(text, ledger, **options))
    assert found[0] == found[1] == found[2]
    message, problems = found[0]
    assert [line for line, _ in problems] == [6, 7, 8, 16, 17, 18, 19], problems
    assert "line 4 with different content" in problems[3][1]
    assert "already stored at position" in problems[4][1]
    assert "in the future" in problems[5][1]
    assert message.startswith("feed.jsonl:6: ")


def test_workers_that_cannot_match_this_process_are_replaced_by_it(
    text: str, reference: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]
) -> None:
    """An upcaster registered at run time is not in a spawned worker: the worker refuses
    its chunks and this process validates them itself."""
    key = ("attendance.late_arrival", 0)
    with pytest.raises(RuntimeError, match="other upcasters"):
        _parse_chunk([(1, text.splitlines()[0])], None, frozenset({key}))
    UPCASTERS.register(*key, lambda data: data)
    try:
        assert stored(imported(text, workers=2, preload=3)) == reference
    finally:
        del UPCASTERS._steps[key]


def test_the_parse_workers_are_chosen_by_the_input_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(lines(FACTS)) + "\n", encoding="utf-8")
    with small.open(encoding="utf-8") as stream:
        assert _parse_workers(stream, None) == 1
        assert _parse_workers(stream, 3) == 3
        with pytest.raises(UsageError, match="workers must be 1 or more"):
            _parse_workers(stream, 0)
        monkeypatch.setattr("ledger.write.PARSE_WORKERS_FROM", small.stat().st_size)
        cpus = available_cpus()
        assert _parse_workers(stream, None) == (min(cpus, MAX_PARSE_WORKERS) if cpus > 1 else 1)
    assert _parse_workers(io.StringIO("{}\n"), None) == 1  # no file under it


def test_a_spilled_import_reports_progress_through_both_readings(text: str) -> None:
    seen: list[int] = []
    imported(text, workers=2, preload=3, batch_size=10, progress=seen.append)
    count = text.count("\n")
    restart = next(n for n in range(1, len(seen)) if seen[n] < seen[n - 1])
    assert seen[:restart] == list(range(10, count + 1, 10))
    assert seen[restart:] == [*range(10, count + 1, 10), count][: len(seen) - restart]


def test_columns_of_an_id_less_line_carry_its_derived_id(text: str) -> None:
    """The id a worker derives from a line's content is the one this process derives."""
    first = text.splitlines()[0]
    assert "event_id" not in json.loads(first)
    here = imported(first + "\n", workers=1)
    there = imported(first + "\n", workers=2)
    (a,), (b,) = (
        [r.event for r in led.store.read() if r.event.employee_id != "_ledger"]
        for led in (here, there)
    )
    assert a == b and wire_json(a) == wire_json(b)


def test_a_chunk_for_a_worker_is_cut_by_lines_and_by_characters() -> None:
    """The workers' input in flight is bounded whatever the lines' length."""
    short = iter([(n, "{}") for n in range(1, 2_501)])
    assert [len(_chunk(short)) for _ in range(4)] == [_PARSE_CHUNK, _PARSE_CHUNK, 500, 0]
    long_line = "x" * (_PARSE_CHUNK_CHARS // 2 + 1)
    long = iter([(n, long_line) for n in range(1, 6)])
    assert [len(_chunk(long)) for _ in range(4)] == [2, 2, 1, 0]
    cells = {"type": "attendance.late_arrival", "data": {"note": long_line}}
    rows = iter([(n, cells) for n in range(1, 4)])
    assert [len(_chunk(rows)) for _ in range(3)] == [2, 1, 0]


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")
def test_a_parse_worker_holds_ctrl_c_back_from_its_start_then_ignores_it() -> None:
    """A Ctrl-C while a worker imports the package must not print its traceback: it is
    started with SIGINT blocked (inherited through exec) and ignores it once it runs."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as bare, _sigint_blocked():
        held = bare.submit(signal.pthread_sigmask, signal.SIG_BLOCK, []).result()
    assert signal.SIGINT in held
    with ProcessPoolExecutor(1, mp_context=spawn, initializer=_start_worker) as worker:
        with _sigint_blocked():
            started = worker.submit(signal.pthread_sigmask, signal.SIG_BLOCK, [])
        handler = worker.submit(signal.getsignal, signal.SIGINT).result()
        assert signal.SIGINT not in started.result() and handler == signal.SIG_IGN
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])  # here: back
