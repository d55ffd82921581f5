"""Numbers written in the YAML (not in expressions) are bounded like expression literals.

Parameters, dated values, tier brackets, table cells and outputs, fact defaults and
input bounds are refused at load, located, when they have more than 15 digits before
or after the decimal point: nothing of the kind may reach the evaluation as a bare
``decimal`` exception or a number too large for its 34 digits.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import cmrules
from cmrules import _yaml
from cmrules.errors import Issue, IssueSink
from cmrules.sources import FloatLiteral, InputFileError, read_inputs
from cmrules.testing import load_cases
from cmrules.testing import run_case_file as run_file

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


# -- input defaults: validated at load like a given value, and stored converted ------------

DEFAULTS = """inputs:
  m: {type: money, default: "2.22"}
  l: {type: list, of: {type: money}, default: ["1.11", "2.22"]}
  ones: {type: list, of: {type: money}, default: [1]}
  hired: {type: date, default: "2024-05-03"}
  office: {type: record, fields: {city: {type: str}, staff: {type: int}}, default: {city: Tianjin, staff: 3}}
  marks: {type: map, values: {type: decimal}, default: {a: "1.5", b: 2}}
facts:
  m_in_l: {type: bool, expr: m in l}
  hits: {type: int, expr: count(v for v in l if v == m)}
  hired_before: {type: bool, expr: hired < period_start(period)}
  staff: {type: int, expr: office.staff}
  marks_total: {type: decimal, expr: sum(values(marks))}
rules:
  - {id: each_one, label: {zh: 一, en: One}, for_each: v in ones, line: {category: earning, amount: v}}
"""


def test_input_defaults_are_stored_converted() -> None:
    doc = cmrules.loads_ruleset(HEAD + DEFAULTS).doc
    got = {name: spec.default for name, spec in doc.inputs.items()}
    assert got == {
        "m": Decimal("2.22"),
        "l": [Decimal("1.11"), Decimal("2.22")],
        "ones": [Decimal("1.00")],
        "hired": dt.date(2024, 5, 3),
        "office": {"city": "Tianjin", "staff": 3},
        "marks": {"a": Decimal("1.5"), "b": Decimal(2)},
    }
    assert [str(v) for v in got["ones"]] == ["1.00"]  # the ruleset's places


def test_input_defaults_are_used_as_their_declared_types() -> None:
    slip = cmrules.loads_ruleset(HEAD + DEFAULTS).evaluate({"employee": "E1", "period": "2024-06"})
    assert slip.facts == {
        "m_in_l": True,  # 2.22 is in [1.11, 2.22] as money, not as text
        "hits": 1,
        "hired_before": True,  # 2024-05-03 < 2024-06-01
        "staff": 3,
        "marks_total": Decimal("3.5"),  # 1.5 + 2
    }
    assert [(line.rule_id, line.amount) for line in slip.lines] == [("each_one", Decimal("1.00"))]


# (what, inputs section, line, column of the bad value, words of the message)
BAD_DEFAULTS = [
    ("money too large", "inputs:\n  q: {type: money, default: 1e40}\n", 6, 29, "out of range"),
    ("money places", "inputs:\n  q: {type: money, default: 1.005}\n", 6, 29, "decimal places"),
    ("below ge", "inputs:\n  q: {type: int, ge: 0, default: -1}\n", 6, 34, "greater than or equal to 0"),
    ("not a date", "inputs:\n  q: {type: date, default: '2024-13-01'}\n", 6, 28, "date"),
    ("null", "inputs:\n  q: {type: str, default: null}\n", 6, 27, "is null"),
    ("list element", "inputs:\n  q: {type: list, of: {type: money}, default: ['1.11', x]}\n", 6, 56, "q[1]"),
    (
        "record field",
        "inputs:\n  q:\n    type: record\n    fields: {n: {type: int}}\n    default: {n: two}\n",
        9,
        18,
        "q.n",
    ),
    ("enum", "inputs:\n  q: {type: str, enum: [a, b], default: c}\n", 6, 41, "'a' or 'b'"),
]


@pytest.mark.parametrize(
    ("what", "body", "line", "column", "words"), BAD_DEFAULTS, ids=[c[0] for c in BAD_DEFAULTS]
)
def test_a_bad_input_default_is_refused_at_load(
    what: str, body: str, line: int, column: int, words: str
) -> None:
    (issue,) = issues(HEAD + body)
    assert (issue.code, issue.line, issue.column) == ("schema.value", line, column), str(issue)
    assert words in issue.message


# -- one YAML reader: rulesets, input files and tests files read values alike -------------

# (YAML scalar, the value every file reads; where Decimal, an input file keeps a FloatLiteral)
SCALARS = [
    ("12", 12),
    ("-3", -3),
    ("+5", 5),
    ("0012", "0012"),  # an id, not octal 10
    ("0x1F", "0x1F"),
    ("0b101", "0b101"),
    ("1_000", "1_000"),
    ("1:30", "1:30"),  # not sexagesimal 90
    ("1.50", Decimal("1.50")),
    ("1_000.50", Decimal("1000.50")),
    ("true", True),
    ("False", False),
    ("yes", "yes"),  # YAML 1.1 booleans stay text
    ("no", "no"),
    ("off", "off"),
    ("~", None),
    ("null", None),
    ("2024-05-03", dt.date(2024, 5, 3)),
    ("2024-05", "2024-05"),
    ("'1.50'", "1.50"),
]


@pytest.mark.parametrize(("text", "value"), SCALARS, ids=[s[0] for s in SCALARS])
def test_one_scalar_policy_for_every_file(text: str, value: Any, tmp_path: Path) -> None:
    document = f"v: {text}\n"
    assert _yaml.load_data(document) == {"v": value}
    loaded = _yaml.load_located(document, IssueSink("<string>", document))
    assert loaded is not None and loaded[0] == {"v": value}
    (tmp_path / "in.yaml").write_text(f"- {document}", encoding="utf-8")
    [record] = read_inputs(tmp_path / "in.yaml")
    # an input file keeps a fraction's text as written, for the validator to refuse as money
    assert record == {"v": text if isinstance(value, Decimal) else value}
    assert type(record["v"]) is (FloatLiteral if isinstance(value, Decimal) else type(value))


@pytest.mark.parametrize(
    ("document", "code", "line", "column", "words"),
    [
        ("a: 1\nb: 2\na: 3\n", "yaml.duplicate_key", 3, 1, "duplicate key 'a' (first at line 1)"),
        ("a: &x 1\nb: *x\n", "yaml.alias", 2, 4, "aliases"),
        ("a: {<<: {b: 1}}\n", "yaml.alias", 1, 5, "merge keys"),
        ("a: !!binary aGk=\n", "yaml.tag", 1, 4, "!!binary"),
        ("a: .inf\n", "schema.value", 1, 4, "not a finite decimal"),
        ("a: 2024-05-03 10:00:00\n", "schema.value", 1, 4, "only plain dates"),
        ("a:\n\t- 1\n", "yaml.tab", 2, 1, "tab"),
        ("a: [1, 2\n", "yaml.syntax", 2, 1, ""),
    ],
)
def test_data_files_refuse_what_rulesets_refuse(
    document: str, code: str, line: int, column: int, words: str, tmp_path: Path
) -> None:
    with pytest.raises(_yaml.YamlError) as caught:
        _yaml.load_data(document, "data.yaml")
    first = caught.value.issues[0]
    assert (first.code, first.file, first.line, first.column) == (code, "data.yaml", line, column)
    assert words in first.message
    path = tmp_path / "in.yaml"
    path.write_text("- " + document.replace("\n", "\n  ").rstrip() + "\n", encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        read_inputs(path)
    assert error.value.line == line and words in error.value.message
    assert str(error.value).startswith(f"{path}:{line}:{error.value.column}: ")


TESTED = (
    HEAD
    + "inputs:\n  n: {type: int}\n  amount: {type: money}\n"
    + "facts:\n  twice: {type: int, expr: n * 2}\n"
    + "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n    line: {category: earning, amount: amount}\n"
)


def _cases_file(tmp_path: Path, cases: str) -> Path:
    (tmp_path / "t.yaml").write_text(TESTED, encoding="utf-8")
    file = tmp_path / "t.tests.yaml"
    file.write_text("ruleset: t.yaml\ncases:\n" + cases, encoding="utf-8")
    return file


def test_a_tests_file_reads_numbers_as_a_ruleset_does(tmp_path: Path) -> None:
    file = _cases_file(
        tmp_path,
        "  - name: exact\n"
        "    input: {employee: '0012', period: 2024-05, n: 6, amount: 1.50}\n"
        "    expect: {net: 1.50, lines: {r: 1.50}, facts: {twice: 0012}}\n",
    )
    _, [case] = load_cases(file)
    assert case["expect"]["lines"]["r"] == Decimal("1.50") and type(case["expect"]["net"]) is Decimal
    assert case["expect"]["facts"]["twice"] == "0012"  # never octal 10
    assert [(r.name, r.differences) for r in run_file(file)] == [("exact", [])]  # 0012 == 12, 1.50 == 1.50


def test_0012_in_a_tests_file_is_never_10(tmp_path: Path) -> None:
    file = _cases_file(
        tmp_path,
        "  - name: ten\n    input: {employee: E1, period: 2024-05, n: 5, amount: '1.00'}\n"
        "    expect: {facts: {twice: 0012}}\n",
    )
    [result] = run_file(file)
    assert result.differences == ["facts.twice: expected '0012', got 10"]


def test_a_tests_file_with_a_duplicate_key_is_refused_naming_the_line(tmp_path: Path) -> None:
    file = _cases_file(
        tmp_path,
        "  - name: twice\n"
        "    input: {employee: E1, period: 2024-05, n: 1, amount: '1.00'}\n"
        "    expect: {net: '1.00'}\n"
        "    expect: {net: '2.00'}\n",
    )
    with pytest.raises(cmrules.RulesetError) as caught:
        load_cases(file)
    [issue] = caught.value.errors
    assert (issue.code, issue.file, issue.line, issue.column) == ("yaml.duplicate_key", str(file), 6, 5)
    assert issue.message == "duplicate key 'expect' (first at line 5)"
    assert f"{file}:6:5: yaml.duplicate_key" in str(caught.value)
