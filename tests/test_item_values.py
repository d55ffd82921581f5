"""Item values (``items:``): a value computed once per element of a list input, read as a field
by every rule, fact and invariant that loops over the list; the delivery-rider policy of issue 14
without a copied fee formula; located refusals; the durable backend leaves them in Python."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import cmrules
from cmrules.engines._durable import durable_plan

FIXTURE = Path(__file__).parent / "fixtures" / "delivery_items.yaml"


def order(
    km: str, late: int = 0, peak: bool = False, complaint: bool = False, cancel: bool = False
) -> dict[str, Any]:
    return {
        "distance_km": km,
        "late_minutes": late,
        "peak": peak,
        "complaint": complaint,
        "cancelled_by_rider": cancel,
    }


@pytest.fixture(scope="module")
def rider() -> cmrules.Ruleset:
    return cmrules.load_ruleset(FIXTURE)


def pay(ruleset: cmrules.Ruleset, orders: list[dict[str, Any]], days: int = 26) -> cmrules.PaySlip:
    return ruleset.evaluate({"employee": "R1", "period": "2024-05", "days_online": days, "orders": orders})


def test_a_small_month_by_hand(rider: cmrules.Ruleset) -> None:
    slip = pay(
        rider,
        [
            order("2.5"),  # 5.00
            order("4.5", late=5, peak=True),  # 5.00 + 1.00 × floor(1.5) + 2.00 = 8.00, 20% late: 1.60
            order("7.9", late=40),  # 5.00 + 1.00 × floor(4.9) = 9.00, 100% late: 9.00
            order("3.0", cancel=True, complaint=True),  # not counted; fined 50 + 10
        ],
    )
    got = [(line.rule_id, line.amount, line.explanation) for line in slip.lines]
    assert got == [
        ("order_fee", Decimal("22.00"), "22.00 (fees)"),  # 5 + 8 + 9
        ("attendance", Decimal("300.00"), "300.00 (fixed amount)"),
        (
            "lateness",
            Decimal("-1.60"),
            "8.00 × 20% = 1.60; o.fee = 8.00, o.late_share = 20%",
        ),  # the order's own fee, not a copy
        ("lateness", Decimal("-9.00"), "9.00 × 100% = 9.00; o.fee = 9.00, o.late_share = 100%"),
        ("complaint", Decimal("-50.00"), "50.00 (fixed amount)"),
        ("cancellation", Decimal("-10.00"), "10.00 (fixed amount)"),
    ]
    assert slip.net == Decimal("251.40")  # 322.00 − 70.60
    # the trace shows the item with its values
    late = [entry for entry in slip.trace if entry["rule_id"] == "lateness"]
    assert late[0]["read"]["o"]["fee"] == "8.00" and late[0]["read"]["o"]["late_share"] == "0.20"


def test_both_volume_brackets_are_reached(rider: cmrules.Ruleset) -> None:
    # 600 counted orders of 4.0 km (6.00 each) and one cancelled: 3,600.00 + 0.50 × 600
    slip = pay(rider, [order("4.0")] * 600 + [order("1", cancel=True)], days=25)
    assert [(line.rule_id, line.amount) for line in slip.lines] == [
        ("order_fee", Decimal("3600.00")),
        ("volume_bonus", Decimal("300.00")),
        ("cancellation", Decimal("-10.00")),
    ]
    assert slip.line("volume_bonus")[0].explanation == "0.50 × 600 = 300.00"
    slip = pay(rider, [order("2")] * 900, days=25)  # 4,500.00 + 1.00 × 900
    assert (slip.facts["fees"], slip.line("volume_bonus")[0].amount) == (
        Decimal("4500.00"),
        Decimal("900.00"),
    )


def test_computed_once_per_item_in_the_program(rider: cmrules.Ruleset) -> None:
    """The fee's formula is compiled once (the items node); its three readers read the field."""
    source = rider.latest.program.source
    assert source.count("_floor(") == 1
    readable = rider.latest.program.readable_source()
    assert "item o of orders (items)" in readable


def test_invariants_and_the_input_see_item_values(rider: cmrules.Ruleset) -> None:
    from cmrules.testing import check_invariants

    report = check_invariants(rider, max_examples=15, seed=1)
    assert report.ok, report.render()
    raw = {"employee": "R1", "period": "2024-05", "days_online": 0, "orders": [order("5")]}
    slip = rider.evaluate(raw)
    assert slip.run_state.data["orders"][0]["fee"] == Decimal("7.00")
    assert "fee" not in raw["orders"][0]  # the caller's records are not changed
    assert rider.evaluate(raw).to_json() == slip.to_json()  # and evaluating again gives the same slip


def test_the_durable_backend_leaves_item_values_in_python(rider: cmrules.Ruleset) -> None:
    gates = durable_plan(rider.latest).matched_rules
    # lateness: 'not o.cancelled_by_rider and o.late_minutes > 0' are input fields: both matched
    assert gates["lateness"].matched == 2
    ruleset = cmrules.loads_ruleset(
        FIXTURE.read_text(encoding="utf-8").replace(
            "when: not o.cancelled_by_rider and o.late_minutes > 0", "when: o.fee > 6 and o.late_minutes > 0"
        )
    )
    assert "lateness" not in durable_plan(ruleset.latest).matched_rules  # o.fee: computed after the match


HEAD = 'id: it\nversion: "1"\ntitle: {zh: 明细, en: Items}\neffective_from: 2024-01-01\n'  # lines 1-4
BODY = """inputs:
  days: {type: int, default: 0}
  orders:
    type: list
    of: {type: record, fields: {km: {type: decimal}, peak: {type: bool}}}
  scores: {type: list, of: {type: int}}
facts:
  total: {type: money, expr: "sum(o.fee for o in orders)"}
items:
%s"""


def issues(items: str) -> list[tuple[str, str, int, int]]:
    with pytest.raises(cmrules.RulesetError) as caught:
        cmrules.loads_ruleset(HEAD + BODY % items, "items.yaml")
    return [(e.code, e.message, e.line, e.column) for e in caught.value.errors]


def test_a_type_error_is_located_and_its_readers_are_not_reported_again() -> None:
    # line 15: '    fee: "1.00 + o.peak"', the '+' at column 11
    assert issues('  o in orders:\n    fee: "1.00 + o.peak"\n') == [
        ("expr.type", "cannot apply '+' to decimal and bool", 15, 11)
    ]


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (
            '  orders:\n    fee: "1.00"\n',
            ("expr.syntax", "an items key reads 'name in list', e.g. 'o in orders'", 14, 3),
        ),
        (
            '  o in days:\n    fee: "1.00"\n',
            ("schema.type", "items of 'days': it must be a list input of records", 14, 3),
        ),
        (
            '  o in scores:\n    fee: "1.00"\n',
            ("schema.type", "items of 'scores': it must be a list input of records", 14, 3),
        ),
        (
            '  days in orders:\n    fee: "1.00"\n',
            ("schema.name", "item name 'days' hides a declared name", 14, 3),
        ),
        (
            '  o in orders:\n    fee: "1.00"\n    peak: "o.km > 3"\n',
            ("schema.duplicate_name", "item value 'peak' is already a field of orders's items", 16, 5),
        ),
        (
            '  o in orders:\n    fee: "o.kms"\n',
            ("expr.unknown_field", "unknown field of record orders 'kms'; did you mean 'km'?", 15, 11),
        ),
        (
            '  o in orders:\n    fee: "total + o.km"\n',
            ("expr.unknown_name", "unknown name 'total'", 15, 11),
        ),
        (
            '  o in orders:\n    fee: "lines.x"\n',
            ("expr.unknown_name", "unknown rule id 'x'", 15, 11),
        ),
        (
            "  o in orders: 3\n",
            ("schema.type", "items.o in orders: Input should be a valid dictionary", 14, 16),
        ),
    ],
)
def test_refusals(items: str, expected: tuple[str, str, int, int]) -> None:
    assert expected in issues(items)


def test_a_later_value_reads_an_earlier_one() -> None:
    ruleset = cmrules.loads_ruleset(
        HEAD
        + BODY % '  o in orders:\n    base: "2.00 * o.km"\n    fee: "base_fee_of(o.base)"\n'
        + "tiers:\n  base_fee_of:\n    mode: marginal\n    brackets: [{from: 0, rate: 100%}]\n"
    )
    slip = ruleset.evaluate({"employee": "E", "period": "2024-05", "orders": [{"km": "1.5", "peak": False}]})
    assert slip.facts["total"] == Decimal("3.00")


def test_item_values_cannot_read_lines() -> None:
    body = (BODY % '  o in orders:\n    fee: "lines.r"\n') + (
        "rules:\n  - id: r\n    label: {zh: 规则, en: Rule}\n    line: {category: earning, amount: 1}\n"
    )
    with pytest.raises(cmrules.RulesetError) as caught:
        cmrules.loads_ruleset(HEAD + body, "items.yaml")
    (issue,) = caught.value.errors
    assert issue.code == "expr.type" and "item values read their item" in issue.message


def test_the_durable_backend_leaves_the_new_functions_and_tiers_in_python() -> None:
    """floor/ceil/trunc, the calendar functions and quantity tiers are calls: the Rete network never
    decides them (a condition starting with one is left whole to the plan), and a comparison of an
    input before them is still matched."""
    body = (
        "inputs:\n  km: {type: decimal, default: 0}\n  n: {type: int, default: 0}\n"
        "tiers:\n  t:\n    mode: retroactive\n    brackets: [{from: 600, amount_per_unit: 0.50}]\n"
        "rules:\n"
    )
    whens = {
        "a": "floor(km) > 3",
        "b": "working_days(period) > 20",
        "c": "t(n) > 0",
        "d": "n > 5 and ceil(km, 1) > 3",
        "e": "days_employed(period, None, None) > 1 and n > 5",
    }
    for rid, when in whens.items():
        line = "line: {category: earning, amount: 1}"
        body += f"  - {{id: {rid}, label: {{zh: 规则, en: Rule}}, when: '{when}', {line}}}\n"
    gates = durable_plan(cmrules.loads_ruleset(HEAD + body).latest).matched_rules
    assert {rid: gate.matched for rid, gate in gates.items() if rid in whens} == {"d": 1}


def _holds(condition: dict[str, Any], fact: dict[str, Any]) -> bool:
    """A durable-rules JSON condition evaluated in Python (the engine itself is optional)."""
    ((op, arg),) = condition.items()
    if op in ("$and", "$or"):
        return (all if op == "$and" else any)(_holds(part, fact) for part in arg)
    ((name, value),) = arg.items()
    got = fact.get(name)
    compare = {"$eq": got == value, "$neq": got != value}
    if op in compare:
        return compare[op]
    return {"$lt": got < value, "$lte": got <= value, "$gt": got > value, "$gte": got >= value}[op]


def test_the_gated_durable_plan_with_item_values_gives_the_native_slip(rider: cmrules.Ruleset) -> None:
    """The durable plan (its facts, conditions and gated program) with a Python matcher in place of
    the Rete network gives the native slip, item values and all."""
    from functools import partial

    version = rider.latest
    plan = durable_plan(version)
    orders = [
        order("4.5", late=5, peak=True),
        order("7.9", late=40),
        order("3.0", cancel=True, complaint=True),
    ]
    raw = {"employee": "R1", "period": "2024-05", "days_online": 27, "orders": orders}
    data = version.validator(raw)
    facts = plan.facts(data)
    firings = [
        (name, f) for name, rule in plan.rules.items() for f in facts if _holds(rule["all"][0]["m"], f)
    ]
    assert plan.run is not None
    slip = version.run(data, partial(plan.run, G=plan.matches(firings)))
    assert slip.to_json() == rider.evaluate(raw).to_json()
    assert slip.net == Decimal("246.40")  # 8.00 + 9.00 + 300 − 1.60 − 9.00 − 50 − 10 (cancelled: unpaid)


def test_a_failing_item_value_names_the_items_of_its_list() -> None:
    ruleset = cmrules.loads_ruleset(HEAD + BODY % '  o in orders:\n    fee: "10 / o.km"\n')
    with pytest.raises(cmrules.EvaluationError) as caught:
        ruleset.evaluate({"employee": "E9", "period": "2024-05", "orders": [{"km": "0", "peak": False}]})
    assert (caught.value.employee, caught.value.rule_id) == ("E9", "items.orders")
    assert "division by zero" in str(caught.value)
