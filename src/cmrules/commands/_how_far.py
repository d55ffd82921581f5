"""How far: for a condition that failed, how far each comparison is from holding (and what reaching
it is worth, found by paying the employee again with the quantity moved there); for a tier, how far
the next bracket is and what it adds to the line."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from cmrules.commands._what_if import apply_changes
from cmrules.errors import CmrulesError
from cmrules.expr import _explain as ex
from cmrules.expr import _show as sh
from cmrules.ruleset._ruleset import Version
from cmrules.slip._payslip import PaySlip

__all__ = ["failed_comparisons", "next_brackets"]

_OPS: dict[type[ast.cmpop], str] = {ast.GtE: ">=", ast.Gt: ">", ast.LtE: "<=", ast.Lt: "<"}
_SUM = re.compile(r"\s*sum\(\s*(\w+)\s*\.\s*(\w+)\s+for\s+(\w+)\s+in\s+(\w+)\b")
_COUNT = re.compile(r"\s*count\(\s*(\w+)\s+for\s+(\w+)\s+in\s+(\w+)\b")
#: At most this many items are tried when moving a sum over a list to a threshold.
_TRIES = 5


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    return Decimal(value)


def _side(node: ast.expr, values: Mapping[str, Any]) -> tuple[str, Decimal] | None:
    """A comparison's side: its text and number (a name with a known number, or a number written)."""
    if isinstance(node, ast.Constant):
        number = _number(node.value)
        return None if number is None else (repr(node.value), number)
    if isinstance(node, ast.Name) and node.id in values:
        number = _number(values[node.id])
        return None if number is None else (node.id, number)
    return None


def _comparisons(text: str) -> Iterator[ast.Compare]:
    try:
        tree = ast.parse(" ".join(text.split()), mode="eval").body
    except SyntaxError:  # '3%' and such: no distances
        return
    parts = tree.values if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And) else [tree]
    for part in parts:
        if isinstance(part, ast.Compare) and len(part.ops) == 1 and type(part.ops[0]) in _OPS:
            yield part


def failed_comparisons(
    when: str,
    values: Mapping[str, Any],
    places: int,
    worth: Callable[[str, Decimal], str | None] | None = None,
) -> list[str]:
    """For each ``a op b`` of ``when`` (joined by ``and``) that is false, with numbers on both sides:
    how far ``a`` is from making it true (``6 more days_online reach 26``), and, when ``worth`` can
    tell, what getting there changes."""
    out = []
    for cmp in _comparisons(when):
        left, right = _side(cmp.left, values), _side(cmp.comparators[0], values)
        op = _OPS[type(cmp.ops[0])]
        if left is None or right is None:
            continue
        if left[0][0].isdigit() and not right[0][0].isdigit():  # 600 <= counted: the name first
            left, right = right, left
            op = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}[op]
        (name, a), (bound, b) = left, right
        holds = {">=": a >= b, ">": a > b, "<=": a <= b, "<": a < b}[op]
        if holds:
            continue
        whole = (
            a == a.to_integral_value() and b == b.to_integral_value() and isinstance(values.get(name), int)
        )
        step = Decimal(1) if whole else Decimal(1).scaleb(-places)
        target = {">=": b, ">": b + step, "<=": b, "<": b - step}[op]
        shown_bound = (
            f"{bound} ({sh.show(b, None, places)})" if bound[0].isalpha() else sh.show(b, None, places)
        )
        verb = {">=": "reach", ">": "pass", "<=": "come down to", "<": "come under"}[op]
        more = "more" if op in (">=", ">") else "less"
        text = f"{sh.show(abs(target - a), None, places)} {more} {name} {verb} {shown_bound}"
        extra = worth(name, target) if worth is not None else None
        out.append(text + (f", {extra}" if extra else ""))
    return out


class Mover:
    """Pays an employee again with one quantity moved to a target: an input set to it, or a fact that
    sums a field over a list (one item's field moved) or counts a list's items (items repeated)."""

    def __init__(self, version: Version, record: Mapping[str, Any], slip: PaySlip):
        self.version, self.record, self.slip = version, record, slip
        self.places = version.program.rounder.places

    def worth(self, name: str, target: Decimal) -> str | None:
        """``worth +300.00 net (what-if days_online = 26)``, or None when the quantity cannot be moved."""
        for changes in self._candidates(name, target):
            try:
                changed = apply_changes(self.record, changes)
                after = self.version.run(self.version.validator(changed))
            except (CmrulesError, ValueError, ArithmeticError):
                continue
            if self._quantity(after, name) != target:
                continue
            diff = after.net - self.slip.net
            sign = "+" if diff > 0 else "−" if diff < 0 else "±"
            return f"worth {sign}{sh.show(abs(diff), None, self.places)} net (what-if {'; '.join(changes)})"
        return None

    def _quantity(self, slip: PaySlip, name: str) -> Any:
        if name in slip.facts:
            return slip.facts[name]
        return slip.run_state.data.get(name)

    def _candidates(self, name: str, target: Decimal) -> Iterator[list[str]]:
        current = _number(self._quantity(self.slip, name))
        if current is None:
            return
        declared = self.version.doc.inputs.get(name)
        if declared is not None and declared.type in ("int", "decimal", "money"):
            yield [f"{name}={target}"]
            return
        fact = self.version.doc.facts.get(name)
        if fact is None or fact.expr is None:
            return
        delta = target - current
        summed, counted = _SUM.match(fact.expr), _COUNT.match(fact.expr)
        if summed and summed.group(1) == summed.group(3):
            items = self.record.get(summed.group(4))
            if isinstance(items, list):
                for i in range(len(items) - 1, max(len(items) - 1 - _TRIES, -1), -1):
                    yield [f"{summed.group(4)}[{i}].{summed.group(2)}+={delta}"]
        elif counted and counted.group(1) == counted.group(2) and delta > 0:
            items = self.record.get(counted.group(3))
            if isinstance(items, list) and items:
                yield [f"{counted.group(3)}={len(items) + int(delta)}"]


def next_brackets(node: ex.Node, ctx: ex.Ctx) -> Iterator[tuple[ex.TierCall, Decimal, Decimal]]:
    """Each tier in ``node`` with the value it was applied to and where its next bracket starts."""
    if isinstance(node, ex.TierCall):
        x = node.value(ctx.fns, ctx.env)
        starts = [start for start, _ in node.tier.brackets if start > x]
        if starts:
            yield node, x, min(starts)
    for child in vars(node).values():
        kids = child if isinstance(child, list) else [child]
        for kid in kids:
            if isinstance(kid, ex.Node):
                yield from next_brackets(kid, ctx)
