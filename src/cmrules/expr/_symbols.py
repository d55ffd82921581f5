"""The names expressions see and what checking one gives: symbols, scopes, constants,
checked expressions, and the state of checking one expression."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cmrules.expr import _explain as ex
from cmrules.expr._parse import Parsed
from cmrules.expr._types import T

RESERVED = frozenset({"lines", "totals", "True", "False", "None"})
CATEGORIES = ("earning", "deduction", "fine", "forfeiture", "adjustment", "waiver", "deferral")


def line_var(position: int) -> str:
    """The generated variable holding the sum of the lines of the rule at ``position``."""
    return f"L{position}"


@dataclass(frozen=True)
class Symbol:
    """A name visible to expressions.

    ``dep`` is the dependency key the engine orders rules by (None for names
    local to one rule); ``var`` is the Python identifier in generated code.
    """

    name: str
    type: T
    var: str
    dep: tuple[str, str] | None
    percent: bool = False  # a rate: explanations show it as "3%"


@dataclass(frozen=True)
class Callee:
    """A table or tier callable from expressions."""

    name: str
    var: str
    params: tuple[T, ...]
    result: T
    tier: Any = None  # the tier spec, for explanations that expand it
    percent: bool = False  # a table whose output is a rate: explanations show it as "20%"


@dataclass
class Scope:
    """The symbols of one level of names, inside those of ``parent``."""

    symbols: dict[str, Symbol]
    parent: Scope | None = None
    loop: str = ""  # "for_each" or "generator": its names are the elements of that loop

    def loops(self) -> list[str]:
        """The loops this scope is inside, innermost first: each multiplies the work by a list's length."""
        out: list[str] = []
        scope: Scope | None = self
        while scope is not None:
            if scope.loop:
                out.append(scope.loop)
            scope = scope.parent
        return out

    def get(self, name: str) -> Symbol | None:
        """The symbol ``name`` names here or in an enclosing scope (None: unknown)."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.symbols:
                return scope.symbols[name]
            scope = scope.parent
        return None

    def names(self) -> list[str]:
        """Every name visible here, innermost first."""
        out: list[str] = []
        scope: Scope | None = self
        while scope is not None:
            out.extend(scope.symbols)
            scope = scope.parent
        return out


@dataclass
class Consts:
    """Module-level constants of generated code (Decimal literals, strings)."""

    values: dict[str, Any] = field(default_factory=dict)
    _index: dict[tuple[type, Any], str] = field(default_factory=dict)

    def name(self, value: Any) -> str:
        """The generated variable holding ``value`` (one per distinct value)."""
        key = (type(value), value if not hasattr(value, "as_tuple") else value.as_tuple())
        if key not in self._index:
            var = f"k{len(self.values)}"
            self._index[key] = var
            self.values[var] = value
        return self._index[key]


@dataclass
class Compiled:
    """One checked expression."""

    type: T
    code: str
    reads: tuple[Symbol, ...]  # symbols read, in first-read order, loop variables excluded
    explain: ex.Node


@dataclass
class State:
    """Checking one expression: its parse, the names in scope, and the symbols read so far."""

    parsed: Parsed
    scope: Scope
    reads: dict[str, Symbol] = field(default_factory=dict)
    quiet: bool = False
