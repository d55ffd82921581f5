"""Tiers over any quantity: brackets paying a rate, an amount per unit or a fixed amount,
marginal and retroactive; located refusals; monotonic over random quantities."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cmrules
from cmrules.compile._tables import TierFn

HEAD = 'id: tq\nversion: "1"\ntitle: {zh: 阶梯, en: Tiers}\neffective_from: 2024-01-01\n'
INPUTS = (
    "inputs:\n  n: {type: int, ge: 0, default: 0}\n  score: {type: decimal, default: 0}\n"
    "  sales: {type: money, default: 0}\n"
)


@cache
def tier(mode: str, brackets: str, arg: str = "n") -> cmrules.Ruleset:
    body = (
        INPUTS
        + f"tiers:\n  t:\n    mode: {mode}\n    brackets: {brackets}\n"
        + "rules:\n  - id: pay\n    label: {zh: 奖励, en: Bonus}\n"
        + f"    line: {{category: earning, amount: 't({arg})'}}\n"
    )
    return cmrules.loads_ruleset(HEAD + body, "tiers.yaml")


def pay(ruleset: cmrules.Ruleset, **inputs: object) -> tuple[Decimal, str]:
    slip = ruleset.evaluate({"employee": "E1", "period": "2024-05", **inputs})
    (line,) = slip.lines
    return line.amount, line.explanation


PER_ORDER = (
    "[{from: 0, amount_per_unit: 0}, {from: 600, amount_per_unit: 0.50}, {from: 900, amount_per_unit: 1.00}]"
)
FIXED = "[{from: 80, amount: 100}, {from: 90, amount: 200}]"


def test_retroactive_amount_per_unit_over_an_order_count() -> None:
    ruleset = tier("retroactive", PER_ORDER)
    assert pay(ruleset, n=599) == (Decimal("0.00"), "0 = 0.00")
    assert pay(ruleset, n=600) == (Decimal("300.00"), "0.50 × 600 = 300.00")  # every order at 0.50
    assert pay(ruleset, n=950) == (Decimal("950.00"), "1.00 × 950 = 950.00")  # only the higher applies


def test_marginal_amount_per_unit() -> None:
    ruleset = tier("marginal", PER_ORDER)
    # 0.50 × 300 orders from 600 to 900, 1.00 × 50 above
    assert pay(ruleset, n=950) == (Decimal("200.00"), "0.50 × (900 − 600) + 1.00 × (950 − 900) = 200.00")


def test_fixed_amounts_over_a_score() -> None:
    marginal, retroactive = tier("marginal", FIXED, "score"), tier("retroactive", FIXED, "score")
    assert pay(marginal, score="79.9")[0] == Decimal("0.00")
    assert pay(marginal, score="80") == (
        Decimal("100.00"),
        "100.00 (from 80) = 100.00",
    )  # reached at its from
    assert pay(marginal, score="95") == (Decimal("300.00"), "100.00 (from 80) + 200.00 (from 90) = 300.00")
    assert pay(retroactive, score="95") == (Decimal("200.00"), "200.00 (from 90) = 200.00")


def test_rates_over_money_still_show_percentages() -> None:
    ruleset = tier("marginal", "[{from: 0, rate: 0%}, {from: 40000, rate: 3%}]", "sales")
    assert pay(ruleset, sales="50000") == (Decimal("300.00"), "3% × (50,000.00 − 40,000) = 300.00")


@pytest.mark.parametrize(
    ("brackets", "arg", "code", "message", "line"),
    [
        (
            "[{from: 0, rate: 1%, amount: 5}]",
            "n",
            "schema.value",
            "tiers.t.brackets.0: Value error, a bracket gives exactly one of 'rate', 'amount_per_unit' or "
            "'amount' (it gives rate and amount)",
            12,
        ),
        (
            "[{from: 0}]",
            "n",
            "schema.value",
            "tiers.t.brackets.0: Value error, a bracket gives exactly one of 'rate', 'amount_per_unit' or "
            "'amount'",
            12,
        ),
        (
            "[{from: 0, rate: 1%}, {from: 10, amount: 5}]",
            "n",
            "schema.value",
            "bracket 2 gives 'amount' but bracket 1 gives 'rate': every bracket of a tier pays the same "
            "kind (a rate, an amount_per_unit or an amount)",
            12,
        ),
        (
            "[{from: 10, amount: 5}, {from: 10, amount: 6}]",
            "n",
            "tier.order",
            "brackets must start at strictly ascending 'from' values",
            12,
        ),
        (
            "[{from: 0, amount_per_unit: 1}]",
            "sales",
            "expr.type",
            "tier t pays an amount per unit: give it a count or a number of units (int or decimal), not "
            "money (a share of money is a 'rate' tier)",
            16,
        ),
        (
            "[{from: 0, amount: 1.005}]",
            "n",
            "param.value",
            "1.005 has more decimal places than the ruleset's 2",
            12,
        ),
    ],
)
def test_refusals_are_located(brackets: str, arg: str, code: str, message: str, line: int) -> None:
    with pytest.raises(cmrules.RulesetError) as caught:
        tier("marginal", brackets, arg)
    (issue,) = caught.value.errors
    assert (issue.code, issue.message, issue.line) == (code, message, line)


QUANTITY = st.decimals(min_value=0, max_value=10**5, allow_nan=False, places=2)
VALUES = st.lists(st.decimals(min_value=0, max_value=100, places=2), min_size=1, max_size=4)


@settings(max_examples=80, deadline=None, database=None)
@given(
    a=QUANTITY,
    b=QUANTITY,
    values=VALUES,
    mode=st.sampled_from(["marginal", "retroactive"]),
    kind=st.sampled_from(["rate", "amount_per_unit", "amount"]),
)
def test_tiers_grow_with_the_quantity(
    a: Decimal, b: Decimal, values: list[Decimal], mode: str, kind: str
) -> None:
    """With rates and amounts >= 0 rising bracket to bracket (retroactive) or any >= 0 (marginal),
    more of the quantity never pays less."""
    if mode == "retroactive":
        values = sorted(values)  # a retroactive scale falls at a bracket whose rate is lower
    starts = [Decimal(100 * i) for i in range(len(values))]
    fn = TierFn(mode, list(zip(starts, values, strict=True)), kind)
    low, high = sorted((a, b))
    assert Decimal(0) <= fn(low) <= fn(high)
