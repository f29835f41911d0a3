"""Money is a two-place Decimal, converted only from exact inputs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ledger.money import CENT, ZERO, to_money

ACCEPTED: list[tuple[Any, str]] = [
    ("8000", "8000.00"),
    ("12.5", "12.50"),
    (" 12.50 ", "12.50"),
    ("1.000", "1.00"),
    ("-3.2", "-3.20"),
    ("1E+3", "1000.00"),
    (Decimal("0.1"), "0.10"),
    (Decimal("99.99"), "99.99"),
    (0, "0.00"),
    (250, "250.00"),
]

REFUSED: list[tuple[Any, str]] = [
    ("abc", "not a decimal amount"),
    ("", "not a decimal amount"),
    ("12,50", "not a decimal amount"),
    (12.5, "not a float"),
    (float("nan"), "not a float"),
    ("NaN", "not a finite amount"),
    ("sNaN", "not a finite amount"),
    ("-Infinity", "not a finite amount"),
    (Decimal("Infinity"), "not a finite amount"),
    ("1.005", "more than two decimal places"),
    ("0.001", "more than two decimal places"),
    ("1e30", "too large"),
    (None, "got NoneType"),
    ([1], "got list"),
]


@pytest.mark.parametrize(("given", "expected"), ACCEPTED)
def test_exact_amounts_become_two_place_decimals(given: Any, expected: str) -> None:
    amount = to_money(given)
    assert str(amount) == expected
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize(("given", "reason"), REFUSED)
def test_inexact_or_non_numeric_amounts_are_refused_with_a_reason(given: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        to_money(given)


def test_a_bool_is_not_money() -> None:
    with pytest.raises(ValueError):
        to_money(True)


def test_the_constants_are_one_cent_and_zero_with_two_places() -> None:
    assert (CENT, str(ZERO)) == (Decimal("0.01"), "0.00")
