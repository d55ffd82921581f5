"""How input values reach durable-rules: exact 64-bit integers, booleans and string codes.

The engine compares numbers as C ``long long`` or doubles and refuses ``Decimal``.
A field compared with constants of at most ``s`` decimal places is sent as
``2·⌊v·10^s⌋``, plus 1 when ``v·10^s`` is not whole, and a constant ``c`` as
``2·c·10^s``: an inexact value lies strictly between two even numbers, so ``<``,
``==`` … of the encodings agree with the Decimal comparisons.  Values beyond
±10^18 are clamped beyond every constant.  A string is sent as the index of the
constant it equals (-1 for none): only equality is asked of strings, and no text
reaches the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["decimal_places", "encode_bool", "encode_constant", "encode_number", "encode_text"]

_LIMIT = 10**18  # |v·10^s| from here on is clamped; every constant stays below it
_CLAMP = 2**62  # beyond every encoded constant, within the engine's signed 64 bits


def decimal_places(value: int | Decimal) -> int:
    """The number of decimal places ``value`` is written with (0 for an int)."""
    exponent = value.as_tuple().exponent if isinstance(value, Decimal) else 0
    return max(0, -exponent) if isinstance(exponent, int) else 0


def encode_number(value: int | Decimal, scale: int) -> int:
    """``2·⌊value·10^scale⌋ + (1 if not whole)``, clamped to ±2^62 from ``|value·10^scale| >= 10^18``.

    Against a constant encoded by :func:`encode_constant` with the same scale,
    every comparison of the encodings gives the comparison of the numbers.
    """
    if not value:
        return 0
    if type(value) is int:
        whole: int = value * 10**scale
        if -_LIMIT < whole < _LIMIT:
            return 2 * whole
        return _CLAMP if value > 0 else -_CLAMP
    if not isinstance(value, Decimal) or not value.is_finite():
        raise TypeError(f"expected a finite number, got {value!r}")
    magnitude = value.adjusted() + scale  # value·10^scale has magnitude+1 digits before the point
    if magnitude >= 18:
        return _CLAMP if value > 0 else -_CLAMP
    if magnitude < -1:  # 0 < |value·10^scale| < 0.1: between -1 and 0, or 0 and 1
        return -1 if value < 0 else 1
    numerator, denominator = value.as_integer_ratio()
    whole, rest = divmod(numerator * 10**scale, denominator)  # floor division, also below zero
    encoded: int = 2 * whole + (1 if rest else 0)
    return encoded


def encode_constant(value: int | Decimal, scale: int) -> int | None:
    """``2·value·10^scale``, or None when it is not whole or not below 10^18 in size."""
    numerator, denominator = value.as_integer_ratio()
    whole, rest = divmod(numerator * 10**scale, denominator)
    if rest or not -_LIMIT < whole < _LIMIT:
        return None
    encoded: int = 2 * whole
    return encoded


def encode_bool(value: Any) -> bool:
    """A bool input as it is (anything else is refused with ``TypeError``)."""
    if type(value) is not bool:
        raise TypeError(f"expected true/false, got {value!r}")
    return value


def encode_text(codes: Mapping[str, int], value: Any) -> int:
    """The code of the string constant ``value`` equals, or -1 for none."""
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {value!r}")
    return codes.get(value, -1)
