"""An independent Decimal implementation of the delivery-rider policy (issue 14, rules 1–7).

Written from the policy text, not from ``examples/delivery_rider.yaml`` and without
cmrules, so that tests/test_delivery_rider.py can compare the two on random months.
It follows the (choice) comments of the ruleset: whole kilometres beyond 3, lateness
bands 1–10 / 11–30 / over 30 minutes of rule 1's fee, cancelled orders neither earn
nor count nor are late, the cap rounded half-up, waived from lateness first, then
complaints, then cancellations, ``carried_deductions`` outside the cap, net ≥ 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


def cents(x: Decimal) -> Decimal:
    """``x`` to 0.01, half-up."""
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def order_fee(order: dict[str, Any]) -> Decimal:
    """Rule 1: 5.00, plus 1.00 per whole km beyond 3, plus 2.00 at peak."""
    distance = Decimal(str(order["distance_km"]))
    fee = Decimal("5.00")
    if distance > 3:
        fee += (distance - 3).to_integral_value(rounding=ROUND_FLOOR)
    if order["peak"]:
        fee += Decimal("2.00")
    return fee


def late_share(minutes: int) -> Decimal:
    """Rule 3's bands: 1–10 → 20%, 11–30 → 50%, over 30 → 100%, 0 → nothing."""
    if minutes <= 0:
        return Decimal(0)
    if minutes <= 10:
        return Decimal("0.20")
    if minutes <= 30:
        return Decimal("0.50")
    return Decimal(1)


@dataclass
class RiderMonth:
    """What the policy pays one rider for one month, every amount to 0.01."""

    counted: int
    fees: Decimal
    tier: Decimal
    bonus: Decimal
    lateness: list[Decimal] = field(default_factory=list)
    complaint: Decimal = Decimal("0.00")
    cancellation: Decimal = Decimal("0.00")
    carried: Decimal = Decimal("0.00")
    limit: Decimal = Decimal("0.00")
    waived: dict[str, Decimal] = field(default_factory=dict)

    @property
    def gross(self) -> Decimal:
        """Fees + tier + bonus."""
        return self.fees + self.tier + self.bonus

    @property
    def capped(self) -> Decimal:
        """Lateness, complaint and cancellation deductions before the cap."""
        return sum(self.lateness, Decimal("0.00")) + self.complaint + self.cancellation

    @property
    def waiver(self) -> Decimal:
        """The excess over the cap, waived."""
        return sum(self.waived.values(), Decimal("0.00"))

    @property
    def deductions(self) -> Decimal:
        """What is really deducted: the capped deductions less the waiver, plus the carried debt."""
        return self.capped - self.waiver + self.carried

    @property
    def net(self) -> Decimal:
        """Gross less deductions, never below 0."""
        return max(self.gross - self.deductions, Decimal("0.00"))

    @property
    def carry_forward(self) -> Decimal:
        """What net 0 leaves owed."""
        return max(self.deductions - self.gross, Decimal("0.00"))


def pay(month: dict[str, Any], cap_share: Decimal = Decimal("0.20")) -> RiderMonth:
    """Rules 1–7 for one input record (the ruleset's input shape)."""
    orders = month.get("orders", [])
    counted = [o for o in orders if not o["cancelled_by_rider"]]
    n = len(counted)
    per_order = Decimal("1.00") if n >= 900 else Decimal("0.50") if n >= 600 else Decimal(0)
    out = RiderMonth(
        counted=n,
        fees=cents(sum((order_fee(o) for o in counted), Decimal(0))),
        tier=cents(per_order * n),
        bonus=Decimal("300.00") if month.get("days_online", 0) >= 26 else Decimal("0.00"),
    )
    out.lateness = [
        cents(order_fee(o) * late_share(o["late_minutes"])) for o in counted if late_share(o["late_minutes"])
    ]
    out.complaint = cents(Decimal(50) * sum(1 for o in orders if o["complaint"]))
    out.cancellation = cents(Decimal(10) * (len(orders) - n))
    out.carried = cents(Decimal(str(month.get("carried_deductions", "0"))))
    out.limit = max(cents(cap_share * out.gross), Decimal("0.00"))
    excess = max(out.capped - out.limit, Decimal("0.00"))
    for name, amount in (
        ("lateness", sum(out.lateness, Decimal("0.00"))),
        ("complaint", out.complaint),
        ("cancellation", out.cancellation),
    ):
        take = min(excess, amount)
        if take > 0:
            out.waived[name] = take
            excess -= take
    return out
