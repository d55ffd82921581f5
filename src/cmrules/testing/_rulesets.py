"""What the strategies are given: a ruleset (or one version, or a path), its versions,
and the input fields each version declares."""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

from hypothesis.errors import InvalidArgument

from cmrules.compile import BUILTIN_INPUTS
from cmrules.ruleset._load import load_ruleset
from cmrules.ruleset._ruleset import Ruleset, Version
from cmrules.spec._model import InputField

#: The declared input types that are numbers.
NUMERIC = ("money", "decimal", "rate", "int")
#: The longest list or free map drawn: hypothesis' data budget per example fills a few
#: hundred elements at most, and a slip of a thousand incidents is already unusual.
MAX_LIST_SIZE = 1000


def as_ruleset(ruleset: Any) -> Ruleset | Version:
    """A ``Ruleset`` or ``Version`` as given; a path (a file or a plan's folder) loaded."""
    if isinstance(ruleset, (str, PathLike)):
        return load_ruleset(Path(ruleset))
    if isinstance(ruleset, (Ruleset, Version)):
        return ruleset
    raise InvalidArgument(
        f"ruleset={ruleset!r} must be a cmrules Ruleset (cmrules.load_ruleset), "
        "one of its versions, or a path"
    )


def check_max_list_size(max_list_size: Any) -> None:
    """``InvalidArgument`` unless ``0 <= max_list_size <= MAX_LIST_SIZE`` (an int, not a bool)."""
    if not isinstance(max_list_size, int) or isinstance(max_list_size, bool):
        raise InvalidArgument(f"max_list_size={max_list_size!r} must be an integer")
    if not 0 <= max_list_size <= MAX_LIST_SIZE:
        raise InvalidArgument(f"max_list_size={max_list_size!r} must be between 0 and {MAX_LIST_SIZE}")


def input_fields(version: Version) -> dict[str, InputField]:
    """Every input field: employee and period first (drawn dicts read like input files)."""
    declared = version.doc.inputs
    fields = {k: declared.get(k, BUILTIN_INPUTS[k]) for k in ("employee", "period")}
    fields.update(declared)
    for name, spec in BUILTIN_INPUTS.items():
        fields.setdefault(name, spec)
    fields.update(version.program.balance_inputs)  # declared balances: their values before the period
    return fields
