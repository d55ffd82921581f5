"""Hand-computed pay slips of the bar policy (POLICIES.md section 1), one rule and boundary at a time.

Every amount is written out as text so the places are checked too; the comment
above each expectation is the arithmetic.  Base pay is
3,000 × min(performance, 40,000) ÷ 40,000, rounded ROUND_HALF_UP per line.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import cmrules

ROOT = Path(__file__).resolve().parent.parent
RULESET = cmrules.load_ruleset(ROOT / "rulesets" / "bar_customer_manager.yaml")


def pay(**fields: Any) -> cmrules.PaySlip:
    return RULESET.evaluate({"employee": "B001", "period": "2024-05", **fields})


def booking(amount: str, minutes: int = 15, day: str = "2024-05-03") -> dict[str, Any]:
    return {"date": day, "amount": amount, "registered_minutes_before": minutes}


def comp(table_spend: str, amount: str, item: str = "snack", own: bool = True) -> dict[str, Any]:
    return {"table_spend": table_spend, "amount": amount, "item": item, "own_booking": own}


def lines(slip: cmrules.PaySlip) -> list[tuple[str, str]]:
    """``(rule_id, signed amount as text)`` of every line, in slip order."""
    return [(line.rule_id, str(line.amount)) for line in slip.lines]


def totals(slip: cmrules.PaySlip) -> tuple[str, str, str, str]:
    return str(slip.earnings), str(slip.deductions), str(slip.net), str(slip.carry_forward)


def codes(slip: cmrules.PaySlip) -> list[str]:
    return [n.code for n in slip.notices]


# --- rule 1: counted performance --------------------------------------------------


def test_registration_ten_minutes_before_counts_nine_does_not() -> None:
    slip = pay(bookings=[booking("10000.00", 9), booking("20000.00", 10), booking("4000.00", 11)])
    # performance = 20,000 + 4,000 = 24,000 (the booking registered 9 minutes before is dropped)
    assert slip.facts["performance"] == Decimal("24000.00")
    # base = 3,000 × 24,000 ÷ 40,000 = 1,800.00
    assert lines(slip) == [("base_pay", "1800.00")]
    assert (
        slip.line("base_pay")[0].explanation == "3,000.00 × min(24,000.00, 40,000.00) ÷ 40,000.00 = 1,800.00"
    )
    assert totals(slip) == ("1800.00", "0.00", "1800.00", "0.00")


def test_no_performance_on_a_day_of_soliciting_outside_the_door() -> None:
    slip = pay(
        bookings=[
            booking("45000.00", 30, "2024-05-03"),
            booking("20000.00", 15, "2024-05-10"),
            booking("5000.00", 60, "2024-05-10"),
        ],
        outside_soliciting_dates=["2024-05-10"],
    )
    # performance = 45,000 (both bookings of the 10th are dropped)
    assert slip.facts["performance"] == Decimal("45000.00")
    # base 3,000.00; commission = 3% × (45,000 − 40,000) = 150.00; net = 3,150.00
    assert lines(slip) == [("base_pay", "3000.00"), ("commission", "150.00")]
    assert slip.net == Decimal("3150.00")


def test_no_bookings_is_zero_performance_and_zero_base() -> None:
    slip = pay()
    # base = 3,000 × 0 ÷ 40,000 = 0.00; the fact shows the ruleset's places
    assert str(slip.facts["performance"]) == "0.00"
    assert lines(slip) == [("base_pay", "0.00")]
    assert totals(slip) == ("0.00", "0.00", "0.00", "0.00")


# --- rules 2 and 3: base pay and commission ----------------------------------------


def test_performance_exactly_at_the_target_pays_full_base_and_no_commission() -> None:
    slip = pay(bookings=[booking("40000.00")])
    # base = 3,000 × 40,000 ÷ 40,000 = 3,000.00; commission needs performance > 40,000
    assert lines(slip) == [("base_pay", "3000.00")]
    assert totals(slip) == ("3000.00", "0.00", "3000.00", "0.00")
    assert slip.facts == {
        "performance": Decimal("40000.00"),
        "absence_days": 0,
        "commission_forfeited": False,
        # paid on the 15th of the month after 2024-05
        "commission_pay_date": dt.date(2024, 6, 15),
    }
    assert codes(slip) == []


def test_commission_above_target() -> None:
    slip = pay(bookings=[booking("30000.00"), booking("22000.00", 10, "2024-05-20")])
    # performance = 52,000; base 3,000.00; commission = 3% × (52,000 − 40,000) = 360.00
    assert lines(slip) == [("base_pay", "3000.00"), ("commission", "360.00")]
    assert slip.line("commission")[0].explanation == "3% × (52,000.00 − 40,000.00) = 360.00"
    # net = 3,000 + 360 = 3,360.00
    assert totals(slip) == ("3360.00", "0.00", "3360.00", "0.00")


def test_commission_rounds_half_up() -> None:
    slip = pay(bookings=[booking("40001.50")])
    # commission = 3% × 1.50 = 0.045 → 0.05 (ROUND_HALF_UP; half-even would give 0.04)
    assert lines(slip) == [("base_pay", "3000.00"), ("commission", "0.05")]
    assert slip.net == Decimal("3000.05")


def test_base_pay_below_target_is_pro_rated_and_rounded_half_up() -> None:
    slip = pay(bookings=[booking("123.00")])
    # base = 3,000 × 123 ÷ 40,000 = 9.225 → 9.23 (ROUND_HALF_UP)
    assert lines(slip) == [("base_pay", "9.23")]
    slip = pay(bookings=[booking("12345.67")])
    # base = 3,000 × 12,345.67 ÷ 40,000 = 925.92525 → 925.93
    assert lines(slip) == [("base_pay", "925.93")]


def test_commission_pay_date_rolls_into_the_next_year() -> None:
    slip = RULESET.evaluate({"employee": "B001", "period": "2024-12"})
    # the 15th of the month after 2024-12
    assert slip.facts["commission_pay_date"] == dt.date(2025, 1, 15)


# --- rules 4 to 6: lateness, early leave, absence ------------------------------------


def test_late_30_minutes_is_fined_31_is_an_absence_day() -> None:
    slip = pay(bookings=[booking("40000.00")], late_arrivals=[30, 31])
    # 30 min → fine 50.00 (element 0); 31 min → 1 absence day → 200 × 1 = 200.00
    assert slip.facts["absence_days"] == 1
    assert lines(slip) == [("base_pay", "3000.00"), ("late_fine", "-50.00"), ("absence_fine", "-200.00")]
    (late,) = slip.line("late_fine")
    assert (late.index, late.item) == (0, 30)
    assert slip.line("absence_fine")[0].explanation == "200.00 × 1 = 200.00"
    # net = 3,000 − 50 − 200 = 2,750.00
    assert totals(slip) == ("3000.00", "250.00", "2750.00", "0.00")


def test_early_leave_30_minutes_is_fined_31_is_an_absence_day() -> None:
    slip = pay(bookings=[booking("40000.00")], early_leaves=[31, 30, 5])
    # 31 → 1 absence day (200.00); 30 and 5 → 2 fines of 50.00 (elements 1 and 2)
    assert slip.facts["absence_days"] == 1
    assert lines(slip) == [
        ("base_pay", "3000.00"),
        ("early_leave_fine", "-50.00"),
        ("early_leave_fine", "-50.00"),
        ("absence_fine", "-200.00"),
    ]
    assert [x.index for x in slip.line("early_leave_fine")] == [1, 2]
    # net = 3,000 − 100 − 200 = 2,700.00
    assert slip.net == Decimal("2700.00")


def test_absence_days_add_up_from_four_sources() -> None:
    slip = pay(
        bookings=[booking("40000.00")],
        absent_days=1,
        sick_days_without_proof=1,
        late_arrivals=[45],
        early_leaves=[90],
    )
    # absence days = 1 absent + 1 sick without proof + 1 late > 30 + 1 early > 30 = 4
    assert slip.facts["absence_days"] == 4
    # absence fine = 200 × 4 = 800.00; 4 ≥ 3 forfeits the commission (there is none here)
    assert slip.facts["commission_forfeited"] is True
    assert lines(slip) == [("base_pay", "3000.00"), ("absence_fine", "-800.00")]
    assert slip.net == Decimal("2200.00")


# --- rule 8: commission forfeiture at exactly 3 absence days, and leave 5 vs 6 --------


def test_two_absence_days_keep_the_commission() -> None:
    slip = pay(bookings=[booking("50000.00")], absent_days=1, late_arrivals=[31])
    # absence days = 1 + 1 = 2 < 3: commission 3% × 10,000 = 300.00 is kept
    assert slip.facts["commission_forfeited"] is False
    # absence fine = 200 × 2 = 400.00; net = 3,000 + 300 − 400 = 2,900.00
    assert lines(slip) == [("base_pay", "3000.00"), ("commission", "300.00"), ("absence_fine", "-400.00")]
    assert slip.net == Decimal("2900.00")


def test_exactly_three_absence_days_forfeit_the_commission() -> None:
    slip = pay(bookings=[booking("50000.00")], absent_days=1, sick_days_without_proof=1, late_arrivals=[31])
    # absence days = 1 + 1 + 1 = 3 (旷工3天以上 includes 3): commission 300.00 forfeited
    assert slip.facts == {
        "performance": Decimal("50000.00"),
        "absence_days": 3,
        "commission_forfeited": True,
        "commission_pay_date": dt.date(2024, 6, 15),
    }
    # absence fine = 200 × 3 = 600.00
    assert lines(slip) == [
        ("base_pay", "3000.00"),
        ("commission", "300.00"),
        ("absence_fine", "-600.00"),
        ("commission_forfeiture", "-300.00"),
    ]
    assert slip.line("commission_forfeiture")[0].explanation == (
        "forfeits commission (3 or more absence days, or more than 5 personal leave days): 300.00 = 300.00"
    )
    # earnings 3,300; deductions 600 + 300 = 900; net = 2,400.00
    assert totals(slip) == ("3300.00", "900.00", "2400.00", "0.00")
    # 900 > 20% × 3,300 = 660: the statutory cap notice, 240.00 above it
    assert codes(slip) == ["deduction_cap_exceeded"]
    assert "(660.00)" in slip.notices[0].text["en"] and "by 240.00" in slip.notices[0].text["en"]


def test_five_personal_leave_days_keep_the_commission() -> None:
    slip = pay(bookings=[booking("50000.00")], personal_leave_days=5)
    # leave deduction = 300 × 5 = 1,500.00; 5 is not 超过5天
    assert slip.facts["commission_forfeited"] is False
    assert lines(slip) == [
        ("base_pay", "3000.00"),
        ("commission", "300.00"),
        ("personal_leave_deduction", "-1500.00"),
    ]
    assert slip.line("personal_leave_deduction")[0].explanation == "300.00 × 5 = 1,500.00"
    # net = 3,000 + 300 − 1,500 = 1,800.00
    assert slip.net == Decimal("1800.00")


def test_six_personal_leave_days_forfeit_the_commission() -> None:
    slip = pay(bookings=[booking("50000.00")], personal_leave_days=6)
    # leave deduction = 300 × 6 = 1,800.00; 6 > 5 forfeits the commission 300.00
    assert slip.facts["commission_forfeited"] is True
    assert slip.facts["absence_days"] == 0
    assert lines(slip) == [
        ("base_pay", "3000.00"),
        ("commission", "300.00"),
        ("personal_leave_deduction", "-1800.00"),
        ("commission_forfeiture", "-300.00"),
    ]
    # net = 3,000 + 300 − 1,800 − 300 = 1,200.00
    assert totals(slip) == ("3300.00", "2100.00", "1200.00", "0.00")


# --- rules 9 to 11: off post, stealing customers, demanding tips ----------------------


def test_off_post_20_minutes_is_no_offence_21_is_fined() -> None:
    slip = pay(bookings=[booking("40000.00")], off_post_minutes=[20, 21, 60])
    # 20 → nothing; 21 and 60 → 2 × 50.00 (elements 1 and 2)
    assert lines(slip) == [("base_pay", "3000.00"), ("off_post_fine", "-50.00"), ("off_post_fine", "-50.00")]
    assert [x.index for x in slip.line("off_post_fine")] == [1, 2]
    assert slip.net == Decimal("2900.00")


def test_customer_stealing_is_fined_twice_the_table_spend_per_incident() -> None:
    slip = pay(bookings=[booking("40000.00")], customer_stealing=["1234.56", "100.00"])
    # 2 × 1,234.56 = 2,469.12 and 2 × 100.00 = 200.00
    assert lines(slip) == [
        ("base_pay", "3000.00"),
        ("customer_stealing_fine", "-2469.12"),
        ("customer_stealing_fine", "-200.00"),
    ]
    assert slip.line("customer_stealing_fine")[0].explanation == "2 × 1,234.56 = 2,469.12"
    assert slip.total("customer_stealing_fine") == Decimal("-2669.12")
    # net = 3,000 − 2,669.12 = 330.88
    assert slip.net == Decimal("330.88")


def test_solicited_tips_are_confiscated_per_day() -> None:
    slip = pay(bookings=[booking("40000.00")], solicited_tips=["88.80", "0.00", "11.20"])
    # 88.80 and 11.20 confiscated; a day of 0.00 tips makes no line
    assert lines(slip) == [
        ("base_pay", "3000.00"),
        ("tips_confiscated", "-88.80"),
        ("tips_confiscated", "-11.20"),
    ]
    # net = 3,000 − 88.80 − 11.20 = 2,900.00
    assert slip.net == Decimal("2900.00")


# --- rule 12: complimentary items ---------------------------------------------------


def test_comp_exactly_at_five_percent_is_allowed_one_cent_more_is_fined() -> None:
    slip = pay(
        bookings=[booking("40000.00")],
        comps=[comp("1000.00", "50.00"), comp("1000.00", "50.01", "fruit")],
    )
    # allowance = 5% × 1,000 = 50.00: 50.00 is not above it; 50.01 is, by 0.01 → 2 × 0.01 = 0.02
    assert lines(slip) == [("base_pay", "3000.00"), ("comp_excess_fine", "-0.02")]
    (fine,) = slip.line("comp_excess_fine")
    assert fine.index == 1
    assert fine.item == {
        "table_spend": Decimal("1000.00"),
        "amount": Decimal("50.01"),
        "item": "fruit",
        "own_booking": True,
    }
    assert fine.explanation == "2 × (50.01 − 50.00) = 0.02; c.amount = 50.01"


def test_comp_fine_rounds_each_comp_half_up() -> None:
    slip = pay(bookings=[booking("40000.00")], comps=[comp("333.33", "16.67")])
    # allowance = 5% × 333.33 = 16.6665; fine = 2 × (16.67 − 16.6665) = 0.007 → 0.01
    assert lines(slip) == [("base_pay", "3000.00"), ("comp_excess_fine", "-0.01")]
    assert slip.line("comp_excess_fine")[0].explanation == "2 × (16.67 − 16.6665) = 0.01; c.amount = 16.67"


def test_no_allowance_for_drinks_or_another_managers_table() -> None:
    slip = pay(
        bookings=[booking("40000.00")],
        comps=[comp("1000.00", "30.00", "drink"), comp("1000.00", "20.00", "fruit", own=False)],
    )
    # drink: allowance 0 → 2 × 30.00 = 60.00; other's table: allowance 0 → 2 × 20.00 = 40.00
    assert lines(slip) == [
        ("base_pay", "3000.00"),
        ("comp_excess_fine", "-60.00"),
        ("comp_excess_fine", "-40.00"),
    ]
    # net = 3,000 − 100 = 2,900.00
    assert slip.net == Decimal("2900.00")


# --- rule 13: dismissal --------------------------------------------------------------


def test_dismissal_pays_only_the_deposit() -> None:
    slip = pay(
        bookings=[booking("52000.00")],
        late_arrivals=[10],
        personal_leave_days=2,
        customer_stealing=["500.00"],
        comps=[comp("100.00", "50.00", "drink")],
        dismissed=True,
        deposit="1000",
    )
    # base 3,000.00 and commission 3% × 12,000 = 360.00 are shown and forfeited;
    # no fines or deductions apply; the deposit 1,000.00 is refunded
    assert lines(slip) == [
        ("base_pay", "3000.00"),
        ("commission", "360.00"),
        ("dismissal_base_forfeiture", "-3000.00"),
        ("dismissal_commission_forfeiture", "-360.00"),
        ("deposit_refund", "1000.00"),
    ]
    assert slip.facts["commission_forfeited"] is True
    # earnings 3,000 + 360 + 1,000 = 4,360; deductions 3,360; net = 1,000.00
    assert totals(slip) == ("4360.00", "3360.00", "1000.00", "0.00")
    # forfeitures 3,360 > 20% × 3,360 = 672.00, by 2,688.00
    assert codes(slip) == ["deduction_cap_exceeded"]
    assert "2,688.00" in slip.notices[0].text["zh"]


def test_dismissal_without_deposit_pays_nothing() -> None:
    slip = pay(bookings=[booking("20000.00")], dismissed=True)
    # base = 3,000 × 20,000 ÷ 40,000 = 1,500.00, forfeited; no commission to forfeit; deposit 0
    assert lines(slip) == [("base_pay", "1500.00"), ("dismissal_base_forfeiture", "-1500.00")]
    assert totals(slip) == ("1500.00", "1500.00", "0.00", "0.00")
    assert slip.facts["commission_forfeited"] is True


# --- net, carry forward and the statutory cap notice -------------------------------------


def test_deductions_above_earnings_carry_forward() -> None:
    slip = pay(bookings=[booking("8000.00")], personal_leave_days=3, carried_deductions="100.00")
    # base = 3,000 × 8,000 ÷ 40,000 = 600.00; deductions 300 × 3 + 100 carried = 1,000.00
    assert lines(slip) == [
        ("base_pay", "600.00"),
        ("personal_leave_deduction", "-900.00"),
        ("carried_deductions", "-100.00"),
    ]
    # 600 − 1,000 = −400: net 0.00, 400.00 carried to next month
    assert totals(slip) == ("600.00", "1000.00", "0.00", "400.00")
    assert codes(slip) == ["deduction_cap_exceeded", "carry_forward"]
    assert "400.00" in slip.notices[1].text["en"]


@pytest.mark.parametrize(
    ("late", "notice"),
    [
        # 12 × 50 = 600.00 = 20% × 3,000: not above the cap
        (12, False),
        # 13 × 50 = 650.00 > 600.00: above it by 50.00
        (13, True),
    ],
)
def test_statutory_cap_notice_at_twenty_percent(late: int, notice: bool) -> None:
    slip = pay(bookings=[booking("40000.00")], late_arrivals=[5] * late, carried_deductions="5000.00")
    # carried deductions are excluded from the cap (and here make the net 0, the rest carried)
    assert codes(slip) == (["deduction_cap_exceeded"] if notice else []) + ["carry_forward"]
    if notice:
        assert slip.notices[0].text["en"] == (
            "Fines, forfeitures and deductions of 650.00 exceed the 20% cap of the month's wage "
            "(600.00) set by art. 16 of the Provisional Regulations on Wage Payment by 50.00."
        )
    # 3,000 − 50 × late − 5,000 carried
    assert slip.carry_forward == Decimal(2000 + 50 * late)
