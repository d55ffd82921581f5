"""One load reports every problem of a file it soundly can.

A schema problem in one entry (a rule, a parameter …) leaves that entry out and the
others are still compiled, so their expression errors are reported too; the readers
of a left-out entry are not reported again as reading unknown names. A duplicate YAML
key keeps its first value and the file is still checked. Only a broken ``rounding``
(or a section of the wrong shape) stops the checks after the schema.
"""

from __future__ import annotations

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
