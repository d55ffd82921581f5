"""Declaring the ruleset's names: inputs, parameters, tables, tiers and facts.

Each declared name becomes a :class:`Symbol` of the base scope (or a callee, for
tables and tiers) with the generated variable that holds it; a name that cannot be
declared is reported at its key and remembered as broken, so its readers are not.
"""

from __future__ import annotations

import datetime as dt
import keyword
from decimal import Decimal
from itertools import pairwise
from typing import Any

from cmrules.compile._balances import declare_balances
from cmrules.compile._context import BAD, Context, Path
from cmrules.compile._declare_tables import declare_table
from cmrules.compile._tables import TierFn
from cmrules.expr._calls import FUNCTIONS
from cmrules.expr._parse import in_range, out_of_range
from cmrules.expr._symbols import RESERVED, Callee, Symbol
from cmrules.expr._types import MONEY, T, maybe, name_key, scalar
from cmrules.spec._model import Fact, InputField, LineSpec, Parameter, Rule, Tier

#: Inputs every ruleset has, whether it declares them or not.
BUILTIN_INPUTS: dict[str, InputField] = {
    "employee": InputField(type="str"),
    "period": InputField(type="period"),
    "carried_deductions": InputField(type="money", ge=Decimal(0), default=Decimal(0)),
}

#: The rule every ruleset has: deductions carried from the last period make a line.
CARRIED_RULE = Rule(
    id="carried_deductions",
    label={"zh": "上期结转扣款", "en": "Deductions carried from last period"},  # type: ignore[arg-type]
    when="carried_deductions > 0",
    line=LineSpec(category="deduction", amount="carried_deductions"),
)


def input_type(spec: InputField, name: str = "") -> T:
    """The expression type of an input declared as ``spec`` (``name`` names a record type)."""
    if spec.type == "list":
        assert spec.of is not None
        return T("list", input_type(spec.of, name))
    if spec.type == "record":
        assert spec.fields is not None
        fields = tuple((k, input_type(v, k)) for k, v in spec.fields.items())
        rates = tuple(k for k, v in spec.fields.items() if v.type == "rate")
        return T("record", fields=fields, name=name, rates=rates)
    if spec.type == "map":
        assert spec.values is not None
        value_t = input_type(spec.values, name)
        return T("map", value_t, fields=tuple((k, value_t) for k in spec.keys or ()))
    return scalar(spec.type)


def declare(ctx: Context) -> None:
    """Declare every name of ``ctx.doc`` in the base scope, in the order of its sections."""
    seen: dict[str, str] = {}
    doc = ctx.doc
    _declare_inputs(ctx, seen)
    for i, (name, param) in enumerate(doc.parameters.items()):
        if _check_name(ctx, name, ("parameters", name), seen):
            _declare_param(ctx, i, name, param)
    for i, (name, table) in enumerate(doc.tables.items()):
        if _check_name(ctx, name, ("tables", name), seen):
            declare_table(ctx, i, name, table)
    for i, (name, tier) in enumerate(doc.tiers.items()):
        if _check_name(ctx, name, ("tiers", name), seen):
            _declare_tier(ctx, i, name, tier)
    for i, (name, fact) in enumerate(doc.facts.items()):
        if _check_name(ctx, name, ("facts", name), seen):
            _declare_fact(ctx, i, name, fact)
    declare_balances(ctx, lambda name, path: _check_name(ctx, name, path, seen))


def _declare_inputs(ctx: Context, seen: dict[str, str]) -> None:
    ctx.inputs = dict(ctx.doc.inputs)
    for name, spec in BUILTIN_INPUTS.items():
        declared = ctx.inputs.get(name)
        if declared is None:
            ctx.inputs[name] = spec
        elif declared.type != spec.type:
            ctx.error("schema.type", f"input '{name}' must have type {spec.type}", ("inputs", name, "type"))
    for i, (name, spec) in enumerate(ctx.inputs.items()):
        if _check_name(ctx, name, ("inputs", name), seen):
            _check_fields(ctx, spec, ("inputs", name))
            ctx.base.symbols[name_key(name)] = Symbol(name, input_type(spec, name), f"v{i}", ("input", name))
            ctx.notes.name(f"v{i}", f"input {name}")


def _check_name(ctx: Context, name: str, path: Path, seen: dict[str, str]) -> bool:
    """Whether ``name`` is usable and not yet declared (in its NFKC form, as expressions read it:
    ``ｓａｌｅｓ`` beside ``sales`` would never be read, ``ｍａｘ`` would be the function)."""
    if not usable_name(name):
        ctx.error(
            "schema.name",
            f"'{name}' is not a usable name (an identifier, not a "
            "keyword, function or reserved word, not starting with '_')",
            path,
            at_key=True,
        )
        return False
    key = name_key(name)
    if key in seen:
        same = "" if key == name else f" (expressions read it as '{key}')"
        message = f"'{name}'{same} is already declared as {seen[key]}"
        ctx.error("schema.duplicate_name", message, path, at_key=True)
        return False
    seen[key] = path[0]
    return True


def usable_name(name: str) -> bool:
    """An identifier, also in its NFKC form, that is no keyword, function or reserved word and does not
    start with '_'."""
    key = name_key(name)
    return (
        name.isidentifier()
        and key.isidentifier()
        and not keyword.iskeyword(key)
        and not key.startswith("_")
        and key not in RESERVED
        and key not in FUNCTIONS
    )


def _check_fields(ctx: Context, spec: InputField, path: Path, top: bool = True) -> None:
    for bound in ("ge", "gt", "le", "lt"):
        value = getattr(spec, bound)
        if value is not None and not in_range(value):
            ctx.error("schema.value", out_of_range(str(value)), (*path, bound))
    if not top and "default" in spec.model_fields_set:
        ctx.error(
            "schema.value",
            "only top-level inputs have a default; a record field, list element or map value "
            "is given in every element",
            (*path, "default"),
            at_key=True,
        )
    seen: dict[str, str] = {}
    for sub, child in (spec.fields or {}).items():
        key = name_key(sub)
        if not (sub.isidentifier() and key.isidentifier()) or key.startswith("_") or keyword.iskeyword(key):
            ctx.error(
                "schema.name", f"'{sub}' is not a usable field name", (*path, "fields", sub), at_key=True
            )
        elif key in seen:
            message = f"field '{sub}' is the field '{seen[key]}' in expressions (names compare in NFKC form)"
            ctx.error("schema.duplicate_name", message, (*path, "fields", sub), at_key=True)
        seen.setdefault(key, sub)
        _check_fields(ctx, child, (*path, "fields", sub), top=False)
    for key, inner in (("of", spec.of), ("values", spec.values)):
        if inner is not None:
            _check_fields(ctx, inner, (*path, key), top=False)


def _declare_param(ctx: Context, i: int, name: str, param: Parameter) -> None:
    path = ("parameters", name)
    typ = scalar(param.type)
    if param.values is None:
        value = ctx.converted(param.type, param.value, (*path, "value"))
        if value is BAD:
            ctx.broken.add(name)  # its readers are not reported again
            return
        var = ctx.consts.name(value)
        ctx.base.symbols[name_key(name)] = Symbol(name, typ, var, ("param", name), param.type == "rate")
        ctx.notes.name(var, f"parameter {name}  ({ctx.where(path)})")
        return
    dated: list[tuple[dt.date, Any]] = []
    for j, item in enumerate(param.values):
        value = ctx.converted(param.type, item.value, (*path, "values", j, "value"))
        if value is not BAD:
            dated.append((item.from_, value))
    if any(a[0] >= b[0] for a, b in pairwise(dated)):
        ctx.error("param.dates", "dated values must be in strictly ascending 'from' order", (*path, "values"))
    var = f"p{i}"
    ctx.dated.append((name, dated))
    ctx.dated_vars.append(var)
    ctx.base.symbols[name_key(name)] = Symbol(name, typ, var, ("param", name), param.type == "rate")
    ctx.notes.name(var, f"parameter {name}, its value for the period  ({ctx.where(path)})")


def _declare_tier(ctx: Context, i: int, name: str, tier: Tier) -> None:
    path = ("tiers", name)
    kind = tier.brackets[0].kind
    brackets = []
    for j, b in enumerate(tier.brackets):
        at = (*path, "brackets", j)
        if b.kind != kind:
            ctx.error(
                "schema.value",
                f"bracket {j + 1} gives '{b.kind}' but bracket 1 gives '{kind}': every bracket of a "
                "tier pays the same kind (a rate, an amount_per_unit or an amount)",
                (*at, b.kind),
                at_key=True,
            )
            ctx.broken.add(name)
            continue
        start = ctx.converted("decimal", b.from_, (*at, "from"))
        # a rate is a share, an amount per unit may have more places than money, an amount is money
        value_type = {"rate": "rate", "amount_per_unit": "decimal", "amount": "money"}[kind]
        brackets.append((start, ctx.converted(value_type, getattr(b, kind), (*at, kind))))
    if name in ctx.broken or any(v is BAD for bracket in brackets for v in bracket):
        ctx.broken.add(name)
        return
    if any(a[0] >= b[0] for a, b in pairwise(brackets)):
        ctx.error(
            "tier.order",
            "brackets must start at strictly ascending 'from' values",
            (*path, "brackets"),
        )
        ctx.broken.add(name)  # reported here: its callers are not reported again
        return
    fn = TierFn(tier.mode, brackets, kind)
    var = f"r{i}"
    ctx.namespace[var] = fn
    ctx.callees[name_key(name)] = Callee(name, var, (MONEY,), MONEY, tier=fn)
    ctx.notes.name(var, f"tier {name}  ({ctx.where(path)})")


def _declare_fact(ctx: Context, i: int, name: str, fact: Fact) -> None:
    typ = scalar(fact.type) if fact.type != "list" else T("list", None)
    null_default = fact.type != "list" and "default" in fact.model_fields_set and fact.default is None
    if name in ctx.optional_facts or null_default:
        typ = maybe(typ)
    sym = Symbol(name, typ, f"f{i}", ("fact", name))
    ctx.fact_syms[name] = sym
    ctx.base.symbols[name_key(name)] = sym
    ctx.fact_inits[name] = _fact_init(ctx, fact, sym)
    ctx.notes.name(sym.var, f"fact {name}  ({ctx.where(('facts', name))})")


def _fact_init(ctx: Context, fact: Fact, sym: Symbol) -> str:
    """The code of a fact's starting value (its default is checked here, at declaration)."""
    if "default" in fact.model_fields_set:
        path = ("facts", sym.name, "default")
        if fact.type == "list":
            if fact.default not in (None, []):
                ctx.error("param.value", "a list fact starts empty: its default can only be []", path)
            return "[]"
        if fact.default is None:
            return "None"
        value = ctx.converted(fact.type, fact.default, path, f"default of fact '{sym.name}': ")
        return "_U" if value is BAD else ctx.const_code(value)
    return {
        "sum": "0" if sym.type.kind == "int" else "_Z",
        "any": "False",
        "all": "True",
        "list": "[]",
    }.get(fact.combine or "", "_U")
