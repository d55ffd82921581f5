"""Every error code: documented, triggerable, and located.

* ``docs/errors.md`` lists exactly the codes of :data:`cmrules.errors.CODES`, and the
  message it shows for each ruleset example is the message cmrules gives.
* One small bad ruleset per ruleset-error code asserts the code, the 1-based line and
  column, and the rule id where there is one.
* Input errors are checked through ``Ruleset.evaluate`` (code, field path, value,
  employee); ``eval.arithmetic`` through a division by an input that is 0.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import cmrules
from cmrules.errors import CODES, Issue

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "errors.md"
BAD = Path(__file__).resolve().parent / "fixtures" / "bad"

# Four lines, so the body of every fixture starts on line 5.
HEAD = 'id: t\nversion: "1"\ntitle: {zh: 测试, en: Test}\neffective_from: 2024-01-01\n'
# Lines 5-15: inputs every expression fixture below can read.
INPUTS = """inputs:
  x: {type: int}
  m: {type: money}
  d: {type: date}
  flag: {type: bool}
  bookings:
    type: list
    of:
      type: record
      fields:
        amount: {type: money}
"""
NOTICE = "    notice: {kind: info, code: c, text: {zh: 提示, en: note}}\n"


def when_rule(expr: str) -> str:
    """A ruleset whose only rule ``r`` (line 17) has ``when: <expr>`` on line 19, column 11."""
    return (
        HEAD + INPUTS + f"rules:\n  - id: r\n    label: {{zh: 规则, en: Rule}}\n    when: {expr}\n" + NOTICE
    )


def issues(text: str, name: str = "bad.yaml") -> list[Issue]:
    with pytest.raises(cmrules.RulesetError) as caught:
        cmrules.loads_ruleset(text, name)
    return caught.value.errors


# (code, ruleset text, line, column, rule id); each text has exactly this one error.
RULESET_CASES: list[tuple[str, str, int, int, str | None]] = [
    # -- yaml --------------------------------------------------------------
    # line 5 "description: a: b": the second ':' (column 15) starts a mapping in a scalar
    ("yaml.syntax", HEAD + "description: a: b\n", 5, 15, None),
    # line 6 "  \tx: 1": two spaces, then the tab in column 3
    ("yaml.tab", HEAD + "inputs:\n  \tx: {type: int}\n", 6, 3, None),
    # the second 'p' of parameters, line 7 column 3
    (
        "yaml.duplicate_key",
        HEAD + "parameters:\n  p: {type: int, value: 1}\n  p: {type: int, value: 2}\n",
        7,
        3,
        None,
    ),
    # "  q: *x": the alias in column 6
    ("yaml.alias", HEAD + "parameters:\n  p: &x {type: int, value: 1}\n  q: *x\n", 7, 6, None),
    # "    <<: {type: int}": the merge key in column 5
    ("yaml.alias", HEAD + "parameters:\n  p:\n    <<: {type: int}\n    value: 1\n", 7, 5, None),
    # "note: !!python/...": the tag starts in column 7
    ("yaml.tag", HEAD + "note: !!python/object/apply:os.system ['touch x']\n", 5, 7, None),
    # "x: [[[…": '[' number k is in column 3 + k; the root mapping is level 1, so the
    # 64th '[' (column 67) opens level 65, the first one over the limit
    ("yaml.too_deep", HEAD + "x: " + "[" * 70 + "]" * 70 + "\n", 5, 67, None),
    ("yaml.too_large", HEAD + "# " + "x" * 1_000_000 + "\n", 1, 1, None),
    # "  [a]: …": the flow-sequence key in column 3
    ("yaml.key_type", HEAD + "parameters:\n  [a]: {type: int, value: 1}\n", 6, 3, None),
    # -- schema ------------------------------------------------------------
    # rule r on line 17; "    whenn: …" on line 19, the key in column 5
    (
        "schema.unknown_key",
        HEAD + INPUTS + "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n    whenn: x > 1\n" + NOTICE,
        19,
        5,
        "r",
    ),
    # rule r has no label: reported at the rule's mapping (line 17, column 5)
    ("schema.missing_key", HEAD + INPUTS + "rules:\n  - id: r\n" + NOTICE, 17, 5, "r"),
    # "    salience: high" on line 19: the value in column 15
    (
        "schema.type",
        HEAD + INPUTS + "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n    salience: high\n" + NOTICE,
        19,
        15,
        "r",
    ),
    # "    line: {category: bonus, amount: x}" on line 19: 'bonus' in column 22
    (
        "schema.value",
        HEAD + INPUTS + "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n"
        "    line: {category: bonus, amount: x}\n",
        19,
        22,
        "r",
    ),
    # an input default that breaks its own constraint: the default's value in column 37
    ("schema.value", HEAD + "inputs:\n  days: {type: int, ge: 0, default: -1}\n", 6, 37, None),
    # "  lines: …": a reserved word as an input name, the key in column 3
    ("schema.name", HEAD + "inputs:\n  lines: {type: int}\n", 6, 3, None),
    # two rules with id r: the second id's value, line 20 column 9
    (
        "schema.duplicate_name",
        HEAD
        + INPUTS
        + "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n"
        + NOTICE
        + "  - id: r\n    label: {zh: 规则, en: Rule}\n"
        + NOTICE,
        20,
        9,
        "r",
    ),
    # -- expressions: "    when: " puts the expression's first character in column 11 -----
    # "x >" ends too early: the caret is just past '>' (column 11 + 3)
    ("expr.syntax", when_rule("x >"), 19, 14, "r"),
    # "x % 3 == 1": the '%' in column 13; there is no modulo
    ("expr.syntax", when_rule("x % 3 == 1"), 19, 13, "r"),
    # "flag and x // 2 > 1": the '//' expression starts at 'x', column 20
    ("expr.forbidden", when_rule("flag and x // 2 > 1"), 19, 20, "r"),
    # "flag or y > 1": 'y' in column 19
    ("expr.unknown_name", when_rule("flag or y > 1"), 19, 19, "r"),
    # "x > 0 and sqrt(m) > 1": the call in column 21
    ("expr.unknown_function", when_rule("x > 0 and sqrt(m) > 1"), 19, 21, "r"),
    # "any(b.amont > 0 for b in bookings)": 'b.amont' in column 15
    ("expr.unknown_field", when_rule("any(b.amont > 0 for b in bookings)"), 19, 15, "r"),
    # quoted: the quote is column 11, so "m + d" starts in column 12
    ("expr.type", when_rule('"m + d > 0"'), 19, 12, "r"),
    # "round(m, 1, 2) > 0": the call in column 11
    ("expr.arity", when_rule("round(m, 1, 2) > 0"), 19, 11, "r"),
    # 41 minus signs nest 42 levels (the comparison is level 1): the 40th '-' (column 50)
    # is level 41, the first over the limit of 40
    ("expr.too_complex", when_rule("-" * 41 + "x > 0"), 19, 50, "r"),
    # "x ** x > 0": the power in column 11
    ("expr.power", when_rule("x ** x > 0"), 19, 11, "r"),
    # "x > (9 ** 12) ** 12": the outer power (its '(') in column 15 has 138 digits
    ("expr.overflow", when_rule("x > (9 ** 12) ** 12"), 19, 15, "r"),
    # -- rules -------------------------------------------------------------
    # "    forfeit: {rule: nope}" on line 19: 'nope' in column 21
    (
        "rule.unknown_target",
        HEAD + INPUTS + "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n    forfeit: {rule: nope}\n",
        19,
        21,
        "r",
    ),
    # fact f (line 17, column 3) is set by rules a and b and declares no combine
    (
        "rule.conflict",
        HEAD + INPUTS + "facts:\n  f: {type: int}\nrules:\n"
        "  - id: a\n    label: {zh: 甲, en: A}\n    set: {f: '1'}\n"
        "  - id: b\n    label: {zh: 乙, en: B}\n    set: {f: '2'}\n",
        17,
        3,
        None,
    ),
    # rule a (line 20) reads g, which b sets; b (line 24) reads f, which a sets
    (
        "rule.cycle",
        HEAD + INPUTS + "facts:\n  f: {type: int, default: 0}\n  g: {type: int, default: 0}\nrules:\n"
        "  - id: a\n    label: {zh: 甲, en: A}\n    when: g > 0\n    set: {f: '1'}\n"
        "  - id: b\n    label: {zh: 乙, en: B}\n    when: f > 0\n    set: {g: '1'}\n",
        20,
        5,
        "a",
    ),
    # rule r (line 17, column 5) only has a condition
    (
        "rule.no_effect",
        HEAD + INPUTS + "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n    when: flag\n",
        17,
        5,
        "r",
    ),
    # -- tables, tiers, parameters, invariants ---------------------------------
    # rows [0..5] and >= 5 both match 5: reported at the second row (line 12, column 9)
    (
        "table.overlap",
        HEAD + "tables:\n  tb:\n    hit_policy: UNIQUE\n    inputs: [{name: s, type: int}]\n"
        "    output: {name: o, type: int}\n    rows:\n"
        "      - {when: ['[0..5]'], then: 1}\n      - {when: ['>= 5'], then: 2}\n",
        12,
        9,
        None,
    ),
    # "      - {when: ['[0..'], then: 1}": the cell in column 17
    (
        "table.cell",
        HEAD + "tables:\n  tb:\n    hit_policy: FIRST\n    inputs: [{name: s, type: int}]\n"
        "    output: {name: o, type: int}\n    rows:\n      - {when: ['[0..'], then: 1}\n",
        11,
        17,
        None,
    ),
    # brackets from 100 then 0: reported at the list (line 9, column 7)
    (
        "tier.order",
        HEAD + "tiers:\n  tr:\n    mode: marginal\n    brackets:\n"
        "      - {from: 100, rate: 1%}\n      - {from: 0, rate: 2%}\n",
        9,
        7,
        None,
    ),
    # "  p: {type: money, value: 12.345}": more places than the ruleset's 2, column 27
    ("param.value", HEAD + "parameters:\n  p: {type: money, value: 12.345}\n", 6, 27, None),
    # the dated values go back in time: reported at the list (line 9, column 7)
    (
        "param.dates",
        HEAD + "parameters:\n  p:\n    type: money\n    values:\n"
        "      - {from: 2024-02-01, value: 1}\n      - {from: 2024-01-01, value: 2}\n",
        9,
        7,
        None,
    ),
    # "    monotonic: 'x > 0'" on line 18: the quoted value in column 16
    (
        "invariant.form",
        HEAD + INPUTS + "invariants:\n  - id: i\n    monotonic: 'x > 0'\n    increasing_in: x\n",
        18,
        16,
        None,
    ),
]

RULESET_CODES = {c for c in CODES if not c.startswith(("input.", "eval.", "ledger."))}
# codes whose fixtures are files or folders (tests below), not text
# ... and the include codes, triggered by files in tests/test_include.py
FILE_CODES = {"yaml.file", "plan.version"} | {c for c in CODES if c.startswith("include.")}


def test_every_ruleset_code_has_a_fixture() -> None:
    covered = {case[0] for case in RULESET_CASES} | FILE_CODES
    assert covered == RULESET_CODES


@pytest.mark.parametrize(
    ("code", "text", "line", "column", "rule_id"),
    RULESET_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(RULESET_CASES)],
)
def test_ruleset_error_is_located(code: str, text: str, line: int, column: int, rule_id: str | None) -> None:
    found = issues(text)
    assert [e.code for e in found] == [code], "\n".join(map(str, found))
    issue = found[0]
    assert (issue.file, issue.line, issue.column, issue.rule_id) == ("bad.yaml", line, column, rule_id), str(
        issue
    )
    assert issue.message and issue.excerpt.rstrip().endswith("^")


@pytest.mark.parametrize(
    ("when", "line", "column"),
    [
        # line 19 holds "when: …"; the second line of each scalar is line 20
        (">\n      flag and\n      m + d > 0", 21, 7),  # folded block: 'm' on its own line
        ("|-\n      flag and\n      m + d > 0", 21, 7),  # literal block
        ("flag and\n      m + d > 0", 20, 7),  # a plain scalar over two lines
        # the quote is column 11; "flag and ''x'' != ''y'' and " is 28 characters: 'm' is 40
        ("'flag and ''x'' != ''y'' and m + d > 0'", 19, 40),
        # "flag and" is columns 12-19, the escape \t 20-21, a blank, 'm' in 23
        ('"flag and\\t m + d > 0"', 19, 23),
    ],
    ids=["folded", "literal", "plain", "single-quoted", "double-quoted"],
)
def test_expression_errors_in_any_scalar_style_point_at_the_expression(
    when: str, line: int, column: int
) -> None:
    """The offset into the expression is mapped back through quotes, escapes and folding."""
    found = issues(when_rule(when))
    assert [(e.code, e.line, e.column) for e in found if e.code == "expr.type"][-1] == (
        "expr.type",
        line,
        column,
    )


def test_expression_errors_in_notice_placeholders_point_at_the_placeholder() -> None:
    text = (
        HEAD + INPUTS + "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n"
        "    notice: {kind: info, code: c, text: {zh: '金额 {m + d}', en: amount}}\n"
    )
    (issue,) = issues(text)
    # "    notice: {kind: info, code: c, text: {zh: '金额 {m + d}'": the quote is column 46,
    # '金' 47, '额' 48, ' ' 49, '{' 50, 'm' 51
    assert (issue.code, issue.line, issue.column, issue.rule_id) == ("expr.type", 19, 51, "r")


def test_unknown_names_suggest_the_closest_declared_name() -> None:
    (issue,) = issues(when_rule("falg"))
    assert issue.message == "unknown name 'falg'; did you mean 'flag'?"
    (issue,) = issues(when_rule("any(b.amont > 0 for b in bookings)"))
    assert issue.message.endswith("did you mean 'amount'?")


# -- files and folders -------------------------------------------------------------


def test_yaml_file_missing(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(cmrules.RulesetError) as caught:
        cmrules.load_ruleset(path)
    (issue,) = caught.value.errors
    assert (issue.code, issue.file, issue.line, issue.column) == ("yaml.file", str(path), 1, 1)


def test_yaml_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(HEAD.encode() + "note: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(cmrules.RulesetError) as caught:
        cmrules.load_ruleset(path)
    assert [(e.code, e.line, e.column) for e in caught.value.errors] == [("yaml.file", 1, 1)]


def test_a_plan_folder_reads_yml_versions_too_but_not_test_cases(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(HEAD.replace('"1"', '"a"'), encoding="utf-8")
    (tmp_path / "b.yml").write_text(HEAD.replace('"1"', '"b"').replace("01-01", "06-01"), encoding="utf-8")
    (tmp_path / "b.tests.yml").write_text("cases: []\n", encoding="utf-8")  # not a ruleset
    (tmp_path / "notes.txt").write_text("not: [yaml\n", encoding="utf-8")
    plan = cmrules.load_ruleset(tmp_path)
    assert [v.version for v in plan.versions] == ["a", "b"]
    assert plan.version_for("2024-07").file == str(tmp_path / "b.yml")


def test_yaml_file_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(cmrules.RulesetError) as caught:
        cmrules.load_ruleset(tmp_path)
    assert [(e.code, e.line, e.column) for e in caught.value.errors] == [("yaml.file", 1, 1)]


@pytest.mark.parametrize(
    ("folder", "culprit", "words"),
    [
        ("plan_same_start", "2024-b.yaml", "start on the same day 2024-01-01"),
        ("plan_overlap", "2024-a.yaml", "runs to 2024-12-31, past the start of b"),
        ("plan_two_ids", "2024-b.yaml", "share one id"),
    ],
)
def test_plan_version(folder: str, culprit: str, words: str) -> None:
    with pytest.raises(cmrules.RulesetError) as caught:
        cmrules.load_ruleset(BAD / folder)
    (issue,) = caught.value.errors
    assert (issue.code, Path(issue.file).name, issue.line, issue.column) == ("plan.version", culprit, 1, 1)
    assert words in issue.message


def test_plan_fixture_versions_load_on_their_own() -> None:
    """The plan fixtures fail only as plans: each file is a valid ruleset."""
    for file in sorted(BAD.glob("plan_*/*.yaml")):
        assert isinstance(cmrules.load_ruleset(file), cmrules.Ruleset)


def test_three_independent_errors_are_reported_at_once() -> None:
    text = (
        HEAD
        + INPUTS
        + "parameters:\n  p: {type: int, value: abc}\n"  # line 17: param.value at 'abc' (column 25)
        + "rules:\n"
        + "  - id: a\n    label: {zh: 甲, en: A}\n    when: flga\n"  # line 21: unknown name, column 11
        + NOTICE
        + "  - id: b\n    label: {zh: 乙, en: B}\n    when: m + d > 0\n"  # line 25: expr.type, column 11
        + NOTICE
    )
    found = issues(text)
    assert [(e.code, e.line, e.column, e.rule_id) for e in found] == [
        ("param.value", 17, 25, None),
        ("expr.unknown_name", 21, 11, "a"),
        ("expr.type", 25, 11, "b"),
    ]
    message = str(cmrules.RulesetError(found))
    assert message.startswith("3 errors in ruleset\n")


# -- input errors through Ruleset.evaluate --------------------------------------------

INPUT_RULESET = (
    HEAD
    + """inputs:
  bookings:
    type: list
    max_items: 4
    of:
      type: record
      fields:
        amount: {type: money, ge: 0}
        item: {type: str, enum: [snack, fruit]}
  days: {type: int, ge: 0, default: 0}
  divisor: {type: int, default: 1}
rules:
  - id: share
    label: {zh: 份额, en: Share}
    line: {category: earning, amount: 100 / divisor}
"""
)
GOOD_BOOKINGS = [{"amount": "10.00", "item": "snack"}] * 3


@pytest.fixture(scope="module")
def input_ruleset() -> cmrules.Ruleset:
    return cmrules.loads_ruleset(INPUT_RULESET)


def _evaluate(ruleset: cmrules.Ruleset, **fields: Any) -> Any:
    data = {"employee": "E7", "period": "2024-05", "bookings": GOOD_BOOKINGS, **fields}
    return ruleset.evaluate({k: v for k, v in data.items() if v is not ...})


def test_the_input_ruleset_pays_when_input_is_good(input_ruleset: cmrules.Ruleset) -> None:
    assert _evaluate(input_ruleset).net == Decimal("100.00")  # 100 / 1


def fourth(**booking: Any) -> dict[str, Any]:
    """Three good bookings and ``booking`` as the fourth, ``bookings[3]``."""
    return {"bookings": [*GOOD_BOOKINGS, booking]}


def test_a_field_with_a_default_may_be_absent(input_ruleset: cmrules.Ruleset) -> None:
    assert _evaluate(input_ruleset, days=...).net == Decimal("100.00")


@pytest.mark.parametrize(
    ("fields", "code", "path", "value"),
    [
        (fourth(amount="1.00"), "input.missing", "bookings[3].item", None),
        ({"dayz": 2}, "input.unknown", "dayz", 2),
        (fourth(amount="1", item="fruit", x=1), "input.unknown", "bookings[3].x", 1),
        ({"days": "two"}, "input.type", "days", "two"),
        ({"period": "May 2024"}, "input.type", "period", "May 2024"),
        (fourth(amount=12.5, item="fruit"), "input.float", "bookings[3].amount", 12.5),
        (fourth(amount="-5", item="fruit"), "input.constraint", "bookings[3].amount", "-5"),
        (fourth(amount="1.005", item="fruit"), "input.constraint", "bookings[3].amount", "1.005"),
        ({"days": -1}, "input.constraint", "days", -1),
        (fourth(amount="1", item="wine"), "input.enum", "bookings[3].item", "wine"),
        ({"bookings": GOOD_BOOKINGS * 2}, "input.size", "bookings", GOOD_BOOKINGS * 2),
        ({"period": "2023-12"}, "input.period", "period", "2023-12"),
    ],
)
def test_input_error(
    input_ruleset: cmrules.Ruleset, fields: dict[str, Any], code: str, path: str, value: Any
) -> None:
    with pytest.raises(cmrules.InputError) as caught:
        _evaluate(input_ruleset, **fields)
    (problem,) = caught.value.problems
    assert (problem.code, problem.field, problem.value, problem.employee) == (code, path, value, "E7")
    assert problem.message


def test_a_missing_employee_is_reported_as_unknown(input_ruleset: cmrules.Ruleset) -> None:
    with pytest.raises(cmrules.InputError) as caught:
        _evaluate(input_ruleset, employee=...)
    (problem,) = caught.value.problems
    assert (problem.code, problem.field, problem.value, problem.employee) == (
        "input.missing",
        "employee",
        None,
        "<unknown>",
    )


def test_all_input_problems_of_one_employee_are_reported(input_ruleset: cmrules.Ruleset) -> None:
    with pytest.raises(cmrules.InputError) as caught:
        _evaluate(input_ruleset, days=-1, dayz=1, bookings=[{"amount": "1", "item": "wine"}])
    got = {(p.field, p.code) for p in caught.value.problems}
    assert got == {
        ("days", "input.constraint"),
        ("dayz", "input.unknown"),
        ("bookings[0].item", "input.enum"),
    }


def test_division_by_an_input_that_is_zero(input_ruleset: cmrules.Ruleset) -> None:
    with pytest.raises(cmrules.EvaluationError) as caught:
        _evaluate(input_ruleset, divisor=0)
    error = caught.value
    assert (error.code, error.rule_id, error.employee) == ("eval.arithmetic", "share", "E7")
    assert error.message == "division by zero"


def test_evaluate_many_keeps_the_good_slips(input_ruleset: cmrules.Ruleset) -> None:
    people = [
        {"employee": "A", "period": "2024-05", "divisor": 4},  # 100 / 4 = 25.00
        {"employee": "B", "period": "2024-05", "divisor": 0},
        {"employee": "C", "period": "2024-05", "days": "x"},
    ]
    slips, failures = input_ruleset.evaluate_many(people)
    assert [(s.employee, s.net) for s in slips] == [("A", Decimal("25.00"))]
    assert [type(f).__name__ for f in failures] == ["EvaluationError", "InputError"]


# -- docs/errors.md -----------------------------------------------------------------

SECTION = re.compile(r"^### `([a-z_]+\.[a-z_]+)`\s*$", re.M)
EXAMPLE = re.compile(r"<!-- ruleset-error (\S+) -->\n```yaml\n(.*?)```\n+```text\n(.*?)```", re.S)


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_docs_list_exactly_the_registered_codes() -> None:
    listed = SECTION.findall(_doc())
    assert len(listed) == len(set(listed)), "a code is documented twice"
    assert set(listed) == set(CODES)


def test_docs_list_the_codes_in_registry_order() -> None:
    assert SECTION.findall(_doc()) == list(CODES)


def test_docs_examples_give_the_messages_they_show() -> None:
    examples = EXAMPLE.findall(_doc())
    assert len(examples) >= 25
    for code, text, shown in examples:
        found = [str(e) for e in issues(text) if e.code == code]
        assert found, f"{code}: the example does not raise it"
        assert shown.rstrip("\n") in found, f"{code}: the doc shows\n{shown}\nbut cmrules says\n{found[0]}"


def test_docs_give_every_ruleset_code_an_example() -> None:
    """Each ruleset code has a YAML example, or a Python one that prints the code."""
    doc = _doc()
    sections = dict(zip(SECTION.findall(doc), SECTION.split(doc)[2::2], strict=True))
    for code in RULESET_CODES:
        body = sections[code]
        assert f"<!-- ruleset-error {code} -->" in body or ("```python" in body and "```output" in body), code
