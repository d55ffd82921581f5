"""The errors of checking an expression, and the wording they share."""

from __future__ import annotations

import ast
import difflib

from cmrules.expr._types import NONE, T, certain


class ExprError(Exception):
    """A rule expression refused: a ``code`` (``expr.type`` …), a message, and the node at fault."""

    def __init__(self, code: str, message: str, node: ast.AST | None = None):
        super().__init__(message)
        self.code, self.message, self.node = code, message, node


def none_here(typ: T, node: ast.AST) -> ExprError:
    """The error for a value that may be None where None would fail at run time."""
    what = "None (no value)" if typ == NONE else f"this {certain(typ)}, which can be None (no value),"
    return ExprError(
        "expr.type",
        f"{what} cannot be used here: only == and != (x != None), a conditional's branch, "
        "a text or true/false table column, a fact, a let or a notice take it",
        node,
    )


def arity(node: ast.Call, low: int, high: int, name: str) -> None:
    """Refuse a call of ``name`` with fewer than ``low`` or more than ``high`` arguments."""
    n = len(node.args)
    if not low <= n <= high:
        want = str(low) if low == high else f"{low} to {high}"
        raise ExprError("expr.arity", f"{name}() takes {want} argument(s), got {n}", node)


def unknown(name: str, known: list[str], what: str = "name") -> str:
    """The message for an unknown ``name``, suggesting the closest of ``known``."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown {what} '{name}'{hint}"


def describe(node: ast.AST) -> str:
    """How a message names a forbidden construct (``'%' (modulo)``, ``a dict`` …)."""
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
