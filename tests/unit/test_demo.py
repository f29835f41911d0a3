"""The demo company: deterministic, plausible, every observation type, a fresh database."""

from __future__ import annotations

import io
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from rich.console import Console

from ledger.app import Ledger
from ledger.audit import verify
from ledger.demo import DemoResult, generate, is_demo_database, run_demo
from ledger.errors import UsageError
from ledger.events import (
    OBSERVATION_TYPES,
    ComplaintReceived,
    ComplaintReplied,
    Event,
    EventData,
    FirstResponseTimed,
    Hired,
    LateArrival,
    PhoneAnswered,
    QualificationAssessed,
    Retracted,
    ServiceEvaluated,
    ServiceInspected,
    Violation,
)
from ledger.timeutil import COMPANY_TZ, Period

D = TypeVar("D", bound=EventData)
Q3 = Period.parse("2026Q3")
SMALL = 12


@pytest.fixture(scope="module")
def company() -> list[Event]:
    """The default company (48 employees, 2026Q3, seed 7)."""
    return list(generate())


def of(events: list[Event], kind: type[D]) -> list[D]:
    return [e.data for e in events if isinstance(e.data, kind)]


def test_the_same_seed_gives_the_same_events_ids_included() -> None:
    assert list(generate(SMALL, "2026Q3", 7)) == list(generate(SMALL, "2026Q3", 7))


def test_another_seed_gives_another_company() -> None:
    first = {e.event_id for e in generate(SMALL, "2026Q3", 7)}
    assert first.isdisjoint(e.event_id for e in generate(SMALL, "2026Q3", 8))


def test_event_ids_are_unique(company: list[Event]) -> None:
    assert len({e.event_id for e in company}) == len(company)


@pytest.mark.parametrize(("employees", "seed"), [(5, 7), (SMALL, 7), (SMALL, 1), (30, 99)])
def test_every_observation_type_but_the_appeal_occurs(employees: int, seed: int) -> None:
    types = {e.type for e in generate(employees, "2026Q3", seed)}
    assert types == set(OBSERVATION_TYPES) - {"appeal.filed", "appeal.decided"}


def test_observations_happen_inside_the_quarter_in_company_time(company: list[Event]) -> None:
    before = {"employee.hired", "employee.qualification_assessed"}
    assert all(e.occurred_at.tzinfo == COMPANY_TZ for e in company)
    assert all(e.occurred_at < Q3.end for e in company)
    assert all(e.occurred_at in Q3 for e in company if e.type not in before)


def test_every_event_says_it_is_synthetic(company: list[Event]) -> None:
    assert {e.source for e in company} == {"demo:seed=7"}


def test_most_facts_are_benign(company: list[Event]) -> None:
    adverse = [
        e
        for e in company
        if (isinstance(e.data, LateArrival) and e.data.minutes > 5)
        or (isinstance(e.data, PhoneAnswered) and e.data.rings > 3)
        or (isinstance(e.data, FirstResponseTimed) and e.data.seconds > 300)
        or (isinstance(e.data, ServiceInspected) and not e.data.passed)
        or e.type
        in {
            "attendance.early_departure",
            "attendance.post_left",
            "attendance.absence",
            "service.complaint_verified",
            "conduct.violation",
            "conduct.property_damaged",
            "task.refused",
            "task.authority_exceeded",
            "task.meeting_missed",
        }
    ]
    assert 0.01 < len(adverse) / len(company) < 0.08


def test_lateness_is_mostly_within_grace_and_phones_mostly_by_the_third_ring(
    company: list[Event],
) -> None:
    minutes = [d.minutes for d in of(company, LateArrival)]
    rings = [d.rings for d in of(company, PhoneAnswered)]
    assert sum(m <= 5 for m in minutes) / len(minutes) > 0.6
    assert sum(r <= 3 for r in rings) / len(rings) > 0.9
    assert len(rings) > 10 * len(of(company, Violation))


def test_complaints_are_mostly_answered_in_time(company: list[Event]) -> None:
    received = {
        e.data.complaint_id: e.occurred_at for e in company if isinstance(e.data, ComplaintReceived)
    }
    replied = {
        e.data.complaint_id: e.occurred_at for e in company if isinstance(e.data, ComplaintReplied)
    }
    on_time = [replied[c] - received[c] <= timedelta(hours=24) for c in received]
    assert len(received) >= 20
    assert 0.8 <= sum(on_time) / len(on_time) < 1


def test_all_four_raters_evaluate() -> None:
    raters = Counter(d.rater for d in of(list(generate(SMALL)), ServiceEvaluated))
    assert set(raters) == {"customer", "peer", "supervisor", "self"}


def test_hires_mix_tenures_and_plausible_wages(company: list[Event]) -> None:
    hires = of(company, Hired)
    assert len(hires) == 48
    assert len({h.department for h in hires}) == 5
    assert all(3000 <= h.monthly_wage <= 12000 for h in hires)
    recent = [h for h in hires if (Q3.start.date() - h.hired_on).days < 365]
    assert 0 < len(recent) < len(hires) / 2


def test_rare_breaches_are_rare(company: list[Event]) -> None:
    kinds = Counter(v.kind for v in of(company, Violation))
    assert kinds["extortion"] == 1
    assert kinds["confidentiality"] == 1
    [retraction] = [e for e in company if isinstance(e.data, Retracted)]
    [target_id] = [d.target_event_id for d in of(company, Retracted)]
    target = next(e for e in company if e.event_id == target_id)
    assert target.type == "attendance.late_arrival"
    assert target.employee_id == retraction.employee_id


def test_one_employee_serves_before_passing_qualification(company: list[Event]) -> None:
    def early(employee: str) -> bool:
        mine = [e for e in company if e.employee_id == employee]
        passed = min(
            e.occurred_at
            for e in mine
            if isinstance(e.data, QualificationAssessed) and e.data.passed
        )
        return any(e.type.startswith("service.") and e.occurred_at < passed for e in mine)

    assert sum(early(e) for e in {e.employee_id for e in company}) == 1


@pytest.mark.parametrize(
    ("employees", "period"), [(4, "2026Q3"), (SMALL, "2026-07"), (SMALL, "2019Q4")]
)
def test_arguments_out_of_range_are_usage_errors(employees: int, period: str) -> None:
    with pytest.raises(UsageError):
        list(generate(employees, period))


def run(path: Path, employees: int = SMALL, seed: int = 7) -> tuple[DemoResult, str]:
    screen = io.StringIO()
    console = Console(file=screen, width=160, color_system=None)
    return run_demo(path, employees=employees, seed=seed, console=console), screen.getvalue()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, DemoResult, str]]:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    result, output = run(path)
    yield path, result, output


def test_run_demo_prints_every_section(demo_db: tuple[Path, DemoResult, str]) -> None:
    _, result, output = demo_db
    for section in (
        "Department summary 2026Q3",
        "Grades 2026Q3",
        "Most consequences",
        "Corrected later",
        f"ledger explain {result.explained}",
        "Explore further",
        "built, recorded and reported in",
    ):
        assert section in output


def test_the_appeal_and_the_retraction_void_what_they_undid(
    demo_db: tuple[Path, DemoResult, str],
) -> None:
    path, result, _ = demo_db
    assert result.appealed is not None
    assert result.retracted is not None
    with Ledger.open(path, adopt_default=False) as ledger:
        assert ledger.sanction(result.appealed).voided
        assert result.voided > 2
        assert verify(ledger).ok
        grades = list(ledger.store.read(types=frozenset({"grade.assigned"})))
        assert {g.event.employee_id for g in grades} == set(ledger.employees())


def test_the_demo_adopts_its_access_document_and_every_fact_has_its_right(
    demo_db: tuple[Path, DemoResult, str],
) -> None:
    path, _, _ = demo_db
    with Ledger.open(path, adopt_default=False) as ledger:
        access = ledger.access()
        assert access is not None
        assert (access.label, access.adopted_by, access.position) == (
            "company-access v1",
            "hr:H01",
            1,
        )
        rights = verify(ledger).rights
        assert rights.checked and rights.violations == ()
        assert rights.facts == ledger.store.head()
        appeal = [r.event for r in ledger.store.read(types=frozenset({"appeal.decided"}))]
        assert [e.recorded_by for e in appeal] == ["hr:appeals-board"]


def test_a_second_run_replaces_a_demo_database_with_the_same_company(
    demo_db: tuple[Path, DemoResult, str], tmp_path: Path
) -> None:
    first = demo_db[1]
    again, _ = run(tmp_path / "again.db")
    assert (again.facts, again.consequences, again.voided) == (
        first.facts,
        first.consequences,
        first.voided,
    )
    assert again.explained == first.explained
    replaced, _ = run(tmp_path / "again.db")
    assert replaced.events == again.events


def test_an_other_ledger_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "company.db"
    Ledger.open(path).close()
    before = path.read_bytes()
    with pytest.raises(UsageError, match="not made by `ledger demo`"):
        run(path)
    assert path.read_bytes() == before
    assert not is_demo_database(path)


def test_an_empty_ledger_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    Ledger.open(path, adopt_default=False).close()
    assert is_demo_database(path)
    assert run(path, employees=5)[0].events > 0


def test_a_file_that_is_no_database_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database")
    with pytest.raises(UsageError):
        run(path)
    assert path.read_text() == "not a database"


def test_a_demo_database_is_recognised_read_only(demo_db: tuple[Path, DemoResult, str]) -> None:
    path = demo_db[0]
    with sqlite3.connect(path) as conn:
        before = conn.execute("SELECT count(*) FROM events").fetchone()
    assert is_demo_database(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == before


def test_the_default_size_runs_well_under_fifteen_seconds() -> None:
    result, _ = run(Path(":memory:"), employees=48)
    assert result.elapsed < 15
