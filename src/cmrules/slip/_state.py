"""What a run leaves behind: the state the slip reads values from when someone asks."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cmrules.compile._program import Program

__all__ = ["RunState"]


class RunState:
    """What a run leaves behind, to find the values rules read when someone asks."""

    __slots__ = ("_sums", "data", "facts", "params", "program", "raw_lines")

    def __init__(
        self,
        program: Program,
        data: dict[str, Any],
        params: tuple[Any, ...],
        facts: tuple[Any, ...],
        raw_lines: list[tuple[Any, ...]],
    ):
        self.program, self.data, self.params, self.facts = program, data, params, facts
        self.raw_lines = raw_lines
        self._sums: dict[tuple[str, str], Decimal] | None = None

    def value(self, ref: tuple[str, Any], local: tuple[Any, ...]) -> Any:
        """The value a rule read through ``ref``; ``local`` holds its element and ``let`` names."""
        kind, key = ref
        if kind == "local":
            return local[key]
        if kind == "input":
            return self.data[key]
        if kind == "const":
            return self.program.namespace[key]
        if kind == "dated":
            return self.params[key]
        if kind == "fact":
            return self.facts[key]
        return self.sums().get((kind, key), self.program.rounder.exp * 0)

    def sums(self) -> dict[tuple[str, str], Decimal]:
        """``lines.<rule>`` and ``totals.<category>`` as rules read them (amounts as written)."""
        if self._sums is None:
            sums: dict[tuple[str, str], Decimal] = {}
            rules = self.program.rules
            for r, amount, *_ in self.raw_lines:
                rule = rules[r]
                for key in (("lines", rule.id), ("totals", rule.category)):
                    sums[key] = sums.get(key, Decimal(0)) + amount
            self._sums = sums
        return self._sums

    def env(
        self, names: tuple[str, ...], refs: tuple[tuple[str, Any], ...], local: tuple[Any, ...]
    ) -> dict[str, Any]:
        """The values of ``names`` (read through ``refs``) as an expression's environment."""
        return {n: self.value(r, local) for n, r in zip(names, refs, strict=True)}
