"""The generated checker's inline reading of money and date text is held to the reference.

Files give money as text; the generated checker (``inputs/_fast.py``) reads a money string
with exactly the ruleset's places inline (``Decimal(text)``) and a ``YYYY-MM-DD`` date with
``date.fromisoformat``, and leaves everything else to the reference converter and validator.
The law: for any string, the validator as it runs (fast paths first) and the pydantic
reference alone accept the same strings, give the same value (the same digits and the same
exponent) and refuse with the same error code.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import cmrules
from cmrules.inputs._fast import build_fast_validator, money_pattern
from cmrules.spec._model import InputField

#: money fields by their bounds: none, >= 0, > 0, a window, an upper bound only
FIELDS = {
    "free": "{type: money, default: 0}",
    "ge0": "{type: money, ge: 0, default: 0}",
    "gt0": "{type: money, gt: 0, default: 1}",
    "window": "{type: money, ge: -5, le: 100, default: 0}",
    "capped": "{type: money, lt: 1000, default: 0}",
}


def _ruleset(places: int) -> cmrules.Ruleset:
    inputs = "\n".join(f"  {name}: {spec}" for name, spec in FIELDS.items())
    return cmrules.loads_ruleset(
        f"""id: money_text
version: "1"
title: {{zh: 金额, en: Money}}
effective_from: 2024-01-01
rounding: {{places: {places}, mode: ROUND_HALF_UP}}
inputs:
{inputs}
  day: {{type: date, in_period: true, default: 2024-05-01}}
rules:
  - id: pay
    label: {{zh: 工资, en: Pay}}
    line: {{category: earning, amount: free}}
""",
        f"money_{places}.yaml",
    )


RULESETS = {places: _ruleset(places) for places in (0, 2, 3)}


def outcome(run: Any, record: dict[str, Any]) -> tuple[str, Any]:
    """("ok", the validated values with their exponents) or ("refused", the problems' codes)."""
    try:
        data = run(record)
    except cmrules.InputError as exc:
        return "refused", sorted((p.field, p.code) for p in exc.problems)
    return "ok", {k: (v, v.as_tuple()) if isinstance(v, Decimal) else v for k, v in data.items()}


def same_answer(places: int, field: str, text: str) -> None:
    validator = RULESETS[places].version_for("2024-05").validator
    record = {"employee": "E1", "period": "2024-05", field: text}
    assert outcome(validator, record) == outcome(validator.reference, record)


_DIGITS = st.text("0123456789", min_size=0, max_size=18)
#: near the inline pattern: signs, digits, points, places, blanks, separators, exponents, foreign digits
MONEY_TEXT = st.one_of(
    st.builds(
        lambda sign, whole, point, frac: sign + whole + point + frac,
        st.sampled_from(["", "-", "+", " ", "--"]),
        _DIGITS,
        st.sampled_from([".", "", ",", ". "]),
        _DIGITS,
    ),
    st.from_regex(r"-?[0-9]{1,17}(\.[0-9]{0,4})?", fullmatch=True),
    st.text(st.sampled_from("0123456789.-+eE, _\t\n١٢３"), max_size=12),
    st.text(max_size=8),
)


@pytest.mark.slow
@pytest.mark.parametrize("places", sorted(RULESETS))
@pytest.mark.parametrize("field", sorted(FIELDS))
@settings(max_examples=150, deadline=None)
@given(text=MONEY_TEXT)
@example(text="-0.00")
@example(text="-0")
@example(text="0.000")
@example(text="999999999999999.99")
@example(text="9999999999999999.99")
@example(text="000000000000000001.00")
@example(text="12.50\n")
@example(text="1e2")
@example(text="３.００")
def test_money_text_inline_and_reference_agree(places: int, field: str, text: str) -> None:
    same_answer(places, field, text)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(
    text=st.one_of(
        st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True),
        st.dates().map(lambda d: d.isoformat()),
        st.text(st.sampled_from("0123456789-/W"), max_size=11),
    )
)
@example(text="2024-05-31")
@example(text="2024-06-01")
@example(text="2024-02-30")
@example(text="0000-05-01")
@example(text="2024-W01-1")
@example(text="20240501")
def test_date_text_inline_and_reference_agree(text: str) -> None:
    same_answer(2, "day", text)


def test_the_inline_pattern_is_the_plain_form_only() -> None:
    two = money_pattern(2).fullmatch
    assert [bool(two(t)) for t in ("12.50", "-12.50", "012.50", "12.5", "12.500", "1,000.00")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert not two("1234567890123456.00")  # 16 digits before the point: the reference decides
    assert not money_pattern(2, signed=False).fullmatch("-1.00")
    assert money_pattern(0).fullmatch("12") and not money_pattern(0).fullmatch("12.")


def test_plain_text_never_reaches_the_converter() -> None:
    """Money with the ruleset's places and ISO dates are read inline (the speed this file guards);
    other text still goes through the converter."""
    calls: list[Any] = []

    def converter(spec: InputField) -> Any:
        def convert(value: Any) -> Any:
            calls.append(value)
            return Decimal(value.replace(",", "")) if spec.type == "money" else None

        return convert

    money, unsigned = InputField(type="money"), InputField(type="money", ge=0)
    fields = {"m": money, "n": unsigned, "d": InputField(type="date")}
    check = build_fast_validator(fields, converter, {}, 2)
    assert check({"m": "-12.50", "n": "0.00", "d": "2024-05-01"}) == {
        "m": Decimal("-12.50"),
        "n": Decimal("0.00"),
        "d": dt.date(2024, 5, 1),
    }
    assert calls == []
    check({"m": "1,000.00", "n": "0.00", "d": "2024-05-01"})
    assert calls == ["1,000.00"]
