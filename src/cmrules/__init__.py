"""cmrules: pay policies as declarative rulesets, evaluated into exact, explained pay slips.

>>> import cmrules
>>> ruleset = cmrules.load_ruleset("bar_customer_manager")
>>> slip = ruleset.evaluate({"employee": "B001", "period": "2024-05", ...})

This module is the public surface, with :mod:`cmrules.errors` (the error tree),
:mod:`cmrules.commands` (the commands as functions), :mod:`cmrules.testing`
(property testing and YAML cases), :mod:`cmrules.engines` and :mod:`cmrules.cli`.
Everything else is internal: the stages of ``docs/architecture.md``.

Every name is imported on first use, so ``import cmrules`` is cheap (the pytest
plugin pays nothing in a run that collects no ruleset) and reading employees never
loads a renderer.
"""

from __future__ import annotations

from importlib import import_module
from importlib import metadata as _metadata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cmrules.compile import BalanceSpec
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
    from cmrules.ledger import Ledger, LedgerBusy
    from cmrules.outputs import (
        OUTPUT_FORMATS,
        OutputCheck,
        atomic_write,
        errors_path,
        verify_output,
        write_slips,
    )
    from cmrules.ruleset._load import load_ruleset, loads_ruleset
    from cmrules.ruleset._ruleset import Ruleset, Version
    from cmrules.slip import BalanceChange, Line, Notice, PaySlip, SlipJSON
    from cmrules.sources import INPUT_FORMATS, FloatLiteral, read_inputs

try:
    __version__ = _metadata.version("cmrules")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

_WHERE = {
    **dict.fromkeys(
        (
            "CmrulesError",
            "EmployeeError",
            "EngineUnavailable",
            "EvaluationError",
            "InputError",
            "InputFileError",
            "InputProblem",
            "Issue",
            "RulesetError",
            "UsageError",
        ),
        "cmrules.errors",
    ),
    **dict.fromkeys(
        ("OUTPUT_FORMATS", "OutputCheck", "atomic_write", "errors_path", "verify_output", "write_slips"),
        "cmrules.outputs",
    ),
    **dict.fromkeys(("load_ruleset", "loads_ruleset"), "cmrules.ruleset._load"),
    **dict.fromkeys(("Ruleset", "Version"), "cmrules.ruleset._ruleset"),
    **dict.fromkeys(("Line", "Notice", "PaySlip", "SlipJSON"), "cmrules.slip"),
    **dict.fromkeys(("INPUT_FORMATS", "FloatLiteral", "read_inputs"), "cmrules.sources"),
    **dict.fromkeys(("Ledger", "LedgerBusy"), "cmrules.ledger"),
    "BalanceSpec": "cmrules.compile",
    "BalanceChange": "cmrules.slip",
}

__all__ = [
    "INPUT_FORMATS",
    "OUTPUT_FORMATS",
    "BalanceChange",
    "BalanceSpec",
    "CmrulesError",
    "EmployeeError",
    "EngineUnavailable",
    "EvaluationError",
    "FloatLiteral",
    "InputError",
    "InputFileError",
    "InputProblem",
    "Issue",
    "Ledger",
    "LedgerBusy",
    "Line",
    "Notice",
    "OutputCheck",
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
    "verify_output",
    "write_slips",
]


def __getattr__(name: str) -> Any:
    """Import a public name from the stage that defines it, on first use."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'cmrules' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, for completion in a REPL."""
    return sorted([*__all__, "__version__"])
