"""Real pay slips, made by the engine from the shipped rulesets, for the renderer, IO and schema tests."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import cmrules
from cmrules.testing import run_case_file
from cmrules.testing._cases import case_files
from cmrules.testing._ledger_cases import is_months_file, run_months_file

ROOT = Path(__file__).resolve().parents[1]
RULESETS = ROOT / "rulesets"
BAR = RULESETS / "bar_customer_manager.yaml"

#: One bar month (POLICIES.md section 1): 52,000 counted, two late arrivals, a drink given free.
B001 = {
    "employee": "B001",
    "period": "2024-05",
    "bookings": [
        {"date": "2024-05-03", "amount": "30000.00", "registered_minutes_before": 15},
        {"date": "2024-05-11", "amount": "22000.00", "registered_minutes_before": 15},
    ],
    "late_arrivals": [12, 25],
    "comps": [{"table_spend": "1800.00", "amount": "400.00", "item": "drink", "own_booking": True}],
}


@cache
def _bar() -> cmrules.Ruleset:
    return cmrules.load_ruleset(BAR)


@cache
def _bar_slip() -> dict[str, Any]:
    return _bar().evaluate(B001).to_dict()


def bar_slip() -> dict[str, Any]:
    """B001's slip as ``PaySlip.to_dict()`` gives it (a fresh copy: tests may change it).

    Base 3,000 and commission 3% × 12,000 = 360 (earnings 3,360); two late fines of 50 and
    the drink fined twice its 400 (deductions 900); net 2,460. 900 is over 20% of 3,360 = 672,
    so the slip carries the compliance notice ``deduction_cap_exceeded``.
    """
    return copy.deepcopy(_bar_slip())


def bar_sha256() -> str:
    return _bar().latest.sha256


@cache
def _case_slips() -> tuple[dict[str, Any], ...]:
    slips = []
    for file in case_files([RULESETS]):
        run = run_months_file if is_months_file(file) else run_case_file  # months: through a ledger
        slips += [r.slip.to_dict() for r in run(file) if r.slip is not None]
    return tuple(slips)


def case_slips() -> list[dict[str, Any]]:
    """The slip of every YAML test case shipped beside the rulesets (all five policies)."""
    return copy.deepcopy(list(_case_slips()))
