"""Balances: values an employee carries from period to period (their reset day, their change
at the period's end, their initial value).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Literal

from pydantic import ValidationInfo, field_validator, model_validator

from cmrules.spec._common import Bilingual, Expr, Strict

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
