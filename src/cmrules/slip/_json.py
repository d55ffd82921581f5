"""The pay slip's JSON form: the types of ``PaySlip.to_dict()`` and the value conversion.

:class:`SlipJSON` and the types it is made of are the one description of a slip in
JSON; the shipped JSON Schema (``cmrules/payslip.schema.json``) is generated from them
by :func:`cmrules.slip.slip_json_schema`, and their docstrings become its descriptions.
Money and other exact numbers are decimal strings (``"3000.00"``), never JSON numbers.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Any, Literal, NotRequired

import orjson
from pydantic import ConfigDict, Field, JsonValue, with_config
from typing_extensions import TypeAliasType, TypedDict

from cmrules.spec._model import NoticeKind, SlipCategory

__all__ = [
    "DETAILS",
    "Amount",
    "BalanceJSON",
    "Detail",
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
    "dump_sorted",
    "json_ready",
    "json_value",
]

#: How much of a slip its JSON form holds: ``summary`` (who, when, ruleset, currency, notices,
#: facts and totals), ``lines`` (and the lines with their explanations), ``trace`` (and the
#: trace: every rule that fired, with the values it read).
Detail = Literal["summary", "lines", "trace"]
#: The detail levels, least first.
DETAILS: tuple[Detail, ...] = ("summary", "lines", "trace")

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
    """One line of the slip; deductions, fines and forfeitures are negative, a cap's waiver and deferral
    lines positive (they give back deductions above the cap)."""

    rule_id: Name
    label: TextJSON
    category: SlipCategory
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
    = net, less what a cap deferred (its deferral lines, also in carry_forward). Deductions are
    negative (the sum of the deduction, fine and forfeiture lines, less a cap's waivers and
    deferrals), net is never negative."""

    earnings: Amount
    """The sum of the earning lines and the positive adjustments."""
    deductions: NonPositiveAmount
    """The sum of the negative lines plus a cap's waiver and deferral lines: negative, or 0 when
    nothing was deducted."""
    net: Amount
    """What is paid: earnings + deductions, never below 0."""
    carry_forward: Amount
    """What deductions leave owed when they exceed earnings (0 otherwise), plus what a cap deferred."""


@with_config(_CLOSED)
class BalanceJSON(TypedDict):
    """A balance the employee carries from period to period: its value before and after this period."""

    before: Amount
    """The value before the period (after any reset), as the ruleset read it."""
    after: Amount
    """The value after the period: what the next period reads."""


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
    lines: NotRequired[list[LineJSON]]
    """The lines, in declaration order of their rules: written at detail lines and trace (the
    default), left out of a summary."""
    notices: list[NoticeJSON]
    facts: dict[str, JsonValue]
    """Named facts, JSON-ready: Decimal as string, date as ISO string; int, bool, str, null, lists
    and objects as is."""
    totals: TotalsJSON
    balances: NotRequired[dict[str, BalanceJSON]]
    """The balances the ruleset declares, by name (absent when it declares none)."""
    trace: NotRequired[list[TraceEntryJSON]]
    """The rules that fired, in firing order: written at detail trace (the default of
    PaySlip.to_dict()), left out at detail lines and summary; a slip without it is still a slip."""


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


def _default(value: Any) -> Any:
    """What orjson calls for a value it does not write itself: a Decimal as :func:`json_value`
    writes it, any other value through :func:`json_value` (a set, a tuple subclass...)."""
    if type(value) is Decimal or isinstance(value, Decimal):
        return str(value if value else abs(value))
    converted = json_value(value)
    if converted is value:
        raise TypeError(f"not a JSON value: {type(value).__name__}")
    return converted


def _plain_default(value: Any) -> Any:
    """:func:`_default` for :mod:`json`, which writes no dates itself."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return _default(value)


_SORTED = orjson.OPT_SORT_KEYS


def dump_sorted(value: Any, sort_keys: bool = True) -> bytes:
    """``value`` (raw slip values: Decimal, date, dicts, lists...) as compact UTF-8 JSON with
    sorted keys: the bytes of ``json.dumps(json_value(value), ensure_ascii=False, sort_keys=True,
    separators=(",", ":"))``, written by orjson (in C) without converting the values first;
    ``sort_keys`` False keeps the keys in the order of the dicts (``sort_keys=False``).

    orjson writes integers of at most 64 bits; a larger one (a fact may hold up to 34 digits)
    and any other value it refuses are written by :mod:`json` instead, to the same bytes."""
    try:
        return orjson.dumps(value, default=_default, option=_SORTED if sort_keys else 0)
    except (orjson.JSONEncodeError, TypeError):
        text = json.dumps(
            value, default=_plain_default, ensure_ascii=False, sort_keys=sort_keys, separators=(",", ":")
        )
        return text.encode("utf-8")


def json_ready(value: Any) -> Any:
    """:func:`json_value` of a whole structure at once: orjson writes it and reads it back (in C,
    keys kept in order); a value orjson refuses is converted by :func:`json_value` instead."""
    try:
        return orjson.loads(orjson.dumps(value, default=_default))
    except (orjson.JSONEncodeError, TypeError):
        return json_value(value)
