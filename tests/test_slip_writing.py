"""Writing a slip: ``to_json`` shares the slip's and its version's objects and writes raw values,
``to_dict`` hands out the caller's own JSON-ready copies; both say the same at every detail level.

Slips of every kind are checked: every shipped ruleset (modules included), a cap that waives and
one that defers, adjustment lines, declared balances, pickled slips, and slips whose lazy values
(net, notices, lines, trace, ruleset...) were read first, in any order, or never.
"""

from __future__ import annotations

import json
import pickle
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from shipped import ROOT, SHIPPED, generate

import cmrules
from cmrules.errors import EmployeeError
from cmrules.slip import DETAILS, Adjustment, PaySlip
from cmrules.testing import inputs

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RIDER_TEXT = (FIXTURES / "caps_rider.yaml").read_text(encoding="utf-8")
#: The lazy values a slip computes when read, in the order they are read first below.
LAZY = ("net", "carry_forward", "notices", "facts", "balances", "ruleset", "lines", "trace")


def _sorted(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _in_order(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _read(slip: PaySlip, names: tuple[str, ...]) -> PaySlip:
    for name in names:
        value = getattr(slip, name)
        if name == "lines":
            [line.explanation for line in value]
    return slip


def check_slip(make: Any) -> None:
    """``make()`` gives the same slip afresh: every way of writing it says the same, whatever was
    read before, and to_dict's result is the caller's own."""
    first = make()
    expected = {d: first.to_json(d) for d in DETAILS}
    expected_dicts = {d: make().to_dict(d) for d in DETAILS}
    for detail in DETAILS:
        as_dict = expected_dicts[detail]
        assert expected[detail] == _sorted(as_dict), detail
        assert make().to_json(detail, sort_keys=False) == _in_order(as_dict), detail
        assert json.loads(expected[detail]) == as_dict
    ways = [
        _read(make(), LAZY),
        _read(make(), tuple(reversed(LAZY))),
        _read(make(), ("trace",)),
        _read(make(), ("notices", "lines")),
        pickle.loads(pickle.dumps(make())),
        pickle.loads(pickle.dumps(_read(make(), LAZY))),
    ]
    for slip in ways:
        for detail in DETAILS:
            assert slip.to_json(detail) == expected[detail], detail
            assert slip.to_dict(detail) == expected_dicts[detail], detail
    # the caller's own: changing every dict and list of one result changes nothing else
    slip = make()
    for detail in DETAILS:
        _scribble(slip.to_dict(detail))
    for detail in DETAILS:
        assert slip.to_dict(detail) == expected_dicts[detail], detail
        assert slip.to_json(detail) == expected[detail], detail


def _scribble(value: Any) -> None:
    """Change every dict and list inside ``value`` (in place)."""
    if isinstance(value, dict):
        for item in list(value.values()):
            _scribble(item)
        value["scribbled"] = True
    elif isinstance(value, list):
        for item in value:
            _scribble(item)
        value.append("scribbled")


def test_bar_slips() -> None:
    ruleset = cmrules.load_ruleset(ROOT / "rulesets" / "bar_customer_manager.yaml")
    for case in generate(25, seed=11):
        check_slip(lambda case=case: ruleset.evaluate(case))


def test_a_ruleset_with_modules() -> None:
    ruleset = cmrules.load_ruleset(ROOT / "rulesets" / "bar_net_pay.yaml")
    case = inputs(ruleset)
    slips: list[Any] = []

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=case)
    def collect(case: dict[str, Any]) -> None:
        try:
            ruleset.evaluate(case)
        except EmployeeError:
            return
        slips.append(case)

    collect()
    assert slips and "modules" in ruleset.evaluate(slips[0]).ruleset
    for record in slips:
        check_slip(lambda record=record: ruleset.evaluate(record))


def test_the_ruleset_of_to_dict_is_the_callers_own_modules_too() -> None:
    ruleset = cmrules.load_ruleset(ROOT / "rulesets" / "bar_net_pay.yaml")
    record = next(iter(_cases(ruleset, 1)))
    slip = ruleset.evaluate(record)
    expected = dict(slip.ruleset["modules"])
    slip.to_dict()["ruleset"]["modules"].clear()
    assert slip.ruleset["modules"] == expected
    assert slip.to_dict()["ruleset"]["modules"] == expected
    other = ruleset.evaluate(record)
    slip.ruleset["modules"].clear()  # one slip's ruleset is its own: another's is untouched
    assert other.ruleset["modules"] == expected == json.loads(other.to_json())["ruleset"]["modules"]


def _cases(ruleset: cmrules.Ruleset, n: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    @settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=inputs(ruleset))
    def collect(case: dict[str, Any]) -> None:
        if len(found) < n:
            try:
                ruleset.evaluate(case)
            except EmployeeError:
                return
            found.append(case)

    collect()
    return found


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_ruleset(name: str) -> None:
    ruleset = cmrules.load_ruleset(name)
    for case in _cases(ruleset, 8):
        check_slip(lambda case=case: ruleset.evaluate(case))


@pytest.mark.parametrize("excess", ["waive", "carry_forward"])
def test_a_capped_slip(excess: str) -> None:
    text = RIDER_TEXT.replace("excess: waive", f"excess: {excess}")
    ruleset = cmrules.loads_ruleset(text)
    cases = [
        {"fees": "314.00", "late": ["1.60", "4.00", "10.00"], "complaints": 2},
        {"fees": "0.00", "complaints": 1, "damage": "20.00"},
        {"fees": "500.00"},
    ]
    for fields in cases:
        record = {"employee": "R", "period": "2024-03", "late": [], **fields}
        check_slip(lambda record=record: ruleset.evaluate(record))
    slip = ruleset.evaluate({"employee": "R", "period": "2024-03", **cases[0]})
    deferred = [line for line in slip.lines if line.category == "deferral"]
    assert bool(deferred) == (excess == "carry_forward")
    assert slip.carry_forward == sum((line.amount for line in deferred), Decimal(0))


def test_a_slip_with_adjustment_lines() -> None:
    ruleset = cmrules.load_ruleset(ROOT / "rulesets" / "bar_customer_manager.yaml")
    label = {"zh": "更正", "en": "Correction"}
    adjustments = [
        Adjustment("correction:2024-04:commission", label, Decimal("-3500.00"), "less"),
        Adjustment("correction:2024-04:base", label, Decimal("120.00"), "more"),
    ]
    for case in generate(5, seed=4):
        check_slip(lambda case=case: ruleset.evaluate(case).with_adjustments(adjustments))


@pytest.mark.parametrize("name", ["ytd_tax", "clawback", "draw", "months_employed"])
def test_slips_with_declared_balances(name: str) -> None:
    ruleset = cmrules.load_ruleset(FIXTURES / "balances" / f"{name}.yaml")
    cases = _cases(ruleset, 4)
    assert cases
    for case in cases:
        check_slip(lambda case=case: ruleset.evaluate(case))
    assert "balances" in ruleset.evaluate(cases[0]).to_dict("summary")


def test_in_fixed_context_with_one_argument_or_more() -> None:
    """The wrapper of a function of one argument (a property, ``sums``) and the general one run
    in cmrules' context, restore the caller's (also on an error) and pass every argument."""
    import decimal

    from cmrules.slip import fixed_context, in_fixed_context

    @in_fixed_context
    def one(x: int) -> tuple[decimal.Context, int]:
        return decimal.getcontext(), x

    @in_fixed_context
    def defaulted(x: int, y: int = 2) -> tuple[decimal.Context, int]:
        return decimal.getcontext(), x + y

    @in_fixed_context
    def keyword(x: int, *, y: int) -> tuple[decimal.Context, int]:
        return decimal.getcontext(), x * y

    @in_fixed_context
    def failing(x: int) -> None:
        raise ValueError(x)

    mine = decimal.Context(prec=5, rounding=decimal.ROUND_FLOOR)
    with decimal.localcontext(mine) as caller:
        assert one(1) == (fixed_context(), 1)
        assert defaulted(1) == (fixed_context(), 3) and defaulted(1, 5) == (fixed_context(), 6)
        assert keyword(2, y=3) == (fixed_context(), 6)
        with pytest.raises(ValueError):
            failing(1)
        assert decimal.getcontext() is caller
    assert one.__name__ == "one" and keyword.__name__ == "keyword"
