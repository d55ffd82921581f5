"""Paying many records: each evaluated in turn, a bad one reported and never stopping the rest.

A record's problems (it could not be read, invalid input, a repeated employee-period, a
rule that failed, any other exception while it was evaluated) become failure dicts with
``employee``, ``record``, ``line`` (when known), ``field``, ``value``, ``message`` and
``code``, the form the errors file and the terminal show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from cmrules.errors import EmployeeError
from cmrules.outputs.render._common import failure_value
from cmrules.ruleset._many import internal_error
from cmrules.ruleset._ruleset import Ruleset, Version
from cmrules.ruleset._stream import (
    Item,
    Outcome,
    check_period,
    failure_rows,
    items_of,
    pay_item,
    with_period,
)
from cmrules.slip import Detail, PaySlip, SlipJSON
from cmrules.sources import Record

T = TypeVar("T")

#: What evaluates one employee-period: a plan (the version follows the period) or one version.
Evaluator = Ruleset | Version

#: Reports (done, total, stage) as a run goes: stage is "evaluating", then "writing".
Progress = Callable[[int, int, str], None]


def _unreadable(item: Record) -> list[dict[str, Any]]:
    employee = item.employee or "<unknown>"
    error = EmployeeError(employee, "<record>", None, str(item.error), "input.unreadable")
    return failure_rows(error, item.number, item.line)


def _numbered(records: Iterable[Any], period: str | None) -> Iterator[Item]:
    """Each record as a batch item: its number, line, data with ``period``, or why it is unreadable."""
    for position, item in enumerate(records, start=1):
        if isinstance(item, Record):
            if item.error is not None:
                yield item.number, item.line, None, _unreadable(item)
            else:
                yield item.number, item.line, with_period(item.data, period), None
        else:
            yield position, None, with_period(item, period), None


def record_items(records: Iterable[Any], period: str | None) -> Iterator[Item]:
    """``records`` (plain or :class:`~cmrules.sources.Record`) as batch items, in order, each
    unreadable one or repeated employee-period already failed."""
    return items_of(_numbered(records, period))


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
    for item in record_items(records, period):
        yield pay_item(evaluate, item)


def written(outcome: Outcome, write: Callable[[PaySlip], T]) -> T | None:
    """``write`` applied to the outcome's slip; an exception there (never a MemoryError) becomes
    the outcome's failure (``eval.internal``), as one while evaluating would."""
    if outcome.slip is None:
        return None
    try:
        return write(outcome.slip)
    except MemoryError:
        raise
    except Exception as exc:
        error = internal_error(outcome.slip.employee, exc)
        outcome.failures = failure_rows(error, outcome.record, outcome.line)
        return None


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
        form = written(outcome, lambda slip: slip.to_dict(detail))
        if form is not None:
            payroll.slips.append(form)
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
