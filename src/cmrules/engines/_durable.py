"""The durable-rules backend: its Rete network matches rule conditions, the plan does the rest.

``Ruleset.evaluate(inputs, engine="durable")`` validates the input as the native
engine does, asserts facts about it into a fresh durable-rules session, and runs
a variant of the same generated plan (:meth:`Program.gated`) in which every
translated rule fires only where the Rete network matched it.  Arithmetic
(Decimal), lines, facts, notices and the slip are the native engine's own code
(:meth:`Version.run`), so both engines give byte-identical slips.

What the Rete network matches
-----------------------------
The leading ``and`` operands of a rule's ``when`` that compare an input with a
constant: the input is a scalar input (int, money, decimal, rate, bool, str,
period), a field of a record input, or, in a ``for_each: x in <list input>``
rule, the element ``x`` or its field ``x.f``; the constant is a literal or a
parameter without dated values; the comparison is ``== != < <= > >=`` (chains
too), ``in``/``not in`` a literal tuple, a bool input alone, or ``not``,
``and``, ``or`` of those.

What stays in Python, and why
-----------------------------
* Conditions on facts, line sums (``lines.x``), totals and ``let`` names: the
  plan computes them while it runs, after the match (the Rete network only sees
  what was asserted up front).
* Arithmetic and function calls: the engine computes in C doubles, and an
  integer division by zero in a condition kills the process.
* Dated parameters (the registered network is one per version, not per period),
  dates, and ``in`` a list input (the engine has no ``$in``, and joins across
  facts crash it).
* Every operand after the first one kept in Python: that operand may raise (a
  division by zero, a table without a matching row), and the native engine only
  evaluates it when the operands before it hold, so only a prefix is matched.

How values reach the engine
---------------------------
One fact for the employee's scalars (kind 0), and one per element of every list
whose elements a matched condition reads (its kind, index and fields, plus
copies of the scalars those rules read: the engine never joins facts).  Numbers
become exact 64-bit integers: a field compared with constants of at most ``s``
decimal places is sent as ``2·⌊v·10^s⌋``, plus 1 when ``v·10^s`` is not whole,
and a constant ``c`` as ``2·c·10^s``, so ``<``, ``==`` … agree with Decimal
exactly (an inexact value lies strictly between two even numbers); values beyond
±10^18 are clamped beyond every constant.  A string is sent as the index of the
constant it equals (-1 for none): only equality is asked of strings, and no text
reaches the engine.

Hazards (reproduced in :mod:`cmrules.engines._durable_host`): one host per
process with no dispatcher thread, one lock around every engine call, one
session per evaluation deleted afterwards, the session id of the returned state
and of every firing checked; an ``exception`` in the state, a failing callback
or an unexpected firing raises :class:`~cmrules.errors.EvaluationError` with
code ``eval.engine`` naming the rule.  Without durable-rules, or on Python
3.13+, :class:`EngineUnavailable` says why.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from cmrules.compile._program import Gate, Program, element_var
from cmrules.engines._durable_host import DurableEngineError, DurableHost, DurableUnavailable, get_host
from cmrules.errors import CmrulesError, EvaluationError
from cmrules.expr._operators import COMPARISONS
from cmrules.expr._types import T

if TYPE_CHECKING:
    from cmrules.ruleset._ruleset import Version
    from cmrules.slip._payslip import PaySlip

__all__ = ["DurablePlan", "EngineUnavailable", "durable_plan", "evaluate_durable"]

_KINDS = {"int": "num", "money": "num", "decimal": "num", "rate": "num", "bool": "bool", "str": "text"}
_KINDS["period"] = "text"
_LIMIT = 10**18  # |v·10^s| from here on is clamped; every constant stays below it
_CLAMP = 2**62  # beyond every encoded constant, within the engine's signed 64 bits
_FOR_EACH = re.compile(r"\s*\w+\s+in\s+(\w+)\s*")
_CONST = re.compile(r"k\d+")  # the plan's constants (literals, parameters without dates)
_OPS = COMPARISONS
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "==", "in": "not in", "not in": "in"}
_DURABLE_OPS = {"==": "$eq", "!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
_ENGINE = "(durable engine)"  # the rule named by a failure that belongs to no rule

Key = tuple[str, str, str | None]  # ("s", input, field) or ("e", list input, field)
Term = tuple[Any, ...]  # ("cmp", key, op, constant) | ("all" | "any", [terms])


class EngineUnavailable(CmrulesError):
    """``engine="durable"`` cannot run: durable-rules is missing or unsupported, or refused the ruleset."""


# -- numbers -------------------------------------------------------------------------


def _places(value: int | Decimal) -> int:
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
        whole = value * 10**scale
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
    return 2 * whole + (1 if rest else 0)


def encode_constant(value: int | Decimal, scale: int) -> int | None:
    """``2·value·10^scale``, or None when it is not whole or not below 10^18 in size."""
    numerator, denominator = value.as_integer_ratio()
    whole, rest = divmod(numerator * 10**scale, denominator)
    if rest or not -_LIMIT < whole < _LIMIT:
        return None
    return 2 * whole


def _encode_bool(value: Any) -> bool:
    if type(value) is not bool:
        raise TypeError(f"expected true/false, got {value!r}")
    return value


# -- translation -----------------------------------------------------------------------

_NOT_CONSTANT = object()


@dataclass
class _Rule:
    index: int
    elem_var: str | None  # the for_each element's variable in the plan, when it is an input list's
    list_name: str | None
    elem_type: T | None


class _Translator:
    """Turns the generated conditions of one program into terms over input fields."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.kinds: dict[Key, str] = {}  # "num" | "bool" | "text"

    def rule(self, index: int) -> _Rule:
        info = self.program.rules[index]
        match = _FOR_EACH.fullmatch(info.for_each or "")
        typ = self.program.input_types.get(match.group(1)) if match else None
        if match is None or typ is None or typ.kind != "list" or typ.elem is None:
            return _Rule(index, None, None, None)
        return _Rule(index, element_var(index), match.group(1), typ.elem)

    def terms(self, rule: _Rule) -> list[Term]:
        """The translations of the leading operands of the rule's condition, up to the first that fails."""
        out = []
        for conjunct in self.program.conjuncts(rule.index):
            term = self.term(conjunct, rule, negate=False)
            if term is None:
                break
            out.append(term)
        return out

    def term(self, node: ast.expr, rule: _Rule, negate: bool) -> Term | None:
        if isinstance(node, ast.BoolOp):
            parts = [self.term(value, rule, negate) for value in node.values]
            if any(part is None for part in parts):
                return None
            both = isinstance(node.op, ast.And) != negate  # De Morgan under 'not'
            return ("all" if both else "any", parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self.term(node.operand, rule, not negate)
        if isinstance(node, ast.Compare):
            parts, left = [], node.left
            for op, right in zip(node.ops, node.comparators, strict=True):
                part = self.compare(left, _OPS.get(type(op)), right, rule, negate)
                if part is None:
                    return None
                parts.append(part)
                left = right
            return parts[0] if len(parts) == 1 else ("any" if negate else "all", parts)
        key = self.operand(node, rule)
        if key is not None and self.kinds[key] == "bool":
            return ("cmp", key, "==", not negate)
        return None

    def compare(
        self, left: ast.expr, op: str | None, right: ast.expr, rule: _Rule, negate: bool
    ) -> Term | None:
        if op is None:
            return None
        if op in ("in", "not in"):
            key = self.operand(left, rule)
            if key is None or not isinstance(right, ast.Tuple | ast.List):
                return None
            values = [self.constant(elt) for elt in right.elts]
            if not all(self.fits(key, value) for value in values):
                return None
            op = _NEGATE[op] if negate else op
            if op == "in":
                return ("any", [("cmp", key, "==", value) for value in values])
            return ("all", [("cmp", key, "!=", value) for value in values])
        key, value = self.operand(left, rule), self.constant(right)
        if key is None:
            key, value, op = self.operand(right, rule), self.constant(left), _MIRROR[op]
        if key is None or not self.fits(key, value):
            return None
        if op not in ("==", "!=") and self.kinds[key] != "num":
            return None
        return ("cmp", key, _NEGATE[op] if negate else op, value)

    def operand(self, node: ast.expr, rule: _Rule) -> Key | None:
        """The input field ``node`` reads: an input, a record input's field, the element or its field."""
        program = self.program
        sub: str | None = None
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Name):
            name = self.constant(node.slice)
            if not isinstance(name, str):
                return None
            node, sub = node.value, name
        if not isinstance(node, ast.Name):
            return None
        source = program.input_vars.get(node.id)
        if source is not None:
            key: Key = ("s", source, sub)
            typ = program.input_types[source]
        elif node.id == rule.elem_var and rule.list_name is not None and rule.elem_type is not None:
            key, typ = ("e", rule.list_name, sub), rule.elem_type
        else:
            return None
        if sub is not None:
            found = typ.field(sub) if typ.kind == "record" else None
            if found is None:
                return None
            typ = found
        kind = _KINDS.get(typ.kind)
        if kind is None:
            return None
        self.kinds[key] = kind
        return key

    def constant(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant) and type(node.value) in (bool, int):
            return node.value
        if isinstance(node, ast.Name) and _CONST.fullmatch(node.id):
            value = self.program.namespace.get(node.id, _NOT_CONSTANT)
            if type(value) in (bool, int, str) or (type(value) is Decimal and value.is_finite()):
                return value
            return _NOT_CONSTANT
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            value = self.constant(node.operand)
            if type(value) in (int, Decimal):
                return -value
        return _NOT_CONSTANT

    def fits(self, key: Key, value: Any) -> bool:
        kind = self.kinds[key]
        if kind == "num":
            return type(value) in (int, Decimal)
        return type(value) is (bool if kind == "bool" else str)


def _walk(term: Term) -> Iterable[tuple[Key, str, Any]]:
    if term[0] == "cmp":
        yield term[1], term[2], term[3]
    else:
        for part in term[1]:
            yield from _walk(part)


# -- the plan of one version --------------------------------------------------------------


@dataclass
class _Field:
    name: str  # the field's name in the engine's facts
    source: str  # input name (scalars) or list input name (elements)
    sub: str | None  # record field
    encode: Callable[[Any], Any]


@dataclass
class _List:
    kind: int
    source: str
    fields: list[_Field]
    copied: list[str]  # the scalar fields its rules read too


@dataclass
class DurablePlan:
    """How durable-rules matches one version: built on first use, once per version."""

    name: str  # the ruleset's name in the host (a hash of its rules)
    rules: dict[str, Any]  # the durable-rules JSON ruleset: ``r<rule index>`` -> condition
    gates: dict[int, Gate]  # rule index -> how much of its condition the Rete network decides
    rule_ids: list[str]  # rule index -> rule id
    scalars: list[_Field] = field(default_factory=list)  # read by rules, of the scalar fact or copied
    scalar_fact: bool = False  # whether some rule is matched against the scalar fact
    lists: list[_List] = field(default_factory=list)
    run: Callable[..., Any] | None = None  # the gated plan; None when no rule is matched
    registered: bool = False  # with the process's host

    @property
    def matched_rules(self) -> dict[str, Gate]:
        """Rule id -> its gate: the rules whose conditions the Rete network (partly) decides."""
        return {self.rule_ids[i]: gate for i, gate in self.gates.items()}

    def condition(self, rule_id: str) -> Any:
        """The durable-rules JSON rule sent for one matched rule."""
        return self.rules[f"r{self.rule_ids.index(rule_id)}"]

    def facts(self, data: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The facts to assert for one validated input."""
        scalars = {}
        for f in self.scalars:
            value = data[f.source]
            scalars[f.name] = f.encode(value if f.sub is None else value[f.sub])
        out: list[dict[str, Any]] = [{"k": 0, **scalars}] if self.scalar_fact else []
        for lst in self.lists:
            shared = {"k": lst.kind, **{name: scalars[name] for name in lst.copied}}
            for n, elem in enumerate(data[lst.source]):
                fact = {**shared, "i": n}
                for f in lst.fields:
                    fact[f.name] = f.encode(elem if f.sub is None else elem[f.sub])
                out.append(fact)
        return out

    def matches(self, firings: Iterable[tuple[str, Mapping[str, Any]]]) -> set[tuple[int, int | None]]:
        """The gate set ``G`` of the plan: ``(rule index, element index or None)`` per firing."""
        gates = self.gates
        out = set()
        for rule_name, fact in firings:
            index = int(rule_name[1:])
            out.add((index, fact["i"] if gates[index].per_element else None))
        return out

    def rule_id(self, rule_name: str | None) -> str:
        if rule_name is not None and rule_name in self.rules:
            return self.rule_ids[int(rule_name[1:])]
        return _ENGINE


def _translate(version: Version) -> DurablePlan:
    program = version.program
    translator = _Translator(program)
    found: dict[int, tuple[_Rule, list[Term]]] = {}
    for index in sorted(program.whens):
        rule = translator.rule(index)
        terms = translator.terms(rule)
        if terms:
            found[index] = (rule, terms)
    # one scale per number field: the most decimal places of the constants it meets;
    # one code per string constant of a text field
    scales: dict[Key, int] = {}
    codes: dict[Key, dict[str, int]] = {}
    for _, terms in found.values():
        for term in terms:
            for key, _, value in _walk(term):
                if translator.kinds[key] == "num":
                    scales[key] = max(scales.get(key, 0), _places(value))
                elif translator.kinds[key] == "text":
                    codes.setdefault(key, {}).setdefault(value, len(codes[key]))
    names: dict[Key, str] = {}

    def emit(term: Term) -> dict[str, Any] | None:
        if term[0] != "cmp":
            parts = [emit(part) for part in term[1]]
            if any(part is None for part in parts):
                return None
            return {"$and" if term[0] == "all" else "$or": parts}
        _, key, op, value = term
        kind = translator.kinds[key]
        if kind == "num":
            value = encode_constant(value, scales[key])
            if value is None:
                return None
        elif kind == "text":
            value = codes[key][value]
        name = names.setdefault(key, f"x{len(names)}")
        return {_DURABLE_OPS[op]: {name: value}}

    rules: dict[str, Any] = {}
    gates: dict[int, Gate] = {}
    used: dict[tuple[str, str | None], set[Key]] = {}  # ("s", None) or ("e", list) -> keys read
    list_kinds: dict[str, int] = {}
    for index, (rule, terms) in found.items():
        conditions, keys = [], set()
        for term in terms:
            condition = emit(term)
            if condition is None:
                break
            conditions.append(condition)
            keys |= {key for key, _, _ in _walk(term)}
        if not conditions:
            continue
        per_element = any(key[0] == "e" for key in keys)
        if per_element:
            assert rule.list_name is not None
            kind = list_kinds.setdefault(rule.list_name, len(list_kinds) + 1)
            group: tuple[str, str | None] = ("e", rule.list_name)
        else:
            kind, group = 0, ("s", None)
        used.setdefault(group, set()).update(keys)
        rules[f"r{index}"] = {"all": [{"m": {"$and": [{"$eq": {"k": kind}}, *conditions]}}]}
        gates[index] = Gate(len(conditions), per_element)

    def field_of(key: Key) -> _Field:
        kind = translator.kinds[key]
        encode: Callable[[Any], Any]
        if kind == "num":
            encode = partial(encode_number, scale=scales[key])
        elif kind == "text":
            encode = partial(_text_code, codes[key])
        else:
            encode = _encode_bool
        return _Field(names[key], key[1], key[2], encode)

    def order(keys: Iterable[Key]) -> list[Key]:
        return sorted(keys, key=lambda key: int(names[key][1:]))

    scalars = [field_of(key) for key in order({k for keys in used.values() for k in keys if k[0] == "s"})]
    lists = []
    for list_name, kind in list_kinds.items():
        keys = order(used[("e", list_name)])
        fields = [field_of(key) for key in keys if key[0] == "e"]
        lists.append(_List(kind, list_name, fields, [names[key] for key in keys if key[0] == "s"]))
    digest = hashlib.sha256(json.dumps(rules, sort_keys=True).encode()).hexdigest()[:40]
    return DurablePlan(
        name=f"cmrules-{digest}",
        rules=rules,
        gates=gates,
        rule_ids=[info.id for info in program.rules],
        scalars=scalars,
        scalar_fact=("s", None) in used,
        lists=lists,
        run=program.gated(gates) if gates else None,
    )


def _text_code(codes: Mapping[str, int], value: Any) -> int:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {value!r}")
    return codes.get(value, -1)


# -- entry points -------------------------------------------------------------------------

_plans: dict[int, DurablePlan] = {}  # id(version) -> plan, dropped with the version
_plans_lock = threading.Lock()


def _host() -> DurableHost:
    try:
        return get_host()
    except DurableUnavailable as exc:
        raise EngineUnavailable(f'engine="durable" is unavailable: {exc}') from exc


def durable_plan(version: Version) -> DurablePlan:
    """How durable-rules matches ``version`` (translated on first use; needs no engine)."""
    plan = _plans.get(id(version))
    if plan is None:
        with _plans_lock:
            plan = _plans.get(id(version))
            if plan is None:
                plan = _plans[id(version)] = _translate(version)
                weakref.finalize(version, _plans.pop, id(version), None)
    return plan


def _register(host: DurableHost, version: Version, plan: DurablePlan) -> None:
    with _plans_lock:
        if plan.registered:
            return
        try:
            host.register(plan.name, plan.rules)
        except (DurableEngineError, ValueError, TypeError) as exc:
            raise EngineUnavailable(
                f"durable-rules refused ruleset {version.id} {version.version}: {exc}"
            ) from exc
        plan.registered = True


def evaluate_durable(version: Version, inputs: Mapping[str, Any]) -> PaySlip:
    """Evaluate one employee-period with ``version``, durable-rules matching the conditions."""
    host = _host()
    plan = durable_plan(version)
    data = version.validator(inputs)
    if plan.run is None:  # no condition the Rete network can decide: the plan is the native one
        return version.run(data)
    if not plan.registered:
        _register(host, version, plan)
    employee = data["employee"]
    try:
        firings = host.match(plan.name, plan.facts(data))
    except DurableEngineError as exc:
        raise EvaluationError(
            employee, plan.rule_id(exc.rule_name), f"durable-rules: {exc.message}", code="eval.engine"
        ) from exc
    except (TypeError, ValueError, KeyError) as exc:  # a fact the host refused: never a wrong slip
        raise EvaluationError(
            employee, _ENGINE, f"durable-rules refused the facts: {exc}", code="eval.engine"
        ) from exc
    return version.run(data, partial(plan.run, G=plan.matches(firings)))
