"""Input validation at its edges: sizes of numbers, signed zeros, ids and map order.

Each case goes through ``Ruleset.evaluate`` (the generated checkers first, the
pydantic reference where they give up), so both paths are held to one answer.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import cmrules

RULESET = cmrules.loads_ruleset(
    """id: edges
version: "1"
title: {zh: 边界, en: Edges}
effective_from: 2024-01-01
inputs:
  m: {type: money, default: 0}
  d: {type: decimal, default: 0}
  n: {type: int, default: 0}
  points: {type: map, values: {type: int}}
facts:
  wage: {type: money, expr: m}
rules:
  - id: pay
    label: {zh: 工资, en: Pay}
    line: {category: earning, amount: m}
  - id: per_key
    label: {zh: 每项, en: Per key}
    for_each: "v in values(points)"
    line: {category: earning, amount: v}
""",
    "edges.yaml",
)


def evaluate(**inputs: Any) -> cmrules.PaySlip:
    return RULESET.evaluate({"employee": "E1", "period": "2024-05", **inputs})


def problem(**inputs: Any) -> cmrules.errors.InputProblem:
    with pytest.raises(cmrules.InputError) as caught:
        evaluate(**inputs)
    (found,) = caught.value.problems
    return found


@pytest.mark.parametrize("given", ["1000000000000000.00", Decimal("1000000000000000.00"), 10**15, "-1E15"])
def test_money_of_sixteen_digits_is_refused(given: Any) -> None:
    found = problem(m=given)
    assert (found.employee, found.field, found.code) == ("E1", "m", "input.constraint")
    assert "at most 15 digits" in found.message


def test_money_of_fifteen_digits_is_paid_exactly() -> None:
    slip = evaluate(m="999999999999999.99")
    assert slip.net == Decimal("999999999999999.99")
    assert slip.facts["wage"] == Decimal("999999999999999.99")


@pytest.mark.parametrize(
    ("given", "ok"), [("0.000000000000001", True), ("1E-16", False), ("1E-999999", False)]
)
def test_decimals_have_at_most_fifteen_places(given: str, ok: bool) -> None:
    if ok:
        assert evaluate(d=given).run_state.data["d"] == Decimal("1E-15")
    else:
        assert "more than 15 decimal places" in problem(d=given).message


def test_an_int_past_the_limit_is_refused_and_reported_without_printing_it() -> None:
    assert problem(n=10**15).code == "input.constraint"
    huge = problem(n=10**5000)
    assert huge.value == "<an integer of about 5000 digits>"  # 16,610 bits × log10(2)
    assert "n" in str(cmrules.InputError([huge]))


@pytest.mark.parametrize("given", ["-0", "-0.00", Decimal("-0.00"), Decimal("-0")])
def test_a_negative_zero_is_paid_as_zero(given: Any) -> None:
    slip = evaluate(m=given)
    assert [str(line.amount) for line in slip.line("pay")] == ["0.00"]
    assert str(slip.facts["wage"]) == "0.00"
    assert b'"-0' not in slip.to_json()


@pytest.mark.parametrize("blank", ["", "  ", "\t"])
def test_an_empty_employee_id_is_refused(blank: str) -> None:
    found = problem(employee=blank)  # a blank id is a missing one, as the file readers say
    assert (found.field, found.code) == ("employee", "input.missing")
    assert found.message == "the employee id is blank"


@pytest.mark.parametrize(
    ("pasted", "name", "at"),
    [
        ("B001\u200b", "ZERO WIDTH SPACE", 5),
        ("\ufeffB001", "ZERO WIDTH NO-BREAK SPACE", 1),
        ("B0\x0701", "U+0007", 3),
    ],
)
def test_an_employee_id_with_a_character_that_does_not_show_is_refused(
    pasted: str, name: str, at: int
) -> None:
    # B001 with a zero-width space looks like B001 but is another key: paid beside B001
    found = problem(employee=pasted)
    assert (found.field, found.code, found.value) == ("employee", "input.type", pasted)
    assert found.message == f"the employee id has a character that does not show ({name}, at {at}): retype it"


def test_a_pasted_twin_of_an_employee_is_not_paid_beside_them() -> None:
    slips, failures = cmrules.load_ruleset("bar_customer_manager").evaluate_many(
        [{"employee": e, "period": "2024-05"} for e in ("B001", "B001\u200b", "B 002")]
    )
    assert [slip.employee for slip in slips] == ["B001", "B 002"]
    assert [failure.employee for failure in failures] == ["B001\u200b"]


def test_a_map_gives_the_same_slip_whatever_the_order_of_its_keys() -> None:
    forward = evaluate(points={"a": 1, "b": 2, "c": 3})
    backward = evaluate(points={"c": 3, "b": 2, "a": 1})
    assert forward.to_json() == backward.to_json()
    assert [line.item for line in forward.line("per_key")] == [1, 2, 3]  # in key order: a, b, c
