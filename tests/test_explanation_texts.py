"""The exact text of every kind of explanation and notice, as compiled once per rule
(compile/_explainers.py), held to the tree renderer's text (expr/_explain.py) line by line."""

from __future__ import annotations

import decimal
import io
import keyword
import random
import re
import tokenize
from decimal import Decimal
from typing import Any

import pytest

import cmrules
from cmrules._money import CONTEXT
from cmrules.expr import _explain as ex
from cmrules.expr import _show as sh
from cmrules.slip._lines import NEGATIVE

TEXT = """\
id: texts
version: "1"
title: {zh: 说明, en: Explanations}
effective_from: 2024-01-01
parameters:
  rate: {type: rate, value: 3.5%}
  base: {type: money, value: 12345.6}
  per_day: {type: money, values: [{from: 2024-01-01, value: 200}, {from: 2024-06-01, value: 250}]}
  cap_share: {type: rate, value: 20%}
inputs:
  employee: {type: str}
  period: {type: period}
  sales: {type: money, default: 0}
  days: {type: int, default: 0}
  m: {type: money, default: 0}
  r: {type: decimal, default: 0}
  late: {type: list, of: {type: money, ge: 0}, default: []}
  orders:
    type: list
    default: []
    of:
      type: record
      fields:
        fee: {type: money}
        share: {type: decimal}
tiers:
  scale:
    mode: marginal
    brackets: [{from: 0, rate: 1%}, {from: 10000, rate: 2%}]
facts:
  doubled: {type: money, expr: sales * 2}
rules:
  - id: lit_sep
    label: {zh: 字面量, en: Literal}
    when: days > 0
    line: {category: earning, amount: 1000 * days + 2.50}
  - id: fixed
    label: {zh: 固定, en: Fixed}
    line: {category: earning, amount: 300}
  - id: named
    label: {zh: 参数, en: Parameter}
    line: {category: earning, amount: base}
  - id: percent
    label: {zh: 比例, en: Percent}
    line: {category: earning, amount: rate * sales + 3% * sales}
  - id: dated
    label: {zh: 按日, en: Per day}
    line: {category: deduction, amount: per_day * days}
  - id: fact_read
    label: {zh: 事实, en: Fact}
    line: {category: earning, amount: doubled / 4}
  - id: brackets
    label: {zh: 括号, en: Brackets}
    line:
      category: adjustment
      amount: "m - (m - 1) + m / (r / 2) - (m + 1) * 2 + (r - 1) ** 2 + (r ** 2) ** 2"
  - id: negated
    label: {zh: 负, en: Negated}
    line: {category: adjustment, amount: "-(m + 1) + -m"}
  - id: functions
    label: {zh: 函数, en: Functions}
    line: {category: earning, amount: "max(m, 5) + min(abs(r), 1) * round(m / 3, 1)"}
  - id: chosen
    label: {zh: 条件, en: Conditional}
    line: {category: earning, amount: "m * 2 if days > 1 else m + 1"}
  - id: chosen_inside
    label: {zh: 条件在内, en: Conditional inside}
    line: {category: earning, amount: "(m * 2 if days > 1 else m + 1) * 3"}
  - id: tiered
    label: {zh: 阶梯, en: Tier}
    line: {category: earning, amount: scale(sales)}
  - id: tiered_inside
    label: {zh: 阶梯在内, en: Tier inside}
    line: {category: earning, amount: scale(sales) + 1}
  - id: summed
    label: {zh: 求和, en: Sum}
    line: {category: earning, amount: "sum(o.fee for o in orders) * 2"}
  - id: per_order
    label: {zh: 每单, en: Per order}
    for_each: o in orders
    line: {category: earning, amount: o.fee * o.share + o.fee}
  - id: per_late
    label: {zh: 超时, en: Late}
    for_each: x in late
    line: {category: fine, amount: x}
  - id: reads_sums
    label: {zh: 合计, en: Sums}
    line: {category: earning, amount: "(lines.fixed + totals.fine) / 10"}
  - id: forfeit_fixed
    label: {zh: 扣发, en: Forfeit}
    when: days > 5
    forfeit: {rule: fixed, reason: {zh: 缺勤, en: too many days}}
  - id: forfeit_plain
    label: {zh: 扣发2, en: Forfeit 2}
    when: days > 6
    forfeit: {rule: per_order}
  - id: told
    label: {zh: 通知, en: Notice}
    when: sales > 0
    notice:
      kind: info
      code: told
      text:
        zh: "销售 {sales},两倍 {doubled},天数 {days}"
        en: "sales {sales}, doubled {doubled}, {days} days"
caps:
  - id: fine_cap
    label: {zh: 罚款上限, en: Fine cap}
    limits: {categories: [fine]}
    limit: cap_share * lines.fixed
    excess: waive
    notice:
      kind: info
      code: capped
      text: {zh: "免除 {excess}", en: "waived {excess} above {limit} of {capped}"}
"""

RULESET = cmrules.loads_ruleset(TEXT, "texts.yaml")
RECORD: dict[str, Any] = {
    "employee": "E1",
    "period": "2024-07",
    "sales": "12000.00",
    "days": 7,
    "m": "1234.5",
    "r": "0.5",
    "late": ["40.00", "35.00"],
    "orders": [{"fee": "8.00", "share": "0.2"}, {"fee": "1000.10", "share": "0.125"}],
}

EXPECTED = {
    "lit_sep": ["1,000 × 7 + 2.50 = 7,002.50"],
    "fixed": ["300.00 (fixed amount)"],
    "named": ["12,345.60 (base)"],
    "percent": ["3.5% × 12,000.00 + 3% × 12,000.00 = 780.00"],
    "dated": ["250.00 × 7 = 1,750.00"],
    "fact_read": ["24,000.00 ÷ 4 = 6,000.00"],
    "brackets": [
        "1,234.50 − (1,234.50 − 1) + 1,234.50 ÷ (0.5 ÷ 2) − (1,234.50 + 1) × 2 + (0.5 − 1) ** 2"
        " + (0.5 ** 2) ** 2 = 2,468.31"
    ],
    "negated": ["−(1,234.50 + 1) + −1,234.50 = (−2,470.00)"],
    "functions": ["max(1,234.50, 5) + min(abs(0.5), 1) × round(1,234.50 ÷ 3, 1) = 1,440.25"],
    "chosen": ["1,234.50 × 2 = 2,469.00"],
    "chosen_inside": ["1,234.50 × 2 × 3 = 7,407.00"],
    "tiered": ["1% × 10,000 + 2% × (12,000.00 − 10,000) = 140.00"],
    "tiered_inside": ["1% × 10,000 + 2% × (12,000.00 − 10,000) + 1 = 141.00"],
    "summed": ["1,008.10 × 2 = 2,016.20"],
    "per_late": ["40.00 (x)", "35.00 (x)"],
    "reads_sums": ["(300.00 + 75.00) ÷ 10 = 37.50"],
    "forfeit_fixed": ["forfeits fixed (too many days): 300.00 = 300.00"],
    "forfeit_plain": ["forfeits per_order: 1,134.71 = 1,134.71"],
    "fine_cap": [
        "15.00 of per_late waived: capped deductions 75.00 − limit 60.00 = excess 15.00 (limit: 20% × 300.00)"
    ],
}
EXPECTED["per_order"] = [
    "8.00 × 0.2 + 8.00 = 9.60; o.fee = 8.00, o.share = 0.2",
    "1,000.10 × 0.125 + 1,000.10 = 1,125.11; o.fee = 1,000.10, o.share = 0.125",
]


def reference(slip: cmrules.PaySlip, line: Any) -> str:
    """The explanation as the tree renderer gives it (the text before compiled explanations)."""
    rule, state, program = line.rule, slip.run_state, line.rule and slip.run_state.program
    places = program.rounder.places
    shown = sh.show_money(abs(line.amount) if rule.category in NEGATIVE else line.amount, places)
    with decimal.localcontext(CONTEXT):
        if rule.kind == "cap":
            target, limit, capped, excess = line._values
            env = state.env(rule.explain_vars, rule.explain_refs, ())
            formula = ex.explain(rule.explain, program.namespace, env, places)
            money = [sh.show(v, ex.MONEY, places) for v in (capped, limit, excess)]
            return (
                f"{shown} of {rule.cap_targets[target]} waived: capped deductions {money[0]} − "
                f"limit {money[1]} = excess {money[2]} (limit: {formula})"
            )
        if rule.forfeits is not None:
            what = sh.show(state.value(rule.explain_refs[0], line._values), ex.MONEY, places)
            reason = f" ({rule.forfeit_reason['en']})" if rule.forfeit_reason else ""
            return f"forfeits {rule.forfeits}{reason}: {what} = {shown}"
        env = state.env(rule.explain_vars, rule.explain_refs, line._values)
        return ex.explain_amount(rule.explain, program.namespace, env, places, shown)


@pytest.mark.parametrize("engine", ["native", "durable"])
def test_every_kind_of_explanation_has_its_exact_text(engine: str) -> None:
    if engine == "durable":
        pytest.importorskip("durable")
    slip = RULESET.evaluate(RECORD, engine=engine)
    got = {rule_id: [line.explanation for line in slip.line(rule_id)] for rule_id in EXPECTED}
    assert got == EXPECTED


@pytest.mark.parametrize("days", [0, 1, 2, 7])
def test_compiled_explanations_equal_the_tree_renderer(days: int) -> None:
    slip = RULESET.evaluate({**RECORD, "days": days, "m": f"{days}.25", "sales": f"{days * 3000}.5"})
    assert slip.lines
    for line in slip.lines:
        assert line.explanation == reference(slip, line), line.rule_id


def test_only_value_dependent_trees_keep_the_tree_renderer() -> None:
    slip = RULESET.evaluate(RECORD)
    for line in slip.lines:
        line.explanation  # noqa: B018 -- compiles the rule's explanation
    rules = {rule.id: rule for rule in RULESET.latest.program.rules}
    kept = {rid for rid, rule in rules.items() if rule.explainer is not None and _source(rule) is None}
    # a conditional or a tier inside arithmetic, and the cap (its formula compiled inside)
    assert kept == {"chosen", "chosen_inside", "tiered", "tiered_inside", "fine_cap"}
    assert _source(rules["percent"]) is not None and "S.data" in str(_source(rules["percent"]))


def _source(rule: Any) -> str | None:
    made = getattr(rule.explainer, "__wrapped__", rule.explainer)  # run in the evaluation context
    namespace = getattr(made, "__globals__", {})
    return namespace.get("SOURCE") if "SOURCE" in namespace and namespace.get("f") is made else None


def test_a_notice_shows_each_value_once_for_both_languages() -> None:
    slip = RULESET.evaluate(RECORD)
    told, capped = slip.notices[0], slip.notices[1]
    assert told.text == {
        "zh": "销售 12,000.00,两倍 24,000.00,天数 7",
        "en": "sales 12,000.00, doubled 24,000.00, 7 days",
    }
    assert capped.text == {"zh": "免除 15.00", "en": "waived 15.00 above 60.00 of 75.00"}
    rule = next(r for r in RULESET.latest.program.rules if r.id == "told")
    assert [len(n) for n in [rule.notice_types]] == [3]  # zh and en read the same three values
    assert rule.notice_renderer.__globals__["SOURCE"].count("V[") == 3


def test_money_shows_cents_separators_and_every_digit() -> None:
    assert [sh.show_money(Decimal(t), 2) for t in ("8", "8.0", "8.000", "1234567.5", "0.005", "-3.1")] == [
        "8.00",
        "8.00",
        "8.00",
        "1,234,567.50",
        "0.005",
        "(−3.10)",
    ]
    assert [sh.show_money(Decimal(t), 2) for t in ("0", "-0.00", "0E-7")] == ["0.00", "0.00", "0.00"]
    magnitude, signed = sh.amount_text(2, True), sh.amount_text(2, False)
    assert [magnitude(Decimal(t)) for t in ("-1234.50", "-0.005", "0.00", "7")] == [
        "1,234.50",
        "0.005",
        "0.00",
        "7.00",
    ]
    assert [signed(Decimal(t)) for t in ("-1234.50", "1234.50")] == ["(−1,234.50)", "1,234.50"]
    money = sh.money_text(0)
    assert [money(v) for v in (Decimal("1234.4"), Decimal("12"), None)] == ["1,234.4", "12", "none"]
    assert sh.show_rate(Decimal("0.035")) == "3.5%"


def test_explanations_do_not_depend_on_the_callers_context() -> None:
    expected = [line.explanation for line in RULESET.evaluate(RECORD).lines]
    with decimal.localcontext() as context:
        context.prec = 3
        context.traps[decimal.Inexact] = True
        context.traps[decimal.Rounded] = True
        assert [line.explanation for line in RULESET.evaluate(RECORD).lines] == expected


_NAMES = re.compile(
    r"_[A-Za-z]\w*|[vkfgenxlptria]\d+(_\d+)?|S|L|V|A|f|shown|str|data|params|facts|raw_lines|value"
)


def test_compiled_explanations_hold_only_generated_names() -> None:
    slip = RULESET.evaluate(RECORD)
    for line in slip.lines:
        line.explanation  # noqa: B018
    slip.notices  # noqa: B018
    sources = [
        made.__globals__["SOURCE"]
        for rule in RULESET.latest.program.rules
        for made in (rule.explainer, rule.notice_renderer)
        if made is not None and made.__globals__.get("f") is made
    ]
    assert len(sources) > 15

    for source in sources:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            assert tok.type != tokenize.STRING, source
            if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string):
                assert _NAMES.fullmatch(tok.string), (tok.string, source)


def _money_reference(value: Decimal, places: int) -> str:
    """Money as explanations showed it before the fast paths: quantized, then ``f"{x:,f}"``."""
    exact = value.quantize(Decimal(1).scaleb(-places), context=CONTEXT)
    shown = exact if exact == value else value
    if not shown:
        return f"{shown.copy_abs():f}"
    text = f"{shown:,f}"
    return f"({text.replace('-', '−')})" if shown < 0 else text


def test_the_money_fast_paths_show_what_formatting_shows() -> None:
    rng = random.Random(7)
    edges = [
        "999.99",
        "1000",
        "1000.00",
        "999999.99",
        "1000000",
        "0.01",
        "0.001",
        "-1000",
        "-0",
        "12E+3",
        "5.110E+5",
        "1E+3",
        "1.00E-7",
        "-5.110E+5",
    ]
    for places in (0, 1, 2, 3, 6, 7, 8):
        money, signed, magnitude = (
            sh.money_text(places),
            sh.amount_text(places, False),
            sh.amount_text(places, True),
        )
        values = [Decimal(t) for t in edges] + [
            Decimal(rng.randint(-(10 ** rng.randint(1, 12)), 10 ** rng.randint(1, 12))).scaleb(
                rng.randint(-places - 3, 6)
            )
            for _ in range(3000)
        ]
        for value in values:
            expected = _money_reference(value, places)
            assert money(value) == signed(value) == sh.show_money(value, places) == expected, (places, value)
            assert magnitude(value) == _money_reference(value.copy_abs(), places), (places, value)
