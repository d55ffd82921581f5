"""Input checks (``checks:``): a record that fails one is refused as ``input.check``, naming employee,
field and value, by every engine and through a ledger; load errors are located; modules declare them;
the invariant search leaves refused records out."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import cmrules
from cmrules.errors import InputError, RulesetError

HEADER = 'cmrules: 1\nid: t\nversion: "1"\ntitle: {zh: 测试, en: Test}\neffective_from: 2024-01-01\n'
BODY = """\
parameters:
  bonus_limit:
    type: int
    values: [{from: 2024-01-01, value: 1}, {from: 2025-01-01, value: 2}]
inputs:
  wage: {type: money, ge: 0}
  annual_bonus: {type: money, ge: 0, default: 0}
balances:
  bonuses_paid: {type: int, resets: yearly, initial: 0, ge: 0, le: 5, add: "1 if annual_bonus > 0 else 0"}
rules:
  - id: pay
    label: {zh: 工资及奖金, en: Wage and bonus}
    line: {category: earning, amount: wage + annual_bonus}
checks:
  - id: bonus_limit_a_year
    when: annual_bonus > 0
    require: bonuses_paid < bonus_limit
    field: annual_bonus
    message: {zh: 本年奖金次数已满, en: no more annual bonuses this year}
  - id: wage_below_ten_million
    require: wage < 10000000
    field: wage
    message: {zh: 工资过高, en: a wage this high is a typo}
invariants:
  - id: net_is_what_is_paid
    always: earnings == wage + annual_bonus
"""


def load(body: str = BODY) -> cmrules.Ruleset:
    return cmrules.loads_ruleset(HEADER + body)


def errors(body: str) -> list[tuple[int, int, str, str]]:
    with pytest.raises(RulesetError) as info:
        load(body)
    return [(e.line, e.column, e.code, e.message) for e in info.value.errors]


def test_a_record_that_fails_a_check_is_refused_naming_employee_field_and_value() -> None:
    ruleset = load()
    record = {"employee": "E1", "period": "2024-06", "wage": "100", "annual_bonus": "50", "bonuses_paid": 1}
    with pytest.raises(InputError) as info:
        ruleset.evaluate(record)
    (problem,) = info.value.problems
    assert (problem.code, problem.employee, problem.field, problem.value) == (
        "input.check",
        "E1",
        "annual_bonus",
        Decimal("50.00"),
    )
    assert problem.message == (
        "check bonus_limit_a_year: no more annual bonuses this year / 本年奖金次数已满 "
        "(bonuses_paid = 1, bonus_limit = 1)"
    )
    # ``when`` false: the check does not apply; the dated parameter allows two in 2025
    assert ruleset.evaluate({**record, "annual_bonus": "0"}).net == Decimal("100.00")
    assert ruleset.evaluate({**record, "period": "2025-06"}).net == Decimal("150.00")


def test_every_failing_check_is_one_problem() -> None:
    record = {
        "employee": "E2",
        "period": "2024-06",
        "wage": "10000000",
        "annual_bonus": "1",
        "bonuses_paid": 1,
    }
    with pytest.raises(InputError) as info:
        load().evaluate(record)
    assert [(p.code, p.field) for p in info.value.problems] == [
        ("input.check", "annual_bonus"),
        ("input.check", "wage"),
    ]


def test_a_balances_bounds_are_its_inputs_bounds() -> None:
    with pytest.raises(InputError) as info:
        load().evaluate({"employee": "E3", "period": "2024-06", "wage": "1", "bonuses_paid": 6})
    assert [(p.code, p.field) for p in info.value.problems] == [("input.constraint", "bonuses_paid")]


def test_the_durable_backend_runs_the_checks() -> None:
    ruleset = load()
    record = {"employee": "E1", "period": "2024-06", "wage": "100", "annual_bonus": "50", "bonuses_paid": 1}
    try:
        with pytest.raises(InputError) as info:
            ruleset.evaluate(record, engine="durable")
    except cmrules.errors.EngineUnavailable:
        pytest.skip("durable-rules is not available here")
    assert [p.code for p in info.value.problems] == ["input.check"]


def test_through_a_ledger_the_balance_makes_the_check_hold_across_months() -> None:
    ruleset = load()
    seen = []
    with cmrules.Ledger(":memory:") as book:
        for period, bonus in [("2024-11", "5"), ("2024-12", "5"), ("2024-12", "0"), ("2025-01", "5")]:
            run = book.run(ruleset, period, [{"employee": "E1", "wage": "10", "annual_bonus": bonus}])
            seen.append(
                (period, [str(s.net) for s in run.slips], [(f["code"], f["field"]) for f in run.failures])
            )
            if not run.failures:
                book.close(period, ruleset)
    assert seen == [
        ("2024-11", ["15.00"], []),
        ("2024-12", [], [("input.check", "annual_bonus")]),  # the second bonus of 2024
        ("2024-12", ["10.00"], []),
        ("2025-01", ["15.00"], []),  # reset on 1 January
    ]


def test_load_errors_are_located() -> None:
    body = """\
inputs:
  wage: {type: money}
facts:
  gross: {type: money, expr: wage}
checks:
  - {id: a, require: gross > 0, field: wage, message: {zh: 无, en: none}}
  - {id: b, require: wage > 0, field: wages, message: {zh: 无, en: none}}
  - {id: b, require: wage > 0, field: wage, message: {zh: 无, en: none}}
  - {id: c, require: wage + 1, field: wage, message: {zh: 无, en: none}}
  - {id: d, field: wage, message: {zh: 无, en: none}}
"""
    found = errors(body)
    codes = [(line, code) for line, _, code, _ in found]
    assert codes == [
        (11, "expr.unknown_name"),
        (12, "rule.unknown_target"),
        (13, "schema.duplicate_name"),
        (14, "expr.type"),
        (15, "schema.missing_key"),
    ], found
    assert "a check reads inputs, balances and parameters only" in found[0][3]


def test_a_module_declares_balances_checks_and_caps(tmp_path: Path) -> None:
    (tmp_path / "bonus.yaml").write_text(
        """\
module: demo/bonus
inputs:
  annual_bonus: {type: money, ge: 0, default: 0}
balances:
  bonuses_paid: {type: int, resets: yearly, initial: 0, add: "1 if annual_bonus > 0 else 0"}
checks:
  - id: one_bonus
    when: annual_bonus > 0
    require: bonuses_paid == 0
    field: annual_bonus
    message: {zh: 已发放, en: already paid}
caps:
  - id: half
    label: {zh: 上限, en: Cap}
    limits: {categories: [fine]}
    limit: 50% * totals.earning
""",
        encoding="utf-8",
    )
    (tmp_path / "main.yaml").write_text(
        HEADER
        + """\
include: [bonus.yaml]
inputs:
  wage: {type: money, ge: 0}
  fines: {type: money, ge: 0, default: 0}
rules:
  - id: pay
    label: {zh: 工资, en: Wage}
    line: {category: earning, amount: wage + annual_bonus}
  - id: fine
    label: {zh: 罚款, en: Fine}
    when: fines > 0
    line: {category: fine, amount: fines}
""",
        encoding="utf-8",
    )
    ruleset = cmrules.load_ruleset(tmp_path / "main.yaml")
    slip = ruleset.evaluate({"employee": "E1", "period": "2024-05", "wage": "100", "fines": "80"})
    assert slip.net == Decimal("50.00") and "bonuses_paid" in slip.balances
    with pytest.raises(InputError):
        ruleset.evaluate(
            {"employee": "E1", "period": "2024-05", "wage": "1", "annual_bonus": "1", "bonuses_paid": 1}
        )


def test_a_check_declared_twice_across_a_module_is_a_clash(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(
        "module: demo/m\ninputs:\n  x: {type: int}\n"
        "checks:\n  - {id: pos, require: x > 0, field: x, message: {zh: 正, en: positive}}\n",
        encoding="utf-8",
    )
    (tmp_path / "main.yaml").write_text(
        HEADER
        + "include: [m.yaml]\nchecks:\n"
        + "  - {id: pos, require: x >= 0, field: x, message: {zh: 正, en: positive}}\n",
        encoding="utf-8",
    )
    with pytest.raises(RulesetError) as info:
        cmrules.load_ruleset(tmp_path / "main.yaml")
    assert [(e.code, e.line) for e in info.value.errors] == [("include.clash", 8)]


@pytest.mark.slow
def test_the_invariant_search_leaves_out_records_a_check_refuses() -> None:
    from cmrules.testing._invariants import check_invariants

    report = check_invariants(load(), max_examples=30)
    assert report.ok, report.render()


def test_a_pickled_version_still_runs_its_checks() -> None:
    import pickle

    version = pickle.loads(pickle.dumps(load().latest))
    record = {"employee": "E1", "period": "2024-06", "wage": "100", "annual_bonus": "50", "bonuses_paid": 1}
    with pytest.raises(InputError) as info:
        version.evaluate(record)
    assert [p.code for p in info.value.problems] == ["input.check"]
