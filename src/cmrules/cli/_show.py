"""What the ``cmrules`` command shows on the terminal, as text: failures, run summaries,
generated code, coverage and diff reports. Writing it is left to :mod:`cmrules.cli`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from cmrules.commands import CheckResult, DiffReport, RunResult
from cmrules.run import format_failure

if TYPE_CHECKING:  # importing it at run time would import hypothesis
    from cmrules.testing import CoverageReport


def failure_lines(failures: Iterable[Mapping[str, Any]]) -> str:
    """Each failure on a line of its own, ``failed: employee …``."""
    return "".join(f"failed: {format_failure(failure)}\n" for failure in failures)


def check_text(result: CheckResult, *, show_code: bool) -> str:
    """One checked path as ``check`` prints it; with ``show_code`` each version's generated Python
    follows, after a blank line."""
    code = result.render_code() if show_code else ""
    return result.render() + "\n" + ("\n" + code if code else "")


def run_summary(result: RunResult) -> str:
    """What ``run`` tells on stderr once done: slips written (with an output file), employees failed."""
    out = ""
    if result.rendered is None:
        slips = "1 slip" if result.slips == 1 else f"{result.slips} slips"
        out += f"{slips} written to {result.out} ({result.seconds:.2f}s)\n"
    if result.failures:
        where = f"; errors in {result.errors_file}" if result.errors_file else ""
        failed = "1 employee" if result.failed_records == 1 else f"{result.failed_records} employees"
        out += f"{failed} failed{where}\n"
    return out


def coverage_text(reports: Iterable[CoverageReport]) -> str:
    """Each rule coverage report after a blank line."""
    return "".join("\n" + report.render().rstrip("\n") + "\n" for report in reports)


def diff_text(report: DiffReport, fmt: str) -> str:
    """The diff report as text, or as indented JSON (``fmt`` ``json``)."""
    if fmt == "json":
        return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"
    return report.render()
