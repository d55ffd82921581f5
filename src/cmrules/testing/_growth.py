"""Pairs of inputs where the second has one input grown: what monotonic invariants
are searched on (:func:`grown_inputs`)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from os import PathLike
from typing import Any, NamedTuple

from hypothesis import assume, reject
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from cmrules.ruleset._ruleset import Ruleset, Version
from cmrules.spec._model import InputField
from cmrules.testing._plan import Plan
from cmrules.testing._rulesets import NUMERIC
from cmrules.testing._values import bounds, field_strategy, place, unit_of

__all__ = ["Growth", "grown_inputs"]


class Growth(NamedTuple):
    """An input, the same input with one field grown, and the change in words."""

    base: dict[str, Any]
    grown: dict[str, Any]
    change: str


def _numeric_value(spec: InputField, value: Any) -> Decimal | int:
    if spec.type == "int":
        return int(value)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _step(
    draw: Callable[[SearchStrategy[Any]], Any],
    spec: InputField,
    x: Decimal | int,
    pool: frozenset[Decimal],
    places: int,
) -> tuple[Decimal | int, Decimal | int]:
    """A start and a larger value, both inside the declared bounds.

    Monotonic laws break at thresholds, so the start is often moved one unit below
    a boundary value of the field, and the step often lands on or just past one.
    """
    unit = unit_of(spec.type, places)
    lo, hi = bounds(spec, unit)
    below = sorted(v for v in (b - unit for b in pool) if lo <= v < hi and v == v.quantize(unit))
    if below:
        x = draw(st.one_of(st.just(Decimal(x)), st.sampled_from(below)))
    room = hi - Decimal(x)
    assume(room >= unit)
    marks = sorted(
        {t - x for b in pool for t in (b, b + unit) if unit <= t - x <= room and t == t.quantize(unit)}
    )
    if spec.type == "int":
        general: SearchStrategy[Any] = st.integers(1, int(room)).map(Decimal)
    else:
        general = st.decimals(unit, room, places=places, allow_nan=False, allow_infinity=False)
    steps = [st.just(unit), *([st.sampled_from(marks)] if marks else []), general]
    after = Decimal(x) + draw(st.one_of(steps))
    if spec.type == "int":
        return int(x), int(after)
    return Decimal(x).quantize(unit), after.quantize(unit)


def _grow(plan: Plan, path: str, draw: Callable[[SearchStrategy[Any]], Any]) -> Growth:
    base, fields = plan.draw(draw)
    head, _, sub = path.partition(".")
    spec = fields.get(head)
    if spec is None:  # this version of the plan has no such input
        reject()
    places = plan.ctx.places
    period = base["period"]
    if not sub and spec.type == "list":
        assert spec.of is not None
        items = list(base.get(head, []))
        assume(len(items) < spec.max_items and spec.lengths is None)
        element = place(draw(field_strategy(spec.of, head, plan.ctx)), period)
        grown = {**base, head: [*items, element]}
        return Growth(base, grown, f"{head}: appended {element!r}")
    if not sub and spec.type == "bool":
        base = {**base, head: False}
        return Growth(base, {**base, head: True}, f"{head}: false → true")
    if not sub:
        x = _numeric_value(spec, base.get(head, spec.default))
        x, after = _step(draw, spec, x, plan.pool(head, spec.type), places)
        base = {**base, head: x}
        return Growth(base, {**base, head: after}, f"{head}: {x} → {after}")
    return _grow_field(plan, base, spec, head, sub, draw)


def _grow_field(
    plan: Plan,
    base: dict[str, Any],
    spec: InputField,
    head: str,
    sub: str,
    draw: Callable[[SearchStrategy[Any]], Any],
) -> Growth:
    """``base`` with field ``sub`` of input ``head`` grown (of one element of a list)."""
    places = plan.ctx.places
    period = base["period"]
    base = copy.deepcopy(base)
    index: int | None = None
    if spec.type == "list":
        assert spec.of is not None and spec.of.fields is not None
        items = base.setdefault(head, [])
        if not items:  # growing a field of an element needs an element
            assume(spec.max_items >= 1)
            items.append(place(draw(field_strategy(spec.of, head, plan.ctx)), period))
        index = draw(st.integers(0, len(items) - 1))
        field_spec, where, field_path = spec.of.fields[sub], f"{head}[{index}].{sub}", f"{head}.{sub}"
    else:
        value_spec = spec.values if spec.type == "map" else (spec.fields or {})[sub]
        assert value_spec is not None
        field_spec = value_spec
        field_path = head if spec.type == "map" else f"{head}.{sub}"  # a map's values share a path
        holder = base.setdefault(head, {})
        if sub not in holder:  # a free map may lack the key: give it one
            holder[sub] = place(draw(field_strategy(field_spec, field_path, plan.ctx)), period)
        where = f"{head}.{sub}"

    def holder_of(data: dict[str, Any]) -> dict[str, Any]:
        inner: dict[str, Any] = data[head] if index is None else data[head][index]
        return inner

    x = holder_of(base)[sub]
    after: Decimal | int
    if field_spec.type == "bool":
        x, after = False, True
    else:
        x, after = _step(
            draw, field_spec, _numeric_value(field_spec, x), plan.pool(field_path, field_spec.type), places
        )
    holder_of(base)[sub] = x
    grown = copy.deepcopy(base)
    holder_of(grown)[sub] = after
    shown = ("false", "true") if field_spec.type == "bool" else (x, after)
    return Growth(base, grown, f"{where}: {shown[0]} → {shown[1]}")


def grown_inputs(
    ruleset: Ruleset | Version | str | PathLike[str],
    path: str,
    /,
    *,
    max_list_size: int = 3,
    boundaries: bool = True,
    sizes: dict[str, int | tuple[int, int]] | None = None,
    **overrides: Any,
) -> SearchStrategy[Growth]:
    """Pairs of valid inputs where the second has the input at ``path`` grown.

    ``path`` is what an invariant's ``increasing_in`` names: a number input (raised by
    a positive amount, one unit favoured, bounds kept), a bool (false → true), a list
    (one element appended), or a number field of a list's records, a map or a record
    (``bookings.amount``: one element's field raised). The options are those of :func:`inputs`.
    """
    plan = Plan(ruleset, max_list_size, boundaries, overrides, sizes)
    if not isinstance(path, str):
        raise InvalidArgument(f"path={path!r} must be an input path like 'bookings.amount'")
    head, _, sub = path.partition(".")
    spec = plan.fields.get(head)
    ok = spec is not None and (
        (not sub and (spec.type in (*NUMERIC, "bool", "list")) and spec.enum is None)
        or (sub and spec.type == "list" and spec.of is not None and sub in (spec.of.fields or {}))
        or (sub and spec.type == "record" and sub in (spec.fields or {}))
        or (sub and spec.type == "map" and (not spec.keys or sub in spec.keys))
    )
    if not ok:
        raise InvalidArgument(f"path={path!r} does not name an input that can grow")
    if head in plan.overrides:
        raise InvalidArgument(f"{head!r} is both overridden and the input to grow")
    return st.composite(lambda draw: _grow(plan, path, draw))()
