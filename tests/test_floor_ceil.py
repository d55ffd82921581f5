"""floor, ceil and trunc: to whole numbers or to given places, toward −∞, +∞ and zero, negatives
included; their types, explanations and refusals; properties over random decimals."""

from __future__ import annotations

import json
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cmrules

HEAD = 'id: fc\nversion: "1"\ntitle: {zh: 取整, en: Floor}\neffective_from: 2024-01-01\n'
INPUTS = (
    "inputs:\n  x: {type: decimal, default: 0}\n  m: {type: money, default: 0}\n"
    "  n: {type: int, default: 0}\n"
)


@cache
def fact(expr: str, typ: str = "decimal") -> cmrules.Ruleset:
    return cmrules.loads_ruleset(
        HEAD + INPUTS + f"facts:\n  out: {{type: {typ}, expr: {json.dumps(expr)}}}\n"
    )


def value(expr: str, typ: str = "decimal", **inputs: Any) -> Any:
    slip = fact(expr, typ).evaluate({"employee": "E1", "period": "2024-05", **inputs})
    return slip.facts["out"]


@pytest.mark.parametrize(
    ("expr", "x", "expected"),
    [
        ("floor(x)", "2.7", "2"),
        ("floor(x)", "-2.3", "-3"),  # toward −∞: below a negative number
        ("ceil(x)", "2.1", "3"),
        ("ceil(x)", "-2.7", "-2"),  # toward +∞: above a negative number
        ("trunc(x)", "2.7", "2"),
        ("trunc(x)", "-2.7", "-2"),  # toward zero
        ("floor(x, 2)", "1.239", "1.23"),
        ("ceil(x, 2)", "1.231", "1.24"),
        ("trunc(x, 1)", "-1.29", "-1.2"),
        ("floor(x, 1)", "-1.21", "-1.3"),
        ("floor(x)", "4", "4"),
        ("ceil(x - 3)", "4.5", "2"),
        ("ceil(x)", "-0.5", "0"),
        ("trunc(x, 1)", "-0.05", "0.0"),
    ],
)
def test_directed_rounding(expr: str, x: str, expected: str) -> None:
    got = value(expr, x=x)
    assert got == Decimal(expected) and str(got) == expected  # zero is never -0


def test_types_follow_the_argument() -> None:
    # money stays money (a line amount), a whole number is already whole
    assert value("floor(m)", "money", m="12.99") == Decimal("12.00")
    assert value("floor(n)", "int", n=7) == 7
    assert value("floor(n, 2)", "int", n=-7) == -7
    # the delivery fee: 1.00 per whole km over 3
    assert value("1.00 * floor(x - 3)", "money", x="7.9") == Decimal("4.00")


def test_explanation_shows_the_call() -> None:
    ruleset = cmrules.loads_ruleset(
        HEAD
        + INPUTS
        + "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n"
        + "    line: {category: earning, amount: '1.00 * floor(x - 3) + ceil(m, 1)'}\n"
    )
    slip = ruleset.evaluate({"employee": "E1", "period": "2024-05", "x": "7.9", "m": "0.21"})
    (line,) = slip.lines
    assert line.amount == Decimal("4.30")
    assert line.explanation == "1.00 × floor(7.9 − 3) + ceil(0.21, 1) = 4.30"


@pytest.mark.parametrize(
    ("expr", "code", "message"),
    [
        ("floor(x, 9)", "expr.type", "floor()'s places must be a whole number 0–8"),
        ("ceil(x, n)", "expr.type", "ceil()'s places must be a whole number 0–8"),
        ("trunc('a')", "expr.type", "trunc() needs a number, got str"),
        ("floor()", "expr.arity", "floor() takes 1 to 2 argument(s), got 0"),
        ("floor(x, 1, 2)", "expr.arity", "floor() takes 1 to 2 argument(s), got 3"),
    ],
)
def test_refusals_are_located(expr: str, code: str, message: str) -> None:
    with pytest.raises(cmrules.RulesetError) as caught:
        fact(expr)
    (issue,) = caught.value.errors
    assert (issue.code, issue.message, issue.line) == (code, message, 10)


DECIMALS = st.decimals(min_value=-(10**6), max_value=10**6, allow_nan=False, places=4)


@settings(max_examples=60, deadline=None, database=None)
@given(x=DECIMALS, places=st.integers(0, 3))
def test_floor_below_ceil_above_trunc_toward_zero(x: Decimal, places: int) -> None:
    from cmrules.compile._calendar import helpers

    fns = helpers()
    low, high, cut = (fns[f"_{n}"](x, places) for n in ("floor", "ceil", "trunc"))  # type: ignore[operator]
    assert low <= x <= high
    assert high - low <= Decimal(1).scaleb(-places)
    assert abs(cut) <= abs(x) and cut == (low if x >= 0 else high)
    quantum = Decimal(1).scaleb(-places)
    assert (low, high, cut) == tuple(x.quantize(quantum, m) for m in (ROUND_FLOOR, ROUND_CEILING, ROUND_DOWN))


@pytest.mark.slow
def test_generated_program_agrees_with_the_helpers() -> None:
    for x in ("-2.55", "0", "2.55", "-0.001", "123456.789"):
        d = Decimal(x)
        assert value("floor(x, 2)", x=x) == d.quantize(Decimal("0.01"), ROUND_FLOOR)
        assert value("ceil(x, 2)", x=x) == d.quantize(Decimal("0.01"), ROUND_CEILING)
        assert value("trunc(x, 2)", x=x) == d.quantize(Decimal("0.01"), ROUND_DOWN)
