"""Opening balances: the values a company that starts using the ledger mid-year brings in,
checked against the ruleset's balances and kept before the ledger's first run.

Every value is read strictly, as an input field of its type is: money is exact at the
ruleset's places (``"1234.50"``, ``1234``; a float, a decimal comma, full-width digits or a
third decimal place are refused), ``int`` a whole number. Every bad value is reported (not
only the first) and nothing is kept when one is bad. Importing the same values again changes
nothing (a retry is safe); a different value for a balance already imported before the same
period is refused unless ``replace``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from cmrules.compile import BUILTIN_INPUTS, BalanceSpec
from cmrules.errors import UsageError
from cmrules.inputs._fast import INPUT_DIGITS
from cmrules.inputs._keys import employee_id, hidden_character
from cmrules.inputs._text import FloatLiteral, number_text
from cmrules.ledger._balances import balance_specs
from cmrules.ledger._errors import LedgerError, LedgerRefused
from cmrules.ledger._prepare import resolve, version_of
from cmrules.ledger._rows import now

__all__ = ["Opening", "OpeningProblem", "Openings", "check_openings", "checked_openings", "store_openings"]

#: One ``openings`` row: ruleset, period, employee, balance name, value as text.
Row = tuple[str, str, str, str, str]


@dataclass(frozen=True)
class OpeningProblem:
    """One bad opening value (or row): whose, which field, the value given, why; ``record`` and
    ``line`` say where in a file."""

    employee: str | None
    field: str
    value: Any
    message: str
    record: int | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = [] if self.record is None else [f"row {self.record}"]
        where += [] if self.line is None else [f"line {self.line}"]
        who = f"employee {self.employee}" if self.employee is not None else "no employee"
        place = f" ({', '.join(where)})" if where else ""
        shown = str(self.value) if isinstance(self.value, FloatLiteral) else repr(self.value)
        shown = "(empty)" if self.value is None else shown
        return f"{who}{place}: {self.field} = {shown}: {self.message}"


@dataclass(frozen=True)
class Opening:
    """One employee's opening values as given, with where they were given (a file's row)."""

    employee: Any
    values: Mapping[str, Any]
    record: int | None = None
    line: int | None = None


@dataclass
class Openings:
    """Opening values checked against a ruleset: its id, the hash of the version in force, the
    rows to keep, the employees they are for, and every problem found."""

    ruleset: str
    sha256: str
    period: str
    rows: list[Row]
    employees: int
    problems: list[OpeningProblem]
    notes: list[str] = field(default_factory=list)  # how a file was read (e.g. its encoding)


def _places_of(spec: BalanceSpec, places: int) -> Decimal:
    return Decimal(1).scaleb(-places if spec.type == "money" else -INPUT_DIGITS)


def opening_value(spec: BalanceSpec, places: int, value: Any) -> str:
    """An opening value of balance ``spec`` as the text the ledger stores: money exact at
    ``places`` (kept with them), a decimal at most 15 places, an int a whole number;
    ``ValueError`` saying why otherwise."""
    if isinstance(value, bool):
        raise ValueError("true or false is not a number")
    if isinstance(value, float | FloatLiteral):
        raise ValueError('a binary float is not exact: write it as text ("12.50") or a whole number')
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        number = number_text(value)  # ASCII digits, a comma only between thousands
    else:
        raise ValueError("expected a number as text, a whole number or a Decimal")
    if not number.is_finite():
        raise ValueError("not a finite number")
    if number and number.adjusted() >= INPUT_DIGITS:
        raise ValueError(f"out of range: at most {INPUT_DIGITS} digits before the decimal point")
    if spec.type == "int":
        if number != number.to_integral_value():
            raise ValueError("not a whole number (the balance counts)")
        return str(int(number))
    exp = _places_of(spec, places)
    try:
        exact = number.quantize(exp)
    except InvalidOperation:
        raise ValueError("out of range") from None
    if exact != number:
        unit = f"{places} decimal places (the ruleset's money)" if spec.type == "money" else "15 places"
        raise ValueError(f"more than {unit}")
    if spec.type == "money":
        return str(exact if exact else abs(exact))  # -0.00 is 0.00
    return str(number)


def _within(balance: Any, text: str) -> None:
    """``ValueError`` when ``text`` is outside the ``ge``/``le`` of the balance (or of the input it
    is: ``carried_deductions >= 0``), which a run would refuse."""
    ge, le = getattr(balance, "ge", None), getattr(balance, "le", None)
    if ge is not None and not Decimal(text) >= Decimal(str(ge)):
        raise ValueError(f"must be >= {ge}")
    if le is not None and not Decimal(text) <= Decimal(str(le)):
        raise ValueError(f"must be <= {le}")


def check_openings(ruleset: Any, period: str, given: Iterable[Opening]) -> Openings:
    """The ``openings`` rows of ``given`` before ``period`` and every problem: an employee that is
    no id (or given twice), a balance the ruleset does not declare (named), a bad value."""
    evaluator = resolve(ruleset)
    version = version_of(evaluator, period)
    rid = evaluator.id
    places = version.doc.rounding.places
    specs = {spec.name: spec for spec in balance_specs(version)}
    # the bounds of the input a balance is: a declared balance's ge/le, the built-in's input's
    bounds = {**BUILTIN_INPUTS, **version.doc.inputs, **version.doc.balances}
    rows: list[Row] = []
    problems: list[OpeningProblem] = []
    seen: dict[str, int | None] = {}
    for opening in given:
        at = {"record": opening.record, "line": opening.line}
        employee = employee_id(opening.employee)
        if employee is None:
            message = "not an employee id (give text or a whole number)"
            problems.append(OpeningProblem(None, "employee", opening.employee, message, **at))
            continue
        hidden = hidden_character(employee)
        if hidden is not None:  # as a run refuses it: its balances would wait for nobody
            problems.append(OpeningProblem(employee, "employee", opening.employee, hidden, **at))
            continue
        if employee in seen:
            first = seen[employee]
            message = "given twice" + (f" (first in row {first})" if first is not None else "")
            problems.append(OpeningProblem(employee, "employee", opening.employee, message, **at))
            continue
        seen[employee] = opening.record
        for name, value in opening.values.items():
            spec = specs.get(name)
            if spec is None:
                message = f"ruleset {rid} has no balance {name!r} (it has {', '.join(specs)})"
                problems.append(OpeningProblem(employee, name, value, message, **at))
                continue
            if value is None:  # an empty cell: not given, the balance starts at its initial value
                continue
            try:
                text = opening_value(spec, places, value)
                _within(bounds.get(name), text)
                rows.append((rid, period, employee, name, text))
            except ValueError as exc:
                problems.append(OpeningProblem(employee, name, value, str(exc), **at))
    return Openings(rid, version.sha256, period, rows, len(seen), problems)


def checked_openings(
    ruleset: Any, period: str, balances: Mapping[Any, Mapping[str, Any]] | Openings
) -> Openings:
    """The checked openings of ``{employee: {balance name: value}}`` (``UsageError`` naming every
    bad value), or ``balances`` when it is :class:`Openings` checked for the same ruleset and period
    without a problem."""
    if isinstance(balances, Openings):
        rid = resolve(ruleset).id
        if (balances.ruleset, balances.period) != (rid, period) or balances.problems:
            raise UsageError(
                f"openings checked for ruleset {balances.ruleset} before {balances.period}"
                f" ({len(balances.problems)} problem(s)) cannot be imported for ruleset {rid} before {period}"
            )
        return balances
    checked = check_openings(ruleset, period, (Opening(e, v) for e, v in balances.items()))
    if checked.problems:
        count = len(checked.problems)
        raise UsageError(
            f"opening balances of ruleset {checked.ruleset} before {period}: {count} bad value(s),"
            " nothing imported: " + "; ".join(str(p) for p in checked.problems)
        )
    return checked


def store_openings(db: sqlite3.Connection, openings: Openings, *, replace: bool = False) -> int:
    """Keep the rows of ``openings`` (inside the caller's write); returns how many values were
    written (one already there with the same value is not written again). Refused when a value
    differs from one already imported before the same period (unless ``replace``), and when a
    value is new and the ruleset already has a run of the period or later: opening balances come
    before the first run."""
    rid, period = openings.ruleset, openings.period
    kept = {
        (employee, name): value
        for employee, name, value in db.execute(
            "SELECT employee, name, value FROM openings WHERE ruleset = ? AND period = ?", (rid, period)
        )
    }
    new = [row for row in openings.rows if kept.get((row[2], row[3])) != row[4]]
    if not new:
        return 0  # the same values again: nothing to do, whenever it is
    later = db.execute(
        "SELECT MIN(period) FROM runs WHERE ruleset = ? AND kind = 'run' AND active = 1 AND period >= ?",
        (rid, period),
    ).fetchone()[0]
    if later is not None:
        raise LedgerError(
            f"ruleset {rid} already has a run for {later}: opening balances before {period} come too late"
        )
    changed = [row for row in new if (row[2], row[3]) in kept]
    if changed and not replace:
        shown = ", ".join(f"{e} {n} {kept[e, n]} -> {v}" for _, _, e, n, v in changed[:5])
        more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        raise LedgerRefused(
            f"ruleset {rid}: {len(changed)} opening balance(s) before {period} were already imported"
            f" with another value ({shown}{more}): nothing imported; import the same values, or"
            " replace them with {override}",
            "replace=True",
            "--replace",
        )
    db.execute("INSERT OR IGNORE INTO rulesets VALUES (?, ?, ?)", (rid, openings.sha256, now()))
    db.executemany("INSERT OR REPLACE INTO openings VALUES (?, ?, ?, ?, ?)", new)
    return len(new)
