"""Hostile rulesets are refused at load, with a located error, and nothing of them runs.

Every attempt below is loaded under a sentinel that records any call of
``os.system``, ``subprocess.Popen``, ``exec`` or ``eval`` and any import of
``os``/``subprocess``/``shutil``/``ctypes`` made while loading, and each payload that
could act tries to create a marker file.  The sentinel's own check that it works is
:func:`test_the_sentinel_sees_what_it_guards`.
"""

from __future__ import annotations

import ast
import builtins
import io
import json
import keyword
import os
import re
import subprocess
import tokenize
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

import cmrules
from cmrules._money import Rounder
from cmrules.compile._runtime import globals_for
from cmrules.errors import CODES, Issue

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "cmrules"

HEAD = 'id: t\nversion: "1"\ntitle: {zh: 测试, en: Test}\neffective_from: 2024-01-01\n'  # lines 1-4
INPUTS = """inputs:
  x: {type: int}
  y: {type: int}
  l: {type: list, of: {type: int}}
  bookings:
    type: list
    of:
      type: record
      fields:
        amount: {type: money}
"""  # lines 5-14
NOTICE = "    notice: {kind: info, code: c, text: {zh: 提示, en: note}}\n"


def when_rule(expr: str) -> str:
    """Rule ``r`` (line 16) with ``when: <expr>`` on line 18: the expression starts in column 11."""
    return (
        HEAD + INPUTS + f"rules:\n  - id: r\n    label: {{zh: 规则, en: Rule}}\n    when: {expr}\n" + NOTICE
    )


class Sentinel:
    """Records every dangerous call or import made while it is armed."""

    GUARDED_MODULES = ("os", "subprocess", "shutil", "ctypes")

    def __init__(self, monkeypatch: pytest.MonkeyPatch, marker: Path):
        self.calls: list[tuple[str, Any]] = []
        self.marker = marker
        self._monkeypatch = monkeypatch

    def arm(self) -> None:
        calls, mp = self.calls, self._monkeypatch
        real_import, real_exec, real_eval = builtins.__import__, builtins.exec, builtins.eval

        def guarded_import(name: str, *args: Any, **kwargs: Any) -> Any:
            if name.split(".")[0] in self.GUARDED_MODULES:
                calls.append(("import", name))
            return real_import(name, *args, **kwargs)

        def guarded_exec(*args: Any, **kwargs: Any) -> Any:
            calls.append(("exec", args[0]))
            return real_exec(*args, **kwargs)

        def guarded_eval(*args: Any, **kwargs: Any) -> Any:
            calls.append(("eval", args[0]))
            return real_eval(*args, **kwargs)

        mp.setattr(builtins, "__import__", guarded_import)
        mp.setattr(builtins, "exec", guarded_exec)
        mp.setattr(builtins, "eval", guarded_eval)
        mp.setattr(os, "system", lambda *a: calls.append(("os.system", a)) or 0)
        mp.setattr(subprocess, "Popen", lambda *a, **k: calls.append(("Popen", a)))

    def disarm(self) -> None:
        self._monkeypatch.undo()


@pytest.fixture(scope="module")
def _imported() -> None:
    """cmrules imports its stages on first use: do it before a sentinel is armed (run alone, this
    file's first load would otherwise be seen importing them)."""
    cmrules.loads_ruleset(when_rule("x > 0"))


@pytest.fixture
def sentinel(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, _imported: None) -> Iterator[Sentinel]:
    guard = Sentinel(monkeypatch, tmp_path / "pwned")
    yield guard
    guard.disarm()


def refused(sentinel: Sentinel, text: str) -> list[Issue]:
    """Load ``text`` under the sentinel: it must raise RulesetError and run nothing."""
    sentinel.arm()
    try:
        with pytest.raises(cmrules.RulesetError) as caught:
            cmrules.loads_ruleset(text, "evil.yaml")
    finally:
        sentinel.disarm()
    assert sentinel.calls == []
    assert not sentinel.marker.exists()
    found = caught.value.errors
    assert found
    for issue in found:
        assert issue.code in CODES and issue.line >= 1 and issue.column >= 1 and issue.file == "evil.yaml"
    return found


def test_the_sentinel_sees_what_it_guards(sentinel: Sentinel) -> None:
    sentinel.arm()
    try:
        os.system("true")
        exec("import shutil")
    finally:
        sentinel.disarm()
    kinds = [kind for kind, _ in sentinel.calls]
    assert kinds == ["os.system", "exec", "import"]


# (expression, code, offset of the error in the expression, words of the message)
EXPRESSIONS = [
    # the outer call's function is an attribute: only named functions can be called
    ("__import__('os').system('touch {marker}')", "expr.forbidden", 0, "only named functions"),
    ("__import__('os')", "expr.unknown_function", 0, "'__import__'"),
    ("().__class__.__bases__[0].__subclasses__()", "expr.forbidden", 0, "only named functions"),
    ("x.__class__ == 1", "expr.forbidden", 0, "'__class__'"),
    ("x.__class__.__mro__ == 1", "expr.forbidden", 0, "'__mro__'"),
    ("any(b.__dict__ for b in bookings)", "expr.forbidden", 4, "'__dict__'"),
    ("__builtins__ == 1", "expr.forbidden", 0, "names starting with '_'"),
    ("getattr(x, 'real') == 1", "expr.unknown_function", 0, "'getattr'"),
    ("open('{marker}', 'w') == 1", "expr.unknown_function", 0, "'open'"),
    ("eval('1') == 1", "expr.unknown_function", 0, "'eval'"),
    ("exec('import os') == 1", "expr.unknown_function", 0, "'exec'"),
    ("'{{}}'.format(x) == 'a'", "expr.forbidden", 0, "only named functions"),
    ("(lambda: 1)() == 1", "expr.forbidden", 0, "only named functions"),
    ("lambda: 1", "expr.forbidden", 0, "lambda"),
    ("[b for b in bookings] == 1", "expr.forbidden", 0, "list comprehension"),
    ("{{b for b in l}} == 1", "expr.forbidden", 0, "set comprehension"),
    ("9**9**9 > 0", "expr.power", 0, "'**'"),
    ("2**100 > 0", "expr.power", 0, "'**'"),
    ("x ** y > 0", "expr.power", 0, "'**'"),
    ("sum(1 for a in l for b in l for c in l) > 0", "expr.forbidden", 3, "one 'for' per generator"),
    # n^3 work through nesting instead: the third generator (its '(') is refused
    ("sum(sum(sum(1 for c in l) for b in l) for a in l) > 0", "expr.too_complex", 11, "nested generators"),
    (
        "count(a for a in l if count(b for b in l if any(c == b for c in l)) > 0) > 0",
        "expr.too_complex",
        47,
        "nested",
    ),
    ("f'{{x}}' == 'a'", "expr.forbidden", 0, "f-string"),
    ("(z := 1) == 1", "expr.forbidden", 1, "':='"),
    ("x % 3 == 1", "expr.syntax", 2, "no modulo"),
    # number placeholders never show: '3%2' is not the name '_n0_n1', '3(x)' no call of '_n0'
    ("x > 3%2", "expr.syntax", 5, "no modulo"),
    ("3(x) > 0", "expr.forbidden", 0, "a number cannot be called"),
    ("any(True for 3 in l)", "expr.forbidden", 13, "write 'for x in some_list'"),
    ("x > 3x", "expr.syntax", 5, "invalid syntax"),
    ("x.real > 0", "expr.forbidden", 0, "needs a record, got int"),
    ("l[0] > 0", "expr.forbidden", 0, "[...] needs a map"),
    ("any(b.amout > 0 for b in bookings)", "expr.unknown_field", 4, "did you mean 'amount'?"),
    ("bookngs == 1", "expr.unknown_name", 0, "did you mean 'bookings'?"),
    ("x is None", "expr.forbidden", 0, "'is'"),
    ("x // 2 > 0", "expr.forbidden", 0, "'//'"),
    ("x << 2 > 0", "expr.forbidden", 0, "'<<'"),
    ("{{'a': 1}} == 1", "expr.forbidden", 0, "a dict"),
    ("x if True else y", "expr.type", 0, "expected a condition"),
    ("await x", "expr.forbidden", 0, "await"),
    # brackets and quotes in plain words, the caret at the one at fault, alike on 3.11-3.13
    # (was "cannot tokenize: EOF in multi-line statement" at the start of the expression)
    ("(x + 1 > 0", "expr.syntax", 0, "unclosed '(' (opened here): no ')' closes it"),
    ("max(x, (y > 0", "expr.syntax", 7, "unclosed '('"),
    ("x + [1, 2 == l", "expr.syntax", 4, "unclosed '['"),
    ("x + 1) > 0", "expr.syntax", 5, "unmatched ')'"),
    ("max(x, (y] > 0", "expr.syntax", 9, "']' does not close the '('"),
    ("x == 'abc", "expr.syntax", 5, "unclosed text"),
    ("'(' == 'a' and (x > 0", "expr.syntax", 15, "unclosed '('"),
    # literals past the context's precision: found by the loader fuzz test
    ("x > 1E100", "expr.syntax", 4, "out of range"),
    ("x > 1E2000000%", "expr.syntax", 4, "out of range"),
    ("x > 0.0000000000000000001", "expr.syntax", 4, "out of range"),
]


@pytest.mark.parametrize(("expr", "code", "offset", "words"), EXPRESSIONS, ids=[e[0] for e in EXPRESSIONS])
def test_hostile_expression_is_refused(
    sentinel: Sentinel, expr: str, code: str, offset: int, words: str
) -> None:
    text = expr.format(marker=sentinel.marker)
    # written as a double-quoted YAML scalar: the quote is column 11, the text starts in 12
    found = refused(sentinel, when_rule(json.dumps(text, ensure_ascii=False)))
    assert [(e.code, e.line, e.column, e.rule_id) for e in found] == [(code, 18, 12 + offset, "r")], (
        "\n".join(map(str, found))
    )
    assert words in found[0].message
    assert not re.search(r"\b_n\d", found[0].message), "a number's placeholder leaked"


# -- YAML ----------------------------------------------------------------------------


def billion_laughs() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return HEAD + "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_at_the_first_alias(sentinel: Sentinel) -> None:
    found = refused(sentinel, billion_laughs())
    # line 6 is "a1: &a1 [*a0, …]": the first alias is in column 10
    assert [(e.code, e.line, e.column) for e in found] == [("yaml.alias", 6, 10)]


@pytest.mark.parametrize(
    "tagged",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/new:os.system ['touch {marker}']",
        "!!python/name:os.system",
        "!!python/module:os",
        "!!binary aGVsbG8=",
        "!custom {{a: 1}}",
    ],
)
def test_python_and_custom_tags_are_refused(sentinel: Sentinel, tagged: str) -> None:
    found = refused(sentinel, HEAD + "description: " + tagged.format(marker=sentinel.marker) + "\n")
    # line 5: "description: !!…": the tag starts in column 14
    assert [(e.code, e.line, e.column) for e in found] == [("yaml.tag", 5, 14)]


def test_a_tag_inside_a_rule_is_refused(sentinel: Sentinel) -> None:
    found = refused(sentinel, when_rule(f"!!python/object/apply:os.system ['touch {sentinel.marker}']"))
    assert [(e.code, e.line, e.column) for e in found] == [("yaml.tag", 18, 11)]


def test_ten_thousand_nested_flow_lists(sentinel: Sentinel) -> None:
    found = refused(sentinel, HEAD + "x: " + "[" * 10_000 + "]" * 10_000 + "\n")
    # the root mapping is level 1; the 64th '[' (column 3 + 64) opens level 65
    assert [(e.code, e.line, e.column) for e in found] == [("yaml.too_deep", 5, 67)]


def test_ten_thousand_nested_block_lists(sentinel: Sentinel) -> None:
    found = refused(sentinel, HEAD + "x:\n" + "- " * 10_000 + "1\n")
    # line 6 is "- - - …": '-' number k is in column 2k - 1; the 64th (column 127) opens level 65
    assert [(e.code, e.line, e.column) for e in found] == [("yaml.too_deep", 6, 127)]


def test_ten_thousand_nested_mappings(sentinel: Sentinel) -> None:
    found = refused(sentinel, HEAD + "x: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n")
    # '{' number k is in column 4k (level k + 1) and its key 'a' in column 4k + 1 (level
    # k + 2): the key of the 63rd '{', column 253, is level 65
    assert [(e.code, e.line, e.column) for e in found] == [("yaml.too_deep", 5, 253)]


def test_a_two_megabyte_file(sentinel: Sentinel) -> None:
    found = refused(sentinel, HEAD + "description: '" + "x" * 2_000_000 + "'\n")
    assert [(e.code, e.line, e.column) for e in found] == [("yaml.too_large", 1, 1)]


def test_a_two_megabyte_file_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(HEAD + "# " + "x" * 2_000_000 + "\n", encoding="utf-8")
    with pytest.raises(cmrules.RulesetError) as caught:
        cmrules.load_ruleset(path)
    assert [(e.code, e.line, e.column) for e in caught.value.errors] == [("yaml.too_large", 1, 1)]


# -- huge and deep expressions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "code", "offset"),
    [
        ("(" * 10_000 + "x" + ")" * 10_000 + " > 0", "expr.too_complex", 0),  # 20,004 characters
        ("x + " * 25_000 + "x > 0", "expr.too_complex", 0),  # 100 KB
        # Python's parser stops at 200 open brackets: at the 201st
        ("[" * 300 + "x" + "]" * 300 + " == [1]", "expr.syntax", 200),
        # the comparison is level 1, '-' number k is level k + 1: the 40th (offset 39) is 41
        ("-" * 1900 + "x > 0", "expr.too_complex", 39),
        # 'not' number k (offset 4(k - 1)) is level k: the 41st is level 41
        ("not " * 45 + "True", "expr.too_complex", 4 * 40),
        # 'abs(' number k (offset 4(k - 1)) is level k + 1 under the comparison: the 40th
        ("abs(" * 45 + "x" + ")" * 45 + " > 0", "expr.too_complex", 4 * 39),
    ],
    ids=["parentheses", "100KB", "brackets", "unary", "not", "calls"],
)
def test_huge_or_deep_expression(sentinel: Sentinel, expr: str, code: str, offset: int) -> None:
    found = refused(sentinel, when_rule(json.dumps(expr)))  # the quote is column 11
    assert [(e.code, e.line, e.column) for e in found] == [(code, 18, 12 + offset)]
    assert len(str(found[0])) < 1000  # the excerpt of a 100 KB line is cut around the caret


# -- the source code -----------------------------------------------------------------------


def _src_files() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_no_full_yaml_loader_anywhere_in_src() -> None:
    banned = re.compile(r"\b(full_load|unsafe_load|FullLoader|UnsafeLoader|yaml\.Loader|yaml\.CLoader)\b")
    for path in _src_files():
        text = path.read_text(encoding="utf-8")
        assert not banned.search(text), f"{path.relative_to(ROOT)} uses a full YAML loader"
        for node in ast.walk(ast.parse(text)):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if not (isinstance(node.func.value, ast.Name) and node.func.value.id == "yaml"):
                continue
            if node.func.attr in ("load", "load_all"):
                loader = {k.arg: k.value for k in node.keywords}.get("Loader")
                assert isinstance(loader, ast.Name), f"{path.name}:{node.lineno}: yaml.load without a Loader"
                module = _module_of(path)
                assert issubclass(getattr(module, loader.id), yaml.SafeLoader), (
                    f"{path.name}:{node.lineno}: {loader.id} is not a SafeLoader"
                )


def _module_of(path: Path) -> Any:
    import importlib

    dotted = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
    return importlib.import_module(dotted)


def test_no_eval_and_exec_only_of_generated_code() -> None:
    """``eval`` is never called; ``exec`` only runs code the compiler generated."""
    # the plan, its gated variant (durable backend), the input checker
    allowed_exec = {
        "compile/_generate.py",
        "compile/_program.py",
        "inputs/_fast.py",
        "compile/_explainers.py",
        "slip/_trace.py",  # each rule's trace entry (texts bound in its namespace: test_trace_writing)
    }
    for path in _src_files():
        rel = path.relative_to(SRC).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "eval", f"{rel}:{node.lineno} calls eval"
                if node.func.id == "exec":
                    assert rel in allowed_exec, f"{rel}:{node.lineno} calls exec"


# A ruleset whose names, ids, fields and strings are all distinctive (and partly Chinese),
# so that any of them leaking into generated code would be seen.
TELLTALE = """id: telltale_plan
version: "1"
title: {zh: 泄漏检查, en: Leak check}
effective_from: 2024-01-01
parameters:
  提成比例: {type: rate, value: 3%}
  最低工资标准:
    type: money
    values:
      - {from: 2024-01-01, value: 1500}
inputs:
  底薪: {type: money, ge: 0}
  订台记录:
    type: list
    of:
      type: record
      fields:
        金额字段: {type: money, ge: 0}
        品类字段: {type: str, enum: [小吃甲, 果盘乙]}
  考核分数表: {type: map, keys: [业务维度], values: {type: decimal}}
facts:
  计入业绩: {type: money, expr: "sum(单笔.金额字段 for 单笔 in 订台记录 if 单笔.品类字段 == '小吃甲')"}
  奖项名单: {type: list, combine: list}
tables:
  等级对照表:
    hit_policy: FIRST
    inputs: [{name: 分数列, type: decimal}]
    output: {name: 等级列, type: str}
    rows:
      - {when: [">= 90"], then: 优秀等级}
      - {when: ["-"], then: 普通等级}
tiers:
  阶梯提成表:
    mode: marginal
    brackets: [{from: 0, rate: 1%}, {from: 10000, rate: 2%}]
rules:
  - id: secret_rule_alpha
    label: {zh: 底薪规则, en: Base}
    line: {category: earning, amount: 底薪}
  - id: secret_rule_beta
    label: {zh: 提成规则, en: Commission}
    let: {临时变量: 计入业绩 * 提成比例}
    line: {category: earning, amount: 临时变量 + 阶梯提成表(计入业绩)}
  - id: secret_rule_gamma
    label: {zh: 等级通知, en: Grade}
    when: 等级对照表(考核分数表['业务维度']) == '优秀等级'
    contribute: {奖项名单: "'奖状'"}
    notice:
      kind: grade
      code: grade_notice
      text: {zh: "等级 {lines.secret_rule_alpha}", en: "{totals.earning}"}
  - id: secret_rule_delta
    label: {zh: 保底, en: Floor}
    for_each: 每笔 in 订台记录
    when: 每笔.金额字段 > 最低工资标准 * 10 and totals.earning > lines.secret_rule_beta
    line: {category: adjustment, amount: 每笔.金额字段 / 1000}
invariants:
  - id: secret_invariant
    always: net >= 0
"""

_GENERATED = re.compile(
    r"""
    [vkfgenxlptria]\d+(_\d+)?         # inputs, constants, facts, loops, lets, helpers, table args
    | L\d+                            # line sums, by rule position
    | T_(earning|deduction|fine|forfeiture|adjustment|adjpos|adjneg)
    | s_(net|carry_forward|earnings|deductions|notices)
    | _[A-Za-z]\w*                    # runtime helpers (_Z, _r, _round …)
    | run|I|P|LN|NT|TR|a|c|exc|out    # the plan's parameters and scratch names
    | append|values|keys|quantize     # the only methods generated code calls
    """,
    re.X,
)


def _code_tokens(source: str) -> Iterator[tokenize.TokenInfo]:
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE):
            yield tok


@pytest.mark.parametrize("which", ["telltale", "bar"])
def test_generated_plan_source_holds_only_generated_identifiers(which: str) -> None:
    if which == "telltale":
        version = cmrules.loads_ruleset(TELLTALE).latest
    else:
        version = cmrules.load_ruleset(ROOT / "rulesets" / "bar_customer_manager.yaml").latest
    source = version.program.source
    builtin_names = set(globals_for(Rounder(2, "ROUND_HALF_UP"))["__builtins__"])  # type: ignore[arg-type]
    for tok in _code_tokens(source):
        assert tok.type != tokenize.STRING, f"a string literal in generated code: {tok.line!r}"
        if tok.type == tokenize.NAME:
            word = tok.string
            assert keyword.iskeyword(word) or word in builtin_names or _GENERATED.fullmatch(word), (
                f"{word!r} is not a generated identifier: {tok.line!r}"
            )


def test_no_text_of_the_ruleset_reaches_generated_code() -> None:
    """Every distinctive name, id, field and string of TELLTALE appears only in comments."""
    version = cmrules.loads_ruleset(TELLTALE).latest
    doc = version.doc
    texts = {r.id for r in doc.rules} | set(doc.inputs) | set(doc.facts) | set(doc.parameters)
    texts |= set(doc.tables) | set(doc.tiers) | {doc.id} | {"金额字段", "品类字段", "业务维度"}
    texts |= {"小吃甲", "优秀等级", "奖状", "临时变量", "单笔", "每笔", "secret_invariant", "grade_notice"}
    texts -= {"employee", "period", "carried_deductions"}  # built in: their names are the language's
    lines = version.program.source.splitlines()
    code_lines = [line for line in lines if not line.lstrip().startswith("#")]
    for text in sorted(texts):
        leaks = [line for line in code_lines if text in line]
        assert not leaks, f"{text!r} leaks into generated code: {leaks[0]!r}"
    assert "    # rule secret_rule_alpha" in lines  # the comments do name the rules


def test_the_telltale_ruleset_runs() -> None:
    """The generated code above is real: the ruleset evaluates to hand-checked numbers."""
    ruleset = cmrules.loads_ruleset(TELLTALE)
    slip = ruleset.evaluate(
        {
            "employee": "E1",
            "period": "2024-05",
            "底薪": "3000",
            "订台记录": [
                {"金额字段": "20000", "品类字段": "小吃甲"},
                {"金额字段": "5000", "品类字段": "果盘乙"},
            ],
            "考核分数表": {"业务维度": "95"},
        }
    )
    # performance counts only 小吃甲: 20,000; commission 3% × 20,000 = 600, tier 1% × 10,000
    # + 2% × 10,000 = 300, so beta is 900; only the 20,000 booking is above 10 × 1,500, and
    # earnings 3,000 + 900 exceed beta's 900: one adjustment of 20,000 / 1,000 = 20.
    assert [(line.rule_id, str(line.amount)) for line in slip.lines] == [
        ("secret_rule_alpha", "3000.00"),
        ("secret_rule_beta", "900.00"),
        ("secret_rule_delta", "20.00"),
    ]
    assert slip.net == Decimal("3920.00")  # 3,000 + 900 + 20
    assert slip.facts["奖项名单"] == ["奖状"]
    assert [n.code for n in slip.notices] == ["grade_notice"]
