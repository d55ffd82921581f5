"""Paying many records: each evaluated in turn, a bad one reported and never stopping the rest.

A record's problems (invalid input, a rule that failed) become failure dicts with
``employee``, ``record``, ``field``, ``value``, ``message`` and ``code``, the form the
errors file and the terminal show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cmrules.errors import EvaluationError, InputError, UsageError
from cmrules.inputs._text import PERIOD_RE
from cmrules.outputs.render._common import failure_value
from cmrules.ruleset._ruleset import Ruleset, Version
from cmrules.slip import PaySlip, SlipJSON

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


def check_period(period: str | None) -> None:
    """Raise :class:`UsageError` unless ``period`` is ``None`` or ``YYYY-MM``."""
    if period is not None and not PERIOD_RE.match(period):
        raise UsageError(f"--period must be YYYY-MM, not {period!r}")


def with_period(record: Any, period: str | None) -> Any:
    """``record`` with its period filled or overridden by ``period`` (when given)."""
    if period is None or not isinstance(record, dict):
        return record
    return {**record, "period": period}


def evaluate_records(
    evaluator: Evaluator, records: Iterable[Any], *, period: str | None = None
) -> Iterator[Outcome]:
    """Evaluate each record in order; a bad one yields its failures and never stops the rest.

    ``period`` (``YYYY-MM``) fills or overrides every record's period. Each failure is a
    dict with ``employee``, ``record``, ``field`` (a path such as ``bookings[0].amount``),
    ``value``, ``message`` and ``code``.
    """
    check_period(period)
    evaluate = evaluator.evaluate
    for number, record in enumerate(records, start=1):
        try:
            yield Outcome(number, evaluate(with_period(record, period)))
        except (InputError, EvaluationError) as exc:
            yield Outcome(number, None, [{**p, "record": number} for p in exc.to_dicts()])


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
) -> Payroll:
    """Evaluate every record (see :func:`evaluate_records`), keeping each slip as its dict.

    ``progress`` is called with (done, total, "evaluating") every 256 records and at the end.
    """
    total = len(records)
    payroll = Payroll([], [], 0)
    for outcome in evaluate_records(evaluator, records, period=period):
        if outcome.slip is not None:
            payroll.slips.append(outcome.slip.to_dict())
        else:
            payroll.failed_records += 1
            payroll.failures.extend(outcome.failures)
        if progress is not None and (outcome.record % 256 == 0 or outcome.record == total):
            progress(outcome.record, total, "evaluating")
    return payroll


def format_failure(failure: Mapping[str, Any]) -> str:
    """One failure as a line for a terminal: who, which record, field path, value, why."""
    path = str(failure.get("field"))
    shown = failure_value(failure.get("value"))
    where = f" (record {failure['record']})" if "record" in failure else ""
    what = f"rule {path[5:]} failed" if path.startswith("rule:") else f"{path} = {shown}"
    why = f"{failure.get('message')} [{failure.get('code')}]"
    return f"employee {failure.get('employee')}{where}: {what}: {why}"
