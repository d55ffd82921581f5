"""The calendar and directed-rounding helpers generated code calls (``_period_days``,
``_working_days``, ``_days_between``, ``_days_employed``, ``_floor``, ``_ceil``, ``_trunc``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal
from functools import partial

from cmrules._periods import period_end, period_start
from cmrules.compile._runtime import QUANTA

__all__ = ["days_between", "days_employed", "helpers", "period_days", "to_places", "working_days"]


def period_days(period: str) -> int:
    """The number of calendar days of ``period`` (28 to 31)."""
    return period_end(period).day


def days_between(start: dt.date, end: dt.date) -> int:
    """Calendar days from ``start`` to ``end``, both included (0 when ``end`` is before ``start``)."""
    return max(0, (end - start).days + 1)


def _weekdays(start: dt.date, end: dt.date) -> int:
    """Mondays to Fridays from ``start`` to ``end``, both included."""
    n = days_between(start, end)
    weeks, rest = divmod(n, 7)
    first = start.weekday()
    return weeks * 5 + sum(1 for i in range(rest) if (first + i) % 7 < 5)


def working_days(
    start: dt.date, end: dt.date, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = ()
) -> int:
    """Mondays to Fridays from ``start`` to ``end`` (both included), less the ``holidays`` that fall on
    one of them, plus the ``workdays`` (调休: a Saturday or Sunday worked instead) that fall on a
    weekend day between them. Each date counts once."""
    days = _weekdays(start, end)
    days -= sum(1 for d in set(holidays) if start <= d <= end and d.weekday() < 5)
    days += sum(1 for d in set(workdays) if start <= d <= end and d.weekday() >= 5)
    return days


def days_employed(period: str, joined: dt.date | None, left: dt.date | None) -> int:
    """Calendar days of ``period`` from ``joined`` to ``left`` (both included; None: open)."""
    start, end = period_start(period), period_end(period)
    if joined is not None and joined > start:
        start = joined
    if left is not None and left < end:
        end = left
    return days_between(start, end)


def to_places(value: Decimal, places: int, mode: str) -> Decimal:
    """``value`` to ``places`` decimal places in the rounding ``mode`` (``floor`` and the like);
    zero is never negative (``ceil(-0.5)`` is 0, not −0)."""
    out = value.quantize(QUANTA[places], mode)
    return out if out else abs(out)


def helpers() -> dict[str, object]:
    """The helpers by the names generated code calls them."""
    return {
        "_period_days": period_days,
        "_working_days": working_days,
        "_days_between": days_between,
        "_days_employed": days_employed,
        "_floor": partial(to_places, mode=ROUND_FLOOR),
        "_ceil": partial(to_places, mode=ROUND_CEILING),
        "_trunc": partial(to_places, mode=ROUND_DOWN),
    }
