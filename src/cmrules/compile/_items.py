"""Item values (``items:``): values computed once per element of a list input, read as fields.

``items: {"o in orders": {fee: "5.00 + …"}}`` gives every element of the list input ``orders``
the field ``fee``, computed once per element and evaluation, in order (a later value may read an
earlier one), before any rule or fact reads the list. Every expression that reads ``orders``
then sees ``o.fee`` as a field of the element (type-checked at load), and so do explanations,
the trace and invariants: the run puts the list with its item values in the validated input.

The list's items are one plan node, ``items.<list>``, that writes the list: the dependency graph
runs it before every reader. Its code, for list input ``v3``::

    Q0 = []
    for q0 in v3:
        q0 = {**q0}
        q0[k5] = <fee>
        Q0.append(q0)
    v3 = Q0
    I[k6] = v3
"""

from __future__ import annotations

import re

from cmrules.compile._context import Context, Node
from cmrules.compile._program import RuleInfo
from cmrules.expr._check import Checker
from cmrules.expr._explain import percent_of
from cmrules.expr._symbols import Scope, Symbol
from cmrules.expr._types import T, name_key

_HEAD = re.compile(r"\s*(\w+)\s+in\s+(\w+)\s*")
#: What an item value may read besides its element: the inputs and parameters (and, by call, the
#: tables and tiers); facts, lines and totals are computed by rules that may read the items.
_READABLE = ("input", "param")


def compile_items(ctx: Context, checker: Checker) -> None:
    """Compile the ``items:`` section: a node per list, and the list inputs typed with their values."""
    for k, (head, values) in enumerate(ctx.doc.items.items()):
        if not _list_items(ctx, checker, k, head, values):
            ctx.broken.update(values)  # reported: readers of the values are not reported again


def _list_items(ctx: Context, checker: Checker, k: int, head: str, values: dict[str, str]) -> bool:
    """Compile the items of one list; False once a problem is reported."""
    path = ("items", head)
    match = _HEAD.fullmatch(head)
    if match is None:
        ctx.error("expr.syntax", "an items key reads 'name in list', e.g. 'o in orders'", path, at_key=True)
        return False
    var, source = name_key(match.group(1)), name_key(match.group(2))
    listed = ctx.base.symbols.get(source)
    elem = listed.type.elem if listed is not None and listed.type.kind == "list" else None
    if listed is None or listed.dep != ("input", listed.name) or elem is None or elem.kind != "record":
        ctx.error(
            "schema.type",
            f"items of '{match.group(2)}': it must be a list input of records",
            path,
            at_key=True,
        )
        return False
    if ctx.base.get(var) is not None or var.startswith("_") or not var.isidentifier():
        ctx.error("schema.name", f"item name '{match.group(1)}' hides a declared name", path, at_key=True)
        return False
    outer = Scope({n: s for n, s in ctx.base.symbols.items() if s.dep and s.dep[0] in _READABLE})
    element, code, reads = elem, [], set()
    for name, text in values.items():
        at = (*path, name)
        key = name_key(name)
        if not (name.isidentifier() and key.isidentifier()) or key.startswith("_"):
            ctx.error("schema.name", f"'{name}' is not a usable item value name", at, at_key=True)
            continue
        if element.field_key(key) is not None:
            message = f"item value '{name}' is already a field of {listed.name}'s items"
            ctx.error("schema.duplicate_name", message, at, at_key=True)
            continue
        sym = Symbol(match.group(1), element, f"q{k}", None)
        compiled = ctx.compile_expr(checker, text, Scope({var: sym}, outer), at, None)
        if compiled is None:
            continue
        late = [s.name for s in compiled.reads if s.dep and s.dep[0] not in _READABLE]
        if late:
            ctx.error(
                "expr.type",
                f"item value '{name}' reads {', '.join(late)}: item values read their item, the "
                "inputs, parameters, tables and tiers (facts, lines and totals come later)",
                at,
            )
            continue
        reads |= {s.dep for s in compiled.reads if s.dep and s.dep != listed.dep}
        code.append(f"    q{k}[{ctx.consts.name(name)}] = {compiled.code}")
        element = T(
            "record",
            fields=(*element.fields, (name, compiled.type)),
            name=element.name,
            computed=(*element.computed, name),
            rates=(*element.rates, name) if percent_of(compiled.explain) else element.rates,
        )
    if len(code) < len(values):
        return False
    info = RuleInfo(
        len(ctx.nodes), f"items.{listed.name}", {"zh": head, "en": head}, "fact", ctx.loc.at(path)
    )
    node = Node(info, -1, 0, reads=reads, writes={listed.dep})
    node.code = [
        f"Q{k} = []",
        f"for q{k} in {listed.var}:",
        f"    q{k} = {{**q{k}}}",
        *code,
        f"    Q{k}.append(q{k})",
        f"{listed.var} = Q{k}",
        f"I[{ctx.consts.name(listed.name)}] = {listed.var}",
    ]
    ctx.nodes.append(node)
    ctx.base.symbols[source] = Symbol(listed.name, T("list", element), listed.var, listed.dep)
    ctx.notes.name(f"q{k}", f"item {match.group(1)} of {listed.name} (items)")
    ctx.notes.name(f"Q{k}", f"the items of {listed.name} with their values")
    ctx.notes.note(f"fact items.{listed.name}", f"items {head}: {', '.join(values)}  ({ctx.where(path)})")
    return True
