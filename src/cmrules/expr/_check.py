"""Check a parsed expression against the whitelist, resolve names, infer types,
and generate Python source for it.

The generated source only ever contains identifiers made here (``v3``, ``k0``,
``L2`` …) and reprs of ints: no text of the ruleset reaches it verbatim (names
and strings of the ruleset become constants ``k…``).
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cmrules.expr import _explain as ex
from cmrules.expr._parse import Parsed
from cmrules.expr._types import (
    BOOL,
    DATE,
    DECIMAL,
    INT,
    MONEY,
    NONE,
    STR,
    T,
    arith,
    certain,
    comparable,
    maybe,
)

MAX_POWER = 12
#: Generators nested in one another (each multiplies the work by a list's length).
MAX_GENERATORS = 2
RESERVED = frozenset({"lines", "totals", "True", "False", "None"})
CATEGORIES = ("earning", "deduction", "fine", "forfeiture", "adjustment")


def line_var(position: int) -> str:
    """The generated variable holding the sum of the lines of the rule at ``position``."""
    return f"L{position}"


#: The comparison operators of the language, as Python source.
COMPARISONS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}


class ExprError(Exception):
    def __init__(self, code: str, message: str, node: ast.AST | None = None):
        super().__init__(message)
        self.code, self.message, self.node = code, message, node


@dataclass(frozen=True)
class Symbol:
    """A name visible to expressions.

    ``dep`` is the dependency key the engine orders rules by (None for names
    local to one rule); ``var`` is the Python identifier in generated code.
    """

    name: str
    type: T
    var: str
    dep: tuple[str, str] | None
    percent: bool = False  # a rate: explanations show it as "3%"


@dataclass(frozen=True)
class Callee:
    """A table or tier callable from expressions."""

    name: str
    var: str
    params: tuple[T, ...]
    result: T
    tier: Any = None  # the tier spec, for explanations that expand it


@dataclass
class Scope:
    symbols: dict[str, Symbol]
    parent: Scope | None = None

    def get(self, name: str) -> Symbol | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.symbols:
                return scope.symbols[name]
            scope = scope.parent
        return None

    def names(self) -> list[str]:
        out: list[str] = []
        scope: Scope | None = self
        while scope is not None:
            out.extend(scope.symbols)
            scope = scope.parent
        return out


@dataclass
class Consts:
    """Module-level constants of generated code (Decimal literals, strings)."""

    values: dict[str, Any] = field(default_factory=dict)
    _index: dict[tuple[type, Any], str] = field(default_factory=dict)

    def name(self, value: Any) -> str:
        key = (type(value), value if not hasattr(value, "as_tuple") else value.as_tuple())
        if key not in self._index:
            var = f"k{len(self.values)}"
            self._index[key] = var
            self.values[var] = value
        return self._index[key]


@dataclass
class Compiled:
    """One checked expression."""

    type: T
    code: str
    reads: tuple[Symbol, ...]  # symbols read, in first-read order, loop variables excluded
    explain: ex.Node


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
    }
)


class Checker:
    """Compiles expressions of one ruleset; ``lambdas`` collects helper code for explanations."""

    def __init__(
        self,
        callees: dict[str, Callee],
        consts: Consts,
        places: int,
        rule_ids: Mapping[str, int],
        line_kinds: dict[str, str],
    ):
        self.callees = callees
        self.consts = consts
        self.places = places
        self.rule_ids = rule_ids  # rule id -> its position, which names its line-sum variable
        self.line_kinds = line_kinds  # rule id -> category of its lines
        self.lambdas: list[str] = []
        self._loop = 0

    # -- entry point -------------------------------------------------------
    def compile(self, parsed: Parsed, scope: Scope, want: T | None = None) -> Compiled:
        state = _State(parsed, scope)
        code, typ, node = self._expr(parsed.tree, state, none_ok=True)  # a fact or a notice may hold None
        if want is not None and want == BOOL and typ != BOOL:
            raise ExprError("expr.type", f"expected a condition (true/false), got {typ}", parsed.tree)
        if want is not None and want.numeric and (typ.optional or not typ.numeric):
            raise ExprError("expr.type", f"expected a number, got {typ}", parsed.tree)
        return Compiled(typ, code, tuple(state.reads.values()), node)

    # -- nodes -------------------------------------------------------------
    def _expr(self, node: ast.AST, st: _State, none_ok: bool = False) -> tuple[str, T, ex.Node]:
        """Code, type and explanation of ``node``; a value that may be None only where
        ``none_ok`` (anywhere else it would fail at run time with a Python message)."""
        method: Callable[[Any, _State], tuple[str, T, ex.Node]] | None = getattr(
            self, "_" + type(node).__name__, None
        )
        if method is None:
            raise ExprError("expr.forbidden", f"{_describe(node)} is not allowed in rules", node)
        code, typ, explained = method(node, st)
        if typ.optional and not none_ok:
            raise _none_here(typ, node)
        return code, typ, explained

    def _Name(self, node: ast.Name, st: _State) -> tuple[str, T, ex.Node]:
        name = node.id
        if name in st.parsed.literals:
            lit = st.parsed.literals[name]
            if isinstance(lit.value, int):
                return repr(lit.value), INT, ex.Lit(lit.value, lit.text)
            return self.consts.name(lit.value), DECIMAL, ex.Lit(lit.value, lit.text)
        if name.startswith("_"):
            raise ExprError("expr.forbidden", f"names starting with '_' are not allowed: {name}", node)
        if name in RESERVED:
            raise ExprError("expr.forbidden", f"'{name}' must be followed by '.' and a name", node)
        sym = st.scope.get(name)
        if sym is None:
            raise ExprError("expr.unknown_name", _unknown(name, st.scope.names()), node)
        if sym.dep is not None or not sym.var.startswith("g"):
            st.reads.setdefault(sym.var, sym)
        return sym.var, sym.type, ex.Var(sym.var, sym.type, sym.percent)

    def _Constant(self, node: ast.Constant, st: _State) -> tuple[str, T, ex.Node]:
        value = node.value
        if isinstance(value, bool):
            return repr(value), BOOL, ex.Lit(value, repr(value))
        if value is None:
            return "None", NONE, ex.Lit(None, "None")
        if isinstance(value, str):
            return self.consts.name(value), STR, ex.Lit(value, repr(value))
        raise ExprError("expr.forbidden", f"literal {value!r} is not allowed", node)

    def _Attribute(self, node: ast.Attribute, st: _State) -> tuple[str, T, ex.Node]:
        if node.attr.startswith("_"):
            raise ExprError("expr.forbidden", f"attribute '{node.attr}' is not allowed", node)
        base = node.value
        if isinstance(base, ast.Name) and base.id in ("lines", "totals"):
            return self._special(base.id, node.attr, node, st)
        code, typ, _ = self._expr(base, st)
        if typ.kind != "record":
            raise ExprError("expr.forbidden", f"'.{node.attr}' needs a record, got {typ}", node)
        ftype = typ.field(node.attr)
        if ftype is None:
            known = [n for n, _ in typ.fields]
            raise ExprError("expr.unknown_field", _unknown(node.attr, known, what=f"field of {typ}"), node)
        out = f"{code}[{self.consts.name(node.attr)}]"
        return out, ftype, self._opaque(out, ftype, st)

    def _special(self, space: str, attr: str, node: ast.AST, st: _State) -> tuple[str, T, ex.Node]:
        if space == "lines":
            if attr not in self.rule_ids:
                raise ExprError(
                    "expr.unknown_name", _unknown(attr, sorted(self.rule_ids), what="rule id"), node
                )
            if attr not in self.line_kinds:
                raise ExprError("expr.type", f"rule {attr} makes no lines", node)
            sym = Symbol(f"lines.{attr}", MONEY, line_var(self.rule_ids[attr]), ("lines", attr))
        else:
            if attr not in CATEGORIES:
                raise ExprError(
                    "expr.unknown_name", _unknown(attr, list(CATEGORIES), what="line category"), node
                )
            sym = Symbol(f"totals.{attr}", MONEY, f"T_{attr}", ("totals", attr))
        st.reads.setdefault(sym.var, sym)
        return sym.var, MONEY, ex.Var(sym.var, MONEY)

    def _Subscript(self, node: ast.Subscript, st: _State) -> tuple[str, T, ex.Node]:
        code, typ, _ = self._expr(node.value, st)
        key = node.slice
        if typ.kind != "map":
            raise ExprError("expr.forbidden", f"[...] needs a map, got {typ}", node)
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            raise ExprError("expr.forbidden", "a map is read with a quoted key: m['key']", node)
        if typ.fields and key.value not in dict(typ.fields):
            raise ExprError(
                "expr.unknown_field", _unknown(key.value, [n for n, _ in typ.fields], what="map key"), node
            )
        assert typ.elem is not None
        if typ.fields:  # every declared key is in the input
            out = f"{code}[{self.consts.name(key.value)}]"
        else:  # a free map has the keys its input gives: a missing one fails the rule, naming both
            shown = (
                ast.unparse(node.value) if isinstance(node.value, (ast.Name, ast.Attribute)) else "the map"
            )
            out = f"_key({code}, {self.consts.name(key.value)}, {self.consts.name(shown)})"
        return out, typ.elem, self._opaque(out, typ.elem, st)

    def _BinOp(self, node: ast.BinOp, st: _State) -> tuple[str, T, ex.Node]:
        op = type(node.op)
        if op is ast.Pow:
            return self._power(node, st)
        symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}.get(op)
        if symbol is None:
            raise ExprError("expr.forbidden", f"operator {_describe(node.op)} is not allowed", node)
        lc, lt, ln = self._expr(node.left, st)
        rc, rt, rn = self._expr(node.right, st)
        if not (lt.numeric and rt.numeric):
            raise ExprError("expr.type", f"cannot apply '{symbol}' to {lt} and {rt}", node)
        result = arith(lt, rt)
        if symbol == "/":
            result = MONEY if result == MONEY else DECIMAL
            if lt == INT and rt == INT:
                lc = f"_D({lc})"
        return f"({lc} {symbol} {rc})", result, ex.Bin(symbol, ln, rn)

    def _power(self, node: ast.BinOp, st: _State) -> tuple[str, T, ex.Node]:
        exp = node.right
        lit = st.parsed.literals.get(exp.id) if isinstance(exp, ast.Name) else None
        if lit is None or not isinstance(lit.value, int) or not 0 <= lit.value <= MAX_POWER:
            raise ExprError(
                "expr.power", f"'**' needs a whole-number literal exponent from 0 to {MAX_POWER}", node
            )
        bc, bt, bn = self._expr(node.left, st)
        if not bt.numeric:
            raise ExprError("expr.type", f"cannot raise {bt} to a power", node)
        return f"({bc} ** {lit.value})", bt, ex.Bin("**", bn, ex.Lit(lit.value, lit.text))

    def _UnaryOp(self, node: ast.UnaryOp, st: _State) -> tuple[str, T, ex.Node]:
        code, typ, sub = self._expr(node.operand, st)
        if isinstance(node.op, ast.Not):
            if typ != BOOL:
                raise ExprError("expr.type", f"'not' needs a condition, got {typ}", node)
            return f"(not {code})", BOOL, self._opaque(f"(not {code})", BOOL, st)
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            if not typ.numeric:
                raise ExprError("expr.type", f"cannot negate {typ}", node)
            if isinstance(node.op, ast.UAdd):
                return code, typ, sub
            return f"(-{code})", typ, ex.Neg(sub)
        raise ExprError("expr.forbidden", f"operator {_describe(node.op)} is not allowed", node)

    def _BoolOp(self, node: ast.BoolOp, st: _State) -> tuple[str, T, ex.Node]:
        parts = []
        for value in node.values:
            code, typ, _ = self._expr(value, st)
            if typ != BOOL:
                raise ExprError("expr.type", f"'and'/'or' need conditions, got {typ}", value)
            parts.append(code)
        word = " and " if isinstance(node.op, ast.And) else " or "
        out = "(" + word.join(parts) + ")"
        return out, BOOL, self._opaque(out, BOOL, st)

    def _Compare(self, node: ast.Compare, st: _State) -> tuple[str, T, ex.Node]:
        ops = COMPARISONS
        left_code, left_t, _ = self._expr(node.left, st, none_ok=True)
        out = [left_code]
        for op, right in zip(node.ops, node.comparators, strict=True):
            symbol = ops.get(type(op))
            if symbol is None:
                raise ExprError("expr.forbidden", f"comparison {_describe(op)} is not allowed", node)
            right_code, right_t, _ = self._expr(right, st, none_ok=True)
            if symbol in ("in", "not in"):
                if right_t.optional or right_t.kind != "list" or right_t.elem is None:
                    raise ExprError("expr.type", f"'{symbol}' needs a list on its right, got {right_t}", node)
                if not comparable(left_t, right_t.elem, ordered=False):
                    raise ExprError("expr.type", f"cannot look for {left_t} in {right_t}", node)
            elif symbol not in ("==", "!=") and (left_t.optional or right_t.optional):
                raise _none_here(*((left_t, node.left) if left_t.optional else (right_t, right)))
            elif not comparable(left_t, right_t, ordered=symbol not in ("==", "!=")):
                raise ExprError("expr.type", f"cannot compare {left_t} {symbol} {right_t}", node)
            out += [symbol, right_code]
            left_t = right_t
        code = "(" + " ".join(out) + ")"
        return code, BOOL, self._opaque(code, BOOL, st)

    def _IfExp(self, node: ast.IfExp, st: _State) -> tuple[str, T, ex.Node]:
        tc, tt, _ = self._expr(node.test, st)
        if tt != BOOL:
            raise ExprError("expr.type", f"the condition after 'if' must be true/false, got {tt}", node)
        bc, bt, bn = self._expr(node.body, st, none_ok=True)
        oc, ot, on = self._expr(node.orelse, st, none_ok=True)
        if bt.numeric and ot.numeric:
            typ = arith(bt, ot)
            if typ.kind != "int":  # an int branch must still give the Decimal its type promises
                bc = as_decimal(bc, bt)
                oc = as_decimal(oc, ot)
        elif certain(bt) == certain(ot) or NONE in (bt, ot):
            typ = certain(bt if bt != NONE else ot)
        else:
            raise ExprError("expr.type", f"both branches must have one type, got {bt} and {ot}", node)
        if bt.optional or ot.optional:
            typ = maybe(typ)
        test = self._lambda(tc, st)
        return f"({bc} if {tc} else {oc})", typ, ex.Cond(test, bn, on)

    def _Tuple(self, node: ast.Tuple | ast.List, st: _State) -> tuple[str, T, ex.Node]:
        if not node.elts:
            raise ExprError("expr.forbidden", "empty list literal", node)
        codes, types = [], []
        for elt in node.elts:
            code, typ, _ = self._expr(elt, st)
            codes.append(code)
            types.append(typ)
        first = types[0]
        if any(not comparable(first, t, ordered=False) for t in types):
            raise ExprError("expr.type", "list elements must share one type", node)
        code = "(" + ", ".join(codes) + ",)"
        typ = T("list", first)
        return code, typ, self._opaque(code, typ, st)

    _List = _Tuple

    def _GeneratorExp(self, node: ast.GeneratorExp, st: _State) -> tuple[str, T, ex.Node]:
        code, elem_t, _inner = self._generator(node, st)
        # a generator used as a value is a list (a fact or 'in' must not hold a spent iterator)
        return f"list{code}", T("list", elem_t), ex.Lit(None, "…")

    def _generator(self, node: ast.GeneratorExp, st: _State) -> tuple[str, T, str]:
        """Generated ``(elt for var in iter if ...)``, the element type, and the ``for`` clause."""
        if len(node.generators) != 1:
            raise ExprError("expr.forbidden", "one 'for' per generator", node)
        gen = node.generators[0]
        if gen.is_async or not isinstance(gen.target, ast.Name):
            raise ExprError("expr.forbidden", "write 'for x in some_list'", node)
        iter_code, iter_t, _ = self._expr(gen.iter, st)
        if iter_t.kind != "list" or iter_t.elem is None:
            raise ExprError("expr.type", f"'for' needs a list, got {iter_t}", gen.iter)
        name = gen.target.id
        if name in st.parsed.literals:
            raise ExprError("expr.forbidden", "write 'for x in some_list'", gen.target)
        if name.startswith("_") or name in RESERVED:
            raise ExprError("expr.forbidden", f"loop name '{name}' is not allowed", gen.target)
        if st.scope.get(name) is not None:  # as for let and for_each names: no silent shadowing
            raise ExprError("schema.name", f"loop name '{name}' hides a declared name", gen.target)
        if st.generators >= MAX_GENERATORS:
            raise ExprError(
                "expr.too_complex",
                f"more than {MAX_GENERATORS} nested generators (each multiplies the work by a list's length)",
                node,
            )
        self._loop += 1
        var = f"g{self._loop}"
        scope = Scope({name: Symbol(name, iter_t.elem, var, None)}, st.scope)
        inner = _State(st.parsed, scope, st.reads, quiet=True, generators=st.generators + 1)
        conds = []
        for cond in gen.ifs:
            cc, ct, _ = self._expr(cond, inner)
            if ct != BOOL:
                raise ExprError("expr.type", f"'if' in a generator needs a condition, got {ct}", cond)
            conds.append(f" if {cc}")
        elt_code, elt_t, _ = self._expr(node.elt, inner)
        clause = f"for {var} in {iter_code}{''.join(conds)}"
        return f"({elt_code} {clause})", elt_t, clause

    def _Call(self, node: ast.Call, st: _State) -> tuple[str, T, ex.Node]:
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
            raise ExprError("expr.unknown_function", _unknown(name, known, what="function"), node)
        return getattr(self, "_fn_" + name)(node, st)

    def _callee(self, callee: Callee, node: ast.Call, st: _State) -> tuple[str, T, ex.Node]:
        _arity(node, len(callee.params), len(callee.params), callee.name)
        codes, nodes = [], []
        for arg, want in zip(node.args, callee.params, strict=True):
            # a text or true/false column compares with ==: None just matches no row
            code, typ, sub = self._expr(arg, st, none_ok=want.kind in ("str", "bool"))
            if not comparable(typ, want, ordered=False):
                raise ExprError("expr.type", f"{callee.name}() expects {want}, got {typ}", arg)
            codes.append(code)
            nodes.append(sub)
        code = f"{callee.var}({', '.join(codes)})"
        if callee.tier is not None:
            return code, callee.result, ex.TierCall(callee.tier, nodes[0], self._lambda(codes[0], st))
        return code, callee.result, self._opaque(code, callee.result, st)

    # -- whitelisted functions --------------------------------------------
    def _fn_min(self, node: ast.Call, st: _State, name: str = "min") -> tuple[str, T, ex.Node]:
        _arity(node, 1, 16, name)
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

    def _fn_max(self, node: ast.Call, st: _State) -> tuple[str, T, ex.Node]:
        return self._fn_min(node, st, "max")

    def _fn_abs(self, node: ast.Call, st: _State) -> tuple[str, T, ex.Node]:
        _arity(node, 1, 1, "abs")
        codes, types, nodes = self._args(node, st)
        if not types[0].numeric:
            raise ExprError("expr.type", f"abs() needs a number, got {types[0]}", node)
        return f"abs({codes[0]})", types[0], ex.Fn("abs", nodes)

    def _fn_round(self, node: ast.Call, st: _State) -> tuple[str, T, ex.Node]:
        _arity(node, 1, 2, "round")
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

    def _fn_sum(self, node: ast.Call, st: _State) -> tuple[str, T, ex.Node]:
        _arity(node, 1, 1, "sum")
        code, typ = self._iterable(node.args[0], st, "sum")
        if not typ.numeric:
            raise ExprError("expr.type", f"sum() needs numbers, got {typ}", node)
        out = f"sum({code})" if typ == INT else f"sum({code}, _Z)"
        return out, typ, self._opaque(out, typ, st)

    def _fn_count(self, node: ast.Call, st: _State) -> tuple[str, T, ex.Node]:
        _arity(node, 1, 1, "count")
        arg = node.args[0]
        if isinstance(arg, ast.GeneratorExp):
            _, _, clause = self._generator(arg, st)
            out = f"sum(1 {clause})"
        else:
            code, _ = self._iterable(arg, st, "count")
            out = f"len({code})"
        return out, INT, self._opaque(out, INT, st)

    def _fn_len(self, node: ast.Call, st: _State) -> tuple[str, T, ex.Node]:
        _arity(node, 1, 1, "len")
        code, typ, _ = self._expr(node.args[0], st)
        if typ.kind not in ("list", "map", "str"):
            raise ExprError("expr.type", f"len() needs a list or map, got {typ}", node)
        out = f"len({code})"
        return out, INT, self._opaque(out, INT, st)

    def _fn_any(self, node: ast.Call, st: _State, name: str = "any") -> tuple[str, T, ex.Node]:
        _arity(node, 1, 1, name)
        code, typ = self._iterable(node.args[0], st, name)
        if typ != BOOL:
            raise ExprError("expr.type", f"{name}() needs conditions, got {typ}", node)
        out = f"{name}({code})"
        return out, BOOL, self._opaque(out, BOOL, st)

    def _fn_all(self, node: ast.Call, st: _State) -> tuple[str, T, ex.Node]:
        return self._fn_any(node, st, "all")

    def _fn_values(self, node: ast.Call, st: _State, keys: bool = False) -> tuple[str, T, ex.Node]:
        fname = "keys" if keys else "values"
        _arity(node, 1, 1, fname)
        code, typ, _ = self._expr(node.args[0], st)
        if typ.kind != "map":
            raise ExprError("expr.type", f"{fname}() needs a map, got {typ}", node)
        out = f"list({code}.{fname}())"
        result = T("list", STR if keys else typ.elem)
        return out, result, self._opaque(out, result, st)

    def _fn_keys(self, node: ast.Call, st: _State) -> tuple[str, T, ex.Node]:
        return self._fn_values(node, st, keys=True)

    def _fn_date_in_month(self, node: ast.Call, st: _State) -> tuple[str, T, ex.Node]:
        _arity(node, 3, 3, "date_in_month")
        codes, types, _ = self._args(node, st)
        if types[0].kind != "period" or types[1] != INT or types[2] != INT:
            raise ExprError(
                "expr.type",
                "date_in_month(period, months_after, day) takes a period and two whole numbers",
                node,
            )
        out = f"_date_in_month({', '.join(codes)})"
        return out, DATE, self._opaque(out, DATE, st)

    def _fn_period_start(self, node: ast.Call, st: _State, end: bool = False) -> tuple[str, T, ex.Node]:
        fname = "period_end" if end else "period_start"
        _arity(node, 1, 1, fname)
        codes, types, _ = self._args(node, st)
        if types[0].kind != "period":
            raise ExprError("expr.type", f"{fname}() needs a period, got {types[0]}", node)
        out = f"_{fname}({codes[0]})"
        return out, DATE, self._opaque(out, DATE, st)

    def _fn_period_end(self, node: ast.Call, st: _State) -> tuple[str, T, ex.Node]:
        return self._fn_period_start(node, st, end=True)

    # -- helpers -------------------------------------------------------------
    def _args(self, node: ast.Call, st: _State) -> tuple[list[str], list[T], list[ex.Node]]:
        codes, types, nodes = [], [], []
        for arg in node.args:
            code, typ, sub = self._expr(arg, st)
            codes.append(code)
            types.append(typ)
            nodes.append(sub)
        return codes, types, nodes

    def _iterable(self, arg: ast.AST, st: _State, fname: str) -> tuple[str, T]:
        if isinstance(arg, ast.GeneratorExp):
            code, elem_t, _ = self._generator(arg, st)
            return code, elem_t
        code, typ, _ = self._expr(arg, st)
        if typ.kind != "list" or typ.elem is None:
            raise ExprError("expr.type", f"{fname}() needs a list or a generator, got {typ}", arg)
        return code, typ.elem

    def _opaque(self, code: str, typ: T, st: _State) -> ex.Node:
        return ex.Value(self._lambda(code, st), typ)

    def _lambda(self, code: str, st: _State) -> ex.Lambda:
        """Register ``code`` as a helper of the reads so far (for explanations)."""
        if st.quiet:  # inside a generator: explanations show the generator's result only
            return _NO_LAMBDA
        args = tuple(st.reads)
        var = f"x{len(self.lambdas)}"
        self.lambdas.append(f"def {var}({', '.join(args)}):\n    return {code}\n")
        return ex.Lambda(var, args)


@dataclass
class _State:
    parsed: Parsed
    scope: Scope
    reads: dict[str, Symbol] = field(default_factory=dict)
    quiet: bool = False
    generators: int = 0  # generators this part of the expression is inside


_NO_LAMBDA = ex.Lambda("", ())


def _none_here(typ: T, node: ast.AST) -> ExprError:
    """The error for a value that may be None where None would fail at run time."""
    what = "None (no value)" if typ == NONE else f"this {certain(typ)}, which can be None (no value),"
    return ExprError(
        "expr.type",
        f"{what} cannot be used here: only == and != (x != None), a conditional's branch, "
        "a text or true/false table column, a fact, a let or a notice take it",
        node,
    )


def as_decimal(code: str, typ: T) -> str:
    """The code of a number as a ``Decimal`` (an int made one; None stays None)."""
    if typ.kind != "int":
        return code
    return f"_Dn({code})" if typ.optional else f"_D({code})"


def _arity(node: ast.Call, low: int, high: int, name: str) -> None:
    n = len(node.args)
    if not low <= n <= high:
        want = str(low) if low == high else f"{low} to {high}"
        raise ExprError("expr.arity", f"{name}() takes {want} argument(s), got {n}", node)


def _unknown(name: str, known: list[str], what: str = "name") -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown {what} '{name}'{hint}"


def _describe(node: ast.AST) -> str:
    return {
        "Mod": "'%' (modulo)",
        "FloorDiv": "'//'",
        "MatMult": "'@'",
        "LShift": "'<<'",
        "RShift": "'>>'",
        "BitOr": "'|'",
        "BitAnd": "'&'",
        "BitXor": "'^'",
        "Invert": "'~'",
        "Is": "'is'",
        "IsNot": "'is not'",
        "Lambda": "lambda",
        "ListComp": "a list comprehension",
        "SetComp": "a set comprehension",
        "DictComp": "a dict comprehension",
        "Dict": "a dict",
        "Set": "a set",
        "Starred": "'*'",
        "NamedExpr": "':='",
        "JoinedStr": "an f-string",
        "Await": "await",
        "Yield": "yield",
        "Slice": "a slice",
    }.get(type(node).__name__, type(node).__name__)
