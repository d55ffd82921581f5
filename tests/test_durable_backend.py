"""The durable-rules backend gives byte-identical slips to the native engine."""

from __future__ import annotations

import json
import sys
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("durable")

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

import cmrules
from cmrules.compile._program import Gate
from cmrules.engines import _durable_host as durable_host
from cmrules.engines._durable import durable_plan
from cmrules.engines._durable_host import DurableHost
from cmrules.engines._durable_numbers import encode_constant, encode_number
from cmrules.errors import EngineUnavailable
from cmrules.testing import inputs

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the benchmark's case generator
    sys.path.insert(0, str(ROOT))

from benchmarks.bar_cases import generate  # noqa: E402

RULESETS = sorted(p for p in (ROOT / "rulesets").glob("*.yaml") if not p.name.endswith(".tests.yaml"))
SHIPPED = [*RULESETS, ROOT / "rulesets" / "securities_client_manager"]
BAR = ROOT / "rulesets" / "bar_customer_manager.yaml"

#: A ruleset exercising every form the matcher translates, and some it must leave to Python.
PROBE = """\
cmrules: 1
id: durable_probe
version: "1"
title: {zh: 匹配探针, en: Matcher probe}
effective_from: 2024-01-01
parameters:
  threshold: {type: money, value: 100.50}
  limit: {type: int, value: 3}
  ratio: {type: decimal, value: 0.125}
  bonus_rate:
    type: rate
    values:
      - {from: 2024-01-01, value: 3%}
      - {from: 2024-07-01, value: 4%}
inputs:
  grade: {type: str, enum: [A, B, C]}
  region: {type: str}
  score: {type: decimal}
  visits: {type: int}
  active: {type: bool, default: true}
  profile:
    type: record
    fields: {level: {type: int}, vip: {type: bool}}
  sales:
    type: list
    max_items: 20
    of:
      type: record
      fields:
        amount: {type: money, ge: 0}
        kind: {type: str, enum: [new, repeat]}
        flagged: {type: bool}
  refunds: {type: list, of: {type: money, ge: 0}, max_items: 10}
facts:
  total: {type: money, expr: "sum(s.amount for s in sales)"}
rules:
  - id: grade_bonus
    label: {zh: 等级奖, en: Grade bonus}
    when: grade in ("A", "B") and active and not (visits < limit or score > ratio)
    line: {category: earning, amount: 10}
  - id: region_fee
    label: {zh: 区域费, en: Region fee}
    when: region != "north" and 0 < visits <= 10
    line: {category: deduction, amount: 1}
  - id: vip_bonus
    label: {zh: 贵宾奖, en: VIP bonus}
    when: profile.vip or profile.level >= 2
    line: {category: earning, amount: 5}
  - id: big_sale
    label: {zh: 大单奖, en: Big sale bonus}
    for_each: s in sales
    when: s.amount >= threshold and s.kind not in ("repeat",) and not s.flagged and total > 500
    line: {category: earning, amount: s.amount * 1%}
  - id: fraction
    label: {zh: 分数, en: Fractions}
    when: visits > 2.5 and -1.005 >= score
    line: {category: earning, amount: 2}
  - id: dated_first
    label: {zh: 日期参数, en: Dated parameter first}
    when: score > bonus_rate and visits > 0
    line: {category: earning, amount: 3}
  - id: refund_fee
    label: {zh: 退款费, en: Refund fee}
    for_each: r in refunds
    when: r > 0.005 and active
    line: {category: deduction, amount: r}
  - id: fact_first
    label: {zh: 事实在前, en: Fact first}
    when: total > 0 and visits == 3
    line: {category: earning, amount: 4}
"""

SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def outcome(ruleset: cmrules.Ruleset, case: dict[str, Any], engine: str) -> tuple[str, str]:
    """The slip's JSON, or the error's type and text."""
    try:
        return "slip", ruleset.evaluate(case, engine=engine).to_json()
    except cmrules.CmrulesError as exc:
        return type(exc).__name__, str(exc)


def _loaded() -> list[Any]:
    out = [pytest.param(cmrules.loads_ruleset(PROBE), id="durable_probe")]
    out += [pytest.param(cmrules.load_ruleset(path), id=path.stem) for path in SHIPPED]
    return out


@pytest.mark.parametrize("ruleset", _loaded())
def test_durable_slips_equal_native_slips(ruleset: cmrules.Ruleset) -> None:
    @SETTINGS
    @given(inputs(ruleset))
    def check(case: dict[str, Any]) -> None:
        native = outcome(ruleset, case, "native")
        assert outcome(ruleset, case, "durable") == native

    check()


def test_every_shipped_ruleset_has_conditions_matched_by_the_rete_network() -> None:
    for path in SHIPPED:
        for version in cmrules.load_ruleset(path).versions:
            # every ruleset has at least the built-in 'carried_deductions > 0'
            assert "carried_deductions" in durable_plan(version).matched_rules, path


def test_which_conditions_the_matcher_decides() -> None:
    plan = durable_plan(cmrules.loads_ruleset(PROBE).latest)
    assert plan.matched_rules == {
        "grade_bonus": Gate(3, False),  # the enum 'in', a bool input, and not (a < b or c > d)
        "region_fee": Gate(2, False),  # '!=' on text and a chain 0 < visits <= 10
        "vip_bonus": Gate(1, False),  # an 'or' over a record input's fields
        "big_sale": Gate(3, True),  # three element conditions; 'total' is a fact: Python
        "fraction": Gate(2, False),  # constants with decimal places, mirrored comparison
        "refund_fee": Gate(2, True),  # an element condition and a scalar copied into each element
        "carried_deductions": Gate(1, False),
        # dated_first: a dated parameter first; fact_first: a fact first (only prefixes are matched)
    }
    # visits meets 2.5 so it is sent with one place: 'visits >= 3' is 'x >= 60'
    assert {"$gte": {"x2": 60}} in plan.rules["r1"]["all"][0]["m"]["$and"][3]["$and"]


BAR_CASE = {
    "employee": "E1",
    "period": "2024-03",
    "late_arrivals": [10, 40],
    "dismissed": False,
}


def test_bar_rules_are_gated_by_the_rete_match(monkeypatch: pytest.MonkeyPatch) -> None:
    bar = cmrules.load_ruleset(BAR)
    assert set(durable_plan(bar.latest).matched_rules) >= {"late_fine", "early_leave_fine", "off_post_fine"}
    # 10 minutes late is fined 50, 40 minutes is an absence day instead (not a late fine)
    slip = bar.evaluate(BAR_CASE, engine="durable")
    fines = [(line.index, line.amount) for line in slip.line("late_fine")]
    assert fines == [(0, Decimal("-50.00"))]  # fines are signed negative on the slip
    seen: list[Any] = []

    def fake(self: DurableHost, name: str, facts: list[dict[str, Any]]) -> list[tuple[str, Any]]:
        seen.extend(facts)
        return [("r6", fact) for fact in facts if fact["k"] == 1 and fact["i"] == 1]  # r6 = late_fine

    monkeypatch.setattr(DurableHost, "match", fake)
    # the plan trusts the match: the 40-minute arrival is now fined, the 10-minute one is not
    slip = bar.evaluate(BAR_CASE, engine="durable")
    assert [line.index for line in slip.line("late_fine")] == [1]
    # the late arrivals were asserted as two facts (minutes × 2, scale 0) with 'dismissed' copied in
    assert [f for f in seen if f["k"] == 1] == [
        {"k": 1, "x0": False, "i": 0, "x1": 20},
        {"k": 1, "x0": False, "i": 1, "x1": 80},
    ]
    monkeypatch.setattr(DurableHost, "match", lambda self, name, facts: [])
    slip = bar.evaluate(BAR_CASE, engine="durable")
    assert slip.line("late_fine") == []
    assert len(bar.evaluate(BAR_CASE).line("late_fine")) == 1  # the native engine is untouched


def generated_batch(ruleset: cmrules.Ruleset, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` inputs drawn by :func:`cmrules.testing.inputs` (boundaries favoured), each with its
    own employee id so that every evaluation opens a session of its own."""
    batch: list[dict[str, Any]] = []

    @hypothesis_seed(seed)
    @settings(
        max_examples=n,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(inputs(ruleset))
    def collect(case: dict[str, Any]) -> None:
        batch.append({**case, "employee": f"E{len(batch):05d}"})

    collect()
    return batch


def _big_batches() -> list[Any]:
    """3,000 bar months from the benchmark's generator, and 1,000 generated inputs of every
    other shipped ruleset."""
    out = [pytest.param(cmrules.load_ruleset(BAR), lambda rs: generate(3000, seed=7), id="bar_3000")]
    for path in SHIPPED:
        if path != BAR:
            out.append(
                pytest.param(
                    cmrules.load_ruleset(path), lambda rs: generated_batch(rs, 1000, 7), id=path.stem
                )
            )
    return out


@pytest.mark.slow
@pytest.mark.parametrize(("ruleset", "make"), _big_batches())
def test_thousands_of_employees_in_one_process(ruleset: cmrules.Ruleset, make: Any) -> None:
    cases = make(ruleset)
    assert len({c["employee"] for c in cases}) == len(cases) >= 1000
    differ = [c["employee"] for c in cases if outcome(ruleset, c, "durable") != outcome(ruleset, c, "native")]
    assert differ == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "ruleset", [pytest.param(cmrules.load_ruleset(path), id=path.stem) for path in SHIPPED]
)
def test_threads_get_identical_slips(ruleset: cmrules.Ruleset) -> None:
    cases = (
        generate(200, seed=11) if ruleset.id == "bar_customer_manager" else generated_batch(ruleset, 200, 11)
    )
    expected = [outcome(ruleset, case, "native") for case in cases]
    failures: list[Any] = []

    def worker(offset: int) -> None:
        try:
            for i in range(len(cases)):
                j = (i + 50 * offset) % len(cases)  # each thread starts elsewhere
                if outcome(ruleset, cases[j], "durable") != expected[j]:
                    failures.append((offset, cases[j]["employee"]))
        except Exception as exc:  # pragma: no cover - reported by the assertion
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_an_exception_in_the_engine_state_names_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """durable-rules swallows an action's exception into the session state: the slip names the rule."""
    bar = cmrules.load_ruleset(BAR)
    expected = bar.evaluate(BAR_CASE).to_json()
    assert bar.evaluate(BAR_CASE, engine="durable").to_json() == expected  # registers the plan
    plan = durable_plan(bar.latest)
    late_fine = next(name for name in plan.rules if plan.rule_id(name) == "late_fine")
    host = durable_host.get_host()
    core, handle = host._core, host._rulesets[plan.name].handle
    sessions: list[str] = []
    next_sid = DurableHost._next_sid

    def recording(self: DurableHost, n_facts: int) -> str:
        sessions.append(next_sid(self, n_facts))
        return sessions[-1]

    def swallowed(rule: str, fact: dict[str, Any]) -> None:
        # what durable-rules' own action runner does when an action raises
        if rule == late_fine:
            state = json.loads(core.get_state(handle, sessions[-1]))
            core.update_state(handle, json.dumps({**state, "exception": "exception caught boom"}))

    monkeypatch.setattr(DurableHost, "_next_sid", recording)
    host.on_fire = swallowed
    try:
        with pytest.raises(cmrules.EvaluationError) as info:
            bar.evaluate(BAR_CASE, engine="durable")
        slips, failures = bar.evaluate_many([BAR_CASE, {**BAR_CASE, "employee": "E2"}], engine="durable")
    finally:
        host.on_fire = None
    assert (info.value.employee, info.value.rule_id, info.value.code) == ("E1", "late_fine", "eval.engine")
    assert "exception caught boom" in info.value.message
    assert slips == [] and [f.rule_id for f in failures] == ["late_fine", "late_fine"]
    assert bar.evaluate(BAR_CASE, engine="durable").to_json() == expected  # the session was closed


def test_session_failures_are_evaluation_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    bar = cmrules.load_ruleset(BAR)
    real = DurableHost._get_state
    monkeypatch.setattr(DurableHost, "_get_state", lambda self, h, sid: dict(real(self, h, sid), sid="s-0"))
    with pytest.raises(cmrules.EvaluationError, match="asked for session") as info:
        bar.evaluate(BAR_CASE, engine="durable")
    assert info.value.code == "eval.engine"
    monkeypatch.undo()
    assert bar.evaluate(BAR_CASE, engine="durable").to_json() == bar.evaluate(BAR_CASE).to_json()


def _without_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend no host was created yet in this process."""
    monkeypatch.setattr(durable_host, "_host", None)
    monkeypatch.setattr(DurableHost, "_created", False)


def test_unavailable_without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    bar = cmrules.load_ruleset(BAR)
    _without_host(monkeypatch)
    monkeypatch.setitem(sys.modules, "durable_rules_engine", None)  # the import now fails
    with pytest.raises(EngineUnavailable, match=r"pip install 'cmrules\[durable\]'") as info:
        bar.evaluate(BAR_CASE, engine="durable")
    assert isinstance(info.value, cmrules.CmrulesError)
    assert bar.evaluate(BAR_CASE).net == Decimal("0.00")  # the native engine does not need it


def test_unavailable_on_python_313(monkeypatch: pytest.MonkeyPatch) -> None:
    bar = cmrules.load_ruleset(BAR)
    _without_host(monkeypatch)
    monkeypatch.setattr(sys, "version_info", (3, 13, 0, "final", 0))
    with pytest.raises(EngineUnavailable, match=r"does not support Python 3\.13"):
        bar.evaluate(BAR_CASE, engine="durable")


def test_unknown_engine() -> None:
    with pytest.raises(ValueError, match="unknown engine"):
        cmrules.load_ruleset(BAR).evaluate(BAR_CASE, engine="rete")


# -- the number encoding ------------------------------------------------------------------

numbers = st.one_of(
    st.integers(-(10**20), 10**20),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.decimals(min_value=-1000, max_value=1000, places=4),
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(value=numbers, constant=numbers, scale=st.integers(0, 6))
@example(value=Decimal("40000.005"), constant=Decimal("40000.00"), scale=2)
@example(value=Decimal("-0.5"), constant=0, scale=0)
@example(value=Decimal("1E+30"), constant=Decimal("999999999999999.99"), scale=2)
@example(value=Decimal("1E-30"), constant=0, scale=6)
@example(value=Decimal("-1E-30"), constant=0, scale=6)
def test_encoded_numbers_compare_like_the_numbers(value: Any, constant: Any, scale: int) -> None:
    encoded = encode_constant(constant, scale)
    if encoded is None:  # more places than the scale, or too large: not sent to the matcher
        return
    got = encode_number(value, scale)
    assert -(2**63) < got < 2**63
    as_sent = (got < encoded, got == encoded, got > encoded)
    assert as_sent == (value < constant, value == constant, value > constant)


def test_encoding_by_hand() -> None:
    # 12.34 at scale 0: ⌊12.34⌋ = 12, not whole: 2·12 + 1 = 25, between 0 → 0 and 13 → 26
    assert encode_number(Decimal("12.34"), 0) == 25
    # -1.5 at scale 0: ⌊-1.5⌋ = -2: 2·(-2) + 1 = -3, between -2 → -4 and -1 → -2
    assert encode_number(Decimal("-1.5"), 0) == -3
    # 40000.00 at scale 2 is whole: 2 · 4000000
    assert encode_number(Decimal("40000.00"), 2) == encode_constant(40000, 2) == 8_000_000
    assert encode_constant(Decimal("0.005"), 2) is None  # three places do not fit a scale of 2
    assert encode_number(10**30, 0) == 2**62 and encode_number(-(10**30), 0) == -(2**62)
