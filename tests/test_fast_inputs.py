"""The canonical input checker (``inputs/_fast.py``) and the reference give the same result or the same
error for canonical and near-canonical Python values (issue 12): Decimals with more or fewer places,
negative zero, bools where an int is expected, ints where money is expected."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from shipped import generate

import cmrules

BAR = cmrules.load_ruleset("bar_customer_manager")
CASE = generate(1, 3)[0]

NEAR_MONEY = st.one_of(
    st.decimals(min_value=-(10**16), max_value=10**16, allow_nan=False, places=2),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from([Decimal("-0.00"), Decimal("-0"), Decimal("0"), Decimal("1.5"), Decimal("1.500")]),
    st.integers(min_value=-5, max_value=10**16),
    st.booleans(),
)


def outcome(run: Any, record: dict[str, Any]) -> tuple[str, Any]:
    """("ok", the validated values with their exact representation) or ("refused", the problems)."""
    try:
        data = run(record)
    except cmrules.InputError as exc:
        return "refused", sorted(
            (p.employee, p.field, repr(p.value), p.message, p.code) for p in exc.problems
        )
    return "ok", repr(data)


@settings(max_examples=150, deadline=None)
@given(field=st.sampled_from(["deposit", "carried_deductions", "amount"]), value=NEAR_MONEY)
@example(field="deposit", value=Decimal("-0.00"))
@example(field="carried_deductions", value=Decimal("-0"))
@example(field="amount", value=Decimal("-0.00"))
def test_near_canonical_money_is_read_as_the_reference_reads_it(field: str, value: Any) -> None:
    validator = BAR.version_for(CASE["period"]).validator
    record = dict(CASE)
    if field == "amount":
        record["bookings"] = [{**b, "amount": value} for b in CASE["bookings"][:1]] or [
            {
                "date": CASE["outside_soliciting_dates"] or None,
                "amount": value,
                "registered_minutes_before": 1,
            }
        ]
    else:
        record[field] = value
    assert outcome(validator, record) == outcome(validator.reference, record)


@settings(max_examples=60, deadline=None)
@given(value=st.one_of(st.booleans(), st.integers(min_value=-3, max_value=40), st.decimals(places=0)))
def test_near_canonical_ints_are_read_as_the_reference_reads_them(value: Any) -> None:
    validator = BAR.version_for(CASE["period"]).validator
    record = {**CASE, "absent_days": value, "late_arrivals": [value]}
    assert outcome(validator, record) == outcome(validator.reference, record)


def test_negative_zero_money_is_zero() -> None:
    """``Decimal('-0.00')`` is ``0.00`` on every path, as the reference makes it."""
    validator = BAR.version_for(CASE["period"]).validator
    data = validator({**CASE, "deposit": Decimal("-0.00"), "carried_deductions": Decimal("-0")})
    assert (repr(data["deposit"]), repr(data["carried_deductions"])) == ("Decimal('0.00')", "Decimal('0.00')")
