"""The payroll ledger: periods chained through the balances an employee carries.

:class:`Ledger` keeps rulesets, periods (open or closed), runs, slips (their JSON form at
the level of detail it keeps, compressed), balances before and after each period,
corrections of closed periods (lines, and the declared balances they change) and an audit
log in one SQLite file; ``docs/ledger.md`` walks through it.
"""

from cmrules.ledger._errors import LedgerBusy, LedgerError, LedgerFileError, LedgerRefused
from cmrules.ledger._ledger import Ledger
from cmrules.ledger._opening_file import OpeningsFileError, read_openings
from cmrules.ledger._openings import OpeningProblem, Openings
from cmrules.ledger._restate import Restated, line_amounts
from cmrules.ledger._result import LedgerRun
from cmrules.ledger._rows import next_period
from cmrules.ledger._store import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "Ledger",
    "LedgerBusy",
    "LedgerError",
    "LedgerFileError",
    "LedgerRefused",
    "LedgerRun",
    "OpeningProblem",
    "Openings",
    "OpeningsFileError",
    "Restated",
    "line_amounts",
    "next_period",
    "read_openings",
]
