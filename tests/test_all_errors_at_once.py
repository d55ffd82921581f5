"""One load reports every problem of a file it soundly can.

A schema problem in one entry (a rule, a parameter …) is mended where it can be (an
unknown key dropped, a value outside its choices replaced by one) so that the entry's own
expressions are still checked and nothing reading it is reported again; otherwise that
entry is left out and the others are still compiled, so their expression errors are
reported too; the readers of a left-out entry are not reported again as reading unknown
names, nor the readers of a let or for_each name whose own expression failed. A duplicate YAML
key keeps its first value and the file is still checked. Only a broken ``rounding``
(or a section of the wrong shape) stops the checks after the schema.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import cmrules

HEAD = 'id: t\nversion: "1"\ntitle: {zh: 测试, en: Test}\neffective_from: 2024-01-01\n'  # lines 1-4
INPUTS = "inputs:\n  sales: {type: money}\n"  # lines 5-6


def found(text: str) -> list[tuple[str, int, int, str | None]]:
    with pytest.raises(cmrules.RulesetError) as caught:
        cmrules.loads_ruleset(text, "bad.yaml")
    errors = caught.value.errors
    assert all(e.excerpt.rstrip().endswith("^") for e in errors)
    return [(e.code, e.line, e.column, e.rule_id) for e in errors]


def rule(rid: str, line: str) -> str:
    return f"  - id: {rid}\n    label: {{zh: 规则, en: Rule}}\n    line: {line}\n"


def test_a_schema_error_in_one_rule_and_an_unknown_name_in_another() -> None:
    text = (
        HEAD
        + INPUTS
        + "rules:\n"
        + rule("a", "{category: bonus, amount: sales}")  # line 10: 'bonus' in column 22
        + rule("b", "{category: earning, amount: salse}")  # line 13: 'salse' in column 39
    )
    assert found(text) == [
        ("schema.value", 10, 22, "a"),
        ("expr.unknown_name", 13, 39, "b"),
    ]


def test_the_readers_of_a_broken_entry_are_not_reported_again() -> None:
    text = (
        HEAD
        + INPUTS
        + "parameters:\n  p: {type: mony, value: 1}\n"  # line 8: 'mony' in column 13
        + "facts:\n  f: {type: money, exprr: sales}\n"  # line 10: 'exprr' in column 20
        + "rules:\n"
        + rule("a", "{category: earning, amount: sales, extra: 1}")  # line 14: 'extra' in column 46
        + rule("b", "{category: earning, amount: p + f + lines.a}")  # p, f and a are reported above
        + "  - id: c\n    label: {zh: 丙, en: C}\n    forfeit: {rule: a}\n"  # a's rule is reported
        + "  - id: d\n    label: {zh: 丁, en: D}\n    set: {f: sales}\n"  # and so is f
        + rule("e", "{category: earning, amount: sales + d}")  # line 26: 'd' in column 47
    )
    assert found(text) == [
        ("schema.value", 8, 13, None),
        ("schema.unknown_key", 10, 20, None),
        ("schema.unknown_key", 14, 46, "a"),
        ("expr.unknown_name", 26, 47, "e"),
    ]


def test_a_duplicate_key_does_not_hide_the_other_errors() -> None:
    text = (
        HEAD
        + INPUTS
        + "  sales: {type: int}\n"  # line 7: the duplicate 'sales' in column 3
        + "facts:\n  x: {type: money, expr: y}\n  y: {type: money, expr: x}\n"  # the cycle at line 9
        + "rules:\n"
        + rule("a", "{category: earning, amount: salse}")  # line 14: 'salse' in column 39
    )
    assert found(text) == [
        ("yaml.duplicate_key", 7, 3, None),
        ("rule.cycle", 9, 26, None),
        ("expr.unknown_name", 14, 39, "a"),
    ]


def test_a_duplicate_key_keeps_its_first_value() -> None:
    text = HEAD + "parameters:\n  p: {type: int, value: 1, value: x}\nfacts:\n  f: {type: int, expr: p + q}\n"
    # the second 'value' (column 28) is refused, the first is a good int: only 'q' is unknown
    assert found(text) == [("yaml.duplicate_key", 6, 28, None), ("expr.unknown_name", 8, 28, None)]


def test_header_problems_that_nothing_depends_on_do_not_stop_the_checks() -> None:
    text = (
        'id: Bad\nversion: "1"\neffective_from: 2024-01-01\neffective_to: 2023-01-01\n'
        + INPUTS
        + "rules:\n"
        + rule("a", "{category: earning, amount: salse}")  # line 10
    )
    assert found(text) == [
        ("schema.missing_key", 1, 1, None),  # no title
        ("schema.value", 1, 1, None),  # effective_to before effective_from
        ("schema.value", 1, 5, None),  # 'Bad' is not an id
        ("expr.unknown_name", 10, 39, "a"),
    ]


def test_a_broken_rounding_stops_the_checks_after_the_schema() -> None:
    # money places depend on it: the parameter's 2.555 could not be judged
    text = HEAD + "rounding: {places: two}\nparameters:\n  p: {type: money, value: 2.555}\n" + INPUTS
    assert found(text) == [("schema.type", 5, 20, None)]


# -- issue 11: one schema error gives one error, and hides none --------------------------------

BAR = Path(__file__).resolve().parent.parent / "rulesets" / "bar_customer_manager.yaml"


def bar_with(old: str, new: str) -> list[cmrules.errors.Issue]:
    text = BAR.read_text(encoding="utf-8")
    assert text.count(old) == 1
    with pytest.raises(cmrules.RulesetError) as caught:
        cmrules.loads_ruleset(text.replace(old, new), "bar.yaml")
    return caught.value.errors


def test_a_category_typo_in_the_bar_ruleset_is_one_error_with_a_suggestion() -> None:
    """It was 1 real and 5 false errors (a rule reading lines.base_pay through a let)."""
    errors = bar_with(
        "category: earning\n      amount: base_salary", "category: earnig\n      amount: base_salary"
    )
    assert [(e.code, e.rule_id) for e in errors] == [("schema.value", "base_pay")]
    assert errors[0].message.endswith("did you mean 'earning'?")


def test_an_unknown_key_in_the_bar_ruleset_is_one_error_with_a_suggestion() -> None:
    errors = bar_with("      amount: base_salary", "      amout: 1\n      amount: base_salary")
    assert [(e.code, e.rule_id) for e in errors] == [("schema.unknown_key", "base_pay")]
    assert errors[0].message == "unknown key 'amout' in rules.0.line; did you mean 'amount'?"


def test_a_broken_let_is_one_error_not_one_per_reader() -> None:
    errors = bar_with(
        "month_wage: lines.base_pay + lines.commission", "month_wage: lines.base_pay + lines.comission"
    )
    assert [(e.code, e.rule_id) for e in errors] == [("expr.unknown_name", "deduction_cap_exceeded")]
    assert "did you mean 'commission'?" in errors[0].message


def test_a_schema_error_in_a_rule_does_not_hide_its_expression_errors() -> None:
    text = (
        HEAD + INPUTS + "rules:\n" + rule("a", "{category: earnig, amount: salse, colour: red}")  # line 10
    )
    # 'earnig' in column 22, 'salse' in column 38, 'colour' in column 45
    assert found(text) == [
        ("schema.value", 10, 22, "a"),
        ("expr.unknown_name", 10, 38, "a"),
        ("schema.unknown_key", 10, 45, "a"),
    ]


def test_a_broken_for_each_does_not_hide_the_rule_nor_cascade() -> None:
    text = (
        HEAD
        + INPUTS
        + "rules:\n  - id: a\n    label: {zh: 规则, en: Rule}\n"
        + "    for_each: b in bookngs\n"  # line 10: 'bookngs' in column 20
        + "    when: salse > 0 and b > 0\n"  # line 11: 'salse' in column 11
        + "    line: {category: earning, amount: b}\n"
    )
    assert found(text) == [("expr.unknown_name", 10, 20, "a"), ("expr.unknown_name", 11, 11, "a")]
