"""cmrules.testing: input strategies, ruleset invariants, and the pytest plugin."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import cmrules
from cmrules.testing import (
    boundary_values,
    check_invariant,
    check_invariants,
    grown_inputs,
    inputs,
    rule_coverage,
    ruleset_constants,
)

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"
BAR = RULESETS / "bar_customer_manager.yaml"
BROKEN = ROOT / "tests" / "fixtures" / "bar_broken_commission.yaml"
#: Every shipped ruleset present when the tests run: single files and folders of versions.
SHIPPED = sorted(p for p in RULESETS.glob("*.yaml") if not p.name.endswith(".tests.yaml")) + sorted(
    p for p in RULESETS.iterdir() if p.is_dir() and any(p.glob("*.yaml"))
)


@functools.cache
def _load(path: Path) -> cmrules.Ruleset:
    return cmrules.load_ruleset(path)


@functools.cache
def _inputs(path: Path) -> st.SearchStrategy[dict[str, Any]]:
    return inputs(_load(path))


def _walk(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _walk(v)]
    if isinstance(value, list):
        return [x for v in value for x in _walk(v)]
    return [value]


# ---------------------------------------------------------------------------- strategies


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
@settings(max_examples=150, deadline=None, database=None)
@given(data=st.data())
def test_inputs_validate_for_every_shipped_ruleset(path: Path, data: st.DataObject) -> None:
    ruleset = _load(path)
    raw = data.draw(_inputs(path))
    version = ruleset.version_for(raw["period"])
    version.validator.reference(raw)  # the pydantic model: the reference of what is valid
    version.validator(raw)  # and the fast path
    places = version.doc.rounding.places
    year, month = int(raw["period"][:4]), int(raw["period"][5:7])
    for value in _walk(raw):
        if isinstance(value, Decimal):  # exact, with the ruleset's places
            assert value.as_tuple().exponent == -places, value
        if isinstance(value, dt.date):  # dates inside the period
            assert (value.year, value.month) == (year, month), (value, raw["period"])


def test_shipped_rulesets_were_found() -> None:
    names = {p.name for p in SHIPPED}
    assert {"bar_customer_manager.yaml", "securities_client_manager"} <= names


def test_plan_periods_stay_inside_the_versions() -> None:
    plan = _load(RULESETS / "securities_client_manager")
    first = min(v.doc.effective_from for v in plan.versions)
    seen: set[str] = set()

    @seed(0)
    @settings(max_examples=100, deadline=None, database=None)
    @given(inputs(plan))
    def draw(raw: dict[str, Any]) -> None:
        seen.add(plan.version_for(raw["period"]).version)
        assert raw["period"] >= f"{first.year:04d}-{first.month:02d}"

    draw()
    assert seen == {v.version for v in plan.versions}  # both versions are drawn


def test_each_version_of_a_plan_draws_its_own_inputs(tmp_path: Path) -> None:
    head = "cmrules: 1\nid: plan\ntitle: {zh: 方案, en: Plan}\n"
    rule = "rules:\n  - {id: pay, label: {zh: 薪, en: Pay}, line: {category: earning, amount: '%s'}}\n"
    (tmp_path / "v1.yaml").write_text(
        head + 'version: "1"\neffective_from: 2020-01-01\ninputs:\n  a: {type: money, ge: 0}\n' + rule % "a"
    )
    (tmp_path / "v2.yaml").write_text(
        head + 'version: "2"\neffective_from: 2021-07-01\ninputs:\n  b: {type: int, ge: 0}\n' + rule % "b"
    )
    plan = cmrules.load_ruleset(tmp_path)
    seen: set[str] = set()

    @seed(0)
    @settings(max_examples=60, deadline=None, database=None)
    @given(inputs(plan))
    def run(raw: dict[str, Any]) -> None:
        version = plan.version_for(raw["period"])
        seen.add(version.version)
        # version 1 (2020-01 to 2021-06) has input a, version 2 has input b
        assert ("a" in raw, "b" in raw) == ((True, False) if version.version == "1" else (False, True))
        plan.evaluate(raw)

    run()
    assert seen == {"1", "2"}


def test_boundaries_follow_facts_and_loop_variables_back_to_inputs() -> None:
    found = boundary_values(_load(BAR))
    # performance > performance_target (a fact summing b.amount for b in bookings)
    assert Decimal(40000) in found["bookings.amount"]
    # b.registered_minutes_before >= registration_minutes (10), inside the generator
    assert Decimal(10) in found["bookings.registered_minutes_before"]
    # m > lateness_limit_minutes (30) for m in late_arrivals; absence_days >= 3 reads them too
    assert {Decimal(30), Decimal(3)} <= found["late_arrivals"]
    # off_post_fine: m > off_post_limit_minutes (20), nothing else
    assert found["off_post_minutes"] == {Decimal(20)}
    # personal_leave_days > 5 and personal_leave_days > 0
    assert {Decimal(5), Decimal(0)} <= found["personal_leave_days"]


@pytest.mark.slow
def test_boundaries_and_their_neighbours_are_drawn_often() -> None:
    counts = {Decimal("39999.99"): 0, Decimal("40000.00"): 0, Decimal("40000.01"): 0}
    minutes = {29: 0, 30: 0, 31: 0}

    # 400: hypothesis repeats and mutates what it drew, so hits come in clumps (at 200
    # examples, seed 2 drew 40,000.00 no time even before the constants were favoured)
    @seed(0)
    @settings(max_examples=400, deadline=None, database=None)
    @given(inputs(_load(BAR)))
    def draw(raw: dict[str, Any]) -> None:
        for booking in raw.get("bookings", []):
            if booking["amount"] in counts:
                counts[booking["amount"]] += 1
        for m in raw.get("late_arrivals", []):
            if m in minutes:
                minutes[m] += 1

    draw()
    # a uniform draw over 0..10^9 would hit these cents about never
    assert all(n > 0 for n in counts.values()), counts
    assert all(n > 0 for n in minutes.values()), minutes


SECURITIES = RULESETS / "securities_client_manager"
#: The monthly new-asset task of each level (POLICIES.md section 2 rule 1).
TASK = {1: Decimal(1000000), 2: Decimal(1500000), 3: Decimal(2000000)}


def test_constants_come_from_parameters_tables_tiers_and_comparisons() -> None:
    found = ruleset_constants(_load(SECURITIES))
    # the task table's outputs: new_assets is only divided by them
    assert set(TASK.values()) <= found
    # money parameters, a dated one with both its values, and a comparison's 1
    assert {Decimal(2000), Decimal(1320), Decimal(1500), Decimal(1)} <= found
    # the level table's cells and the 2013-07 fallback base
    assert {Decimal(10000000), Decimal(100000000), Decimal(1500)} <= found
    tier = "tiers:\n  scale: {mode: marginal, brackets: [{from: 0, rate: 0%}, {from: 777, rate: 3%}]}\n"
    tiered = cmrules.loads_ruleset(CLIFF.replace("\nrules:\n", f"\n{tier}rules:\n", 1))
    # a tier bound, and the literals of `sales < 50` and of the invariant `sales < 0`
    assert {Decimal(777), Decimal(50), Decimal(0)} <= ruleset_constants(tiered)


@pytest.mark.slow
def test_a_threshold_reached_through_a_table_output_is_drawn_often() -> None:
    """completion = new_assets / task_by_level(level): the base changes at completion 1,
    i.e. at new_assets == the level's task, a number no comparison holds. Before table
    outputs and the ruleset's constants were favoured, these 1,000 examples drew it 0 times."""
    plan = _load(SECURITIES)
    hits = {"task": 0, "task ± 0.01": 0}

    def draw(raw: dict[str, Any]) -> None:
        task = TASK[plan.evaluate(raw).facts["level"]]
        gap = abs(raw["new_assets"] - task)
        if gap == 0:
            hits["task"] += 1
        elif gap == Decimal("0.01"):
            hits["task ± 0.01"] += 1

    # five seeded runs of 200 rather than one of 1,000: hypothesis draws in clumps, and
    # also mixes in constants it finds in the imported code, so counts move with the
    # test session; measured 11 to 33 at the task, 28 to 51 beside it
    for seed_value in range(5):
        seed(seed_value)(
            settings(max_examples=200, deadline=None, database=None)(given(inputs(plan))(draw))
        )()
    print(f"securities, 5 x 200 examples: new_assets at the level's task {hits}")
    assert hits["task"] >= 8 and hits["task ± 0.01"] >= 8, hits


@pytest.mark.slow
def test_a_default_run_fires_every_rule_of_the_bar_ruleset_and_makes_its_line() -> None:
    bar = _load(BAR)
    report = rule_coverage(bar)  # a default run: 200 examples, seed 0
    print(report.render())
    by_rule = report.by_rule()
    # the 15 declared rules and the built-in carried_deductions, facts left out
    assert list(by_rule) == [r.id for r in bar.latest.program.rules if r.kind != "fact"]
    assert len(by_rule) == 16 and report.examples == 200
    assert report.never_fired() == [] and report.never_made() == [] and report.ok
    assert all(c.made >= 1 for c in by_rule.values() if c.makes == "line")
    assert by_rule["deduction_cap_exceeded"].makes == "notice" and by_rule["deduction_cap_exceeded"].made >= 1


@pytest.mark.slow
def test_every_rule_of_the_bar_ruleset_fires_within_an_invariant_run() -> None:
    # check_invariants' default of 100 examples: every rule fires (seeds 0-19 all did); making
    # the commission forfeitures' lines needs a commission and a dismissal or absences in
    # one slip, which 100 examples miss for some seeds: rule_coverage draws 200 by default
    report = check_invariants(BAR, only=["net_never_negative"], coverage=True)
    assert report.coverage is not None and report.coverage.examples == 100
    assert report.coverage.never_fired() == []


def test_coverage_counts_what_the_slips_show() -> None:
    at_target = [{"date": "2024-05-03", "amount": "40000.00", "registered_minutes_before": 10}]
    report = rule_coverage(
        _load(BAR),
        max_examples=30,
        period="2024-05",
        bookings=at_target,
        outside_soliciting_dates=[],
        dismissed=True,
        deposit="500.00",
        late_arrivals=[10],
    )
    by_rule = report.by_rule()
    assert report.examples == 30
    # performance 40,000.00: base 3,000.00, made and forfeited on dismissal; the deposit
    # of 500.00 refunded, on every slip
    for rule in ("base_pay", "dismissal_base_forfeiture", "deposit_refund"):
        assert (by_rule[rule].fired, by_rule[rule].made) == (30, 30), rule
    # no commission at exactly the target (3% of the excess 0): nothing to forfeit, no line
    assert (by_rule["commission"].fired, by_rule["dismissal_commission_forfeiture"].fired) == (0, 30)
    assert by_rule["dismissal_commission_forfeiture"].made == 0
    assert (by_rule["late_fine"].fired, by_rule["late_fine"].made) == (0, 0)
    # no commission, and neither fines nor the absence/leave forfeiture on dismissal
    assert report.never_fired() == [
        "2024-01 commission",
        "2024-01 late_fine",
        "2024-01 early_leave_fine",
        "2024-01 absence_fine",
        "2024-01 personal_leave_deduction",
        "2024-01 commission_forfeiture",
        "2024-01 off_post_fine",
        "2024-01 customer_stealing_fine",
        "2024-01 tips_confiscated",
        "2024-01 comp_excess_fine",
    ]
    assert report.never_made() == ["2024-01 dismissal_commission_forfeiture"]
    # the forfeited base (3,000.00) is above 20% of base + commission (600.00): every slip
    assert by_rule["deduction_cap_exceeded"].made == 30
    assert not report.ok
    assert "late_fine                          line         0      0   <- not covered" in report.render()


@pytest.mark.slow
def test_coverage_finds_the_unreachable_top_up_of_the_2013_07_securities_version() -> None:
    # 2013-07 pays the level base (2,500 at least) or the fallback 1,500; the minimum wage
    # in force since 2013-03-01 is 1,500, so base + commission is never below it
    report = rule_coverage(SECURITIES)
    assert report.never_fired() == ["2013-07 minimum_wage_topup"]
    assert report.by_rule("2012-01")["minimum_wage_topup"].made > 0
    assert report.by_rule("2013-07")["base_pay"].examples == report.by_rule("2013-07")["pension"].fired


def test_check_invariants_reports_coverage_when_asked() -> None:
    plain = check_invariants(BAR, max_examples=10, only=["net_never_negative"])
    assert plain.coverage is None and "rule coverage" not in plain.render()
    report = check_invariants(BAR, max_examples=10, only=["net_never_negative"], coverage=True)
    assert report.coverage is not None and report.coverage.examples == 10  # the same options
    text = report.render()
    assert text.index("1 of 1 invariants held") < text.index("rule coverage of bar_customer_manager 2024-01")


def test_overrides_fix_or_restrict_fields() -> None:
    bar = _load(BAR)

    @seed(0)
    @settings(max_examples=50, deadline=None, database=None)
    @given(inputs(bar, period="2024-02", dismissed=False, late_arrivals=st.just([31])))
    def run(raw: dict[str, Any]) -> None:
        assert raw["period"] == "2024-02" and raw["dismissed"] is False and raw["late_arrivals"] == [31]
        assert all(b["date"].month == 2 for b in raw.get("bookings", []))
        # 31 minutes late is over the 30-minute limit: one absence day, at least
        assert bar.evaluate(raw).facts["absence_days"] >= 1

    run()


def test_a_fixed_override_is_validated_like_input() -> None:
    # "12.5" is accepted as money and becomes Decimal('12.50') with the ruleset's places
    @settings(max_examples=5, deadline=None, database=None)
    @given(inputs(_load(BAR), deposit="12.5"))
    def run(raw: dict[str, Any]) -> None:
        assert raw["deposit"] == Decimal("12.50") and raw["deposit"].as_tuple().exponent == -2

    run()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda b: inputs(b, salary=1), "unknown input field"),
        (lambda b: inputs(b, max_list_size=-1), "between 0 and 1000"),
        (lambda b: inputs(b, max_list_size=10**12), "between 0 and 1000"),
        (lambda b: grown_inputs(b, "bookings", max_list_size=1001), "between 0 and 1000"),
        (lambda b: check_invariants(b, max_list_size=10**12), "between 0 and 1000"),
        (lambda b: inputs(b, max_list_size="3"), "must be an integer"),
        (lambda b: inputs(b, max_list_size=True), "must be an integer"),
        (lambda b: inputs(b, boundaries="yes"), "True or False"),
        (lambda b: inputs(42), "must be a cmrules Ruleset"),
        (lambda b: check_invariants(b.latest.doc), "must be a cmrules Ruleset"),
        (lambda b: inputs(b, late_arrivals=[0]), "not a valid value"),  # declared gt 0
        (lambda b: inputs(b, deposit="1.005"), "not a valid value"),  # more than 2 places
        (lambda b: inputs(b, period="2024-13"), "YYYY-MM"),
        (lambda b: inputs(b, period="2009-12"), "no version"),  # in force from 2010-01-01
        (lambda b: grown_inputs(b, "employee"), "an input that can grow"),
        (lambda b: grown_inputs(b, "bookings.nope"), "an input that can grow"),
        (lambda b: grown_inputs(b, "bookings", bookings=[]), "both overridden"),
        (lambda b: check_invariants(b, max_examples=0), "max_examples"),
        (lambda b: check_invariants(b, seed="0"), "seed"),
        (lambda b: check_invariants(b, only=["nope"]), "no invariant"),
        # a bare id would be read letter by letter: refused, with the fix in the message
        (lambda b: check_invariants(b, only="net_never_negative"), r"only=\['net_never_negative'\]"),
        (lambda b: check_invariants(b, only=[1]), "collection of invariant ids"),
        (lambda b: check_invariant(b.latest, "nope"), "has no invariant"),
        (lambda b: check_invariants(b, coverage="yes"), "True or False"),
        (lambda b: rule_coverage(b, max_examples=0), "max_examples"),
        (lambda b: rule_coverage(b, max_list_size=10**12), "between 0 and 1000"),
        (lambda b: rule_coverage(b, salary=1), "unknown input field"),
    ],
)
def test_bad_arguments_raise_invalid_argument(call: Any, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        call(_load(BAR))


def _drawn(strategy: st.SearchStrategy[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    @seed(0)
    @settings(max_examples=n, deadline=None, database=None)
    @given(strategy)
    def run(raw: dict[str, Any]) -> None:
        out.append(raw)

    run()
    return out


@pytest.mark.slow
def test_inputs_and_check_invariants_take_the_same_kinds_of_ruleset() -> None:
    # a path (str or Path) or the loaded Ruleset: the strategy draws the same inputs
    by_ruleset = _drawn(inputs(_load(BAR)), 10)
    assert _drawn(inputs(BAR), 10) == _drawn(inputs(str(BAR)), 10) == by_ruleset
    assert check_invariants(str(BAR), max_examples=5, only=("net_never_negative",)).ok


# ---------------------------------------------------------------------------- invariants


@pytest.mark.slow
def test_the_bar_ruleset_obeys_its_invariants() -> None:
    # a light run here; the pytest plugin runs each law with 100 examples
    report = check_invariants(_load(BAR), max_examples=25)
    assert report.ok, report.render()
    assert len(report.results) == 11
    assert all(r.examples >= 1 for r in report.results)


@pytest.mark.slow
def test_the_broken_commission_is_caught_with_a_shrunk_counterexample() -> None:
    report = check_invariants(BROKEN, only=["commission_only_on_excess"])
    assert not report.ok
    (result,) = report.failures
    cx = result.counterexample
    assert cx is not None and cx.slip is not None
    # The smallest input that breaks the law: one booking one cent above the 40,000
    # target, registered exactly 10 minutes before (9 would not count), on day 1 of
    # the first month of the ruleset; every other field left out.
    assert cx.input == {
        "employee": "E0001",
        "period": "2010-01",
        "bookings": [
            {"date": dt.date(2010, 1, 1), "amount": Decimal("40000.01"), "registered_minutes_before": 10}
        ],
    }
    # broken: 3% × 40,000.01 = 1,200.0003 → 1,200.00; the law allows 3% × 0.01 = 0.0003 → 0.00
    assert cx.slip.total("commission") == Decimal("1200.00")
    assert cx.values["performance"] == Decimal("40000.01")
    text = report.render()
    assert "{employee: E0001, period: 2010-01, bookings: [{date: '2010-01-01', amount: '40000.01'" in text
    assert "3% × 40,000.01 = 1,200.00" in text  # the slip's line, with its arithmetic


@pytest.mark.slow
@pytest.mark.parametrize("seed_value", [1, 2, 3])
def test_the_broken_commission_is_caught_whatever_the_seed(seed_value: int) -> None:
    (result,) = check_invariants(BROKEN, only=["commission_only_on_excess"], seed=seed_value).failures
    assert result.counterexample is not None and result.counterexample.slip is not None
    # shrunk to the smallest performance that breaks the law: the target plus one cent
    assert result.counterexample.slip.facts["performance"] == Decimal("40000.01")


CLIFF = """\
cmrules: 1
id: cliff
version: "1"
title: {zh: 断崖, en: Cliff}
effective_from: 2024-01-01
inputs:
  sales: {type: money, ge: 0}
rules:
  - id: bonus
    label: {zh: 奖金, en: Bonus}
    # a bug: at 50 the bonus drops by 10
    line: {category: earning, amount: "sales if sales < 50 else sales - 10"}
invariants:
  - id: bonus_grows
    monotonic: lines.bonus
    increasing_in: sales
  - id: nothing_when_negative
    always: net >= 0
    given: sales < 0
"""


def test_a_monotonic_law_is_broken_one_cent_below_the_threshold() -> None:
    report = check_invariants(cmrules.loads_ruleset(CLIFF))
    by_id = {r.invariant.id: r for r in report.results}
    cx = by_id["bonus_grows"].counterexample
    assert cx is not None and cx.grown_input is not None
    # 49.99 pays 49.99; one cent more (50.00) pays 50.00 − 10 = 40.00
    assert (cx.input["sales"], cx.grown_input["sales"]) == (Decimal("49.99"), Decimal("50.00"))
    assert "lines.bonus went down from 49.99 to 40.00 when sales: 49.99 → 50.00" in cx.message
    # a law whose `given` never holds is reported, not silently passed
    vacuous = by_id["nothing_when_negative"]
    assert not vacuous.passed and vacuous.problem is not None and "never checked" in vacuous.problem


@pytest.mark.parametrize(
    ("law", "code", "column"),
    [
        ("{id: a, always: nett >= 0}", "expr.unknown_name", 21),
        ("{id: a, always: net + 1}", "expr.type", 21),
        ("{id: a, monotonic: net > 0, increasing_in: sales}", "invariant.form", 24),
        ("{id: a, monotonic: net, increasing_in: employee}", "invariant.form", 44),
        ("{id: a, always: lines.nope >= 0}", "expr.unknown_name", 21),
    ],
)
def test_invariant_errors_are_located_at_load(law: str, code: str, column: int) -> None:
    text = CLIFF.split("invariants:")[0] + f"invariants:\n  - {law}\n"
    with pytest.raises(cmrules.RulesetError) as caught:
        cmrules.loads_ruleset(text)
    (issue,) = caught.value.errors
    assert (issue.code, issue.line, issue.column) == (code, 14, column)


# ---------------------------------------------------------------------------- pytest plugin


def test_the_plugin_collects_cases_and_invariants(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", cliff=CLIFF)
    pytester.makefile(
        ".tests.yaml",
        cliff="""\
cases:
  - name: below the cliff
    input: {employee: A, period: 2024-01, sales: "40.00"}
    expect: {net: "40.00"}
  - name: a wrong expectation
    input: {employee: A, period: 2024-01, sales: "60.00"}
    expect: {net: "60.00", lines: {bonus: "60.00"}}
""",
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines(
        [
            "*cliff.tests.yaml::case: below the cliff PASSED*",
            "*cliff.tests.yaml::case: a wrong expectation FAILED*",
            "*cliff.yaml::invariant: bonus_grows FAILED*",
            "*cliff.yaml::invariant: nothing_when_negative FAILED*",
        ]
    )
    out = result.stdout.str()
    # expected vs actual per field, the slip's arithmetic and the rule trace
    assert "net: expected 60.00, got 50.00" in out
    assert "lines.bonus: expected 60.00, got 50.00" in out
    assert "60.00 − 10 = 50.00" in out
    assert "bonus: sales=60.00 -> lines [0]" in out
    # the invariant's shrunk counterexample
    assert "lines.bonus went down from 49.99 to 40.00 when sales: 49.99 → 50.00" in out


@pytest.mark.slow
def test_the_plugin_reports_rule_coverage_when_asked(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", cliff=CLIFF)
    pytester.makeini("[pytest]\ncmrules_max_examples = 20\n")
    plain = pytester.runpytest("-p", "no:cacheprovider")
    assert "cmrules rule coverage" not in plain.stdout.str()
    result = pytester.runpytest("-p", "no:cacheprovider", "--cmrules-coverage")
    result.stdout.fnmatch_lines(
        [
            "*cmrules rule coverage*",
            "*cliff.yaml",
            "rule coverage of cliff 1 over 20 examples",
            # the bonus has no `when`: it fires and makes its line on every slip
            "  bonus * line * 20 * 20",
        ]
    )


def test_a_ruleset_that_does_not_load_is_one_failing_item(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", broken=CLIFF.replace("sales - 10", "salez - 10"))
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expr.unknown_name*salez*"])
