"""Errors of includes: a wrong module header is told what a module's header is, located in
its file (never pydantic's wording), and a clash or an override of nothing does not hide the
other problems of the same load."""

from __future__ import annotations

from pathlib import Path

import cmrules
from cmrules.commands import check_paths
from tests.test_include import HEAD, RATES, errors, write

SHAPE = "a module starts with 'module: <name>'"


def where(issue: cmrules.errors.Issue) -> tuple[str, str, int, int]:
    return issue.code, Path(issue.file).name, issue.line, issue.column


# (a) a wrong header


def test_a_module_with_a_ruleset_header_key_is_told_what_a_module_header_is(tmp_path: Path) -> None:
    main = write(tmp_path, main=HEAD + "include: [rates.yaml]\n", rates="cmrules: 1\n" + RATES)
    [issue] = errors(main)
    assert where(issue) == ("include.file", "rates.yaml", 1, 1)  # at the key, not its value
    assert "'cmrules' is a ruleset's header key, not a module's" in issue.message
    assert SHAPE in issue.message and "Extra inputs" not in issue.message
    assert f"included at {tmp_path / 'main.yaml'}:6:11" in issue.message
    assert issue.excerpt.splitlines()[0].endswith("cmrules: 1")


def test_every_ruleset_key_of_a_module_is_reported_at_once(tmp_path: Path) -> None:
    header = 'id: rates\nversion: "2"\neffective_from: 2024-01-01\n'
    main = write(tmp_path, main=HEAD + "include: [rates.yaml]\n", rates=RATES + header)
    issues = errors(main)
    assert [where(i) for i in issues] == [
        ("include.file", "rates.yaml", 10, 1),
        ("include.file", "rates.yaml", 11, 1),
        ("include.file", "rates.yaml", 12, 1),
    ]
    assert [i.message.split(" is a ")[0] for i in issues] == ["'id'", "'version'", "'effective_from'"]


def test_a_ruleset_included_as_a_module_is_told_what_a_module_header_is(tmp_path: Path) -> None:
    main = write(tmp_path, main=HEAD + "include: [other.yaml]\n", other=HEAD)
    [issue] = errors(main)
    assert where(issue) == ("include.file", "main.yaml", 6, 11)  # the include line
    assert "'other.yaml' is a ruleset" in issue.message and SHAPE in issue.message
    assert f"{tmp_path / 'other.yaml'}:1:1" in issue.message  # where its ruleset header starts


def test_a_file_that_is_neither_says_what_a_module_header_is(tmp_path: Path) -> None:
    main = write(tmp_path, main=HEAD + "include: [other.yaml]\n", other="rates: 3\n")
    [issue] = errors(main)
    assert where(issue) == ("include.file", "main.yaml", 6, 11)
    assert "'other.yaml' is not a module" in issue.message and SHAPE in issue.message


def test_a_bad_module_name_says_what_a_name_is(tmp_path: Path) -> None:
    rates = RATES.replace("demo/rates", "Demo Rates")
    [issue] = errors(write(tmp_path, main=HEAD + "include: [rates.yaml]\n", rates=rates))
    assert where(issue) == ("include.file", "rates.yaml", 1, 9)
    assert "module name 'Demo Rates'" in issue.message and "lowercase words joined by '/'" in issue.message
    assert "String should match pattern" not in issue.message


def test_an_unknown_module_key_is_located_at_the_key_with_a_suggestion(tmp_path: Path) -> None:
    rates = RATES.replace("parameters:", "paramters:")
    [issue] = errors(write(tmp_path, main=HEAD + "include: [rates.yaml]\n", rates=rates))
    assert where(issue) == ("include.file", "rates.yaml", 2, 1)
    assert "unknown key 'paramters' in a module; did you mean 'parameters'?" in issue.message
    assert "Extra inputs" not in issue.message


def test_a_module_checked_on_its_own_with_a_ruleset_header_key(tmp_path: Path) -> None:
    write(tmp_path, rates="cmrules: 1\n" + RATES)
    [result] = check_paths([tmp_path / "rates.yaml"])
    [issue] = result.issues
    assert where(issue) == ("include.file", "rates.yaml", 1, 1)
    assert "'cmrules' is a ruleset's header key" in issue.message and "check of" not in issue.message


def test_a_ruleset_whose_include_is_not_a_list(tmp_path: Path) -> None:
    [issue] = errors(write(tmp_path, main=HEAD + "include: rates.yaml\n", rates=RATES))
    assert where(issue) == ("include.file", "main.yaml", 6, 10)
    assert "include lists modules" in issue.message and "valid list" not in issue.message


# (b) a clash hides nothing


def test_a_clash_does_not_hide_the_other_errors_of_the_load(tmp_path: Path) -> None:
    text = (
        HEAD
        + "include: [rates.yaml]\n"
        + "parameters:\n  rate: {type: rate, value: 5%}\n"  # line 8: the clash
        + "rules:\n"
        + "  - id: bonus\n    label: {zh: 奖, en: B}\n"
        + "    line: {category: bonus, amount: sales}\n"  # line 12: 'bonus' in column 22
        + "  - id: other\n    label: {zh: 奖, en: B}\n"
        + "    line: {category: earning, amount: salse}\n"  # line 15: 'salse' in column 39
    )
    issues = errors(write(tmp_path, main=text, rates=RATES))
    assert [where(i) for i in issues] == [
        ("include.clash", "main.yaml", 8, 3),
        ("schema.value", "main.yaml", 12, 22),
        ("expr.unknown_name", "main.yaml", 15, 39),
    ]


def test_every_clash_and_an_error_inside_a_module_are_reported_together(tmp_path: Path) -> None:
    text = (
        HEAD
        + "include: [rates.yaml]\n"
        + "inputs:\n  sales: {type: money}\n"  # line 8: a clash
        + "rules:\n  - id: commission\n    label: {zh: 提成, en: C}\n"  # line 10: a clash
        + "    line: {category: earning, amount: 7}\n"
    )
    rates = RATES.replace("sales * rate", "sales * rat")  # line 9 of rates.yaml
    issues = errors(write(tmp_path, main=text, rates=rates))
    assert [where(i) for i in issues] == [
        ("include.clash", "main.yaml", 8, 3),
        ("include.clash", "main.yaml", 10, 9),
        ("expr.unknown_name", "rates.yaml", 9, 47),
    ]
    assert f"included at {tmp_path / 'main.yaml'}:6:11" in issues[2].message


def test_an_override_of_nothing_does_not_hide_the_other_errors(tmp_path: Path) -> None:
    text = (
        HEAD
        + "include: [rates.yaml]\noverrides:\n  parameters:\n    rat: {type: rate, value: 5%}\n"
        + "facts:\n  f: {type: money, expr: salse}\n"  # line 11: 'salse' in column 26
    )
    issues = errors(write(tmp_path, main=text, rates=RATES))
    assert [where(i) for i in issues] == [
        ("include.override", "main.yaml", 9, 5),
        ("expr.unknown_name", "main.yaml", 11, 26),
    ]


def test_a_module_that_cannot_be_read_still_stops_before_its_readers_are_checked(tmp_path: Path) -> None:
    text = HEAD + "include: [nope.yaml]\nfacts:\n  f: {type: money, expr: sales}\n"
    issues = errors(write(tmp_path, main=text))
    assert [where(i) for i in issues] == [("include.file", "main.yaml", 6, 11)]  # no 'unknown sales'


def test_a_module_title_that_is_not_bilingual_says_what_a_title_is(tmp_path: Path) -> None:
    rates = RATES.replace("module: demo/rates\n", "module: demo/rates\ntitle: Rates\n")
    [issue] = errors(write(tmp_path, main=HEAD + "include: [rates.yaml]\n", rates=rates))
    assert where(issue) == ("include.file", "rates.yaml", 2, 8)
    assert "title is a label in both languages, {zh: …, en: …}" in issue.message
    assert "instance of Bilingual" not in issue.message


def test_items_in_a_module_are_not_called_a_header_key(tmp_path: Path) -> None:
    module = RATES + 'items:\n  "s in sales_list": {fee: s}\n'
    main = write(tmp_path, rates=module, main=HEAD + "include: [rates.yaml]\n")
    [issue] = [issue for issue in errors(main) if "items" in issue.message]
    assert "'items' (values per item of a list) are declared by the ruleset, not by a module" in issue.message
    assert "header key" not in issue.message
