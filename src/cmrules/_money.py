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
    """The ruleset's rounding: places, mode and the quantum ``exp`` (0.01 for 2 places)."""

    __slots__ = ("exp", "mode", "places")

    def __init__(self, places: int, mode: str) -> None:
        self.places = places
        self.mode = ROUNDING_MODES[mode]
        self.exp = Decimal(1).scaleb(-places)
