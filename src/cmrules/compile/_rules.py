"""A rule as a plan node: its ``for_each`` loop, ``let`` names and ``when`` around its effects.

The code of rule ``i`` reads, from the outside in: a guard that the facts it reads are
known, ``for n<i>, e<i> in enumerate(<list>):``, its lets ``l<i>_<j> = ...``,
``if <when>:``, then the body made by :mod:`cmrules.compile._effects` and its trace entry.
"""

from __future__ import annotations

import re

from cmrules.compile._captures import capture_code
from cmrules.compile._context import Context
from cmrules.compile._effects import compile_effects
from cmrules.compile._program import element_var
from cmrules.compile._rule_state import RuleState
from cmrules.expr._check import Checker
from cmrules.expr._symbols import Compiled, Symbol
from cmrules.expr._types import BOOL, name_key
from cmrules.spec._model import Rule

_FOR_EACH = re.compile(r"\s*(\w+)\s+in\s+(.+)")


def compile_rule(
    ctx: Context, checker: Checker, rule: Rule, r: int, order: int, line_kinds: dict[str, str]
) -> None:
    """Compile the ``r``-th rule (declaration ``order``) and add its node, unless it has errors."""
    st = RuleState(ctx, checker, rule, r, order, line_kinds)
    # a broken for_each or let does not hide the rule's other expressions (its name is hidden)
    loop = (_for_each(st) or "") if rule.for_each is not None else ""
    lets = _lets(st)
    when = st.comp(rule.when, ("when",), BOOL) if rule.when is not None else None
    if when is not None:
        st.info.when_names = tuple(s.name for s in when.reads)
        st.info.when_refs = ctx.refs(when.reads)[1]
    body = compile_effects(st)
    if not st.ok:
        return
    label = st.info.label.get("en") or rule.id
    cond = f", when {' '.join(rule.when.split())}" if rule.when is not None else ""
    ctx.notes.note(f"{st.info.kind} {rule.id}", f"{st.info.kind} {rule.id}: {label}{cond}  ({st.where()})")
    _assemble(st, loop, lets, when, body)


def _for_each(st: RuleState) -> str | None:
    """The loop header of the rule's ``for_each`` with its element in scope; None if it has errors."""
    assert st.rule.for_each is not None
    match = _FOR_EACH.fullmatch(st.rule.for_each)
    name = name_key(match.group(1)) if match is not None else ""  # as expressions read it
    st.scope.loop = "for_each"  # counts in the generator budget of the rule's expressions
    if match is None or not name.isidentifier() or name.startswith("_"):
        st.error("expr.syntax", "for_each reads 'name in list', e.g. 'b in bookings'", ("for_each",))
        if match is not None:
            st.hidden.add(name)
        return None
    if st.scope.get(name) is not None:  # as for a let name: no silent shadowing
        message = f"for_each name '{match.group(1)}' hides a declared name"
        st.error("schema.name", message, ("for_each",), offset=match.start(1))
    lst = st.comp(match.group(2), ("for_each",), base=match.start(2))
    if lst is None or lst.type.optional or lst.type.kind != "list" or lst.type.elem is None:
        if lst is not None:
            st.error("expr.type", f"for_each needs a list, got {lst.type}", ("for_each",))
        st.hidden.add(name)
        return None
    # the iterated list orders the rule but is not repeated in every element's trace entry
    st.node.reads |= {sym.dep for sym in lst.reads if sym.dep}
    for sym in lst.reads:
        st.reads.pop(sym.var, None)
    i = st.info.index
    elem = Symbol(name, lst.type.elem, element_var(i), None)
    st.scope.symbols[elem.name] = elem
    st.ctx.notes.name(elem.var, f"element {name} of rule {st.rid} (for_each {st.rule.for_each.strip()})")
    st.ctx.notes.name(f"n{i}", f"position of element {name} of rule {st.rid}")
    return f"for n{i}, e{i} in enumerate({lst.code}):"


def _lets(st: RuleState) -> list[str]:
    """The code of the rule's ``let`` names, each put in scope for what follows."""
    lets: list[str] = []
    for declared, text in st.rule.let.items():
        name = name_key(declared)  # as expressions read it: 'ｘ' beside 'x' is refused, not unread
        usable = declared.isidentifier() and name.isidentifier() and not name.startswith("_")
        if not usable or st.scope.get(name) is not None:
            st.error(
                "schema.name",
                f"let name '{declared}' is not usable or hides a declared name (or the for_each name)",
                ("let", declared),
                at_key=True,
            )
            continue
        compiled = st.comp(text, ("let", declared))
        if compiled is None:
            st.hidden.add(name)
        else:
            sym = Symbol(declared, compiled.type, f"l{st.info.index}_{len(lets)}", None)
            lets.append(f"{sym.var} = {compiled.code}")
            st.scope.symbols[name] = sym
            st.reads.setdefault(sym.var, sym)
            st.ctx.notes.name(sym.var, f"let {declared} of rule {st.rid}")
    return lets


def _assemble(st: RuleState, loop: str, lets: list[str], when: Compiled | None, body: list[str]) -> None:
    """Wrap ``body`` in the rule's when, lets, loop and guard, and add the rule's node."""
    ctx, info, node = st.ctx, st.info, st.node
    node.reads |= {s.dep for s in st.reads.values() if s.dep}
    reads = tuple(st.reads.values())
    info.trace_names = tuple(s.name for s in reads)
    local, info.trace_refs = ctx.refs(reads)
    index = f"n{info.index}" if loop else "None"
    body.append(f"TR(({info.index}, {index}, ({local}{capture_code(reads, info.trace_refs)})))")
    code = list(lets)
    if when is not None:
        node.when_at = len(code)
        code.append(f"if {when.code}:")
        code += ["    " + c for c in body]
    else:
        code += body
    if loop:
        code = [loop] + ["    " + c for c in code]
    guard = ctx.guard(tuple(st.reads.values()))
    if guard:
        code = [f"if {guard}:"] + ["    " + c for c in code]
    if when is not None and node.when_at is not None:
        node.when_at += bool(loop) + bool(guard)
        ctx.when_code[info.index] = when.code
    node.code = code
    ctx.nodes.append(node)
