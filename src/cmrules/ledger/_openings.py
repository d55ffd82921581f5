"""Opening balances: the values a company that starts using the ledger mid-year brings in,
checked against the ruleset's balances and kept before the ledger's first run."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from cmrules.errors import UsageError
from cmrules.inputs._keys import employee_id
from cmrules.ledger._balances import balance_specs
from cmrules.ledger._errors import LedgerError
from cmrules.ledger._prepare import resolve, version_of
from cmrules.ledger._rows import now


def opening_rows(
    ruleset: Any, period: str, balances: Mapping[str, Mapping[str, Any]]
) -> tuple[str, str, list[tuple[str, str, str, str, str]]]:
    """The ruleset id, its version's hash and the ``openings`` rows of ``balances`` before
    ``period`` (``UsageError`` for an unknown balance, an employee that is no id, a value that is
    no number)."""
    evaluator = resolve(ruleset)
    version = version_of(evaluator, period)
    rid = evaluator.id
    specs = {spec.name: spec for spec in balance_specs(version)}
    rows = []
    for given, values in balances.items():
        employee = opening_employee(given)
        for name, value in values.items():
            spec = specs.get(name)
            if spec is None:
                raise UsageError(f"ruleset {rid} has no balance {name!r} (it has {sorted(specs)})")
            rows.append((rid, period, employee, name, opening_text(spec, employee, name, value)))
    return rid, version.sha256, rows


def store_openings(
    db: sqlite3.Connection, rid: str, sha256: str, period: str, rows: list[tuple[str, str, str, str, str]]
) -> None:
    """Keep ``rows`` (inside the caller's write), refused when the ruleset already has a run of
    ``period`` or later: opening balances come before the first run."""
    later = db.execute(
        "SELECT MIN(period) FROM runs WHERE ruleset = ? AND kind = 'run' AND active = 1 AND period >= ?",
        (rid, period),
    ).fetchone()[0]
    if later is not None:
        raise LedgerError(
            f"ruleset {rid} already has a run for {later}: opening balances before {period} come too late"
        )
    db.execute("INSERT OR IGNORE INTO rulesets VALUES (?, ?, ?)", (rid, sha256, now()))
    db.executemany("INSERT OR REPLACE INTO openings VALUES (?, ?, ?, ?, ?)", rows)


def opening_employee(value: Any) -> str:
    """The employee an opening balance is for: text, or a whole number as its text (``UsageError``
    for anything else)."""
    employee = employee_id(value)
    if employee is None:
        raise UsageError(f"opening balances: {value!r} is not an employee id (give text or a whole number)")
    return employee


def opening_text(spec: Any, employee: str, name: str, value: Any) -> str:
    """An opening balance value as stored text (``UsageError`` for a float or not a number)."""
    if isinstance(value, float) or isinstance(value, bool):
        raise UsageError(
            f"opening balance {name} of {employee}: give {value!r} as text or Decimal, not a float"
        )
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise UsageError(f"opening balance {name} of {employee}: {value!r} is not a number") from None
    if spec.type == "int":
        if number != number.to_integral_value():
            raise UsageError(f"opening balance {name} of {employee}: {value!r} is not a whole number")
        return str(int(number))
    if not number.is_finite():
        raise UsageError(f"opening balance {name} of {employee}: {value!r} is not a number")
    return str(number)
