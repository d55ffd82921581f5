"""Generating the program: one function ``run`` that runs the stratified nodes in order.

The source is the explanation helpers, tables and invariant functions, then ``run``;
it is compiled and executed in a namespace holding only the runtime helpers and the
named constants. It is generated from checked trees only: no ruleset text reaches it.
"""

from __future__ import annotations

import re

from cmrules.compile._context import Context, Node
from cmrules.compile._invariants import bind_invariants
from cmrules.compile._program import InvariantInfo, Program
from cmrules.expr._check import Checker
from cmrules.expr._symbols import CATEGORIES, line_var

_LINE_SUM = re.compile(r"\s*(L\d+) \+= a")
_LINE_VAR = re.compile(r"\bL\d+\b")


def generate(ctx: Context, ordered: list[Node], checker: Checker, invariants: list[InvariantInfo]) -> Program:
    """The program running ``ordered``, with ``checker``'s helpers and the laws ``invariants``."""
    out = ["def run(I, P, LN, NT, TR):", *_start(ctx, ordered)]
    whens: dict[int, tuple[int, str]] = {}
    for node in ordered:
        out.append(f"    # {node.info.kind} {node.info.id}")
        out.append("    try:")
        if node.when_at is not None:
            whens[node.info.index] = (len(out) - 1 + node.when_at, ctx.when_code[node.info.index])
        out += ["        " + c for c in node.code]
        out.append("    except (ArithmeticError, TypeError) as exc:")
        out.append(f"        raise _Fail({node.info.index}, _why(exc))")
    facts = [ctx.fact_syms[n].var for n in ctx.doc.facts] + ctx.balance_vars
    capped = " - T_waiver - T_deferral" if _caps_totals(ctx, ordered) else ""  # caps give back
    out.append(
        f"    return ({''.join(v + ', ' for v in facts)}), T_earning + T_adjpos, "
        f"T_deduction + T_fine + T_forfeiture + T_adjneg{capped}"
    )
    namespace = ctx.namespace
    namespace.update(ctx.consts.values)
    # the plan reads its constants and helpers as globals: on Python 3.11+ a global read is
    # cached per instruction, nearly as cheap as a local, while keyword defaults (the former
    # binding) cost every call a dictionary lookup per name, and genexprs a cell each
    source = "\n".join([*checker.lambdas, *ctx.table_code, *ctx.invariant_code, "\n".join(out)]) + "\n"
    code = compile(source, f"<cmrules {ctx.doc.id} {ctx.doc.version}>", "exec")
    exec(code, namespace)  # generated from the checked tree only; see module docstring
    for var, value in ctx.consts.values.items():
        ctx.notes.constant(var, repr(value))
    # by declared name (the scope knows them in their NFKC form, as expressions read them)
    inputs = {s.name: s for s in ctx.base.symbols.values() if s.dep and s.dep[0] == "input"}
    return Program(
        run=namespace["run"],
        namespace=namespace,
        rules=sorted((n.info for n in ctx.nodes), key=lambda x: x.index),
        facts=[(n, ctx.fact_syms[n].type) for n in ctx.doc.facts],
        dated=ctx.dated,
        input_types={k: s.type for k, s in inputs.items()},
        rounder=ctx.rounder,
        source=source,
        invariants=bind_invariants(invariants, namespace),
        input_vars={s.var: k for k, s in inputs.items()},
        plan=out[1:],
        whens=whens,
        annotations=ctx.notes,
        balances=ctx.balances,
        balance_inputs=ctx.balance_inputs,
    )


def _start(ctx: Context, ordered: list[Node]) -> list[str]:
    """The first lines of ``run``: inputs and dated parameters read, sums, totals and facts started."""
    out = []
    for sym in ctx.base.symbols.values():
        if sym.dep and sym.dep[0] == "input":
            out.append(f"    {sym.var} = I[{ctx.consts.name(sym.name)}]")
    for j, var in enumerate(ctx.dated_vars):
        out.append(f"    {var} = P[{j}]")
    read = _drop_unread_line_sums(ordered)
    for position in sorted(
        {ctx.rule_index[n.info.id] for n in ordered if n.info.category and n.info.kind != "cap"}
    ):
        if line_var(position) in read:
            out.append(f"    {line_var(position)} = _Z")
    for cat in CATEGORIES if _caps_totals(ctx, ordered) else CATEGORIES[:5]:
        out.append(f"    T_{cat} = _Z0")
    out.append("    T_adjpos = T_adjneg = _Z0")
    for name in ctx.doc.facts:
        out.append(f"    {ctx.fact_syms[name].var} = {ctx.fact_inits[name]}")
    return out


def _caps_totals(ctx: Context, ordered: list[Node]) -> bool:
    """Whether the plan keeps the totals of the caps' lines (``waiver``, ``deferral``): it has caps,
    or some code reads them."""
    return bool(ctx.doc.caps) or any("T_waiver" in c or "T_deferral" in c for n in ordered for c in n.code)


def _drop_unread_line_sums(ordered: list[Node]) -> set[str]:
    """Keep a rule's running line sum (``L<k> += a``) only where some code reads it, such as
    a forfeiture or a ``lines.<rule>`` expression; return the sums that are read.

    The slip's own per-rule totals come from its lines, so the rest is work for nothing.
    """
    read = {v for n in ordered for c in n.code if not _LINE_SUM.fullmatch(c) for v in _LINE_VAR.findall(c)}
    for node in ordered:
        kept = []
        for i, line in enumerate(node.code):
            store = _LINE_SUM.fullmatch(line)
            if store and store.group(1) not in read:
                if node.when_at is not None and i < node.when_at:
                    node.when_at -= 1
                continue
            kept.append(line)
        node.code = kept
    return read
