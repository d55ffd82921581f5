"""Testing rulesets: YAML cases, hypothesis strategies, invariants, rule coverage, a pytest plugin.

>>> from cmrules.testing import inputs, check_invariants, run_case_file
>>> check_invariants("rulesets/bar_customer_manager.yaml").raise_on_failure()
>>> results = run_case_file(Path("rulesets/bar_customer_manager.tests.yaml"))

The names are imported on first use, so the pytest plugin (which lives in this
package) does not import hypothesis until a ruleset invariant is checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cmrules.testing._boundaries import boundary_values, ruleset_constants
    from cmrules.testing._cases import CaseResult, case_files, load_cases, run_case, run_case_file
    from cmrules.testing._coverage import CoverageReport, RuleCoverage, rule_coverage
    from cmrules.testing._growth import Growth, grown_inputs
    from cmrules.testing._invariants import (
        Counterexample,
        InvariantReport,
        InvariantResult,
        check_invariant,
        check_invariants,
    )
    from cmrules.testing._plan import inputs

_WHERE = {
    "CaseResult": "_cases",
    "case_files": "_cases",
    "load_cases": "_cases",
    "run_case": "_cases",
    "run_case_file": "_cases",
    "CoverageReport": "_coverage",
    "RuleCoverage": "_coverage",
    "rule_coverage": "_coverage",
    "Counterexample": "_invariants",
    "InvariantReport": "_invariants",
    "InvariantResult": "_invariants",
    "check_invariant": "_invariants",
    "check_invariants": "_invariants",
    "Growth": "_growth",
    "boundary_values": "_boundaries",
    "grown_inputs": "_growth",
    "inputs": "_plan",
    "ruleset_constants": "_boundaries",
}
__all__ = [
    "CaseResult",
    "Counterexample",
    "CoverageReport",
    "Growth",
    "InvariantReport",
    "InvariantResult",
    "RuleCoverage",
    "boundary_values",
    "case_files",
    "check_invariant",
    "check_invariants",
    "grown_inputs",
    "inputs",
    "load_cases",
    "rule_coverage",
    "ruleset_constants",
    "run_case",
    "run_case_file",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its private module on first use."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'cmrules.testing' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{module}", __name__), name)
