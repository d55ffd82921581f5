"""``{repeat: N, item: ...}`` in a YAML test case: "600 orders like this one"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cmrules.errors import RulesetError
from cmrules.testing import load_cases, run_case_file
from cmrules.testing._repeat import collapse_repeats, expand_repeats

FIXTURE = Path(__file__).parent / "fixtures" / "delivery_items.yaml"
ORDER = "{distance_km: 4.5, late_minutes: 0, peak: false, complaint: false, cancelled_by_rider: false}"
CANCELLED = "{distance_km: 9, late_minutes: 0, peak: false, complaint: false, cancelled_by_rider: true}"


def _cases_file(tmp_path: Path, cases: str) -> Path:
    path = tmp_path / "rider.tests.yaml"
    path.write_text(f"ruleset: {FIXTURE}\ncases:\n{cases}", encoding="utf-8")
    return path


def test_600_orders_like_this_one_reach_the_tier(tmp_path: Path) -> None:
    # Each order: 5.00 + 1.00 x floor(4.5 - 3) = 6.00. 600 orders: fees 3,600.00 and the
    # retroactive tier at 600 pays 0.50 an order, 300.00. One order cancelled by the rider
    # leaves 599 counted: no tier, fees 3,594.00, and a 10.00 cancellation fine.
    # 900 orders: 1.00 an order, 900.00.
    file = _cases_file(
        tmp_path,
        f"""
  - name: 600 orders
    input:
      employee: R1
      period: 2024-05
      days_online: 20
      orders: [{{repeat: 600, item: {ORDER}}}]
    expect:
      lines: {{order_fee: "3600.00", volume_bonus: "300.00", cancellation: null}}
      facts: {{counted: 600}}
  - name: 599 counted and one cancelled
    input:
      employee: R1
      period: 2024-05
      days_online: 20
      orders: [{{repeat: 599, item: {ORDER}}}, {CANCELLED}]
    expect:
      lines: {{order_fee: "3594.00", volume_bonus: null, cancellation: "-10.00"}}
      facts: {{counted: 599}}
      net: "3584.00"
  - name: 900 orders
    input:
      employee: R1
      period: 2024-05
      days_online: 20
      orders: [{{repeat: 900, item: {ORDER}}}]
    expect:
      lines: {{order_fee: "5400.00", volume_bonus: "900.00"}}
""",
    )
    results = run_case_file(file)
    assert [r.differences for r in results] == [[], [], []]
    _, cases = load_cases(file)
    assert len(cases[1]["input"]["orders"]) == 600


def test_a_bad_repeat_is_a_located_error(tmp_path: Path) -> None:
    file = _cases_file(
        tmp_path,
        f"""
  - name: bad
    input:
      orders:
        - {{repeat: many, item: {ORDER}}}
        - {{repeat: -1, item: {ORDER}}}
        - {{repeat: 2}}
        - {{repeat: 2, items: {ORDER}}}
""",
    )
    with pytest.raises(RulesetError) as caught:
        load_cases(file)
    found = [(e.code, e.line, e.column, e.message) for e in caught.value.errors]
    # the file: ruleset, cases, a blank line, then the case; the orders from line 7
    assert [f[:3] for f in found] == [
        ("schema.type", 7, 20),  # at the count
        ("schema.value", 8, 20),
        ("schema.missing_key", 9, 11),  # at the element
        ("schema.unknown_key", 10, 11),
    ]
    assert found[0][3] == "cases[0].input.orders[0].repeat: 'many' is not a whole number of copies"
    assert "outside 0..100,000" in found[1][3]
    assert str(file) in str(caught.value)


@pytest.mark.parametrize(
    "value",
    [
        {"orders": [{"a": 1}] * 5 + [{"a": 2}] + [{"a": 1}] * 2},
        {"xs": [[1, 1, 1], [1, 1, 1], [1, 1, 1]], "n": 3},
        {"orders": []},
    ],
)
def test_collapsed_repeats_expand_back(value: dict[str, Any]) -> None:
    collapsed = collapse_repeats(value)
    case = {"name": "x", "input": collapsed}
    assert expand_repeats([case], "f", "")[0]["input"] == value


def test_a_counterexample_prints_a_run_of_equal_items_as_one_repeat() -> None:
    assert collapse_repeats({"orders": [{"a": 1}] * 600 + [{"a": 2}]}) == {
        "orders": [{"repeat": 600, "item": {"a": 1}}, {"a": 2}]
    }
