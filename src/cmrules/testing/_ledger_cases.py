"""Tests as data for a sequence of months through an in-memory ledger (``*.tests.yaml`` with ``months:``).

Each month's inputs are run through one :class:`~cmrules.ledger.Ledger` in order (so
balances such as ``carried_deductions`` come from the months before) and closed; the
slips are compared with what the month expects, per employee, with the keys of a case's
``expect`` (``net``, ``carry_forward``, ``lines``, ``facts``, ``notices`` …)::

    ruleset: bar_customer_manager.yaml       # relative to this file
    months:
      - period: 2024-05
        inputs:
          - {employee: B001, absent_days: 20, bookings: [...]}
        expect:
          B001: {net: "0.00", carry_forward: "3250.00"}
      - period: 2024-06
        inputs: [...]
        restate:                               # optional: corrected inputs of a closed month
          period: 2024-05
          inputs: [...]
        expect:
          B001: {lines: {carried_deductions: "-3250.00"}}

A month whose run has failures fails with them; ``close: false`` leaves a month open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cmrules._yaml import YamlError, load_data
from cmrules.errors import CmrulesError, Issue, RulesetError
from cmrules.ledger import Ledger
from cmrules.ruleset._load import load_ruleset
from cmrules.run import format_failure
from cmrules.testing._cases import CaseResult, compare

__all__ = ["is_months_file", "load_months", "run_months", "run_months_file"]


def is_months_file(file: Path) -> bool:
    """Whether a tests file is the months form (a top-level ``months:`` list)."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return any(line.startswith("months:") for line in text.splitlines())


def load_months(file: Path) -> tuple[Any, list[dict[str, Any]]]:
    """The ruleset a months file names and its months (``RulesetError``, located, when broken)."""
    try:
        data = load_data(file.read_text(encoding="utf-8"), str(file), what="a tests file")
    except YamlError as exc:
        raise RulesetError(exc.issues) from None
    if not isinstance(data, dict) or not isinstance(data.get("months"), list):
        raise RulesetError(
            [Issue("schema.type", "a months tests file has 'ruleset' and a 'months' list", str(file))]
        )
    target = data.get("ruleset")
    if target is None:
        target = file.name[: -len(".tests.yaml")] + ".yaml"
    return load_ruleset(file.parent / str(target)), data["months"]


def run_months(ruleset: Any, months: list[dict[str, Any]], file: str = "") -> list[CaseResult]:
    """Run the months in order through one in-memory ledger: one result per expected slip
    (named ``<period> <employee>``), plus one per month whose run failed or was refused."""
    results: list[CaseResult] = []
    with Ledger(":memory:", by="cmrules test") as book:
        for month in months:
            period = str(month.get("period"))
            try:
                restate = month.get("restate")
                if restate:
                    book.restate(ruleset, str(restate["period"]), list(restate.get("inputs") or []))
                run = book.run(ruleset, period, list(month.get("inputs") or []))
                if month.get("close", True) and not run.failures:
                    book.close(period, ruleset)
            except CmrulesError as exc:
                results.append(CaseResult(file, f"{period}", [f"the ledger refused the month: {exc}"]))
                continue
            if run.failures:
                results.append(CaseResult(file, period, [format_failure(f) for f in run.failures]))
            slips = {slip.employee: slip for slip in run.slips}
            for employee, expect in (month.get("expect") or {}).items():
                result = CaseResult(file, f"{period} {employee}")
                slip = slips.get(str(employee))
                if slip is None:
                    result.differences.append(f"no slip for {employee} in {period}")
                else:
                    result.slip = slip
                    result.differences.extend(compare(slip, expect or {}))
                results.append(result)
    return results


def run_months_file(file: Path) -> list[CaseResult]:
    """Run a months tests file."""
    ruleset, months = load_months(file)
    return run_months(ruleset, months, str(file))
