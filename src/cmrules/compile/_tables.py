"""Decision tables and tiers: parsing cells, overlap checks, generated lookups."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from cmrules.expr._symbols import Consts
from cmrules.inputs._values import checked

_CMP = re.compile(r"^\s*(<=|>=|<|>|=)\s*(\S+)\s*$")
_RANGE = re.compile(r"^\s*([\[(])\s*(\S+?)\s*\.\.\s*(\S+?)\s*([\])])\s*$")


class CellError(ValueError):
    """A table cell or output that cannot be read as its column's type."""


@dataclass(frozen=True)
class Interval:
    """A range of numbers; a missing bound is unbounded, ``*_inc`` says whether a bound is included."""

    lo: Decimal | None
    lo_inc: bool
    hi: Decimal | None
    hi_inc: bool

    def code(self, var: str, consts: Consts) -> str:
        """The generated condition that ``var`` lies in the interval."""
        parts = []
        if self.lo is not None:
            parts.append(f"{var} {'>=' if self.lo_inc else '>'} {_num(self.lo, consts)}")
        if self.hi is not None:
            parts.append(f"{var} {'<=' if self.hi_inc else '<'} {_num(self.hi, consts)}")
        return " and ".join(parts) or "True"

    def as_ints(self) -> tuple[float, float]:
        """The least and greatest integers in the interval (infinite when unbounded)."""
        lo = (
            -math.inf if self.lo is None else (math.ceil(self.lo) if self.lo_inc else math.floor(self.lo) + 1)
        )
        hi = math.inf if self.hi is None else (math.floor(self.hi) if self.hi_inc else math.ceil(self.hi) - 1)
        return lo, hi


def _num(value: Decimal, consts: Consts) -> str:
    return repr(int(value)) if value == value.to_integral_value() else consts.name(value)


@dataclass(frozen=True)
class Cell:
    """One parsed cell: ``any``, an interval (numbers) or a set of allowed values."""

    any: bool = False
    interval: Interval | None = None
    choices: tuple[Any, ...] = ()

    def code(self, var: str, consts: Consts) -> str:
        """The generated condition that ``var`` matches the cell."""
        if self.any:
            return "True"
        if self.interval is not None:
            return self.interval.code(var, consts)
        names = [repr(c) if isinstance(c, (bool, int)) else consts.name(c) for c in self.choices]
        if len(names) == 1:
            return f"{var} == {names[0]}"
        return f"{var} in ({', '.join(names)},)"


def _decimal(text: Any) -> Decimal:
    if isinstance(text, bool):
        raise CellError(f"{text!r} is not a number")
    try:
        value = Decimal(str(text).replace(",", "").replace("_", ""))
    except InvalidOperation:
        raise CellError(f"{text!r} is not a number") from None
    # NaN cannot be compared; a huge exponent would become a huge int in generated code
    try:
        return checked(value, text)
    except ValueError as exc:
        raise CellError(str(exc)) from None


def parse_cell(raw: Any, kind: str) -> Cell:
    """Parse one cell for a column of scalar type ``kind``."""
    if raw is None or raw == "-":
        return Cell(any=True)
    numeric = kind in ("int", "decimal", "money", "rate")
    if isinstance(raw, list):
        if not raw:
            raise CellError("an empty list matches nothing")
        return Cell(choices=tuple(_choice(v, kind) for v in raw))
    if numeric and isinstance(raw, str):
        match = _CMP.match(raw)
        if match:
            op, value = match.group(1), _decimal(match.group(2))
            if op == "=":
                return Cell(interval=Interval(value, True, value, True))
            low = op.startswith(">")
            inc = op.endswith("=")
            return Cell(
                interval=Interval(value, inc, None, False) if low else Interval(None, False, value, inc)
            )
        match = _RANGE.match(raw)
        if match:
            lo, hi = _decimal(match.group(2)), _decimal(match.group(3))
            if lo > hi:
                raise CellError(f"range {raw!r} is empty")
            return Cell(interval=Interval(lo, match.group(1) == "[", hi, match.group(4) == "]"))
        raise CellError(
            f"{raw!r}: expected a number, '-', a comparison like '>= 90' or a range like '[2..3]'"
        )
    if numeric:  # a literal number cell is the one-point interval (an int column gives int choices)
        point = _decimal(raw)
        return Cell(interval=Interval(point, True, point, True))
    return Cell(choices=(_choice(raw, kind),))


def _choice(raw: Any, kind: str) -> Any:
    if kind in ("int", "decimal", "money", "rate"):
        value = _decimal(raw)
        return int(value) if kind == "int" and value == value.to_integral_value() else value
    if kind == "bool":
        if not isinstance(raw, bool):
            raise CellError(f"{raw!r} is not true/false")
        return raw
    if kind == "str":
        if not isinstance(raw, str):
            raise CellError(f"{raw!r} is not text")
        if _CMP.match(raw) or _RANGE.match(raw):  # would silently be the literal text
            raise CellError(
                f"{raw!r}: comparisons and ranges are for number columns; a str column matches "
                "whole texts (a text, a list of texts, or '-')"
            )
        return raw
    raise CellError(f"columns of type {kind} are not supported")


def cells_overlap(a: Cell, b: Cell, kind: str) -> Any | None:
    """A value both cells accept, or None when they are disjoint."""
    if a.any and b.any:
        return "any"
    if a.any or b.any:
        other = b if a.any else a
        if other.interval is not None:
            iv = other.interval
            return iv.lo if iv.lo is not None else iv.hi
        return other.choices[0]
    if a.interval is not None and b.interval is not None:
        if kind == "int":
            lo = max(a.interval.as_ints()[0], b.interval.as_ints()[0])
            hi = min(a.interval.as_ints()[1], b.interval.as_ints()[1])
            return int(lo) if lo <= hi and lo not in (math.inf, -math.inf) else (0 if lo <= hi else None)
        return _real_overlap(a.interval, b.interval)
    common = [c for c in a.choices if c in b.choices]
    return common[0] if common else None


def _real_overlap(a: Interval, b: Interval) -> Decimal | None:
    los = [(i.lo, i.lo_inc) for i in (a, b) if i.lo is not None]
    his = [(i.hi, i.hi_inc) for i in (a, b) if i.hi is not None]
    lo = max(los, key=lambda p: (p[0], not p[1])) if los else None
    hi = min(his, key=lambda p: (p[0], p[1])) if his else None
    if lo is None or hi is None:
        return (lo or hi or (Decimal(0), True))[0]
    if lo[0] < hi[0] or (lo[0] == hi[0] and lo[1] and hi[1]):
        return lo[0] if lo[1] else (lo[0] + hi[0]) / 2
    return None


#: One slice of a tier's result: (what the bracket pays, upper, lower) for a rate or an amount per
#: unit, paid on ``upper − lower``; (amount, bracket start, None) for a fixed amount.
Piece = tuple[Decimal, Decimal, Decimal | None]


class TierFn:
    """A scale over a quantity: ``marginal`` pays each slice at its bracket's rate (or amount per
    unit), and every fixed amount of a bracket reached; ``retroactive`` pays the whole quantity at
    the rate (or amount per unit) of the highest bracket reached, or that bracket's fixed amount.

    ``kind`` is what every bracket pays: ``rate``, ``amount_per_unit`` or ``amount``.
    """

    def __init__(self, mode: str, brackets: list[tuple[Decimal, Decimal]], kind: str = "rate"):
        self.mode = mode
        self.brackets = brackets
        self.kind = kind

    def reached(self, x: Decimal) -> list[tuple[Decimal, Decimal]]:
        """The brackets whose start ``x`` has reached (``x >= from``), lowest first."""
        return [(start, value) for start, value in self.brackets if x >= start]

    def pieces(self, x: Decimal) -> list[Piece]:
        """The slices that make up the result, zero slices left out."""
        if self.kind == "amount":
            got = self.reached(x)
            if self.mode == "retroactive":
                got = got[-1:]
            return [(value, start, None) for start, value in got if value]
        if self.mode == "retroactive":
            got = self.reached(x)
            rate = got[-1][1] if got else Decimal(0)
            return [(rate, x, Decimal(0))] if rate and x else []
        out: list[Piece] = []
        for i, (start, rate) in enumerate(self.brackets):
            if x <= start:
                break
            end = self.brackets[i + 1][0] if i + 1 < len(self.brackets) else None
            top = x if end is None else min(x, end)
            if rate:
                out.append((rate, top, start))
        return out

    def __call__(self, x: Decimal) -> Decimal:
        total = Decimal(0)
        for value, top, start in self.pieces(x):
            total += value if start is None else value * (top - start)
        return total
