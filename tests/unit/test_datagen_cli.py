"""``python bench/datagen.py --events N --employees N --out FILE`` writes the quarter."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

DATAGEN = Path(__file__).resolve().parents[2] / "bench" / "datagen.py"


def load() -> object:
    spec = importlib.util.spec_from_file_location("datagen", DATAGEN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["datagen"] = module  # dataclasses look their module up while defined
    spec.loader.exec_module(module)
    return module


def test_the_command_line_writes_exactly_the_events_asked(tmp_path: Path) -> None:
    out = tmp_path / "q.jsonl"
    assert load().main(["--events", "300", "--employees", "7", "--out", str(out)]) == 0  # type: ignore[attr-defined]
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 300
    assert {json.loads(line)["employee_id"] for line in lines[:7]} == {
        json.loads(line)["employee_id"] for line in lines
    }


def test_fewer_events_than_employees_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        load().main(["--events", "3", "--employees", "7", "--out", str(tmp_path / "q")])  # type: ignore[attr-defined]
    assert exit_.value.code == 2


def test_a_history_is_employed_throughout_and_splits_at_the_quarter(tmp_path: Path) -> None:
    from datetime import datetime, timedelta

    from ledger import COMPANY_TZ, Ledger

    datagen: object = load()
    out = tmp_path / "h.jsonl"
    code = datagen.main(  # type: ignore[attr-defined]
        ["--events", "1500", "--employees", "30", "--history", "2", "--out", str(out)]
    )
    assert code == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 1500
    hired = {
        r["employee_id"]: r["occurred_at"][:10] for r in lines if r["type"] == "employee.hired"
    }
    first = datagen.history_start(2).isoformat()  # type: ignore[attr-defined]
    assert first == "2026-01-01"
    assert len(hired) == 30 and all(day < first for day in hired.values())
    dated = [r["occurred_at"][:10] for r in lines if r["type"] != "employee.hired"]
    assert min(dated) >= first and max(dated) <= "2026-09-30"
    assert min(dated) < "2026-04-01"  # the history's first quarter holds events too

    before, quarter = datagen.split_history(out, tmp_path)  # type: ignore[attr-defined]
    early = [json.loads(line) for line in before.read_text(encoding="utf-8").splitlines()]
    late = [json.loads(line) for line in quarter.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["event_id"] for r in early + late) == sorted(r["event_id"] for r in lines)
    assert all(r["type"] == "employee.hired" or r["occurred_at"] < "2026-07" for r in early)
    assert late and all(r["occurred_at"][:10] >= "2026-07-01" for r in late)

    # what the warm feed does: the history at once, then the quarter, nothing refused
    now = datetime(2026, 7, 1, 6, tzinfo=COMPANY_TZ)
    with Ledger.open(tmp_path / "l.db", clock=lambda: now) as ledger:
        assert ledger.import_file(before).appended == len(early)
        now += timedelta(days=92)
        assert ledger.import_file(quarter).appended == len(late)
