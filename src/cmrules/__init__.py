"""cmrules: pay policies as declarative rulesets, evaluated into exact, explained pay slips.

>>> import cmrules
>>> ruleset = cmrules.load_ruleset("rulesets/bar_customer_manager.yaml")
>>> slip = ruleset.evaluate({"employee": "B001", "period": "2024-05", ...})
"""

from importlib import metadata as _metadata

from cmrules.errors import CmrulesError, EvaluationError, InputError, RulesetError
from cmrules.ruleset._load import load_ruleset, loads_ruleset
from cmrules.ruleset._ruleset import Ruleset
from cmrules.slip._payslip import PaySlip

try:
    __version__ = _metadata.version("cmrules")
except _metadata.PackageNotFoundError:  # imported from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "CmrulesError",
    "EvaluationError",
    "InputError",
    "PaySlip",
    "Ruleset",
    "RulesetError",
    "load_ruleset",
    "loads_ruleset",
]
