"""Pay periods: a period is a calendar month written ``YYYY-MM``; its first and last days."""

from __future__ import annotations

import calendar
import datetime as dt
from functools import lru_cache

__all__ = ["date_in_month", "period_bounds", "period_end", "period_start"]


@lru_cache(maxsize=4096)
def period_start(period: str) -> dt.date:
    """The first day of ``period``."""
    return dt.date(int(period[:4]), int(period[5:7]), 1)


@lru_cache(maxsize=4096)
def period_end(period: str) -> dt.date:
    """The last day of ``period``."""
    year, month = int(period[:4]), int(period[5:7])
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """The first and the last day of ``period``."""
    return period_start(period), period_end(period)


@lru_cache(maxsize=4096)
def date_in_month(period: str, months_after: int, day: int) -> dt.date:
    """Day ``day`` of the month ``months_after`` months after ``period`` (clamped to its end)."""
    index = int(period[:4]) * 12 + int(period[5:7]) - 1 + months_after
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, max(1, min(day, last)))
