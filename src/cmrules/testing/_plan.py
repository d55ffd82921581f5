"""The input plan of a ruleset, and :func:`inputs`: the hypothesis strategy of input
dicts built from the ruleset's declared input schema.

``inputs(ruleset)`` draws input dicts that the ruleset accepts: money as exact
Decimals with the ruleset's places, declared bounds, enums and list lengths
honoured, dates inside the drawn period, periods inside the versions' effective
ranges.  Values the rules compare against (literals and parameters in
comparisons, ``min``/``max`` arguments, decision-table cells, tier brackets) are
drawn often, together with their neighbours one unit away (±1 for whole
numbers, ±0.01 for money at two places), because pay formulas break at their
thresholds.  A threshold can also reach an input only through a table output, a
parameter or another fact (``new_assets / task_by_level(level)`` compared with 1),
so money and decimal inputs also draw every numeric constant of the ruleset
(:func:`ruleset_constants`) and its neighbours often.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from os import PathLike
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy
from pydantic import TypeAdapter, ValidationError

from cmrules.errors import InputError
from cmrules.inputs._text import PERIOD_RE
from cmrules.inputs._validator import field_type
from cmrules.ruleset._ruleset import Ruleset, Version, versions_of
from cmrules.spec._model import InputField
from cmrules.testing._boundaries import flows, list_field, list_sizes, pools
from cmrules.testing._months import favoured_months, period_of, version_months
from cmrules.testing._rulesets import as_ruleset, check_max_list_size, input_fields
from cmrules.testing._values import CONSTANT_TYPES, Context, field_strategy, place

__all__ = ["inputs"]


def _check_options(max_list_size: Any, boundaries: Any) -> None:
    check_max_list_size(max_list_size)
    if not isinstance(boundaries, bool):
        raise InvalidArgument(f"boundaries={boundaries!r} must be True or False")


def _fixed(version: Version, fields: dict[str, InputField], name: str, value: Any) -> Any:
    """A fixed override, validated like the input field it replaces (the validated value)."""
    if name == "period":
        if not isinstance(value, str) or not PERIOD_RE.match(value):
            raise InvalidArgument(f"period={value!r} must be a period 'YYYY-MM'")
        return value
    try:
        adapter = TypeAdapter(field_type(fields[name], version.doc.rounding.places, name))
        return adapter.validate_python(value)
    except ValidationError as exc:
        problem = exc.errors(include_url=False)[0]["msg"]
        raise InvalidArgument(f"{name}={value!r} is not a valid value of input {name!r}: {problem}") from None


def size_hints(sizes: Any, fields: dict[str, InputField]) -> dict[str, tuple[int, int]]:
    """``sizes`` checked: by list path, the closed range of lengths to draw (an int: that length).

    ``InvalidArgument`` for a path that names no list input, a length that is not a whole
    number, a range whose ends are reversed, or lengths the list's ``min_items``/``max_items``
    refuse.
    """
    if sizes is None:
        return {}
    if not isinstance(sizes, dict):
        raise InvalidArgument(f"sizes={sizes!r} must be a dict of list paths to a length or (low, high)")
    out: dict[str, tuple[int, int]] = {}
    for path, want in sizes.items():
        spec = list_field(path, fields) if isinstance(path, str) else None
        if spec is None:
            lists = [name for name, f in fields.items() if f.type == "list"]
            raise InvalidArgument(
                f"sizes: {path!r} is not a list input of the ruleset (its lists: {', '.join(lists) or '-'})"
            )
        pair: tuple[Any, ...] = ()
        if isinstance(want, int):
            pair = (want, want)
        elif isinstance(want, (tuple, list)):
            pair = tuple(want)
        if len(pair) != 2 or not all(isinstance(n, int) and not isinstance(n, bool) for n in pair):
            raise InvalidArgument(f"sizes[{path!r}]={want!r} must be a length or a pair (low, high)")
        low, high = pair
        if not spec.min_items <= low <= high <= spec.max_items:
            raise InvalidArgument(
                f"sizes[{path!r}]={want!r}: lengths must run low to high within the declared "
                f"{spec.min_items}..{spec.max_items} of input {path!r}"
            )
        out[path] = (low, high)
    return out


@dataclass(frozen=True)
class _Part:
    """One version of the plan: the months drawn, the last it covers (None: open), its fields."""

    months: tuple[int, int]
    last: int | None
    fields: dict[str, InputField]
    strategies: dict[str, SearchStrategy[Any]]
    checked: Callable[[dict[str, Any]], Any] | None = None  # the validator, when the version has checks:


class Plan:
    """Everything ``inputs`` needs, checked once when the strategy is made.

    Each version of a plan draws its own fields: the version in force for the drawn
    period decides which inputs exist.
    """

    def __init__(
        self,
        ruleset: Any,
        max_list_size: Any,
        boundaries: Any,
        overrides: dict[str, Any],
        sizes: Any = None,
    ) -> None:
        _check_options(max_list_size, boundaries)
        ruleset = as_ruleset(ruleset)
        versions = versions_of(ruleset)
        plan = list(ruleset.versions) if isinstance(ruleset, Ruleset) else versions
        self.name = versions[-1].id
        self.fields: dict[str, InputField] = {}  # every version's, the latest spec of a name
        for version in reversed(versions):
            for name, spec in input_fields(version).items():
                self.fields.setdefault(name, spec)
        unknown = sorted(set(overrides) - set(self.fields))
        if unknown:
            raise InvalidArgument(
                f"unknown input field(s) {', '.join(map(repr, unknown))} in overrides; "
                f"the ruleset's inputs are {', '.join(self.fields)}"
            )
        runs = flows(ruleset) if boundaries or sizes else []
        found = pools(runs)
        favoured = {path: frozenset(v) for path, v in found.items() if not path.startswith("len(")}
        fallback = frozenset().union(*favoured.values())
        lengths = {path: frozenset(v) for path, v in list_sizes(found, self.fields).items()}
        hints = size_hints(sizes, self.fields)
        constants = {
            kind: frozenset().union(*(f.constants.get(t, set()) for f in runs for t in types))
            for kind, types in CONSTANT_TYPES.items()
        }
        places = versions[-1].doc.rounding.places
        if not boundaries:
            favoured, fallback, constants, lengths = {}, frozenset(), {}, {}
        self.ctx = Context(places, favoured, fallback, constants, max_list_size, boundaries, lengths, hints)
        self.overrides: dict[str, SearchStrategy[Any]] = {}
        for name, value in overrides.items():
            if isinstance(value, SearchStrategy):
                self.overrides[name] = value
            else:
                owner = next(v for v in reversed(versions) if name in input_fields(v))
                self.overrides[name] = st.just(_fixed(owner, input_fields(owner), name, value))
        self.parts = self._parts(versions, plan)  # the versions in force for a whole month
        if not self.parts:
            raise InvalidArgument(f"no version of {self.name} is in force for a whole month")
        fixed = overrides.get("period")
        if isinstance(fixed, str) and self._part(fixed) is None:
            raise InvalidArgument(f"period={fixed!r}: no version of {self.name} is in force then")
        self.periods = self._periods(versions)

    def _parts(self, versions: list[Version], plan: list[Version]) -> list[_Part]:
        out: list[_Part] = []
        for version, months in zip(versions, version_months(versions, plan), strict=True):
            if months is None:
                continue
            fields = input_fields(version)
            strategies = {
                name: self.overrides[name] if name in self.overrides else field_strategy(spec, name, self.ctx)
                for name, spec in fields.items()
                if name != "period"
            }
            last = None if version is plan[-1] and version.doc.effective_to is None else months[1]
            checked = version.validator if version.program.checks else None
            out.append(_Part(months, last, fields, strategies, checked))
        return out

    def _part(self, period: str) -> _Part | None:
        month = int(period[:4]) * 12 + int(period[5:7]) - 1
        for part in self.parts:
            if part.months[0] <= month and (part.last is None or month <= part.last):
                return part
        return None

    def _periods(self, versions: list[Version]) -> SearchStrategy[str]:
        if "period" in self.overrides:
            return self.overrides["period"]
        ranges = [part.months for part in self.parts]
        anywhere = st.sampled_from(ranges).flatmap(lambda r: st.integers(r[0], r[1]))
        favoured = favoured_months(versions, ranges)
        months = st.one_of(st.sampled_from(favoured), anywhere) if favoured else anywhere
        return months.map(period_of)

    def pool(self, path: str, kind: str) -> frozenset[Decimal]:
        """The values favoured when the input at ``path`` grows: its boundaries and, for a
        money or decimal input, the ruleset's constants (none when boundaries are off)."""
        if not self.ctx.boundaries:
            return frozenset()
        pool = self.ctx.pools.get(path, self.ctx.fallback)
        return pool | self.ctx.constants.get(kind, frozenset())

    def draw(
        self, draw: Callable[[SearchStrategy[Any]], Any]
    ) -> tuple[dict[str, Any], dict[str, InputField]]:
        """An input dict, and the fields of the version in force for its period."""
        period = draw(self.periods)
        part = self._part(period)
        if part is None:  # a period strategy given as override drew outside every version
            reject()
        out: dict[str, Any] = {}
        for name, spec in part.fields.items():
            if name == "period":
                out[name] = period
                continue
            value = place(draw(part.strategies[name]), period)
            if name in self.overrides:
                out[name] = value
            elif spec.type == "list" or (spec.type == "map" and not spec.keys):
                if value:  # an empty list is the same as an absent one
                    out[name] = value
            elif "default" not in spec.model_fields_set or draw(st.integers(0, 3)):
                out[name] = value  # a field with a default is left out one time in four
        if part.checked is not None and _refused(part.checked, out):
            reject()  # the ruleset's own input checks (checks:) refuse it: not a valid input
        return out, part.fields


def _refused(validator: Callable[[dict[str, Any]], Any], raw: dict[str, Any]) -> bool:
    """Whether ``raw`` is refused by an input check of the ruleset (``input.check`` only)."""
    try:
        validator(raw)
    except InputError as exc:
        return all(p.code == "input.check" for p in exc.problems)
    return False


def inputs(
    ruleset: Ruleset | Version | str | PathLike[str],
    /,
    *,
    max_list_size: int = 3,
    boundaries: bool = True,
    sizes: dict[str, int | tuple[int, int]] | None = None,
    **overrides: Any,
) -> SearchStrategy[dict[str, Any]]:
    """A strategy of valid input dicts for ``ruleset`` (a plan, one of its versions, or
    the path of a ruleset file or plan folder, as :func:`check_invariants` takes).

    ``max_list_size`` (0 to :data:`MAX_LIST_SIZE`) bounds lists and free maps (a list's
    declared ``lengths`` win);
    ``boundaries=False`` turns off favouring the rules' thresholds, lengths included: a list
    whose length the rules compare with a number (``count(o for o in orders if ...) >= 600``,
    ``len(orders)``, a tier over such a count) is also drawn one below, at and one above each
    such number, a few drawn elements repeated to that length.
    ``sizes={"orders": (590, 910)}`` draws every ``orders`` list with a length in that range
    (an int: exactly that length), the compared lengths inside it favoured. A keyword named
    after an input field fixes it (a value, validated like input) or restricts it
    (a strategy)::

        inputs(bar, dismissed=False, bookings=st.lists(booking, min_size=1))
    """
    plan = Plan(ruleset, max_list_size, boundaries, overrides, sizes)
    return st.composite(lambda draw: plan.draw(draw)[0])()
