"""Exact money: ``Decimal`` CNY with two places, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, ValidationInfo

__all__ = ["CENT", "ZERO", "Money", "to_money"]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value: Any) -> Decimal:
    """Convert ``value`` to a two-place ``Decimal``.

    Accepts ``Decimal``, ``int`` and decimal strings such as ``"8000"`` or ``"12.50"``.

    Raises:
        ValueError: a float, a non-numeric string, NaN or infinity, or more than two decimal
            places.
    """
    if isinstance(value, bool | float):
        raise ValueError('money must be a decimal string such as "12.50", not a float')
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal amount") from None
    else:
        raise ValueError(f"money must be a decimal string, got {type(value).__name__}")
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and amount != amount.quantize(CENT):
        raise ValueError(f"{value!r} has more than two decimal places")
    try:
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        # More digits than the decimal context holds; pydantic only catches ValueError.
        raise ValueError(f"{value!r} is too large an amount") from None


def _money_field(value: Any, info: ValidationInfo) -> Decimal:
    # On the wire (JSON) money is a decimal string: a JSON number is a float to most
    # producers, and 6000 vs "6000.00" must not depend on the sender's serialiser.
    if info.mode == "json" and not isinstance(value, str):
        raise ValueError('money must be a decimal string such as "12.50", not a JSON number')
    return to_money(value)


Money = Annotated[
    Decimal,
    BeforeValidator(_money_field),
    PlainSerializer(lambda amount: format(amount, "f"), return_type=str, when_used="json"),
]
"""A CNY amount with exactly two decimal places; serialised as a string in JSON."""
