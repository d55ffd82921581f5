"""Check a parsed expression against the whitelist, resolve names, infer types,
and generate Python source for it.

The generated source only ever contains identifiers made here (``v3``, ``k0``,
``L2`` …) and reprs of ints: no text of the ruleset reaches it verbatim (names
and strings of the ruleset become constants ``k…``).

Each kind of node is checked by its own part: names (:mod:`._names`), operators
(:mod:`._operators`), calls (:mod:`._calls`) and generators (:mod:`._generators`).
"""

from __future__ import annotations

from cmrules.expr._calls import CallChecks
from cmrules.expr._errors import ExprError
from cmrules.expr._names import NameChecks
from cmrules.expr._operators import OperatorChecks
from cmrules.expr._parse import Parsed
from cmrules.expr._symbols import Compiled, Scope, State
from cmrules.expr._types import BOOL, T


class Checker(NameChecks, OperatorChecks, CallChecks):
    """Compiles expressions of one ruleset; ``lambdas`` collects helper code for explanations."""

    def compile(self, parsed: Parsed, scope: Scope, want: T | None = None) -> Compiled:
        """Check ``parsed`` in ``scope``: its code, type, reads and explanation.

        ``want`` BOOL asks for a condition, a numeric type for a number that is never None.
        """
        st = State(parsed, scope)
        code, typ, node = self._expr(parsed.tree, st, none_ok=True)  # a fact or a notice may hold None
        if want is not None and want == BOOL and typ != BOOL:
            raise ExprError("expr.type", f"expected a condition (true/false), got {typ}", parsed.tree)
        if want is not None and want.numeric and (typ.optional or not typ.numeric):
            raise ExprError("expr.type", f"expected a number, got {typ}", parsed.tree)
        return Compiled(typ, code, tuple(st.reads.values()), node)
