"""What every part of the checker shares: its settings, the dispatch from a node to
the method checking it, and the helpers generated for explanations."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any

from cmrules.expr import _explain as ex
from cmrules.expr._errors import ExprError, describe, none_here
from cmrules.expr._symbols import Callee, Consts, State
from cmrules.expr._types import T

#: What checking a node gives: its generated code, its type and its explanation.
Result = tuple[str, T, ex.Node]

NO_LAMBDA = ex.Lambda("", ())


class CheckerBase:
    """The checker's settings and dispatch; each kind of node is checked by a method
    ``_<node type>`` (``_Name``, ``_BinOp`` …) of a subclass."""

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

    def _expr(self, node: ast.AST, st: State, none_ok: bool = False) -> Result:
        """Code, type and explanation of ``node``; a value that may be None only where
        ``none_ok`` (anywhere else it would fail at run time with a Python message)."""
        method: Callable[[Any, State], Result] | None = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise ExprError("expr.forbidden", f"{describe(node)} is not allowed in rules", node)
        code, typ, explained = method(node, st)
        if typ.optional and not none_ok:
            raise none_here(typ, node)
        return code, typ, explained

    def _args(self, node: ast.Call, st: State) -> tuple[list[str], list[T], list[ex.Node]]:
        codes, types, nodes = [], [], []
        for arg in node.args:
            code, typ, sub = self._expr(arg, st)
            codes.append(code)
            types.append(typ)
            nodes.append(sub)
        return codes, types, nodes

    def _opaque(self, code: str, typ: T, st: State, percent: bool = False, name: str = "") -> ex.Node:
        return ex.Value(self._lambda(code, st), typ, percent, name)

    def _lambda(self, code: str, st: State) -> ex.Lambda:
        """Register ``code`` as a helper of the reads so far (for explanations)."""
        if st.quiet:  # inside a generator: explanations show the generator's result only
            return NO_LAMBDA
        args = tuple(st.reads)
        var = f"x{len(self.lambdas)}"
        self.lambdas.append(f"def {var}({', '.join(args)}):\n    return {code}\n")
        return ex.Lambda(var, args, code)
