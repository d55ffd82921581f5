"""Caps on deductions (the ``caps:`` section): each cap a plan node after the lines it limits.

A cap adds up the lines of the rules it limits (``x``), computes its limit (``c``, rounded;
lowered so that net stays at or above ``net_floor`` when one is given) and, when ``x``
exceeds it, takes the excess off those rules in its reduction order: one ``waiver`` (or
``deferral``) line per rule reduced, positive, counted against the deductions. ``report``
makes no line. It sets the facts it names and gives its notice (``report``: always).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from cmrules._money import Rounder
from cmrules.compile._context import Context, Node
from cmrules.compile._declare import CARRIED_RULE
from cmrules.compile._program import RuleInfo
from cmrules.expr._check import Checker
from cmrules.expr._symbols import Compiled, Scope, Symbol, line_var
from cmrules.expr._types import MONEY
from cmrules.spec._model import Cap

__all__ = ["CAP_CATEGORY", "compile_caps", "split_excess"]

#: The category of the lines a cap makes, by what it does with the excess (``report``: none).
CAP_CATEGORY = {"waive": "waiver", "carry_forward": "deferral", "report": None}
#: Reports a problem at a path inside the cap: (code, message, *path).
Report = Callable[..., None]
_DEDUCTING = ("deduction", "fine", "forfeiture")
_BASE_TOTALS = ("earning", "deduction", "fine", "forfeiture", "adjustment")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NOTICE_NAMES = ("capped", "limit", "excess")
_DEFAULT_TEXT = {
    "zh": "{label}:限额内扣款 {{capped}} 超过上限 {{limit}},超出 {{excess}}。",
    "en": "{label}: capped deductions of {{capped}} exceed the cap of {{limit}} by {{excess}}.",
}


def split_excess(excess: Decimal, amounts: tuple[tuple[int, Decimal], ...]) -> list[tuple[int, Decimal]]:
    """``excess`` taken off ``amounts`` (target, amount) in their order: each target's share, never
    more than its amount, none of 0 (runtime helper of the generated code)."""
    out = []
    for target, amount in amounts:
        if excess <= 0:
            break
        take = amount if amount < excess else excess
        if take > 0:
            out.append((target, take))
            excess -= take
    return out


def compile_caps(ctx: Context, checker: Checker, line_kinds: dict[str, str], order: int) -> None:
    """Compile every cap of the document into a plan node (run after every line it reads)."""
    ctx.namespace["_capsplit"] = split_excess
    capped_by: dict[str, str] = {}
    previous: str | None = None
    seen: set[str] = set()
    for c, cap in enumerate(ctx.doc.caps):
        if cap.id in seen:
            ctx.error("schema.duplicate_name", f"cap id '{cap.id}' is used twice", ("caps", c, "id"), cap.id)
            continue
        seen.add(cap.id)
        node = _compile_cap(ctx, checker, cap, c, order + c, line_kinds, capped_by, previous)
        if node is not None:
            ctx.nodes.append(node)
            previous = cap.id


def _compile_cap(
    ctx: Context,
    checker: Checker,
    cap: Cap,
    c: int,
    order: int,
    line_kinds: dict[str, str],
    capped_by: dict[str, str],
    previous: str | None,
) -> Node | None:
    path = ("caps", c)
    errors = len(ctx.sink.issues)

    def error(code: str, message: str, *sub: object, at_key: bool = False) -> None:
        ctx.error(code, message, (*path, *sub), cap.id, at_key)

    if cap.id in ctx.rule_index:
        error("schema.duplicate_name", f"cap id '{cap.id}' is also a rule id", "id")
    targets = _targets(ctx, cap, line_kinds, capped_by, error)
    reduction = _reduction(ctx, cap, targets, error)
    info = RuleInfo(len(ctx.nodes), cap.id, cap.label.model_dump(), "cap", ctx.loc.at(path))
    info.category = CAP_CATEGORY[cap.excess]
    info.cap_targets = tuple(reduction)
    node = Node(info, order, 0)
    scope = Scope({}, ctx.base)
    limit = ctx.compile_expr(checker, cap.limit, scope, (*path, "limit"), cap.id, MONEY)
    floor = None
    if cap.net_floor is not None:
        floor = ctx.compile_expr(checker, cap.net_floor, scope, (*path, "net_floor"), cap.id, MONEY)
    facts = _facts(ctx, cap, error)
    notice = _notice(ctx, cap, info, error)
    if limit is None or (cap.net_floor is not None and floor is None) or len(ctx.sink.issues) > errors:
        return None
    info.explain = limit.explain
    info.explain_vars = tuple(s.var for s in limit.reads)
    info.explain_refs = ctx.refs(limit.reads)[1]
    info.trace_names = _NOTICE_NAMES
    info.trace_refs = tuple(("local", k) for k in range(3))
    reads = [*limit.reads, *(floor.reads if floor is not None else ())]
    node.reads |= {s.dep for s in reads if s.dep}
    node.reads |= {("lines", rid) for rid in reduction}
    if floor is not None:
        node.reads |= {("totals", cat) for cat in _BASE_TOTALS}
    if previous is not None:
        node.reads.add(("cap", previous))
    node.writes |= {("cap", cap.id), *(("fact", name) for name in facts.values())}
    if info.category is not None:
        node.writes |= {("lines", cap.id), ("totals", info.category)}
    node.code = _code(ctx, cap, info, limit, floor, reduction, facts, notice, reads)
    where = f"{ctx.sink.file}:{ctx.loc.at(path)[0]}"
    ctx.notes.note(
        f"cap {cap.id}", f"cap {cap.id}: {cap.label.en}, {cap.excess} above {cap.limit}  ({where})"
    )
    return node


def _targets(
    ctx: Context, cap: Cap, line_kinds: dict[str, str], capped_by: dict[str, str], error: Report
) -> list[str]:
    """The rules whose lines ``cap`` limits, in declaration order (each limited by one cap only)."""
    named = []
    for j, rid in enumerate(cap.limits.rules):
        kind = line_kinds.get(rid)
        if rid in ctx.broken and rid not in ctx.rule_index:
            continue
        if kind not in _DEDUCTING:
            what = "no rule" if rid not in ctx.rule_index else f"a rule making {kind or 'no'} lines"
            message = f"cap limits '{rid}', which is {what}; a cap limits deduction, fine or forfeiture lines"
            error("rule.unknown_target", message, "limits", "rules", j)
        else:
            named.append(rid)
    chosen = set(named)
    for rid, kind in line_kinds.items():
        if kind in cap.limits.categories and rid != CARRIED_RULE.id:
            chosen.add(rid)
    targets = [rid for rid in ctx.rule_index if rid in chosen]
    for rid in targets:
        other = capped_by.setdefault(rid, cap.id)
        if other != cap.id:
            message = f"rule '{rid}' is limited by cap '{other}' already; a rule's lines have one cap"
            error("rule.conflict", message, "limits")
    return targets


def _reduction(ctx: Context, cap: Cap, targets: list[str], error: Report) -> list[str]:
    """The order the excess is taken in: ``order`` first, then the rest, last declared first."""
    first = []
    for j, rid in enumerate(cap.order):
        if rid not in targets:
            message = f"order names '{rid}', which is not a rule this cap limits"
            error("rule.unknown_target", message, "order", j)
        elif rid not in first:
            first.append(rid)
    return first + [rid for rid in reversed(targets) if rid not in first]


def _facts(ctx: Context, cap: Cap, error: Report) -> dict[str, str]:
    """The declared facts the cap sets (``limit``, ``excess``): money facts no expr computes."""
    out = {}
    for key in ("limit", "excess"):
        name = getattr(cap.facts, key)
        if name is None:
            continue
        fact = ctx.doc.facts.get(name)
        if name in ctx.broken and fact is None:
            continue
        if fact is None or fact.type != "money" or fact.expr is not None or fact.combine is not None:
            message = (
                f"facts.{key} names '{name}', which is not a declared money fact without expr or combine"
            )
            error("rule.unknown_target", message, "facts", key)
            continue
        out[key] = name
    return out


def _notice(ctx: Context, cap: Cap, info: RuleInfo, error: Report) -> bool:
    """Fill ``info.notice`` from the cap's notice (a default one for ``report``); True if it has one."""
    spec = cap.notice
    if spec is None and cap.excess != "report":
        return False
    kind = spec.kind if spec is not None else "compliance"
    code = spec.code if spec is not None else cap.id
    texts = (
        spec.text.model_dump()
        if spec is not None
        else {lang: t.format(label=getattr(cap.label, lang)) for lang, t in _DEFAULT_TEXT.items()}
    )
    templates: dict[str, list[Any]] = {}
    for lang, text in texts.items():
        parts: list[Any] = []
        pos = 0
        for match in _PLACEHOLDER.finditer(text):
            name = match.group(1).strip()
            if name not in _NOTICE_NAMES:
                message = (
                    f"a cap's notice reads {{capped}}, {{limit}} or {{excess}}, not {{{match.group(1)}}}"
                )
                error("expr.unknown_name", message, "notice", "text", lang)
                continue
            parts += [text[pos : match.start()], _NOTICE_NAMES.index(name)]
            pos = match.end()
        parts.append(text[pos:])
        templates[lang] = parts
    info.notice = (kind, code, templates)
    info.notice_types = (MONEY, MONEY, MONEY)
    return True


def _code(
    ctx: Context,
    cap: Cap,
    info: RuleInfo,
    limit: Compiled,
    floor: Compiled | None,
    reduction: list[str],
    facts: dict[str, str],
    notice: bool,
    reads: list[Symbol],
) -> list[str]:
    """The cap's lines of ``run``."""
    i = info.index
    exp, mode = "_E", "_M"
    if cap.rounding is not None:
        rounder = Rounder(cap.rounding.places, cap.rounding.mode)
        exp, mode = f"_CE{i}", f"_CM{i}"
        ctx.namespace[exp], ctx.namespace[mode] = rounder.exp, rounder.mode
    sums = [line_var(ctx.rule_index[rid]) for rid in reduction]
    code = [
        f"c = _D({limit.code}).quantize({exp}, {mode})",
        "if c < _Z0: c = _Z0",
        f"x = {' + '.join(sums) if sums else '_Z0'}",
    ]
    if floor is not None:
        code += [
            "r = T_earning + T_adjpos - (T_deduction + T_fine + T_forfeiture + T_adjneg"
            " - T_waiver - T_deferral - x)",
            f"r = r - ({floor.code})",
            "if r < c: c = r if r > _Z0 else _Z0",
        ]
    code.append("e = x - c if x > c else _Z0")
    for key, var in (("limit", "c"), ("excess", "e")):
        if key in facts:
            code.append(f"{ctx.fact_syms[facts[key]].var} = {var}")
    acts = []
    if info.category is not None:
        pairs = "".join(f"({k}, {v}), " for k, v in enumerate(sums))
        acts += [
            f"for t, a in _capsplit(e, ({pairs})):",
            f"    T_{info.category} += a",
            f"    LN(({i}, a, None, None, (t, c, x, e)))",
        ]
    if notice:
        acts.append(f"NT(({i}, (x, c, e)))")
    if acts:
        code += ["if e:", *("    " + a for a in acts)]
    code.append(f"TR(({i}, None, (x, c, e)))")
    guard = ctx.guard(tuple(reads))
    if guard:
        code = [f"if {guard}:", *("    " + line for line in code)]
    return code
