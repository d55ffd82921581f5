"""Seeded generator of random ``bar_customer_manager`` employee-month inputs.

The cases use exactly the field names of POLICIES.md section 1 and deliberately
favour the policy's boundaries: registration 9/10/11 minutes before arrival,
late/early 30/31 minutes, off post 20/21 minutes, absence totals landing on 3,
personal leave 5 and 6, comps at exactly 5% of the table spend (and one cent
either side), and counted performance at, just around and near 40,000.00.

``generate(n, seed)`` is deterministic: it only uses its own ``random.Random``.
"""

from __future__ import annotations

import calendar
import datetime
import random
from decimal import Decimal

__all__ = ["generate"]

_ITEMS = ("snack", "fruit", "drink")
_TARGET = Decimal("40000.00")
_CENT = Decimal("0.01")


def _money(rng: random.Random, lo: int, hi: int) -> Decimal:
    """A random amount in [lo, hi] yuan with exactly 2 decimal places."""
    return Decimal(rng.randint(lo * 100, hi * 100)).scaleb(-2)


def _minutes(rng: random.Random, boundary: tuple[int, int], hi: int) -> int:
    """A positive minute count, often right on either side of ``boundary``."""
    if rng.random() < 0.4:
        return rng.choice(boundary)
    return rng.randint(1, hi)


def _performance_target(rng: random.Random) -> Decimal:
    r = rng.random()
    if r < 0.35:
        return _TARGET
    if r < 0.55:
        return _TARGET + rng.choice((-_CENT, _CENT))
    if r < 0.85:
        return _TARGET + _money(rng, -800, 800)
    return Decimal("52000.00")


def _snap_performance(
    rng: random.Random,
    bookings: list[dict],
    soliciting: set[datetime.date],
    days: list[datetime.date],
    target: Decimal,
) -> None:
    """Adjust counted bookings in place so counted performance equals ``target``."""
    counted = [b for b in bookings if b["registered_minutes_before"] >= 10 and b["date"] not in soliciting]
    total = sum((b["amount"] for b in counted), Decimal("0.00"))
    if total < target:
        free_days = [d for d in days if d not in soliciting]
        bookings.append(
            {
                "date": rng.choice(free_days),
                "amount": target - total,
                "registered_minutes_before": rng.choice((10, 11, rng.randint(10, 240))),
            }
        )
        return
    excess = total - target
    for b in reversed(counted):
        if not excess:
            break
        cut = min(b["amount"], excess)
        b["amount"] -= cut
        excess -= cut


def _booking(rng: random.Random, days: list[datetime.date]) -> dict:
    r = rng.random()
    if r < 0.3:
        minutes = rng.choice((9, 10, 11))
    elif r < 0.4:
        minutes = rng.randint(0, 9)
    else:
        minutes = rng.randint(10, 240)
    return {
        "date": rng.choice(days),
        "amount": _money(rng, 200, 8000),
        "registered_minutes_before": minutes,
    }


def _comp(rng: random.Random) -> dict:
    item = rng.choice(_ITEMS)
    own = rng.random() < 0.7
    r = rng.random()
    if r < 0.6:
        # Table spend a multiple of 0.20, so 5% of it is a whole number of cents.
        table_spend = Decimal(rng.randint(1000, 40000) * 20).scaleb(-2)
        allowance = (table_spend * Decimal("0.05")).quantize(_CENT)  # exact
        amount = allowance + rng.choice((Decimal(0), Decimal(0), -_CENT, _CENT))
    else:
        table_spend = _money(rng, 200, 8000)
        if r < 0.8:
            # 5% of an arbitrary spend has up to 4 places: the nearest cent.
            amount = (table_spend * Decimal("0.05")).quantize(_CENT)
        else:
            amount = _money(rng, 0, 600)
    return {
        "table_spend": table_spend,
        "amount": max(amount, Decimal("0.00")),
        "item": item,
        "own_booking": own,
    }


def _case(rng: random.Random, index: int) -> dict:
    year = rng.randint(2023, 2025)
    month = rng.randint(1, 12)
    ndays = calendar.monthrange(year, month)[1]
    days = [datetime.date(year, month, d) for d in range(1, ndays + 1)]

    bookings = [_booking(rng, days) for _ in range(rng.randint(0, 25))]

    soliciting: list[datetime.date] = []
    if rng.random() < 0.3:
        for _ in range(rng.randint(1, 3)):
            if bookings and rng.random() < 0.6:
                soliciting.append(rng.choice(bookings)["date"])
            else:
                soliciting.append(rng.choice(days))
        soliciting = sorted(set(soliciting))

    if rng.random() < 0.35:
        _snap_performance(rng, bookings, set(soliciting), days, _performance_target(rng))
    bookings.sort(key=lambda b: b["date"])

    late = [_minutes(rng, (30, 31), 90) for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3, 4)))]
    early = [_minutes(rng, (30, 31), 90) for _ in range(rng.choice((0, 0, 0, 0, 1, 2, 3)))]
    converted = sum(m > 30 for m in late) + sum(m > 30 for m in early)

    absent = 0
    sick = 0
    r = rng.random()
    if r < 0.3:
        # Land the absence total on (or next to) the forfeiture threshold of 3.
        remaining = rng.choice((2, 3, 3, 3, 4)) - converted
        if remaining > 0:
            absent = rng.randint(0, remaining)
            sick = remaining - absent
    elif r < 0.5:
        absent = rng.randint(0, 2)
        sick = rng.randint(0, 2)
    elif r < 0.55:
        absent = rng.randint(0, 6)

    r = rng.random()
    if r < 0.55:
        personal_leave = 0
    elif r < 0.8:
        personal_leave = rng.choice((5, 6))
    else:
        personal_leave = rng.randint(1, 10)

    off_post = [_minutes(rng, (20, 21), 90) for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3)))]
    stealing = [_money(rng, 200, 8000) for _ in range(rng.choice((0,) * 8 + (1, 2)))]
    tips = [_money(rng, 10, 500) for _ in range(rng.choice((0,) * 8 + (1, 2)))]
    comps = [_comp(rng) for _ in range(rng.choice((0, 0, 1, 1, 2, 3, 4)))]

    r = rng.random()
    if r < 0.3:
        deposit = Decimal("0.00")
    elif r < 0.8:
        deposit = rng.choice((Decimal("500.00"), Decimal("1000.00"), Decimal("2000.00")))
    else:
        deposit = _money(rng, 1, 3000)

    carried = Decimal("0.00") if rng.random() < 0.85 else _money(rng, 0, 3000)

    return {
        "employee": f"B{index:05d}",
        "period": f"{year:04d}-{month:02d}",
        "bookings": bookings,
        "outside_soliciting_dates": soliciting,
        "late_arrivals": late,
        "early_leaves": early,
        "absent_days": absent,
        "sick_days_without_proof": sick,
        "personal_leave_days": personal_leave,
        "off_post_minutes": off_post,
        "customer_stealing": stealing,
        "solicited_tips": tips,
        "comps": comps,
        "dismissed": rng.random() < 0.03,
        "deposit": deposit,
        "carried_deductions": carried,
    }


def generate(n: int, seed: int = 0) -> list[dict]:
    """``n`` random bar employee-month inputs, the same list for the same seed."""
    rng = random.Random(seed)
    return [_case(rng, i + 1) for i in range(n)]
