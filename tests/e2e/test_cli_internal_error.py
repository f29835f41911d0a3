"""An unexpected exception reaches the user as one message and exit code 3, no traceback."""

from __future__ import annotations

import pytest

from ledger.cli import EXIT_INTERNAL, main, store_cmds


def _explode(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom")


def test_an_internal_error_exits_3_with_a_message_and_no_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LEDGER_DEBUG", raising=False)
    monkeypatch.setattr(store_cmds, "wire_schema", _explode)
    with pytest.raises(SystemExit) as caught:
        main(["schema"])
    assert caught.value.code == EXIT_INTERNAL == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err and "LEDGER_DEBUG=1" in err
    assert "Traceback" not in err


def test_ledger_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_DEBUG", "1")
    monkeypatch.setattr(store_cmds, "wire_schema", _explode)
    with pytest.raises(RuntimeError, match="boom"):
        main(["schema"])


def _interrupt(*args: object, **kwargs: object) -> None:
    raise KeyboardInterrupt


def test_a_ctrl_c_exits_130_with_a_message_and_no_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not click's "Aborted!" with exit 1, which is the code of a failed verification."""
    monkeypatch.setattr(store_cmds, "wire_schema", _interrupt)
    with pytest.raises(SystemExit) as caught:
        main(["schema"])
    assert caught.value.code == 130
    err = capsys.readouterr().err
    assert "interrupted; nothing half-written" in err
    assert "Aborted" not in err and "Traceback" not in err
