"""Hypothesis strategies built from a ruleset's declared input schema.

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

import ast
import copy
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from os import PathLike
from typing import Any, NamedTuple

from hypothesis import assume, reject
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy
from pydantic import TypeAdapter, ValidationError

from cmrules._periods import period_end
from cmrules.compile import BUILTIN_INPUTS
from cmrules.expr._parse import ExprSyntaxError, parse
from cmrules.inputs._text import PERIOD_RE
from cmrules.inputs._validator import field_type
from cmrules.inputs._values import convert_value
from cmrules.ruleset._load import load_ruleset
from cmrules.ruleset._ruleset import Ruleset, Version
from cmrules.spec._model import InputField, RulesetDoc

__all__ = ["Growth", "boundary_values", "grown_inputs", "inputs", "ruleset_constants"]

#: Magnitude of a number with no declared bound on that side.
MONEY_SPAN = Decimal(10) ** 9
INT_SPAN = 10**6
#: An open-ended version is drawn over this many months from its start.
OPEN_MONTHS = 120
NUMERIC = ("money", "decimal", "rate", "int")
#: The longest list or free map drawn: hypothesis' data budget per example fills a few
#: hundred elements at most, and a slip of a thousand incidents is already unusual.
MAX_LIST_SIZE = 1000
#: The input types that also draw the ruleset's constants (a whole number is rarely compared
#: with a money constant, and 10**8 would swamp the small counts ints hold), and the declared
#: types of the constants each draws (``any``: a literal, whose type nothing declares). A
#: rate or a count of days is noise for a money input.
CONSTANT_TYPES = {
    "money": ("money", "any"),
    "decimal": ("decimal", "money", "int", "any"),
    "rate": ("rate", "decimal", "any"),
}
_CELL_NUMBER = re.compile(r"-?\d+(?:\.\d+)?%?")


def as_ruleset(ruleset: Any) -> Ruleset | Version:
    """A ``Ruleset`` or ``Version`` as given; a path (a file or a plan's folder) loaded."""
    if isinstance(ruleset, (str, PathLike)):
        return load_ruleset(ruleset)
    if isinstance(ruleset, (Ruleset, Version)):
        return ruleset
    raise InvalidArgument(
        f"ruleset={ruleset!r} must be a cmrules Ruleset (cmrules.load_ruleset), "
        "one of its versions, or a path"
    )


def check_max_list_size(max_list_size: Any) -> None:
    """``InvalidArgument`` unless ``0 <= max_list_size <= MAX_LIST_SIZE`` (an int, not a bool)."""
    if not isinstance(max_list_size, int) or isinstance(max_list_size, bool):
        raise InvalidArgument(f"max_list_size={max_list_size!r} must be an integer")
    if not 0 <= max_list_size <= MAX_LIST_SIZE:
        raise InvalidArgument(f"max_list_size={max_list_size!r} must be between 0 and {MAX_LIST_SIZE}")


def versions_of(ruleset: Ruleset | Version) -> list[Version]:
    """The versions of a plan, or the one version given."""
    return list(ruleset.versions) if isinstance(ruleset, Ruleset) else [ruleset]


def _fields(version: Version) -> dict[str, InputField]:
    """Every input field: employee and period first (drawn dicts read like input files)."""
    declared = version.doc.inputs
    fields = {k: declared.get(k, BUILTIN_INPUTS[k]) for k in ("employee", "period")}
    fields.update(declared)
    for name, spec in BUILTIN_INPUTS.items():
        fields.setdefault(name, spec)
    return fields


# ---------------------------------------------------------------------------- boundaries


def boundary_values(ruleset: Ruleset | Version | str | PathLike[str]) -> dict[str, set[Decimal]]:
    """The numbers the rules compare each input against, by input path (``bookings.amount``).

    A comparison (``<``, ``>=`` …, ``min``/``max``, a decision-table or tier call)
    associates the literals and parameter values in it with every input it reads,
    following facts, ``let`` names and loop variables back to the inputs: in the bar
    ruleset ``performance > performance_target`` gives 40000 to ``bookings.amount``.
    """
    return _pools(_flows(ruleset))


def ruleset_constants(ruleset: Ruleset | Version | str | PathLike[str]) -> set[Decimal]:
    """Every numeric constant of the ruleset, whatever it is compared with.

    Parameter values (each dated value), decision-table cells (the numbers in the
    conditions and the outputs), tier bracket bounds, and the literals of every
    comparison and ``min``/``max``.  In the securities plan the task 1,000,000 is a
    table output that ``new_assets`` is only divided by, and the contribution floor
    2,000 is compared with a total, not an input: both are here, neither is in
    :func:`boundary_values`.
    """
    return {value for flow in _flows(ruleset) for values in flow.constants.values() for value in values}


def _flows(ruleset: Ruleset | Version | str | PathLike[str]) -> list[_Flow]:
    flows = []
    for version in versions_of(as_ruleset(ruleset)):
        flow = _Flow(version.doc, _fields(version))
        flow.run()
        flows.append(flow)
    return flows


def _pools(flows: list[_Flow]) -> dict[str, set[Decimal]]:
    """The boundary values of each input path, over the flows of every version."""
    out: dict[str, set[Decimal]] = {}
    for flow in flows:
        for path, values in flow.pools.items():
            out.setdefault(path, set()).update(values)
    return out


class _Flow:
    """Which inputs each expression reads, and which constants each input is compared with."""

    def __init__(self, doc: RulesetDoc, fields: dict[str, InputField]) -> None:
        self.doc, self.fields = doc, fields
        self.constants: dict[str, set[Decimal]] = {}  # by declared type (``any``: a literal)
        self.params: dict[str, list[Decimal]] = {}
        for name, param in doc.parameters.items():
            raws = [param.value] if param.values is None else [v.value for v in param.values]
            try:
                self.params[name] = [Decimal(convert_value(param.type, raw)) for raw in raws]
            except (ValueError, TypeError):
                continue  # not a number (a str or date parameter)
            self._constant(param.type, self.params[name])
        self.tables: dict[str, list[set[Decimal]]] = {}  # the numbers of each condition column
        self.outputs: dict[str, set[Decimal]] = {}  # the numbers a table can give
        for name, table in doc.tables.items():
            columns: list[set[Decimal]] = [set() for _ in table.inputs]
            outputs: set[Decimal] = set()
            for row in table.rows:
                for column, cell in zip(columns, row.when, strict=False):
                    column.update(_cell_numbers(cell))
                if table.output.type in NUMERIC:
                    outputs |= _cell_numbers(row.then)
            self.tables[name], self.outputs[name] = columns, outputs
            for spec, column in zip(table.inputs, columns, strict=True):
                self._constant(spec.type, column)
            self._constant(table.output.type, outputs)
        for name, tier in doc.tiers.items():
            self.tables[name] = [{b.from_ for b in tier.brackets}]
            self._constant("any", self.tables[name][0])  # a tier reads whatever it is given
        self.setters: dict[str, list[tuple[str, dict[str, set[str]]]]] = {}
        self.facts: dict[str, set[str]] = {}
        self.pools: dict[str, set[Decimal]] = {}

    def run(self) -> None:
        """Visit every expression: fills :attr:`pools` and :attr:`constants`."""
        doc = self.doc
        rule_envs = []
        for rule in doc.rules:
            env = self._rule_env(rule.for_each, rule.let)
            rule_envs.append(env)
            for fact, text in [*rule.set.items(), *rule.contribute.items()]:
                self.setters.setdefault(fact, []).append((text, env))
        for fact in doc.facts.values():
            if fact.expr:
                self._visit_text(fact.expr, {})
        for rule, env in zip(doc.rules, rule_envs, strict=True):
            texts = [rule.when, *rule.let.values(), *rule.set.values(), *rule.contribute.values()]
            texts += [rule.line.amount] if rule.line else []
            for text in texts:
                if text:
                    self._visit_text(text, env)
        for inv in doc.invariants:
            for text in (inv.always, inv.monotonic, inv.given):
                if text:
                    self._visit_text(text, {})

    def _rule_env(self, for_each: str | None, lets: dict[str, str]) -> dict[str, set[str]]:
        env: dict[str, set[str]] = {}
        match = re.fullmatch(r"\s*(\w+)\s+in\s+(.+)", for_each or "")
        if match:
            env[match.group(1)] = self._visit_text(match.group(2), {})
        for name, text in lets.items():
            env[name] = self._visit_text(str(text), env)
        return env

    def _visit_text(self, text: Any, env: dict[str, set[str]]) -> set[str]:
        try:
            parsed = parse(str(text))
        except ExprSyntaxError:
            return set()
        return self._visit(parsed.tree, parsed.literals, env)

    def _fact(self, name: str) -> set[str]:
        if name not in self.facts:
            self.facts[name] = set()  # a cycle (refused at load anyway) stops here
            fact = self.doc.facts[name]
            found: set[str] = set()
            if fact.expr:
                found |= self._visit_text(fact.expr, {})
            for text, env in self.setters.get(name, []):
                found |= self._visit_text(text, env)
            self.facts[name] = found
        return self.facts[name]

    def _visit(self, node: ast.AST, literals: dict[str, Any], env: dict[str, set[str]]) -> set[str]:
        """The input paths ``node`` reads; records the constants of the comparisons inside it."""
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            if node.id in self.fields:
                return {node.id}
            return self._fact(node.id) if node.id in self.doc.facts else set()
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in ("lines", "totals"):
                return set()
            return {f"{p}.{node.attr}" for p in self._visit(node.value, literals, env)}
        if isinstance(node, ast.Subscript):  # a map's values share one path
            return self._visit(node.value, literals, env)
        if isinstance(node, ast.GeneratorExp) and len(node.generators) == 1:
            gen = node.generators[0]
            inner = dict(env)
            if isinstance(gen.target, ast.Name):
                inner[gen.target.id] = self._visit(gen.iter, literals, env)
            found = set()
            for part in (node.elt, *gen.ifs):
                found |= self._visit(part, literals, inner)
            return found
        found = set()
        for child in ast.iter_child_nodes(node):
            found |= self._visit(child, literals, env)
        if isinstance(node, ast.Compare) or _called(node, ("min", "max")):
            constants = self._constants(node, literals)
            self._constant("any", self._literals(node, literals))
            for path in found:
                self.pools.setdefault(path, set()).update(constants)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.tables:
            for arg, column in zip(node.args, self.tables[node.func.id], strict=False):
                for path in self._visit(arg, literals, env):
                    self.pools.setdefault(path, set()).update(column)
        return found

    def _constant(self, kind: str, values: set[Decimal] | list[Decimal]) -> None:
        self.constants.setdefault(kind, set()).update(values)

    @staticmethod
    def _literals(node: ast.AST, literals: dict[str, Any]) -> set[Decimal]:
        """The number literals written in ``node`` (the parser names each one)."""
        names = (sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name))
        return {Decimal(literals[name].value) for name in names if name in literals}

    def _constants(self, node: ast.AST, literals: dict[str, Any]) -> set[Decimal]:
        out = self._literals(node, literals)
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                out.update(self.params.get(sub.id, ()))
                out.update(self.outputs.get(sub.id, ()))  # a table called inside the comparison
        return out


def _cell_numbers(cell: Any) -> set[Decimal]:
    """The numbers written in a table cell (``"[2..3]"``, ``">= 90"``, ``5%``, ``2500``)."""
    out = set()
    for number in _CELL_NUMBER.findall(str(cell)):
        value = Decimal(number.rstrip("%"))
        out.add(value.scaleb(-2) if number.endswith("%") else value)
    return out


def _called(node: ast.AST, names: tuple[str, ...]) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names


# ---------------------------------------------------------------------------- periods


def _month(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _period(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _first_month(day: dt.date) -> int:
    """The first month whose first day is on or after ``day``."""
    return _month(day) + (day.day > 1)


def _ranges(versions: list[Version], plan: list[Version]) -> list[tuple[int, int] | None]:
    """The months in which each version is the one in force (an open end is capped at
    :data:`OPEN_MONTHS`); ``None`` for a version not in force for a whole month."""
    out: list[tuple[int, int] | None] = []
    for version in versions:
        doc = version.doc
        start = _first_month(doc.effective_from)
        later = [v.doc.effective_from for v in plan if v.doc.effective_from > doc.effective_from]
        if doc.effective_to is not None:
            end = _month(doc.effective_to)
        elif later:
            end = _first_month(min(later)) - 1
        else:
            end = start + OPEN_MONTHS - 1
        out.append((start, end) if start <= end else None)
    return out


def _favoured_months(versions: list[Version], ranges: list[tuple[int, int]]) -> list[int]:
    """Version starts and ends, and the months around dated parameter changes."""
    marks = {a for a, _ in ranges} | {b for _, b in ranges}
    for version in versions:
        for param in version.doc.parameters.values():
            for dated in param.values or ():
                first = _first_month(dated.from_)
                marks |= {first - 1, first, first + 1}
    return sorted(m for m in marks if any(a <= m <= b for a, b in ranges))


# ---------------------------------------------------------------------------- fields


@dataclass(frozen=True)
class _Context:
    places: int
    pools: dict[str, frozenset[Decimal]]  # by input path; empty when boundaries are off
    fallback: frozenset[Decimal]  # for a number no rule compares: every boundary of the ruleset
    constants: dict[str, frozenset[Decimal]]  # by input type: the constants it draws
    max_list_size: int
    boundaries: bool


def _bounds(spec: InputField, unit: Decimal) -> tuple[Decimal, Decimal]:
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


def _unit(kind: str, places: int) -> Decimal:
    return Decimal(1) if kind == "int" else Decimal(1).scaleb(-places)


def _number(spec: InputField, path: str, ctx: _Context) -> SearchStrategy[Any]:
    unit = _unit(spec.type, ctx.places)
    lo, hi = _bounds(spec, unit)
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

    Field strategies are made once per ruleset; :func:`_place` turns these into dates
    of the drawn period (day 31 is the month's last day).
    """

    day: int | None


#: A few fixed days make two lists of dates meet often (a booking on a day in another list).
_DAYS = st.one_of(st.sampled_from([1, 2, 31]), st.integers(1, 31)).map(_InPeriod)


def _place(value: Any, period: str) -> Any:
    if isinstance(value, _InPeriod):
        if value.day is None:
            return period
        return dt.date(int(period[:4]), int(period[5:7]), min(value.day, period_end(period).day))
    if isinstance(value, dict):
        return {k: _place(v, period) for k, v in value.items()}
    if isinstance(value, list):
        return [_place(v, period) for v in value]
    return value


def _strategy(spec: InputField, path: str, ctx: _Context) -> SearchStrategy[Any]:
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
        parts = {k: _strategy(f, f"{path}.{k}", ctx) for k, f in fields.items()}
        record = st.fixed_dictionaries(parts)
        return record.map(lambda r: {k: r[k] for k in fields})  # the declared order, for reports
    if kind == "map":
        assert spec.values is not None
        values = _strategy(spec.values, path, ctx)
        if spec.keys:
            return st.fixed_dictionaries({k: values for k in spec.keys})
        keys = st.text(st.characters(categories=("L", "N")), min_size=1, max_size=8)
        return st.dictionaries(keys, values, max_size=min(spec.max_items, ctx.max_list_size))
    if kind == "list":
        assert spec.of is not None
        elem = _strategy(spec.of, path, ctx)
        if spec.lengths is not None:  # the declared lengths are the schema: draw each of them
            sizes = [n for n in spec.lengths if spec.min_items <= n <= spec.max_items]
            if not sizes:
                raise InvalidArgument(f"input {path!r} admits no list length")
            return st.sampled_from(sorted(sizes)).flatmap(lambda n: st.lists(elem, min_size=n, max_size=n))
        high = max(spec.min_items, min(spec.max_items, ctx.max_list_size))
        return st.lists(elem, min_size=spec.min_items, max_size=high)
    raise InvalidArgument(f"input {path!r} has type {kind}, which has no strategy")


# ---------------------------------------------------------------------------- inputs()


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


@dataclass(frozen=True)
class _Part:
    """One version of the plan: the months drawn, the last it covers (None: open), its fields."""

    months: tuple[int, int]
    last: int | None
    fields: dict[str, InputField]
    strategies: dict[str, SearchStrategy[Any]]


class _Plan:
    """Everything ``inputs`` needs, checked once when the strategy is made.

    Each version of a plan draws its own fields: the version in force for the drawn
    period decides which inputs exist.
    """

    def __init__(self, ruleset: Any, max_list_size: Any, boundaries: Any, overrides: dict[str, Any]) -> None:
        _check_options(max_list_size, boundaries)
        ruleset = as_ruleset(ruleset)
        versions = versions_of(ruleset)
        plan = list(ruleset.versions) if isinstance(ruleset, Ruleset) else versions
        self.name = versions[-1].id
        self.fields: dict[str, InputField] = {}  # every version's, the latest spec of a name
        for version in reversed(versions):
            for name, spec in _fields(version).items():
                self.fields.setdefault(name, spec)
        unknown = sorted(set(overrides) - set(self.fields))
        if unknown:
            raise InvalidArgument(
                f"unknown input field(s) {', '.join(map(repr, unknown))} in overrides; "
                f"the ruleset's inputs are {', '.join(self.fields)}"
            )
        flows = _flows(ruleset) if boundaries else []
        pools = {path: frozenset(values) for path, values in _pools(flows).items()}
        fallback = frozenset().union(*pools.values())
        constants = {
            kind: frozenset().union(*(f.constants.get(t, set()) for f in flows for t in types))
            for kind, types in CONSTANT_TYPES.items()
        }
        places = versions[-1].doc.rounding.places
        self.ctx = _Context(places, pools, fallback, constants, max_list_size, boundaries)
        self.overrides: dict[str, SearchStrategy[Any]] = {}
        for name, value in overrides.items():
            if isinstance(value, SearchStrategy):
                self.overrides[name] = value
            else:
                owner = next(v for v in reversed(versions) if name in _fields(v))
                self.overrides[name] = st.just(_fixed(owner, _fields(owner), name, value))
        self.parts: list[_Part] = []  # the versions in force for a whole month
        for version, months in zip(versions, _ranges(versions, plan), strict=True):
            if months is None:
                continue
            fields = _fields(version)
            strategies = {
                name: self.overrides[name] if name in self.overrides else _strategy(spec, name, self.ctx)
                for name, spec in fields.items()
                if name != "period"
            }
            last = None if version is plan[-1] and version.doc.effective_to is None else months[1]
            self.parts.append(_Part(months, last, fields, strategies))
        if not self.parts:
            raise InvalidArgument(f"no version of {self.name} is in force for a whole month")
        fixed = overrides.get("period")
        if isinstance(fixed, str) and self._part(fixed) is None:
            raise InvalidArgument(f"period={fixed!r}: no version of {self.name} is in force then")
        self.periods = self._periods(versions)

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
        favoured = _favoured_months(versions, ranges)
        months = st.one_of(st.sampled_from(favoured), anywhere) if favoured else anywhere
        return months.map(_period)

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
            value = _place(draw(part.strategies[name]), period)
            if name in self.overrides:
                out[name] = value
            elif spec.type == "list" or (spec.type == "map" and not spec.keys):
                if value:  # an empty list is the same as an absent one
                    out[name] = value
            elif "default" not in spec.model_fields_set or draw(st.integers(0, 3)):
                out[name] = value  # a field with a default is left out one time in four
        return out, part.fields


def inputs(
    ruleset: Ruleset | Version | str | PathLike[str],
    /,
    *,
    max_list_size: int = 3,
    boundaries: bool = True,
    **overrides: Any,
) -> SearchStrategy[dict[str, Any]]:
    """A strategy of valid input dicts for ``ruleset`` (a plan, one of its versions, or
    the path of a ruleset file or plan folder, as :func:`check_invariants` takes).

    ``max_list_size`` (0 to :data:`MAX_LIST_SIZE`) bounds lists and free maps (a list's
    declared ``lengths`` win);
    ``boundaries=False`` turns off favouring the rules' thresholds. A keyword named
    after an input field fixes it (a value, validated like input) or restricts it
    (a strategy)::

        inputs(bar, dismissed=False, bookings=st.lists(booking, min_size=1))
    """
    plan = _Plan(ruleset, max_list_size, boundaries, overrides)
    return st.composite(lambda draw: plan.draw(draw)[0])()


# ---------------------------------------------------------------------------- growth


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
    unit = _unit(spec.type, places)
    lo, hi = _bounds(spec, unit)
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


def _grow(plan: _Plan, path: str, draw: Callable[[SearchStrategy[Any]], Any]) -> Growth:
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
        element = _place(draw(_strategy(spec.of, head, plan.ctx)), period)
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
    base = copy.deepcopy(base)
    index: int | None = None
    if spec.type == "list":
        assert spec.of is not None and spec.of.fields is not None
        items = base.setdefault(head, [])
        if not items:  # growing a field of an element needs an element
            assume(spec.max_items >= 1)
            items.append(_place(draw(_strategy(spec.of, head, plan.ctx)), period))
        index = draw(st.integers(0, len(items) - 1))
        field_spec, where, field_path = spec.of.fields[sub], f"{head}[{index}].{sub}", f"{head}.{sub}"
    else:
        field_spec = spec.values if spec.type == "map" else (spec.fields or {})[sub]
        assert field_spec is not None
        field_path = head if spec.type == "map" else f"{head}.{sub}"  # a map's values share a path
        holder = base.setdefault(head, {})
        if sub not in holder:  # a free map may lack the key: give it one
            holder[sub] = _place(draw(_strategy(field_spec, field_path, plan.ctx)), period)
        where = f"{head}.{sub}"

    def holder_of(data: dict[str, Any]) -> dict[str, Any]:
        return data[head] if index is None else data[head][index]

    x = holder_of(base)[sub]
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
    **overrides: Any,
) -> SearchStrategy[Growth]:
    """Pairs of valid inputs where the second has the input at ``path`` grown.

    ``path`` is what an invariant's ``increasing_in`` names: a number input (raised by
    a positive amount, one unit favoured, bounds kept), a bool (false → true), a list
    (one element appended), or a number field of a list's records, a map or a record
    (``bookings.amount``: one element's field raised).
    """
    plan = _Plan(ruleset, max_list_size, boundaries, overrides)
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
