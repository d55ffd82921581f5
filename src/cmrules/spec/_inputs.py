"""What a ruleset reads: parameters (one value or dated values), the fields of an employee's
input (types, bounds, the shape of lists, records and maps) and the checks an input must pass.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, model_validator

from cmrules.spec._common import Bilingual, Expr, FieldType, ScalarType, Strict


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
