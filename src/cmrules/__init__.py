"""cmrules: pay policies as declarative rulesets, evaluated into exact, explained pay slips.

>>> import cmrules
>>> ruleset = cmrules.load_ruleset("rulesets/bar_customer_manager.yaml")
>>> slip = ruleset.evaluate({"employee": "B001", "period": "2024-05", ...})
"""

from cmrules.errors import CmrulesError, EvaluationError, InputError, RulesetError
from cmrules.outputs._atomic import atomic_write as atomic_write
from cmrules.outputs._io import read_inputs as read_inputs
from cmrules.outputs._io import write_slips as write_slips
from cmrules.ruleset._load import load_ruleset, loads_ruleset
from cmrules.ruleset._ruleset import Ruleset
from cmrules.slip._payslip import PaySlip

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
