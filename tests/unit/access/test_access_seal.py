"""The derivation seal: the one way past the store's refusal of ledger-only types, held by
the write path alone."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest

import ledger
from ledger.errors import UsageError
from ledger.store.base import _DERIVATION_SEAL, DerivationSeal

PACKAGE = Path(ledger.__file__).resolve().parent


def test_the_seal_cannot_be_made_copied_into_another_or_pickled() -> None:
    with pytest.raises(UsageError):
        DerivationSeal()
    assert copy.copy(_DERIVATION_SEAL) is _DERIVATION_SEAL
    assert copy.deepcopy(_DERIVATION_SEAL) is _DERIVATION_SEAL
    with pytest.raises(TypeError):
        pickle.dumps(_DERIVATION_SEAL)


def test_only_the_write_path_uses_the_seal() -> None:
    users = sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if "_DERIVATION_SEAL" in path.read_text("utf-8")
    )
    assert users == ["store/base.py", "write.py"]
