"""The static types of the expression language."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace

NUMERIC = ("int", "decimal", "money")


@dataclass(frozen=True)
class T:
    """A type: a scalar kind, or list/record/map with their parts.

    ``optional``: the value may be ``None`` (no value), as ``x if c else None``, the
    one-list ``min``/``max`` of dates, a table with a ``null`` output, or a fact set to
    one of those. Only ``==``/``!=``, a conditional's branch, a text or true/false table
    column, and storing it (a fact, a ``let``, a notice) take such a value.
    """

    kind: str
    elem: T | None = None
    fields: tuple[tuple[str, T], ...] = ()
    name: str = ""
    optional: bool = False
    computed: tuple[str, ...] = ()  # a record's fields computed per item (``items:``), not input
    rates: tuple[str, ...] = ()  # a record's fields that are rates (explanations show "20%")

    def field(self, name: str) -> T | None:
        """The type of a record's field ``name`` (None: no such field)."""
        key = self.field_key(name)
        return None if key is None else dict(self.fields)[key]

    def field_key(self, name: str) -> str | None:
        """The declared spelling of the record field an expression names ``name`` (None: no such
        field): names compare in their NFKC form, as Python reads the names of an expression."""
        wanted = name_key(name)
        return next((key for key, _ in self.fields if name_key(key) == wanted), None)

    @property
    def numeric(self) -> bool:
        """Whether this is a number: int, decimal or money."""
        return self.kind in NUMERIC

    def __str__(self) -> str:
        if self.optional and self.kind != "none":
            return f"{certain(self)} or None"
        if self.kind == "list":
            return f"list of {self.elem}"
        if self.kind == "map":
            return f"map of {self.elem}"
        if self.kind == "record":
            return f"record {self.name}".rstrip()
        return self.kind


INT = T("int")
DECIMAL = T("decimal")
MONEY = T("money")
BOOL = T("bool")
STR = T("str")
DATE = T("date")
PERIOD = T("period")
NONE = T("none", optional=True)


def certain(t: T) -> T:
    """``t`` without the possibility of ``None``."""
    return replace(t, optional=False) if t.optional else t


def maybe(t: T) -> T:
    """``t`` or ``None``."""
    return t if t.optional else replace(t, optional=True)


def scalar(kind: str) -> T:
    """The expression type of a declared scalar type (a rate is a decimal)."""
    return DECIMAL if kind == "rate" else T(kind)


def arith(a: T, b: T) -> T:
    """The type of arithmetic on ``a`` and ``b``: money wins over decimal over int."""
    if "money" in (a.kind, b.kind):
        return MONEY
    if "decimal" in (a.kind, b.kind):
        return DECIMAL
    return INT


def comparable(a: T, b: T, ordered: bool) -> bool:
    """Whether ``a`` and ``b`` compare: with ``<`` and the like when ``ordered``, else ``==``."""
    if ordered and (a.optional or b.optional):  # None < 1 fails
        return False
    if not ordered and NONE in (a, b):
        return True
    a, b = certain(a), certain(b)
    if a.numeric and b.numeric:
        return True
    if a.kind != b.kind:
        return False
    return a.kind in ("date", "str", "period") or (not ordered and a.kind == "bool")


def assignable(value: T, target: T) -> bool:
    """Can a value of type ``value`` be stored in a fact declared ``target``? (Whether the
    fact may then be ``None`` is the caller's business.)"""
    value, target = certain(value), certain(target)
    if value == target or value.kind == "none":
        return True
    if target.kind in ("money", "decimal"):
        return value.numeric
    return target.kind == "list" and value.kind == "list"


def name_key(name: str) -> str:
    """A declared name as an expression reads it: Python reads identifiers in their NFKC form
    (``ｓａｌｅｓ`` is ``sales``), so declared names are compared and looked up in that form."""
    return unicodedata.normalize("NFKC", name)
