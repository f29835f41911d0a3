"""End-to-end: bad input, foreign files and retries, as a new user meets them (issue 13).

Every refusal exits 2 naming file, line and field, shows no traceback and leaves the row
count unchanged; every accepted input leaves a ledger that `tick` and `verify` accept.
Most cases run the command in this process (``main``); the first runs the installed
command as a user would.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli_log import line

from ledger.cli import main


def run(db: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``ledger --db DB ARGS...`` in this process: ``(exit code, stdout, stderr)``."""
    code = 0
    try:
        main(["--db", str(db), *args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


def hiring(**data: object) -> dict[str, object]:
    """The fields of an ``employee.hired`` line, with ``data`` changed."""
    fields = {"department": "a", "role": "b", "hired_on": "2026-07-01", "monthly_wage": "6000"}
    return {"type": "employee.hired", "data": {**fields, **data}}


HIRE = line(
    type="employee.hired",
    occurred_at="2026-07-01T09:00:00+08:00",
    recorded_by="hr",
    data={
        "department": "Front",
        "role": "clerk",
        "hired_on": "2026-07-01",
        "monthly_wage": "6000.00",
    },
)


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "ledger.db"
    assert run(path, "init", capsys=capsys)[0] == 0
    return path


def refused(db: Path, source: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    before = rows(db)
    code, out, err = run(db, "import", str(source), *extra, capsys=capsys)
    assert code == 2, (out, err)
    assert "Traceback" not in err and "internal error" not in err
    assert rows(db) == before
    return err


def accepted(db: Path, source: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code, out, err = run(db, "import", str(source), *extra, capsys=capsys)
    assert code == 0, err
    assert run(db, "tick", "--now", "2026-10-01T00:00:00+08:00", capsys=capsys)[0] == 0
    assert run(db, "verify", capsys=capsys)[0] == 0
    return out + err


def test_the_installed_command_refuses_a_year_one_event_with_exit_2_and_no_traceback(
    tmp_path: Path,
) -> None:
    db = tmp_path / "ledger.db"
    command = [sys.executable, "-m", "ledger", "--db", str(db)]
    subprocess.run([*command, "init"], check=True, capture_output=True)
    source = tmp_path / "old.jsonl"
    source.write_text(line(occurred_at="0001-01-01T00:00:00+08:00") + "\n", encoding="utf-8")
    result = subprocess.run([*command, "import", str(source)], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{source}:1: occurred_at: 0001-01-01T00:00:00+08:00 is out of" in result.stderr


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"occurred_at": "0001-01-01T00:00:00+08:00"}, "occurred_at"),
        ({"occurred_at": "9999-12-31T23:00:00-08:00"}, "occurred_at"),
        ({"occurred_at": "1969-12-31T23:59:00+08:00"}, "occurred_at"),
        ({"occurred_at": 1780000000}, "occurred_at"),
        ({"occurred_at": "2026-07-03T09:12:00"}, "occurred_at"),
        ({"type": ["attendance.late_arrival"]}, "type"),
        ({"type": {"name": "x"}}, "type"),
        ({"data": {"minutes": True}}, "data.minutes"),
        ({"data": {"minutes": "12"}}, "data.minutes"),
        ({"data": {"minutes": 12.5}}, "data.minutes"),
        ({"schema_version": True}, "schema_version"),
        ({"evidence": ["x"] * 21}, "evidence"),
        ({"evidence": ["x" * 501]}, "evidence.0"),
        ({"recorded_by": "x" * 201}, "recorded_by"),
        (
            hiring(hired_on="9999-12-31", monthly_wage="6000"),
            "data.hired_on",
        ),
        (
            hiring(hired_on="0001-01-01", monthly_wage="6000"),
            "data.hired_on",
        ),
        (
            hiring(hired_on="2026-07-01", monthly_wage=6000),
            "data.monthly_wage",
        ),
        (
            {
                "type": "task.assigned",
                "data": {"task_id": "T1", "due_at": "2200-01-01T00:00:00+08:00"},
            },
            "data.due_at",
        ),
        ({"type": "recognition.suggestion_adopted", "data": {"tier": True}}, "data.tier"),
    ],
)
def test_each_bad_value_is_refused_naming_file_line_and_field(
    db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    changes: dict[str, object],
    field: str,
) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text(line() + "\n" + line(**changes) + "\n", encoding="utf-8")
    err = refused(db, source, capsys)
    assert f"{source}:2: {field}:" in err


def test_a_file_with_bad_lines_2_4_and_6_names_all_three(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [line(occurred_at=f"2026-07-0{n}T09:12:00+08:00") for n in range(1, 8)]
    lines[1] = line(data={"minutes": True})
    lines[3] = "{not json"
    lines[5] = line(type="attendance.teleported")
    source = tmp_path / "three.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    err = refused(db, source, capsys)
    assert f"{source}:2: data.minutes:" in err
    assert f"{source}:4: not valid JSON" in err
    assert f"{source}:6: type: unknown event type 'attendance.teleported'" in err
    assert "3 of 7 lines rejected; nothing was written" in err


def test_more_than_a_hundred_bad_lines_are_named_up_to_a_hundred_then_counted(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "many.jsonl"
    source.write_text("\n".join(["{}"] * 130) + "\n", encoding="utf-8")
    err = refused(db, source, capsys)
    assert f"{source}:100:" in err and f"{source}:101:" not in err
    assert "... and 30 more bad lines" in err and "130 of 130 lines rejected" in err


def test_an_id_repeated_in_the_file_names_both_lines_and_a_stored_one_its_position(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    same = "00000000-0000-4000-8000-0000000000aa"
    first = tmp_path / "first.jsonl"
    first.write_text(line(event_id=same) + "\n", encoding="utf-8")
    assert run(db, "import", str(first), capsys=capsys)[0] == 0
    position = rows(db)
    other = "00000000-0000-4000-8000-0000000000bb"
    second = tmp_path / "second.jsonl"
    second.write_text(
        "\n".join(
            [
                line(event_id=other),
                line(),
                line(event_id=same, data={"minutes": 13}),
                line(event_id=other, data={"minutes": 14}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    err = refused(db, second, capsys)
    assert f"{second}:3: event_id: {same} is already stored at position {position}" in err
    assert f"{second}:4: event_id: {other} is also on line 1 with different content" in err


def test_a_gbk_csv_from_excel_imports_with_its_chinese_text(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "badge.csv"
    text = (
        "type,employee_id,occurred_at,recorded_by,data.minutes\n"
        "attendance.late_arrival,E1,2026-07-01T09:10:00+08:00,门禁系统:北门,12\n"
        "attendance.late_arrival,E1,2026-07-02T09:10:00+08:00,门禁系统:南门,5\n"
    )
    source.write_bytes(text.encode("gbk"))
    said = accepted(db, source, capsys)
    assert "read as gb18030 (detected" in said and "appended 2" in said
    with sqlite3.connect(db) as conn:
        actors = {r[0] for r in conn.execute("SELECT recorded_by FROM events")}
    assert {"门禁系统:北门", "门禁系统:南门"} <= actors


def test_gbk_text_that_also_reads_cleanly_as_korean_is_taken_as_gb18030(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # These GBK bytes decode as cp949 (Korean) without any noise, to nonsense; a file from
    # a mainland Chinese system is read as GB18030 when that is about as plausible.
    source = tmp_path / "hr.jsonl"
    texts = ("对顾客态度冷淡，说话不礼貌", "拾金不昧，归还顾客钱包")
    violation = json.loads(line(type="conduct.violation", recorded_by="hr:H01"))
    violation["data"] = {"kind": "discourtesy", "description": texts[0]}
    deed = json.loads(line(type="recognition.good_deed", recorded_by="hr:H01"))
    deed["data"] = {"description": texts[1]}
    lines = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in (violation, deed))
    source.write_bytes(lines.encode("gbk"))
    said = accepted(db, source, capsys)
    assert "read as gb18030 (detected" in said and "appended 2" in said
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT json_extract(data, '$.description') FROM events")
        assert set(texts) <= {r[0] for r in stored}


def test_a_utf16_file_with_its_bom_imports(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "unicode.jsonl"
    source.write_bytes((line(recorded_by="考勤机") + "\r\n").encode("utf-16"))
    said = accepted(db, source, capsys)
    assert "appended 1" in said and "detected" not in said


def test_an_encoding_can_be_named_and_an_unknown_one_is_refused(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "big5.jsonl"
    source.write_bytes((line(recorded_by="考勤機") + "\n").encode("big5"))
    assert "appended 1" in accepted(db, source, capsys, "--encoding", "big5")
    err = refused(db, source, capsys, "--encoding", "klingon")
    assert "--encoding: unknown encoding 'klingon'" in err


def test_bytes_that_no_encoding_explains_name_the_offset_and_suggest_an_encoding(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "noise.jsonl"
    source.write_bytes(line().encode() + b"\n" + b"\xff" * 30 + b"\n")
    err = refused(db, source, capsys)
    offset = len(line().encode()) + 1
    assert f"{source}:2: not valid UTF-8 at byte offset {offset}" in err
    assert "--encoding gb18030" in err
    named = refused(db, source, capsys, "--encoding", "utf-8")
    assert f"{source}:2: not valid utf-8 at byte offset {offset}" in named


def test_id_less_lines_imported_twice_are_stored_once(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "retry.jsonl"
    lines = [HIRE] + [
        line(
            type="service.complaint_received",
            occurred_at=f"2026-08-0{n}T10:00:00+08:00",
            data={"complaint_id": f"C{n}", "channel": "phone"},
        )
        for n in range(1, 4)
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "appended 4, already present 0" in accepted(db, source, capsys)
    before = rows(db)
    code, out, _ = run(db, "import", str(source), capsys=capsys)
    assert code == 0 and "appended 0, already present 4" in out
    assert rows(db) == before


def test_identical_id_less_lines_in_one_file_are_one_event(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "flood.jsonl"
    source.write_text((line() + "\n") * 1000, encoding="utf-8")
    said = accepted(db, source, capsys)
    assert "appended 1, already present 999" in said


def test_a_failed_init_leaves_nothing_and_init_does_not_change_dates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "new.db"
    code, _, err = run(path, "init", "--effective-from", "2026-13-01", capsys=capsys)
    assert code == 2 and "--effective-from '2026-13-01'" in err
    assert list(tmp_path.iterdir()) == []
    assert run(path, "init", "--effective-from", "2026-01-01", capsys=capsys)[0] == 0
    assert run(path, "init", capsys=capsys)[0] == 0
    assert run(path, "init", "--effective-from", "2026-01-01", capsys=capsys)[0] == 0
    code, _, err = run(path, "init", "--effective-from", "2026-02-01", capsys=capsys)
    assert code == 2 and "rulebook --adopt" in err


def test_every_command_refuses_a_ledger_without_a_rulebook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ledger import Ledger

    path = tmp_path / "bare.db"
    Ledger.open(path, adopt_default=False).close()
    source = tmp_path / "one.jsonl"
    source.write_text(line() + "\n", encoding="utf-8")
    for args in (["import", str(source)], ["tick"], ["verify"], ["sanctions"]):
        code, _, err = run(path, *args, capsys=capsys)
        assert code == 2 and "no rulebook is adopted" in err, args
    assert rows(path) == 0


def test_an_unknown_employee_derives_nothing_until_hired_then_counts_from_hired_on(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "ghost.jsonl"
    absences = [
        line(
            type="attendance.absence",
            employee_id="GHOST",
            occurred_at=f"2026-07-0{d}T09:00:00+08:00",
            data={"days": 1},
        )
        for d in range(1, 8)
    ]
    source.write_text("\n".join(absences) + "\n", encoding="utf-8")
    said = accepted(db, source, capsys)
    assert "warning:" in said and "GHOST is not hired in the ledger (7 lines: 1, 2, 3" in said
    assert "no consequences" in run(db, "sanctions", capsys=capsys)[1]
    assert "no payroll rows" in run(db, "payroll", capsys=capsys)[1]
    code, _, err = run(db, "verify", capsys=capsys)
    assert code == 0 and "GHOST" in err
    assert "not_hired" in run(db, "findings", capsys=capsys)[1]
    # No scorecard with department "?" either (the listings show hired employees only).
    listing = ["scorecards", "--period", "2026Q3", "--format", "json"]
    assert "GHOST" not in run(db, *listing, capsys=capsys)[1]
    assert (
        "GHOST" not in run(db, *listing, "--as-of", "2026-09-01T00:00:00+08:00", capsys=capsys)[1]
    )
    hire = tmp_path / "hire.jsonl"
    hire.write_text(
        line(
            type="employee.hired",
            employee_id="GHOST",
            occurred_at="2026-07-10T09:00:00+08:00",
            data={
                "department": "Front",
                "role": "clerk",
                "hired_on": "2026-07-06",
                "monthly_wage": "6000.00",
            },
        )
        + "\n",
        encoding="utf-8",
    )
    accepted(db, hire, capsys)
    code, out, _ = run(db, "sanctions", "--format", "json", capsys=capsys)
    issued = json.loads(out)
    assert issued and all(s["issued_at"] >= "2026-07-06" for s in issued)
    (card,) = [
        c
        for c in json.loads(run(db, *listing, capsys=capsys)[1])["scorecards"]
        if c["employee_id"] == "GHOST"
    ]
    assert card["department"] == "Front"
    assert "before_hire" in run(db, "findings", "--employee", "GHOST", capsys=capsys)[1]


def test_an_internal_error_writes_its_traceback_to_a_log_file(
    db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ledger.cli import store_cmds

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.delenv("LEDGER_DEBUG", raising=False)
    monkeypatch.setenv("LEDGER_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(store_cmds, "wire_schema", explode)
    code, _, err = run(db, "schema", capsys=capsys)
    assert code == 3 and "Traceback" not in err and "please report it" in err
    assert len(err.strip().splitlines()) == 1
    (log,) = (tmp_path / "logs").iterdir()
    assert str(log) in err and "RuntimeError: boom" in log.read_text()
    with pytest.raises(RuntimeError, match="boom"):
        main(["--debug", "schema"])


def test_json_cut_short_is_placed_by_column_not_by_a_line_of_its_own(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The record's trailing newline made the parser say "line 2 column 1" inside file line 2.
    source = tmp_path / "cut.jsonl"
    source.write_text(line() + "\n" + '{"type": "attendance.late_arrival",\n', encoding="utf-8")
    err = refused(db, source, capsys)
    assert f"{source}:2: not valid JSON: unexpected end of data at column 37" in err
    assert "line 2 column" not in err


def test_a_file_that_cannot_be_read_is_named_without_a_line(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.jsonl"
    err = refused(db, missing, capsys)
    assert f"{missing}: cannot read: No such file or directory" in err
    assert f"{missing}:0:" not in err


def test_replay_names_the_rulebook_file_it_cannot_use(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "proposal.toml"
    bad.write_text("this is = = not toml\n", encoding="utf-8")
    code, _, err = run(db, "replay", "--period", "2026Q3", "--rulebook", str(bad), capsys=capsys)
    assert code == 2 and f"{bad}:" in err and "<rulebook>" not in err
    binary = tmp_path / "proposal.bin"
    binary.write_bytes(b"\xff\xfe\x00binary")
    code, _, err = run(db, "replay", "--period", "2026Q3", "--rulebook", str(binary), capsys=capsys)
    assert code == 2 and f"{binary}: not UTF-8 text" in err and "Traceback" not in err
