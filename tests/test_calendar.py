"""Calendar helpers for part-month pay: period_days, working_days (holidays and 调休 workdays),
days_between, days_employed, and the 21.75-day monthly convention (劳社部发〔2008〕3号)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from functools import cache
from typing import Any

import pytest

import cmrules
from cmrules.compile._calendar import days_employed, working_days

HEAD = 'id: cal\nversion: "1"\ntitle: {zh: 日历, en: Calendar}\neffective_from: 2024-01-01\n'
INPUTS = """inputs:
  joined: {type: date, default: 2000-01-01}
  left: {type: date, default: 2999-12-31}
  holidays: {type: list, of: {type: date}}
  workdays: {type: list, of: {type: date}}
  base: {type: money, default: 0}
"""
#: 2024's Labour Day: 1–5 May off (Wednesday to Sunday), Saturday 11 May worked instead (调休).
LABOUR_DAY = [f"2024-05-0{d}" for d in range(1, 6)]


@cache
def fact(expr: str, typ: str = "int") -> cmrules.Ruleset:
    return cmrules.loads_ruleset(
        HEAD + INPUTS + f"facts:\n  out: {{type: {typ}, expr: {json.dumps(expr)}}}\n"
    )


def value(expr: str, typ: str = "int", period: str = "2024-05", **inputs: Any) -> Any:
    slip = fact(expr, typ).evaluate({"employee": "E1", "period": period, **inputs})
    return slip.facts["out"]


def test_days_in_the_period() -> None:
    assert value("period_days(period)", period="2024-02") == 29  # a leap year
    assert value("period_days(period)", period="2025-02") == 28
    assert value("period_days(period)") == 31


def test_working_days_monday_to_friday() -> None:
    # May 2024 starts on a Wednesday: 4 weeks (20) + Wed, Thu, Fri = 23
    assert value("working_days(period)") == 23
    # less Labour Day's three weekdays, plus the Saturday worked: 23 − 3 + 1 = 21
    assert (
        value("working_days(period, holidays, workdays)", holidays=LABOUR_DAY, workdays=["2024-05-11"]) == 21
    )
    # a holiday on a weekend changes nothing; a "workday" on a weekday neither
    assert (
        value("working_days(period, holidays, workdays)", holidays=["2024-05-04"], workdays=["2024-05-06"])
        == 23
    )
    # between two dates, both included: Mon 13 to Fri 17 May
    assert value("working_days(date_in_month(period, 0, 13), date_in_month(period, 0, 17))") == 5
    assert value("working_days(date_in_month(period, 0, 17), date_in_month(period, 0, 13))") == 0


def test_days_employed_for_joiners_and_leavers() -> None:
    assert value("days_employed(period, joined, left)") == 31  # employed all month
    assert value("days_employed(period, joined, left)", joined="2024-05-16") == 16  # 16 … 31
    assert value("days_employed(period, joined, left)", left="2024-05-10") == 10  # 1 … 10
    assert value("days_employed(period, joined, left)", joined="2024-05-06", left="2024-05-10") == 5
    assert value("days_employed(period, joined, None)", joined="2024-06-01") == 0  # joins next month
    assert value("days_between(joined, left)", joined="2024-05-06", left="2024-05-10") == 5


def test_part_month_salary_with_the_monthly_convention() -> None:
    # a joiner on Thursday 16 May: 12 working days (16–17, 20–24, 27–31) of 21.75 at 5,000.00 a month
    expr = (
        "round(base * working_days(max(joined, period_start(period)), min(left, period_end(period)), "
        "holidays, workdays) / monthly_pay_days())"
    )
    got = value(
        expr, "money", joined="2024-05-16", base="5000.00", holidays=LABOUR_DAY, workdays=["2024-05-11"]
    )
    assert got == Decimal("2758.62")  # 5000 × 12 / 21.75 = 2758.6206…
    assert value("monthly_pay_days()", "decimal") == Decimal("21.75")


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("period_days(joined)", "period_days() takes a period; got date"),
        (
            "working_days(period, joined)",
            "working_days() takes (period[, holidays[, workdays]]): a period, then lists of dates; got date",
        ),
        ("working_days(joined)", "working_days() takes 2 to 4 argument(s), got 1"),
        ("days_between(joined, 3)", "days_between() takes (from, to): two dates; got int"),
        (
            "days_employed(joined, joined, left)",
            "days_employed() takes (period, joined, left): a period and "
            "two dates (None: before / after the period); got date",
        ),
        ("monthly_pay_days(1)", "monthly_pay_days() takes 0 argument(s), got 1"),
    ],
)
def test_refusals_name_the_function(expr: str, message: str) -> None:
    with pytest.raises(cmrules.RulesetError) as caught:
        fact(expr)
    (issue,) = caught.value.errors
    assert issue.message == message and issue.line == 12


def test_helpers_directly() -> None:
    may1, may31 = dt.date(2024, 5, 1), dt.date(2024, 5, 31)
    assert working_days(may1, may31, [may1, may1]) == 22  # a date counts once
    assert working_days(dt.date(2024, 1, 1), dt.date(2024, 12, 31)) == 262
    assert days_employed("2024-05", None, None) == 31
