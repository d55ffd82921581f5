"""Caps on deductions (the ``caps:`` section): hand-checked amounts, properties, located errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cmrules
from cmrules.errors import RulesetError
from cmrules.testing import check_invariants, run_case_file

FIXTURE = Path(__file__).parent / "fixtures" / "caps_rider.yaml"
TEXT = FIXTURE.read_text(encoding="utf-8")
RIDER = cmrules.load_ruleset(FIXTURE)
CAPPED = ("lateness", "complaint")


def variant(*edits: tuple[str, str]) -> cmrules.Ruleset:
    """The fixture with text edits (each must apply once)."""
    text = TEXT
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return cmrules.loads_ruleset(text)


def pay(ruleset: cmrules.Ruleset, **fields: Any) -> cmrules.PaySlip:
    return ruleset.evaluate({"employee": "R", "period": "2024-03", "late": [], **fields})


def lines(slip: cmrules.PaySlip, rule_id: str) -> list[tuple[str, str]]:
    return [(line.category, str(line.amount)) for line in slip.line(rule_id)]


def test_the_hand_checked_cases_pass() -> None:
    results = run_case_file(FIXTURE.with_name("caps_rider.tests.yaml"))
    assert len(results) == 5
    assert [r.differences for r in results] == [[]] * 5


def test_a_waiver_line_per_rule_reduced_explains_itself() -> None:
    slip = pay(RIDER, fees="314.00", late=["30.00", "40.00"], complaints=1)
    assert lines(slip, "rider_cap") == [("waiver", "50.00"), ("waiver", "7.20")]
    why = "capped deductions 120.00 − limit 62.80 = excess 57.20 (limit: 20% × 314.00)"
    assert [line.explanation for line in slip.line("rider_cap")] == [
        f"50.00 of complaint waived: {why}",
        f"7.20 of lateness waived: {why}",
    ]
    data = slip.to_dict()
    assert data["totals"] == {
        "earnings": "314.00",
        "deductions": "-62.80",
        "net": "251.20",
        "carry_forward": "0.00",
    }
    assert sum(Decimal(x["amount"]) for x in data["lines"]) == Decimal("251.20")
    assert data["trace"][-1] == {
        "rule_id": "rider_cap",
        "read": {"capped": "120.00", "limit": "62.80", "excess": "57.20"},
        "lines": [4, 5],
    }


def test_order_is_declared_else_last_declared_first() -> None:
    fields = {"fees": "314.00", "late": ["30.00", "40.00"], "complaints": 1}
    lateness_first = variant(("order: [complaint]", "order: [lateness]"))
    assert lines(pay(lateness_first, **fields), "rider_cap") == [("waiver", "57.20")]
    assert pay(lateness_first, **fields).line("rider_cap")[0].explanation.startswith("57.20 of lateness")
    default = variant(("    order: [complaint]\n", ""))  # complaint is declared after lateness
    assert pay(default, **fields).line("rider_cap")[0].explanation.startswith("50.00 of complaint")


def test_the_limit_is_rounded_half_up() -> None:
    quarter = variant(("value: 20%", "value: 25%"))
    slip = pay(quarter, fees="314.02", complaints=2)  # 25% x 314.02 = 78.505 -> 78.51
    assert slip.facts["rider_cap_limit"] == Decimal("78.51")
    assert str(slip.deductions) == "78.51" and lines(slip, "rider_cap") == [("waiver", "21.49")]
    down = variant(
        ("value: 20%", "value: 25%"),
        ("    excess: waive\n", "    excess: waive\n    rounding: {mode: ROUND_DOWN}\n"),
    )
    assert pay(down, fees="314.02", complaints=2).facts["rider_cap_limit"] == Decimal("78.50")


def test_a_net_floor_keeps_net_at_the_minimum_wage() -> None:
    floored = variant(("    excess: waive\n", "    excess: waive\n    net_floor: min_wage\n"))
    slip = pay(floored, fees="120.00", late=["10.00"], complaints=1)  # cap 24.00, floor room 20.00
    assert (slip.facts["rider_cap_limit"], slip.facts["rider_cap_excess"]) == (
        Decimal("20.00"),
        Decimal("40.00"),
    )
    assert (str(slip.deductions), str(slip.net)) == ("20.00", "100.00")
    # a deduction outside the cap is taken whole: the capped ones give way entirely
    slip = pay(floored, fees="120.00", late=["10.00"], complaints=1, damage="30.00")
    assert (str(slip.deductions), str(slip.net), str(slip.facts["rider_cap_limit"])) == (
        "30.00",
        "90.00",
        "0.00",
    )
    assert str(pay(floored, fees="500.00", complaints=1).net) == "450.00"  # far above: the 20% cap holds


def test_carry_forward_defers_the_excess() -> None:
    deferring = variant(("excess: waive", "excess: carry_forward"))
    slip = pay(deferring, fees="314.00", late=["1.60", "4.00", "10.00"], complaints=2)
    assert lines(slip, "rider_cap") == [("deferral", "52.80")]
    assert (str(slip.earnings), str(slip.deductions), str(slip.net)) == ("314.00", "62.80", "251.20")
    assert str(slip.carry_forward) == "52.80"
    assert (
        slip.notices[-1].text["en"] == "52.80 is carried to next period (52.80 of it above a deduction cap)."
    )
    assert "carried to next period" in slip.line("rider_cap")[0].explanation
    # deductions beyond earnings add up with the deferred excess
    slip = pay(deferring, fees="0.00", complaints=1, damage="20.00")
    assert (str(slip.net), str(slip.carry_forward)) == ("0.00", "70.00")


def test_report_only_changes_no_amount_and_gives_a_notice() -> None:
    reporting = variant(("excess: waive", "excess: report"))
    slip = pay(reporting, fees="314.00", late=["1.60", "4.00", "10.00"], complaints=2)
    assert not slip.line("rider_cap") and str(slip.deductions) == "115.60" and str(slip.net) == "198.40"
    (notice,) = slip.notices
    assert (notice.rule_id, notice.kind, notice.code) == ("rider_cap", "compliance", "rider_cap")
    assert notice.text["en"] == (
        "Deduction cap (20% of gross): capped deductions of 115.60 exceed the cap of 62.80 by 52.80."
    )
    assert not pay(reporting, fees="314.00").notices


def test_a_custom_notice_reads_the_cap_amounts() -> None:
    noticed = variant(
        (
            "    excess: waive\n",
            "    excess: waive\n    notice: {code: cap_waived, kind: info, text: "
            "{zh: '免除 {excess}', en: 'waived {excess} above {limit} of {capped}'}}\n",
        )
    )
    slip = pay(noticed, fees="314.00", complaints=2)
    assert [(n.code, n.text["en"]) for n in slip.notices] == [
        ("cap_waived", "waived 37.20 above 62.80 of 100.00")
    ]


def test_the_durable_backend_runs_caps_as_the_native_engine() -> None:
    pytest.importorskip("durable")
    for fields in (
        {"fees": "314.00", "late": ["30.00"], "complaints": 2},
        {"fees": "10.00", "damage": "5.00"},
    ):
        data = {"employee": "R", "period": "2024-03", "late": [], **fields}
        assert RIDER.evaluate(data, engine="durable").to_json() == RIDER.evaluate(data).to_json()


MONEY = st.decimals(min_value=0, max_value=2000, places=2)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    fees=MONEY,
    late=st.lists(st.decimals(min_value=0, max_value=80, places=2), max_size=6),
    complaints=st.integers(0, 8),
    damage=MONEY,
    carried=st.decimals(min_value=0, max_value=100, places=2),
)
def test_properties(
    fees: Decimal, late: list[Decimal], complaints: int, damage: Decimal, carried: Decimal
) -> None:
    data = {"fees": str(fees), "late": [str(x) for x in late], "damage": str(damage)}
    slip = pay(RIDER, **data, complaints=complaints, carried_deductions=str(carried))
    limit, excess = slip.facts["rider_cap_limit"], slip.facts["rider_cap_excess"]
    capped = sum(late, Decimal(0)) + 50 * complaints
    waived = -sum((x.amount for x in slip.line("rider_cap")), Decimal(0))
    assert limit == (fees * Decimal("0.2")).quantize(Decimal("0.01"))
    assert capped + waived == min(capped, limit) and excess == -waived  # capped deductions <= cap
    assert slip.earnings == fees  # totals.earnings = gross
    assert sum((x.amount for x in slip.lines), Decimal(0)) == slip.earnings - slip.deductions
    assert slip.deductions == min(capped, limit) + damage + carried
    assert slip.net >= 0 and slip.net - slip.carry_forward == slip.earnings - slip.deductions
    more = pay(RIDER, **data, complaints=complaints + 1, carried_deductions=str(carried))  # monotonic
    assert more.deductions >= slip.deductions and more.facts["rider_cap_excess"] >= excess


@pytest.mark.slow
def test_the_fixture_keeps_its_invariants() -> None:
    report = check_invariants(FIXTURE, max_examples=60)
    assert report.ok, report


BAD_CASES = [
    (
        "limits: {categories: [fine], rules: [lateness]}",
        "limits: {categories: [fine], rules: [latenes]}",
        "rule.unknown_target",
        "cap limits 'latenes', which is no rule",
    ),
    (
        "limits: {categories: [fine], rules: [lateness]}",
        "limits: {categories: [fines], rules: [lateness]}",
        "schema.value",
        "did you mean 'fine'?",
    ),
    (
        "limits: {categories: [fine], rules: [lateness]}",
        "limits: {categories: [fine], rules: [fee]}",
        "rule.unknown_target",
        "a rule making earning lines",
    ),
    ("limit: cap_share * gross", "limit: cap_share * gros", "expr.unknown_name", "gros"),
    ("limit: cap_share * gross", "limit: cap_share *", "expr.syntax", ""),
    ("limit: cap_share * gross", "limit: complaints > 1", "expr.type", ""),
    ("order: [complaint]", "order: [damage_charge]", "rule.unknown_target", "not a rule this cap limits"),
    (
        "limit: rider_cap_limit, excess",
        "limit: gross, excess",
        "rule.unknown_target",
        "facts.limit names 'gross'",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "code", "words"), BAD_CASES, ids=[c[2] + str(i) for i, c in enumerate(BAD_CASES)]
)
def test_errors_are_located(old: str, new: str, code: str, words: str) -> None:
    with pytest.raises(RulesetError) as info:
        variant((old, new))
    issues = [i for i in info.value.errors if i.code == code]
    assert issues, info.value.errors
    line = TEXT[: TEXT.index(old)].count("\n") + 1
    assert issues[0].line == line and words in issues[0].message
    assert issues[0].rule_id in ("rider_cap", None)


def test_two_caps_cannot_limit_one_rule() -> None:
    second = (
        "  - id: second_cap\n    label: {zh: 二, en: Second}\n    limits: {rules: [complaint]}\n"
        "    limit: 10\n"
    )
    with pytest.raises(RulesetError) as info:
        variant(("invariants:\n", second + "invariants:\n"))
    assert [(i.code, i.rule_id) for i in info.value.errors] == [("rule.conflict", "second_cap")]
    assert "limited by cap 'rider_cap' already" in info.value.errors[0].message


def test_a_notice_reads_only_the_cap_amounts() -> None:
    with pytest.raises(RulesetError) as info:
        variant(("excess: waive", "excess: report\n    notice: {code: c, text: {zh: '{gross}', en: x}}"))
    assert [i.code for i in info.value.errors] == ["expr.unknown_name"]


def test_the_readable_source_names_the_cap() -> None:
    source = RIDER.latest.program.readable_source()
    assert "# cap rider_cap: Deduction cap (20% of gross), waive above cap_share * gross  (" in source


def test_a_ruleset_without_caps_keeps_its_plan() -> None:
    plain = cmrules.load_ruleset("bar_customer_manager").latest.program.source
    assert "T_waiver" not in plain and "_capsplit" not in plain


def test_a_cap_id_is_used_once() -> None:
    again = "  - id: rider_cap\n    label: {zh: 二, en: Again}\n"
    again += "    limits: {rules: [damage_charge]}\n    limit: 10\n"
    with pytest.raises(RulesetError) as info:
        variant(("invariants:\n", again + "invariants:\n"))
    assert [(i.code, i.line) for i in info.value.errors] == [
        ("schema.duplicate_name", TEXT.count("\n") - 10 + 1)
    ]


def test_a_broken_cap_is_reported_where_it_is_and_hides_nothing_else() -> None:
    with pytest.raises(RulesetError) as info:
        variant(("    limit: cap_share * gross\n", ""), ("    label: {zh: 配送费", "    labl: {zh: 配送费"))
    got = [(i.code, i.rule_id) for i in info.value.errors]
    assert sorted(set(got)) == [
        ("schema.missing_key", "fee"),
        ("schema.missing_key", "rider_cap"),
        ("schema.unknown_key", "fee"),
    ]
    (missing,) = [i for i in info.value.errors if i.rule_id == "rider_cap"]
    assert "missing key 'limit' in caps.0" in missing.message


def test_a_capped_slip_pickles_to_the_same_bytes() -> None:
    import pickle

    slip = pay(RIDER, fees="314.00", late=["30.00", "40.00"], complaints=1)
    assert pickle.loads(pickle.dumps(slip)).to_json() == slip.to_json()
