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
