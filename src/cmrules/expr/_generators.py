"""Checking generators (``x.amount for x in bookings if …``) and the lists and
generators that aggregating functions iterate."""

from __future__ import annotations

import ast

from cmrules.expr import _explain as ex
from cmrules.expr._base import CheckerBase, Result
from cmrules.expr._errors import ExprError
from cmrules.expr._symbols import RESERVED, Scope, State, Symbol
from cmrules.expr._types import BOOL, T

#: Loops nested in one another: generators, and the for_each of the rule an expression is in
#: (each multiplies the work by a list's length, so the work is at most quadratic).
MAX_GENERATORS = 2


class GeneratorChecks(CheckerBase):
    """Checks generators: one ``for`` over a list, its ``if`` conditions, no shadowing."""

    def _GeneratorExp(self, node: ast.GeneratorExp, st: State) -> Result:
        code, elem_t, _inner = self._generator(node, st)
        # a generator used as a value is a list (a fact or 'in' must not hold a spent iterator)
        return f"list{code}", T("list", elem_t), ex.Lit(None, "…")

    def _generator(self, node: ast.GeneratorExp, st: State) -> tuple[str, T, str]:
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
        loops = st.scope.loops()
        if len(loops) >= MAX_GENERATORS:
            inside = " (the rule's for_each counts as one)" if "for_each" in loops else ""
            raise ExprError(
                "expr.too_complex",
                f"more than {MAX_GENERATORS} nested generators{inside}: each multiplies the work by a "
                "list's length",
                node,
            )
        self._loop += 1
        var = f"g{self._loop}"
        scope = Scope({name: Symbol(name, iter_t.elem, var, None)}, st.scope, loop="generator")
        inner = State(st.parsed, scope, st.reads, quiet=True)
        conds = []
        for cond in gen.ifs:
            cc, ct, _ = self._expr(cond, inner)
            if ct != BOOL:
                raise ExprError("expr.type", f"'if' in a generator needs a condition, got {ct}", cond)
            conds.append(f" if {cc}")
        elt_code, elt_t, _ = self._expr(node.elt, inner)
        clause = f"for {var} in {iter_code}{''.join(conds)}"
        return f"({elt_code} {clause})", elt_t, clause

    def _iterable(self, arg: ast.AST, st: State, fname: str) -> tuple[str, T]:
        """The code and element type of what ``fname()`` iterates: a generator or a list."""
        if isinstance(arg, ast.GeneratorExp):
            code, elem_t, _ = self._generator(arg, st)
            return code, elem_t
        code, typ, _ = self._expr(arg, st)
        if typ.kind != "list" or typ.elem is None:
            raise ExprError("expr.type", f"{fname}() needs a list or a generator, got {typ}", arg)
        return code, typ.elem
