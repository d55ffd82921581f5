"""Explanations: an amount's arithmetic rendered with the actual values.

The checker builds a small tree per amount expression.  Arithmetic stays as
operators between values; anything that is not arithmetic (a sum over a list,
a table lookup, a record field) is shown as its value, computed by a helper
the checker generated for it.  Rendering happens only when someone asks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cmrules.expr._show import show, show_rate
from cmrules.expr._types import MONEY, T

OPS = {"+": ("+", 1), "-": ("−", 1), "*": ("×", 2), "/": ("÷", 2), "**": ("**", 3)}
ATOM = 9


@dataclass(frozen=True)
class Lambda:
    """A generated helper ``var`` and the names of the values it is called with; ``code`` is its
    body (generated code of those names and the program's constants)."""

    var: str
    args: tuple[str, ...]
    code: str = field(default="", compare=False)

    def __call__(self, fns: Mapping[str, Callable[..., Any]], env: Mapping[str, Any]) -> Any:
        return fns[self.var](*(env[a] for a in self.args))


class Node:
    """A part of an explained amount."""

    def render(self, ctx: Ctx) -> tuple[str, int]:
        """This part's text with the values of ``ctx``, and its precedence (ATOM: never bracketed)."""
        raise NotImplementedError


class Ctx:
    """What rendering reads: the generated helpers, the variables' values, money's places; and,
    filled while rendering, the item fields read (``o.fee`` → its shown value)."""

    __slots__ = ("env", "fields", "fns", "places")

    def __init__(self, fns: Mapping[str, Callable[..., Any]], env: Mapping[str, Any], places: int):
        self.fns, self.env, self.places = fns, env, places
        self.fields: dict[str, str] = {}


_NO_CTX = Ctx({}, {}, 0)


@dataclass(frozen=True)
class Lit(Node):
    """A literal as written (a whole number shown with separators)."""

    value: Any
    text: str

    def render(self, ctx: Ctx) -> tuple[str, int]:
        """The literal's text."""
        if isinstance(self.value, int) and not isinstance(self.value, bool) and "%" not in self.text:
            return f"{self.value:,}", ATOM
        return self.text, ATOM


@dataclass(frozen=True)
class Var(Node):
    """A variable, shown as its value (a rate as a percentage); ``name`` is the name it has in the
    ruleset (a fixed amount's explanation says where it comes from)."""

    var: str
    type: T
    percent: bool = False
    name: str = ""

    def render(self, ctx: Ctx) -> tuple[str, int]:
        """The variable's value."""
        value = ctx.env[self.var]
        if self.percent:
            return show_rate(value), ATOM
        return show(value, self.type, ctx.places), ATOM


@dataclass(frozen=True)
class Value(Node):
    """Anything that is not arithmetic, shown as the value its helper computes (a rate as a
    percentage); ``name`` names an item's field (``o.fee``), which explanations list with its value."""

    fn: Lambda
    type: T
    percent: bool = False
    name: str = ""

    def render(self, ctx: Ctx) -> tuple[str, int]:
        """The helper's value."""
        value = self.fn(ctx.fns, ctx.env)
        text = (
            show_rate(value)
            if self.percent and isinstance(value, Decimal)
            else show(value, self.type, ctx.places)
        )
        if self.name:
            ctx.fields.setdefault(self.name, text)
        return text, ATOM


@dataclass(frozen=True)
class Bin(Node):
    """An arithmetic operator between two parts."""

    op: str
    left: Node
    right: Node

    def render(self, ctx: Ctx) -> tuple[str, int]:
        """Both parts around the operator, bracketed where precedence needs it."""
        symbol, prec = OPS[self.op]
        lt, lp = self.left.render(ctx)
        rt, rp = self.right.render(ctx)
        if lp < prec or (lp == prec and self.op == "**"):  # '**' groups to the right
            lt = f"({lt})"
        if rp < prec or (rp == prec and self.op in "-/"):
            rt = f"({rt})"
        return f"{lt} {symbol} {rt}", prec


@dataclass(frozen=True)
class Neg(Node):
    """A negated part."""

    operand: Node

    def render(self, ctx: Ctx) -> tuple[str, int]:
        """The part after a minus sign."""
        text, prec = self.operand.render(ctx)
        return (f"−{text}" if prec == ATOM else f"−({text})"), 2


@dataclass(frozen=True)
class Fn(Node):
    """A function shown with its explained arguments (``min``, ``max``, ``abs``, ``round``)."""

    name: str
    args: list[Node]

    def render(self, ctx: Ctx) -> tuple[str, int]:
        """The call with each argument rendered."""
        return f"{self.name}({', '.join(a.render(ctx)[0] for a in self.args)})", ATOM


@dataclass(frozen=True)
class Cond(Node):
    """A conditional, shown as the branch its test chose."""

    test: Lambda
    body: Node
    orelse: Node

    def render(self, ctx: Ctx) -> tuple[str, int]:
        """The chosen branch."""
        return (self.body if self.test(ctx.fns, ctx.env) else self.orelse).render(ctx)


@dataclass(frozen=True)
class TierCall(Node):
    """A tier applied to a value, expanded bracket by bracket."""

    tier: Any  # cmrules.engine.tiers.TierFn
    arg: Node
    value: Lambda

    def render(self, ctx: Ctx) -> tuple[str, int]:
        """Each bracket's rate (or amount per unit) times its part of the value, or the fixed amount
        of each bracket reached and where it starts, summed."""
        x = self.value(ctx.fns, ctx.env)
        pieces = self.tier.pieces(x)
        if not pieces:
            return "0", ATOM
        kind = getattr(self.tier, "kind", "rate")
        shown = [_piece(kind, value, hi, lo, ctx.places) for value, hi, lo in pieces]
        return " + ".join(shown), (1 if len(shown) > 1 else 2)


def _piece(kind: str, value: Decimal, hi: Decimal, lo: Decimal | None, places: int) -> str:
    if lo is None:  # a fixed amount, from where its bracket starts
        return f"{show(value, MONEY, places)} (from {show(hi, None, places)})"
    r = show_rate(value) if kind == "rate" else show(value, MONEY, places)
    if lo == 0:
        return f"{r} × {show(hi, None, places)}"
    return f"{r} × ({show(hi, None, places)} − {show(lo, None, places)})"


def explain(node: Node, fns: Mapping[str, Callable[..., Any]], env: Mapping[str, Any], places: int) -> str:
    """The text of an amount's explanation with the values of ``env``."""
    return render(node, Ctx(fns, env, places))


Parts = tuple[str | Node, ...]
#: Each explanation tree's template (by the tree's id; the tree is kept alive beside it): its text
#: with every value to fill in as the node that shows it; None for a tree whose shape depends on
#: the values (a conditional or a tier inside arithmetic).
_TEMPLATES: dict[int, tuple[Node, Parts | None]] = {}


def _parts(node: Node) -> tuple[list[str | Node], int] | None:
    """The template of ``node`` and its precedence, or None when it depends on the values."""
    if isinstance(node, Lit):
        text, prec = node.render(_NO_CTX)
        return [text], prec
    if isinstance(node, Var | Value):
        return [node], ATOM
    if isinstance(node, Bin):
        symbol, prec = OPS[node.op]
        left, right = _parts(node.left), _parts(node.right)
        if left is None or right is None:
            return None
        (lt, lp), (rt, rp) = left, right
        if lp < prec or (lp == prec and node.op == "**"):
            lt = ["(", *lt, ")"]
        if rp < prec or (rp == prec and node.op in "-/"):
            rt = ["(", *rt, ")"]
        return [*lt, f" {symbol} ", *rt], prec
    if isinstance(node, Neg):
        inner = _parts(node.operand)
        if inner is None:
            return None
        parts, prec = inner
        return (["−", *parts] if prec == ATOM else ["−(", *parts, ")"]), 2
    if isinstance(node, Fn):
        out: list[str | Node] = [f"{node.name}("]
        for n, arg in enumerate(node.args):
            sub = _parts(arg)
            if sub is None:
                return None
            out += [", "] * (n > 0) + sub[0]
        return [*out, ")"], ATOM
    return None


def _merged(parts: list[str | Node]) -> Parts:
    out: list[str | Node] = []
    for part in parts:
        if isinstance(part, str) and out and isinstance(out[-1], str):
            out[-1] += part
        else:
            out.append(part)
    return tuple(out)


def template(node: Node) -> Parts | None:
    """The template of ``node``, computed once per tree (see ``_TEMPLATES``)."""
    known = _TEMPLATES.get(id(node))
    if known is not None and known[0] is node:
        return known[1]
    built = _parts(node)
    parts = None if built is None else _merged(built[0])
    _TEMPLATES[id(node)] = (node, parts)
    return parts


def render(node: Node, ctx: Ctx) -> str:
    """The text of ``node`` with the values of ``ctx``: its template filled in when it has one."""
    parts = template(node)
    if parts is None:
        return node.render(ctx)[0]
    return "".join(p if p.__class__ is str else p.render(ctx)[0] for p in parts)  # type: ignore[union-attr]


def explain_amount(
    node: Node, fns: Mapping[str, Callable[..., Any]], env: Mapping[str, Any], places: int, shown: str
) -> str:
    """A line's explanation: the arithmetic, ``=`` the amount ``shown``, then the item fields it read
    (``8.00 × 20% = 1.60; o.fee = 8.00, o.late_share = 20%``). An amount read from one place says
    where it comes from instead (``50.00 (late_fee)``, ``300.00 (fixed amount)``, ``8.00 (o.fee)``)."""
    if node.__class__ is not Bin:  # (an amount with arithmetic has no single source)
        source = source_of(node)
        if source is not None:
            return f"{shown} ({source})"
    ctx = Ctx(fns, env, places)
    text = f"{render(node, ctx)} = {shown}"
    if ctx.fields:
        text += "; " + ", ".join(f"{name} = {value}" for name, value in ctx.fields.items())
    return text


def source_of(node: Node) -> str | None:
    """Where an amount that is a single value comes from: its name, or "fixed amount" for a number
    written in the rule (None: the amount is computed)."""
    if isinstance(node, Lit) and isinstance(node.value, int | Decimal) and not isinstance(node.value, bool):
        return "fixed amount"
    if isinstance(node, Var | Value) and node.name:
        return node.name
    return None


def percent_of(node: Node) -> bool:
    """Whether ``node`` is a single rate (a rate parameter or input, a rate table's output, an item
    value that is one): explanations show its value as a percentage."""
    return isinstance(node, Var | Value) and node.percent
