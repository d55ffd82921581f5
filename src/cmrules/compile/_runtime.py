"""Helpers that generated plan code calls; the only globals it sees besides its constants."""

from __future__ import annotations

import decimal
from decimal import Decimal
from functools import partial

from cmrules._money import ZERO
from cmrules._periods import date_in_month, period_end, period_start
from cmrules.expr._operators import INT_DIGITS, INT_LIMIT


class Unknown:
    """The value of a fact no rule has set (rules reading it do not fire)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = Unknown()


class RuleFailure(Exception):
    """Raised by generated code: rule index and the underlying problem."""

    def __init__(self, index: int, message: str):
        super().__init__(message)
        self.index, self.message = index, message


class NoRowMatched(ArithmeticError):
    """No row of a table without a default matched its arguments."""


class NegativeAmount(ArithmeticError):
    """A line of a category that takes amounts >= 0 came out negative."""


class MissingKey(ArithmeticError):
    """A free map (no declared ``keys``) read with a key its input does not have."""


class WholeNumberOverflow(ArithmeticError):
    """A whole-number result with more digits than the arithmetic keeps."""


def bounded(value: int) -> int:
    """``value``, a whole-number result, unless it has more than 34 digits (then the rule fails):
    ``((x**12)**12)**12`` fails at its second power instead of computing millions of digits."""
    if -INT_LIMIT < value < INT_LIMIT:
        return value
    raise WholeNumberOverflow(f"a whole number with more than {INT_DIGITS} digits (a number too large)")


def key_of(mapping: dict[str, object], key: str, shown: str) -> object:
    """``mapping[key]`` of a free map, or the rule fails saying which key of which map is missing."""
    try:
        return mapping[key]
    except KeyError:
        raise MissingKey(
            f"map {shown} has no key {key!r}; test '{key}' in keys({shown}) first, or declare the map's keys"
        ) from None


def decimal_or_none(value: int | None) -> Decimal | None:
    """An int branch of a conditional whose other branch is a decimal; None stays None."""
    return None if value is None else Decimal(value)


def negative(amount: Decimal) -> Decimal:
    """Fail the rule whose line amount is negative (generated code calls it as ``_neg``)."""
    raise NegativeAmount(f"the amount is negative ({amount}); this category takes amounts >= 0")


def why(exc: BaseException) -> str:
    """A rule's arithmetic failure in words (decimal traps have no message of their own)."""
    conditions = exc.args[0] if exc.args and isinstance(exc.args[0], list) else [type(exc)]
    if decimal.DivisionUndefined in conditions:
        return "0 divided by 0"
    if decimal.DivisionByZero in conditions or isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if decimal.Overflow in conditions:
        return "a number too large"
    if isinstance(exc, decimal.InvalidOperation):
        return "an invalid arithmetic operation"
    return str(exc) or type(exc).__name__


#: The quantum of each number of places ``round(x, places)`` accepts (0–8).
QUANTA = tuple(Decimal(1).scaleb(-places) for places in range(9))


def round_to(value: Decimal | int, places: int, mode: str) -> Decimal:
    """``round(value, places)`` of the expression language, in the ruleset's rounding mode."""
    return Decimal(value).quantize(QUANTA[places], mode)


def globals_for(rounder: object) -> dict[str, object]:
    """The namespace generated code runs in: a few builtins and the ``_``-named helpers."""
    return {
        "__builtins__": {
            "min": min,
            "max": max,
            "abs": abs,
            "sum": sum,
            "len": len,
            "any": any,
            "all": all,
            "enumerate": enumerate,
            "list": list,
            "ArithmeticError": ArithmeticError,
            "TypeError": TypeError,
        },
        "_Z": ZERO,
        "_Z0": ZERO.quantize(rounder.exp),  # type: ignore[attr-defined]
        "_D": Decimal,
        "_Dn": decimal_or_none,
        "_U": UNKNOWN,
        "_E": rounder.exp,  # type: ignore[attr-defined]
        "_M": rounder.mode,  # type: ignore[attr-defined]
        "_round": partial(round_to, mode=rounder.mode),  # type: ignore[attr-defined]
        "_neg": negative,
        "_I": bounded,
        "_Fail": RuleFailure,
        "_why": why,
        "_NoRow": NoRowMatched,
        "_key": key_of,
        "_period_start": period_start,
        "_period_end": period_end,
        "_date_in_month": date_in_month,
    }
