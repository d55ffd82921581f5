"""Checking the operators of an expression: arithmetic, powers, negation, ``and``/``or``,
comparisons, conditionals and list literals."""

from __future__ import annotations

import ast

from cmrules._money import CONTEXT
from cmrules.expr import _explain as ex
from cmrules.expr._base import CheckerBase, Result
from cmrules.expr._errors import ExprError, describe, none_here
from cmrules.expr._symbols import State
from cmrules.expr._types import BOOL, DECIMAL, INT, MONEY, NONE, T, arith, certain, comparable, maybe

MAX_POWER = 12
#: Whole numbers are bounded like decimals: at most the context's 34 significant digits, so
#: that ``((x**12)**12)**12`` fails at once instead of computing millions of digits.
INT_DIGITS = CONTEXT.prec
INT_LIMIT = 10**INT_DIGITS
TOO_LARGE = (
    f"this whole number has more than {INT_DIGITS} digits (arithmetic keeps at most {INT_DIGITS} "
    "significant digits)"
)

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


def as_decimal(code: str, typ: T) -> str:
    """The code of a number as a ``Decimal`` (an int made one; None stays None)."""
    if typ.kind != "int":
        return code
    return f"_Dn({code})" if typ.optional else f"_D({code})"


class OperatorChecks(CheckerBase):
    """Checks operators, comparisons, conditionals and list literals."""

    def _BinOp(self, node: ast.BinOp, st: State) -> Result:
        op = type(node.op)
        if op is ast.Pow:
            return self._power(node, st)
        symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}.get(op)
        if symbol is None:
            raise ExprError("expr.forbidden", f"operator {describe(node.op)} is not allowed", node)
        lc, lt, ln = self._expr(node.left, st)
        rc, rt, rn = self._expr(node.right, st)
        if not (lt.numeric and rt.numeric):
            raise ExprError("expr.type", f"cannot apply '{symbol}' to {lt} and {rt}", node)
        result = arith(lt, rt)
        if symbol == "/":
            result = MONEY if result == MONEY else DECIMAL
            if lt == INT and rt == INT:
                lc = f"_D({lc})"
        code = f"({lc} {symbol} {rc})"
        if result == INT:
            code = self._bounded(code, node, st)
        return code, result, ex.Bin(symbol, ln, rn)

    def _bounded(self, code: str, node: ast.BinOp, st: State) -> str:
        """The code of a whole-number ``+ - * **``: refused now if its operands are constants and its
        value has more than :data:`INT_DIGITS` digits, else checked by ``_I`` when it runs."""
        if constant_int(node, st) is not None:
            return code  # a constant within bounds: nothing to check when it runs
        return f"_I{code}"

    def _power(self, node: ast.BinOp, st: State) -> Result:
        exp = node.right
        lit = st.parsed.literals.get(exp.id) if isinstance(exp, ast.Name) else None
        if lit is None or not isinstance(lit.value, int) or not 0 <= lit.value <= MAX_POWER:
            raise ExprError(
                "expr.power", f"'**' needs a whole-number literal exponent from 0 to {MAX_POWER}", node
            )
        bc, bt, bn = self._expr(node.left, st)
        if not bt.numeric:
            raise ExprError("expr.type", f"cannot raise {bt} to a power", node)
        code = f"({bc} ** {lit.value})"
        if bt == INT:
            code = self._bounded(code, node, st)
        return code, bt, ex.Bin("**", bn, ex.Lit(lit.value, lit.text))

    def _UnaryOp(self, node: ast.UnaryOp, st: State) -> Result:
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
        raise ExprError("expr.forbidden", f"operator {describe(node.op)} is not allowed", node)

    def _BoolOp(self, node: ast.BoolOp, st: State) -> Result:
        parts = []
        for value in node.values:
            code, typ, _ = self._expr(value, st)
            if typ != BOOL:
                raise ExprError("expr.type", f"'and'/'or' need conditions, got {typ}", value)
            parts.append(code)
        word = " and " if isinstance(node.op, ast.And) else " or "
        out = "(" + word.join(parts) + ")"
        return out, BOOL, self._opaque(out, BOOL, st)

    def _Compare(self, node: ast.Compare, st: State) -> Result:
        ops = COMPARISONS
        left_code, left_t, _ = self._expr(node.left, st, none_ok=True)
        out = [left_code]
        for op, right in zip(node.ops, node.comparators, strict=True):
            symbol = ops.get(type(op))
            if symbol is None:
                raise ExprError("expr.forbidden", f"comparison {describe(op)} is not allowed", node)
            right_code, right_t, _ = self._expr(right, st, none_ok=True)
            if symbol in ("in", "not in"):
                if right_t.optional or right_t.kind != "list" or right_t.elem is None:
                    raise ExprError("expr.type", f"'{symbol}' needs a list on its right, got {right_t}", node)
                if not comparable(left_t, right_t.elem, ordered=False):
                    raise ExprError("expr.type", f"cannot look for {left_t} in {right_t}", node)
            elif symbol not in ("==", "!=") and (left_t.optional or right_t.optional):
                raise none_here(*((left_t, node.left) if left_t.optional else (right_t, right)))
            elif not comparable(left_t, right_t, ordered=symbol not in ("==", "!=")):
                raise ExprError("expr.type", f"cannot compare {left_t} {symbol} {right_t}", node)
            out += [symbol, right_code]
            left_t = right_t
        code = "(" + " ".join(out) + ")"
        return code, BOOL, self._opaque(code, BOOL, st)

    def _IfExp(self, node: ast.IfExp, st: State) -> Result:
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

    def _Tuple(self, node: ast.Tuple | ast.List, st: State) -> Result:
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


def constant_int(node: ast.AST, st: State) -> int | None:
    """The value of a whole-number expression of literals only (None if it reads anything else);
    ``expr.overflow`` if it has more than :data:`INT_DIGITS` digits.

    Its operands are checked first, so each is within bounds and each step is cheap.
    """
    if isinstance(node, ast.Name):
        lit = st.parsed.literals.get(node.id)
        return lit.value if lit is not None and isinstance(lit.value, int) else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = constant_int(node.operand, st)
        return None if value is None else -value if isinstance(node.op, ast.USub) else value
    if not isinstance(node, ast.BinOp) or not isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Pow)):
        return None
    left = constant_int(node.left, st)
    right = constant_int(node.right, st) if left is not None else None
    if left is None or right is None:
        return None
    if isinstance(node.op, ast.Add):
        value = left + right
    elif isinstance(node.op, ast.Sub):
        value = left - right
    elif isinstance(node.op, ast.Mult):
        value = left * right
    else:  # the exponent is a literal from 0 to MAX_POWER: at most 12 × 34 digits to compute
        value = left**right
    if not -INT_LIMIT < value < INT_LIMIT:
        raise ExprError("expr.overflow", TOO_LARGE, node)
    return value
