"""Decimal context, rounding and formatting of money."""

from __future__ import annotations

import decimal
from decimal import Decimal

ROUNDING_MODES: dict[str, str] = {
    "ROUND_HALF_UP": decimal.ROUND_HALF_UP,
    "ROUND_HALF_EVEN": decimal.ROUND_HALF_EVEN,
    "ROUND_HALF_DOWN": decimal.ROUND_HALF_DOWN,
    "ROUND_UP": decimal.ROUND_UP,
    "ROUND_DOWN": decimal.ROUND_DOWN,
    "ROUND_CEILING": decimal.ROUND_CEILING,
    "ROUND_FLOOR": decimal.ROUND_FLOOR,
}

#: The one arithmetic context of every evaluation: 34 significant digits and
#: traps on every condition that would otherwise yield a silently wrong number.
CONTEXT = decimal.Context(
    prec=34,
    rounding=decimal.ROUND_HALF_EVEN,
    Emin=-999_999,
    Emax=999_999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

ZERO = Decimal(0)


class Rounder:
    """Rounds to the ruleset's places with its declared mode."""

    __slots__ = ("exp", "mode", "places")

    def __init__(self, places: int, mode: str) -> None:
        self.places = places
        self.mode = ROUNDING_MODES[mode]
        self.exp = Decimal(1).scaleb(-places)

    def __call__(self, value: Decimal | int) -> Decimal:
        result = Decimal(value).quantize(self.exp, rounding=self.mode)
        return result if result else result.copy_abs()  # never "-0.00"


def format_amount(value: Decimal, places: int | None = None) -> str:
    """``12345.6`` → ``12,345.60`` (with ``places``) for explanations and renderers."""
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP)
    return f"{value:,}"
