"""The ruleset language, feature by feature, each with a tiny inline ruleset and a value
computed by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

import cmrules
from cmrules.errors import Issue

HEAD = 'id: lang\nversion: "1"\ntitle: {zh: 语言, en: Language}\neffective_from: 2010-01-01\n'  # lines 1-4
INPUTS = """inputs:
  x: {type: int, default: 0}
  y: {type: int, default: 0}
  m: {type: money, default: 0}
  r: {type: decimal, default: 0}
  flag: {type: bool, default: false}
  day: {type: date, default: 2024-05-15}
  xs: {type: list, of: {type: int}}
  names: {type: list, of: {type: str}}
  bookings:
    type: list
    of:
      type: record
      fields:
        amount: {type: money}
        minutes: {type: int}
        item: {type: str}
  scores: {type: map, keys: [business, service], values: {type: decimal}}
  底薪: {type: money, default: 0}
"""
BOOKINGS = [
    {"amount": "52000.00", "minutes": 15, "item": "snack"},
    {"amount": "8000.00", "minutes": 5, "item": "drink"},
    {"amount": "1000.50", "minutes": 30, "item": "snack"},
]


#: The keyed map HEAD declares: required in every record (a map with declared keys has no empty default).
SCORES = {"business": "0", "service": "0"}


def load(body: str, head: str = HEAD) -> cmrules.Ruleset:
    return cmrules.loads_ruleset(head + body, "lang.yaml")


def run(ruleset: cmrules.Ruleset, period: str = "2024-05", **inputs: Any) -> cmrules.PaySlip:
    if "scores" in ruleset.versions[0].doc.inputs:
        inputs.setdefault("scores", SCORES)
    return ruleset.evaluate({"employee": "E1", "period": period, **inputs})


def only(slip: cmrules.PaySlip, rule_id: str) -> Any:
    """The one line ``rule_id`` made."""
    (line,) = slip.line(rule_id)
    return line


def value(expr: str, kind: str = "decimal", head: str = HEAD, **inputs: Any) -> Any:
    """The value of ``expr`` as a computed fact ``out`` of type ``kind``."""
    quoted = expr.replace("'", "''")
    ruleset = load(INPUTS + f"facts:\n  out: {{type: {kind}, expr: '{quoted}'}}\n", head)
    return run(ruleset, **inputs).facts["out"]


def refused(text: str) -> list[Issue]:
    with pytest.raises(cmrules.RulesetError) as caught:
        cmrules.loads_ruleset(text, "lang.yaml")
    return caught.value.errors


# -- arithmetic ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "kind", "expected"),
    [
        ("2 + 3 * 4 - 10 / 4", "decimal", Decimal("11.5")),  # 2 + 12 - 2.5
        ("(2 + 3) * 4", "int", 20),
        ("10 - 4 - 3", "int", 3),  # left to right: (10 - 4) - 3
        ("100 / 8 / 5", "decimal", Decimal("2.5")),  # (100 / 8) / 5 = 12.5 / 5
        ("-2 * 3 + 1", "int", -5),
        ("7 / 2", "decimal", Decimal("3.5")),  # whole numbers divide exactly
        ("2 ** 10", "int", 1024),
        ("x ** 2 + 1", "int", 50),  # 7 * 7 + 1
        ("0.1 + 0.2", "decimal", Decimal("0.3")),  # decimal literals, not binary floats
    ],
)
def test_arithmetic_precedence(expr: str, kind: str, expected: Any) -> None:
    got = value(expr, kind, x=7)
    assert got == expected and type(got) is type(expected)


def test_money_arithmetic_is_exact() -> None:
    # 3% × (52,000.00 − 40,000) = 360.0000, a money fact keeps the ruleset's 2 places
    assert value("3% * (m - 40000)", "money", m="52000.00") == Decimal("360.00")
    assert value("12.5% * m", "money", m="100.00") == Decimal("12.50")


# -- comparisons and logic ----------------------------------------------------------------


@pytest.mark.parametrize(("x", "expected"), [(0, False), (1, True), (10, True), (11, False)])
def test_chained_comparison(x: int, expected: bool) -> None:
    assert value("0 < x <= 10", "bool", x=x) is expected


@pytest.mark.parametrize(
    ("flag", "x", "expected"),
    [
        (True, 1, True),  # flag and x > 0
        (True, 0, False),  # neither branch: flag but x = 0, and not flag is false
        (False, 0, True),  # not flag and x == 0
        (False, 5, False),
    ],
)
def test_and_or_not(flag: bool, x: int, expected: bool) -> None:
    assert value("flag and x > 0 or not flag and x == 0", "bool", flag=flag, x=x) is expected


@pytest.mark.parametrize(("m", "expected"), [("150.00", Decimal("300.00")), ("80.00", Decimal("80.00"))])
def test_conditional_expression(m: str, expected: Decimal) -> None:
    assert value("m * 2 if m > 100 else m", "money", m=m) == expected


def test_conditional_with_an_int_branch_gives_a_decimal() -> None:
    got = value("m if flag else 0", "money", flag=False)
    assert got == Decimal("0") and isinstance(got, Decimal)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("x in (1, 2, 3)", True),
        ("x in (4, 5)", False),
        ("x not in (4, 5)", True),
        ("'b' in names", True),
        ("'z' in names", False),
        ("x in xs", False),
        ("y in xs", True),
        ("day in (period_start(period), period_end(period))", False),  # 05-15 is neither end
        ("period_start(period) in (period_start(period), day)", True),
    ],
)
def test_membership(expr: str, expected: bool) -> None:
    assert value(expr, "bool", x=2, y=9, names=["a", "b"], xs=[7, 9]) is expected


# -- functions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "kind", "expected"),
    [
        ("min(m, 40000)", "money", Decimal("40000.00")),  # m = 52,000
        ("max(x, y)", "int", 9),
        ("max(x, y, 20)", "int", 20),
        ("min(x, r)", "decimal", Decimal("2")),  # min(2, 2.5) = 2, as a decimal
        ("max(b.amount for b in bookings)", "money", Decimal("52000.00")),
        ("min(b.amount for b in bookings)", "money", Decimal("1000.50")),
        ("max(b.amount for b in bookings if b.minutes > 999)", "money", Decimal("0")),  # empty → 0
        ("min(xs)", "int", 0),  # xs is empty
        ("abs(x - 10)", "int", 8),  # |2 - 10|
        ("abs(r - m)", "money", Decimal("51997.50")),  # |2.5 - 52,000|
    ],
)
def test_min_max_abs(expr: str, kind: str, expected: Any) -> None:
    assert value(expr, kind, x=2, y=9, r="2.5", m="52000.00", bookings=BOOKINGS, xs=[]) == expected


HALF_EVEN = HEAD + "rounding: {places: 2, mode: ROUND_HALF_EVEN}\n"


@pytest.mark.parametrize(
    ("expr", "r", "half_up", "half_even"),
    [
        ("round(r, 0)", "2.5", Decimal("3"), Decimal("2")),
        ("round(r, 0)", "3.5", Decimal("4"), Decimal("4")),
        ("round(r)", "1.005", Decimal("1.01"), Decimal("1.00")),  # to the ruleset's 2 places
        ("round(r, 1)", "0.25", Decimal("0.3"), Decimal("0.2")),
        ("round(r, 0)", "-2.5", Decimal("-3"), Decimal("-2")),  # half up: away from zero
    ],
)
def test_round_follows_the_ruleset_mode(expr: str, r: str, half_up: Decimal, half_even: Decimal) -> None:
    assert value(expr, r=r) == half_up
    assert value(expr, head=HALF_EVEN, r=r) == half_even


def test_line_amounts_round_with_the_ruleset_mode() -> None:
    body = (
        INPUTS
        + "rules:\n  - id: pay\n    label: {zh: 工资, en: Pay}\n    line: {category: earning, amount: r}\n"
    )
    # 0.125 → 0.13 half up, 0.12 half even (2 is even); 0.135 → 0.14 both ways
    assert only(run(load(body), r="0.125"), "pay").amount == Decimal("0.13")
    assert only(run(load(body, HALF_EVEN), r="0.125"), "pay").amount == Decimal("0.12")
    assert only(run(load(body, HALF_EVEN), r="0.135"), "pay").amount == Decimal("0.14")


@pytest.mark.parametrize(
    ("expr", "kind", "expected"),
    [
        ("sum(xs)", "int", 16),  # 7 + 9
        ("sum(b.amount for b in bookings)", "money", Decimal("61000.50")),  # 52,000 + 8,000 + 1,000.50
        ("sum(b.amount for b in bookings if b.minutes >= 10)", "money", Decimal("53000.50")),
        ("sum(b.amount for b in bookings if b.minutes > 999)", "money", Decimal("0")),
        ("sum(2 * v for v in xs if v > 8)", "int", 18),  # only 9 passes
        ("count(b for b in bookings if b.item == 'snack')", "int", 2),
        ("count(xs)", "int", 2),
        ("count(v for v in xs if v > 100)", "int", 0),
        ("any(b.minutes > 20 for b in bookings)", "bool", True),  # the 30-minute one
        ("any(b.minutes > 60 for b in bookings)", "bool", False),
        ("all(b.amount > 0 for b in bookings)", "bool", True),
        ("all(b.minutes >= 10 for b in bookings)", "bool", False),  # 5 minutes
        ("all(v > 100 for v in xs if v > 1000)", "bool", True),  # over nothing: true
        ("len(bookings)", "int", 3),
        ("len(names)", "int", 2),
        ("len(scores)", "int", 2),
        # two nested generators are allowed: pairs (a, b) of xs with a < b: only (7, 9)
        ("count(a for a in xs if any(b > a for b in xs))", "int", 1),
        ("sum(sum(a * b for b in xs) for a in xs)", "int", 256),  # (7 + 9) ** 2
    ],
)
def test_aggregates_over_lists_and_generators(expr: str, kind: str, expected: Any) -> None:
    inputs = {
        "xs": [7, 9],
        "names": ["a", "b"],
        "bookings": BOOKINGS,
        "scores": {"business": "80", "service": "90"},
    }
    assert value(expr, kind, **inputs) == expected


@pytest.mark.parametrize(
    ("expr", "kind", "expected"),
    [
        ("scores['business']", "decimal", Decimal("80")),
        # weighted: 80 × 30% + 90 × 70% = 24 + 63 = 87
        ("scores['business'] * 30% + scores['service'] * 70%", "decimal", Decimal("87")),
        ("sum(values(scores))", "decimal", Decimal("170")),
        ("max(values(scores))", "decimal", Decimal("90")),
        ("count(v for v in values(scores) if v > 85)", "int", 1),
        ("'service' in keys(scores)", "bool", True),
        ("len(keys(scores))", "int", 2),
    ],
)
def test_maps(expr: str, kind: str, expected: Any) -> None:
    assert value(expr, kind, scores={"business": "80", "service": "90"}) == expected


def test_a_map_is_read_with_a_quoted_key_only() -> None:
    (issue,) = refused(HEAD + INPUTS + "facts:\n  out: {type: decimal, expr: 'scores[names]'}\n")
    assert issue.code == "expr.forbidden" and "quoted key" in issue.message


def test_an_undeclared_map_key_is_refused() -> None:
    (issue,) = refused(HEAD + INPUTS + "facts:\n  out: {type: decimal, expr: \"scores['busness']\"}\n")
    assert issue.code == "expr.unknown_field" and issue.message.endswith("did you mean 'business'?")


FREE_MAP = """inputs:
  marks: {type: map, values: {type: int}}
rules:
  - id: bonus
    label: {zh: 奖金, en: Bonus}
    line: {category: earning, amount: "marks['bonus'] * 10"}
  - id: guarded
    label: {zh: 奖金, en: Bonus}
    when: "'extra' in keys(marks)"
    line: {category: earning, amount: "marks['extra']"}
"""


def test_a_free_map_without_the_key_fails_that_employee_naming_the_rule_and_key() -> None:
    ruleset = load(FREE_MAP)
    people = [
        {"employee": "A", "period": "2024-05", "marks": {"bonus": 3}},  # 3 × 10 = 30.00
        {"employee": "B", "period": "2024-05", "marks": {"bonsu": 3}},
        {"employee": "C", "period": "2024-05", "marks": {"bonus": 1, "extra": 5}},  # 10.00 + 5.00
    ]
    slips, failures = ruleset.evaluate_many(people)
    assert [(s.employee, s.net) for s in slips] == [("A", Decimal("30.00")), ("C", Decimal("15.00"))]
    (error,) = failures
    assert isinstance(error, cmrules.EvaluationError)
    assert (error.employee, error.rule_id, error.code) == ("B", "bonus", "eval.arithmetic")
    assert error.message == (
        "map marks has no key 'bonus'; test 'bonus' in keys(marks) first, or declare the map's keys"
    )


def test_chinese_identifiers() -> None:
    body = (
        "inputs:\n  底薪: {type: money}\n  出勤天数: {type: int}\n"
        "parameters:\n  满勤天数: {type: int, value: 22}\n"
        "facts:\n  应发底薪: {type: money, expr: 底薪 * 出勤天数 / 满勤天数}\n"
        "rules:\n  - id: base\n    label: {zh: 底薪, en: Base}\n    let: {补贴: 底薪 * 1%}\n"
        "    line: {category: earning, amount: 应发底薪 + 补贴}\n"
    )
    slip = run(load(body), 底薪="2200", 出勤天数=11)
    # 2,200 × 11 / 22 = 1,100; plus 1% × 2,200 = 22: 1,122
    assert slip.facts["应发底薪"] == Decimal("1100.00")
    assert only(slip, "base").amount == Decimal("1122.00")
    assert only(slip, "base").explanation == "1,100.00 + 22.00 = 1,122.00"


def test_percent_literals() -> None:
    assert value("3%") == Decimal("0.03")
    assert value("12.5%") == Decimal("0.125")
    assert value("100% - 3%") == Decimal("0.97")
    (issue,) = refused(HEAD + INPUTS + "facts:\n  out: {type: int, expr: x % 3}\n")
    # INPUTS is lines 5-23: "  out: {type: int, expr: x % 3}" is line 25, 'x' in column 26
    assert (issue.code, issue.line, issue.column) == ("expr.syntax", 25, 28)


def test_rate_parameters_written_as_percent() -> None:
    head = HEAD + "parameters:\n  rate: {type: rate, value: 3%}\n  rate2: {type: rate, value: '0.5%'}\n"
    assert value("rate + rate2", head=head) == Decimal("0.035")  # 0.03 + 0.005


# -- parameters, tables, tiers -----------------------------------------------------------

DATED = (
    HEAD
    + """parameters:
  minimum_wage:
    type: money
    values:
      - {from: 2010-07-01, value: 1320}
      - {from: 2013-03-01, value: 1500}
facts:
  wage: {type: money, expr: minimum_wage}
"""
)


@pytest.mark.parametrize(
    ("period", "expected"),
    [("2010-07", "1320.00"), ("2013-02", "1320.00"), ("2013-03", "1500.00"), ("2024-05", "1500.00")],
)
def test_dated_parameter_is_chosen_by_the_period(period: str, expected: str) -> None:
    assert run(cmrules.loads_ruleset(DATED), period).facts["wage"] == Decimal(expected)


def test_dated_parameter_before_its_first_value_is_an_input_error() -> None:
    with pytest.raises(cmrules.InputError) as caught:
        run(cmrules.loads_ruleset(DATED), "2010-06")
    (problem,) = caught.value.problems
    assert (problem.code, problem.field, problem.value) == ("input.period", "period", "2010-06")


TABLES = """tables:
  six_first:
    hit_policy: FIRST
    inputs: [{name: passed, type: int}]
    output: {name: points, type: int}
    rows:
      - {when: ["[0..1]"], then: 0}
      - {when: ["[2..3]"], then: 10}
      - {when: ["[3..4]"], then: 20}
      - {when: ["[5..6]"], then: 30}
  grade:
    hit_policy: UNIQUE
    inputs: [{name: score, type: decimal}]
    output: {name: grade, type: str}
    rows:
      - {when: [">= 90"], then: A}
      - {when: ["[75..90)"], then: B}
      - {when: ["< 75"], then: C}
  bonus_parts:
    hit_policy: COLLECT
    aggregate: sum
    inputs: [{name: score, type: decimal}, {name: item, type: str}]
    output: {name: bonus, type: money}
    rows:
      - {when: [">= 60", "-"], then: 100}
      - {when: [">= 90", "-"], then: 200}
      - {when: ["-", [snack, fruit]], then: 5}
"""


@pytest.mark.parametrize(("passed", "points"), [(0, 0), (2, 10), (3, 10), (4, 20), (6, 30)])
def test_table_first_takes_the_first_matching_row(passed: int, points: int) -> None:
    # 3 matches [2..3] and [3..4]: FIRST takes row 2 (10 points), the source's overlap resolved
    assert value("six_first(x)", "int", head=HEAD + TABLES, x=passed) == points


@pytest.mark.parametrize(
    ("score", "grade"), [("95", "A"), ("90", "A"), ("89.99", "B"), ("75", "B"), ("74", "C")]
)
def test_table_unique(score: str, grade: str) -> None:
    assert value("grade(r)", "str", head=HEAD + TABLES, r=score) == grade


@pytest.mark.parametrize(
    ("score", "item", "bonus"),
    [
        ("95", "snack", "305.00"),  # 100 + 200 + 5
        ("95", "drink", "300.00"),  # 100 + 200
        ("70", "fruit", "105.00"),  # 100 + 5
        ("50", "drink", "0.00"),  # no row: the sum of nothing
    ],
)
def test_table_collect_sums_the_matching_rows(score: str, item: str, bonus: str) -> None:
    got = value(f"bonus_parts(r, '{item}')", "money", head=HEAD + TABLES, r=score)
    assert got == Decimal(bonus)


def test_unique_table_overlap_is_refused_naming_the_rows() -> None:
    text = HEAD + TABLES.replace("six_first:\n    hit_policy: FIRST", "six_first:\n    hit_policy: UNIQUE")
    (issue,) = refused(text)
    assert issue.code == "table.overlap"
    assert "rows 2 and 3 overlap (both match passed = 3)" in issue.message


def test_a_table_with_no_matching_row_and_no_default_fails_for_that_employee() -> None:
    head = HEAD + TABLES.replace('      - {when: ["[0..1]"], then: 0}\n', "")
    with pytest.raises(cmrules.EvaluationError) as caught:
        value("six_first(x)", "int", head=head, x=0)
    assert "no row of table six_first matches" in caught.value.message


TIERS = (
    HEAD
    + """inputs:
  sales: {type: money}
tiers:
  scale:
    mode: marginal
    brackets: [{from: 0, rate: 1%}, {from: 10000, rate: 2%}, {from: 50000, rate: 5%}]
  flat:
    mode: retroactive
    brackets: [{from: 0, rate: 1%}, {from: 10000, rate: 2%}, {from: 50000, rate: 5%}]
rules:
  - id: marginal_pay
    label: {zh: 分段提成, en: Marginal commission}
    line: {category: earning, amount: scale(sales)}
  - id: retro_pay
    label: {zh: 全额累进提成, en: Retroactive commission}
    line: {category: earning, amount: flat(sales)}
"""
)


def test_marginal_and_retroactive_tiers() -> None:
    slip = run(cmrules.loads_ruleset(TIERS), sales="60000.00")
    # marginal: 1% × 10,000 + 2% × 40,000 + 5% × 10,000 = 100 + 800 + 500 = 1,400
    assert only(slip, "marginal_pay").amount == Decimal("1400.00")
    assert only(slip, "marginal_pay").explanation == (
        "1% × 10,000 + 2% × (50,000 − 10,000) + 5% × (60,000.00 − 50,000) = 1,400.00"
    )
    # retroactive: the reached bracket's 5% on all of it: 5% × 60,000 = 3,000
    assert only(slip, "retro_pay").amount == Decimal("3000.00")
    assert only(slip, "retro_pay").explanation == "5% × 60,000.00 = 3,000.00"


@pytest.mark.parametrize(
    ("sales", "marginal", "retro"),
    [
        ("5000.00", "50.00", "50.00"),  # 1% × 5,000 both ways
        ("10000.00", "100.00", "200.00"),  # marginal 1% × 10,000; retroactive 2% × 10,000
        ("0.00", "0.00", "0.00"),
    ],
)
def test_tier_boundaries(sales: str, marginal: str, retro: str) -> None:
    slip = run(cmrules.loads_ruleset(TIERS), sales=sales)
    assert slip.total("marginal_pay") == Decimal(marginal)
    assert slip.total("retro_pay") == Decimal(retro)


# -- facts, rules, ordering --------------------------------------------------------------

COMBINE = (
    HEAD
    + """inputs:
  sales: {type: money}
  late: {type: list, of: {type: int}}
facts:
  points: {type: int, combine: sum}
  warned: {type: bool, combine: any}
  largest: {type: money, combine: max}
  reasons: {type: list, combine: list}
rules:
  - id: sales_points
    label: {zh: 业绩积分, en: Sales points}
    when: sales >= 10000
    contribute: {points: "3", warned: sales < 5000, largest: sales / 100, reasons: "'sales'"}
  - id: late_points
    label: {zh: 迟到扣分, en: Late points}
    for_each: minutes in late
    contribute: {points: "-1", warned: minutes > 30, largest: minutes * 10, reasons: "'late'"}
"""
)


def test_facts_combine_contributions_from_several_rules() -> None:
    slip = run(cmrules.loads_ruleset(COMBINE), sales="12000", late=[10, 45, 20])
    # points: 3 from sales, -1 per late arrival: 3 - 3 = 0
    assert slip.facts["points"] == 0
    # warned: sales < 5,000 is false, but 45 > 30
    assert slip.facts["warned"] is True
    # largest: max(12,000 / 100, 10 × 10, 45 × 10, 20 × 10) = max(120, 100, 450, 200) = 450
    assert slip.facts["largest"] == Decimal("450.00")
    # reasons in firing order: the sales rule, then one per late arrival
    assert slip.facts["reasons"] == ["sales", "late", "late", "late"]


def test_a_max_fact_takes_the_largest_contribution_from_either_rule() -> None:
    slip = run(cmrules.loads_ruleset(COMBINE), sales="90000", late=[10])
    # max(90,000 / 100, 10 × 10) = 900, from the sales rule; no arrival over 30: not warned
    assert slip.facts["largest"] == Decimal("900.00")
    assert slip.facts["warned"] is False
    assert slip.facts["points"] == 2  # 3 - 1


def test_combined_facts_without_contributions_take_their_neutral_value() -> None:
    slip = run(cmrules.loads_ruleset(COMBINE), sales="100", late=[])
    assert slip.facts["points"] == 0  # sum of nothing
    assert slip.facts["warned"] is False  # any of nothing
    assert slip.facts["reasons"] == []
    assert "largest" not in slip.facts  # max of nothing: unknown, no default


UNSET = (
    HEAD
    + """inputs:
  sales: {type: money}
facts:
  star: {type: bool}
rules:
  - id: star_rule
    label: {zh: 明星, en: Star}
    when: sales > 100000
    set: {star: "True"}
  - id: star_bonus
    label: {zh: 明星奖, en: Star bonus}
    when: star
    line: {category: earning, amount: "500"}
  - id: no_star_notice
    label: {zh: 非明星, en: Not a star}
    when: not star
    notice: {kind: info, code: not_star, text: {zh: 不是明星, en: not a star}}
"""
)


def test_a_fact_no_rule_set_is_absent_and_its_readers_do_not_fire() -> None:
    ruleset = cmrules.loads_ruleset(UNSET)
    slip = run(ruleset, sales="50000")
    assert "star" not in slip.facts
    assert slip.lines == [] and slip.notices == []  # neither 'star' nor 'not star' fires
    slip = run(ruleset, sales="200000")
    assert slip.facts["star"] is True
    assert [line.rule_id for line in slip.lines] == ["star_bonus"]


ORDER = (
    HEAD
    + """inputs:
  sales: {type: money}
rules:
  - id: cap_notice
    label: {zh: 上限提示, en: Cap notice}
    let: {earned: totals.earning, base_part: lines.base}
    when: earned > 3000
    notice:
      kind: warning
      code: over
      text: {zh: "{earned} {base_part}", en: "{earned} of which base {base_part}"}
  - id: top_up
    label: {zh: 补足, en: Top-up}
    when: totals.earning < 2000
    line: {category: adjustment, amount: 2000 - totals.earning}
  - id: base
    label: {zh: 底薪, en: Base}
    line: {category: earning, amount: "1500"}
  - id: commission
    label: {zh: 提成, en: Commission}
    line: {category: earning, amount: 3% * sales}
"""
)


def test_lines_and_totals_are_read_after_every_rule_that_makes_them() -> None:
    ruleset = cmrules.loads_ruleset(ORDER)
    slip = run(ruleset, sales="100000")
    # base 1,500 + commission 3% × 100,000 = 3,000: earnings 4,500 > 3,000, no top-up
    assert [(line.rule_id, line.amount) for line in slip.lines] == [
        ("base", Decimal("1500.00")),
        ("commission", Decimal("3000.00")),
    ]
    (notice,) = slip.notices
    assert notice.text["en"] == "4,500.00 of which base 1,500.00"
    slip = run(ruleset, sales="10000")
    # 1,500 + 300 = 1,800 < 2,000: top-up 200, computed from the complete earnings
    assert only(slip, "top_up").amount == Decimal("200.00")
    assert slip.net == Decimal("2000.00")
    assert slip.notices == []


def test_a_cycle_is_refused_listing_the_rule_ids() -> None:
    text = (
        HEAD
        + """inputs:
  sales: {type: money}
rules:
  - id: alpha
    label: {zh: 甲, en: Alpha}
    line: {category: earning, amount: lines.gamma + 1}
  - id: beta
    label: {zh: 乙, en: Beta}
    line: {category: earning, amount: lines.alpha}
  - id: gamma
    label: {zh: 丙, en: Gamma}
    line: {category: earning, amount: lines.beta}
"""
    )
    (issue,) = refused(text)
    assert issue.code == "rule.cycle"
    chain = "alpha (line 8) → gamma (line 14) → beta (line 11) → alpha (line 8)"
    assert issue.message == f"rules depend on each other in a cycle: {chain}"
    assert (issue.line, issue.column, issue.rule_id) == (8, 5, "alpha")


def test_totals_cannot_be_read_by_a_rule_that_adds_to_them() -> None:
    text = (
        HEAD
        + """rules:
  - id: greedy
    label: {zh: 贪, en: Greedy}
    line: {category: earning, amount: totals.earning + 1}
"""
    )
    (issue,) = refused(text)
    assert (issue.code, issue.rule_id) == ("rule.cycle", "greedy")
    assert issue.message.endswith("greedy (line 6) → greedy (line 6)")


def test_two_rules_setting_one_fact_without_combine_conflict() -> None:
    text = (
        HEAD
        + """inputs:
  sales: {type: money}
facts:
  grade: {type: str}
rules:
  - id: grade_a
    label: {zh: 甲, en: A}
    when: sales >= 100
    set: {grade: "'A'"}
  - id: grade_b
    label: {zh: 乙, en: B}
    when: sales < 100
    set: {grade: "'B'"}
"""
    )
    (issue,) = refused(text)
    # reported at the fact: "  grade: …" is line 8, column 3
    assert (issue.code, issue.line, issue.column) == ("rule.conflict", 8, 3)
    assert (
        issue.message == "fact 'grade' is set by several rules (grade_a, grade_b) but declares no 'combine'"
    )


@pytest.mark.parametrize(
    ("amount", "offset", "message"),
    [
        ("m + day", 0, "cannot apply '+' to money and date"),
        ("m * 2 + day", 0, "cannot apply '+' to money and date"),
        ("m + (2 * day)", 5, "cannot apply '*' to int and date"),  # the inner product, at '2'
        ("max(m, day)", 0, "max() needs numbers"),
        ("m + names", 0, "cannot apply '+' to money and list of str"),
        ("sum(b.amount + day for b in bookings)", 4, "cannot apply '+' to money and date"),
    ],
)
def test_type_errors_are_located(amount: str, offset: int, message: str) -> None:
    text = HEAD + INPUTS + "rules:\n  - id: pay\n    label: {zh: 工资, en: Pay}\n"
    text += f"    line:\n      category: earning\n      amount: {amount}\n"
    (issue,) = refused(text)
    # INPUTS is lines 5-23; "      amount: …" is line 29 and the expression starts in column 15
    assert (issue.code, issue.line, issue.column, issue.rule_id) == ("expr.type", 29, 15 + offset, "pay")
    assert issue.message == message


def test_a_condition_must_be_true_or_false() -> None:
    text = HEAD + INPUTS + "rules:\n  - id: pay\n    label: {zh: 工资, en: Pay}\n    when: m\n"
    text += "    line: {category: earning, amount: m}\n"
    (issue,) = refused(text)
    # "    when: m" is line 27
    assert (issue.code, issue.line, issue.column) == ("expr.type", 27, 11)
    assert issue.message == "expected a condition (true/false), got money"


# -- lines per element, forfeits, notices ---------------------------------------------------


def test_for_each_makes_one_rounded_line_per_element() -> None:
    body = (
        INPUTS
        + """rules:
  - id: snack_bonus
    label: {zh: 小吃奖励, en: Snack bonus}
    for_each: b in bookings
    when: b.item == 'snack'
    line: {category: earning, amount: 0.05% * b.amount}
"""
    )
    slip = run(load(body), bookings=BOOKINGS)
    # 0.05% × 52,000.00 = 26.00; 0.05% × 1,000.50 = 0.500250 → 0.50 (each line rounded on its own)
    assert [(line.amount, line.index) for line in slip.lines] == [
        (Decimal("26.00"), 0),
        (Decimal("0.50"), 2),
    ]
    assert slip.total("snack_bonus") == Decimal("26.50")


def test_forfeit_takes_back_another_rules_lines() -> None:
    body = """inputs:
  sales: {type: money}
  absent_days: {type: int}
rules:
  - id: commission
    label: {zh: 提成, en: Commission}
    line: {category: earning, amount: 3% * sales}
  - id: commission_forfeiture
    label: {zh: 扣发提成, en: Commission forfeited}
    when: absent_days >= 3
    forfeit: {rule: commission, reason: {zh: 旷工3天以上, en: 3 or more absence days}}
"""
    ruleset = load(body)
    slip = run(ruleset, sales="52000", absent_days=3)
    # 3% × 52,000 = 1,560 earned and forfeited: net 0
    assert [(line.rule_id, line.amount) for line in slip.lines] == [
        ("commission", Decimal("1560.00")),
        ("commission_forfeiture", Decimal("-1560.00")),
    ]
    assert slip.net == Decimal("0.00")
    assert run(ruleset, sales="52000", absent_days=2).net == Decimal("1560.00")


def test_notice_placeholders_show_values() -> None:
    body = (
        INPUTS
        + """rules:
  - id: late_warning
    label: {zh: 迟到警告, en: Late warning}
    when: count(v for v in xs if v > 30) >= 2
    notice:
      kind: warning
      code: late
      text: {zh: "迟到 {count(xs)} 次", en: "{count(v for v in xs if v > 30)} of {count(xs)} over 30 min"}
"""
    )
    (notice,) = run(load(body), xs=[10, 45, 31]).notices
    assert (notice.kind, notice.code) == ("warning", "late")
    assert notice.text == {"zh": "迟到 3 次", "en": "2 of 3 over 30 min"}


def test_dates_and_periods() -> None:
    assert value("period_start(period)", "date") == dt.date(2024, 5, 1)
    assert value("period_end(period)", "date") == dt.date(2024, 5, 31)
    assert value("date_in_month(period, 1, 15)", "date") == dt.date(2024, 6, 15)  # the 15th of next month
    assert value("date_in_month(period, 0, 31)", "date", period="2024-02") == dt.date(2024, 2, 29)  # clamped
    assert value("day > period_start(period)", "bool") is True  # 2024-05-15 > 2024-05-01


def test_yaml_numbers_and_booleans_are_expressions_too() -> None:
    body = "rules:\n  - id: flat\n    label: {zh: 固定, en: Flat}\n    when: true\n"
    body += "    line: {category: earning, amount: 50}\n"
    assert only(run(load(body)), "flat").amount == Decimal("50.00")


# --- in_period dates ---------------------------------------------------------------------

IN_PERIOD = """inputs:
  bookings:
    type: list
    of:
      type: record
      fields:
        date: {type: date, in_period: true}
        amount: {type: money}
  door_days: {type: list, of: {type: date, in_period: true}}
facts:
  performance: {type: money, expr: sum(b.amount for b in bookings)}
"""


@pytest.mark.parametrize("as_text", [False, True])
@pytest.mark.parametrize(
    ("day", "inside"),
    [("2024-05-01", True), ("2024-05-31", True), ("2024-04-30", False), ("2024-06-01", False)],
)
def test_an_in_period_date_must_fall_in_the_period(day: str, inside: bool, as_text: bool) -> None:
    ruleset = load(IN_PERIOD)
    given: Any = day if as_text else dt.date.fromisoformat(day)
    booking = {"date": given, "amount": "100.00" if as_text else Decimal("100.00")}
    inputs = {"bookings": [{"date": dt.date(2024, 5, 2), "amount": Decimal("1.00")}, booking]}
    if inside:
        assert run(ruleset, **inputs).facts["performance"] == Decimal("101.00")  # 1.00 + 100.00
        return
    with pytest.raises(cmrules.InputError) as caught:
        run(ruleset, **inputs)
    (problem,) = caught.value.problems
    assert (problem.employee, problem.field, problem.value, problem.code) == (
        "E1",
        "bookings[1].date",
        day,
        "input.constraint",
    )
    assert "2024-05-01 to 2024-05-31" in problem.message


def test_every_date_outside_the_period_is_reported() -> None:
    with pytest.raises(cmrules.InputError) as caught:
        run(load(IN_PERIOD), door_days=["2024-05-03", "2024-02-29", "2025-05-03"])
    assert [(p.field, p.value) for p in caught.value.problems] == [
        ("door_days[1]", "2024-02-29"),
        ("door_days[2]", "2025-05-03"),
    ]


def test_in_period_is_only_for_dates() -> None:
    with pytest.raises(cmrules.RulesetError) as caught:
        load("inputs:\n  x: {type: int, in_period: true}\n")
    (issue,) = caught.value.errors
    assert (issue.code, issue.line) == ("schema.value", 6)
    assert "only for dates" in issue.message


# -- shadowing, str table cells, the power in explanations ----------------------------------


def test_a_for_each_let_or_loop_name_may_not_hide_a_declared_name() -> None:
    body = INPUTS + (  # rules start on line 24
        "rules:\n"
        "  - id: each\n    label: {zh: 每个, en: Each}\n"
        "    for_each: x in xs\n"  # line 27: 'x' is an input (column 15)
        "    let: {b: '1', each_b: '2'}\n"
        "    line: {category: earning, amount: x}\n"
        "  - id: shadow\n    label: {zh: 遮, en: Shadow}\n"
        "    for_each: b in bookings\n"
        "    let: {b: '1'}\n"  # line 33: the let hides the element (column 11)
        "    line: {category: earning, amount: 1}\n"
        "  - id: gen\n    label: {zh: 生, en: Gen}\n"
        "    line: {category: earning, amount: sum(m for m in xs)}\n"  # line 37: 'm' (column 49)
    )
    found = [(e.code, e.line, e.column, e.rule_id, e.message) for e in refused(HEAD + body)]
    assert found == [
        ("schema.name", 27, 15, "each", "for_each name 'x' hides a declared name"),
        (
            "schema.name",
            33,
            11,
            "shadow",
            "let name 'b' is not usable or hides a declared name (or the for_each name)",
        ),
        ("schema.name", 37, 49, "gen", "loop name 'm' hides a declared name"),
    ]


def test_a_comparison_in_a_str_table_column_is_refused() -> None:
    body = (
        "tables:\n  tb:\n    hit_policy: FIRST\n    inputs: [{name: k, type: str}]\n"
        "    output: {name: o, type: int}\n    default: 0\n"
        "    rows:\n      - {when: ['>= a'], then: 1}\n"  # line 12, the cell in column 17
        "      - {when: [['b', '[c..d]']], then: 2}\n"  # line 13: the list (column 17)
    )
    found = [(e.code, e.line, e.column) for e in refused(HEAD + body)]
    assert found == [("table.cell", 12, 17), ("table.cell", 13, 17)]


def test_a_power_is_explained_as_written() -> None:
    body = INPUTS + (
        "rules:\n  - id: p\n    label: {zh: 幂, en: Power}\n"
        "    line: {category: earning, amount: '(m - 1) ** 2 + (r ** 2) ** 2 + -r ** 2'}\n"
    )
    (line,) = run(load(body), m="3", r="1.5").lines
    # (3 − 1)² + (1.5²)² − 1.5² = 4 + 5.0625 − 2.25 = 6.8125 → 6.81
    assert line.explanation == "(3.00 − 1) ** 2 + (1.5 ** 2) ** 2 + −(1.5 ** 2) = 6.81"
    assert line.amount == Decimal("6.81")


# -- None: a value that may be None is only compared with == / != or stored ----------------

NONE_HEAD = (
    HEAD
    + INPUTS
    + (  # lines 5-23
        "tables:\n  prize:\n    hit_policy: FIRST\n    inputs: [{name: m, type: money}]\n"
        "    output: {name: p, type: str}\n    default: null\n"
        "    rows:\n      - {when: ['>= 100'], then: cup}\n"  # lines 24-31
        "  prize_value:\n    hit_policy: UNIQUE\n    inputs: [{name: p, type: str}]\n"
        "    output: {name: v, type: money}\n    rows:\n      - {when: [cup], then: 30}\n"  # lines 32-37
    )
)


@pytest.mark.parametrize(
    ("expr", "culprit"),
    [
        ("(m if flag else None) + 1", "m if"),
        ("sum((1, None))", "None"),
        ("1 if min(day, day) < (day if flag else None) else 2", "day if"),
        ("len(names if flag else None)", "names if"),
        ('1 if prize(m) < "b" else 2', "prize(m)"),  # a table with a null output
    ],
)
def test_a_value_that_may_be_none_is_refused_where_none_would_fail(expr: str, culprit: str) -> None:
    found = refused(NONE_HEAD + f"facts:\n  out: {{type: money, expr: '{expr}'}}\n")
    # "  out: {type: money, expr: '" puts the expression's first character in column 29
    column = 29 + expr.index(culprit)
    assert [(e.code, e.line, e.column) for e in found] == [("expr.type", 39, column)], "\n".join(
        map(str, found)
    )
    assert "can be None" in found[0].message or found[0].message.startswith("None (no value)")


def test_min_of_an_empty_list_of_dates_is_none_and_only_compared_with_eq() -> None:
    (issue,) = refused(
        HEAD + INPUTS + "facts:\n  early: {type: bool, expr: 'min(xs) < 3 and min(names) < day'}\n"
    )
    # min of ints is 0 when empty: fine; min of texts is not allowed at all
    assert issue.code == "expr.type"
    (issue,) = refused(
        HEAD + INPUTS + "facts:\n  first: {type: date, expr: 'min(day, day)'}\n"
        "  early: {type: bool, expr: 'min(b for b in (day,) if flag) < day'}\n"
    )
    assert (issue.code, issue.line, issue.column) == ("expr.type", 26, 30)
    body = INPUTS + "facts:\n  none_yet: {type: bool, expr: 'min(b for b in (day,) if flag) == None'}\n"
    assert run(load(body), scores=SCORES).facts["none_yet"] is True
    assert run(load(body), flag=True, scores=SCORES).facts["none_yet"] is False


def test_a_fact_that_may_be_none_is_checked_wherever_it_is_read() -> None:
    body = (
        "facts:\n  bonus: {type: money}\n  prized: {type: str, expr: prize(m)}\n"  # lines 38-40
        "  none_default: {type: int, default: null}\n"
        "rules:\n"
        "  - id: grant\n    label: {zh: 奖, en: Grant}\n"
        "    set: {bonus: '50 if flag else None'}\n"
        "  - id: pay\n    label: {zh: 付, en: Pay}\n"
        "    line: {category: earning, amount: bonus * 2}\n"  # line 49 (total is added): bonus
        "  - id: more\n    label: {zh: 多, en: More}\n"
        "    when: none_default > 1\n"  # line 52
        "    line: {category: earning, amount: 1}\n"
        "  - id: tell\n    label: {zh: 告, en: Tell}\n"
        "    when: prized != None\n"  # == and != take None, so does a text table column
        "    notice: {kind: prize, code: p, text: {zh: '{prize_value(prized)}', en: '{prized}'}}\n"
        "  - id: sum_up\n    label: {zh: 合, en: Sum}\n"
        "    contribute: {total: 'm if flag else None'}\n"  # line 60: the value, column 25
    )
    found = refused(
        NONE_HEAD + body.replace("  none_default", "  total: {type: money, combine: sum}\n  none_default")
    )
    assert [(e.code, e.line, e.column, e.rule_id) for e in found] == [
        ("expr.type", 49, 39, "pay"),
        ("expr.type", 52, 11, "more"),
        ("expr.type", 60, 25, "sum_up"),
    ], "\n".join(map(str, found))


def test_a_fact_that_may_be_none_works_with_eq_and_in_text_tables() -> None:
    body = (
        "facts:\n  prized: {type: str, expr: prize(m)}\n"
        "rules:\n  - id: tell\n    label: {zh: 告, en: Tell}\n"
        "    when: prized != None\n"
        "    line: {category: earning, amount: prize_value(prized)}\n"
    )
    ruleset = load(NONE_HEAD.removeprefix(HEAD) + body)
    assert [line.amount for line in run(ruleset, m="150", scores=SCORES).lines] == [Decimal("30.00")]
    assert run(ruleset, m="50", scores=SCORES).lines == []
