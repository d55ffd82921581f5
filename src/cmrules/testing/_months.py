"""The months a plan's inputs are drawn in: each version's months in force, and the
months worth drawing often (version starts and ends, dated parameter changes).

A month is a whole number, ``year * 12 + month - 1``.
"""

from __future__ import annotations

import datetime as dt

from cmrules.ruleset._ruleset import Version

#: An open-ended version is drawn over this many months from its start.
OPEN_MONTHS = 120


def _month(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def period_of(month: int) -> str:
    """The period ``YYYY-MM`` of a month number."""
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def _first_month(day: dt.date) -> int:
    """The first month whose first day is on or after ``day``."""
    return _month(day) + (day.day > 1)


def version_months(versions: list[Version], plan: list[Version]) -> list[tuple[int, int] | None]:
    """The months in which each version is the one in force (an open end is capped at
    :data:`OPEN_MONTHS`); ``None`` for a version not in force for a whole month."""
    out: list[tuple[int, int] | None] = []
    for version in versions:
        doc = version.doc
        start = _first_month(doc.effective_from)
        later = [v.doc.effective_from for v in plan if v.doc.effective_from > doc.effective_from]
        if doc.effective_to is not None:
            end = _month(doc.effective_to)
        elif later:
            end = _first_month(min(later)) - 1
        else:
            end = start + OPEN_MONTHS - 1
        out.append((start, end) if start <= end else None)
    return out


def favoured_months(versions: list[Version], ranges: list[tuple[int, int]]) -> list[int]:
    """Version starts and ends, and the months around dated parameter changes."""
    marks = {a for a, _ in ranges} | {b for _, b in ranges}
    for version in versions:
        for param in version.doc.parameters.values():
            for dated in param.values or ():
                first = _first_month(dated.from_)
                marks |= {first - 1, first, first + 1}
    return sorted(m for m in marks if any(a <= m <= b for a, b in ranges))
