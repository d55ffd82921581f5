"""What a rule does when it fires: its line or forfeiture, the facts it sets or contributes to,
its notice. Each effect compiles to the lines of the rule's body in the plan."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from cmrules.compile._context import as_declared
from cmrules.compile._rule_state import RuleState
from cmrules.expr._symbols import Symbol, line_var
from cmrules.expr._types import MONEY, T, assignable
from cmrules.spec._model import Fact

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def compile_effects(st: RuleState) -> list[str]:
    """The body of rule ``st``: the code of each of its effects, in a fixed order."""
    rule = st.rule
    body: list[str] = []
    if rule.line is not None and rule.forfeit is not None:
        st.error("rule.no_effect", "a rule makes either a line or a forfeiture, not both", ("forfeit",), True)
    if rule.line is not None:
        amount = st.comp(rule.line.amount, ("line", "amount"), MONEY)
        if amount is not None:
            st.info.category = rule.line.category
            st.info.explain = amount.explain
            st.info.explain_vars = tuple(s.var for s in amount.reads)
            body += line_code(st, amount.code, amount.reads, amount.type.kind == "int")
    if rule.forfeit is not None:
        body += _forfeit(st)
    for kind, mapping in (("set", rule.set), ("contribute", rule.contribute)):
        for fact_name, text in mapping.items():
            body += _fact_write(st, kind, fact_name, text)
    if rule.notice is not None:
        body += _notice_code(st)
    if not (rule.line or rule.forfeit or rule.set or rule.contribute or rule.notice):
        st.error("rule.no_effect", "the rule has no line, forfeit, set, contribute or notice", ())
    return body


def line_code(st: RuleState, amount: str, capture: tuple[Symbol, ...], is_int: bool = False) -> list[str]:
    """Make a line of ``amount`` (code), rounded and added to the rule's sum and category total.

    ``capture`` are the values its explanation reads.
    """
    ctx, info = st.ctx, st.info
    category = info.category
    assert category is not None
    local, info.explain_refs = ctx.refs(capture)
    st.node.writes |= {("lines", st.rid), ("totals", category)}
    index = f"n{info.index}" if info.for_each else "None"
    element = f"e{info.index}" if info.for_each else "None"
    check = [] if category == "adjustment" else ["if a < 0: _neg(a)"]
    # a method call with positional arguments: several times cheaper than a partial
    rounded = f"({amount}).quantize(_E, _M)" if not is_int else f"_D({amount}).quantize(_E, _M)"
    constant = ctx.consts.values.get(amount)
    if isinstance(constant, Decimal) and constant >= 0:  # a fixed amount: rounded once, here
        rounded, check = ctx.consts.name(constant.quantize(ctx.rounder.exp, ctx.rounder.mode)), []
    elif category == "adjustment":
        rounded += " + 0"  # turns -0.00 into 0.00
    line_sum = line_var(ctx.rule_index[st.rid])
    ctx.notes.name(line_sum, f"total of the lines of rule {st.rid}")
    return [
        f"a = {rounded}",
        *check,
        f"{line_sum} += a",
        f"T_{category} += a",
        *(["if a > 0: T_adjpos += a", "else: T_adjneg -= a"] if category == "adjustment" else []),
        f"LN(({info.index}, a, {index}, {element}, ({local})))",
    ]


def _forfeit(st: RuleState) -> list[str]:
    assert st.rule.forfeit is not None
    target = st.rule.forfeit.rule
    ids = st.ctx.rule_index
    if target in st.ctx.broken and target not in ids:  # its rule is already reported
        st.ok = False
        return []
    if target not in ids or target not in st.line_kinds or target == st.rid:
        st.error(
            "rule.unknown_target",
            f"forfeit names '{target}', which is not another rule that makes lines",
            ("forfeit", "rule"),
        )
        return []
    st.info.category = "forfeiture"
    st.info.forfeits = target
    reason = st.rule.forfeit.reason
    st.info.forfeit_reason = reason.model_dump() if reason else None
    st.node.reads.add(("lines", target))
    var = line_var(ids[target])
    # captured with the line (its explanation shows it), though the rule reads it after every line
    # of its target, like any reader of a line sum
    forfeited = Symbol(f"lines.{target}", MONEY, var, None)
    return [f"if {var}:", *("    " + c for c in line_code(st, var, (forfeited,)))]


def _fact_write(st: RuleState, kind: str, fact_name: str, text: str) -> list[str]:
    """The code of ``set`` (or ``contribute``) ``fact_name``: ``text``, once its type is checked."""
    ctx = st.ctx
    sym = ctx.fact_syms.get(fact_name)
    decl = ctx.doc.facts.get(fact_name)
    where = (kind, fact_name)
    if sym is None and fact_name in ctx.broken:  # its declaration is already reported
        st.ok = False
        return []
    if sym is None or decl is None:
        st.error(
            "rule.unknown_target", f"{kind} names '{fact_name}', which is not a declared fact", where, True
        )
        return []
    compiled = st.comp(text, where)
    if compiled is None:
        return []
    collects = kind == "contribute" and decl.combine == "list"  # each contribution is an element
    if kind == "contribute" and compiled.type.optional:
        message = f"a contribution to '{fact_name}' cannot be None (no value); got {compiled.type}"
        st.error("expr.type", message, where)
        return []
    if compiled.type.optional:  # the fact may be None: its readers are checked for that
        ctx.none_facts.add(fact_name)
    if not collects and not assignable(compiled.type, sym.type):
        st.error("expr.type", f"fact '{fact_name}' is {sym.type}, this gives {compiled.type}", where)
        return []
    st.node.writes.add(("fact", fact_name))
    return _assign_code(st, kind, decl, sym, as_declared(compiled, sym.type))


def _assign_code(st: RuleState, kind: str, decl: Fact, sym: Symbol, code: str) -> list[str]:
    var = sym.var
    if kind == "set":
        return [f"{var} = {code}"]
    combine = decl.combine
    if combine is None:
        # reported, yet the rule stays a node: it still orders the others (and their cycles)
        st.ctx.error(
            "rule.conflict",
            f"fact '{sym.name}' declares no 'combine', so rules can only 'set' it",
            (*st.path, kind, sym.name),
            st.rid,
            at_key=True,
        )
        return []
    return {
        "sum": [f"{var} += {code}"],
        "any": [f"{var} = {var} or {code}"],
        "all": [f"{var} = {var} and {code}"],
        "max": [f"c = {code}", f"{var} = c if {var} is _U else max({var}, c)"],
        "min": [f"c = {code}", f"{var} = c if {var} is _U else min({var}, c)"],
        "list": [f"{var}.append({code})"],
    }[combine]


def _notice_code(st: RuleState) -> list[str]:
    notice = st.rule.notice
    assert notice is not None
    templates: dict[str, list[Any]] = {}
    codes: list[str] = []
    types: list[T] = []
    for lang in ("zh", "en"):
        text = getattr(notice.text, lang)
        parts: list[Any] = []
        pos = 0
        for match in _PLACEHOLDER.finditer(text):
            parts.append(text[pos : match.start()])
            compiled = st.comp(match.group(1), ("notice", "text", lang), base=match.start(1))
            if compiled is not None:  # a value the other language reads too is captured once
                if compiled.code not in codes:
                    codes.append(compiled.code)
                    types.append(compiled.type)
                parts.append(codes.index(compiled.code))
            pos = match.end()
        parts.append(text[pos:])
        templates[lang] = parts
    st.info.notice = (notice.kind, notice.code, templates)
    st.info.notice_types = tuple(types)
    return [f"NT(({st.info.index}, ({''.join(c + ', ' for c in codes)})))"]
