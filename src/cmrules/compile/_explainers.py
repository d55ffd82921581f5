"""Explanations and notices compiled once per rule into small generated functions.

A line's explanation is its amount's arithmetic with the values the rule read
(:mod:`cmrules.expr._explain`). The tree renderer builds an environment and walks
the tree for every line; here each rule's explanation is turned, the first time one
of its lines is explained, into a function that reads its values straight from the
run (the validated input, the dated parameters, the facts, the line's captured
locals) and fills a template whose fixed text, and the text of every constant, is
made once. A notice's values are each shown once, for every language.

Showing a value needs no decimal context (:data:`~cmrules.expr._show.TEXT_CONTEXT`);
only an explanation that runs one of the checker's helpers (a sum, a table lookup) is
run in the evaluation context, through the ``fixed`` wrapper its caller passes.

The generated source holds only generated names (``_c0``, ``_t0``, the plan's own
``e14``, ``k17``), integer indices the compiler produced, and fixed punctuation: every
text, key and value (ruleset names, literals as written) is bound in the function's
namespace, never written into its source. Trees whose shape depends on the values (a
conditional or a tier inside arithmetic) keep the tree renderer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cmrules.expr import _explain as ex
from cmrules.expr import _show as sh
from cmrules.expr._types import MONEY, T

if TYPE_CHECKING:
    from cmrules.compile._program import Program, RuleInfo

__all__ = [
    "NEGATIVE",
    "Explainer",
    "Fixed",
    "LineText",
    "NoticeRenderer",
    "explainer",
    "line_sum",
    "line_text",
    "notice_renderer",
]

#: ``explainer(state, values, amount)``: the explanation of a line of the rule (``values``: what
#: the line captured; ``amount``: its signed amount).
Explainer = Callable[[Any, tuple[Any, ...], Decimal], str]
#: ``text(state, values, shown)``: the explanation of a line of the rule whose amount shows as
#: ``shown`` (the money text of the line's amount, of its magnitude for a negative category):
#: a writer that holds the amount's text passes it, no Decimal formatted twice.
LineText = Callable[[Any, tuple[Any, ...], str], str]
#: ``renderer(values)``: a notice's text by language, its templates filled with ``values``.
NoticeRenderer = Callable[[tuple[Any, ...]], dict[str, str]]
#: What runs a function in the evaluation context (``cmrules.slip._state.in_fixed_context``).
Fixed = Callable[[Callable[..., Any]], Callable[..., Any]]

#: The categories whose lines are negative on the slip (their explanations show the magnitude).
NEGATIVE = frozenset({"deduction", "fine", "forfeiture"})
#: A helper whose body only reads a record's field (``e14[k17]``): showing it needs no context.
_FIELD_READ = re.compile(r"[a-z]\d+(?:_\d+)?(?:\[k\d+\])+")
_NAME = re.compile(r"[A-Za-z_]\w*")


def explainer(program: Program, rule: RuleInfo, fixed: Fixed) -> Explainer:
    """The explanation of ``rule``'s lines from their amounts: :func:`line_text` of the amount's
    text (:func:`~cmrules.expr._show.amount_text`), made once."""
    made = line_text(program, rule, fixed)
    by_amount: Explainer | None = getattr(made, "by_amount", None)
    if by_amount is None:
        shown = sh.amount_text(program.rounder.places, rule.category in NEGATIVE)

        def by_amount(state: Any, values: tuple[Any, ...], amount: Decimal) -> str:
            return made(state, values, shown(amount))

        made.by_amount = by_amount  # type: ignore[attr-defined]
    return by_amount


def line_text(program: Program, rule: RuleInfo, fixed: Fixed) -> LineText:
    """The compiled explanation of ``rule``'s lines, made once (kept as ``rule.explainer``)."""
    made = rule.explainer
    if made is None:
        made = rule.explainer = _build_line(program, rule, fixed)
    return made  # type: ignore[no-any-return]


def notice_renderer(program: Program, rule: RuleInfo) -> NoticeRenderer:
    """The compiled notice of ``rule``, made once (kept as ``rule.notice_renderer``)."""
    made = rule.notice_renderer
    if made is None:
        made = rule.notice_renderer = _build_notice(program, rule)
    return made  # type: ignore[no-any-return]


def line_sum(raw_lines: list[tuple[Any, ...]], rules: frozenset[int], zero: Decimal) -> Decimal:
    """The sum of the amounts of the lines of ``rules``, as :meth:`RunState.sums` adds them
    (``zero``: no such line)."""
    total = None
    add = sh.TEXT_CONTEXT.add
    for line in raw_lines:
        if line[0] in rules:
            total = add(Decimal(0) if total is None else total, line[1])
    return zero if total is None else total


def _show_value(value: Any, typ: T, places: int) -> str:
    """A helper's rate as a percentage when it is a Decimal, else as its type says."""
    return sh.show_rate(value) if isinstance(value, Decimal) else sh.show(value, typ, places)


class _Source:
    """A generated function being written: its namespace (every value and text it uses) and body."""

    def __init__(self, program: Program, local: str):
        self.program = program
        self.places = program.rounder.places
        self.local = local  # the name of the tuple holding the rule's captured locals
        self.ns: dict[str, Any] = {
            "_SM": sh.money_text(self.places),
            "_SH": sh.show,
            "_SR": sh.show_rate,
            "_SV": _show_value,
            "_LS": line_sum,
            "_PL": self.places,
            "_J": "".join,
        }
        self.body: list[str] = []
        self.reads: dict[tuple[str, Any], str] = {}  # ref -> the local holding its value
        self.shown: dict[tuple[Any, ...], str] = {}  # (how, ref, type) -> the local holding its text
        self.count = 0  # locals named so far
        self.pure = True  # no helper runs: no decimal context needed

    def name(self, prefix: str) -> str:
        """A fresh local name."""
        self.count += 1
        return f"{prefix}{self.count}"

    def bind(self, value: Any) -> str:
        """A name for ``value`` in the namespace."""
        name = f"_c{len(self.ns)}"
        self.ns[name] = value
        return name

    def read(self, ref: tuple[str, Any]) -> str:
        """The code of the value ``ref`` names (read into a local once)."""
        known = self.reads.get(ref)
        if known is not None:
            return known
        kind, key = ref
        if kind == "const":
            return self.bind(self.program.namespace[key])
        index = key if isinstance(key, int) and not isinstance(key, bool) else None
        if kind == "local" and index is not None:
            code = f"{self.local}[{index}]"
        elif kind == "dated" and index is not None:
            code = f"S.params[{index}]"
        elif kind == "fact" and index is not None:
            code = f"S.facts[{index}]"
        elif kind == "input":
            code = f"S.data[{self.bind(key)}]"
        elif kind in ("lines", "totals"):
            rules = frozenset(
                r.index for r in self.program.rules if (r.id if kind == "lines" else r.category) == key
            )
            zero = sh.TEXT_CONTEXT.multiply(self.program.rounder.exp, 0)
            code = f"_LS(S.raw_lines, {self.bind(rules)}, {self.bind(zero)})"
        else:  # whatever else the run state knows
            self.pure = False
            code = f"S.value({self.bind(ref)}, {self.local})"
        var = self.reads[ref] = self.name("_r")
        self.body.append(f"{var} = {code}")
        return var

    def text(self, how: str, ref: tuple[str, Any], typ: T | None) -> str:
        """The name of the text of the value ``ref`` names, shown ``how`` (``"var"``: as its type
        says, ``"rate"``: as a percentage); a constant's text is made here, once."""
        key = (how, ref, typ)
        known = self.shown.get(key)
        if known is not None:
            return known
        if ref[0] == "const":
            value = self.program.namespace[ref[1]]
            made = sh.show_rate(value) if how == "rate" else sh.show(value, typ, self.places)
            name = self.shown[key] = self.bind(made)
            return name
        value_code = self.read(ref)
        name = self.shown[key] = self.name("_t")
        self.body.append(f"{name} = {self.show_code(how, value_code, typ)}")
        return name

    def show_code(self, how: str, value: str, typ: T | None) -> str:
        """The code showing the value held in the local ``value``."""
        if how == "rate":
            return f"_SR({value})"
        if typ is not None and typ.kind == "money":
            return f"_SM({value})"
        return f"_SH({value}, {self.bind(typ)}, _PL)"

    def value_text(self, node: ex.Value, refs: dict[str, tuple[str, Any]]) -> str | None:
        """The name of the text of a helper's value (None: the program has no such helper)."""
        fn = node.fn
        helper = self.program.namespace.get(fn.var)
        if helper is None or any(a not in refs for a in fn.args):
            return None
        value = self.name("_v")
        if _FIELD_READ.fullmatch(fn.code) and set(_NAME.findall(fn.code)) <= {
            *fn.args,
            *self.program.namespace,
        }:
            # a record's field: read here, under the plan's names for the element and the keys
            for name in _NAME.findall(fn.code):
                if name in fn.args:
                    self.body.append(f"{name} = {self.read(refs[name])}")
                else:
                    self.ns[name] = self.program.namespace[name]
            self.body.append(f"{value} = {fn.code}")
        else:
            self.pure = False
            args = ", ".join(self.read(refs[a]) for a in fn.args)
            self.body.append(f"{value} = {self.bind(helper)}({args})")
        name = self.name("_t")
        shown = self.show_code("", value, node.type)
        code = f"_SV({value}, {self.bind(node.type)}, _PL)" if node.percent else shown
        self.body.append(f"{name} = {code}")
        return name

    def compiled(self, args: str, result: str) -> Callable[..., Any]:
        """Compile ``def f(<args>): <body>; return <result>``; its source is kept as ``SOURCE``."""
        source = "\n".join([f"def f({args}):", *("    " + b for b in self.body), f"    return {result}"])
        self.ns["SOURCE"] = source
        # generated names and integer indices only (see the module docstring)
        exec(compile(source + "\n", "<cmrules explanation>", "exec"), self.ns)
        made: Callable[..., Any] = self.ns["f"]
        return made

    def joined(self, args: str, parts: list[str], fixed: Fixed) -> Callable[..., Any]:
        """Compile a function returning the texts named ``parts`` joined; in the evaluation
        context (``fixed``) if it runs a helper."""
        made = self.compiled(args, f"_J(({''.join(p + ', ' for p in parts)}))")
        return made if self.pure else fixed(made)


def _template_parts(src: _Source, rule: RuleInfo) -> tuple[list[str], list[str]] | None:
    """The parts of ``rule``'s arithmetic (names of texts) and of the item fields it lists; None
    when the tree has no fixed template."""
    assert rule.explain is not None
    template = ex.template(rule.explain)
    if template is None:
        return None
    refs = dict(zip(rule.explain_vars, rule.explain_refs, strict=True))
    parts: list[str] = []
    fields: dict[str, str] = {}
    for part in template:
        if isinstance(part, str):
            parts.append(src.bind(part))
        elif isinstance(part, ex.Var):
            parts.append(src.text("rate" if part.percent else "var", refs[part.var], part.type))
        else:
            assert isinstance(part, ex.Value)
            text = src.value_text(part, refs)
            if text is None:
                return None
            parts.append(text)
            if part.name:
                fields.setdefault(part.name, text)
    listed: list[str] = []
    for n, (name, text) in enumerate(fields.items()):
        listed += [src.bind(("; " if n == 0 else ", ") + name + " = "), text]
    return parts, listed


def _build_line(program: Program, rule: RuleInfo, fixed: Fixed) -> LineText:
    if rule.kind == "cap":
        return _build_cap(program, rule, fixed)
    src = _Source(program, "L")
    shown = "shown"  # the argument: the amount's text
    if rule.forfeits is not None:
        reason = f" ({rule.forfeit_reason['en']})" if rule.forfeit_reason else ""
        what = src.text("var", rule.explain_refs[0], MONEY)
        head = src.bind(f"forfeits {rule.forfeits}{reason}: ")
        return src.joined("S, L, shown", [head, what, src.bind(" = "), shown], fixed)
    assert rule.explain is not None
    node = rule.explain
    source = None if node.__class__ is ex.Bin else ex.source_of(node)
    if source is not None:
        tail = _balances_read(src, rule)
        line = src.joined("S, L, shown", [shown, src.bind(f" ({source})"), *tail], fixed)
        if not tail:  # the amount and the constant text: a writer adds them without a call
            line.suffix = f" ({source})"  # type: ignore[attr-defined]
        return line
    made = _template_parts(src, rule)
    if made is None:
        return _tree_explainer(program, rule, fixed)
    parts, fields = made
    tail = [src.bind(" = "), shown, *fields, *_balances_read(src, rule)]
    return src.joined("S, L, shown", [*parts, *tail], fixed)


def _balances_read(src: _Source, rule: RuleInfo) -> list[str]:
    """The parts of ``; ytd_wage (before 2026-03) = 40,000.00`` for each declared balance the amount
    read: the months its value came from."""
    balances = src.program.balances
    if len(balances) <= 1:
        return []
    declared = {spec.name: spec.type for spec in balances[1:]}
    read = dict.fromkeys(key for kind, key in rule.explain_refs if kind == "input" and key in declared)
    parts: list[str] = []
    for name in read:
        period = src.read(("input", "period"))
        before = src.name("_t")
        src.body.append(f"{before} = str({period})")
        parts += [src.bind(f"; {name} (before "), before, src.bind(") = ")]
        parts.append(src.text("var", ("input", name), T(declared[name])))
    return parts


def _tree_explainer(program: Program, rule: RuleInfo, fixed: Fixed) -> LineText:
    """The tree renderer's explanation, for a tree whose shape depends on the values."""
    node, names, refs, places = rule.explain, rule.explain_vars, rule.explain_refs, program.rounder.places
    assert node is not None
    fns = program.namespace
    src = _Source(program, "L")
    tail = _balances_read(src, rule)
    balances = src.compiled("S, L", f"_J(({''.join(p + ', ' for p in tail)}))") if tail else None

    def explain(state: Any, local: tuple[Any, ...], shown: str) -> str:
        env = {n: state.value(r, local) for n, r in zip(names, refs, strict=True)}
        text = ex.explain_amount(node, fns, env, places, shown)
        return text + balances(state, local) if balances is not None else text

    return fixed(explain)


def _build_cap(program: Program, rule: RuleInfo, fixed: Fixed) -> LineText:
    """A cap's line: the rule reduced, by how much, and the cap's arithmetic (its limit's)."""
    assert rule.explain is not None
    places, node, fns = program.rounder.places, rule.explain, program.namespace
    src = _Source(program, "_E")
    src.ns["_E"] = ()  # the limit reads no captured value
    made = _template_parts(src, rule)
    formula = None if made is None else src.compiled("S", f"_J(({''.join(p + ', ' for p in made[0])}))")
    verb = "waived" if rule.category == "waiver" else "carried to next period"
    names, refs = rule.explain_vars, rule.explain_refs

    def explain(state: Any, local: tuple[Any, ...], shown: str) -> str:
        target, limit, capped, excess = local
        money = [sh.show(v, MONEY, places) for v in (capped, limit, excess)]
        if formula is not None:
            text = formula(state)
        else:
            env = {n: state.value(r, ()) for n, r in zip(names, refs, strict=True)}
            text = ex.explain(node, fns, env, places)
        return (
            f"{shown} of {rule.cap_targets[target]} {verb}: capped deductions {money[0]} − "
            f"limit {money[1]} = excess {money[2]} (limit: {text})"
        )

    return fixed(explain)


def _build_notice(program: Program, rule: RuleInfo) -> NoticeRenderer:
    assert rule.notice is not None
    _, _, templates = rule.notice
    src = _Source(program, "V")
    texts: dict[int, str] = {}
    langs: list[tuple[str, list[str]]] = []
    for lang, template in templates.items():
        parts: list[str] = []
        for part in template:
            if isinstance(part, str):
                parts.append(src.bind(part))
                continue
            if part not in texts:  # each value shown once, for every language
                value, texts[part] = src.name("_v"), src.name("_t")
                src.body.append(f"{value} = V[{int(part)}]")
                src.body.append(f"{texts[part]} = {src.show_code('', value, rule.notice_types[part])}")
            parts.append(texts[part])
        langs.append((lang, parts))
    items = ", ".join(f"{src.bind(lang)}: _J(({''.join(p + ', ' for p in parts)}))" for lang, parts in langs)
    made: NoticeRenderer = src.compiled("V", f"{{{items}}}")
    return made
