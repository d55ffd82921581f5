"""Lookups a ruleset declares: decision tables (columns, rows, hit policy) and tiers (brackets
over a quantity, applied marginally or retroactively).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from cmrules.spec._common import Bilingual, ScalarType, Strict


class Column(Strict):
    """A decision-table column: its name and scalar type."""

    name: str
    type: ScalarType


class TableRow(Strict):
    """One row of a decision table: a cell per input column (``when``) and the output (``then``)."""

    when: list[Any]
    then: Any
    note: str | None = None


class Table(Strict):
    """A decision table with a hit policy (FIRST, UNIQUE, COLLECT and its aggregate)."""

    hit_policy: Literal["FIRST", "UNIQUE", "COLLECT"]
    inputs: list[Column]
    output: Column
    aggregate: Literal["sum", "min", "max", "count", "list"] | None = None
    default: Any = None
    rows: list[TableRow]
    label: Bilingual | None = None
    reference: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _aggregate_only_collect(self) -> Table:
        if self.aggregate is not None and self.hit_policy != "COLLECT":
            raise ValueError("'aggregate' is only for hit policy COLLECT")
        return self


class Bracket(Strict):
    """One bracket of a tier: the quantity it starts ``from`` and what it pays: exactly one of a
    ``rate`` (a share of the quantity), an ``amount_per_unit`` (money per unit of the quantity)
    or a fixed ``amount`` (money)."""

    from_: Decimal = Field(alias="from")
    rate: Any = None
    amount_per_unit: Any = None
    amount: Any = None

    @model_validator(mode="after")
    def _one_kind(self) -> Bracket:
        given = [k for k in BRACKET_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            also = f" (it gives {' and '.join(given)})" if given else ""
            raise ValueError(f"a bracket gives exactly one of 'rate', 'amount_per_unit' or 'amount'{also}")
        return self

    @property
    def kind(self) -> str:
        """What the bracket pays: ``rate``, ``amount_per_unit`` or ``amount``."""
        return next(k for k in BRACKET_KINDS if getattr(self, k) is not None)


#: What a tier's brackets can pay, one kind per tier.
BRACKET_KINDS = ("rate", "amount_per_unit", "amount")


class Tier(Strict):
    """A scale of brackets over a quantity (money, a count, a score), applied marginally or
    retroactively; its brackets all pay a rate, an amount per unit, or a fixed amount."""

    mode: Literal["marginal", "retroactive"]
    brackets: Annotated[list[Bracket], Field(min_length=1)]
    label: Bilingual | None = None
    reference: str | None = None
