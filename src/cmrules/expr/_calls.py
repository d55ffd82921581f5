"""Checking calls: the ruleset's tables and tiers, and the whitelisted functions."""

from __future__ import annotations

import ast
from collections.abc import Callable

from cmrules.expr import _explain as ex
from cmrules.expr._base import Result
from cmrules.expr._calendar import CALENDAR_FUNCTIONS, CalendarChecks
from cmrules.expr._errors import ExprError, arity, unknown
from cmrules.expr._symbols import Callee, State
from cmrules.expr._types import BOOL, DATE, DECIMAL, INT, STR, T, arith, comparable, maybe

FUNCTIONS = frozenset(
    {
        "min",
        "max",
        "abs",
        "round",
        "sum",
        "count",
        "any",
        "all",
        "len",
        "values",
        "keys",
        "date_in_month",
        "period_start",
        "period_end",
        "floor",
        "ceil",
        "trunc",
    }
    | CALENDAR_FUNCTIONS
)


class CallChecks(CalendarChecks):
    """Checks calls of tables, tiers and the functions of :data:`FUNCTIONS` (``_fn_<name>``)."""

    def _Call(self, node: ast.Call, st: State) -> Result:
        func = node.func
        if not isinstance(func, ast.Name):
            raise ExprError("expr.forbidden", "only named functions can be called", node)
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise ExprError("expr.forbidden", "call arguments are positional only", node)
        name = func.id
        if name in st.parsed.literals:
            raise ExprError("expr.forbidden", "a number cannot be called", node)
        if name in self.callees:
            return self._callee(self.callees[name], node, st)
        if name not in FUNCTIONS:
            known = sorted(FUNCTIONS | set(self.callees))
            raise ExprError("expr.unknown_function", unknown(name, known, what="function"), node)
        method: Callable[[ast.Call, State], Result] = getattr(self, "_fn_" + name)
        return method(node, st)

    def _callee(self, callee: Callee, node: ast.Call, st: State) -> Result:
        arity(node, len(callee.params), len(callee.params), callee.name)
        codes, nodes = [], []
        for arg, want in zip(node.args, callee.params, strict=True):
            # a text or true/false column compares with ==: None just matches no row
            code, typ, sub = self._expr(arg, st, none_ok=want.kind in ("str", "bool"))
            if not comparable(typ, want, ordered=False):
                raise ExprError("expr.type", f"{callee.name}() expects {want}, got {typ}", arg)
            if getattr(callee.tier, "kind", "") == "amount_per_unit" and typ.kind == "money":
                raise ExprError(
                    "expr.type",
                    f"tier {callee.name} pays an amount per unit: give it a count or a number of units "
                    "(int or decimal), not money (a share of money is a 'rate' tier)",
                    arg,
                )
            codes.append(code)
            nodes.append(sub)
        code = f"{callee.var}({', '.join(codes)})"
        if callee.tier is not None:
            return code, callee.result, ex.TierCall(callee.tier, nodes[0], self._lambda(codes[0], st))
        return code, callee.result, self._opaque(code, callee.result, st, percent=callee.percent)

    def _fn_min(self, node: ast.Call, st: State, name: str = "min") -> Result:
        arity(node, 1, 16, name)
        if len(node.args) == 1:
            code, typ = self._iterable(node.args[0], st, name)
            if not typ.numeric and typ != DATE:
                raise ExprError("expr.type", f"{name}() needs numbers, got {typ}", node)
            # an empty list gives 0, or no value (None) for dates: there is no zero date
            zero = "0" if typ == INT else "None" if typ == DATE else "_Z"
            out = f"{name}({code}, default={zero})"
            typ = maybe(typ) if typ == DATE else typ
            return out, typ, self._opaque(out, typ, st)
        codes, types, nodes = self._args(node, st)
        if not all(t.numeric for t in types):
            if all(t == DATE for t in types):
                out = f"{name}({', '.join(codes)})"
                return out, DATE, self._opaque(out, DATE, st)
            raise ExprError("expr.type", f"{name}() needs numbers", node)
        typ = types[0]
        for other in types[1:]:
            typ = arith(typ, other)
        if typ.kind != "int":  # max(x, 0) must give a Decimal even when 0 wins
            codes = [f"_D({c})" if t.kind == "int" else c for c, t in zip(codes, types, strict=True)]
        return f"{name}({', '.join(codes)})", typ, ex.Fn(name, nodes)

    def _fn_max(self, node: ast.Call, st: State) -> Result:
        return self._fn_min(node, st, "max")

    def _fn_abs(self, node: ast.Call, st: State) -> Result:
        arity(node, 1, 1, "abs")
        codes, types, nodes = self._args(node, st)
        if not types[0].numeric:
            raise ExprError("expr.type", f"abs() needs a number, got {types[0]}", node)
        return f"abs({codes[0]})", types[0], ex.Fn("abs", nodes)

    def _fn_round(self, node: ast.Call, st: State) -> Result:
        arity(node, 1, 2, "round")
        code, typ, sub = self._expr(node.args[0], st)
        if not typ.numeric:
            raise ExprError("expr.type", f"round() needs a number, got {typ}", node)
        places = self.places
        if len(node.args) == 2:
            arg = node.args[1]
            lit = st.parsed.literals.get(arg.id) if isinstance(arg, ast.Name) else None
            if lit is None or not isinstance(lit.value, int) or not 0 <= lit.value <= 8:
                raise ExprError("expr.type", "round()'s places must be a whole number 0–8", arg)
            places = lit.value
        return (
            f"_round({code}, {places})",
            DECIMAL if typ == INT else typ,
            ex.Fn("round", [sub, ex.Lit(places, str(places))]),
        )

    def _places(self, node: ast.Call, st: State, name: str, default: int) -> int:
        """The literal places (0–8) of ``name(x, places)``, or ``default`` without them."""
        if len(node.args) < 2:
            return default
        arg = node.args[1]
        lit = st.parsed.literals.get(arg.id) if isinstance(arg, ast.Name) else None
        if lit is None or not isinstance(lit.value, int) or not 0 <= lit.value <= 8:
            raise ExprError("expr.type", f"{name}()'s places must be a whole number 0–8", arg)
        return lit.value

    def _fn_floor(self, node: ast.Call, st: State, name: str = "floor") -> Result:
        """``floor(x)``, ``floor(x, places)`` (and ``ceil``, ``trunc``): ``x`` to ``places`` (default 0)
        decimal places, toward −∞ (floor), +∞ (ceil) or zero (trunc); the type of ``x``."""
        arity(node, 1, 2, name)
        code, typ, sub = self._expr(node.args[0], st)
        if not typ.numeric:
            raise ExprError("expr.type", f"{name}() needs a number, got {typ}", node)
        places = self._places(node, st, name, 0)
        shown: list[ex.Node] = [sub] if len(node.args) == 1 else [sub, ex.Lit(places, str(places))]
        if typ == INT:  # a whole number is already whole
            return code, INT, ex.Fn(name, shown)
        return f"_{name}({code}, {places})", typ, ex.Fn(name, shown)

    def _fn_ceil(self, node: ast.Call, st: State) -> Result:
        return self._fn_floor(node, st, "ceil")

    def _fn_trunc(self, node: ast.Call, st: State) -> Result:
        return self._fn_floor(node, st, "trunc")

    def _fn_sum(self, node: ast.Call, st: State) -> Result:
        arity(node, 1, 1, "sum")
        code, typ = self._iterable(node.args[0], st, "sum")
        if not typ.numeric:
            raise ExprError("expr.type", f"sum() needs numbers, got {typ}", node)
        out = f"_I(sum({code}))" if typ == INT else f"sum({code}, _Z)"  # whole numbers stay bounded
        return out, typ, self._opaque(out, typ, st)

    def _fn_count(self, node: ast.Call, st: State) -> Result:
        arity(node, 1, 1, "count")
        arg = node.args[0]
        if isinstance(arg, ast.GeneratorExp):
            _, _, clause = self._generator(arg, st)
            out = f"sum(1 {clause})"
        else:
            code, _ = self._iterable(arg, st, "count")
            out = f"len({code})"
        return out, INT, self._opaque(out, INT, st)

    def _fn_len(self, node: ast.Call, st: State) -> Result:
        arity(node, 1, 1, "len")
        code, typ, _ = self._expr(node.args[0], st)
        if typ.kind not in ("list", "map", "str"):
            raise ExprError("expr.type", f"len() needs a list or map, got {typ}", node)
        out = f"len({code})"
        return out, INT, self._opaque(out, INT, st)

    def _fn_any(self, node: ast.Call, st: State, name: str = "any") -> Result:
        arity(node, 1, 1, name)
        code, typ = self._iterable(node.args[0], st, name)
        if typ != BOOL:
            raise ExprError("expr.type", f"{name}() needs conditions, got {typ}", node)
        out = f"{name}({code})"
        return out, BOOL, self._opaque(out, BOOL, st)

    def _fn_all(self, node: ast.Call, st: State) -> Result:
        return self._fn_any(node, st, "all")

    def _fn_values(self, node: ast.Call, st: State, keys: bool = False) -> Result:
        fname = "keys" if keys else "values"
        arity(node, 1, 1, fname)
        code, typ, _ = self._expr(node.args[0], st)
        if typ.kind != "map":
            raise ExprError("expr.type", f"{fname}() needs a map, got {typ}", node)
        out = f"list({code}.{fname}())"
        result = T("list", STR if keys else typ.elem)
        return out, result, self._opaque(out, result, st)

    def _fn_keys(self, node: ast.Call, st: State) -> Result:
        return self._fn_values(node, st, keys=True)

    def _fn_date_in_month(self, node: ast.Call, st: State) -> Result:
        arity(node, 3, 3, "date_in_month")
        codes, types, _ = self._args(node, st)
        if types[0].kind != "period" or types[1] != INT or types[2] != INT:
            raise ExprError(
                "expr.type",
                "date_in_month(period, months_after, day) takes a period and two whole numbers",
                node,
            )
        out = f"_date_in_month({', '.join(codes)})"
        return out, DATE, self._opaque(out, DATE, st)

    def _fn_period_start(self, node: ast.Call, st: State, end: bool = False) -> Result:
        fname = "period_end" if end else "period_start"
        arity(node, 1, 1, fname)
        codes, types, _ = self._args(node, st)
        if types[0].kind != "period":
            raise ExprError("expr.type", f"{fname}() needs a period, got {types[0]}", node)
        out = f"_{fname}({codes[0]})"
        return out, DATE, self._opaque(out, DATE, st)

    def _fn_period_end(self, node: ast.Call, st: State) -> Result:
        return self._fn_period_start(node, st, end=True)
