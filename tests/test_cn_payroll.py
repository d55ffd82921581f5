"""China payroll (cn_monthly_wage with the cn/social_insurance and cn/iit modules): properties of
a year paid month by month through an in-memory ledger, whose balances are the year-to-date figures."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cmrules

RULESET = cmrules.load_ruleset(Path(__file__).resolve().parent.parent / "rulesets" / "cn_monthly_wage.yaml")
CITIES = ("beijing", "shanghai", "guangzhou", "shenzhen", "tianjin")
ANNUAL = [  # POLICIES.md section 6, the annual table: (up to, rate, quick deduction)
    (Decimal(36000), Decimal("0.03"), Decimal(0)),
    (Decimal(144000), Decimal("0.10"), Decimal(2520)),
    (Decimal(300000), Decimal("0.20"), Decimal(16920)),
    (Decimal(420000), Decimal("0.25"), Decimal(31920)),
    (Decimal(660000), Decimal("0.30"), Decimal(52920)),
    (Decimal(960000), Decimal("0.35"), Decimal(85920)),
    (None, Decimal("0.45"), Decimal(181920)),
]


def annual_tax(taxable: Decimal) -> Decimal:
    """The annual table applied to year-to-date taxable income, rounded half-up to 0.01."""
    for limit, rate, quick in ANNUAL:
        if limit is None or taxable <= limit:
            return (taxable * rate - quick).quantize(Decimal("0.01"), "ROUND_HALF_UP")
    raise AssertionError


def year(
    city: str, wages: list[Decimal], special: Decimal, start: int = 1, bonus_month: int | None = None
) -> list[cmrules.PaySlip]:
    """One slip per month from month ``start``, through an in-memory ledger: no year-to-date input,
    the ledger's balances give them (an annual bonus of 36,000 in month ``bonus_month``)."""
    slips = []
    with cmrules.Ledger(":memory:") as book:
        for k, wage in enumerate(wages):
            period = f"2024-{start + k:02d}"
            record: dict[str, Any] = {
                "employee": "P1",
                "city": city,
                "wage": str(wage),
                "special_deductions": str(special),
            }
            if bonus_month == start + k:
                record["annual_bonus"] = "36000"
            run = book.run(RULESET, period, [record])
            assert not run.failures, run.failures
            book.close(period, RULESET)
            slips.extend(run.slips)
    return slips


def year_without_ledger(city: str, wages: list[Decimal], special: Decimal) -> list[cmrules.PaySlip]:
    """The same months by ``evaluate``, the caller feeding the year-to-date inputs from each slip's
    balances (what a payroll script without a ledger does)."""
    state: dict[str, Any] = {
        "ytd_wage": "0",
        "ytd_si_employee": "0",
        "ytd_special_deductions": "0",
        "ytd_iit_withheld": "0",
        "months_paid_ytd": 0,
    }
    slips = []
    for k, wage in enumerate(wages):
        record = {"employee": "P1", "period": f"2024-{k + 1:02d}", "city": city, "wage": str(wage)}
        slip = RULESET.evaluate({**record, "special_deductions": str(special), **state})
        slips.append(slip)
        state = {name: change.after for name, change in slip.balances.items()}  # carried_deductions too
    return slips


money = st.integers(min_value=0, max_value=20_000_000).map(lambda cents: Decimal(cents) / 100)
wages = st.lists(money, min_size=1, max_size=12)
specials = st.sampled_from([Decimal(0), Decimal(1000), Decimal(2000), Decimal(3500)])


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(st.sampled_from(CITIES), wages, specials, st.integers(min_value=1, max_value=12))
def test_tax_is_never_negative_and_withheld_covers_the_annual_table(
    city: str, pay: list[Decimal], special: Decimal, start: int
) -> None:
    pay = pay[: 13 - start]
    withheld, never_fell = Decimal(0), True
    for k, slip in enumerate(year(city, pay, special, start), start=1):
        facts = slip.facts
        assert facts["iit"] >= 0 and facts["bonus_iit"] == 0
        assert slip.balances["months_paid_ytd"] == cmrules.BalanceChange(k - 1, k)  # a starter's k is 1
        assert slip.balances["ytd_iit_withheld"].before == withheld
        due = annual_tax(facts["taxable_ytd"])
        never_fell = never_fell and due >= withheld
        withheld += facts["iit"]
        assert withheld >= due
        if never_fell:
            assert withheld == due


@pytest.mark.slow
@settings(max_examples=15, deadline=None)
@given(st.sampled_from(CITIES), wages, st.data())
def test_a_higher_wage_never_lowers_the_years_tax(city: str, pay: list[Decimal], data: st.DataObject) -> None:
    raises = data.draw(st.lists(money, min_size=len(pay), max_size=len(pay)))
    higher = [a + b for a, b in zip(pay, raises, strict=True)]
    low = sum(s.facts["iit"] for s in year(city, pay, Decimal(0)))
    high = sum(s.facts["iit"] for s in year(city, higher, Decimal(0)))
    assert high >= low


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(st.sampled_from(CITIES), st.lists(money, min_size=1, max_size=12))
def test_the_contribution_base_is_within_the_citys_floor_and_cap(city: str, pay: list[Decimal]) -> None:
    for wage, slip in zip(pay, year(city, pay, Decimal(0)), strict=True):
        facts = slip.facts
        assert facts["city_si_floor"] <= facts["si_base_used"] <= facts["city_si_cap"]
        assert facts["city_hf_floor"] <= facts["hf_base_used"] <= facts["city_hf_cap"]
        clamped = [n for n in slip.notices if n.code == "si_base_clamped"]
        assert bool(clamped) == (facts["si_base_used"] != wage)


@pytest.mark.slow
@settings(max_examples=10, deadline=None)
@given(st.sampled_from(CITIES), wages, specials)
def test_the_ledger_and_the_year_to_date_inputs_give_the_same_slips(
    city: str, pay: list[Decimal], special: Decimal
) -> None:
    through = year(city, pay, special)
    by_hand = year_without_ledger(city, pay, special)
    assert [s.to_dict()["facts"] for s in through] == [s.to_dict()["facts"] for s in by_hand]
    assert [s.net for s in through] == [s.net for s in by_hand]


def test_the_worked_example_through_the_ledger() -> None:
    # POLICIES.md section 6: si_employee 3,000 (Guangzhou, base 15,000, housing fund 9.8%)
    with cmrules.Ledger(":memory:") as book:
        out = []
        for month in range(1, 13):
            period = f"2024-{month:02d}"
            record = {"employee": "W", "city": "guangzhou", "si_base": "15000", "hf_rate": "0.098"}
            run = book.run(RULESET, period, [{**record, "wage": "20000", "special_deductions": "2000"}])
            book.close(period, RULESET)
            (slip,) = run.slips
            assert slip.facts["si_employee"] == 3000
            out.append(slip.facts["iit"])
    assert out == [300, 300, 300, 580] + [1000] * 8
    assert sum(out) == annual_tax(Decimal(120000)) == Decimal("9480.00")
    assert slip.balances["ytd_iit_withheld"] == cmrules.BalanceChange(Decimal("8480.00"), Decimal("9480.00"))


def test_without_a_ledger_the_year_to_date_figures_are_required_inputs() -> None:
    record = {"employee": "N1", "period": "2024-03", "city": "guangzhou", "wage": "20000"}
    with pytest.raises(cmrules.InputError) as info:
        RULESET.evaluate(record)
    missing = {p.field for p in info.value.problems if p.code == "input.missing"}
    assert missing == {
        "ytd_wage",
        "ytd_si_employee",
        "ytd_special_deductions",
        "ytd_iit_withheld",
        "months_paid_ytd",
    }
    assert [(b.name, b.resets, b.initial) for b in RULESET.latest.balances[1:]] == [
        ("ytd_wage", (1, 1), None),
        ("ytd_si_employee", (1, 1), None),
        ("ytd_special_deductions", (1, 1), None),
        ("ytd_iit_withheld", (1, 1), None),
        ("months_paid_ytd", (1, 1), None),
        ("bonus_paid_ytd", (1, 1), 0),
    ]


def test_through_a_ledger_a_second_annual_bonus_in_the_year_is_refused() -> None:
    record = {"employee": "B2", "city": "guangzhou", "wage": "20000", "annual_bonus": "36000"}
    with cmrules.Ledger(":memory:") as book:
        first = book.run(RULESET, "2024-11", [record])
        book.close("2024-11", RULESET)
        second = book.run(RULESET, "2024-12", [record])
        assert not first.failures and first.slips[0].facts["bonus_iit"] == Decimal("1080.00")
        assert [(f["code"], f["employee"], f["field"], f["value"]) for f in second.failures] == [
            ("input.check", "B2", "annual_bonus", "36000.00")
        ]
        third = book.run(RULESET, "2024-12", [{**record, "annual_bonus": "0"}])  # corrected, then closed
        book.close("2024-12", RULESET)
        january = book.run(RULESET, "2025-01", [record])  # a new year: allowed again
    assert not third.failures and third.slips[0].balances["bonus_paid_ytd"] == cmrules.BalanceChange(1, 1)
    assert not january.failures and january.slips[0].balances["bonus_paid_ytd"] == cmrules.BalanceChange(0, 1)


def test_a_record_through_the_ledger_may_not_give_a_year_to_date_figure() -> None:
    record = {"employee": "L1", "city": "guangzhou", "wage": "20000", "ytd_wage": "0"}
    with cmrules.Ledger(":memory:") as book:
        run = book.run(RULESET, "2024-01", [record])
    assert [f["code"] for f in run.failures] == ["ledger.balance_given"]


def test_months_paid_before_this_one_are_at_most_the_periods_month_minus_one() -> None:
    # F8: k = months_paid_ytd + 1 multiplies the 5,000 basic deduction; in 2024-03 at most 2
    # months can have been paid earlier in the year (leap and common Februaries both covered)
    base = {"employee": "M1", "city": "guangzhou", "wage": "20000", "ytd_wage": "0", "ytd_si_employee": "0"}
    base |= {"ytd_special_deductions": "0", "ytd_iit_withheld": "0"}
    for year_ in (2024, 2025):
        for month in range(1, 13):
            accepted = []
            for earlier in range(12):
                record = {**base, "period": f"{year_}-{month:02d}", "months_paid_ytd": earlier}
                try:
                    RULESET.evaluate(record)
                except cmrules.InputError as exc:
                    [problem] = exc.problems
                    assert (problem.code, problem.employee, problem.field, problem.value) == (
                        "input.check",
                        "M1",
                        "months_paid_ytd",
                        earlier,
                    )
                    assert "months_paid_within_the_year" in problem.message
                    assert f"period = {year_}-{month:02d}" in problem.message
                else:
                    accepted.append(earlier)
            assert accepted == list(range(month)), (year_, month)


def test_a_claim_of_more_earlier_months_than_the_year_has_had_is_refused_not_untaxed() -> None:
    # before F8, 2024-03 with months_paid_ytd 11 was paid with taxable_ytd 0.00 and iit 0.00
    record = {"employee": "M2", "period": "2024-03", "city": "guangzhou", "wage": "20000"}
    record |= {"si_base": "15000", "hf_rate": "0.098", "special_deductions": "2000", "ytd_wage": "40000"}
    record |= {"ytd_si_employee": "6000", "ytd_special_deductions": "4000", "ytd_iit_withheld": "600.00"}
    assert RULESET.evaluate({**record, "months_paid_ytd": 2}).facts["iit"] == Decimal("300.00")
    with pytest.raises(cmrules.InputError) as info:
        RULESET.evaluate({**record, "months_paid_ytd": 11})
    assert str(info.value).startswith("employee M2: months_paid_ytd = 11: check months_paid_within_the_year:")


CITY_NAMES = {  # F9: the forms docs/china-payroll.md documents for each city id
    "beijing": ("北京", "北京市", "Beijing"),
    "shanghai": ("上海", "上海市", "Shanghai"),
    "guangzhou": ("广州", "广州市", "Guangzhou"),
    "shenzhen": ("深圳", "深圳市", "Shenzhen"),
    "tianjin": ("天津", "天津市", "Tianjin"),
}


@pytest.mark.parametrize("city", CITIES)
def test_a_city_written_in_chinese_or_english_is_paid_as_its_id(city: str) -> None:
    record = {"employee": "A1", "period": "2024-08", "wage": "20000", "ytd_wage": "0", "ytd_si_employee": "0"}
    record |= {"ytd_special_deductions": "0", "ytd_iit_withheld": "0", "months_paid_ytd": 0}
    by_id = RULESET.evaluate({**record, "city": city})
    assert by_id.facts["city_id"] == city and by_id.facts["si_employee"] > 0
    for name in CITY_NAMES[city]:
        slip = RULESET.evaluate({**record, "city": name})
        assert slip.to_dict("lines") == by_id.to_dict("lines"), name


def test_an_unknown_city_is_refused_with_every_accepted_form() -> None:
    record = {"employee": "A2", "period": "2024-08", "wage": "20000", "ytd_wage": "0", "ytd_si_employee": "0"}
    record |= {"ytd_special_deductions": "0", "ytd_iit_withheld": "0", "months_paid_ytd": 0}
    for city in ("杭州", "SHANGHAI", "上海 "):
        with pytest.raises(cmrules.InputError) as info:
            RULESET.evaluate({**record, "city": city})
        [problem] = info.value.problems
        got = (problem.code, problem.employee, problem.field, problem.value)
        assert got == ("input.enum", "A2", "city", city)
        for cid, names in CITY_NAMES.items():
            assert all(repr(form) in problem.message for form in (cid, *names))
