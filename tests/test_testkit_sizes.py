"""Generated lists reach the lengths the rules compare (a tier at 600 and 900 orders), and
``sizes``/``overrides`` aim the search (Python and ``cmrules test --size``)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import cmrules.testing._plan as plan_module
from cmrules.cli import main
from cmrules.testing import check_invariants, inputs
from cmrules.testing._boundaries import flows, list_sizes, pools

FIXTURE = Path(__file__).parent / "fixtures" / "delivery_items.yaml"
#: Two laws false only at the tiers: any bonus at all (>= 600 orders), more than 0.50 an order (>= 900).
LAWS = Path(__file__).parent / "fixtures" / "delivery_tier_laws.yaml"
COUNT = "count(o for o in orders if not o.cancelled_by_rider)"


def _variant(tmp_path: Path, count: str = COUNT) -> Path:
    text = FIXTURE.read_text(encoding="utf-8").replace(COUNT, count)
    path = tmp_path / "delivery.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "count", [COUNT, "len(orders)", "sum(1 for o in orders if not o.cancelled_by_rider)", "count(orders)"]
)
def test_the_lengths_compared_are_found_through_facts_and_tiers(tmp_path: Path, count: str) -> None:
    # `counted >= 600` and `volume(counted)` (brackets from 0, 600, 900) read the fact `counted`.
    runs = flows(_variant(tmp_path, count))
    assert list_sizes(pools(runs), runs[-1].fields) == {"orders": {0, 600, 900}}


def test_a_sum_of_amounts_is_not_a_length(tmp_path: Path) -> None:
    runs = flows(_variant(tmp_path, "sum(o.late_minutes for o in orders)"))
    assert list_sizes(pools(runs), runs[-1].fields) == {}


def test_item_values_lead_back_to_the_inputs_they_read() -> None:
    # o.fee is an item value reading o.distance_km > 3: 3 is a boundary of distance_km.
    runs = flows(FIXTURE)
    assert 3 in pools(runs)["orders.distance_km"]


def _lengths(strategy: Any, examples: int = 100) -> Counter[int]:
    seen: Counter[int] = Counter()

    @seed(0)
    @settings(max_examples=examples, database=None, deadline=None)
    @given(strategy)
    def record(raw: dict[str, Any]) -> None:
        seen[len(raw.get("orders", []))] += 1

    record()
    return seen


@pytest.mark.slow
def test_generated_lists_reach_both_tiers() -> None:
    seen = _lengths(inputs(FIXTURE))
    assert {599, 600, 601} & set(seen) and {899, 900, 901} & set(seen), seen
    assert sum(n for length, n in seen.items() if length <= 3) >= 20  # short lists still drawn
    assert set(seen) <= {0, 1, 2, 3, 599, 600, 601, 899, 900, 901}


@pytest.mark.slow
def test_size_hints_aim_every_list() -> None:
    seen = _lengths(inputs(FIXTURE, sizes={"orders": (590, 910)}), 50)
    assert min(seen) >= 590 and max(seen) <= 910
    assert {590, 910} & set(seen)  # the ends are favoured (which ones a session draws varies)
    assert _lengths(inputs(FIXTURE, sizes={"orders": 7}), 10) == Counter({7: 10})


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ({"days_online": 5}, "not a list input"),
        ({"order": 5}, "its lists: orders"),
        ({"orders": (10, 5)}, "low to high"),
        ({"orders": (0, 2001)}, "0..2000"),
        ({"orders": "600"}, "a length or a pair"),
        ({"orders": (1, 2, 3)}, "a length or a pair"),
        ([("orders", 5)], "must be a dict"),
    ],
)
def test_bad_size_hints_are_refused_when_the_strategy_is_made(sizes: Any, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        inputs(FIXTURE, sizes=sizes)


@pytest.mark.slow
def test_the_old_strategy_missed_the_tiers_the_new_one_breaks_them(monkeypatch: pytest.MonkeyPatch) -> None:
    ruleset = LAWS
    with monkeypatch.context() as patch:  # the strategy before: no length is aimed at
        patch.setattr(plan_module, "list_sizes", lambda found, fields: {})
        before = check_invariants(ruleset, only=["no_volume_bonus", "half_per_order_at_most"])
    assert before.ok, before.render()

    after = check_invariants(ruleset, only=["no_volume_bonus", "half_per_order_at_most"])
    broken = {r.invariant.id: r.counterexample for r in after.failures}
    assert set(broken) == {"no_volume_bonus", "half_per_order_at_most"}
    cx_600, cx_900 = broken["no_volume_bonus"], broken["half_per_order_at_most"]
    assert cx_600 is not None and cx_900 is not None
    assert len(cx_600.input["orders"]) == 600  # shrunk to the tier itself
    assert len(cx_900.input["orders"]) == 900
    rendered = after.render()
    assert "{repeat: 900, item: {distance_km: '0.00'" in rendered  # 900 orders shown as one line
    assert "volume_bonus = 900.00, counted = 900" in rendered


@pytest.mark.slow
def test_overrides_and_sizes_reach_check_invariants() -> None:
    ruleset = LAWS
    # Lists of at most 599 orders never reach a tier: both laws hold.
    held = check_invariants(ruleset, max_examples=20, sizes={"orders": (0, 599)})
    assert held.ok, held.render()
    order = dict(distance_km=1, late_minutes=0, peak=False, complaint=False, cancelled_by_rider=False)
    report = check_invariants(ruleset, max_examples=10, overrides={"orders": st.just([order] * 650)})
    assert {r.invariant.id for r in report.failures} == {"no_volume_bonus"}
    with pytest.raises(InvalidArgument, match="unknown input field"):
        check_invariants(ruleset, overrides={"no_such_input": 1})


@pytest.mark.slow
def test_cmrules_test_takes_size_hints(capsys: pytest.CaptureFixture[str]) -> None:
    ruleset = LAWS
    assert main(["test", str(ruleset), "--size", "orders=0..599"]) == 0
    assert "3 passed, 0 failed" in capsys.readouterr().out
    assert main(["test", str(ruleset), "--size", "orders=600..610"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "no_volume_bonus" in out and "half_per_order_at_most" not in out
    assert main(["test", str(ruleset), "--size", "parcels=3"]) == 1
    assert "no ruleset with invariants has a list input 'parcels'" in capsys.readouterr().out


@pytest.mark.parametrize("given_size", ["orders", "orders=", "orders=a..b", "orders=9..3", "=5"])
def test_a_bad_size_option_is_a_usage_error(given_size: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(FIXTURE), "--size", given_size]) == 64  # a usage error, nothing run
    assert "argument --size" in capsys.readouterr().err
