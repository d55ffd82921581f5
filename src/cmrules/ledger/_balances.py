"""The balances a ruleset carries from period to period, as the ledger keeps them.

A version declares them (``version.balances``: :class:`~cmrules.compile.BalanceSpec` with
``name``, ``type``, ``resets`` and ``initial``; the built-in ``carried_deductions`` first) and
a slip reports each one before and after its period (``slip.balances``: name ->
``BalanceChange``). This module adds what only a ledger needs: the value a balance has before
a later period (reset to its initial value when a reset day, yearly or ``"MM-DD"``, falls in
between), and the text the ledger stores.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cmrules._periods import period_end, period_start
from cmrules.compile import BalanceSpec
from cmrules.ruleset._ruleset import Version
from cmrules.slip import PaySlip

__all__ = [
    "balance_specs",
    "carried_over",
    "declared",
    "initial_of",
    "moved",
    "reset_between",
    "text_of",
    "value_of",
]

#: The built-in balance every ruleset has (deductions left owed): its corrections reach later
#: periods as adjustment lines, never as a balance correction.
BUILTIN = "carried_deductions"


def balance_specs(version: Version) -> tuple[BalanceSpec, ...]:
    """The balances of a ruleset version, the built-in ``carried_deductions`` first."""
    return version.balances


def declared(specs: tuple[BalanceSpec, ...]) -> tuple[BalanceSpec, ...]:
    """The balances a ruleset declares itself (every one but the built-in)."""
    return tuple(spec for spec in specs if spec.name != BUILTIN)


def moved(slip: PaySlip, name: str) -> tuple[str, str]:
    """Balance ``name`` before and after the slip's period, as stored text."""
    change = slip.balances[name]
    return text_of(change.before), text_of(change.after)


def initial_of(spec: BalanceSpec) -> Decimal | int:
    """A balance's value for an employee with no earlier period (its ``initial``, else 0)."""
    if spec.initial is not None:
        return spec.initial
    return 0 if spec.type == "int" else Decimal(0)


def reset_between(resets: tuple[int, int] | None, after: dt.date, until: dt.date) -> bool:
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


def carried_over(
    spec: BalanceSpec, value: Decimal | int, since: str, period: str, *, opening: bool = False
) -> Decimal | int:
    """The value before ``period`` of a balance that was ``value`` after ``since`` (or, with
    ``opening``, before ``since``): reset to its initial value when a reset day falls after
    that point and on or before the first day of ``period``."""
    point = period_start(since) if opening else period_end(since)
    if reset_between(spec.resets, point, period_start(period)):
        return initial_of(spec)
    return value


def text_of(value: Decimal | int) -> str:
    """A balance value as the text the ledger stores."""
    return str(value)


def value_of(spec: BalanceSpec, text: str) -> Decimal | int:
    """A stored balance value read back with the type its declaration gives."""
    return int(text) if spec.type == "int" else Decimal(text)
