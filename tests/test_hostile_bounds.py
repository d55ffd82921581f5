"""Hostile rulesets stay bounded: whole numbers, loops inside a rule's for_each, many errors at
once, and declared names that only look different (issue 11)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

import cmrules
from cmrules import _yaml
from cmrules.errors import Issue, IssueSink

HEAD = 'id: t\nversion: "1"\ntitle: {zh: 测试, en: Test}\neffective_from: 2024-01-01\n'  # lines 1-4


def errors_of(text: str) -> list[Issue]:
    with pytest.raises(cmrules.RulesetError) as caught:
        cmrules.loads_ruleset(text, "evil.yaml")
    return caught.value.errors


def fact_ruleset(expr: str, lets: str = "") -> str:
    """Fact ``big`` (line 8) computed by ``expr`` from the int input ``n``, and a rule with ``lets``."""
    return (
        HEAD
        + "inputs:\n  n: {type: int}\n"
        + f'facts:\n  big: {{type: int, expr: "{expr}"}}\n'
        + "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n"
        + (f"    let:\n{lets}" if lets else "")
        + "    line: {category: earning, amount: 1}\n"
    )


def power_chain(base: str, levels: int) -> str:
    expr = base
    for _ in range(levels):
        expr = f"({expr})**12"
    return expr


# -- 1. whole numbers are bounded like decimals ----------------------------------------------


@pytest.mark.parametrize("levels", [2, 3, 7])
def test_a_constant_power_chain_is_refused_at_load(levels: int) -> None:
    found = errors_of(fact_ruleset(power_chain("9", levels)))
    # 9**12 has 12 digits; (9**12)**12 has 138: the second power, which starts at the
    # (levels - 1)th '(' of the expression (the expression starts in column 27 of line 8)
    assert [(e.code, e.line, e.column) for e in found] == [("expr.overflow", 8, 27 + levels - 2)]
    assert "more than 34 digits" in found[0].message


def test_constants_within_34_digits_still_compute_exactly() -> None:
    slip = cmrules.loads_ruleset(fact_ruleset("(9**12)**2 + n")).evaluate(
        {"employee": "E1", "period": "2024-05", "n": 1}
    )
    assert slip.facts["big"] == 9**24 + 1  # 23 digits


@pytest.mark.parametrize("levels", [2, 4, 7])
def test_a_power_chain_of_an_input_fails_the_rule_at_once(levels: int) -> None:
    """Seven levels ran for minutes per slip, and four made ``to_json`` fail; now the rule fails."""
    ruleset = cmrules.loads_ruleset(fact_ruleset(power_chain("n", levels)))
    start = time.perf_counter()
    with pytest.raises(cmrules.EvaluationError) as caught:
        ruleset.evaluate({"employee": "E1", "period": "2024-05", "n": 9})
    assert time.perf_counter() - start < 1
    error = caught.value
    assert (error.employee, error.rule_id, error.code) == ("E1", "big", "eval.arithmetic")
    assert "whole number with more than 34 digits" in error.message


def test_products_of_lets_doubling_digits_fail_the_rule() -> None:
    """``a*a`` through 20 lets would have 2**20 times the digits of ``n``."""
    lets = "      a0: n * n\n" + "".join(f"      a{i}: a{i - 1} * a{i - 1}\n" for i in range(1, 20))
    text = fact_ruleset("n", lets).replace("amount: 1", "amount: a19")
    ruleset = cmrules.loads_ruleset(text)
    with pytest.raises(cmrules.EvaluationError, match="more than 34 digits") as caught:
        ruleset.evaluate({"employee": "E1", "period": "2024-05", "n": 99})
    assert caught.value.rule_id == "r"


@pytest.mark.parametrize(
    ("expr", "n", "ok"),
    [
        # int inputs have at most 15 digits
        ("n * n * 100000", 10**14, True),  # 10**33: 34 digits
        ("n * n * 1000000", 10**14, False),  # 10**34: 35 digits
        ("n * n * n", 10**14, False),
        ("n * n * 99999 + n * n * 99999", 10**14, True),
        ("n * n * 99999 + n * n * 99999 * 10", 10**14, False),
        ("-(n * n * 99999) - n * n * 99999 * 10", 10**14, False),
        ("(n * 10) ** 2", 10**14, True),
        ("(n * 10) ** 3", 10**14, False),
        ("sum(x * n * 100000 for x in [n, n, n, n, n, n, n, n, n])", 10**14 - 1, True),
        ("sum(x * 100000 * n for x in [n, n, n, n, n, n, n, n, n, n, n])", 10**14, False),
    ],
)
def test_whole_numbers_stop_at_34_digits(expr: str, n: int, ok: bool) -> None:
    ruleset = cmrules.loads_ruleset(fact_ruleset(expr))
    record = {"employee": "E1", "period": "2024-05", "n": n}
    if ok:
        assert len(str(abs(ruleset.evaluate(record).facts["big"]))) <= 34
    else:
        with pytest.raises(cmrules.EvaluationError, match="more than 34 digits"):
            ruleset.evaluate(record)


# -- 2. a rule's for_each counts in the generator budget -------------------------------------

FOR_EACH = (
    HEAD
    + "inputs:\n  l: {type: list, of: {type: int}, max_items: 100000}\n"
    + "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n    for_each: a in l\n"
    + "    when: WHEN\n"
    + "    line: {category: earning, amount: 1}\n"
)  # the rule's when is line 11, its text from column 11


def test_two_nested_generators_inside_a_for_each_are_refused() -> None:
    """Cubic work: 45.9 s for one employee with 1,000 items."""
    when = "count(b for b in l if any(c == 1 + a * b for c in l)) > 0"
    found = errors_of(FOR_EACH.replace("WHEN", when))
    # the inner generator's '(' after 'any' is offset 25 of the expression
    assert [(e.code, e.line, e.column, e.rule_id) for e in found] == [("expr.too_complex", 11, 36, "r")]
    assert "the rule's for_each counts as one" in found[0].message


@pytest.mark.parametrize(
    "when",
    ["count(b for b in l if b > a) > 0", "any(b > a for b in l) and all(c >= 0 for c in l)"],
)
def test_one_generator_inside_a_for_each_is_quadratic_and_allowed(when: str) -> None:
    ruleset = cmrules.loads_ruleset(FOR_EACH.replace("WHEN", when))
    slip = ruleset.evaluate({"employee": "E1", "period": "2024-05", "l": [1, 2, 3]})
    assert len(slip.lines) == 2  # a = 1 and a = 2 have a larger element


def test_two_nested_generators_without_for_each_are_still_allowed() -> None:
    when = "count(b for b in l if any(c > b for c in l)) > 0"
    text = FOR_EACH.replace("WHEN", when).replace("    for_each: a in l\n", "")
    assert cmrules.loads_ruleset(text).evaluate({"employee": "E1", "period": "2024-05", "l": [1, 2]}).lines


# -- 3. check is linear in the number of errors ----------------------------------------------


def many_errors(count: int) -> str:
    rule = (
        "  - id: r{i}\n    label: {{zh: a, en: R}}\n    when: y{i}\n"
        "    line: {{category: earning, amount: 1}}\n"
    )
    return HEAD + "inputs:\n  x: {type: int}\nrules:\n" + "".join(rule.format(i=i) for i in range(count))


class _CountingPattern:
    """Stands in for the line-break pattern and counts the scans of the whole text."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern, self.scans = pattern, 0

    def finditer(self, *args: Any) -> Any:
        self.scans += 1
        return self.pattern.finditer(*args)


def test_the_line_breaks_are_found_once_for_all_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = _CountingPattern(_yaml._BREAK)
    monkeypatch.setattr(_yaml, "_BREAK", counting)
    found = errors_of(many_errors(500))
    assert len(found) == 500 and found[-1].line == 10 + 4 * 499
    assert counting.scans <= 2  # was one scan of the file per error


class _CountingText(str):
    splits = 0

    def splitlines(self, keepends: bool = False) -> list[str]:
        type(self).splits += 1
        return super().splitlines(keepends)


def test_the_excerpts_split_the_source_once() -> None:
    sink = IssueSink("f.yaml", _CountingText("a\nb\nc\n" * 1000))
    for line in range(1, 1001):
        sink.add("expr.syntax", "bad", line, 1)
    assert _CountingText.splits == 1  # was one split of the file per error
    assert sink.issues[-1].excerpt == "  1000 | a\n       | ^"


@pytest.mark.slow
def test_ten_thousand_errors_in_a_megabyte_are_checked_in_seconds(tmp_path: Path) -> None:
    """240 s before (one rescan of the 958 KB file per error)."""
    text = many_errors(10_000)
    assert 900_000 < len(text.encode()) < 1_000_000
    start = time.perf_counter()
    found = errors_of(text)
    elapsed = time.perf_counter() - start
    assert len(found) == 10_000
    assert elapsed < 60, f"{elapsed:.1f} s"


# -- 4. declared names compare in NFKC form, as expressions read them ------------------------


@pytest.mark.parametrize(
    ("body", "line", "column"),
    [
        # the full-width input on line 7 is 'sales' to every expression
        ("inputs:\n  sales: {type: money}\n  ｓａｌｅｓ: {type: money}\n", 7, 3),
        # a parameter beside an input
        # a parameter beside an input (inputs are declared first)
        ("parameters:\n  rate: {type: rate, value: 3%}\ninputs:\n  ｒａｔｅ: {type: money}\n", 6, 3),
        # a fact beside an input (ligature 'ﬁ' is 'fi')
        ("inputs:\n  fine: {type: money}\nfacts:\n  ﬁne: {type: money, default: 0}\n", 8, 3),
    ],
    ids=["input", "parameter", "fact"],
)
def test_a_name_that_reads_as_a_declared_one_is_a_duplicate(body: str, line: int, column: int) -> None:
    rules = "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n    line: {category: earning, amount: 1}\n"
    found = errors_of(HEAD + body + rules)
    assert [(e.code, e.line, e.column) for e in found] == [("schema.duplicate_name", line, column)]
    assert "is already declared as" in found[0].message


def test_a_record_field_that_reads_as_another_is_a_duplicate() -> None:
    text = (
        HEAD
        + "inputs:\n  bookings:\n    type: list\n    of:\n      type: record\n      fields:\n"
        + "        amount: {type: money}\n        ａｍｏｕｎｔ: {type: money}\n"  # line 12
        + "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n"
        + "    line: {category: earning, amount: 'sum(b.amount for b in bookings)'}\n"
    )
    found = errors_of(text)
    assert [(e.code, e.line, e.column) for e in found] == [("schema.duplicate_name", 12, 9)]


@pytest.mark.parametrize(
    ("let", "column"), [("      x: 1\n      ｘ: 2\n", 7), ("      ａ: 1\n", 7)], ids=["let", "for_each"]
)
def test_a_let_that_reads_as_another_name_is_refused(let: str, column: int) -> None:
    text = (
        HEAD
        + "inputs:\n  l: {type: list, of: {type: int}}\n"
        + "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n    for_each: a in l\n    let:\n"
        + let
        + "    line: {category: earning, amount: x}\n"
    )
    found = errors_of(text)
    assert ("schema.name", 13 if "ｘ" in let else 12, column) in [(e.code, e.line, e.column) for e in found]


def test_a_name_that_reads_as_a_function_or_keyword_is_refused() -> None:
    text = HEAD + "inputs:\n  ｍａｘ: {type: money}\n  ｉｆ: {type: money}\n"
    found = errors_of(
        text + "rules:\n  - id: r\n    label: {zh: a, en: R}\n    line: {category: earning, amount: 1}\n"
    )
    assert [(e.code, e.line) for e in found] == [("schema.name", 6), ("schema.name", 7)]


def test_a_lone_full_width_name_is_read_by_either_spelling() -> None:
    text = (
        HEAD
        + "inputs:\n  ｓａｌｅｓ: {type: money}\n  bookings:\n    type: list\n    of:\n"
        + "      type: record\n      fields: {ａｍｏｕｎｔ: {type: money}}\n"
        + "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n"
        + "    line: {category: earning, amount: 'sales + ｓａｌｅｓ + sum(b.amount for b in bookings)'}\n"
    )
    slip = cmrules.loads_ruleset(text).evaluate(
        {"employee": "E1", "period": "2024-05", "ｓａｌｅｓ": "10", "bookings": [{"ａｍｏｕｎｔ": "1"}]}
    )
    assert str(slip.net) == "21.00"
