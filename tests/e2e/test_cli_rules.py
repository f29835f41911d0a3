"""`ledger rules` lists every rule of RULEBOOK.md with its clause and parameters in force."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RULES = (
    "ATT-01", "ATT-02", "SVC-01", "SVC-02", "SVC-03", "SVC-04", "SVC-05", "SVC-06",
    "CND-01", "CND-02", "OBD-01", "OBD-02", "OBD-03", "OBD-04", "REC-01", "REC-02",
    "REC-03", "REC-04", "REC-05", "TRN-01", "ESC-01", "ESC-02", "ESC-03", "PAY-01",
)  # fmt: skip


def test_every_rule_is_listed_with_its_clause_and_parameters(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    run = [sys.executable, "-m", "ledger", "--db", str(db)]
    subprocess.run([*run, "init"], check=True, capture_output=True)
    result = subprocess.run([*run, "rules", "--format", "json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    rows = {r["rule_id"]: r for r in json.loads(result.stdout)}
    assert set(RULES) <= set(rows)
    for rule_id in RULES:
        row = rows[rule_id]
        assert row["clause"] and row["seed"].endswith(".txt"), rule_id
        assert row["outcomes"] or rule_id in ("REC-05", "TRN-01"), rule_id
    assert rows["ATT-01"]["parameters"]["attendance"]["grace_minutes"] == 5
    assert rows["PAY-01"]["parameters"]["jurisdiction"]["minimum_wage"] == "2690.00"
    assert rows["ESC-01"]["parameters"]["escalation"]["warnings_to_demerit"] == 2
