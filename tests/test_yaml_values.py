"""Numbers written in the YAML (not in expressions) are bounded like expression literals.

Parameters, dated values, tier brackets, table cells and outputs, fact defaults and
input bounds are refused at load, located, when they have more than 15 digits before
or after the decimal point: nothing of the kind may reach the evaluation as a bare
``decimal`` exception or a number too large for its 34 digits.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import cmrules
from cmrules.errors import Issue

HEAD = 'id: t\nversion: "1"\ntitle: {zh: 测试, en: Test}\neffective_from: 2024-01-01\n'  # lines 1-4


def rule(amount: str) -> str:
    head = "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n"
    return head + f"    line: {{category: earning, amount: '{amount}'}}\n"


def issues(text: str) -> list[Issue]:
    with pytest.raises(cmrules.RulesetError) as caught:
        cmrules.loads_ruleset(text, "bad.yaml")
    return caught.value.errors


TIER = "tiers:\n  t:\n    mode: marginal\n    brackets:\n      - {from: 0, rate: 1%}\n"  # lines 5-9
TABLE = (
    "tables:\n  tb:\n    hit_policy: FIRST\n    inputs: [{name: s, type: decimal}]\n"
    "    output: {name: o, type: money}\n    rows:\n"
)  # lines 5-10

# (what, YAML body, code, line, column): each body has exactly this one error
CASES = [
    ("money 1e30", "parameters:\n  p: {type: money, value: 1e30}\n" + rule("p"), "param.value", 6, 27),
    (
        "money '1e999999'",
        "parameters:\n  p: {type: money, value: '1e999999'}\n" + rule("p"),
        "param.value",
        6,
        27,
    ),
    (
        "rate 1E2000000%",
        "parameters:\n  p: {type: rate, value: 1E2000000%}\n" + rule("p * 1"),
        "param.value",
        6,
        26,
    ),
    (
        "decimal 1E-999999",
        "parameters:\n  p: {type: decimal, value: 1E-999999}\n" + rule("p"),
        "param.value",
        6,
        29,
    ),
    (
        "int of 40 digits",
        "parameters:\n  p: {type: int, value: " + "9" * 40 + "}\n" + rule("p"),
        "param.value",
        6,
        25,
    ),
    (
        "dated value",
        "parameters:\n  p:\n    type: money\n    values:\n      - {from: 2024-01-01, value: 1e20}\n"
        + rule("p"),
        "param.value",
        9,
        35,
    ),
    ("tier rate", TIER + "      - {from: 10, rate: 1E2000000%}\n" + rule("t(5)"), "param.value", 10, 26),
    ("tier from", TIER + "      - {from: 1e40, rate: 2%}\n" + rule("t(5)"), "param.value", 10, 16),
    (
        "table output",
        TABLE + "      - {when: ['-'], then: 1E2000000}\n" + rule("tb(5)"),
        "table.cell",
        11,
        29,
    ),
    ("table cell", TABLE + "      - {when: ['> 1E22'], then: 1}\n" + rule("tb(5)"), "table.cell", 11, 17),
    ("fact default", "facts:\n  f: {type: money, default: 1e40}\n" + rule("f"), "param.value", 6, 29),
    ("input bound", "inputs:\n  q: {type: money, ge: 1e99999999}\n" + rule("q"), "schema.value", 6, 24),
]


@pytest.mark.parametrize(("what", "body", "code", "line", "column"), CASES, ids=[c[0] for c in CASES])
def test_an_out_of_range_number_is_refused_at_load(
    what: str, body: str, code: str, line: int, column: int
) -> None:
    found = issues(HEAD + body)
    # one error: the readers of a refused parameter, table or tier are not reported again
    assert [(e.code, e.line, e.column) for e in found] == [(code, line, column)], "\n".join(map(str, found))
    assert "out of range" in found[0].message


def test_the_largest_numbers_in_range_are_exact() -> None:
    ruleset = cmrules.loads_ruleset(
        HEAD
        + "parameters:\n  big: {type: money, value: 999999999999999.99}\n"
        + "  small: {type: decimal, value: 0.000000000000001}\n"
        + "facts:\n  tiny: {type: decimal, expr: small * 2}\n"
        + rule("big")
    )
    slip = ruleset.evaluate({"employee": "E1", "period": "2024-05"})
    assert slip.net == Decimal("999999999999999.99")
    assert slip.facts["tiny"] == Decimal("0.000000000000002")


def test_a_money_table_output_has_at_most_the_rulesets_places() -> None:
    (issue,) = issues(HEAD + TABLE + "      - {when: ['-'], then: 1.005}\n" + rule("tb(5)"))
    assert (issue.code, issue.line, issue.column) == ("table.cell", 11, 29)
    assert issue.message == "row 1 output: 1.005 has more decimal places than the ruleset's 2"


def test_a_list_fact_default_other_than_empty_is_refused() -> None:
    (issue,) = issues(HEAD + "facts:\n  seen: {type: list, combine: list, default: [1, 2]}\n")
    assert (issue.code, issue.line, issue.column) == ("param.value", 6, 46)
