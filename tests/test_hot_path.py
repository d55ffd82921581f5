"""What ``Ruleset.evaluate`` does per record on canonical values (issue 12: within 2× of the
hand-written Decimal function): the work that was found to cost and was taken out stays out.

Each test pins one saving by counting calls, not by timing (the machine may be shared):
the plan reads its constants as globals (keyword defaults cost every call a dictionary
lookup per name), the input checker converts a period it has already read from a cache
and checks ``in_period`` dates against that period's days, and the decimal context is
entered once per evaluation by the wrapper without an extra call.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from shipped import generate

import cmrules
from cmrules.inputs._fast import KNOWN_PERIODS, Slow, build_fast_validator
from cmrules.spec._model import InputField


@pytest.fixture(scope="module")
def bar() -> cmrules.Ruleset:
    return cmrules.load_ruleset("bar_customer_manager")


def _calls(run: Any) -> Counter[str]:
    """The Python functions (by name) ``run()`` calls, and the C functions as ``c:<name>``."""
    seen: Counter[str] = Counter()

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            seen[frame.f_code.co_name] += 1
        elif event == "c_call":
            seen["c:" + getattr(arg, "__name__", "?")] += 1

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return seen


def test_the_plan_binds_no_keyword_defaults(bar: cmrules.Ruleset) -> None:
    """``run`` and its gated variant take their five (six) arguments and nothing else."""
    for version in bar.versions:
        assert version.program.run.__kwdefaults__ is None
        assert version.program.run.__defaults__ is None
        gated = version.program.gated({})
        assert gated.__kwdefaults__ is None and gated.__defaults__ is None


def test_evaluate_on_canonical_values_calls_only_the_hot_path(bar: cmrules.Ruleset) -> None:
    """One record of canonical values: no period converter, no per-call context lookup, the same slip."""
    case = generate(1, 3)[0]
    bar.evaluate(case)  # the period is known from now on
    expected = bar.evaluate(case).to_json()
    calls = _calls(lambda: bar.evaluate(case))
    assert calls["_period"] == 0 and calls["period_bounds"] == 0  # read from the checker's cache
    assert calls["fixed_context"] <= 1  # Version.run's own; the evaluate wrapper reads it inline
    assert calls["c:setcontext"] <= 4
    assert bar.evaluate(case).to_json() == expected


def _checker(canonical: bool) -> tuple[Any, list[Any]]:
    converted: list[Any] = []

    def converter(spec: InputField) -> Any:
        def convert(value: Any) -> Any:
            converted.append(value)
            if spec.type == "period":
                if not (isinstance(value, str) and len(value) == 7 and value[4] == "-"):
                    raise ValueError(value)
                return value
            return dt.date.fromisoformat(value) if isinstance(value, str) else value

        return convert

    fields = {
        "period": InputField(type="period"),
        "day": InputField(type="date", in_period=True),
        "days": InputField(type="list", of=InputField(type="date", in_period=True)),
    }
    return build_fast_validator(fields, converter, {}, 2, canonical=canonical), converted


@pytest.mark.parametrize("canonical", [True, False])
def test_a_period_is_converted_once_then_read_from_the_cache(canonical: bool) -> None:
    check, converted = _checker(canonical)
    for _ in range(3):
        record = {"period": "2024-02", "day": dt.date(2024, 2, 29), "days": [dt.date(2024, 2, 1)]}
        assert check(record) == record
    assert converted == ["2024-02"]  # once, for the first record
    with pytest.raises(Slow):  # a bad period is never remembered
        check({"period": "2024/02", "day": dt.date(2024, 2, 1), "days": []})
    with pytest.raises(Slow):
        check({"period": "2024/02", "day": dt.date(2024, 2, 1), "days": []})
    assert converted[1:] == ["2024/02", "2024/02"]


@pytest.mark.parametrize("canonical", [True, False])
def test_in_period_dates_are_the_days_of_the_period(canonical: bool) -> None:
    """Membership in the period's days accepts exactly the dates from its first to its last day."""
    check, _ = _checker(canonical)
    for period, first, last in (("2024-02", 1, 29), ("2023-02", 1, 28), ("2024-12", 1, 31)):
        year, month = int(period[:4]), int(period[5:])
        inside = [dt.date(year, month, first), dt.date(year, month, last)]
        outside = [
            dt.date(year, month, first) - dt.timedelta(days=1),
            dt.date(year, month, last) + dt.timedelta(days=1),
        ]
        for day in inside:
            assert check({"period": period, "day": day, "days": [day]})["day"] == day
        for day in outside:
            with pytest.raises(Slow):
                check({"period": period, "day": day, "days": []})
            with pytest.raises(Slow):
                check({"period": period, "day": inside[0], "days": [inside[1], day]})
        with pytest.raises(Slow):  # a date and time is not a date, even on a day of the period
            check({"period": period, "day": dt.datetime(year, month, first), "days": []})


def test_the_cache_keeps_a_bounded_number_of_periods() -> None:
    check, converted = _checker(True)
    periods = [f"{2000 + i // 12:04d}-{i % 12 + 1:02d}" for i in range(KNOWN_PERIODS + 10)]
    for period in periods:
        check({"period": period, "day": dt.date(int(period[:4]), int(period[5:]), 1), "days": []})
    converted.clear()
    last = periods[-1]
    check({"period": last, "day": dt.date(int(last[:4]), int(last[5:]), 1), "days": []})
    assert converted == [last]  # past the bound: converted again, still right
    first = periods[0]
    check({"period": first, "day": dt.date(2000, 1, 1), "days": []})
    assert converted == [last]


def test_a_period_of_another_str_type_is_converted_every_time() -> None:
    """Only exact ``str`` periods are looked up: a subclass goes through the converter (and keeps
    its type)."""

    class Text(str):
        pass

    check, converted = _checker(True)
    check({"period": "2024-05", "day": dt.date(2024, 5, 2), "days": []})
    out = check({"period": Text("2024-05"), "day": dt.date(2024, 5, 2), "days": []})
    assert type(out["period"]) is Text and converted == ["2024-05", "2024-05"]


def test_run_state_sums_are_made_on_first_read(bar: cmrules.Ruleset) -> None:
    """The run state sets no cache when it is made (one store fewer per slip); it fills it when read."""
    case = next(c for c in generate(50, 1) if c["late_arrivals"])
    slip = bar.evaluate(case)
    state = slip.run_state
    with pytest.raises(AttributeError):
        state._sums  # noqa: B018 -- unset until an explanation reads a sum
    sums = state.sums()
    assert sums is state.sums()
    assert sums[("lines", "base_pay")] == slip.total("base_pay") and isinstance(
        sums[("lines", "base_pay")], Decimal
    )


def test_a_fact_that_is_a_whole_sum_is_a_loop(bar: cmrules.Ruleset) -> None:
    """``performance`` (a sum over the bookings) runs as a loop in the plan, not as a generator."""
    source = bar.versions[0].program.source
    start = source.index("# fact performance")
    block = source[start : source.index("# fact", start + 1)]
    assert "for g1 in v2:" in block and "sum(" not in block


@pytest.mark.parametrize(
    "code",
    [
        "sum((x for x in xs), _Z)",
        "sum((x * 2 for x in xs if x > 1 if x < 9), _Z)",
        "_I(sum(1 for x in ns if x > 2))",
        "_I(sum(x for x in ns))",
    ],
)
def test_the_loop_of_a_sum_gives_what_sum_gives(code: str) -> None:
    """The same value (digits and exponent) and the same error at the same element as ``sum``."""
    from cmrules.compile._facts import sum_loop
    from cmrules.compile._runtime import bounded

    loop = sum_loop(code, "f")
    assert loop is not None
    cases: list[dict[str, Any]] = [
        {"xs": [], "ns": []},
        {"xs": [Decimal("1.10"), Decimal("2"), Decimal("3.333")], "ns": [1, 3, 5, 10**40]},
        {"xs": [Decimal("5"), Decimal("1E+999999")], "ns": [3, 3]},  # overflow in the second addition
        {"xs": [Decimal("5"), None], "ns": [3, None]},  # a TypeError at the second element
    ]
    for values in cases:
        env = {"_Z": Decimal(0), "_I": bounded, **values}
        expected: Any
        try:
            expected = eval(code, dict(env))
        except Exception as exc:
            expected = (type(exc), str(exc))
        namespace = dict(env)
        try:
            exec("\n".join(loop), namespace)
            got: Any = namespace["f"]
        except Exception as exc:
            got = (type(exc), str(exc))
        assert repr(got) == repr(expected)


@pytest.mark.parametrize(
    "code",
    ["sum((x for x in xs), _Z) + 1", "sum(x for x in xs)", "_I(sum(1 for x in ns) + 1)", "max(xs)"],
)
def test_other_code_is_left_as_it_is(code: str) -> None:
    from cmrules.compile._facts import sum_loop

    assert sum_loop(code, "f") is None
