"""The operations behind the ``cmrules`` command, importable from payroll scripts.

Each command of :mod:`cmrules.cli` is one function here that returns a result object
(with a ``render()`` for the terminal where that helps); none of them prints:

* :func:`check_paths`: load rulesets and collect every located error
  (:class:`CheckResult`, whose ``render_code()`` shows each version's generated Python);
* :func:`run_file`: evaluate a file of employee-periods and write the slips
  (:class:`RunResult`; pass a :data:`Progress` callable to follow a long run);
* :func:`explain_employee` / :func:`explain_slip`: one slip with its arithmetic, the
  trace of the rules that fired and why the others did not (:class:`Explanation`);
* :func:`what_if`: one employee paid again with some inputs changed, the lines that changed
  (:class:`WhatIf`);
* :func:`run_tests`: the YAML test cases beside rulesets and their invariants, and any
  suite added to :data:`SUITES` (:class:`TestReport`); :func:`coverage_reports`;
* :func:`diff_rulesets` / :func:`diff_records`: two rulesets or versions on the same
  inputs, whatever their dates (:class:`DiffReport`).

A ruleset is named by a path (a file, or a folder of dated versions of one plan) or
``path@version`` to apply one version of a plan whatever the period
(:func:`open_ruleset`). A request that cannot be served as asked raises
:class:`UsageError`.

>>> from cmrules.commands import explain_employee
>>> explanation = explain_employee("rulesets/bar_customer_manager.yaml", "examples/bar_month.csv", "B012")
>>> text = explanation.render()  # what ``cmrules explain`` prints
"""

from cmrules.commands._check import CheckResult, check_paths
from cmrules.commands._diff import DiffReport, EmployeeDiff, LineChange, diff_records, diff_rulesets
from cmrules.commands._explain import explain_employee, explain_slip
from cmrules.commands._explain_text import MAX_ELEMENTS, Explanation, Miss
from cmrules.commands._ledger import (
    LedgerOutcome,
    close_periods,
    import_balances_file,
    ledger_run,
    restate_file,
    show_ledger,
)
from cmrules.commands._open import describe, open_ruleset
from cmrules.commands._run import FORMAT_BY_SUFFIX, RunResult, run_file
from cmrules.commands._test import (
    SUITES,
    TestReport,
    TestSuite,
    coverage_reports,
    invariant_suite,
    run_tests,
    yaml_case_suite,
)
from cmrules.commands._values import substitute
from cmrules.commands._what_if import ChangedLine, WhatIf, what_if
from cmrules.errors import UsageError
from cmrules.run import Evaluator, Progress

__all__ = [
    "FORMAT_BY_SUFFIX",
    "MAX_ELEMENTS",
    "SUITES",
    "ChangedLine",
    "CheckResult",
    "DiffReport",
    "EmployeeDiff",
    "Evaluator",
    "Explanation",
    "LedgerOutcome",
    "LineChange",
    "Miss",
    "Progress",
    "RunResult",
    "TestReport",
    "TestSuite",
    "UsageError",
    "WhatIf",
    "check_paths",
    "close_periods",
    "coverage_reports",
    "describe",
    "diff_records",
    "diff_rulesets",
    "explain_employee",
    "explain_slip",
    "import_balances_file",
    "invariant_suite",
    "ledger_run",
    "open_ruleset",
    "restate_file",
    "run_file",
    "run_tests",
    "show_ledger",
    "substitute",
    "what_if",
    "yaml_case_suite",
]
