"""``include:`` of modules: merge, clash, override, cycle, missing file, URL refused, errors naming
both files, the modules' hashes on every slip, and a version pickling with its modules' texts."""

from __future__ import annotations

import hashlib
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

import cmrules
from cmrules.commands import check_paths

HEAD = 'cmrules: 1\nid: demo\nversion: "1"\ntitle: {zh: 示例, en: Demo}\neffective_from: 2024-01-01\n'
RATES = """module: demo/rates
parameters:
  rate: {type: rate, value: 3%}
inputs:
  sales: {type: money, ge: 0}
rules:
  - id: commission
    label: {zh: 提成, en: Commission}
    line: {category: earning, amount: sales * rate}
"""


def write(folder: Path, **files: str) -> Path:
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder / "main.yaml"


def errors(path: Path) -> list[cmrules.errors.Issue]:
    with pytest.raises(cmrules.RulesetError) as info:
        cmrules.load_ruleset(path)
    return info.value.errors


def test_merge_gives_the_module_entries(tmp_path: Path) -> None:
    main = write(tmp_path, main=HEAD + "include: [rates.yaml]\n", rates=RATES)
    slip = cmrules.load_ruleset(main).evaluate({"employee": "E", "period": "2024-05", "sales": "1000"})
    assert [(line.rule_id, line.amount) for line in slip.lines] == [("commission", 30)]


def test_clash_is_located_at_the_second_declaration_naming_the_first(tmp_path: Path) -> None:
    text = HEAD + "include: [rates.yaml]\nparameters:\n  rate: {type: rate, value: 5%}\n"
    main = write(tmp_path, main=text, rates=RATES)
    [issue] = errors(main)
    assert (issue.code, Path(issue.file).name, issue.line, issue.column) == (
        "include.clash",
        "main.yaml",
        8,
        3,
    )
    assert f"{tmp_path / 'rates.yaml'}:3:3" in issue.message


def test_override_replaces_the_included_entry(tmp_path: Path) -> None:
    text = HEAD + "include: [rates.yaml]\noverrides:\n  parameters:\n    rate: {type: rate, value: 5%}\n"
    main = write(tmp_path, main=text, rates=RATES)
    slip = cmrules.load_ruleset(main).evaluate({"employee": "E", "period": "2024-05", "sales": "1000"})
    assert slip.lines[0].amount == 50


def test_override_of_a_rule_by_id_keeps_its_place(tmp_path: Path) -> None:
    rule = (
        "  rules:\n    - {id: commission, label: {zh: 提成, en: C}, line: {category: earning, amount: 7}}\n"
    )
    main = write(tmp_path, main=HEAD + "include: [rates.yaml]\noverrides:\n" + rule, rates=RATES)
    slip = cmrules.load_ruleset(main).evaluate({"employee": "E", "period": "2024-05", "sales": "1000"})
    assert slip.lines[0].amount == 7


def test_override_of_an_unknown_name_is_refused(tmp_path: Path) -> None:
    text = HEAD + "include: [rates.yaml]\noverrides:\n  parameters:\n    rat: {type: rate, value: 5%}\n"
    [issue] = errors(write(tmp_path, main=text, rates=RATES))
    assert (issue.code, issue.line, issue.column) == ("include.override", 9, 5)


def test_cycle_is_refused_with_the_cycle(tmp_path: Path) -> None:
    main = write(
        tmp_path,
        main=HEAD + "include: [a.yaml]\n",
        a="module: a\ninclude: [b.yaml]\n",
        b="module: b\ninclude: [a.yaml]\n",
    )
    [issue] = errors(main)
    assert issue.code == "include.cycle"
    cycle = issue.message.split(" (module")[0]
    assert cycle.endswith("a.yaml") and "a.yaml -> " in cycle and "b.yaml -> " in cycle


def test_includes_of_includes_and_a_diamond_merge_once(tmp_path: Path) -> None:
    main = write(
        tmp_path,
        main=HEAD + "include: [a.yaml, b.yaml]\n",
        a="module: a\ninclude: [rates.yaml]\n",
        b="module: b\ninclude: [rates.yaml]\n",
        rates=RATES,
    )
    version = cmrules.load_ruleset(main).latest
    assert [m.name for m in version.modules] == ["a", "demo/rates", "b"]


def test_missing_file_and_unknown_shipped_module(tmp_path: Path) -> None:
    issues = errors(write(tmp_path, main=HEAD + "include: [nope.yaml, cn/nope]\n"))
    assert [(i.code, i.line, i.column) for i in issues] == [("include.file", 6, 11), ("include.file", 6, 22)]
    assert "cn/iit" in issues[1].message  # the shipped modules are listed


@pytest.mark.parametrize(
    "target", ["https://example.com/a.yaml", "file:///etc/a.yaml", "/etc/a.yaml", "//host/a.yaml"]
)
def test_urls_and_absolute_paths_are_refused(tmp_path: Path, target: str) -> None:
    [issue] = errors(write(tmp_path, main=HEAD + f"include: ['{target}']\n"))
    assert issue.code == "include.url"


def test_an_error_in_a_module_names_both_files(tmp_path: Path) -> None:
    bad = RATES.replace("sales * rate", "sales * rat")
    [issue] = errors(write(tmp_path, main=HEAD + "include: [rates.yaml]\n", rates=bad))
    assert (Path(issue.file).name, issue.line) == ("rates.yaml", 9)
    assert f"included at {tmp_path / 'main.yaml'}:6:11" in issue.message
    assert "sales * rat" in issue.excerpt and "   9 |" in issue.excerpt


def test_module_hash_is_on_every_slip_and_absent_without_includes(tmp_path: Path) -> None:
    main = write(tmp_path, main=HEAD + "include: [rates.yaml]\n", rates=RATES)
    slip = cmrules.load_ruleset(main).evaluate({"employee": "E", "period": "2024-05", "sales": "1"})
    digest = hashlib.sha256(RATES.encode()).hexdigest()
    assert slip.ruleset["modules"] == {"demo/rates": digest}
    assert json.loads(slip.to_json())["ruleset"]["modules"] == {"demo/rates": digest}
    plain = cmrules.load_ruleset("bar_customer_manager").latest
    assert plain.modules == ()


def test_a_version_pickles_with_its_modules_texts(tmp_path: Path) -> None:
    from cmrules.ruleset import _load

    main = write(tmp_path, main=HEAD + "include: [rates.yaml]\n", rates=RATES)
    version = cmrules.load_ruleset(main).latest
    data = pickle.dumps(version)
    (tmp_path / "rates.yaml").write_text(
        RATES.replace("3%", "9%"), encoding="utf-8"
    )  # the worker's disk differs
    _load._loaded.clear()
    _load._kept.clear()
    again = pickle.loads(data)
    slip = again.evaluate({"employee": "E", "period": "2024-05", "sales": "1000"})
    assert slip.lines[0].amount == 30 and again.modules == version.modules


def test_a_module_is_checked_on_its_own_and_refused_as_a_ruleset(tmp_path: Path) -> None:
    write(tmp_path, rates=RATES)
    [result] = check_paths([tmp_path / "rates.yaml"])
    assert result.ok, result.render()
    [issue] = errors(tmp_path / "rates.yaml")
    assert issue.code == "include.file" and "module" in issue.message


@pytest.mark.slow
def test_shipped_modules_check_on_their_own() -> None:
    root = Path(__file__).resolve().parent.parent / "rulesets" / "modules"
    results = check_paths(sorted(root.rglob("*.yaml")))
    assert len(results) >= 2 and all(r.ok for r in results), "\n".join(r.render() for r in results)


def test_a_module_checked_on_its_own_reports_its_own_lines(tmp_path: Path) -> None:
    write(tmp_path, rates=RATES.replace("sales * rate", "sales * rat"))
    [result] = check_paths([tmp_path / "rates.yaml"])
    [issue] = result.issues
    assert (Path(issue.file).name, issue.line, issue.code) == ("rates.yaml", 9, "expr.unknown_name")
    assert "check of" not in issue.message and "(module demo/rates)" in issue.message


@pytest.mark.slow
def test_pytest_collects_a_modules_invariants(tmp_path: Path) -> None:
    write(tmp_path, rates=RATES + "invariants:\n  - {id: paid, always: net >= 0}\n")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path / "rates.yaml")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout + run.stderr


def test_the_readable_source_names_the_modules_lines(tmp_path: Path) -> None:
    main = write(tmp_path, main=HEAD + "include: [rates.yaml]\n", rates=RATES)
    source = cmrules.load_ruleset(main).latest.program.readable_source()
    assert f"# rule commission: Commission  ({tmp_path / 'rates.yaml'}:7)" in source
    assert f"parameter rate  ({tmp_path / 'rates.yaml'}:3)" in source


@pytest.mark.slow
def test_cmrules_test_searches_a_modules_invariants_not_as_a_plan(tmp_path: Path) -> None:
    from cmrules.commands._test import invariant_suite

    law = "invariants:\n  - {id: paid, always: net >= 0}\n"
    write(tmp_path, rates=RATES + law, other=RATES.replace("demo/rates", "demo/other") + law)
    results = invariant_suite([tmp_path], max_examples=5)
    assert sorted((Path(r.file).name, r.name) for r in results) == [
        ("other.yaml", "invariant paid"),
        ("rates.yaml", "invariant paid"),
    ]
    assert all(r.passed for r in results)
