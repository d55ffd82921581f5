"""The state the build steps share: declared names, generated code so far, and reporting.

Each step of :func:`cmrules.compile._build.build` (declaring names, compiling facts,
rules and invariants, generating the program) is a function of one :class:`Context`.
Every problem is reported to its sink with its location; nothing stops at the first error.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cmrules._money import Rounder
from cmrules._yaml import Located
from cmrules.compile import _runtime as runtime
from cmrules.compile._calendar import helpers
from cmrules.compile._program import BalanceSpec, RuleInfo
from cmrules.compile._readable import Annotations
from cmrules.errors import IssueSink
from cmrules.expr._check import Checker
from cmrules.expr._errors import ExprError
from cmrules.expr._operators import as_decimal
from cmrules.expr._parse import ExprSyntaxError, parse
from cmrules.expr._symbols import Callee, Compiled, Consts, Scope, Symbol
from cmrules.expr._types import T, name_key
from cmrules.inputs._values import convert_value
from cmrules.spec._model import InputField, RulesetDoc

#: A YAML value that could not be converted (its problem is reported).
BAD = object()

Path = tuple[Any, ...]
Refs = tuple[tuple[str, Any], ...]


@dataclass
class Node:
    """A rule or computed fact on its way to the plan: what it reads and writes, and its code."""

    info: RuleInfo
    order: int
    salience: int
    reads: set[tuple[str, str]] = field(default_factory=set)
    writes: set[tuple[str, str]] = field(default_factory=set)
    code: list[str] = field(default_factory=list)
    when_at: int | None = None  # the line of ``code`` that tests the rule's ``when``


class Context:
    """What compiling one ruleset document has declared and generated so far."""

    def __init__(
        self, doc: RulesetDoc, located: Located, sink: IssueSink, optional_facts: frozenset[str] = frozenset()
    ):
        self.doc, self.loc, self.sink = doc, located, sink
        self.optional_facts = optional_facts  # facts whose readers must allow None
        self.none_facts: set[str] = set()  # facts found to be given a value that may be None
        self.consts = Consts()
        self.rounder = Rounder(doc.rounding.places, doc.rounding.mode)
        self.namespace: dict[str, Any] = runtime.globals_for(self.rounder) | helpers()
        self.base = Scope({})
        self.callees: dict[str, Callee] = {}
        self.dated: list[tuple[str, list[tuple[dt.date, Any]]]] = []
        self.dated_vars: list[str] = []
        self.fact_syms: dict[str, Symbol] = {}
        self.fact_inits: dict[str, str] = {}  # fact name -> code of its starting value
        self.broken: set[str] = set()  # names whose declaration failed: their readers are not reported
        self.maybe_unknown: set[str] = set()
        self.nodes: list[Node] = []
        self.table_code: list[str] = []
        self.inputs: dict[str, InputField] = {}
        self.invariant_code: list[str] = []
        self.rule_index: dict[str, int] = {}  # rule id -> position (names its line-sum variable)
        self.when_code: dict[int, str] = {}  # rule index -> code of its when
        self.balances: tuple[BalanceSpec, ...] = ()  # the built-in one first, then the declared ones
        self.balance_inputs: dict[str, InputField] = {}  # declared balance -> its input field
        self.balance_vars: list[str] = []  # the variables of the declared balances' values after
        self.notes = Annotations(f"ruleset {doc.id}, version {doc.version}  ({sink.file})")

    # -- reporting -----------------------------------------------------------
    def error(
        self,
        code: str,
        message: str,
        path: Path,
        rule_id: str | None = None,
        at_key: bool = False,
        offset: int | None = None,
    ) -> None:
        """Report at ``path`` (its key with ``at_key``; character ``offset`` of its text if given)."""
        if offset is not None:
            line, col = self.loc.char_at(path, offset)
        else:
            line, col = self.loc.key_at(path) if at_key else self.loc.at(path)
        self.sink.add(code, message, line, col, rule_id)

    def where(self, path: Path) -> str:
        """``file:line`` of ``path``, for the comments of the readable source."""
        if path[0] == "rules" and path[1] >= len(self.doc.rules):
            return "built in"  # the rule every ruleset has
        return f"{self.sink.file}:{self.loc.at(path)[0]}"

    def owner(self, path: Path) -> str:
        """The fact or invariant the YAML value at ``path`` belongs to, in words."""
        if path[0] == "invariants":
            return f"invariant {self.doc.invariants[path[1]].id}"
        return f"{path[0].rstrip('s')} {path[1]}"

    # -- values --------------------------------------------------------------
    def converted(self, kind: str, raw: Any, path: Path, what: str = "", code: str = "param.value") -> Any:
        """``raw`` converted to ``kind``, or :data:`BAD` once the problem is reported at
        ``path`` (its message after ``what``). Money has at most the ruleset's places; a
        parameter or fact default shows them (3000.00), a table cell keeps its digits."""
        try:
            value = convert_value(kind, raw)
            if kind == "money":
                money = self._money(value)
                return value if code == "table.cell" else money
            return value
        except ValueError as exc:
            self.error(code, f"{what}{exc}", path)
            return BAD

    def _money(self, value: Decimal) -> Decimal:
        """A money constant with the ruleset's places (more places would be a silent rounding)."""
        exact = value.quantize(self.rounder.exp)
        if exact != value:
            raise ValueError(f"{value} has more decimal places than the ruleset's {self.rounder.places}")
        return exact

    def const_code(self, value: Any) -> str:
        """The code of a constant value: a literal for None, bools and ints, else a named constant."""
        if value is None or isinstance(value, (bool, int)):
            return repr(value)
        return self.consts.name(value)

    # -- expressions ---------------------------------------------------------
    def compile_expr(
        self,
        checker: Checker,
        text: str,
        scope: Scope,
        path: Path,
        rule_id: str | None,
        want: T | None = None,
        base: int = 0,
        hidden: frozenset[str] = frozenset(),
    ) -> Compiled | None:
        """Compile ``text``, found at character ``base`` of the YAML value at ``path``; reading one of
        the ``hidden`` names (a let or loop name whose own error is reported) is not reported again."""
        try:
            parsed = parse(text)
        except ExprSyntaxError as exc:
            self.error(exc.code, exc.message, path, rule_id, offset=base + exc.offset)
            return None
        first = len(checker.lambdas)
        try:
            compiled = checker.compile(parsed, scope, want)
        except ExprError as exc:
            named = _named(exc)
            if named in hidden or named in {name_key(b) for b in self.broken}:  # reported where declared
                return None
            offset = parsed.source_offset(exc.node) if exc.node is not None else 0
            self.error(exc.code, exc.message, path, rule_id, offset=base + offset)
            return None
        except RecursionError:
            self.error("expr.too_complex", "expression nests too deeply", path, rule_id, offset=base)
            return None
        if len(checker.lambdas) > first:
            owner = f"rule {rule_id}" if rule_id is not None else self.owner(path)
            what = f"explanation step of {owner}, {'.'.join(str(p) for p in path[2:])}"
            for k in range(first, len(checker.lambdas)):
                self.notes.note(f"x{k}", f"{what}  ({self.where(path)})")
        return compiled

    def refs(self, reads: Iterable[Symbol]) -> tuple[str, Refs]:
        """Where each read value can be found after the run, and the code of the rule-local ones.

        Stratification runs every reader after every writer, so inputs, parameters,
        facts, line sums and totals still hold at the end of the run the values a rule
        read; only rule-local names (the element, ``let``) are captured when it fires.
        """
        local: list[str] = []
        refs: list[tuple[str, Any]] = []
        for sym in reads:
            kind = sym.dep[0] if sym.dep else "local"
            if kind == "local":
                refs.append(("local", len(local)))
                local.append(sym.var)
            elif kind == "param":
                dated = sym.var in self.dated_vars
                refs.append(("dated", self.dated_vars.index(sym.var)) if dated else ("const", sym.var))
            elif kind == "fact":
                assert sym.dep is not None
                refs.append(("fact", list(self.doc.facts).index(sym.dep[1])))
            else:
                assert sym.dep is not None
                refs.append((kind, sym.dep[1]))
        return "".join(f"{v}, " for v in local), tuple(refs)

    def guard(self, reads: Iterable[Symbol]) -> str:
        """The condition that every fact read that may be unknown is known ('' when none may be)."""
        return " and ".join(
            f"{s.var} is not _U"
            for s in reads
            if s.dep and s.dep[0] == "fact" and s.dep[1] in self.maybe_unknown
        )


def as_declared(compiled: Compiled, target: T) -> str:
    """The code of a value stored in a fact: an int made Decimal where money or decimal is declared."""
    if target.kind in ("money", "decimal"):
        return as_decimal(compiled.code, compiled.type)
    return compiled.code


def _named(exc: ExprError) -> str | None:
    """The name an unknown-name or unknown-function error is about (``lines.<id>``: the id)."""
    node = exc.node
    if exc.code == "expr.unknown_field" and isinstance(node, ast.Attribute):
        return node.attr  # an item value whose own problem is reported
    if exc.code == "expr.unknown_name":
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            return node.attr
    if exc.code == "expr.unknown_function" and isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id
    return None
