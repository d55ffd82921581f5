"""Evaluating many records: each employee-period paid in turn, bad ones reported, never fatal.

>>> from cmrules.run import evaluate_records
>>> outcomes = list(evaluate_records(ruleset, records, period="2024-05"))
>>> failed = [outcome.failures for outcome in outcomes if outcome.slip is None]

:func:`pay_to_writer` streams a whole input into an output in batches, on one or more processes
(:mod:`cmrules.run._pay`); :func:`pay_records` collects a whole input (slips as dicts,
failures) with a progress callback; :func:`format_failure` shows one failure as a line;
:func:`check_columns` refuses a table whose header names a field the ruleset does not declare.
"""

from cmrules.ruleset._stream import Outcome, check_period, with_period
from cmrules.run._columns import check_columns, declared_fields, did_you_mean
from cmrules.run._pay import Paid, pay_to_writer
from cmrules.run._records import (
    Evaluator,
    Payroll,
    Progress,
    evaluate_records,
    format_failure,
    pay_records,
)

__all__ = [
    "Evaluator",
    "Outcome",
    "Paid",
    "Payroll",
    "Progress",
    "check_columns",
    "check_period",
    "declared_fields",
    "did_you_mean",
    "evaluate_records",
    "format_failure",
    "pay_records",
    "pay_to_writer",
    "with_period",
]
