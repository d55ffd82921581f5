"""Compiling a validated ruleset document into a :class:`~cmrules.compile._program.Program`.

:func:`build` is the entry point; :data:`BUILTIN_INPUTS` are the inputs every ruleset has;
:class:`BalanceSpec` describes a balance (``Version.balances``).
"""

from cmrules.compile._build import build
from cmrules.compile._declare import BUILTIN_INPUTS
from cmrules.compile._program import BalanceSpec

__all__ = ["BUILTIN_INPUTS", "BalanceSpec", "build"]
