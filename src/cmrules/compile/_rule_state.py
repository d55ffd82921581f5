"""One rule being compiled: its scope, the values it reads, and whether it is still sound."""

from __future__ import annotations

from typing import Any

from cmrules.compile._context import Context, Node, Path
from cmrules.compile._declare import CARRIED_RULE
from cmrules.compile._program import RuleInfo
from cmrules.expr._check import Checker
from cmrules.expr._symbols import Compiled, Scope, Symbol
from cmrules.expr._types import T
from cmrules.spec._model import Rule


class RuleState:
    """The rule ``rule`` (the ``r``-th, in declaration ``order``) on its way to a plan node.

    ``reads`` collects every symbol its expressions read (by generated variable, in
    first-read order); ``ok`` turns False at the first reported problem, after which
    the rule is still checked to the end but makes no node.
    """

    def __init__(
        self,
        ctx: Context,
        checker: Checker,
        rule: Rule,
        r: int,
        order: int,
        line_kinds: dict[str, str],
    ):
        self.ctx, self.checker, self.rule = ctx, checker, rule
        self.rid = rule.id
        self.path: Path = ("rules", r)
        self.line_kinds = line_kinds  # rule id -> category of its lines
        builtin = rule is CARRIED_RULE
        self.info = RuleInfo(
            len(ctx.nodes),
            rule.id,
            rule.label.model_dump(),
            "builtin" if builtin else "rule",
            (0, 0) if builtin else ctx.loc.at(self.path),
            when=rule.when,
            for_each=rule.for_each,
        )
        self.node = Node(self.info, order, rule.salience)
        self.scope = Scope({}, ctx.base)
        self.reads: dict[str, Symbol] = {}
        self.hidden: set[str] = set()  # let and loop names whose declaration failed (reported)
        self.ok = True

    def comp(self, text: str, sub: Path, want: T | None = None, base: int = 0) -> Compiled | None:
        """Compile the expression ``text`` at ``sub`` of the rule (character ``base`` of its value)."""
        compiled = self.ctx.compile_expr(
            self.checker, text, self.scope, (*self.path, *sub), self.rid, want, base, frozenset(self.hidden)
        )
        if compiled is None:
            self.ok = False
            return None
        for sym in compiled.reads:
            self.reads.setdefault(sym.var, sym)
        return compiled

    def error(
        self, code: str, message: str, sub: Path, at_key: bool = False, offset: int | None = None
    ) -> None:
        """Report a problem at ``sub`` of the rule; the rule makes no node."""
        self.ctx.error(code, message, (*self.path, *sub), self.rid, at_key, offset)
        self.ok = False

    def where(self, *sub: Any) -> str:
        """``file:line`` of ``sub`` of the rule (``built in`` for the rule every ruleset has)."""
        return self.ctx.where((*self.path, *sub))
