"""A cap that carries its excess forward keeps doing so when the ruleset also declares balances.

Before: the slip looked for its cap as the last plan node, but balances run after the caps, so
``carry_forward`` lost the deferred amount (paid, never collected); and a balance reading the slip's
``deductions`` or ``carry_forward`` saw them before the cap gave anything back.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import cmrules

TEXT = """\
cmrules: 1
id: capped_with_balances
version: "2024-01"
title: {zh: 测试, en: Test}
effective_from: 2024-01-01
inputs:
  fees: {type: money, ge: 0}
  fine: {type: money, ge: 0, default: 0}
BALANCES
rules:
  - id: fee
    label: {zh: 配送费, en: Fees}
    line: {category: earning, amount: fees}
  - id: penalty
    label: {zh: 罚款, en: Fine}
    when: fine > 0
    line: {category: fine, amount: fine}
caps:
  - id: cap
    label: {zh: 上限, en: Cap}
    limits: {categories: [fine]}
    limit: 20% * fees
    excess: EXCESS
"""
BALANCES = """\
balances:
  owed: {initial: 0, set: carry_forward}
  taken: {initial: 0, add: deductions}
  paid: {initial: 0, add: net}
"""


def _slip(balances: str, excess: str) -> cmrules.PaySlip:
    ruleset = cmrules.loads_ruleset(TEXT.replace("BALANCES\n", balances).replace("EXCESS", excess))
    return ruleset.evaluate({"employee": "E1", "period": "2024-11", "fees": "1000.00", "fine": "500.00"})


@pytest.mark.parametrize("balances", ["", BALANCES])
def test_the_deferred_excess_is_carried_forward(balances: str) -> None:
    slip = _slip(balances, "carry_forward")
    assert [(line.rule_id, str(line.amount)) for line in slip.lines][-1] == ("cap", "300.00")
    totals = (slip.deductions, slip.net, slip.carry_forward)
    assert totals == (Decimal("200.00"), Decimal("800.00"), Decimal("300.00"))
    assert slip.balances["carried_deductions"].after == Decimal("300.00")


@pytest.mark.parametrize("excess", ["carry_forward", "waive"])
def test_balances_read_the_totals_after_the_cap(excess: str) -> None:
    slip = _slip(BALANCES, excess)
    after = {name: str(change.after) for name, change in slip.balances.items()}
    carried = "300.00" if excess == "carry_forward" else "0.00"
    assert after == {"carried_deductions": carried, "owed": carried, "taken": "200.00", "paid": "800.00"}
