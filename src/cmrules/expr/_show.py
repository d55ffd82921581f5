"""How explanations write values: money with separators and its places, rates as percentages,
negatives in parentheses; the fast paths a writer takes from a Decimal's ``str``."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from cmrules._money import CONTEXT
from cmrules.expr._types import MONEY, T

__all__ = ["TEXT_CONTEXT", "amount_text", "money_of_text", "money_text", "show", "show_money", "show_rate"]

#: The context texts compute in, whatever the caller's: a copy of the one evaluation context, so
#: that showing a value needs no context switch (formatting and comparing need none at all).
TEXT_CONTEXT = CONTEXT.copy()


def show_rate(rate: Decimal) -> str:
    """A rate as a percentage (0.035 as ``3.5%``)."""
    return f"{TEXT_CONTEXT.normalize(TEXT_CONTEXT.multiply(rate, 100)):f}%"


#: The quantum of money at each number of places (0.01 for 2).
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(16)}


def _number_text(value: int | Decimal) -> str:
    if not value:  # 0.00, never -0.00
        return "0" if isinstance(value, int) else f"{value.copy_abs():f}"
    text = f"{value:,}" if value.__class__ is int else f"{value:,f}"
    return f"({text.replace('-', '−')})" if value < 0 else text


def _quantum(places: int) -> Decimal:
    return _QUANTA[places] if places in _QUANTA else Decimal(1).scaleb(-places, TEXT_CONTEXT)


_quantize = TEXT_CONTEXT.quantize  # (a context's method: no keyword parsing, several times cheaper)


# No cache of texts: hashing a Decimal that is not a whole number costs more than formatting it.
def show_money(value: Decimal, places: int) -> str:
    """Money as explanations show it: cents, separators, a negative in parentheses; never a digit hidden."""
    exact = _quantize(value, _QUANTA[places] if places in _QUANTA else _quantum(places))
    if exact != value:  # more places than money has: shown as is
        return _number_text(value)
    return f"{exact:,f}" if exact > 0 else _number_text(exact)


# The fast path of money_text: ``str`` of a Decimal with exactly ``places`` decimals
# (1 to 6) is plain digits with the point ``places + 1`` from its end and no exponent ("5.110E+5"
# is not), which ``f"{x:,f}"`` shows with its commas; ``str`` is several times cheaper than
# ``quantize``, comparing and formatting.
def money_text(places: int) -> Callable[[Any], str]:
    """``show(value, MONEY, places)`` for a value of money's type (a Decimal, or None where the type
    says it may be)."""
    of_text = money_of_text(places)

    def shown(value: Any) -> str:
        if value.__class__ is Decimal:
            return of_text(str(value))
        return show(value, MONEY, places)

    return shown


def money_of_text(places: int) -> Callable[[str], str]:
    """:func:`money_text` of the Decimal whose ``str`` is ``text`` (what a writer that already
    holds the text shows, without making it again)."""
    dot = -places - 1 if 0 < places <= 6 else 0  # 0: no fast path ("" is never ".")
    zeros = "0" * places

    def shown(given: str) -> str:
        digits = len(given) + dot  # where money's point is, when it has its places
        if dot and digits > 0 and given[digits] == "." and given[0] != "-" and "E" not in given:
            if digits <= 3:  # the common case first, in as few steps as it takes
                return given
            if digits <= 6:
                return f"{given[: digits - 3]},{given[digits - 3 :]}"
        text = given
        if dot and text[dot : dot + 1] != "." and "E" not in text:
            # other places than money's ("0", "600.0000", "12.5"): money's places when that
            # only adds or drops zeros (what quantizing would give, equal to the value)
            point = text.find(".")
            if point < 0:
                text = f"{text}.{zeros}"
            else:
                extra = len(text) - point - 1 - places
                if extra < 0:
                    text += zeros[extra:]
                elif text.endswith("0" * extra):
                    text = text[:-extra]
        if text[dot : dot + 1] == "." and text[0] != "-" and "E" not in text:  # >= 0, money's places
            digits = len(text) + dot
            if digits <= 3:
                return text
            if digits <= 6:
                return f"{text[: digits - 3]},{text[digits - 3 :]}"
        return show_money(Decimal(given), places)  # the same Decimal: str and Decimal round-trip

    return shown


def amount_text(places: int, magnitude: bool) -> Callable[[Decimal], str]:
    """How a line shows its amount: :func:`money_text` of the amount, or of its magnitude when
    ``magnitude`` (deductions, fines and forfeitures, whose amounts are negative)."""
    money = money_text(places)
    if not magnitude:
        return money
    return lambda amount: money(amount.copy_abs())


def show(value: Any, typ: T | None, places: int) -> str:
    """A value as an explanation shows it: money with separators, negatives in parentheses."""
    cls = value.__class__
    if cls is Decimal:
        if typ is not None and typ.kind == "money":
            return show_money(value, places)
        return _number_text(value)
    if cls is bool or value is None:
        return str(value).lower() if value is not None else "none"
    if isinstance(value, (int, Decimal)):
        if typ is not None and typ.kind == "money" and isinstance(value, Decimal):
            return show_money(value, places)
        return _number_text(value)
    return str(value)
