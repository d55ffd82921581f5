"""What several tests share about the shipped rulesets: their names and seeded bar months.

``generate(n, seed)`` is the benchmark's case generator (``benchmarks/bar_cases.py``):
realistic bar employee-months that favour the policy's boundaries.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the benchmark's case generator
    sys.path.insert(0, str(ROOT))

from benchmarks.bar_cases import generate  # noqa: E402

#: Every ruleset the package ships, by the name ``cmrules.load_ruleset`` takes.
SHIPPED = [
    "bar_customer_manager",
    "bank_client_manager",
    "duty_manager_checklist",
    "sales_contest",
    "securities_client_manager",
]

__all__ = ["ROOT", "SHIPPED", "generate"]
