"""The pay slip's JSON form: the types of ``PaySlip.to_dict()`` and the value conversion.

:class:`SlipJSON` and the types it is made of are the one description of a slip in
JSON; the shipped JSON Schema (``cmrules/payslip.schema.json``) is generated from them
by :func:`cmrules.slip.slip_json_schema`, and their docstrings become its descriptions.
Money and other exact numbers are decimal strings (``"3000.00"``), never JSON numbers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal, NotRequired

from pydantic import ConfigDict, Field, JsonValue, with_config
from typing_extensions import TypeAliasType, TypedDict

from cmrules.spec._model import Category, NoticeKind

__all__ = [
    "Amount",
    "ItemJSON",
    "LineJSON",
    "NonPositiveAmount",
    "NoticeJSON",
    "RulesetJSON",
    "SlipJSON",
    "SlipNoticeKind",
    "TextJSON",
    "TotalsJSON",
    "TraceEntryJSON",
    "json_value",
]

#: Every object of the JSON form has exactly its keys; attribute docstrings describe them.
_CLOSED = ConfigDict(extra="forbid", use_attribute_docstrings=True)

Amount = TypeAliasType(
    "Amount",
    Annotated[
        str,
        Field(
            pattern=r"^-?\d+(\.\d+)?$",
            description='Exact decimal as text, e.g. "3000.00" or "-50.00".',
        ),
    ],
)
NonPositiveAmount = TypeAliasType(
    "NonPositiveAmount",
    Annotated[
        str,
        Field(
            pattern=r"^(-\d+(\.\d+)?|0+(\.0+)?)$",
            description='Exact decimal as text, negative or zero, e.g. "-50.00" or "0.00".',
        ),
    ],
)
Name = Annotated[str, Field(min_length=1)]
Index = Annotated[int, Field(ge=0)]
#: The notice kinds of the ruleset language and ``carry_forward``, the engine's own notice.
SlipNoticeKind = Literal[NoticeKind, "carry_forward"]


@with_config(_CLOSED)
class TextJSON(TypedDict):
    """A text in Chinese and English."""

    zh: str
    en: str


@with_config(_CLOSED)
class RulesetJSON(TypedDict):
    """The ruleset version that made the slip."""

    id: Name
    version: Name
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    """The SHA-256 of the ruleset's source, in hex."""
    modules: NotRequired[dict[str, Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]]]
    """The SHA-256 of each module the ruleset includes, by module name (only when it includes any)."""


@with_config(_CLOSED)
class ItemJSON(TypedDict):
    """The list element a per-element (for_each) rule ran for."""

    index: Index
    """The element's place in its list, from 0."""
    value: JsonValue
    """The element, JSON-ready."""


@with_config(_CLOSED)
class LineJSON(TypedDict):
    """One line of the slip; deductions, fines and forfeitures are negative."""

    rule_id: Name
    label: TextJSON
    category: Category
    amount: Amount
    explanation: str
    """The arithmetic that gave the amount, with the values the rule read."""
    item: ItemJSON | None
    """The list element a per-element (for_each) rule ran for, or null."""


@with_config(_CLOSED)
class NoticeJSON(TypedDict):
    """A notice a rule (or the engine) gave."""

    rule_id: str | None
    kind: SlipNoticeKind
    """The kinds of the ruleset language (model.NoticeKind), and carry_forward for the engine's own notice."""
    code: Name
    text: TextJSON


@with_config(_CLOSED)
class TotalsJSON(TypedDict):
    """The slip's totals, signed like the lines they add up: earnings + deductions + carry_forward
    = net. Deductions are negative (the sum of the deduction, fine and forfeiture lines), net is
    never negative."""

    earnings: Amount
    """The sum of the positive lines."""
    deductions: NonPositiveAmount
    """The sum of the negative lines: negative, or 0 when nothing was deducted."""
    net: Amount
    """What is paid: earnings + deductions, never below 0."""
    carry_forward: Amount
    """What deductions leave owed when they exceed earnings (0 otherwise)."""


@with_config(_CLOSED)
class TraceEntryJSON(TypedDict):
    """One rule that fired (a fact as fact:<id>): what it read and which lines it made."""

    rule_id: Name
    read: dict[str, JsonValue]
    """Values the rule read, by name, JSON-ready."""
    lines: list[Index]
    """Where the lines the rule made are in the slip's lines, from 0."""
    item: NotRequired[Index]
    """For a for_each rule: the index of the element it fired for."""


@with_config(_CLOSED)
class SlipJSON(TypedDict):
    """One employee-period pay slip as returned by PaySlip.to_dict() and written by `cmrules run
    --format json`. Amounts are decimal strings with exactly the ruleset's places. One sign
    convention in every output format: deductions, fines and forfeitures are negative, their
    lines and the totals.deductions that adds them up alike."""

    employee: Name
    period: Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
    """The pay period, YYYY-MM."""
    ruleset: RulesetJSON
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    """The ISO 4217 code of the ruleset's currency."""
    lines: list[LineJSON]
    notices: list[NoticeJSON]
    facts: dict[str, JsonValue]
    """Named facts, JSON-ready: Decimal as string, date as ISO string; int, bool, str, null, lists
    and objects as is."""
    totals: TotalsJSON
    trace: NotRequired[list[TraceEntryJSON]]
    """The rules that fired, in firing order. PaySlip.to_dict() always writes it; a slip without
    it is still a slip."""


def json_value(value: Any) -> Any:
    """A fact or element value in its JSON-ready form: Decimal and date as text, the rest as is."""
    kind = type(value)  # exact types first: the trace converts every value a rule read
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is Decimal:
        return str(value if value else abs(value))  # 0.00, never -0.00
    if kind is dict:
        return {k: json_value(v) for k, v in value.items()}
    if kind is list:
        return [json_value(v) for v in value]
    if kind is dt.date:
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value if value else abs(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return value
