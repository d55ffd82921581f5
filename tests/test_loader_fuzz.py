"""Fuzzing the loader: whatever the text, ``loads_ruleset`` loads it or raises ``RulesetError``.

Never any other exception, and every reported error is located (line and column >= 1,
inside the text) with a registered code.  Random expression text goes into a rule's
``when``/``amount`` (and ``let``, ``for_each`` and a notice placeholder); random YAML
comes from random trees dumped with ``yaml.safe_dump`` and from byte-level mutations
of the bar ruleset.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cmrules
from cmrules.errors import CODES

BAR = (Path(__file__).resolve().parent.parent / "rulesets" / "bar_customer_manager.yaml").read_text(
    encoding="utf-8"
)

pytestmark = pytest.mark.slow

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HEAD = """id: fuzz
version: "1"
title: {zh: 模糊测试, en: Fuzz}
effective_from: 2024-01-01
inputs:
  x: {type: int}
  m: {type: money}
  d: {type: date}
  flag: {type: bool}
  names: {type: list, of: {type: str}}
  底薪: {type: money}
  bs:
    type: list
    of:
      type: record
      fields:
        amount: {type: money}
        day: {type: date}
  sc: {type: map, keys: [a, b], values: {type: decimal}}
parameters:
  rate: {type: rate, value: 3%}
facts:
  f: {type: money, combine: sum}
tables:
  tb:
    hit_policy: FIRST
    inputs: [{name: s, type: int}]
    output: {name: o, type: int}
    default: 0
    rows:
      - {when: ["[0..5]"], then: 1}
tiers:
  tr:
    mode: marginal
    brackets: [{from: 0, rate: 1%}, {from: 100, rate: 2%}]
"""

TOKENS = [
    # declared names, fields, map keys, tables, tiers, lines and totals
    *"x m d flag names 底薪 bs sc rate f tb tr b b.amount b.day sc['a'] lines.r totals.fine".split(),
    # numbers and percents, including ones that are not decimal
    *"1 0 3% 2.5 1e9 1e999999 0x1F 1_0 1j 07".split(),
    # operators and punctuation
    *"+ - * / ** % // ( ) [ ] { } , : . < <= == != > >= := @ ~ ^ | & \\ # ; ...".split(),
    # keywords and constants
    *"and or not in is if else for lambda None True False await yield import".split(),
    # whitelisted and forbidden functions, dunders
    *"sum min max abs round count any all len values keys date_in_month period_start".split(),
    *"__class__ __import__ __builtins__ eval exec open getattr".split(),
    # strings, f-strings, Chinese, whitespace
    "'a'",
    '"zz"',
    "f'x'",
    "'''",
    "底",
    "薪",
    " ",
    "\n",
    "\t",
]

ATOMS = [
    *"x m d flag 底薪 rate f names bs period 1 0 3% 2.5 'a' True None".split(),
    *"sc['a'] sc['z'] lines.r totals.fine b b.amount b.day n".split(),
]
FUNCTIONS = "min max abs round sum count any all len values keys tb tr period_start date_in_month".split()
OPERATORS = ["+", "-", "*", "/", "**", "<", "<=", "==", "!=", ">", ">=", "and", "or", "in", "not in"]


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Well-formed-ish expressions, so that the type checker and code generation get exercised."""
    return st.one_of(
        st.tuples(inner, st.sampled_from(OPERATORS), inner).map(" ".join),
        st.tuples(st.sampled_from(["not ", "-", ""]), inner).map("".join),
        inner.map(lambda e: f"({e})"),
        st.tuples(st.sampled_from(FUNCTIONS), st.lists(inner, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        ),
        st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} if {t[1]} else {t[2]}"),
        st.tuples(
            st.sampled_from(["sum", "count", "any", "max"]), inner, st.sampled_from(["bs", "names"]), inner
        ).map(lambda t: f"{t[0]}({t[1]} for {'b' if t[2] == 'bs' else 'n'} in {t[2]} if {t[3]})"),
        st.lists(inner, min_size=1, max_size=3).map(lambda items: "(" + ", ".join(items) + ",)"),
    )


grammar = st.recursive(st.sampled_from(ATOMS), _grow, max_leaves=12)

expression = st.one_of(
    grammar,
    st.lists(st.sampled_from(TOKENS), max_size=14).map(" ".join),
    st.lists(st.sampled_from(TOKENS), max_size=14).map("".join),
    st.text(max_size=40),
)


def quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def assert_loads_or_located(text: str) -> None:
    try:
        ruleset = cmrules.loads_ruleset(text, "fuzz.yaml")
    except cmrules.RulesetError as exc:
        assert exc.errors
        last_line = len(text.splitlines()) + 1  # YAML breaks lines where splitlines does
        for issue in exc.errors:
            assert issue.code in CODES, issue
            assert 1 <= issue.line <= last_line, issue
            assert issue.column >= 1, issue
            assert issue.file == "fuzz.yaml"
            str(issue)  # the message and its excerpt render
    else:
        assert isinstance(ruleset, cmrules.Ruleset)


@FUZZ
@given(when=st.one_of(st.just("flag"), expression), amount=st.one_of(st.just("m"), expression))
def test_random_expressions_in_when_and_amount(when: str, amount: str) -> None:
    """One side is often plainly valid, so that the other one's code gets generated too."""
    text = (
        HEAD
        + "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n"
        + f"    when: {quoted(when)}\n"
        + f"    line: {{category: earning, amount: {quoted(amount)}}}\n"
    )
    assert_loads_or_located(text)


@FUZZ
@given(
    let=expression,
    placeholder=expression,
    contribution=expression,
    for_each=st.one_of(
        st.sampled_from(["b in bs", "n in names", "b in x", "b in [1, 2]", "_b in bs", "b in", "in bs"]),
        expression,
    ),
)
def test_random_expressions_in_let_for_each_and_notices(
    let: str, placeholder: str, contribution: str, for_each: str
) -> None:
    text = (
        HEAD
        + "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n"
        + f"    for_each: {quoted(for_each)}\n"
        + f"    let: {{y: {quoted(let)}}}\n"
        + f"    contribute: {{f: {quoted(contribution)}}}\n"
        + f"    notice: {{kind: info, code: c, text: {{zh: {quoted(f'金额 {{{placeholder}}}')}, en: e}}}}\n"
    )
    assert_loads_or_located(text)


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12), st.dates().map(str)
)
language_keys = st.sampled_from(
    "id version title effective_from effective_to inputs parameters facts rules tables tiers "
    "invariants zh en type value values when line amount category for_each let set contribute "
    "notice forfeit rows then hit_policy brackets from rate mode of fields keys combine default "
    "always monotonic increasing_in enum ge max_items rounding places".split()
)
trees = st.recursive(
    st.one_of(scalars, language_keys, st.sampled_from(TOKENS)),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(language_keys, st.text(max_size=6), st.integers()), children, max_size=5),
    ),
    max_leaves=30,
)


@FUZZ
@given(trees)
def test_random_yaml_documents(tree: Any) -> None:
    assert_loads_or_located(yaml.safe_dump(tree, allow_unicode=True))


@FUZZ
@given(st.lists(st.tuples(language_keys, trees), max_size=4))
def test_random_sections_in_a_valid_ruleset(sections: list[tuple[str, Any]]) -> None:
    document = yaml.safe_load(HEAD)
    for key, value in sections:
        document[key] = value
    assert_loads_or_located(yaml.safe_dump(document, allow_unicode=True))


BAR_BYTES = BAR.encode("utf-8")


@FUZZ
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(BAR_BYTES)), st.integers(0, 8), st.binary(max_size=4)),
        min_size=1,
        max_size=6,
    ),
    errors=st.sampled_from(["replace", "surrogateescape"]),
)
def test_byte_mutations_of_the_bar_ruleset(edits: list[tuple[int, int, bytes]], errors: str) -> None:
    data = bytearray(BAR_BYTES)
    for at, cut, insert in edits:
        data[at : at + cut] = insert
    assert_loads_or_located(bytes(data).decode("utf-8", errors))


def test_the_unmutated_bar_ruleset_loads() -> None:
    """The mutation test starts from a ruleset that loads (so its errors come from the edits)."""
    assert isinstance(cmrules.loads_ruleset(BAR), cmrules.Ruleset)


@FUZZ
@given(data=st.binary(max_size=300))
def test_random_files(data: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Files may not even be UTF-8 (``yaml.file``)."""
    path = tmp_path_factory.getbasetemp() / "random.yaml"
    path.write_bytes(data)
    try:
        cmrules.load_ruleset(path)
    except cmrules.RulesetError as exc:
        assert all(e.code in CODES and e.line >= 1 and e.column >= 1 for e in exc.errors)


# -- numbers and values written in the YAML ----------------------------------------------------

# YAML text of odd values (inserted as written): huge, tiny, percent, not a number …
odd_values = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.tuples(st.integers(-9, 9), st.integers(-2_000_000, 2_000_000), st.sampled_from(["", "%"])).map(
        lambda t: f"{t[0]}E{t[1]}{t[2]}"
    ),
    st.sampled_from(["1e30", "1E2000000%", "0.000000000000000001", "-0", "1_000", "x", "''", "null", "[]"]),
    scalars.map(json.dumps),
)
GOOD = {  # a fitting value of each type, as YAML text
    "money": ["12.50", "100", "'0.10'"],
    "rate": ["3%", "0.5", "'2.5%'"],
    "decimal": ["0.5", "2", "'1.25'"],
    "int": ["3", "0", "-2"],
    "bool": ["true", "false"],
    "str": ["a", "'x y'"],
    "date": ["2024-05-03"],
}


CELLS = ["1", "'>= 2'", "'[1..3)'", "'-'"]  # of a decimal column


def slot(good: list[str]) -> st.SearchStrategy[str]:
    """Mostly a good value, so that the other slots' checks and the evaluation run too."""
    return st.one_of(*[st.sampled_from(good)] * 5, odd_values)


@st.composite
def value_rulesets(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(list(GOOD)))
    default = draw(slot(GOOD[kind]))
    field = (
        f"{{type: list, of: {{type: {kind}}}, default: [{default}]}}"
        if draw(st.booleans())
        else f"{{type: {kind}, default: {default}}}"
    )
    fact_kind = "money" if kind == "date" else kind
    return (
        "id: fuzz\nversion: '1'\ntitle: {zh: 值, en: Values}\neffective_from: 2024-01-01\n"
        f"parameters:\n  p: {{type: {kind}, value: {draw(slot(GOOD[kind]))}}}\n"
        f"inputs:\n  q: {field}\n"
        f"facts:\n  f: {{type: {fact_kind}, default: {draw(slot(GOOD[fact_kind]))}}}\n"
        "tiers:\n  tr:\n    mode: marginal\n"
        f"    brackets: [{{from: 0, rate: 1%}}, {{from: {draw(slot(['50', '1e3']))}, "
        f"rate: {draw(slot(GOOD['rate']))}}}]\n"
        "tables:\n  tb:\n    hit_policy: FIRST\n    inputs: [{name: s, type: decimal}]\n"
        f"    output: {{name: o, type: {kind}}}\n    default: {draw(slot(GOOD[kind]))}\n"
        f"    rows:\n      - {{when: [{draw(slot(CELLS))}], "
        f"then: {draw(slot(GOOD[kind]))}}}\n"
        "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n"
        "    line: {category: adjustment, amount: 'tr(100) + 1'}\n"
    )


@FUZZ
@given(value_rulesets())
def test_random_values_in_parameters_tiers_tables_and_defaults(text: str) -> None:
    """Whatever the values, the ruleset loads or is refused, located; a loaded one pays a
    slip (its default input included) or fails with an EvaluationError, never a bare exception."""
    try:
        ruleset = cmrules.loads_ruleset(text, "fuzz.yaml")
    except cmrules.RulesetError as exc:
        assert all(e.code in CODES and e.line >= 1 and e.column >= 1 for e in exc.errors), exc
        return
    try:
        slip = ruleset.evaluate({"employee": "E1", "period": "2024-05"})
    except cmrules.EvaluationError:
        return
    (line,) = slip.lines  # 1% of 50 + the second bracket's rate of 50 + 1, paid exactly
    assert slip.net == max(line.amount, Decimal(0))
