"""Checking the names of an expression: literals, symbols, record fields, map keys,
and ``lines.<rule>`` / ``totals.<category>``."""

from __future__ import annotations

import ast

from cmrules.expr import _explain as ex
from cmrules.expr._base import CheckerBase, Result
from cmrules.expr._errors import ExprError, unknown
from cmrules.expr._symbols import CATEGORIES, RESERVED, State, Symbol, line_var
from cmrules.expr._types import BOOL, DECIMAL, INT, MONEY, NONE, STR


class NameChecks(CheckerBase):
    """Checks names, constants, ``.field`` and ``['key']``."""

    def _Name(self, node: ast.Name, st: State) -> Result:
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
            raise ExprError("expr.unknown_name", unknown(name, st.scope.names()), node)
        if sym.dep is not None or not sym.var.startswith("g"):
            st.reads.setdefault(sym.var, sym)
        return sym.var, sym.type, ex.Var(sym.var, sym.type, sym.percent, sym.name)

    def _Constant(self, node: ast.Constant, st: State) -> Result:
        value = node.value
        if isinstance(value, bool):
            return repr(value), BOOL, ex.Lit(value, repr(value))
        if value is None:
            return "None", NONE, ex.Lit(None, "None")
        if isinstance(value, str):
            return self.consts.name(value), STR, ex.Lit(value, repr(value))
        raise ExprError("expr.forbidden", f"literal {value!r} is not allowed", node)

    def _Attribute(self, node: ast.Attribute, st: State) -> Result:
        if node.attr.startswith("_"):
            raise ExprError("expr.forbidden", f"attribute '{node.attr}' is not allowed", node)
        base = node.value
        if isinstance(base, ast.Name) and base.id in ("lines", "totals"):
            return self._special(base.id, node.attr, node, st)
        code, typ, _ = self._expr(base, st)
        if typ.kind != "record":
            raise ExprError("expr.forbidden", f"'.{node.attr}' needs a record, got {typ}", node)
        key = typ.field_key(node.attr)
        if key is None:
            known = [n for n, _ in typ.fields]
            raise ExprError("expr.unknown_field", unknown(node.attr, known, what=f"field of {typ}"), node)
        ftype = dict(typ.fields)[key]
        out = f"{code}[{self.consts.name(key)}]"
        shown = ast.unparse(node) if isinstance(base, ast.Name) else ""  # o.fee: named in explanations
        return out, ftype, self._opaque(out, ftype, st, key in typ.rates, shown)

    def _special(self, space: str, attr: str, node: ast.AST, st: State) -> Result:
        if space == "lines":
            if attr not in self.rule_ids:
                raise ExprError(
                    "expr.unknown_name", unknown(attr, sorted(self.rule_ids), what="rule id"), node
                )
            if attr not in self.line_kinds:
                raise ExprError("expr.type", f"rule {attr} makes no lines", node)
            sym = Symbol(f"lines.{attr}", MONEY, line_var(self.rule_ids[attr]), ("lines", attr))
        else:
            if attr not in CATEGORIES:
                raise ExprError(
                    "expr.unknown_name", unknown(attr, list(CATEGORIES), what="line category"), node
                )
            sym = Symbol(f"totals.{attr}", MONEY, f"T_{attr}", ("totals", attr))
        st.reads.setdefault(sym.var, sym)
        return sym.var, MONEY, ex.Var(sym.var, MONEY, name=sym.name)

    def _Subscript(self, node: ast.Subscript, st: State) -> Result:
        code, typ, _ = self._expr(node.value, st)
        key = node.slice
        if typ.kind != "map":
            raise ExprError("expr.forbidden", f"[...] needs a map, got {typ}", node)
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            raise ExprError("expr.forbidden", "a map is read with a quoted key: m['key']", node)
        if typ.fields and key.value not in dict(typ.fields):
            raise ExprError(
                "expr.unknown_field", unknown(key.value, [n for n, _ in typ.fields], what="map key"), node
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
