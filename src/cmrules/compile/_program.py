"""The compiled program of one ruleset version: what evaluation, slips and backends read."""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from cmrules._money import Rounder
from cmrules.compile._readable import Annotations
from cmrules.expr import _explain as ex
from cmrules.expr._types import T
from cmrules.spec._model import InputField


@dataclass(frozen=True)
class BalanceSpec:
    """A balance of a ruleset: a value an employee carries from period to period.

    ``type`` is ``"money"``, ``"decimal"`` or ``"int"``; ``resets`` the (month, day) on which it
    goes back to ``initial`` each year (None: never); ``initial`` its value for a first period
    (None: a ledger starts it at 0, and :meth:`Ruleset.evaluate` without a ledger requires it).
    """

    name: str
    type: str
    resets: tuple[int, int] | None
    initial: Decimal | int | None


@dataclass
class RuleInfo:
    """What the runtime needs to know of one rule (or computed fact) after compiling."""

    index: int
    id: str
    label: dict[str, str]
    kind: str  # "rule" | "fact" | "builtin" | "cap"
    position: tuple[int, int]
    category: str | None = None
    explain: ex.Node | None = None
    explain_vars: tuple[str, ...] = ()
    explain_refs: tuple[tuple[str, Any], ...] = ()
    trace_names: tuple[str, ...] = ()
    trace_refs: tuple[tuple[str, Any], ...] = ()
    notice: tuple[str, str, dict[str, list[Any]]] | None = None
    notice_types: tuple[T, ...] = ()
    forfeits: str | None = None
    forfeit_reason: dict[str, str] | None = None
    for_each: str | None = None
    when: str | None = None
    when_names: tuple[str, ...] = ()
    when_refs: tuple[tuple[str, Any], ...] = ()
    cap_targets: tuple[str, ...] = ()  # a cap (kind "cap"): the rules it reduces, in reduction order
    # the compiled explanation of its lines and its compiled notice, made when first asked for
    # (compile/_explainers.py)
    explainer: Any = field(default=None, repr=False, compare=False)
    notice_renderer: Any = field(default=None, repr=False, compare=False)

    @property
    def trace_id(self) -> str:
        """The rule's id in a slip's trace: ``fact:<id>`` for a computed fact."""
        return self.id if self.kind != "fact" else f"fact:{self.id}"


def element_var(index: int) -> str:
    """The generated variable holding the current element of the for_each of rule ``index``."""
    return f"e{index}"


class Gate(NamedTuple):
    """How :meth:`Program.gated` decides one rule's condition."""

    matched: int  # leading ``and`` operands of the condition decided by the matcher
    per_element: bool  # decided per element of the rule's for_each, else once per run


@dataclass
class Program:
    """The compiled program of one ruleset version.

    ``run(I, P, LN, NT, TR)`` evaluates one record: the inputs by name, the dated
    parameters' values for its period, and the sinks of lines, notices and trace
    entries. The rest describes the rules, facts and inputs for slips, explanations
    and backends. :attr:`source` is the generated code that was compiled;
    :meth:`readable_source` is the same code with the ruleset's names in comments.
    """

    run: Any
    namespace: dict[str, Any]
    rules: list[RuleInfo]
    facts: list[tuple[str, T]]
    dated: list[tuple[str, list[tuple[dt.date, Any]]]]
    input_types: dict[str, T]
    rounder: Rounder
    source: str
    invariants: list[InvariantInfo] = field(default_factory=list)
    input_vars: dict[str, str] = field(default_factory=dict)  # generated variable -> input name
    # run's body lines, and per rule index the body line of its ``if <when>:`` and the
    # condition's code: what :meth:`gated` rewrites
    plan: list[str] = field(default_factory=list, repr=False)
    whens: dict[int, tuple[int, str]] = field(default_factory=dict, repr=False)
    annotations: Annotations = field(default_factory=lambda: Annotations("a ruleset"), repr=False)
    # the built-in balance first, then the declared ones; ``run`` returns the declared ones' values
    # after the period at the end of its facts tuple; the input fields of the declared ones
    balances: tuple[BalanceSpec, ...] = ()
    balance_inputs: dict[str, InputField] = field(default_factory=dict, repr=False)
    # the input checks, run on every validated record before the plan (``checks:``)
    checks: tuple[CheckInfo, ...] = ()

    def readable_source(self) -> str:
        """The generated source with the ruleset's names in comments: the code to read and follow.

        It holds every code line of :attr:`source` in order, plus comments: a header listing what every
        generated name stands for (``v13  input dismissed``, ``f1  fact absence_days``,
        ``k6  Decimal('50.00')  parameter lateness_fine  (rulesets/bar.yaml:75)``), and
        before each rule, computed fact, table, invariant and explanation helper its
        ruleset name and ``file:line`` (``# rule late_fine: Late arrival fine, when not
        dismissed and m <= lateness_limit_minutes  (rulesets/bar.yaml:176)``). It is
        valid Python; the ruleset's text appears in its comments only.
        """
        return self.annotations.render(self.source)

    def conjuncts(self, index: int) -> list[ast.expr]:
        """The top-level ``and`` operands of the generated condition of rule ``index``, in order."""

        def flat(node: ast.expr) -> list[ast.expr]:
            if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
                return [part for value in node.values for part in flat(value)]
            return [node]

        return flat(ast.parse(self.whens[index][1], mode="eval").body)

    def gated(self, gates: Mapping[int, Gate]) -> Callable[..., Any]:
        """A variant of ``run`` whose conditions are partly decided outside the plan.

        It takes a sixth argument ``G``, a set of ``(rule index, element index)`` pairs
        (``None`` for the element when the gate is once per run). Rule ``i`` of ``gates``
        fires where its pair is in ``G`` and the operands of its condition after the first
        ``gates[i].matched`` hold; everything else is ``run``'s own code. It is equivalent
        to ``run`` when ``G`` holds exactly the pairs whose leading operands are true and
        those operands cannot raise (the durable backend matches only comparisons of
        inputs with constants).
        """
        lines = list(self.plan)
        for i, gate in gates.items():
            conjuncts = self.conjuncts(i)
            if not 0 < gate.matched <= len(conjuncts) or (gate.per_element and not self.rules[i].for_each):
                raise ValueError(f"gate {gate} does not fit rule {self.rules[i].id}")
            key = f"n{i}" if gate.per_element else "None"
            rest = [f"({ast.unparse(c)})" for c in conjuncts[gate.matched :]]
            at = self.whens[i][0]
            indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
            lines[at] = f"{indent}if {' and '.join([f'({i}, {key}) in G', *rest])}:"
        header = "def run_gated(I, P, LN, NT, TR, G):"
        source = "\n".join([header, *lines]) + "\n"
        namespace = dict(self.namespace)
        # rewritten from run's own generated code (see the module docstring): no ruleset text
        exec(compile(source, "<cmrules gated plan>", "exec"), namespace)
        run_gated: Callable[..., Any] = namespace["run_gated"]
        return run_gated


@dataclass
class InvariantExpr:
    """One compiled expression of an invariant: ``fn(*values)`` where ``refs`` say where each value is.

    A ref is ``("input", name)``, ``("const", var)``, ``("dated", j)``, ``("fact", j)``,
    ``("lines", rule_id)``, ``("totals", category)`` or ``("slip", name)``.
    """

    text: str
    var: str
    names: tuple[str, ...]
    refs: tuple[tuple[str, Any], ...]
    fn: Any = None


@dataclass
class CheckInfo:
    """A compiled input check (the ``checks:`` section): the record is refused with ``input.check``,
    naming ``field``, when ``when`` (if any) holds and ``require`` does not."""

    id: str
    field: str
    message: dict[str, str]
    position: tuple[int, int]
    require: InvariantExpr
    when: InvariantExpr | None = None


@dataclass
class InvariantInfo:
    """A compiled law of the ``invariants:`` section (checked by :mod:`cmrules.testing`)."""

    id: str
    label: dict[str, str] | None
    position: tuple[int, int]
    law: InvariantExpr  # ``always``: the condition; ``monotonic``: the output
    given: InvariantExpr | None = None
    perturb: str | None = None  # the input path of increasing_in / decreasing_in
    direction: int = 0  # +1 increasing, -1 decreasing, 0 for ``always``

    @property
    def kind(self) -> str:
        """``"monotonic"`` or ``"always"``."""
        return "monotonic" if self.direction else "always"
