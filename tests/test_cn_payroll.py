"""China payroll (cn_monthly_wage with the cn/social_insurance and cn/iit modules): properties of
a year simulated month by month, each month's year-to-date inputs fed from the months before."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

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


def year(city: str, wages: list[Decimal], special: Decimal, start: int = 1) -> list[cmrules.PaySlip]:
    """One slip per month from month ``start``, each month's year-to-date inputs the sums of the
    slips before it (what a ledger's balances will give)."""
    ytd = {"ytd_wage": Decimal(0), "ytd_si_employee": Decimal(0), "ytd_special_deductions": Decimal(0)}
    withheld, slips = Decimal(0), []
    for k, wage in enumerate(wages):
        record: dict[str, Any] = {
            "employee": "P1",
            "period": f"2024-{start + k:02d}",
            "city": city,
            "wage": str(wage),
            "special_deductions": str(special),
            **{name: str(value) for name, value in ytd.items()},
            "ytd_iit_withheld": str(withheld),
            "months_paid_ytd": k,
        }
        slip = RULESET.evaluate(record)
        slips.append(slip)
        ytd["ytd_wage"] += wage
        ytd["ytd_si_employee"] += slip.facts["si_employee"]
        ytd["ytd_special_deductions"] += special
        withheld += slip.facts["iit"]
    return slips


money = st.integers(min_value=0, max_value=20_000_000).map(lambda cents: Decimal(cents) / 100)
wages = st.lists(money, min_size=1, max_size=12)
specials = st.sampled_from([Decimal(0), Decimal(1000), Decimal(2000), Decimal(3500)])


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(CITIES), wages, specials)
def test_tax_is_never_negative_and_withheld_covers_the_annual_table(
    city: str, pay: list[Decimal], special: Decimal
) -> None:
    withheld, never_fell = Decimal(0), True
    for slip in year(city, pay, special):
        facts = slip.facts
        assert facts["iit"] >= 0 and facts["bonus_iit"] == 0
        due = annual_tax(facts["taxable_ytd"])
        never_fell = never_fell and due >= withheld
        withheld += facts["iit"]
        assert withheld >= due
        if never_fell:
            assert withheld == due


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(CITIES), wages, st.data())
def test_a_higher_wage_never_lowers_the_years_tax(city: str, pay: list[Decimal], data: st.DataObject) -> None:
    raises = data.draw(st.lists(money, min_size=len(pay), max_size=len(pay)))
    higher = [a + b for a, b in zip(pay, raises, strict=True)]
    low = sum(s.facts["iit"] for s in year(city, pay, Decimal(0)))
    high = sum(s.facts["iit"] for s in year(city, higher, Decimal(0)))
    assert high >= low


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(CITIES), money, st.integers(min_value=1, max_value=12))
def test_the_contribution_base_is_within_the_citys_floor_and_cap(
    city: str, wage: Decimal, month: int
) -> None:
    [slip] = year(city, [wage], Decimal(0), start=month)
    facts = slip.facts
    assert facts["city_si_floor"] <= facts["si_base_used"] <= facts["city_si_cap"]
    assert facts["city_hf_floor"] <= facts["hf_base_used"] <= facts["city_hf_cap"]
    clamped = [n for n in slip.notices if n.code == "si_base_clamped"]
    assert bool(clamped) == (facts["si_base_used"] != wage)


def test_the_worked_example_month_by_month() -> None:
    # POLICIES.md section 6: si_employee 3,000 (Guangzhou, base 15,000, housing fund 9.8%)
    record = {"city": "guangzhou", "si_base": "15000", "hf_rate": "0.098"}
    withheld, ytd, out = Decimal(0), Decimal(0), []
    for k in range(12):
        slip = RULESET.evaluate(
            {
                "employee": "W",
                "period": f"2024-{k + 1:02d}",
                **record,
                "wage": "20000",
                "special_deductions": "2000",
                "ytd_wage": str(ytd),
                "ytd_si_employee": str(3000 * k),
                "ytd_special_deductions": str(2000 * k),
                "ytd_iit_withheld": str(withheld),
                "months_paid_ytd": k,
            }
        )
        assert slip.facts["si_employee"] == 3000
        out.append(slip.facts["iit"])
        withheld += slip.facts["iit"]
        ytd += 20000
    assert out[:6] == [300, 300, 300, 580, 1000, 1000]
    assert withheld == annual_tax(Decimal(120000))
