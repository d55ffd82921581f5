"""The balances a ruleset carries from period to period, read the way the ledger needs them.

This is the one place that knows how a version declares its balances: ``version.balances``
(tuples of ``BalanceSpec``: name, type, resets, initial) and ``slip.balances`` (name ->
``BalanceChange(before, after)``) when the ruleset stage has them, else the one built-in
balance every ruleset has, ``carried_deductions`` (money, initial 0, never reset), whose value
after a period is the slip's ``carry_forward``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cmrules._periods import period_end, period_start
from cmrules.slip import PaySlip

__all__ = [
    "BuiltinBalance",
    "balance_after",
    "balance_before",
    "balance_specs",
    "carried_over",
    "text_of",
    "value_of",
]


@dataclass(frozen=True)
class BuiltinBalance:
    """The shape of a balance declaration (``name``, ``type``, ``resets``, ``initial``)."""

    name: str
    type: str = "money"
    resets: tuple[int, int] | None = None
    initial: Decimal | int | None = Decimal(0)


CARRIED = BuiltinBalance("carried_deductions")


def balance_specs(version: Any) -> tuple[Any, ...]:
    """The balances of a ruleset version (``version.balances``; the built-in one alone before
    rulesets could declare balances)."""
    declared = getattr(version, "balances", None)
    return tuple(declared) if declared is not None else (CARRIED,)


def balance_after(slip: PaySlip, name: str) -> Any:
    """The value of balance ``name`` after the slip's period."""
    changes = getattr(slip, "balances", None)
    if changes is not None:
        return changes[name].after
    if name != CARRIED.name:  # pragma: no cover - only the built-in balance exists without the stage
        raise KeyError(name)
    return slip.carry_forward


def balance_before(slip: PaySlip, name: str) -> Any:
    """The value of balance ``name`` the slip was paid with (before its period)."""
    changes = getattr(slip, "balances", None)
    if changes is not None:
        return changes[name].before
    return slip.run_state.data[name]


def initial_of(spec: Any) -> Decimal | int:
    """A balance's value for an employee with no earlier period (its ``initial``, else 0)."""
    initial = spec.initial
    if initial is not None:
        return initial  # type: ignore[no-any-return]
    return 0 if spec.type == "int" else Decimal(0)


def _reset_between(resets: tuple[int, int] | None, after: dt.date, until: dt.date) -> bool:
    """Whether a reset day (month, day, each year) falls in ``(after, until]``."""
    if resets is None:
        return False
    month, day = resets
    for year in range(after.year, until.year + 1):
        try:
            reset = dt.date(year, month, day)
        except ValueError:  # 02-29 in a year without it: the day after
            reset = dt.date(year, 3, 1)
        if after < reset <= until:
            return True
    return False


def carried_over(spec: Any, value: Any, since: str, period: str, *, opening: bool = False) -> Any:
    """The value before ``period`` of a balance that was ``value`` after ``since`` (or, with
    ``opening``, before ``since``): reset to its initial value when a reset day falls after
    that point and on or before the first day of ``period``."""
    point = period_start(since) if opening else period_end(since)
    if _reset_between(spec.resets, point, period_start(period)):
        return initial_of(spec)
    return value


def text_of(value: Any) -> str:
    """A balance value as the text the ledger stores."""
    return str(value)


def value_of(spec: Any, text: str) -> Any:
    """A stored balance value read back with the type its declaration gives."""
    return int(text) if spec.type == "int" else Decimal(text)
