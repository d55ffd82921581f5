"""What a ledger run returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cmrules.slip import PaySlip

__all__ = ["LedgerRun"]


@dataclass
class LedgerRun:
    """One period paid through the ledger.

    ``slips`` are the slips in input order (with any adjustment lines carried from a
    restated period), ``failures`` the failure dicts ``cmrules run`` writes to its errors
    file, ``joined`` the employees paid now who were neither paid nor failed in the previous
    period run, ``left`` those paid or failed then who are absent now, ``unpaid`` those whose
    record failed now: not leavers, not paid, their balances kept as they were for the next period.
    """

    ruleset: str
    period: str
    run: int
    slips: list[PaySlip]
    failures: list[dict[str, Any]]
    joined: list[str]
    left: list[str]
    unpaid: list[str] = field(default_factory=list)
