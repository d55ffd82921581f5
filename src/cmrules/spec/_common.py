"""The shared pieces of the language's models: the literal types (categories, notice kinds,
scalar and field types), expressions as text, the strict base every model derives from,
bilingual labels, rounding and references.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

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
