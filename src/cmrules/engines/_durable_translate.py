"""Which leading operands of a rule's condition the Rete network can decide, as terms over input fields.

A term compares one input field with one constant, or joins terms with ``all`` /
``any``.  The field is a scalar input (int, money, decimal, rate, bool, str,
period), a field of a record input, or, in a ``for_each: x in <list input>``
rule, the element ``x`` or its field ``x.f``; the constant is a literal or a
parameter without dated values.  ``== != < <= > >=`` (chains too), ``in`` /
``not in`` a literal tuple, a bool input alone, and ``not``, ``and``, ``or`` of
those translate.  The rest stays in Python, and why:

* Conditions on facts, item values (``items:``), line sums (``lines.x``), totals
  and ``let`` names: the plan computes them while it runs, after the match (the
  Rete network only sees what was asserted up front).
* Arithmetic and function calls: the engine computes in C doubles, and an
  integer division by zero in a condition kills the process.
* Dated parameters (the registered network is one per version, not per period),
  dates, and ``in`` a list input (the engine has no ``$in``, and joins across
  facts crash it).
* Every operand after the first one kept in Python: that operand may raise (a
  division by zero, a table without a matching row), and the native engine only
  evaluates it when the operands before it hold, so only a prefix is matched.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cmrules.compile._program import Program, element_var
from cmrules.expr._operators import COMPARISONS
from cmrules.expr._types import T

__all__ = ["Key", "RuleScope", "Term", "Translator", "walk"]

Key = tuple[str, str, str | None]  # ("s", input, field) or ("e", list input, field)
Term = tuple[Any, ...]  # ("cmp", key, op, constant) | ("all" | "any", [terms])

_KINDS = {"int": "num", "money": "num", "decimal": "num", "rate": "num", "bool": "bool", "str": "text"}
_KINDS["period"] = "text"
_FOR_EACH = re.compile(r"\s*\w+\s+in\s+(\w+)\s*")
_CONST = re.compile(r"k\d+")  # the plan's constants (literals, parameters without dates)
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "==", "in": "not in", "not in": "in"}
_NOT_CONSTANT = object()


@dataclass
class RuleScope:
    """One rule as the translator sees it: its index and, for ``for_each`` over an input list, the element."""

    index: int
    elem_var: str | None  # the for_each element's variable in the plan, when it is an input list's
    list_name: str | None
    elem_type: T | None


class Translator:
    """Turns the generated conditions of one program into terms over input fields."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.kinds: dict[Key, str] = {}  # "num" | "bool" | "text"

    def rule(self, index: int) -> RuleScope:
        """The scope of rule ``index``: whether its ``for_each`` runs over an input list."""
        info = self.program.rules[index]
        match = _FOR_EACH.fullmatch(info.for_each or "")
        typ = self.program.input_types.get(match.group(1)) if match else None
        if match is None or typ is None or typ.kind != "list" or typ.elem is None:
            return RuleScope(index, None, None, None)
        return RuleScope(index, element_var(index), match.group(1), typ.elem)

    def terms(self, rule: RuleScope) -> list[Term]:
        """The translations of the leading operands of the rule's condition, up to the first that fails."""
        out = []
        for conjunct in self.program.conjuncts(rule.index):
            term = self.term(conjunct, rule, negate=False)
            if term is None:
                break
            out.append(term)
        return out

    def term(self, node: ast.expr, rule: RuleScope, negate: bool) -> Term | None:
        """The term of one condition node (negated under ``not``), or None when it stays in Python."""
        if isinstance(node, ast.BoolOp):
            parts = [self.term(value, rule, negate) for value in node.values]
            if any(part is None for part in parts):
                return None
            both = isinstance(node.op, ast.And) != negate  # De Morgan under 'not'
            return ("all" if both else "any", parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self.term(node.operand, rule, not negate)
        if isinstance(node, ast.Compare):
            parts, left = [], node.left
            for op, right in zip(node.ops, node.comparators, strict=True):
                part = self.compare(left, COMPARISONS.get(type(op)), right, rule, negate)
                if part is None:
                    return None
                parts.append(part)
                left = right
            return parts[0] if len(parts) == 1 else ("any" if negate else "all", parts)
        key = self.operand(node, rule)
        if key is not None and self.kinds[key] == "bool":
            return ("cmp", key, "==", not negate)
        return None

    def compare(
        self, left: ast.expr, op: str | None, right: ast.expr, rule: RuleScope, negate: bool
    ) -> Term | None:
        """The term of ``left op right`` when one side is an input field and the other a constant."""
        if op is None:
            return None
        if op in ("in", "not in"):
            key = self.operand(left, rule)
            if key is None or not isinstance(right, ast.Tuple | ast.List):
                return None
            values = [self.constant(elt) for elt in right.elts]
            if not all(self.fits(key, value) for value in values):
                return None
            op = _NEGATE[op] if negate else op
            if op == "in":
                return ("any", [("cmp", key, "==", value) for value in values])
            return ("all", [("cmp", key, "!=", value) for value in values])
        key, value = self.operand(left, rule), self.constant(right)
        if key is None:
            key, value, op = self.operand(right, rule), self.constant(left), _MIRROR[op]
        if key is None or not self.fits(key, value):
            return None
        if op not in ("==", "!=") and self.kinds[key] != "num":
            return None
        return ("cmp", key, _NEGATE[op] if negate else op, value)

    def operand(self, node: ast.expr, rule: RuleScope) -> Key | None:
        """The input field ``node`` reads: an input, a record input's field, the element or its field."""
        program = self.program
        sub: str | None = None
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Name):
            name = self.constant(node.slice)
            if not isinstance(name, str):
                return None
            node, sub = node.value, name
        if not isinstance(node, ast.Name):
            return None
        source = program.input_vars.get(node.id)
        if source is not None:
            key: Key = ("s", source, sub)
            typ = program.input_types[source]
        elif node.id == rule.elem_var and rule.list_name is not None and rule.elem_type is not None:
            key, typ = ("e", rule.list_name, sub), rule.elem_type
        else:
            return None
        if sub is not None:
            if sub in typ.computed:  # an item value: the plan computes it, after the match
                return None
            found = typ.field(sub) if typ.kind == "record" else None
            if found is None:
                return None
            typ = found
        kind = _KINDS.get(typ.kind)
        if kind is None:
            return None
        self.kinds[key] = kind
        return key

    def constant(self, node: ast.expr) -> Any:
        """The value of a literal or of a parameter without dated values (a sentinel otherwise)."""
        if isinstance(node, ast.Constant) and type(node.value) in (bool, int):
            return node.value
        if isinstance(node, ast.Name) and _CONST.fullmatch(node.id):
            value = self.program.namespace.get(node.id, _NOT_CONSTANT)
            if type(value) in (bool, int, str) or (type(value) is Decimal and value.is_finite()):
                return value
            return _NOT_CONSTANT
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            value = self.constant(node.operand)
            if type(value) in (int, Decimal):
                return -value
        return _NOT_CONSTANT

    def fits(self, key: Key, value: Any) -> bool:
        """Whether ``value`` is a constant of the field's kind."""
        kind = self.kinds[key]
        if kind == "num":
            return type(value) in (int, Decimal)
        return type(value) is (bool if kind == "bool" else str)


def walk(term: Term) -> Iterable[tuple[Key, str, Any]]:
    """Every comparison ``(key, op, constant)`` in ``term``."""
    if term[0] == "cmp":
        yield term[1], term[2], term[3]
    else:
        for part in term[1]:
            yield from walk(part)
