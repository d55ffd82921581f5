"""Pydantic models of the ruleset language (the document's shape, not its meaning).

Expressions stay strings here; :mod:`cmrules.compiler` parses and checks them.
Unknown keys are rejected everywhere.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from cmrules._money import ROUNDING_MODES

Category = Literal["earning", "deduction", "fine", "forfeiture", "adjustment"]
#: The categories of a slip's lines: a rule's, and a cap's (``waiver``, ``deferral``; see :class:`Cap`).
SlipCategory = Literal["earning", "deduction", "fine", "forfeiture", "adjustment", "waiver", "deferral"]
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


class CapLimits(Strict):
    """What a cap limits: the lines of the rules named and of the categories named (a rule's
    own category or a deduction-side category: ``deduction``, ``fine``, ``forfeiture``)."""

    categories: list[Literal["deduction", "fine", "forfeiture"]] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> CapLimits:
        if not self.categories and not self.rules:
            raise ValueError("a cap limits the lines of some 'categories' or 'rules'")
        return self


class CapFacts(Strict):
    """Declared money facts a cap sets: the amount its deductions may reach, and the excess."""

    limit: str | None = None
    excess: str | None = None


class CapNotice(Strict):
    """The notice a cap gives when its deductions go above it; the text may read ``{capped}``,
    ``{limit}`` and ``{excess}``."""

    kind: NoticeKind = "compliance"
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    text: Bilingual


class Cap(Strict):
    """A limit on deductions: the lines it ``limits`` may add up to ``limit`` (and never take
    net below ``net_floor``); the excess is waived, carried forward, or only reported."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    label: Bilingual
    limits: CapLimits
    limit: Expr
    rounding: Rounding | None = None
    net_floor: Expr | None = None
    excess: Literal["waive", "carry_forward", "report"] = "waive"
    order: list[str] = Field(default_factory=list)
    facts: CapFacts = CapFacts()
    notice: CapNotice | None = None
    reference: str | None = None
    note: str | None = None


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class Balance(Strict):
    """A value an employee carries from period to period: read as its value before the period,
    changed at the period's end by ``add`` (after = before + add) or ``set`` (the value after)."""

    label: Bilingual | None = None
    type: Literal["money", "decimal", "int"] = "money"
    resets: str = "never"
    add: Expr | None = None
    set: Expr | None = None
    initial: Any = None
    # bounds of the input a balance is without a ledger (as an input's ``ge`` / ``le``)
    ge: Decimal | None = None
    le: Decimal | None = None
    note: str | None = None

    @field_validator("resets", mode="before")
    @classmethod
    def _resets(cls, value: Any) -> Any:
        if value in ("never", "yearly"):
            return value
        text = value if isinstance(value, str) else ""
        match = re.fullmatch(r"(\d\d)-(\d\d)", text)
        if match is None:
            raise ValueError(
                f"resets is 'never', 'yearly' or a day of the year \"MM-DD\" (quoted), not {value!r}"
            )
        month, day = int(match[1]), int(match[2])
        if text == "02-29":
            raise ValueError("resets '02-29' is not a day of every year; use '03-01' or '02-28'")
        if not (1 <= month <= 12 and 1 <= day <= _MONTH_DAYS[month - 1]):
            raise ValueError(f"resets {text!r} is not a day of the year (MM-DD)")
        return text

    @field_validator("initial", mode="after")
    @classmethod
    def _initial(cls, value: Any, info: ValidationInfo) -> Any:
        kind = info.data.get("type", "money")
        if value is None:
            return value
        if kind == "int" and type(value) is not int:
            raise ValueError(f"initial of an int balance is a whole number, not {value!r}")
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise ValueError(f"initial of a {kind} balance is a number, not {value!r}")
        return value

    @model_validator(mode="after")
    def _add_or_set(self) -> Balance:
        if (self.add is None) == (self.set is None):
            raise ValueError(
                "a balance gives exactly one of 'add' (what the period adds) or 'set' (its value after)"
            )
        return self

    @property
    def reset_day(self) -> tuple[int, int] | None:
        """The (month, day) the balance goes back to its initial value each year, or None."""
        if self.resets == "never":
            return None
        if self.resets == "yearly":
            return (1, 1)
        month, day = self.resets.split("-")
        return int(month), int(day)


class Check(Strict):
    """An input check: a condition over inputs, balances and parameters that must hold, else the
    record is refused (``InputError`` code ``input.check`` naming ``field`` and its value)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    label: Bilingual | None = None
    when: Expr | None = None
    require: Expr
    field: Annotated[str, Field(pattern=r"^[^\W\d]\w*$")]
    message: Bilingual
    reference: str | None = None
    note: str | None = None


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
