"""Pydantic models of the ruleset language (the document's shape, not its meaning): the whole
document, :class:`RulesetDoc`, and every model of its parts, re-exported from the modules that
declare them (``_common``, ``_inputs``, ``_rules``, ``_tables``, ``_caps``, ``_balances``).

Expressions stay strings here; :mod:`cmrules.compiler` parses and checks them.
Unknown keys are rejected everywhere.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from cmrules.spec._balances import Balance
from cmrules.spec._caps import Cap, CapFacts, CapLimits, CapNotice
from cmrules.spec._common import (
    Bilingual,
    Category,
    Combine,
    Expr,
    FieldType,
    NoticeKind,
    Reference,
    Rounding,
    ScalarType,
    SlipCategory,
    Strict,
)
from cmrules.spec._inputs import Check, DatedValue, InputField, Parameter
from cmrules.spec._rules import Fact, ForfeitSpec, Invariant, LineSpec, NoticeSpec, Rule
from cmrules.spec._tables import BRACKET_KINDS, Bracket, Column, Table, TableRow, Tier

__all__ = [
    "BRACKET_KINDS",
    "Balance",
    "Bilingual",
    "Bracket",
    "Cap",
    "CapFacts",
    "CapLimits",
    "CapNotice",
    "Category",
    "Check",
    "Column",
    "Combine",
    "DatedValue",
    "Expr",
    "Fact",
    "FieldType",
    "ForfeitSpec",
    "InputField",
    "Invariant",
    "LineSpec",
    "NoticeKind",
    "NoticeSpec",
    "Parameter",
    "Reference",
    "Rounding",
    "Rule",
    "RulesetDoc",
    "ScalarType",
    "SlipCategory",
    "Strict",
    "Table",
    "TableRow",
    "Tier",
]


class RulesetDoc(Strict):
    """A whole ruleset file: header, parameters, inputs, facts, tables, tiers, rules, invariants."""

    cmrules: Literal[1] = 1
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    version: str
    title: Bilingual
    description: str | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "CNY"
    rounding: Rounding = Rounding()
    effective_from: dt.date
    effective_to: dt.date | None = None
    references: list[Reference] = Field(default_factory=list)
    # the modules this ruleset includes, as written (merged in by cmrules.ruleset._include)
    include: list[str] = Field(default_factory=list)
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    inputs: dict[str, InputField] = Field(default_factory=dict)
    facts: dict[str, Fact] = Field(default_factory=dict)
    tables: dict[str, Table] = Field(default_factory=dict)
    tiers: dict[str, Tier] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    invariants: list[Invariant] = Field(default_factory=list)
    # per-item values of a list input: "o in orders" -> {name: expression over o}
    items: dict[str, dict[str, Expr]] = Field(default_factory=dict)
    caps: list[Cap] = Field(default_factory=list)
    balances: dict[str, Balance] = Field(default_factory=dict)
    checks: list[Check] = Field(default_factory=list)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, (int, Decimal)) else value

    @model_validator(mode="after")
    def _dates(self) -> RulesetDoc:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self
