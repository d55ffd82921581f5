"""Properties of evaluated bar slips over random employee-months (hypothesis).

The strategy below favours the policy's boundaries (registration 9/10/11 minutes,
late and early 30/31, off post 20/21, absences around 3, leave 5/6, comps at
exactly 5%, performance at and around 40,000) as ``benchmarks/bar_cases.py`` does.
"""

from __future__ import annotations

import ast
import calendar
import datetime as dt
import decimal
import hashlib
import os
import random
import re
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import cmrules
from cmrules.inputs._fast import Slow
from cmrules.slip._lines import NEGATIVE

ROOT = Path(__file__).resolve().parent.parent
BAR = ROOT / "rulesets" / "bar_customer_manager.yaml"
RULESET = cmrules.load_ruleset(BAR)
CENT = Decimal("0.01")
SETTINGS = settings(max_examples=150, deadline=None)

# --- the strategy ----------------------------------------------------------------------

MINUTES_BEFORE = st.one_of(st.sampled_from([9, 10, 11]), st.integers(0, 240))


def money(lo: int, hi: int) -> st.SearchStrategy[Decimal]:
    """Amounts in [lo, hi] yuan with exactly 2 places."""
    return st.integers(lo * 100, hi * 100).map(lambda cents: Decimal(cents).scaleb(-2))


def minutes(boundary: tuple[int, int]) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from(boundary), st.integers(1, 120))


@st.composite
def comps(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        # a spend in multiples of 0.20, so 5% of it is whole cents: amounts at, and one
        # cent around, the allowance
        table_spend = Decimal(draw(st.integers(0, 40_000)) * 20).scaleb(-2)
        allowance = table_spend * Decimal("0.05")
        amount = allowance + draw(st.sampled_from([Decimal(0), CENT, -CENT]))
    else:
        table_spend = draw(money(0, 8000))
        amount = draw(money(0, 600))
    return {
        "table_spend": table_spend,
        "amount": max(amount, Decimal("0.00")).quantize(CENT),
        "item": draw(st.sampled_from(["snack", "fruit", "drink"])),
        "own_booking": draw(st.booleans()),
    }


@st.composite
def bar_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """One employee-month of the bar policy (every input of POLICIES.md section 1)."""
    year, month = draw(st.integers(2023, 2025)), draw(st.integers(1, 12))
    days = st.integers(1, calendar.monthrange(year, month)[1]).map(lambda d: dt.date(year, month, d))
    amounts = st.one_of(money(0, 20_000), st.sampled_from([Decimal("40000.00"), Decimal("40000.01")]))
    bookings = draw(
        st.lists(
            st.fixed_dictionaries(
                {"date": days, "amount": amounts, "registered_minutes_before": MINUTES_BEFORE}
            ),
            max_size=8,
        )
    )
    return {
        "employee": "B001",
        "period": f"{year:04d}-{month:02d}",
        "bookings": bookings,
        "outside_soliciting_dates": draw(st.lists(days, max_size=3, unique=True)),
        "late_arrivals": draw(st.lists(minutes((30, 31)), max_size=4)),
        "early_leaves": draw(st.lists(minutes((30, 31)), max_size=3)),
        "absent_days": draw(st.sampled_from([0, 0, 0, 1, 2, 3, 4])),
        "sick_days_without_proof": draw(st.sampled_from([0, 0, 1, 2])),
        "personal_leave_days": draw(st.sampled_from([0, 0, 1, 5, 6, 10])),
        "off_post_minutes": draw(st.lists(minutes((20, 21)), max_size=3)),
        "customer_stealing": draw(st.lists(money(0, 3000), max_size=2)),
        "solicited_tips": draw(st.lists(money(0, 500), max_size=2)),
        "comps": draw(st.lists(comps(), max_size=4)),
        "dismissed": draw(st.booleans().map(lambda b: b and draw(st.booleans()))),
        "deposit": draw(st.sampled_from([Decimal("0.00"), Decimal("1000.00")]) | money(0, 3000)),
        "carried_deductions": draw(st.sampled_from([Decimal("0.00")]) | money(0, 3000)),
    }


def rule_totals(slip: cmrules.PaySlip) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for line in slip.lines:
        out[line.rule_id] = out.get(line.rule_id, Decimal(0)) + line.amount
    return out


def outcome(slip: cmrules.PaySlip) -> tuple[Any, ...]:
    """What must not depend on the order of rules or of input items."""
    return (
        rule_totals(slip),
        slip.net,
        slip.carry_forward,
        slip.earnings,
        slip.deductions,
        slip.facts,
        sorted(n.code for n in slip.notices),
    )


# --- totals, signs and bounds ------------------------------------------------------------


@pytest.mark.slow
@SETTINGS
@given(bar_inputs())
def test_lines_sum_to_the_totals(inputs: dict[str, Any]) -> None:
    slip = RULESET.evaluate(inputs)
    signed = sum((line.amount for line in slip.lines), Decimal(0))
    assert slip.earnings == sum((x.amount for x in slip.lines if x.category == "earning"), Decimal(0))
    assert slip.deductions == -sum((x.amount for x in slip.lines if x.category in NEGATIVE), Decimal(0))
    assert slip.earnings - slip.deductions == signed
    assert slip.net - slip.carry_forward == signed
    assert slip.net >= 0 and slip.carry_forward >= 0
    assert not (slip.net > 0 and slip.carry_forward > 0)
    assert ("carry_forward" in [n.code for n in slip.notices]) == (slip.carry_forward > 0)


@pytest.mark.slow
@SETTINGS
@given(bar_inputs())
def test_amounts_have_exactly_two_places_and_base_stays_within_3000(inputs: dict[str, Any]) -> None:
    slip = RULESET.evaluate(inputs)
    for line in slip.lines:
        assert line.amount.as_tuple().exponent == -2, (line.rule_id, line.amount)
    for total in (slip.earnings, slip.deductions, slip.net, slip.carry_forward):
        assert total.as_tuple().exponent == -2
    (base,) = slip.line("base_pay")
    assert Decimal(0) <= base.amount <= Decimal("3000.00")
    if slip.facts["performance"] >= Decimal(40000):  # (below it, 39,999.94 also rounds to 3,000.00)
        assert base.amount == Decimal("3000.00")


@pytest.mark.slow
@SETTINGS
@given(bar_inputs(), money(0, 30_000), st.data())
def test_commission_is_monotone_in_counted_performance(
    inputs: dict[str, Any], more: Decimal, data: st.DataObject
) -> None:
    before = RULESET.evaluate(inputs)
    year, month = (int(x) for x in inputs["period"].split("-"))
    free = [
        day
        for d in range(1, calendar.monthrange(year, month)[1] + 1)
        if (day := dt.date(year, month, d)) not in inputs["outside_soliciting_dates"]
    ]
    extra = {"date": data.draw(st.sampled_from(free)), "amount": more, "registered_minutes_before": 10}
    after = RULESET.evaluate({**inputs, "bookings": [*inputs["bookings"], extra]})
    # the added booking is counted: performance grows by exactly its amount
    assert after.facts["performance"] == before.facts["performance"] + more
    if not before.facts["commission_forfeited"]:  # the booking changes no forfeiture condition
        assert not after.facts["commission_forfeited"]
        assert after.total("commission") >= before.total("commission")
        assert after.total("base_pay") >= before.total("base_pay")
        assert after.net - after.carry_forward >= before.net - before.carry_forward


def commission_on(performance: Decimal) -> Decimal:
    """The commission line of a month whose only booking counts ``performance`` (nothing forfeited)."""
    booking = {"date": dt.date(2024, 5, 3), "amount": performance, "registered_minutes_before": 10}
    return RULESET.evaluate({"employee": "B001", "period": "2024-05", "bookings": [booking]}).total(
        "commission"
    )


@pytest.mark.slow
@SETTINGS
@given(st.lists(money(0, 250_000), min_size=2, max_size=2).map(sorted))
def test_commission_is_monotone_and_exact_over_the_whole_range(performances: list[Decimal]) -> None:
    """Most bar months of the strategy above stay under the 40,000 target or forfeit the
    commission; here every month is clean, so the law is tested far above the target too."""
    low, high = (commission_on(p) for p in performances)
    assert low <= high
    # 3% of the excess, rounded half up to the cent: 52,000.00 → 3% × 12,000.00 = 360.00
    expected = (Decimal("0.03") * max(performances[1] - 40000, 0)).quantize(Decimal("0.01"), "ROUND_HALF_UP")
    assert high == expected


# --- order independence ------------------------------------------------------------------


def shuffle_rules(text: str, rng: random.Random) -> str:
    """``text`` with its ``rules:`` list in another order (the rest of the file untouched)."""
    root = yaml.compose(text)
    (node,) = [value for key, value in root.value if key.value == "rules"]
    rules = yaml.safe_load(text)["rules"]
    rng.shuffle(rules)
    block = yaml.safe_dump(rules, allow_unicode=True, sort_keys=False, width=10_000)
    return text[: node.start_mark.index] + "\n" + block + text[node.end_mark.index :]


def _reordered() -> list[cmrules.Ruleset]:
    text = BAR.read_text(encoding="utf-8")
    ids = [r["id"] for r in yaml.safe_load(text)["rules"]]
    out = []
    for seed in range(4):
        shuffled = shuffle_rules(text, random.Random(seed))
        assert [r["id"] for r in yaml.safe_load(shuffled)["rules"]] != ids  # really reordered
        out.append(cmrules.loads_ruleset(shuffled, f"shuffled-{seed}"))
    rules = yaml.safe_load(text)["rules"]
    root = yaml.compose(text)
    (node,) = [value for key, value in root.value if key.value == "rules"]
    reverse = yaml.safe_dump(rules[::-1], allow_unicode=True, sort_keys=False, width=10_000)
    text = text[: node.start_mark.index] + "\n" + reverse + text[node.end_mark.index :]
    out.append(cmrules.loads_ruleset(text, "reversed"))
    return out


REORDERED = _reordered()


@pytest.mark.slow
@SETTINGS
@given(bar_inputs())
def test_result_does_not_depend_on_the_order_of_rules_in_the_file(inputs: dict[str, Any]) -> None:
    expected = outcome(RULESET.evaluate(inputs))
    for ruleset in REORDERED:
        assert outcome(ruleset.evaluate(inputs)) == expected


LISTS = (
    "bookings",
    "outside_soliciting_dates",
    "late_arrivals",
    "early_leaves",
    "off_post_minutes",
    "customer_stealing",
    "solicited_tips",
    "comps",
)


@pytest.mark.slow
@SETTINGS
@given(bar_inputs(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_the_order_of_input_items(
    inputs: dict[str, Any], rng: random.Random
) -> None:
    shuffled = dict(inputs)
    for name in LISTS:
        shuffled[name] = rng.sample(inputs[name], len(inputs[name]))
    assert outcome(RULESET.evaluate(shuffled)) == outcome(RULESET.evaluate(inputs))


# --- explanations are arithmetic ------------------------------------------------------------

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3})")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)%")
_FUNCTIONS = {
    "min": min,
    "max": max,
    "abs": abs,
    "round": lambda x, places=0: x.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP),
}
_OPERATORS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


def arithmetic(text: str) -> Decimal:
    """Evaluate an explanation's left side exactly: numbers, + − × ÷, %, min/max/abs/round."""
    source = _PERCENT.sub(r"(\1/100)", _THOUSANDS.sub("", text))
    source = source.replace("×", "*").replace("÷", "/").replace("−", "-")

    def value(node: ast.AST) -> Decimal:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return Decimal(ast.get_source_segment(source, node) or "")  # the digits, not a float
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return -value(node.operand) if isinstance(node.op, ast.USub) else value(node.operand)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS
            and not node.keywords
        ):
            return _FUNCTIONS[node.func.id](*(value(a) for a in node.args))
        raise ValueError(f"not arithmetic: {ast.dump(node)} in {text!r}")

    with decimal.localcontext(decimal.Context(prec=50, traps=[decimal.InvalidOperation])):
        return value(ast.parse(source, mode="eval").body)


def test_the_explanation_evaluator_is_exact() -> None:
    assert arithmetic("3% × (52,000.00 − 40,000.00)") == Decimal("360.00")
    assert arithmetic("3,000.00 × min(12,345.67, 40,000.00) ÷ 40,000.00") == Decimal("925.92525")
    assert arithmetic("2 × ((−0.10) + 12.5%)") == Decimal("0.05")
    assert arithmetic("max(0.1, abs(−0.3))") == Decimal("0.3")
    with pytest.raises(ValueError, match="not arithmetic"):
        arithmetic("__import__('os')")


@pytest.mark.slow
@SETTINGS
@given(bar_inputs())
def test_every_explanation_evaluates_to_its_amount(inputs: dict[str, Any]) -> None:
    slip = RULESET.evaluate(inputs)
    for line in slip.lines:
        text = line.explanation
        if ": " in text:  # "forfeits commission: 360.00 = 360.00"
            text = text.split(": ", 1)[1]
        text = text.split("; ", 1)[0]  # "…; c.amount = 50.01": the item fields read (issue 14)
        sourced = re.fullmatch(r"([\d,.]+) \((?:fixed amount|[\w.]+)\)", text)  # "50.00 (lateness_fine)"
        if sourced is not None:
            assert Decimal(_THOUSANDS.sub("", sourced.group(1))) == abs(line.amount), line.explanation
            continue
        left, shown = text.rsplit(" = ", 1)
        result = arithmetic(left).quantize(CENT, rounding=ROUND_HALF_UP)
        assert result == Decimal(_THOUSANDS.sub("", shown)) == abs(line.amount), line.explanation


# --- determinism -----------------------------------------------------------------------------

_PROGRAM = """
import hashlib, sys
sys.path.insert(0, {root!r})
import cmrules
from benchmarks.bar_cases import generate
ruleset = cmrules.load_ruleset({bar!r})
digest = hashlib.sha256()
for case in generate(40, seed=7):
    digest.update(ruleset.evaluate(case).to_json())
print(digest.hexdigest())
"""


@pytest.mark.slow
@SETTINGS
@given(bar_inputs())
def test_json_is_identical_across_evaluations(inputs: dict[str, Any]) -> None:
    assert RULESET.evaluate(inputs).to_json() == RULESET.evaluate(dict(inputs)).to_json()


@pytest.mark.slow
def test_json_is_identical_across_processes() -> None:
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.bar_cases import generate
    finally:
        sys.path.remove(str(ROOT))
    digest = hashlib.sha256()
    for case in generate(40, seed=7):
        digest.update(RULESET.evaluate(case).to_json())
    program = _PROGRAM.format(root=str(ROOT), bar=str(BAR))
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True, timeout=120
        )
        assert done.stdout.strip() == digest.hexdigest()


# --- the generated input checker agrees with the pydantic reference ------------------------------


@pytest.mark.slow
@SETTINGS
@given(bar_inputs(), st.booleans())
def test_fast_input_checker_agrees_with_the_reference(inputs: dict[str, Any], as_text: bool) -> None:
    validator = RULESET.latest.validator
    if as_text:  # money and dates as text, as the file readers give them
        inputs = {
            **inputs,
            "deposit": str(inputs["deposit"]),
            "bookings": [
                {**b, "date": b["date"].isoformat(), "amount": str(b["amount"])} for b in inputs["bookings"]
            ],
        }
    assert validator.fast(inputs) == validator.reference(inputs)


@pytest.mark.parametrize(
    "change",
    [
        {"bookings": [{"date": "2024-05-03", "amount": "1.00"}]},  # a missing field
        {"bookings": [{"date": "2024-05-03", "amount": "1.00", "registered_minutes_before": 9, "x": 1}]},
        {"bookings": [{"date": "2024-05-03", "amount": "1.001", "registered_minutes_before": 9}]},
        {"bookings": [{"date": "2024-05-03", "amount": Decimal("-1.00"), "registered_minutes_before": 9}]},
        {"late_arrivals": [0]},
        {"late_arrivals": [True]},
        {"comps": [{"table_spend": "1.00", "amount": "1.00", "item": "wine", "own_booking": True}]},
        {"absent_days": 32},
        {"deposit": 1.5},
    ],
)
def test_fast_input_checker_leaves_bad_input_to_the_reference(change: dict[str, Any]) -> None:
    validator = RULESET.latest.validator
    inputs = {"employee": "B001", "period": "2024-05", **change}
    with pytest.raises(Slow):
        validator.fast(inputs)
    with pytest.raises(cmrules.InputError):
        RULESET.evaluate(inputs)


# --- stratification and the trace ----------------------------------------------------------------

ORDERED = """
cmrules: 1
id: order
version: "1"
title: {zh: 顺序, en: Order}
effective_from: 2024-01-01
inputs:
  sales: {type: money, ge: 0}
facts:
  bonus_base: {type: money, combine: sum, default: 0}
rules:
  # declared first, but reads the fact the next rule sets: it must run after it
  - id: bonus
    label: {zh: 奖金, en: Bonus}
    when: bonus_base > 0
    line: {category: earning, amount: 10% * bonus_base}
  - id: base
    label: {zh: 基数, en: Base}
    contribute: {bonus_base: sales - 100}
  - id: salary
    label: {zh: 工资, en: Salary}
    line: {category: earning, amount: 1000}
"""


def test_a_rule_reading_a_fact_runs_after_the_rule_setting_it() -> None:
    slip = cmrules.loads_ruleset(ORDERED).evaluate({"employee": "E1", "period": "2024-05", "sales": "600.00"})
    # bonus_base = 600 − 100 = 500; bonus = 10% × 500 = 50.00
    assert [(x.rule_id, str(x.amount)) for x in slip.lines] == [("bonus", "50.00"), ("salary", "1000.00")]
    assert slip.line("bonus")[0].explanation == "10% × 500.00 = 50.00"
    fired = [entry["rule_id"] for entry in slip.trace]
    assert fired.index("base") < fired.index("bonus")
    assert fired == ["base", "salary", "bonus"]
    by_rule = {entry["rule_id"]: entry for entry in slip.trace}
    assert by_rule["base"]["read"] == {"sales": "600.00"}
    assert by_rule["bonus"]["read"] == {"bonus_base": "500.00"}
    # the trace points at the lines each rule made (indexes into slip.lines)
    assert by_rule["bonus"]["lines"] == [0] and by_rule["salary"]["lines"] == [1]
    assert by_rule["base"]["lines"] == []


def test_the_trace_lists_fired_rules_in_execution_order_with_the_values_read() -> None:
    slip = RULESET.evaluate(
        {
            "employee": "B001",
            "period": "2024-05",
            "bookings": [{"date": "2024-05-03", "amount": "52000.00", "registered_minutes_before": 15}],
            "late_arrivals": [31, 10],
        }
    )
    trace = [(entry["rule_id"], entry.get("item")) for entry in slip.trace]
    # facts first, then the rules reading only inputs, then those reading facts and lines;
    # late_fine fires for element 1 only (10 minutes); 31 minutes is an absence day
    assert trace == [
        ("fact:performance", None),
        ("fact:absence_days", None),
        ("fact:commission_pay_date", None),
        ("late_fine", 1),
        ("fact:commission_forfeited", None),
        ("base_pay", None),
        ("commission", None),
        ("absence_fine", None),
    ]
    entries = {entry["rule_id"]: entry for entry in slip.trace}
    assert entries["late_fine"]["read"]["m"] == 10
    assert entries["fact:absence_days"]["read"]["late_arrivals"] == [31, 10]
    assert entries["commission"]["read"] == {
        "performance": "52000.00",
        "performance_target": "40000.00",
        "commission_rate": "0.03",
    }
    assert entries["absence_fine"]["read"]["absence_days"] == 1
    # each entry names the lines it made, as indexes into slip.lines
    lines = slip.lines
    assert [lines[i].rule_id for i in entries["absence_fine"]["lines"]] == ["absence_fine"]
    assert [lines[i].rule_id for i in entries["late_fine"]["lines"]] == ["late_fine"]
