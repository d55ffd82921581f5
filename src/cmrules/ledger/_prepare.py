"""One period's records made ready for the ledger: balances filled, the ones that may not be paid refused.

A record that gives a balance the ledger holds (``ledger.balance_given``), a period that is
not one (``input.type``, as the input validator words it) or another period than the one being
run (``ledger.period_mismatch``) fails instead of being silently overridden or summed; the
others get the period and each balance's value before it, and are evaluated by
:func:`cmrules.run.evaluate_records` (one failure never stops the rest).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cmrules._periods import period_end, period_start
from cmrules.compile import BalanceSpec
from cmrules.errors import EmployeeError, UsageError
from cmrules.inputs._keys import employee_id
from cmrules.inputs._text import period_text
from cmrules.ledger._balances import carried_over, initial_of, reset_between, value_of
from cmrules.ruleset._load import load_ruleset
from cmrules.ruleset._ruleset import Ruleset, Version
from cmrules.run import Evaluator, check_period, evaluate_records
from cmrules.slip import PaySlip
from cmrules.sources import Record

__all__ = ["Evaluated", "evaluate_period", "resolve", "version_of"]


def resolve(ruleset: Any) -> Evaluator:
    """A loaded :class:`Ruleset` or :class:`Version` as it is; a path or shipped name loaded."""
    if isinstance(ruleset, Ruleset | Version):
        return ruleset
    if isinstance(ruleset, str) or hasattr(ruleset, "__fspath__"):
        return load_ruleset(ruleset)
    raise UsageError(f"a ruleset is a loaded Ruleset or Version or a path, not {type(ruleset).__name__}")


def version_of(evaluator: Evaluator, period: str) -> Version:
    """The version that pays ``period`` (``UsageError`` when none is in force)."""
    check_period(period)
    if isinstance(evaluator, Version):
        return evaluator
    try:
        return evaluator.version_for(period)
    except EmployeeError as exc:
        raise UsageError(f"ruleset {evaluator.id}: {exc.message}") from None


def balances_before(
    db: sqlite3.Connection, ruleset: str, period: str, specs: tuple[BalanceSpec, ...]
) -> BalanceBook:
    """What the ledger holds before ``period`` for every employee of ``ruleset``."""
    last: dict[tuple[str, str], tuple[str, str]] = {}
    rows = db.execute(
        "SELECT employee, name, after, MAX(period) FROM balances"
        " WHERE ruleset = ? AND period < ? GROUP BY employee, name",
        (ruleset, period),
    )
    for employee, name, after, since in rows:
        last[employee, name] = (after, since)
    opened: dict[tuple[str, str], tuple[str, str]] = {}
    rows = db.execute(
        "SELECT employee, name, value, MAX(period) FROM openings"
        " WHERE ruleset = ? AND period <= ? GROUP BY employee, name",
        (ruleset, period),
    )
    for employee, name, value, since in rows:
        opened[employee, name] = (value, since)
    pending: dict[tuple[str, str], list[tuple[str, str]]] = {}
    rows = db.execute(
        "SELECT employee, name, corrects, change FROM balance_corrections"
        " WHERE ruleset = ? AND applied_run IS NULL AND corrects < ? ORDER BY id",
        (ruleset, period),
    )
    for employee, name, corrects, change in rows:
        pending.setdefault((employee, name), []).append((corrects, change))
    return BalanceBook(specs, period, last, opened, pending)


@dataclass
class BalanceBook:
    """Each employee's balances before one period: the latest period's ``after`` (or an
    imported opening value when it is later), reset when a reset day lies in between, plus the
    changes restatements of closed months made to them that no run has carried yet
    (``pending``: (employee, name) -> (month corrected, change); a change is dropped when a
    reset day lies between the month it corrects and this period)."""

    specs: tuple[BalanceSpec, ...]
    period: str
    last: dict[tuple[str, str], tuple[str, str]]
    opened: dict[tuple[str, str], tuple[str, str]]
    pending: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)

    def before(self, employee: str) -> dict[str, Any]:
        """Every balance of ``employee`` before the period, by name."""
        out: dict[str, Any] = {}
        for spec in self.specs:
            ran = self.last.get((employee, spec.name))
            opening = self.opened.get((employee, spec.name))
            if opening is not None and (ran is None or opening[1] > ran[1]):
                value = carried_over(spec, value_of(spec, opening[0]), opening[1], self.period, opening=True)
            elif ran is not None:
                value = carried_over(spec, value_of(spec, ran[0]), ran[1], self.period)
            else:
                value = initial_of(spec)
            for corrects, change in self.pending.get((employee, spec.name), ()):
                if not reset_between(spec.resets, period_end(corrects), period_start(self.period)):
                    value += value_of(spec, change)
            out[spec.name] = value
        return out


@dataclass
class Evaluated:
    """A period's records paid: slips by record number, failures in record order."""

    slips: list[tuple[int, PaySlip]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    failed: int = 0


def _refusal(item: Any, number: int, line: int | None, data: Any, period: str, names: set[str]) -> Any:
    if not isinstance(data, Mapping):
        return None
    who = employee_id(data.get("employee")) or "<unknown>"
    given = sorted(names & set(data))
    if given:
        error = EmployeeError(
            who,
            given[0],
            data[given[0]],
            f"the input gives balance {given[0]}, which the ledger keeps (its value before {period}"
            f" is the ledger's): drop {given[0]} from the input, or import it as an opening balance"
            " before the first period the ledger pays (cmrules ledger import-balances, or"
            " Ledger.import_balances)",
            "ledger.balance_given",
        )
    elif "period" in data and (problem := _not_a_period(data["period"])) is not None:
        error = EmployeeError(who, "period", data["period"], problem, "input.type")  # as the validator says
    elif "period" in data and data["period"] != period:
        error = EmployeeError(
            who,
            "period",
            data["period"],
            f"this run pays period {period}: the record is for another period",
            "ledger.period_mismatch",
        )
    else:
        return None
    where = {"record": number} if line is None else {"record": number, "line": line}
    return [{**row, **where} for row in error.to_dicts()]


def _not_a_period(value: Any) -> str | None:
    """Why ``value`` is not a period ``YYYY-MM`` (the validator's words), or None when it is one."""
    try:
        period_text(value)
    except ValueError as exc:
        return str(exc)
    return None


def evaluate_period(
    evaluator: Evaluator,
    period: str,
    records: Iterable[Any],
    book: BalanceBook,
    held: Mapping[str, Mapping[str, Any]] | None = None,
) -> Evaluated:
    """Pay every record for ``period`` with its balances from ``book`` (or ``held``, the
    balances an employee had in a run being restated), refusing those that may not be paid."""
    names = {spec.name for spec in book.specs}
    refused: dict[int, list[dict[str, Any]]] = {}
    ready: list[Record] = []
    for position, item in enumerate(records, start=1):
        number, line = (item.number, item.line) if isinstance(item, Record) else (position, None)
        if isinstance(item, Record) and item.error is not None:
            ready.append(item)
            continue
        data = item.data if isinstance(item, Record) else item
        failures = _refusal(item, number, line, data, period, names)
        if failures is not None:
            refused[number] = failures
            continue
        if isinstance(data, Mapping):
            employee = employee_id(data.get("employee"))
            values: dict[str, Any] = {}
            if employee is not None:
                kept = held.get(employee) if held is not None else None
                values = dict(kept) if kept is not None else book.before(employee)
            data = {**data, "period": period, **values}
        ready.append(Record(number, data, line))
    out = Evaluated()
    outcomes = {o.record: o for o in evaluate_records(evaluator, ready)}
    for number in sorted({*outcomes, *refused}):
        if number in refused:
            out.failures.extend(refused[number])
            out.failed += 1
            continue
        outcome = outcomes[number]
        if outcome.slip is not None:
            out.slips.append((number, outcome.slip))
        else:
            out.failures.extend(outcome.failures)
            out.failed += 1
    return out
