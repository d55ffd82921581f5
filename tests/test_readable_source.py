"""Program.readable_source(): the generated code with the ruleset's names in comments."""

from __future__ import annotations

import ast
from pathlib import Path

import cmrules

ROOT = Path(__file__).resolve().parent.parent
BAR = ROOT / "rulesets" / "bar_customer_manager.yaml"


def _code_lines(text: str) -> list[str]:
    """The lines that are code, neither blank nor a comment."""
    return [line for line in text.split("\n") if line.strip() and not line.lstrip().startswith("#")]


def test_bar_readable_source_names_the_rules_and_is_valid_python() -> None:
    program = cmrules.load_ruleset(BAR).latest.program
    text = program.readable_source()
    assert "late_fine" in text
    compile(text, "<readable>", "exec")
    # the very program that runs: only comment lines are added
    assert ast.dump(ast.parse(text)) == ast.dump(ast.parse(program.source))
    assert _code_lines(text) == _code_lines(program.source)


def test_each_rule_comment_gives_its_file_and_line() -> None:
    program = cmrules.load_ruleset(BAR).latest.program
    lines = program.readable_source().split("\n")
    (rule,) = [r for r in program.rules if r.id == "late_fine"]
    (comment,) = [line for line in lines if line.startswith("    # rule late_fine")]
    assert comment.endswith(f"bar_customer_manager.yaml:{rule.position[0]})")
    # the code of the rule follows its comment
    at = lines.index(comment)
    assert lines[at + 1] == "    try:"
    assert f"raise _Fail({rule.index}, " in "\n".join(lines[at : at + 12])


def test_the_header_says_what_generated_names_stand_for() -> None:
    program = cmrules.load_ruleset(BAR).latest.program
    header = [line for line in program.readable_source().split("\n") if line.startswith("#   ")]
    assert any(line.split()[1:4] == ["v13", "input", "dismissed"] for line in header)
    assert any(line.split()[1:4] == ["f0", "fact", "performance"] for line in header)
    assert any("parameter base_salary" in line and line.split()[1] == "k0" for line in header)


def test_hostile_text_stays_inside_comments() -> None:
    text = (
        'id: readable\nversion: "1"\ntitle: {zh: 读, en: Read}\neffective_from: 2024-01-01\n'
        "inputs:\n  hours: {type: int}\n"
        "tables:\n"
        "  band:\n"
        "    inputs: [{name: h, type: int}]\n"
        "    hit_policy: FIRST\n"
        "    output: {name: b, type: str}\n"
        "    rows:\n"
        '      - {when: ["< 10"], then: "low\\nimport os\\u2028x"}\n'
        "    default: high\n"
        "rules:\n"
        "  - id: pay\n"
        '    label: {zh: "工资\\n", en: "pay\\nimport os\\r\\u2028\\x0c"}\n'
        "    when: band(hours) == 'low\\nimport os\\u2028x'\n"
        "    line: {category: earning, amount: hours * 10}\n"
    )
    program = cmrules.loads_ruleset(text, "readable.yaml").latest.program
    readable = program.readable_source()
    compile(readable, "<readable>", "exec")
    assert _code_lines(readable) == _code_lines(program.source)
    assert "# table band  (readable.yaml:" in readable
    assert "import os" not in "\n".join(_code_lines(readable))
