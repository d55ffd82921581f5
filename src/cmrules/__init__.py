"""cmrules: pay policies as declarative rulesets, evaluated into exact, explained pay slips.

>>> import cmrules
>>> ruleset = cmrules.load_ruleset("rulesets/bar_customer_manager.yaml")
>>> slip = ruleset.evaluate({"employee": "B001", "period": "2024-05", ...})

This module is the public surface, with :mod:`cmrules.errors` (the error tree),
:mod:`cmrules.commands` (the commands as functions), :mod:`cmrules.testing`
(property testing and YAML cases) and :mod:`cmrules.cli`. Everything else is
internal: the stages of ``docs/architecture.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cmrules.errors import (
    CmrulesError,
    EmployeeError,
    EngineUnavailable,
    EvaluationError,
    InputError,
    InputFileError,
    InputProblem,
    Issue,
    RulesetError,
    UsageError,
)
from cmrules.ruleset._load import load_ruleset, loads_ruleset
from cmrules.ruleset._ruleset import Ruleset, Version
from cmrules.slip import Line, Notice, PaySlip, SlipJSON
from cmrules.sources import INPUT_FORMATS, FloatLiteral, read_inputs

if TYPE_CHECKING:
    from cmrules.outputs import OUTPUT_FORMATS, atomic_write, errors_path, write_slips

# Writers are imported on first use, so that reading employees never loads a renderer.
_WRITERS = frozenset({"OUTPUT_FORMATS", "atomic_write", "errors_path", "write_slips"})

__all__ = [
    "INPUT_FORMATS",
    "OUTPUT_FORMATS",
    "CmrulesError",
    "EmployeeError",
    "EngineUnavailable",
    "EvaluationError",
    "FloatLiteral",
    "InputError",
    "InputFileError",
    "InputProblem",
    "Issue",
    "Line",
    "Notice",
    "PaySlip",
    "Ruleset",
    "RulesetError",
    "SlipJSON",
    "UsageError",
    "Version",
    "atomic_write",
    "errors_path",
    "load_ruleset",
    "loads_ruleset",
    "read_inputs",
    "write_slips",
]


def __getattr__(name: str) -> Any:
    """The writers of :mod:`cmrules.outputs`, imported when first asked for."""
    if name in _WRITERS:
        from cmrules import outputs

        return getattr(outputs, name)
    raise AttributeError(f"module 'cmrules' has no attribute {name!r}")
