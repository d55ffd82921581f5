"""Hand-written ``bar_customer_manager`` pay (POLICIES.md section 1): the speed yardstick.

Plain Python and ``decimal.Decimal``, no framework. ``pay(inp)`` returns the
signed total per rule id (earnings positive; deductions, fines and forfeitures
negative), net pay, carry forward, the slip's facts and its notices (code and the
amount it states). Every line is rounded to 0.01 ROUND_HALF_UP when made;
per-incident rules round each incident.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["pay"]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
TARGET = Decimal("40000")
BASE = Decimal("3000")
FULL_BASE = Decimal("3000.00")
COMMISSION_RATE = Decimal("0.03")
INCIDENT_FINE = Decimal("50.00")  # late <= 30 min, early leave <= 30 min, off post > 20 min
ABSENCE_FINE = Decimal("200.00")
PERSONAL_LEAVE_DEDUCTION = Decimal("300.00")
COMP_RATE = Decimal("0.05")
TWO = Decimal(2)
REGISTRATION_MINUTES = 10
LATE_EARLY_LIMIT = 30
OFF_POST_LIMIT = 20
ABSENCE_FORFEIT_DAYS = 3
PERSONAL_LEAVE_FORFEIT_DAYS = 5
COMP_ITEMS = frozenset(("snack", "fruit"))
COMMISSION_PAY_DAY = 15
DEDUCTION_CAP = Decimal("0.20")  # art. 16 of the Provisional Regulations on Wage Payment


def pay(inp: dict) -> dict:
    lines: dict[str, Decimal] = {}

    soliciting = set(inp["outside_soliciting_dates"])
    performance = ZERO
    for b in inp["bookings"]:
        if b["registered_minutes_before"] >= REGISTRATION_MINUTES and b["date"] not in soliciting:
            performance += b["amount"]

    commission = None
    if performance >= TARGET:
        base = FULL_BASE
        if performance > TARGET:
            commission = (COMMISSION_RATE * (performance - TARGET)).quantize(CENT, ROUND_HALF_UP)
    else:
        base = (BASE * performance / TARGET).quantize(CENT, ROUND_HALF_UP)
    lines["base_pay"] = base
    if commission is not None:
        lines["commission"] = commission

    late = inp["late_arrivals"]
    early = inp["early_leaves"]
    late_fined = sum(1 for m in late if m <= LATE_EARLY_LIMIT)
    early_fined = sum(1 for m in early if m <= LATE_EARLY_LIMIT)
    absence_days = (
        inp["absent_days"]
        + inp["sick_days_without_proof"]
        + (len(late) - late_fined)
        + (len(early) - early_fined)
    )
    personal_leave = inp["personal_leave_days"]
    dismissed = inp["dismissed"]
    forfeit = absence_days >= ABSENCE_FORFEIT_DAYS or personal_leave > PERSONAL_LEAVE_FORFEIT_DAYS

    if dismissed:
        lines["dismissal_base_forfeiture"] = -base
        if commission is not None:
            lines["dismissal_commission_forfeiture"] = -commission
        deposit = inp["deposit"]
        if deposit > 0:
            lines["deposit_refund"] = deposit.quantize(CENT, ROUND_HALF_UP)
    else:
        if late_fined:
            lines["late_fine"] = -INCIDENT_FINE * late_fined
        if early_fined:
            lines["early_leave_fine"] = -INCIDENT_FINE * early_fined
        if absence_days > 0:
            lines["absence_fine"] = -ABSENCE_FINE * absence_days
        if personal_leave > 0:
            lines["personal_leave_deduction"] = -PERSONAL_LEAVE_DEDUCTION * personal_leave
        if forfeit and commission is not None:
            lines["commission_forfeiture"] = -commission
        off_post = sum(1 for m in inp["off_post_minutes"] if m > OFF_POST_LIMIT)
        if off_post:
            lines["off_post_fine"] = -INCIDENT_FINE * off_post
        stealing = inp["customer_stealing"]
        if stealing:
            lines["customer_stealing_fine"] = -sum((TWO * s).quantize(CENT, ROUND_HALF_UP) for s in stealing)
        tips = inp["solicited_tips"]
        if tips:
            lines["tips_confiscated"] = -sum(t.quantize(CENT, ROUND_HALF_UP) for t in tips)
        comp_fine = None
        for c in inp["comps"]:
            if c["own_booking"] and c["item"] in COMP_ITEMS:
                excess = c["amount"] - COMP_RATE * c["table_spend"]
            else:
                excess = c["amount"]
            if excess > 0:
                fine = (TWO * excess).quantize(CENT, ROUND_HALF_UP)
                comp_fine = fine if comp_fine is None else comp_fine + fine
        if comp_fine is not None:
            lines["comp_excess_fine"] = -comp_fine

    carried = inp["carried_deductions"]
    if carried > 0:
        lines["carried_deductions"] = -carried.quantize(CENT, ROUND_HALF_UP)

    notices = {}
    deducted = -sum(amount for rule, amount in lines.items() if amount < 0 and rule != "carried_deductions")
    cap = DEDUCTION_CAP * (base + (commission or ZERO))
    if deducted > cap:
        notices["deduction_cap_exceeded"] = deducted - cap
    total = sum(lines.values())
    if total < 0:
        notices["carry_forward"] = -total
    year, month = divmod(int(inp["period"][:4]) * 12 + int(inp["period"][5:7]), 12)  # the next month
    return {
        "lines": lines,
        "net": total if total > 0 else ZERO,
        "carry_forward": -total if total < 0 else ZERO,
        "notices": notices,
        "performance": performance,
        "absence_days": absence_days,
        "commission_forfeited": dismissed or forfeit,
        "commission_pay_date": dt.date(year, month + 1, COMMISSION_PAY_DAY),
    }


def _main() -> None:
    import statistics
    import time

    try:
        from benchmarks.bar_cases import generate
    except ImportError:  # run as a script: benchmarks/ itself is on sys.path
        from bar_cases import generate

    cases = generate(2000)
    rounds = []
    for _ in range(5):
        start = time.perf_counter_ns()
        for case in cases:
            pay(case)
        rounds.append(time.perf_counter_ns() - start)
    per_slip = statistics.median(rounds) / len(cases) / 1000
    print(f"bar_baseline: {per_slip:.2f} µs per slip (median of 5 rounds, {len(cases)} slips)")


if __name__ == "__main__":
    _main()
