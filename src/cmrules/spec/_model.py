"""Pydantic models of the ruleset language (the document's shape, not its meaning).

Expressions stay strings here; :mod:`cmrules.compiler` parses and checks them.
Unknown keys are rejected everywhere.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from cmrules._money import ROUNDING_MODES

Category = Literal["earning", "deduction", "fine", "forfeiture", "adjustment"]
NoticeKind = Literal["info", "warning", "grade", "prize", "ultimatum", "compliance", "score"]
ScalarType = Literal["money", "rate", "decimal", "int", "bool", "str", "date", "period"]
FieldType = Literal[
    "money", "rate", "decimal", "int", "bool", "str", "date", "period", "list", "record", "map"
]
Combine = Literal["sum", "any", "all", "max", "min", "list"]


def _expr_text(value: Any) -> Any:
    """YAML reads ``amount: 50`` as a number and ``when: true`` as a bool: an expression is their text."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, Decimal)):
        return str(value)
    return value


#: An expression: its text (compiled later by :mod:`cmrules.expr`).
Expr = Annotated[str, BeforeValidator(_expr_text)]


class Strict(BaseModel):
    """Base of every document model: unknown keys refused, values frozen, aliases accepted."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Bilingual(Strict):
    """A label in Chinese and English (``zh`` / ``en``), as shown on slips."""

    zh: str
    en: str


class Rounding(Strict):
    """How money is rounded: decimal ``places`` (0–8) and a ``decimal`` rounding ``mode``."""

    places: Annotated[int, Field(ge=0, le=8)] = 2
    mode: Literal[tuple(ROUNDING_MODES)] = "ROUND_HALF_UP"  # type: ignore[valid-type]


class Reference(Strict):
    """A source of the policy (seed document, article), quoted verbatim where possible."""

    id: str
    source: str
    quote: str | None = None
    note: str | None = None


class DatedValue(Strict):
    """A parameter value in force from a date (``from``) until the next one starts."""

    from_: dt.date = Field(alias="from")
    value: Any
    reference: str | None = None


class Parameter(Strict):
    """A named constant with a type: one ``value``, or dated ``values``."""

    type: ScalarType
    value: Any = None
    values: list[DatedValue] | None = None
    label: Bilingual | None = None
    reference: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Parameter:
        if (self.value is None) == (self.values is None):
            raise ValueError("give exactly one of 'value' or 'values' (dated)")
        return self


class InputField(Strict):
    """One field of an employee's input: type, bounds, enum, default; the shape of lists, records, maps."""

    type: FieldType
    label: Bilingual | None = None
    description: str | None = None
    ge: Decimal | None = None
    gt: Decimal | None = None
    le: Decimal | None = None
    lt: Decimal | None = None
    enum: list[Any] | None = None
    default: Any = None
    optional: bool = False
    # list: element type, either a scalar type name or a record (fields mapping)
    of: InputField | None = None
    fields: dict[str, InputField] | None = None
    # map: declared keys (optional) and the value type
    keys: list[str] | None = None
    values: InputField | None = None
    max_items: Annotated[int, Field(ge=0, le=100_000)] = 1000
    min_items: Annotated[int, Field(ge=0)] = 0
    # list: the only lengths allowed (e.g. [3, 6] for a checklist group of 3 or 6 sub-items)
    lengths: list[Annotated[int, Field(ge=0)]] | None = None
    # date: the day must fall in the input's period (a booking of this month)
    in_period: bool = False

    @model_validator(mode="after")
    def _shape(self) -> InputField:
        if self.type == "list" and self.of is None:
            raise ValueError("a list declares its element type with 'of'")
        if self.type == "record" and not self.fields:
            raise ValueError("a record declares its 'fields'")
        if self.type == "map" and self.values is None:
            raise ValueError("a map declares its value type with 'values'")
        if self.type not in ("list",) and self.of is not None:
            raise ValueError("'of' is only for lists")
        if self.type != "list" and self.lengths is not None:
            raise ValueError("'lengths' is only for lists")
        if self.type != "record" and self.fields is not None:
            raise ValueError("'fields' is only for records")
        if self.type != "map" and (self.values is not None or self.keys is not None):
            raise ValueError("'keys'/'values' are only for maps")
        if self.in_period and self.type != "date":
            raise ValueError("'in_period' is only for dates")
        if self.enum is not None:
            if self.type not in ("str", "int"):
                raise ValueError("'enum' is only for str and int fields")
            want = str if self.type == "str" else int
            if not self.enum or any(type(choice) is not want for choice in self.enum):
                raise ValueError(f"'enum' lists one or more choices of type {self.type}")
        return self


class Fact(Strict):
    """A named derived value: computed by ``expr``, or set/combined by rules (``combine``)."""

    type: ScalarType | Literal["list"]
    expr: Expr | None = None
    combine: Combine | None = None
    default: Any = None
    label: Bilingual | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _expr_or_rules(self) -> Fact:
        if self.expr is not None and self.combine is not None:
            raise ValueError("a fact with 'expr' is computed; it cannot also 'combine'")
        return self


class LineSpec(Strict):
    """The slip line a rule makes: its ``category`` and ``amount`` expression."""

    category: Category
    amount: Expr


class NoticeSpec(Strict):
    """A notice a rule raises (warning, grade, prize, ultimatum …) with a code and bilingual text."""

    kind: NoticeKind
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    text: Bilingual


class ForfeitSpec(Strict):
    """A rule's forfeiture of another rule's line, with an optional reason."""

    rule: str
    reason: Bilingual | None = None


class Rule(Strict):
    """A rule: when it fires (``for_each``, ``when``) and what it makes (line, facts, notice, forfeiture)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    label: Bilingual
    for_each: str | None = None
    when: Expr | None = None
    let: dict[str, Expr] = Field(default_factory=dict)
    line: LineSpec | None = None
    set: dict[str, Expr] = Field(default_factory=dict)
    contribute: dict[str, Expr] = Field(default_factory=dict)
    notice: NoticeSpec | None = None
    forfeit: ForfeitSpec | None = None
    salience: int = 0
    reference: str | None = None
    note: str | None = None


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
    """One bracket of a tier: the amount it starts ``from`` and its ``rate``."""

    from_: Decimal = Field(alias="from")
    rate: Any


class Tier(Strict):
    """A commission scale of brackets, applied marginally or retroactively."""

    mode: Literal["marginal", "retroactive"]
    brackets: Annotated[list[Bracket], Field(min_length=1)]
    label: Bilingual | None = None
    reference: str | None = None


class Invariant(Strict):
    """A law every slip must obey (``always``), or a monotonic relation between an input and an output."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    label: Bilingual | None = None
    # always: an expression over slip names that must hold for every valid input
    always: Expr | None = None
    # monotonic: the output named grows (or shrinks) with the input named
    monotonic: Expr | None = None
    increasing_in: str | None = None
    decreasing_in: str | None = None
    given: Expr | None = None

    @model_validator(mode="after")
    def _one_law(self) -> Invariant:
        if (self.always is None) == (self.monotonic is None):
            raise ValueError("an invariant is either 'always' or 'monotonic'")
        if self.monotonic is not None and (self.increasing_in is None) == (self.decreasing_in is None):
            raise ValueError("'monotonic' needs exactly one of increasing_in / decreasing_in")
        return self


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

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, (int, Decimal)) else value

    @model_validator(mode="after")
    def _dates(self) -> RulesetDoc:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self
