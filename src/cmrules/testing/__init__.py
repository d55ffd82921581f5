"""Property-testing tools for rulesets: strategies, invariants and a pytest plugin.

>>> from cmrules.testing import inputs, check_invariants
>>> check_invariants("rulesets/bar_customer_manager.yaml").raise_on_failure()

The names are imported on first use, so the pytest plugin (which lives in this
package) does not import hypothesis until a ruleset invariant is checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cmrules.testing._boundaries import boundary_values, ruleset_constants
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
    "Counterexample",
    "CoverageReport",
    "Growth",
    "InvariantReport",
    "InvariantResult",
    "RuleCoverage",
    "boundary_values",
    "check_invariant",
    "check_invariants",
    "grown_inputs",
    "inputs",
    "rule_coverage",
    "ruleset_constants",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'cmrules.testing' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{module}", __name__), name)
