"""What a new user reads first is true: the README's first screen, the exit codes, ``--help``.

Each case was found by following the README in a fresh virtual environment: the slip
excerpt on the first screen showed an explanation the engine no longer prints, the README
did not say which Python it needs (``pip install`` fails on 3.10 with a resolver message),
the README's exit codes left out 75 and sent the reader to a page that did not list them,
and ``cmrules run --help`` did not say what its exit codes mean.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import cmrules
from cmrules.cli import _parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ERRORS_DOC = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
EXIT_CODES = {
    _parser.EXIT_OK,
    _parser.EXIT_ERROR,
    _parser.EXIT_EMPLOYEES,
    _parser.EXIT_USAGE,
    _parser.EXIT_INTERRUPTED,
    75,  # cli/_ledger.py's EXIT_BUSY: a ledger busy with another writer
}


def _excerpt() -> list[str]:
    """The lines of the slip excerpt under "Every line of a slip names the rule"."""
    after = README.split("Every line of a slip names the rule", 1)[1]
    block = re.search(r"```\n(.*?)```", after, re.S)
    assert block is not None
    return block.group(1).splitlines()


def test_the_readme_slip_excerpt_is_what_the_engine_prints() -> None:
    record = json.loads((ROOT / "examples" / "bar_month.json").read_text(encoding="utf-8"))[0]
    slip = cmrules.load_ruleset("bar_customer_manager").evaluate(record)
    printed = [(line.rule_id, line.category, f"{line.amount}", line.explanation) for line in slip.lines]
    shown = [tuple(re.split(r"\s{2,}", row.strip(), maxsplit=3)) for row in _excerpt()]
    assert shown == printed


def test_the_readme_says_which_python_it_needs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed = project["requires-python"].removeprefix(">=")
    first_screen = README.split("## From Python", 1)[0]
    assert f"Python {needed} or later" in first_screen


def _exit_code_table() -> dict[int, str]:
    section = ERRORS_DOC.split("\n## Exit codes\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", section, re.M)
    return {int(code): meaning for code, meaning in rows}


def test_every_exit_code_is_in_the_table_of_docs_errors() -> None:
    assert set(_exit_code_table()) == EXIT_CODES


def test_the_readme_gives_every_exit_code_and_links_the_table() -> None:
    line = next(p for p in README.split("\n\n") if p.startswith("Exit codes:"))
    assert {int(code) for code in re.findall(r"\b(\d+) [a-z]", line)} == EXIT_CODES
    assert "(docs/errors.md#exit-codes)" in line


def test_the_help_of_cmrules_and_of_run_gives_the_exit_codes() -> None:
    parser = _parser.build_parser()
    run = parser._subparsers._group_actions[0].choices["run"]  # type: ignore[union-attr]
    for text in (parser.format_help(), run.format_help()):
        flat = " ".join(text.split())
        codes = {int(code) for code in re.findall(r"\b(\d+) [a-z]", flat.split("Exit codes:", 1)[1])}
        assert EXIT_CODES <= codes, flat
