"""Paying many records: each evaluated in turn, a bad one reported and never stopping the rest.

A record's problems (it could not be read, invalid input, a repeated employee-period, a
rule that failed, any other exception while it was evaluated) become failure dicts with
``employee``, ``record``, ``line`` (when known), ``field``, ``value``, ``message`` and
``code``, the form the errors file and the terminal show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cmrules.errors import EmployeeError, UsageError
from cmrules.inputs._text import PERIOD_RE
from cmrules.outputs.render._common import failure_value
from cmrules.ruleset._many import Duplicates, evaluate_one, internal_error
from cmrules.ruleset._ruleset import Ruleset, Version
from cmrules.slip import Detail, PaySlip, SlipJSON
from cmrules.sources import Record

#: What evaluates one employee-period: a plan (the version follows the period) or one version.
Evaluator = Ruleset | Version

#: Reports (done, total, stage) as a run goes: stage is "evaluating", then "writing".
Progress = Callable[[int, int, str], None]


@dataclass
class Outcome:
    """One input record evaluated: its slip, or the problems that stopped it."""

    record: int  # 1-based position in the input
    slip: PaySlip | None
    failures: list[dict[str, Any]] = field(default_factory=list)
    line: int | None = None  # the input file's line the record starts on, when known


def check_period(period: str | None) -> None:
    """Raise :class:`UsageError` unless ``period`` is ``None`` or ``YYYY-MM``."""
    if period is not None and not PERIOD_RE.match(period):
        raise UsageError(f"--period must be YYYY-MM, not {period!r}")


def with_period(record: Any, period: str | None) -> Any:
    """``record`` with its period filled or overridden by ``period`` (when given)."""
    if period is None or not isinstance(record, dict):
        return record
    return {**record, "period": period}


def _rows(exc: EmployeeError, number: int, line: int | None) -> list[dict[str, Any]]:
    where = {"record": number} if line is None else {"record": number, "line": line}
    return [{**row, **where} for row in exc.to_dicts()]


def _unreadable(item: Record) -> list[dict[str, Any]]:
    employee = item.employee or "<unknown>"
    error = EmployeeError(employee, "<record>", None, str(item.error), "input.unreadable")
    return _rows(error, item.number, item.line)


def evaluate_records(
    evaluator: Evaluator, records: Iterable[Any], *, period: str | None = None
) -> Iterator[Outcome]:
    r"""Evaluate each record in order; a bad one yields its failures and never stops the rest.

    ``records`` are plain records (dicts) or the :class:`~cmrules.sources.Record`\ s of
    :func:`~cmrules.sources.open_records` (a record that could not be read fails with
    ``input.unreadable``, and failures also name the file's line). ``period`` (``YYYY-MM``)
    fills or overrides every record's period. A record repeating an employee and period
    already seen fails with ``input.duplicate`` (nobody is paid twice); any exception while
    one employee is evaluated is that employee's failure (``eval.internal``). Each failure
    is a dict with ``employee``, ``record`` (1-based), ``line`` (when known), ``field`` (a
    path such as ``bookings[0].amount``), ``value``, ``message`` and ``code``.
    """
    check_period(period)
    evaluate = evaluator.evaluate
    seen = Duplicates()
    for position, item in enumerate(records, start=1):
        number, line = (item.number, item.line) if isinstance(item, Record) else (position, None)
        if isinstance(item, Record) and item.error is not None:
            yield Outcome(number, None, _unreadable(item), line)
            continue
        record = with_period(item.data if isinstance(item, Record) else item, period)
        duplicate = seen.check(record, number)
        if duplicate is not None:
            yield Outcome(number, None, _rows(duplicate, number, line), line)
            continue
        try:
            yield Outcome(number, evaluate_one(evaluate, record), line=line)
        except EmployeeError as exc:
            yield Outcome(number, None, _rows(exc, number, line), line)


@dataclass
class Payroll:
    """Many records paid: the slips (JSON-ready dicts, in input order) and the failures."""

    slips: list[SlipJSON]
    failures: list[dict[str, Any]]
    failed_records: int


def pay_records(
    evaluator: Evaluator,
    records: Sequence[Any],
    *,
    period: str | None = None,
    progress: Progress | None = None,
    detail: Detail = "trace",
) -> Payroll:
    """Evaluate every record (see :func:`evaluate_records`), keeping each slip as its dict.

    ``progress`` is called with (done, total, "evaluating") every 256 records and at the end;
    ``detail`` is how much of each slip its dict keeps (:meth:`PaySlip.to_dict`).
    """
    total = len(records)
    payroll = Payroll([], [], 0)
    for done, outcome in enumerate(evaluate_records(evaluator, records, period=period), start=1):
        if outcome.slip is not None:
            try:
                payroll.slips.append(outcome.slip.to_dict(detail))
            except MemoryError:
                raise
            except Exception as exc:
                error = internal_error(outcome.slip.employee, exc)
                outcome.failures = _rows(error, outcome.record, outcome.line)
        if outcome.failures:
            payroll.failed_records += 1
            payroll.failures.extend(outcome.failures)
        if progress is not None and (done % 256 == 0 or done == total):
            progress(done, total, "evaluating")
    return payroll


def format_failure(failure: Mapping[str, Any]) -> str:
    """One failure as a line for a terminal: who, which record (and line), field path, value, why."""
    path = str(failure.get("field"))
    shown = failure_value(failure.get("value"))
    place = [f"{k} {failure[k]}" for k in ("record", "line") if failure.get(k) is not None]
    where = f" ({', '.join(place)})" if place else ""
    if path.startswith("rule:"):
        what = f"rule {path[5:]} failed"
    elif path.startswith("<") and failure.get("value") is None:
        what = "the record" if path == "<record>" else "evaluation"
    else:
        what = f"{path} = {shown}"
    why = f"{failure.get('message')} [{failure.get('code')}]"
    return f"employee {failure.get('employee')}{where}: {what}: {why}"
