"""Write examples/delivery_rider_month.jsonl: four riders' month, one with 650 orders
made by a fixed arithmetic pattern (no randomness).

Run ``python tests/make_rider_examples.py`` after changing it here;
tests/test_delivery_rider.py checks that the file is up to date. (The tier cases of
examples/delivery_rider.tests.yaml are hand-written with ``{repeat: N, item: ...}``.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MONTH = EXAMPLES / "delivery_rider_month.jsonl"


def _order(
    distance: str, late: int = 0, peak: bool = False, complaint: bool = False, cancelled: bool = False
) -> dict[str, object]:
    return {
        "distance_km": distance,
        "late_minutes": late,
        "peak": peak,
        "complaint": complaint,
        "cancelled_by_rider": cancelled,
    }


def busy_orders(n: int = 650) -> list[dict[str, object]]:
    """``n`` orders by a fixed pattern: distances 1.0–9.9 km, a peak order in four, a few
    late (5, 20 or 45 minutes), a few complaints and rider cancellations."""
    out = []
    for i in range(n):
        late = 45 if i % 130 == 0 else 20 if i % 50 == 13 else 5 if i % 25 == 7 else 0
        out.append(
            _order(
                f"{1 + (i * 37) % 90 / 10:.1f}",
                late,
                peak=i % 4 == 0,
                complaint=i % 200 == 99,
                cancelled=i % 100 == 42,
            )
        )
    return out


def month() -> str:
    """The JSONL text of the example month."""
    riders: list[dict[str, object]] = [
        {"employee": "R101", "period": "2024-05", "days_online": 27, "orders": busy_orders()},
        {
            "employee": "R102",
            "period": "2024-05",
            "days_online": 24,
            "orders": [
                _order("2.4"),
                _order("3.6", 8, peak=True),
                _order("7.2", 25),
                _order("4.0", peak=True),
            ],
        },
        {
            "employee": "R103",
            "period": "2024-05",
            "days_online": 12,
            "orders": [
                _order("5.5", 12, peak=True, complaint=True),
                _order("2.0", complaint=True),
                _order("8.0", 45),
                _order("1.0", 20, cancelled=True),
            ],
        },
        {
            "employee": "R104",
            "period": "2024-05",
            "days_online": 26,
            "carried_deductions": "120.00",
            "orders": [],
        },
    ]
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in riders)


def main() -> int:
    """Rewrite the example month in place."""
    MONTH.write_text(month(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
