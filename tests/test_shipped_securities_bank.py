"""The shipped securities and bank client-manager rulesets (POLICIES.md sections 2 and 3).

Their YAML test cases run one pytest case each; the plan's versions and the seed's
worked figures are checked directly through the Python API.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cmrules import load_ruleset
from cmrules.cases import load_cases, run_case
from cmrules.errors import InputError

RULESETS = Path(__file__).resolve().parent.parent / "rulesets"
SECURITIES = RULESETS / "securities_client_manager"
BANK = RULESETS / "bank_client_manager.yaml"
CASE_FILES = [
    SECURITIES / "securities_client_manager.tests.yaml",
    RULESETS / "bank_client_manager.tests.yaml",
]


def _cases() -> list[Any]:
    params = []
    for file in CASE_FILES:
        _, cases = load_cases(file)
        for i, case in enumerate(cases):
            params.append(pytest.param(file, i, id=f"{file.stem.removesuffix('.tests')}: {case['name']}"))
    return params


@pytest.mark.parametrize(("file", "index"), _cases())
def test_case(file: Path, index: int) -> None:
    ruleset, cases = load_cases(file)
    result = run_case(ruleset, cases[index], str(file))
    assert result.passed, "\n".join(result.differences)


def test_case_files_are_substantial() -> None:
    for file in CASE_FILES:
        _, cases = load_cases(file)
        assert len(cases) >= 12, file


def _securities(period: str, **over: Any) -> dict[str, Any]:
    row = {
        "employee": "S1",
        "period": period,
        "aum": "5000000",
        "new_assets": "500000",
        "commission_revenue": "10000",
        "score": "50",
    }
    row.update(over)
    return row


def test_securities_folder_is_a_plan_of_two_versions() -> None:
    plan = load_ruleset(SECURITIES)
    assert plan.id == "securities_client_manager"
    assert [v.version for v in plan.versions] == ["2012-01", "2013-07"]
    assert {v.id for v in plan.versions} == {"securities_client_manager"}


@pytest.mark.parametrize(
    ("period", "version", "base"),
    [
        # 50% completion: 2012-01 pro-rates 2,500 × 0.5 = 1,250.00; 2013-07 pays the flat 1,500.00
        ("2012-01", "2012-01", "1250.00"),
        ("2013-06", "2012-01", "1250.00"),
        ("2013-07", "2013-07", "1500.00"),
        ("2020-12", "2013-07", "1500.00"),
    ],
)
def test_securities_version_follows_the_period(period: str, version: str, base: str) -> None:
    plan = load_ruleset(SECURITIES)
    assert plan.version_for(period).version == version
    slip = plan.evaluate(_securities(period))
    assert slip.ruleset["version"] == version
    assert slip.total("base_pay") == Decimal(base)


def test_securities_period_before_the_plan_is_an_input_error() -> None:
    plan = load_ruleset(SECURITIES)
    with pytest.raises(InputError) as info:
        plan.evaluate(_securities("2011-12"))
    assert [(p.field, p.code) for p in info.value.problems] == [("period", "input.period")]


def test_seed_fifty_percent_of_2500_base_is_1250() -> None:
    # 告诉你的是2500 … 只因为你只完成了50%的任务: 2,500 × 500,000 / 1,000,000 = 1,250.00
    # (the seed says 1,248; the formula gives 1,250.00)
    slip = load_ruleset(SECURITIES).evaluate(_securities("2012-03", commission_revenue="0"))
    assert slip.total("base_pay") == Decimal("1250.00")
    assert slip.facts["level"] == 1
    assert slip.facts["completion"] == Decimal("0.5")


def test_seed_commission_1000_at_50_points_is_500() -> None:
    # 本该提成1000元的 … 考核得了50分,只能拿到1000*0.50=500: 10% × 10,000 × 50 / 100 = 500.00
    slip = load_ruleset(SECURITIES).evaluate(_securities("2012-03"))
    assert slip.total("commission") == Decimal("500.00")


def test_seed_minimum_wage_1320_nets_910() -> None:
    # 拿着深圳最低工资1320,扣掉社保和住房公积金估计就900多: nothing earned → top-up 1,320.00;
    # contributions on the 2,000 floor: 2,000 × (8% + 2% + 0.5% + 10%) = 410.00; 1,320 − 410 = 910.00
    slip = load_ruleset(SECURITIES).evaluate(
        _securities("2012-06", aum="0", new_assets="0", commission_revenue="0", score="0")
    )
    assert slip.facts["minimum_wage"] == Decimal("1320.00")
    assert slip.total("minimum_wage_topup") == Decimal("1320.00")
    assert slip.deductions == Decimal("410.00")
    assert slip.net == Decimal("910.00")


def test_bank_facts_and_ladder() -> None:
    # score = 82 × 30% + 80 × 10% + 85 × 20% + 70 × 20% + 100 × 10% + 60 × 10%
    #       = 24.6 + 8 + 17 + 14 + 10 + 6 = 79.6 → B
    # completion = 825,000 / (500,000 × 1.1) = 1.5; four incidents → performance pay forfeited
    slip = load_ruleset(BANK).evaluate(
        {
            "employee": "K1",
            "period": "2024-05",
            "rank": 8,
            "scores": {
                "business": 82,
                "forecast": 80,
                "customers": 85,
                "service": 70,
                "compliance": 100,
                "records": 60,
            },
            "deposit_growth": "825000",
            "branch_deposit_target": "500000",
            "gifts_not_handed_in": 3,
            "violations": 1,
        }
    )
    assert slip.facts["score"] == Decimal("79.6")
    assert slip.facts["grade"] == "B"
    assert slip.facts["completion"] == Decimal("1.5")
    # performance = 3,000 × 1.0 × 1.5 = 4,500.00, forfeited in full
    assert slip.total("performance_pay") == Decimal("4500.00")
    assert slip.total("dismissal") == Decimal("-4500.00")
    # earnings: base 2,200 + 400 × 2 = 3,000; transport 700; communication 100 + 50 × 2 = 200; meal 300;
    # performance 4,500 → 8,700; deductions 20.5% × 3,000 = 615 plus the 4,500 forfeiture = 5,115
    assert slip.net == Decimal("3585.00")
    assert {n.code for n in slip.notices} == {"grade", "dismissal"}
