"""Balances: values an employee carries from period to period, read as their value before the period.

Without a ledger a payroll script keeps its own state: each month's ``after`` values are the
next month's input fields of the same names (the chains below do exactly that).
"""

from __future__ import annotations

import json
import pickle
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

import cmrules
from cmrules import BalanceChange, BalanceSpec
from cmrules.slip import SlipJSON
from cmrules.testing import inputs
from cmrules.testing._cases import compare, run_case_file

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "balances"
D = Decimal


def load(name: str) -> cmrules.Ruleset:
    return cmrules.load_ruleset(FIXTURES / f"{name}.yaml")


def chain(ruleset: cmrules.Ruleset, months: list[dict[str, Any]]) -> list[cmrules.PaySlip]:
    """Each month evaluated with the balances after the month before (the first month: none given)."""
    slips: list[cmrules.PaySlip] = []
    state: dict[str, Any] = {}
    for record in months:
        slip = ruleset.evaluate({**record, **state})
        slips.append(slip)
        state = {name: change.after for name, change in slip.balances.items()}
    return slips


# -- what a version and a slip say ---------------------------------------------------------------


def test_version_balances_the_builtin_first_then_the_declared_in_file_order() -> None:
    version = load("ytd_tax").latest
    assert version.balances == (
        BalanceSpec("carried_deductions", "money", None, D("0")),
        BalanceSpec("ytd_taxable", "money", (1, 1), None),
        BalanceSpec("ytd_tax", "money", (1, 1), None),
    )
    assert load("months_employed").latest.balances[1] == BalanceSpec("months_employed", "int", (1, 1), 0)
    shipped = cmrules.load_ruleset(ROOT / "rulesets" / "bar_customer_manager.yaml").latest
    assert shipped.balances == (BalanceSpec("carried_deductions", "money", None, D("0")),)


def test_a_year_to_date_balance_over_three_months_fed_back_by_the_script() -> None:
    months = [{"employee": "E1", "period": f"2026-0{m}", "wage": "20000.00"} for m in (1, 2, 3)]
    months[0] |= {"ytd_taxable": "0", "ytd_tax": "0"}  # the first month of the year: said, not assumed
    slips = chain(load("ytd_tax"), months)
    assert [s.total("income_tax") for s in slips] == [D("-450.00"), D("-450.00"), D("-1080.00")]
    assert [s.net for s in slips] == [D("19550.00"), D("19550.00"), D("18920.00")]
    assert [s.balances["ytd_taxable"] for s in slips] == [
        BalanceChange(D("0.00"), D("15000.00")),
        BalanceChange(D("15000.00"), D("30000.00")),
        BalanceChange(D("30000.00"), D("45000.00")),
    ]
    assert [s.balances["ytd_tax"].after for s in slips] == [D("450.00"), D("900.00"), D("1980.00")]
    # the built-in balance: before = carried_deductions, after = carry_forward
    assert slips[2].balances["carried_deductions"] == BalanceChange(D("0.00"), D("0.00"))


def test_the_json_slip_lists_the_declared_balances_only() -> None:
    record = {
        "employee": "E1",
        "period": "2026-03",
        "wage": "20000.00",
        "ytd_taxable": "30000",
        "ytd_tax": "900",
    }
    data = json.loads(load("ytd_tax").evaluate(record).to_json())
    assert data["balances"] == {
        "ytd_taxable": {"before": "30000.00", "after": "45000.00"},
        "ytd_tax": {"before": "900.00", "after": "1980.00"},
    }
    months = load("months_employed").evaluate({"employee": "S", "period": "2026-05", "salary": "1.00"})
    assert json.loads(months.to_json())["balances"] == {"months_employed": {"before": "0", "after": "1"}}


def test_a_ruleset_without_balances_has_no_balances_key_and_the_builtin_one_on_the_slip() -> None:
    bar = cmrules.load_ruleset(ROOT / "rulesets" / "bar_customer_manager.yaml")
    record = json.loads((ROOT / "examples" / "bar_month.json").read_text(encoding="utf-8"))[0]
    slip = bar.evaluate({**record, "carried_deductions": "99999.00"})
    assert "balances" not in slip.to_dict()
    assert slip.balances == {"carried_deductions": BalanceChange(D("99999.00"), slip.carry_forward)}
    assert slip.carry_forward > 0  # set: carry_forward, as the built-in rule always did


def test_an_amount_reading_a_balance_names_the_period_it_is_before() -> None:
    record = {
        "employee": "E1",
        "period": "2026-03",
        "wage": "20000.00",
        "ytd_taxable": "30000",
        "ytd_tax": "900",
    }
    slip = load("ytd_tax").evaluate(record)
    assert slip.line("income_tax")[0].explanation == (
        "1,980.00 − 900.00 = 1,080.00; ytd_tax (before 2026-03) = 900.00"
    )
    assert (
        slip.line("wage")[0].explanation == "20,000.00 (wage)"
    )  # reads no balance: where the amount comes from


def test_set_replaces_and_add_accumulates() -> None:
    claw = load("clawback").evaluate(
        {"employee": "S", "period": "2026-04", "commission": "10000", "clawback": "500.00"}
        | {"clawback_owed": "333.33", "clawback_months_left": 1}
    )
    assert claw.balances["clawback_owed"] == BalanceChange(D("333.33"), D("555.55"))  # set: owed − repaid
    assert claw.balances["clawback_months_left"] == BalanceChange(1, 2)  # set: 3 − 1, an int
    draw = load("draw").evaluate(
        {"employee": "S", "period": "2026-01", "commission": "5000", "draw_owed": "100"}
    )
    assert draw.balances["draw_owed"] == BalanceChange(D("100.00"), D("3100.00"))  # add: + top-up


def test_initial_is_the_default_of_the_balance_input() -> None:
    slip = load("draw").evaluate({"employee": "S", "period": "2026-01", "commission": "9000"})
    assert slip.balances["draw_owed"] == BalanceChange(D("0.00"), D("0.00"))


def test_a_required_balance_missing_is_an_input_error_naming_employee_and_field() -> None:
    with pytest.raises(cmrules.InputError) as caught:
        load("ytd_tax").evaluate({"employee": "E7", "period": "2026-02", "wage": "20000", "ytd_tax": "0"})
    assert [(p.employee, p.field, p.code) for p in caught.value.problems] == [
        ("E7", "ytd_taxable", "input.missing")
    ]


def test_a_balance_given_with_the_wrong_type_is_refused() -> None:
    with pytest.raises(cmrules.InputError) as caught:
        load("months_employed").evaluate(
            {"employee": "E", "period": "2026-02", "salary": "1", "months_employed": "1.5"}
        )
    assert caught.value.problems[0].field == "months_employed"


def test_a_balance_expression_that_fails_names_the_balance() -> None:
    text = (FIXTURES / "draw.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "add: lines.draw_topup - lines.draw_recovery", "add: draw / (commission - commission)"
    )
    with pytest.raises(cmrules.EvaluationError) as caught:
        cmrules.loads_ruleset(text).evaluate({"employee": "S", "period": "2026-01", "commission": "5"})
    assert caught.value.rule_id == "balances.draw_owed"
    assert "division by zero" in str(caught.value)


def test_a_balance_may_read_the_slip_totals_and_other_balances() -> None:
    text = _ruleset(
        "  paid_to_date:\n    initial: 0\n    add: net\n"
        "  owed:\n    initial: 0\n    set: carry_forward + paid_to_date * 0\n"
        "  seen:\n    type: decimal\n    initial: 0\n    add: earnings - deductions\n"
    )
    slip = cmrules.loads_ruleset(text).evaluate(
        {"employee": "E", "period": "2026-01", "wage": "100", "fine": "30"}
    )
    assert {k: (c.before, c.after) for k, c in slip.balances.items()} == {
        "carried_deductions": (D("0.00"), D("0.00")),
        "paid_to_date": (D("0.00"), D("70.00")),
        "owed": (D("0.00"), D("0.00")),
        "seen": (D("0"), D("70.00")),
    }
    owing = cmrules.loads_ruleset(text).evaluate(
        {"employee": "E", "period": "2026-01", "wage": "10", "fine": "30"}
    )
    assert owing.balances["owed"].after == owing.carry_forward == D("20.00")


def test_money_balances_are_rounded_by_the_rulesets_rounding() -> None:
    text = _ruleset("  third:\n    initial: 0\n    add: wage / 3\n")
    slip = cmrules.loads_ruleset(text).evaluate(
        {"employee": "E", "period": "2026-01", "wage": "100", "fine": "0"}
    )
    assert slip.balances["third"].after == D("33.33")


def test_slips_with_balances_pickle_and_the_durable_engine_agrees() -> None:
    record = {"employee": "S", "period": "2026-03", "commission": "12000.00", "draw_owed": "8000.00"}
    slip = load("draw").evaluate(record)
    again = pickle.loads(pickle.dumps(slip))
    assert again.to_json() == slip.to_json()
    assert again.balances == slip.balances
    pytest.importorskip("durable")
    for name, rec in [
        ("draw", record),
        (
            "ytd_tax",
            {"employee": "E", "period": "2026-03", "wage": "20000", "ytd_taxable": "3", "ytd_tax": "9"},
        ),
    ]:
        ruleset = load(name)
        native, durable = ruleset.evaluate(rec), ruleset.evaluate(rec, engine="durable")
        assert native.to_json() == durable.to_json()
        assert native.balances == durable.balances


# -- YAML cases --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ytd_tax", "draw", "clawback", "months_employed"])
def test_the_example_cases_pass(name: str) -> None:
    results = run_case_file(FIXTURES / f"{name}.tests.yaml")
    assert results and all(r.passed for r in results), [r.differences for r in results if not r.passed]


def test_a_case_expecting_other_balances_says_what_differs() -> None:
    slip = load("draw").evaluate({"employee": "S", "period": "2026-01", "commission": "5000"})
    assert compare(slip, {"balances": {"draw_owed": {"before": "1.00", "after": "3000.00"}}}) == [
        "balances.draw_owed.before: expected 1.00, got 0.00"
    ]
    assert compare(slip, {"balances_after": {"draw_owed": "2"}}) == [
        "balances.draw_owed.after: expected 2, got 3000.00"
    ]
    assert compare(slip, {"balances_after": {"owed": "2"}}) == [
        "balances.owed: the ruleset has no such balance (it has carried_deductions, draw_owed)"
    ]
    assert compare(slip, {"balances": {"draw_owed": "3000.00"}}) == [
        "balances.draw_owed: expected a mapping of 'before' and/or 'after', got '3000.00'"
    ]


def test_generated_inputs_give_the_required_balances() -> None:
    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    @given(inputs(load("ytd_tax")))
    def run(record: dict[str, Any]) -> None:
        assert {"ytd_taxable", "ytd_tax"} <= set(record)
        load("ytd_tax").evaluate(record)

    run()


# -- property ----------------------------------------------------------------------------------

_money = st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(wage=_money.filter(lambda x: x >= 0), before=_money, tax=_money)
def test_an_add_balance_moves_by_its_add_expression(wage: Decimal, before: Decimal, tax: Decimal) -> None:
    ruleset = _YTD
    slip = ruleset.evaluate(
        {"employee": "E", "period": "2026-05", "wage": wage, "ytd_taxable": before, "ytd_tax": tax}
    )
    change = slip.balances["ytd_taxable"]
    assert change.after - change.before == wage - D("5000.00")  # add: wage - monthly_allowance
    withheld = slip.balances["ytd_tax"]
    assert withheld.after - withheld.before == -slip.total("income_tax")  # add: lines.income_tax


_YTD = load("ytd_tax")


# -- load errors, each located -----------------------------------------------------------------

_HEAD = """cmrules: 1
id: t
version: "1"
title: {zh: t, en: t}
effective_from: 2026-01-01
parameters:
  rate: {type: rate, value: 3%}
inputs:
  wage: {type: money}
  fine: {type: money, default: 0}
facts:
  doubled: {type: money, expr: wage * 2}
rules:
  - id: pay
    label: {zh: p, en: p}
    line: {category: earning, amount: wage}
  - id: fined
    label: {zh: f, en: f}
    line: {category: fine, amount: fine}
balances:
"""
_FIRST = _HEAD.count("\n") + 1  # the line of the first balance


def _ruleset(body: str) -> str:
    return _HEAD + body


@pytest.mark.parametrize(
    ("body", "code", "line", "column", "words"),
    [
        ("  b:\n    add: wage\n    set: wage\n", "schema.value", 1, 5, "exactly one of 'add'"),
        ("  b:\n    type: money\n", "schema.value", 1, 5, "exactly one of 'add'"),
        ("  b:\n    type: mony\n    add: wage\n", "schema.value", 1, 11, "did you mean 'money'"),
        ("  b:\n    resets: '13-01'\n    add: wage\n", "schema.value", 1, 13, "'13-01' is not a day"),
        ("  b:\n    resets: '04-31'\n    add: wage\n", "schema.value", 1, 13, "'04-31' is not a day"),
        ("  b:\n    resets: '02-29'\n    add: wage\n", "schema.value", 1, 13, "not a day of every year"),
        ("  b:\n    resets: monthly\n    add: wage\n", "schema.value", 1, 13, "'never', 'yearly'"),
        ("  b:\n    resets: 2026-04-01\n    add: wage\n", "schema.value", 1, 13, "'never', 'yearly'"),
        ("  wage:\n    add: 1\n", "schema.duplicate_name", 0, 3, "'wage' is already declared as inputs"),
        ("  rate:\n    add: 1\n", "schema.duplicate_name", 0, 3, "already declared as parameters"),
        ("  doubled:\n    add: 1\n", "schema.duplicate_name", 0, 3, "already declared as facts"),
        ("  carried_deductions:\n    set: carry_forward\n", "schema.duplicate_name", 0, 3, "as inputs"),
        ("  _b:\n    add: wage\n", "schema.name", 0, 3, "not a usable name"),
        ("  b:\n    type: int\n    initial: 1.5\n    add: 1\n", "schema.value", 2, 14, "a whole number"),
        ("  b:\n    initial: abc\n    add: wage\n", "schema.value", 1, 14, "is a number"),
        ("  b:\n    initial: 1.234\n    add: wage\n", "param.value", 1, 14, "more decimal places"),
        ("  b:\n    add: \"'x'\"\n", "expr.type", 1, 10, "balance 'b' is money: its 'add' gives str"),
        (
            "  b:\n    type: int\n    add: wage\n",
            "expr.type",
            2,
            10,
            "balance 'b' is int: its 'add' gives money",
        ),
        ('  b:\n    set: "wage if wage > 0 else None"\n', "expr.type", 1, 10, "gives money or None"),
        ("  b:\n    add: wages\n", "expr.unknown_name", 1, 10, "did you mean 'wage'"),
        ("  b:\n    add: wage\n    reset: yearly\n", "schema.unknown_key", 2, 5, "did you mean 'resets'"),
    ],
)
def test_every_load_error_is_located(body: str, code: str, line: int, column: int, words: str) -> None:
    with pytest.raises(cmrules.RulesetError) as caught:
        cmrules.loads_ruleset(_ruleset(body), "t.yaml")
    found = [(e.code, e.line - _FIRST, e.column) for e in caught.value.errors]
    assert (code, line, column) in found, caught.value
    assert any(words in e.message for e in caught.value.errors), caught.value


def test_a_broken_balance_does_not_hide_the_others_or_report_its_readers() -> None:
    body = "  b:\n    add: wage\n    set: wage\n  c:\n    add: wages\n"
    text = _ruleset(body).replace("amount: wage}", "amount: wage + b * 0}", 1)
    with pytest.raises(cmrules.RulesetError) as caught:
        cmrules.loads_ruleset(text, "t.yaml")
    assert sorted(e.code for e in caught.value.errors) == ["expr.unknown_name", "schema.value"]


def test_a_slip_with_balances_fits_the_json_types_and_the_shipped_schema() -> None:
    record = {"employee": "S", "period": "2026-03", "commission": "1", "clawback_months_left": 2}
    data = json.loads(load("clawback").evaluate(record | {"clawback_owed": "3.00"}).to_json())
    assert data["balances"]["clawback_months_left"] == {"before": "2", "after": "1"}
    assert TypeAdapter(SlipJSON).validate_python(data, strict=True) == data
    wrong = data | {"balances": {"clawback_owed": {"before": "3.00", "after": 1}}}
    with pytest.raises(ValueError):
        TypeAdapter(SlipJSON).validate_python(wrong, strict=True)
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "src" / "cmrules" / "payslip.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    assert [e.message for e in validator.iter_errors(data)] == []
    assert list(validator.iter_errors(wrong))


def test_a_balance_reading_a_fact_no_rule_set_stays_as_it_was() -> None:
    text = _ruleset("  best:\n    initial: 5\n    set: top\n").replace(
        "facts:\n", "facts:\n  top: {type: money, combine: max}\n"
    )
    slip = cmrules.loads_ruleset(text).evaluate({"employee": "E", "period": "2026-01", "wage": "1"})
    assert "top" not in slip.facts
    assert slip.balances["best"] == BalanceChange(D("5.00"), D("5.00"))
