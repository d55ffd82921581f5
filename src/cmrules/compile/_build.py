"""Turn a validated ruleset document into a compiled program: the entry point :func:`build`.

Steps: declare names → compile every expression against the schema → build
the dependency graph of rules and facts → stratify it (cycles and conflicts
are load errors) → generate one Python function that runs the strata in order.
Every problem is reported to the sink with its location; nothing stops at the
first error.
"""

from __future__ import annotations

from cmrules._yaml import Located
from cmrules.compile._balances import balance_nodes
from cmrules.compile._caps import compile_caps
from cmrules.compile._checks import bind_checks, compile_checks
from cmrules.compile._context import Context, Node
from cmrules.compile._declare import CARRIED_RULE, declare
from cmrules.compile._facts import check_writers, compile_facts
from cmrules.compile._generate import generate
from cmrules.compile._graph import Cycle, stratify
from cmrules.compile._invariants import compile_invariants
from cmrules.compile._items import compile_items
from cmrules.compile._program import Program
from cmrules.compile._rules import compile_rule
from cmrules.errors import IssueSink
from cmrules.expr._check import Checker
from cmrules.spec._model import Rule, RulesetDoc


def build(
    doc: RulesetDoc, located: Located, sink: IssueSink, broken: frozenset[str] = frozenset()
) -> Program | None:
    """The program of ``doc``, or None when it has errors (in ``sink``); the names in
    ``broken`` were declared by entries already reported, so their readers are not."""
    optional: frozenset[str] = frozenset()
    while True:  # until every fact that may be None is typed so (once more per such fact at most)
        trial = IssueSink(sink.file, sink.source)
        ctx = Context(doc, located, trial, optional)
        ctx.broken |= broken
        program = _build_once(ctx)
        if ctx.none_facts <= optional:
            break
        optional |= ctx.none_facts
    sink.issues.extend(trial.issues)
    return program


def _build_once(ctx: Context) -> Program | None:
    """The program of ``ctx.doc`` with the facts in ``ctx.optional_facts`` typed as maybe None."""
    declare(ctx)
    rules = [*ctx.doc.rules, CARRIED_RULE]
    line_kinds = _rule_ids(ctx, rules)
    checker = Checker(ctx.callees, ctx.consts, ctx.doc.rounding.places, ctx.rule_index, line_kinds)
    # Facts that may stay unknown, known before any guard is generated: those no
    # expression computes and no default covers (rules reading them do not fire).
    ctx.maybe_unknown = {
        name
        for name, fact in ctx.doc.facts.items()
        if fact.expr is None
        and "default" not in fact.model_fields_set
        and fact.combine in (None, "max", "min")
    }
    compile_items(ctx, checker)  # before every reader: the lists are typed with their item values
    order = compile_facts(ctx, checker)
    for r, rule in enumerate(rules):
        compile_rule(ctx, checker, rule, r, order + r, line_kinds)
    compile_caps(ctx, checker, line_kinds, order + len(rules))
    invariants = compile_invariants(ctx, checker)
    checks = compile_checks(ctx, checker)
    check_writers(ctx)
    # stratified even after other errors: a rule or fact that failed to compile is
    # left out, which can hide a cycle but never make one up
    balances = balance_nodes(ctx, checker)
    ordered = _stratify(ctx)
    if ordered is None or ctx.sink.issues:
        return None
    for node in balances:  # after every rule and fact: they read the slip's totals
        node.info.index = len(ctx.nodes)
        ctx.nodes.append(node)
        ordered.append(node)
    program = generate(ctx, ordered, checker, invariants)
    program.checks = bind_checks(checks, program.namespace)
    return program


def _rule_ids(ctx: Context, rules: list[Rule]) -> dict[str, str]:
    """Index the rule ids (reporting duplicates); the category of the lines of each rule making them."""
    ids: dict[str, int] = {}
    line_kinds: dict[str, str] = {}
    for r, rule in enumerate(rules):
        if rule.id in ids:
            path = ("rules", r, "id")
            ctx.error("schema.duplicate_name", f"rule id '{rule.id}' is used twice", path, rule.id)
        ids.setdefault(rule.id, r)
        if rule.line is not None:
            line_kinds[rule.id] = rule.line.category
        elif rule.forfeit is not None:
            line_kinds[rule.id] = "forfeiture"
    ctx.rule_index = ids
    return line_kinds


def _stratify(ctx: Context) -> list[Node] | None:
    """The nodes in running order, or None once a cycle among them is reported."""
    order = stratify([(n.reads, n.writes, -n.salience, n.order) for n in ctx.nodes])
    if isinstance(order, Cycle):
        infos = [ctx.nodes[i].info for i in order.path]
        chain = " → ".join(f"{x.id} (line {x.position[0]})" for x in infos)
        first = infos[0]
        ctx.sink.add(
            "rule.cycle",
            f"rules depend on each other in a cycle: {chain}",
            first.position[0] or 1,
            first.position[1] or 1,
            first.id if first.kind != "fact" else None,
        )
        return None
    return [ctx.nodes[i] for i in order]
