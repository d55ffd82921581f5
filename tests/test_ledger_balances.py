"""Declared balances through the ledger: resets (yearly and "MM-DD"), an employee who starts in
July, restatements that correct year-to-date figures, and correction lines against balances."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import cmrules
from cmrules.ledger import Ledger

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "balances"
YTD = cmrules.load_ruleset(FIXTURES / "ytd_tax.yaml")
MONTHS_EMPLOYED = cmrules.load_ruleset(FIXTURES / "months_employed.yaml")
D = Decimal


def periods(first: str, count: int) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = year + month // 12, month % 12 + 1
    return out


def by_hand(ruleset: Any, months: list[tuple[str, dict[str, Any]]]) -> list[cmrules.PaySlip]:
    """Each month evaluated alone, every declared balance typed from the month before (reset at
    a new year), as a payroll script without a ledger does."""
    names = [b.name for b in ruleset.versions[-1].balances[1:]]
    held: dict[str, Any] = {}
    out = []
    for period, record in months:
        if not out or period[:4] != out[-1].period[:4]:  # a first month, or a new year: reset
            held = dict.fromkeys(names, "0")
        given = {n: str(held[n]) for n in names}
        slip = ruleset.evaluate({**record, "period": period, **given})
        held = {n: slip.balances[n].after for n in names}
        out.append(slip)
    return out


def test_a_july_starter_counts_months_paid_this_year_and_resets_in_january() -> None:
    months = periods("2026-07", 8)  # July 2026 to February 2027
    with Ledger(":memory:") as book:
        befores = []
        for period in months:
            record = {"employee": "J1", "salary": "6000.00", "year_end": period.endswith("-12")}
            slip = book.run(MONTHS_EMPLOYED, period, [record]).slips[0]
            book.close(period)
            befores.append(slip.balances["months_employed"].before)
        december = book.history("J1")[5]["slip"]
    # k counts the months paid this year: 6 in December (July..December), back to 1 in January
    assert befores == [0, 1, 2, 3, 4, 5, 0, 1]
    assert december["facts"]["months_this_year"] == 6
    assert {line["rule_id"]: line["amount"] for line in december["lines"]}["year_end_bonus"] == "6000.00"


def test_cumulative_tax_for_a_july_starter_is_the_months_by_hand() -> None:
    wages = ["20000.00", "20000.00", "35000.00", "20000.00", "8000.00", "60000.00", "20000.00"]
    months = list(zip(periods("2026-07", 7), [{"employee": "T1", "wage": w} for w in wages], strict=True))
    expected = by_hand(YTD, months)
    with Ledger(":memory:") as book:
        for (period, record), slip in zip(months, expected, strict=True):
            got = book.run(YTD, period, [record]).slips[0]
            book.close(period)
            assert got.to_dict("lines") == slip.to_dict("lines"), period
        history = book.history("T1")
    december, january = history[5]["balances"], history[6]["balances"]
    # July..November: 15,000 + 15,000 + 30,000 + 15,000 + 3,000 of taxable income before December
    assert december["ytd_taxable"] == {"before": "78000.00", "after": "133000.00"}
    assert december["ytd_tax"]["after"] == str(expected[5].balances["ytd_tax"].after) == "10780.00"
    assert january["ytd_taxable"] == {"before": "0.00", "after": "15000.00"}  # reset on 1 January
    assert [slip.total("income_tax") for slip in expected] == [
        D("-450.00"),
        D("-450.00"),
        D("-2580.00"),
        D("-1500.00"),
        D("-300.00"),
        D("-5500.00"),
        D("-450.00"),
    ]


FISCAL = """
cmrules: 1
id: fiscal
version: "2026"
title: {zh: 财年累计, en: Fiscal year to date}
effective_from: 2025-01-01
inputs:
  employee: {type: str}
  period: {type: period}
  sales: {type: money, ge: 0}
balances:
  fytd_sales: {type: money, resets: "04-01", add: sales}
  paid_to_date: {type: money, initial: 0, add: net}
rules:
  - id: pay
    label: {zh: 工资, en: Pay}
    line: {category: earning, amount: sales / 10}
"""


def test_a_balance_that_resets_on_a_day_of_the_year_starts_again_that_month(tmp_path: Path) -> None:
    (tmp_path / "fiscal.yaml").write_text(textwrap.dedent(FISCAL), encoding="utf-8")
    fiscal = cmrules.load_ruleset(tmp_path / "fiscal.yaml")
    with Ledger(":memory:") as book:
        for period in periods("2026-01", 5):
            book.run(fiscal, period, [{"employee": "F1", "sales": "1000.00"}])
            book.close(period)
        seen = [(h["period"], h["balances"]["fytd_sales"]["before"]) for h in book.history("F1")]
    assert seen == [
        ("2026-01", "0.00"),
        ("2026-02", "1000.00"),
        ("2026-03", "2000.00"),
        ("2026-04", "0.00"),  # 1 April falls after March and on April's first day
        ("2026-05", "1000.00"),
    ]


def test_restating_a_month_corrects_the_year_to_date_balances_of_later_runs() -> None:
    wages = {p: "20000.00" for p in periods("2026-01", 6)}
    with Ledger(":memory:") as book:
        for period in periods("2026-01", 5):
            book.run(YTD, period, [{"employee": "T1", "wage": wages[period]}])
            book.close(period)
        # March was 30,000.00, not 20,000.00: taxable +10,000, tax to date from 1,980 to 2,980
        fixed = book.restate(YTD, "2026-03", [{"employee": "T1", "wage": "30000.00"}])
        assert fixed.balances == [
            {"employee": "T1", "balance": "ytd_taxable", "was": D("45000.00"), "now": D("55000.00")},
            {"employee": "T1", "balance": "ytd_tax", "was": D("1980.00"), "now": D("2980.00")},
        ]
        june = book.run(YTD, "2026-06", [{"employee": "T1", "wage": wages["2026-06"]}]).slips[0]
        history = book.history("T1")
    wages["2026-03"] = "30000.00"
    replay = by_hand(YTD, [(p, {"employee": "T1", "wage": w}) for p, w in wages.items()])
    # the corrected March reaches June's balances, and the cumulative method withholds what a
    # replay with the corrected inputs withholds by June
    for name in ("ytd_taxable", "ytd_tax"):
        assert june.balances[name].after == replay[-1].balances[name].after, name
    assert june.balances["ytd_taxable"].before == D("85000.00")
    withheld = sum(-s.total("income_tax") for s in replay)
    paid = sum(-D(h["slip"]["totals"]["deductions"]) for h in history)
    assert paid == withheld == D("7480.00")  # tax on 100,000.00 of taxable income
    assert [line.rule_id for line in june.lines] == [
        "wage",
        "income_tax",
        "correction:2026-03:wage",
        "correction:2026-03:income_tax",
    ]
    assert history[2]["balance_corrections"][0] == {
        "balance": "ytd_taxable",
        "was": "45000.00",
        "now": "55000.00",
        "carried_in": "2026-06",
    }


def test_a_correction_is_carried_once_and_again_when_its_run_is_replaced() -> None:
    with Ledger(":memory:") as book:
        for period in periods("2026-01", 2):
            book.run(YTD, period, [{"employee": "T1", "wage": "20000.00"}])
            book.close(period)
        book.restate(YTD, "2026-02", [{"employee": "T1", "wage": "25000.00"}])
        first = book.run(YTD, "2026-03", [{"employee": "T1", "wage": "20000.00"}]).slips[0]
        again = book.run(YTD, "2026-03", [{"employee": "T1", "wage": "20000.00"}]).slips[0]
        book.close("2026-03")
        april = book.run(YTD, "2026-04", [{"employee": "T1", "wage": "20000.00"}]).slips[0]
    assert first.balances["ytd_taxable"].before == again.balances["ytd_taxable"].before == D("35000.00")
    assert april.balances["ytd_taxable"].before == D("50000.00")  # not carried twice


def test_a_correction_of_last_year_does_not_reach_this_years_balances() -> None:
    with Ledger(":memory:") as book:
        book.run(YTD, "2026-12", [{"employee": "T1", "wage": "20000.00"}])
        book.close("2026-12")
        book.restate(YTD, "2026-12", [{"employee": "T1", "wage": "30000.00"}])
        january = book.run(YTD, "2027-01", [{"employee": "T1", "wage": "20000.00"}]).slips[0]
    assert january.balances["ytd_taxable"].before == 0
    assert january.total("correction:2026-12:income_tax") == D("-300.00")  # the money still is


def test_balances_see_the_rulesets_own_lines_and_corrections_come_once(tmp_path: Path) -> None:
    """Adjustment lines are added after evaluation: the built-in carried_deductions is the
    adjusted slip's carry-forward; a declared balance reading net sees the ruleset's own lines,
    and the corrected month's change to it comes as a balance correction, never twice."""
    (tmp_path / "fiscal.yaml").write_text(textwrap.dedent(FISCAL), encoding="utf-8")
    fiscal = cmrules.load_ruleset(tmp_path / "fiscal.yaml")
    with Ledger(":memory:") as book:
        book.run(fiscal, "2026-01", [{"employee": "F1", "sales": "1000.00"}])
        book.close("2026-01")
        book.restate(fiscal, "2026-01", [{"employee": "F1", "sales": "3000.00"}])
        feb = book.run(fiscal, "2026-02", [{"employee": "F1", "sales": "1000.00"}]).slips[0]
        stored = book.history("F1")[1]["balances"]
    assert feb.net == D("300.00")  # 100.00 for February + the 200.00 correction of January
    assert feb.balances["paid_to_date"] == cmrules.BalanceChange(D("300.00"), D("400.00"))
    assert stored["paid_to_date"] == {"before": "300.00", "after": "400.00"}  # the replay's figure
    with Ledger(":memory:") as book:
        book.run(BAR, "2024-05", [bar("B002", "2024-05", "92000.00")])
        book.close("2024-05")
        book.restate(BAR, "2024-05", [bar("B002", "2024-05", "40000.00")])
        june = book.run(BAR, "2024-06", [bar("B002", "2024-06", "0.00", absent_days=8)]).slips[0]
        stored = book.history("B002")[1]["balances"]["carried_deductions"]
    assert june.carry_forward == D("3160.00")
    assert june.balances["carried_deductions"].after == june.carry_forward
    assert stored["after"] == "3160.00"


BAR = cmrules.load_ruleset("bar_customer_manager")


def bar(employee: str, period: str, sales: str, **more: Any) -> dict[str, Any]:
    booking = {"date": f"{period}-03", "amount": sales, "registered_minutes_before": 30}
    return {"employee": employee, "period": period, "bookings": [booking], **more}


@pytest.mark.parametrize("keep", ["summary", "lines", "trace"])
def test_balances_do_not_depend_on_what_the_ledger_keeps(keep: str) -> None:
    with Ledger(":memory:", keep=keep, compress=keep != "lines") as book:  # type: ignore[arg-type]
        for period in periods("2026-01", 3):
            book.run(YTD, period, [{"employee": "T1", "wage": "20000.00"}])
        assert book.history("T1")[2]["balances"]["ytd_tax"]["after"] == "1980.00"


def test_imported_year_to_date_balances_start_a_company_mid_year_and_reset_in_january() -> None:
    with Ledger(":memory:") as book:
        book.import_balances(YTD, "2026-07", {"T1": {"ytd_taxable": "90000.00", "ytd_tax": "5580.00"}})
        book.import_balances(MONTHS_EMPLOYED, "2026-07", {"T1": {"months_employed": 6}})
        july = book.run(YTD, "2026-07", [{"employee": "T1", "wage": "20000.00"}]).slips[0]
        counted = book.run(MONTHS_EMPLOYED, "2026-07", [{"employee": "T1", "salary": "6000.00"}]).slips[0]
        with pytest.raises(cmrules.UsageError, match="not a whole number"):
            book.import_balances(MONTHS_EMPLOYED, "2026-08", {"T2": {"months_employed": "6.5"}})
    # 105,000.00 taxable to date: 1,080.00 + 6,900.00 = 7,980.00 due, 5,580.00 withheld before
    assert july.balances["ytd_taxable"] == cmrules.BalanceChange(D("90000.00"), D("105000.00"))
    assert july.total("income_tax") == D("-2400.00")
    assert counted.balances["months_employed"] == cmrules.BalanceChange(6, 7)
    assert counted.facts["months_this_year"] == 7
