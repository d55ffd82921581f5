"""The strategy of each input field: numbers on the ruleset's grid and inside its
declared bounds (its boundary values and constants drawn often), enums, dates of the
drawn period, records, maps and lists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from cmrules._periods import period_end
from cmrules.spec._model import InputField
from cmrules.testing._rulesets import NUMERIC

#: Magnitude of a number with no declared bound on that side.
MONEY_SPAN = Decimal(10) ** 9
INT_SPAN = 10**6
#: The input types that also draw the ruleset's constants (a whole number is rarely compared
#: with a money constant, and 10**8 would swamp the small counts ints hold), and the declared
#: types of the constants each draws (``any``: a literal, whose type nothing declares). A
#: rate or a count of days is noise for a money input.
CONSTANT_TYPES = {
    "money": ("money", "any"),
    "decimal": ("decimal", "money", "int", "any"),
    "rate": ("rate", "decimal", "any"),
}


@dataclass(frozen=True)
class Context:
    """What every field's strategy is made with: money's places, the values to favour, the options."""

    places: int
    pools: dict[str, frozenset[Decimal]]  # by input path; empty when boundaries are off
    fallback: frozenset[Decimal]  # for a number no rule compares: every boundary of the ruleset
    constants: dict[str, frozenset[Decimal]]  # by input type: the constants it draws
    max_list_size: int
    boundaries: bool
    sizes: dict[str, frozenset[int]] = field(default_factory=dict)  # by list path: lengths compared
    hints: dict[str, tuple[int, int]] = field(default_factory=dict)  # by list path: lengths asked for


def bounds(spec: InputField, unit: Decimal) -> tuple[Decimal, Decimal]:
    """The closed range of values on the ``unit`` grid that the declared bounds allow."""
    lo = hi = None
    if spec.ge is not None:
        lo = spec.ge
    if spec.gt is not None:
        lo = spec.gt + unit if lo is None else max(lo, spec.gt + unit)
    if spec.le is not None:
        hi = spec.le
    if spec.lt is not None:
        hi = spec.lt - unit if hi is None else min(hi, spec.lt - unit)
    span = Decimal(INT_SPAN) if unit == 1 else MONEY_SPAN
    if lo is None:
        lo = min(hi, Decimal(0)) - span if hi is not None else -span
    if hi is None:
        hi = max(lo, Decimal(0)) + span
    lo = (lo / unit).to_integral_value(ROUND_CEILING) * unit
    hi = (hi / unit).to_integral_value(ROUND_FLOOR) * unit
    return lo, hi


def unit_of(kind: str, places: int) -> Decimal:
    """The smallest step of a number input: 1 for a whole number, else one unit of the last place."""
    return Decimal(1) if kind == "int" else Decimal(1).scaleb(-places)


def _number(spec: InputField, path: str, ctx: Context) -> SearchStrategy[Any]:
    unit = unit_of(spec.type, ctx.places)
    lo, hi = bounds(spec, unit)
    if lo > hi:
        raise InvalidArgument(f"input {path!r} admits no value: its bounds leave nothing between them")
    if spec.type == "int":
        general: SearchStrategy[Any] = st.integers(int(lo), int(hi))
    else:
        general = st.decimals(lo, hi, places=ctx.places, allow_nan=False, allow_infinity=False)
    if not ctx.boundaries:
        return general
    favoured = [_near(ctx.pools.get(path, ctx.fallback) | {lo, hi, Decimal(0)}, unit, lo, hi)]
    if spec.type in CONSTANT_TYPES:  # as often as the input's own boundaries: its constants
        favoured.append(_near(ctx.constants.get(spec.type, frozenset()), unit, lo, hi))
    chosen = [st.sampled_from([int(v) for v in p] if spec.type == "int" else p) for p in favoured if p]
    return st.one_of(*chosen, general)


def _near(values: frozenset[Decimal], unit: Decimal, lo: Decimal, hi: Decimal) -> list[Decimal]:
    """The values and their neighbours one ``unit`` away that lie on the grid inside [lo, hi]."""
    near = {v + d * unit for v in values for d in (-1, 0, 1)}
    return sorted(v.quantize(unit) for v in near if lo <= v <= hi and v == v.quantize(unit))


@dataclass(frozen=True)
class _InPeriod:
    """A day of the period drawn before the period is known (``None``: the period itself).

    Field strategies are made once per ruleset; :func:`place` turns these into dates
    of the drawn period (day 31 is the month's last day).
    """

    day: int | None


#: A few fixed days make two lists of dates meet often (a booking on a day in another list).
_DAYS = st.one_of(st.sampled_from([1, 2, 31]), st.integers(1, 31)).map(_InPeriod)


#: Lists up to this length are drawn element by element; longer ones repeat a few drawn elements
#: (hypothesis' data budget per example fills a few hundred elements at most).
DISTINCT_LIMIT = 20
#: The longest list drawn to reach a length the rules compare (a tier at 10,000 orders is not aimed at).
MAX_AIMED_SIZE = 5000


def _list(spec: InputField, path: str, elem: SearchStrategy[Any], ctx: Context) -> SearchStrategy[Any]:
    """Lists of ``elem``: short ones, and lists aimed at the lengths the rules compare (``count(...)
    >= 600``: 599, 600 and 601 elements) or at the lengths asked for (``sizes=``)."""
    lo, hi = spec.min_items, spec.max_items
    hint = ctx.hints.get(path)
    if hint is not None:
        low, top = hint
        inside = {n for t in ctx.sizes.get(path, ()) for n in (t - 1, t, t + 1) if low <= n <= top}
        lengths = st.one_of(st.sampled_from(sorted(inside | {low, top})), st.integers(low, top))
        return lengths.flatmap(lambda n: _of_length(elem, n))
    high = max(lo, min(hi, ctx.max_list_size))
    short = st.lists(elem, min_size=lo, max_size=high)
    top = min(hi, MAX_AIMED_SIZE)
    # a length the short lists reach is left to them (favouring it more changes how they shrink)
    compared = sorted(t for t in ctx.sizes.get(path, ()) if t > high)
    near = [[n for n in (t - 1, t, t + 1) if lo <= n <= top] for t in compared]
    aimed = [st.sampled_from(ns).flatmap(lambda n: _of_length(elem, n)) for ns in near if ns]
    if not ctx.boundaries or not aimed:
        return short
    return st.one_of(short, *aimed)  # each compared length as often as the short lists


def _of_length(elem: SearchStrategy[Any], n: int) -> SearchStrategy[list[Any]]:
    """Lists of exactly ``n`` elements: drawn one by one when short, else one drawn element
    repeated with up to two others after it (a count over a condition then lands on ``n``,
    ``n - 1`` or ``n - 2``)."""
    if n <= DISTINCT_LIMIT:
        return st.lists(elem, min_size=n, max_size=n)
    return st.tuples(elem, st.lists(elem, max_size=2)).map(lambda t: [t[0]] * (n - len(t[1])) + t[1])


def place(value: Any, period: str) -> Any:
    """``value`` with the days drawn before the period was known made dates of ``period``."""
    if isinstance(value, _InPeriod):
        if value.day is None:
            return period
        return dt.date(int(period[:4]), int(period[5:7]), min(value.day, period_end(period).day))
    if isinstance(value, dict):
        return {k: place(v, period) for k, v in value.items()}
    if isinstance(value, list):
        return [place(v, period) for v in value]
    return value


def field_strategy(spec: InputField, path: str, ctx: Context) -> SearchStrategy[Any]:
    """The values of the input field ``spec`` at ``path`` (dates still to be placed in a period)."""
    kind = spec.type
    if spec.enum is not None:
        return st.sampled_from(spec.enum)
    if kind in NUMERIC:
        return _number(spec, path, ctx)
    if kind == "bool":
        return st.booleans()
    if kind == "date":
        return _DAYS
    if kind == "period":
        return st.just(_InPeriod(None))
    if kind == "str":
        if path == "employee":
            return st.integers(1, 9999).map(lambda n: f"E{n:04d}")
        return st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=10)
    if kind == "record":
        fields = spec.fields or {}
        parts = {k: field_strategy(f, f"{path}.{k}", ctx) for k, f in fields.items()}
        record = st.fixed_dictionaries(parts)
        return record.map(lambda r: {k: r[k] for k in fields})  # the declared order, for reports
    if kind == "map":
        assert spec.values is not None
        values = field_strategy(spec.values, path, ctx)
        if spec.keys:
            return st.fixed_dictionaries({k: values for k in spec.keys})
        keys = st.text(st.characters(categories=("L", "N")), min_size=1, max_size=8)
        return st.dictionaries(keys, values, max_size=min(spec.max_items, ctx.max_list_size))
    if kind == "list":
        assert spec.of is not None
        elem = field_strategy(spec.of, path, ctx)
        if spec.lengths is not None:  # the declared lengths are the schema: draw each of them
            sizes = [n for n in spec.lengths if spec.min_items <= n <= spec.max_items]
            if not sizes:
                raise InvalidArgument(f"input {path!r} admits no list length")
            return st.sampled_from(sorted(sizes)).flatmap(lambda n: st.lists(elem, min_size=n, max_size=n))
        return _list(spec, path, elem, ctx)
    raise InvalidArgument(f"input {path!r} has type {kind}, which has no strategy")
