"""Balances: values an employee carries from period to period (the ``balances:`` section).

A balance is declared as an input of its type (the value before the period; required
unless the ruleset gives an ``initial`` value, then its default), so expressions read it
by its bare name. Its ``add`` or ``set`` expression is compiled against every declared
name plus the slip's totals (``net``, ``carry_forward``, ``earnings``, ``deductions``)
and runs at the end of the generated program, after every rule: the value after the
period, rounded to the ruleset's places when it is money, is returned after the facts.
The built-in ``carried_deductions`` is the first balance of every ruleset (``set:
carry_forward``); the slip reads it from its own carry-forward, so it costs no code.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from cmrules.compile._context import BAD, Context, Node, Path
from cmrules.compile._program import BalanceSpec, RuleInfo
from cmrules.expr._check import Checker
from cmrules.expr._symbols import Scope, Symbol
from cmrules.expr._types import MONEY, assignable, name_key, scalar
from cmrules.spec._model import InputField

__all__ = ["BUILTIN_BALANCE", "balance_nodes", "declare_balances"]

#: The balance every ruleset has: deductions left owed, carried to the next period.
BUILTIN_BALANCE = BalanceSpec("carried_deductions", "money", None, Decimal(0))

#: The slip's totals a balance's expression may read, as the generated code names them.
_SLIP = {"net": "s_net", "carry_forward": "s_carry_forward", "earnings": "s_earnings"}
_SLIP["deductions"] = "s_deductions"
_TOTALS = [
    "s_earnings = T_earning + T_adjpos",
    "s_deductions = T_deduction + T_fine + T_forfeiture + T_adjneg",
    "s_total = s_earnings - s_deductions",
    "s_net = s_total if s_total > 0 else s_earnings - s_earnings",
    "s_carry_forward = -s_total if s_total < 0 else s_earnings - s_earnings",
]


def _slip_totals(capped: bool) -> list[str]:
    """The code of the slip's totals as :class:`~cmrules.PaySlip` gives them: with caps, what they
    give back (``waiver``, ``deferral``) is not deducted, and the deferred joins ``carry_forward``."""
    if not capped:
        return _TOTALS
    return [
        _TOTALS[0],
        _TOTALS[1] + " - T_waiver - T_deferral",
        *_TOTALS[2:4],
        "s_carry_forward = (-s_total if s_total < 0 else s_earnings - s_earnings) + T_deferral",
    ]


def declare_balances(ctx: Context, check_name: Callable[[str, Path], bool]) -> None:
    """Declare each balance of ``ctx.doc`` as an input of its type (after every other name, so that a
    clash is reported at the balance); ``check_name(name, path)`` says whether the name is usable."""
    specs = [BUILTIN_BALANCE]
    for name, balance in ctx.doc.balances.items():
        path = ("balances", name)
        if not check_name(name, path):
            ctx.broken.add(name)
            continue
        field: dict[str, object] = {"type": balance.type}
        field.update({k: v for k, v in (("ge", balance.ge), ("le", balance.le)) if v is not None})
        initial = None
        if balance.initial is not None:
            what = f"initial of balance '{name}': "
            initial = ctx.converted(balance.type, balance.initial, (*path, "initial"), what)
            if initial is BAD:
                ctx.broken.add(name)
                continue
            field["default"] = initial
        spec = InputField.model_validate(field)
        ctx.balance_inputs[name] = spec
        var = f"v{len(ctx.inputs)}"
        ctx.inputs[name] = spec
        ctx.base.symbols[name_key(name)] = Symbol(name, scalar(balance.type), var, ("input", name))
        ctx.notes.name(var, f"balance {name}, its value before the period")
        specs.append(BalanceSpec(name, balance.type, balance.reset_day, initial))
    ctx.balances = tuple(specs)


def balance_nodes(ctx: Context, checker: Checker) -> list[Node]:
    """A plan node per declared balance computing its value after the period (``b<j>``), to run after
    every other node; errors are reported, located and naming the balance."""
    slip = Scope({n: Symbol(n, MONEY, var, ("slip", n)) for n, var in _SLIP.items()})
    scope = Scope(dict(ctx.base.symbols), slip)
    nodes: list[Node] = []
    totals = False
    for j, spec in enumerate(ctx.balances[1:]):
        balance = ctx.doc.balances[spec.name]
        key = "add" if balance.add is not None else "set"
        text = balance.add if balance.add is not None else balance.set
        assert text is not None
        path = ("balances", spec.name, key)
        compiled = ctx.compile_expr(checker, text, scope, path, None)
        if compiled is None:
            continue
        want = scalar(spec.type)
        if compiled.type.optional or not compiled.type.numeric or not assignable(compiled.type, want):
            ctx.error(
                "expr.type",
                f"balance '{spec.name}' is {spec.type}: its '{key}' gives {compiled.type}",
                path,
            )
            continue
        before = ctx.base.symbols[name_key(spec.name)].var
        code = compiled.code if compiled.type.kind != "int" or spec.type == "int" else f"_D({compiled.code})"
        value = f"{before} + ({code})" if key == "add" else code
        if spec.type == "money":
            value = f"({value}).quantize(_E, _M)"
        guard = ctx.guard(compiled.reads)  # a fact no rule set: the balance stays as it was
        line = f"b{j} = ({value}) if {guard} else {before}" if guard else f"b{j} = {value}"
        reads_slip = any(s.dep and s.dep[0] == "slip" for s in compiled.reads)
        label = {"zh": spec.name, "en": spec.name}
        info = RuleInfo(0, f"balances.{spec.name}", label, "fact", ctx.loc.at(path))
        node = Node(info, 0, 0)
        node.code = [*(_slip_totals(bool(ctx.doc.caps)) if reads_slip and not totals else []), line]
        totals = totals or reads_slip
        nodes.append(node)
        ctx.balance_vars.append(f"b{j}")
        shown = " ".join(text.split())
        ctx.notes.name(f"b{j}", f"balance {spec.name}, its value after the period")
        ctx.notes.note(f"fact {info.id}", f"balance {spec.name}: {key} {shown}  ({ctx.where(path)})")
    return nodes
