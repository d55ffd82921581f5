"""cmrules: pay policies as declarative rulesets, evaluated into exact, explained pay slips.

>>> import cmrules
>>> ruleset = cmrules.load_ruleset("rulesets/bar_customer_manager.yaml")
>>> slip = ruleset.evaluate({"employee": "B001", "period": "2024-05", ...})
"""

from .errors import CmrulesError, EvaluationError, InputError, RulesetError
from .loader import load_ruleset, loads_ruleset
from .payslip import PaySlip
from .ruleset import Ruleset

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
