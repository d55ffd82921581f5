"""The public surface is a contract: its names are pinned here, and so are their shapes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import cmrules

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"


def test_all_is_pinned() -> None:
    assert cmrules.__all__ == [
        "INPUT_FORMATS",
        "OUTPUT_FORMATS",
        "BalanceChange",
        "BalanceSpec",
        "CmrulesError",
        "EmployeeError",
        "EngineUnavailable",
        "EvaluationError",
        "FloatLiteral",
        "InputError",
        "InputFileError",
        "InputProblem",
        "Issue",
        "Ledger",
        "LedgerBusy",
        "Line",
        "Notice",
        "OutputCheck",
        "PaySlip",
        "Ruleset",
        "RulesetError",
        "SlipJSON",
        "UsageError",
        "Version",
        "atomic_write",
        "errors_path",
        "load_ruleset",
        "loads_ruleset",
        "read_inputs",
        "verify_output",
        "write_slips",
    ]


def test_the_public_subpackages_are_pinned() -> None:
    import cmrules.commands
    import cmrules.testing

    assert set(cmrules.testing.__all__) >= {"inputs", "check_invariants", "rule_coverage", "boundary_values"}
    assert set(cmrules.commands.__all__) >= {
        "check_paths",
        "run_file",
        "explain_employee",
        "run_tests",
        "diff_rulesets",
        "CheckResult",
        "RunResult",
    }


def test_every_public_name_exists() -> None:
    for name in cmrules.__all__:
        assert getattr(cmrules, name) is not None, name


def test_the_errors_share_one_base() -> None:
    for error in (cmrules.RulesetError, cmrules.InputError, cmrules.EvaluationError):
        assert issubclass(error, cmrules.CmrulesError)
    assert issubclass(cmrules.CmrulesError, Exception)


def test_load_ruleset_on_a_file() -> None:
    ruleset = cmrules.load_ruleset(RULESETS / "bar_customer_manager.yaml")
    assert isinstance(ruleset, cmrules.Ruleset)
    assert ruleset.id == "bar_customer_manager"
    assert len(ruleset.versions) == 1


def test_load_ruleset_accepts_a_str_path() -> None:
    assert isinstance(cmrules.load_ruleset(str(RULESETS / "bar_customer_manager.yaml")), cmrules.Ruleset)


def test_load_ruleset_on_the_securities_folder() -> None:
    folder = RULESETS / "securities_client_manager"
    ruleset = cmrules.load_ruleset(folder)
    assert isinstance(ruleset, cmrules.Ruleset)
    assert [v.version for v in ruleset.versions] == ["2012-01", "2013-07"]  # POLICIES.md section 2


def test_loads_ruleset_returns_a_ruleset() -> None:
    text = 'id: tiny\nversion: "1"\ntitle: {zh: 小, en: Tiny}\neffective_from: 2024-01-01\n'
    ruleset = cmrules.loads_ruleset(text)
    assert isinstance(ruleset, cmrules.Ruleset)
    slip = ruleset.evaluate({"employee": "E1", "period": "2024-01"})
    assert isinstance(slip, cmrules.PaySlip)
    assert slip.net == 0


def test_ruleset_error_items_have_the_documented_attributes(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        'id: bad\nversion: "1"\ntitle: {zh: 坏, en: Bad}\neffective_from: 2024-01-01\n'
        "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n    when: nobody > 0\n"
        "    notice: {kind: info, code: c, text: {zh: 提示, en: note}}\n",
        encoding="utf-8",
    )
    with pytest.raises(cmrules.RulesetError) as caught:
        cmrules.load_ruleset(path)
    (issue,) = caught.value.errors
    # "    when: nobody > 0" is line 8; 'nobody' starts in column 11
    assert (issue.code, issue.file, issue.line, issue.column, issue.rule_id) == (
        "expr.unknown_name",
        str(path),
        8,
        11,
        "r",
    )
    assert issue.message == "unknown name 'nobody'"
    fields = {f.name for f in dataclasses.fields(issue)}
    assert {"code", "file", "line", "column", "rule_id", "message"} <= fields


def test_input_and_evaluation_errors_name_the_employee() -> None:
    ruleset = cmrules.loads_ruleset(
        'id: api\nversion: "1"\ntitle: {zh: 接口, en: API}\neffective_from: 2024-01-01\n'
        "inputs:\n  n: {type: int}\n"
        "rules:\n  - id: share\n    label: {zh: 份额, en: Share}\n"
        "    line: {category: earning, amount: 10 / n}\n"
    )
    with pytest.raises(cmrules.InputError) as bad_input:
        ruleset.evaluate({"employee": "E9", "period": "2024-01", "n": "ten"})
    assert (bad_input.value.employee, bad_input.value.field, bad_input.value.value) == ("E9", "n", "ten")
    with pytest.raises(cmrules.EvaluationError) as failed:
        ruleset.evaluate({"employee": "E9", "period": "2024-01", "n": 0})
    assert (failed.value.employee, failed.value.rule_id, failed.value.code) == (
        "E9",
        "share",
        "eval.arithmetic",
    )
