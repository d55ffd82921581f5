"""Computed facts (a fact with an ``expr``) as plan nodes, and the check of who writes each fact."""

from __future__ import annotations

import ast

from cmrules.compile._captures import capture_code
from cmrules.compile._context import Context, Node, as_declared
from cmrules.compile._program import RuleInfo
from cmrules.expr._check import Checker
from cmrules.expr._symbols import Compiled
from cmrules.expr._types import assignable
from cmrules.spec._model import Fact


def compile_facts(ctx: Context, checker: Checker) -> int:
    """Make a node of every computed fact; the number of facts (the next declaration order)."""
    order = 0
    computed: list[tuple[Node, Compiled]] = []
    for name, fact in ctx.doc.facts.items():
        if name in ctx.fact_syms and fact.expr is not None:
            made = _fact_node(ctx, checker, name, fact, fact.expr, order)
            if made is not None:
                computed.append(made)
        order += 1
    _fact_code(ctx, computed)
    return order


def _fact_node(
    ctx: Context, checker: Checker, name: str, fact: Fact, expr: str, order: int
) -> tuple[Node, Compiled] | None:
    path = ("facts", name, "expr")
    sym = ctx.fact_syms[name]
    compiled = ctx.compile_expr(checker, expr, ctx.base, path, None)
    if compiled is None:
        return None
    if not assignable(compiled.type, sym.type):
        ctx.error(
            "expr.type", f"fact '{name}' is declared {sym.type}, the expression gives {compiled.type}", path
        )
        return None
    if compiled.type.optional:  # the fact may be None: its readers are checked for that
        ctx.none_facts.add(name)
    info = RuleInfo(
        len(ctx.nodes),
        name,
        {"zh": name, "en": name},
        "fact",
        ctx.loc.at(path),
        trace_names=tuple(s.name for s in compiled.reads),
        trace_refs=ctx.refs(compiled.reads)[1],
    )
    node = Node(info, order, 0)
    node.reads = {s.dep for s in compiled.reads if s.dep}
    node.writes = {("fact", name)}
    ctx.nodes.append(node)
    ctx.notes.note(f"fact {name}", f"fact {name}: {' '.join(expr.split())}  ({ctx.where(path)})")
    return node, compiled


def _fact_code(ctx: Context, computed: list[tuple[Node, Compiled]]) -> None:
    """Code of the computed facts, once it is known which of them may be unknown.

    A computed fact is unknown when a fact it reads may be; declaration order does
    not matter, so this grows the set to a fixpoint before generating any guard.
    """
    grown = True
    while grown:
        grown = False
        for node, compiled in computed:
            if node.info.id not in ctx.maybe_unknown and ctx.guard(compiled.reads):
                ctx.maybe_unknown.add(node.info.id)
                grown = True
    for node, compiled in computed:
        sym = ctx.fact_syms[node.info.id]
        code = as_declared(compiled, sym.type)
        guard = ctx.guard(compiled.reads)
        loop = None if guard else sum_loop(code, sym.var)
        trace = f"TR(({node.info.index}, None, ({capture_code(compiled.reads, node.info.trace_refs)})))"
        if loop is not None:  # the same additions in the same order, without a generator
            node.code = [*loop, trace]
            continue
        value = f"({code} if {guard} else _U)" if guard else f"({code})"
        node.code = [f"{sym.var} = {value}", trace]


def sum_loop(code: str, var: str) -> list[str] | None:
    """Statements that set ``var`` to ``code`` when ``code`` is a whole ``sum`` of a generator
    (``sum((e for x in xs if c), _Z)``, or ``_I(sum(e for x in xs if c))`` for whole numbers);
    None for any other code.

    ``sum`` adds each element to the running total in order, starting from its start value
    (``_Z``, or the integer 0), so the loop computes the same value and raises the same
    error at the same element; it saves a generator frame resumed once per element.
    """
    tree = ast.parse(code, mode="eval").body
    whole = isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id == "_I"
    call = tree.args[0] if whole and isinstance(tree, ast.Call) and len(tree.args) == 1 else tree
    if not (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == "sum"
        and not call.keywords
        and call.args
        and isinstance(call.args[0], ast.GeneratorExp)
        and len(call.args[0].generators) == 1
        and isinstance(call.args[0].generators[0].target, ast.Name)
    ):
        return None
    start = call.args[1:]
    if (whole and start) or (not whole and [ast.unparse(a) for a in start] != ["_Z"]):
        return None
    gen = call.args[0]
    loop = gen.generators[0]
    out = [
        f"{var} = {'0' if whole else '_Z'}",
        f"for {ast.unparse(loop.target)} in {ast.unparse(loop.iter)}:",
    ]
    add = f"{var} = {var} + {ast.unparse(gen.elt)}"
    if loop.ifs:  # each ``if`` tested only when the ones before it hold, as in the generator
        out.append(f"    if {' and '.join(f'({ast.unparse(c)})' for c in loop.ifs)}:")
        add = "    " + add
    out.append("    " + add)
    if whole:
        out.append(f"{var} = _I({var})")
    return out


def check_writers(ctx: Context) -> None:
    """Report facts set by several rules without a ``combine``, or computed and also set."""
    setters: dict[str, list[Node]] = {}
    for node in ctx.nodes:
        for kind, name in node.writes:
            if kind == "fact":
                setters.setdefault(name, []).append(node)
    for name, fact in ctx.doc.facts.items():
        nodes = setters.get(name, [])
        if ctx.fact_syms.get(name) is None:
            continue
        problem = _writers_problem(name, fact, nodes)
        if problem is not None:
            ctx.error("rule.conflict", problem, ("facts", name), at_key=True)


def _writers_problem(name: str, fact: Fact, nodes: list[Node]) -> str | None:
    if fact.combine is None and fact.expr is None:
        if len(nodes) > 1:
            ids = ", ".join(n.info.id for n in nodes)
            return f"fact '{name}' is set by several rules ({ids}) but declares no 'combine'"
        if nodes and nodes[0].info.for_each:
            return f"fact '{name}' is set once per element by rule {nodes[0].info.id}; declare a 'combine'"
    elif fact.expr is not None and len(nodes) > 1:
        ids = ", ".join(n.info.id for n in nodes if n.info.kind != "fact")
        return f"fact '{name}' is computed by its expr and also set by rules ({ids})"
    return None
