"""Paying many employees: one bad employee's failure, whatever its cause, is theirs alone.

:func:`evaluate_one` turns every exception raised while one employee is evaluated into an
:class:`~cmrules.errors.EmployeeError` naming them (``eval.internal`` for what is not an
input or rule failure), so that no exception of one record stops a run; an interrupt,
running out of memory and misuse of the API (:class:`~cmrules.errors.UsageError`) still
stop it. :class:`Duplicates` refuses a record repeating an employee and period already
seen (``input.duplicate``), so nobody is paid twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from cmrules.errors import EmployeeError, InputError, InputProblem, UsageError
from cmrules.inputs._keys import employee_id
from cmrules.slip import PaySlip

#: The ``field`` of a failure that is not about one input field: the evaluation as a whole.
EVALUATION_FIELD = "<evaluation>"


def employee_of(record: Any) -> str:
    """The employee id of a raw record (a whole number as its text, see
    :func:`~cmrules.inputs._keys.employee_id`), ``<unknown>`` when it has none."""
    employee = record.get("employee") if isinstance(record, Mapping) else None
    return employee_id(employee) or "<unknown>"


def internal_error(employee: str, exc: BaseException) -> EmployeeError:
    """An unexpected exception while ``employee`` was paid, as their coded failure."""
    try:
        text = str(exc)
    except Exception:
        text = ""
    message = f"cannot pay this employee: {type(exc).__name__}" + (f": {text[:500]}" if text else "")
    return EmployeeError(employee, EVALUATION_FIELD, None, message, "eval.internal")


def evaluate_one(evaluate: Callable[[Any], PaySlip], record: Any) -> PaySlip:
    """``evaluate(record)``, every failure of this one record raised as an :class:`EmployeeError`."""
    try:
        return evaluate(record)
    except (EmployeeError, UsageError, MemoryError):
        raise
    except Exception as exc:
        raise internal_error(employee_of(record), exc) from exc


class Duplicates:
    """The employee-periods seen so far in one input, by the record (1-based) first holding each.

    They are kept in a private temporary SQLite database, not a dict: a dict of a million
    pairs held about 250 MB, while SQLite keeps a few MB of pages in memory and the rest in a
    file it deletes on close, so that a run's memory stays flat however many employees it
    pays. Checking costs a few microseconds a record (an indexed insert).
    """

    def __init__(self) -> None:
        # One thread at a time uses it (the generator that numbers records), but not always the
        # thread that created it.
        self._db = sqlite3.connect("", check_same_thread=False)
        self._db.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute(
            "CREATE TABLE seen (employee TEXT, period TEXT, first INTEGER,"
            " PRIMARY KEY (employee, period)) WITHOUT ROWID"
        )

    def check(self, record: Any, number: int) -> InputError | None:
        """The ``input.duplicate`` error of ``record`` (number ``number``) when its employee and
        period were already seen; else None, and the pair is remembered."""
        if not isinstance(record, Mapping):
            return None
        employee, period = employee_id(record.get("employee")), record.get("period")
        if employee is None or not isinstance(period, str):
            return None
        key = (employee, period)
        if self._db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", (*key, number)).rowcount:
            return None
        query = "SELECT first FROM seen WHERE employee = ? AND period = ?"
        (first,) = self._db.execute(query, key).fetchone()
        message = f"employee {employee} and period {period} already appear in record {first}: not paid twice"
        return InputError([InputProblem(employee, "employee", employee, message, "input.duplicate")])

    def close(self) -> None:
        """Drop the store (its file, when it had spilled to one)."""
        self._db.close()

    def __enter__(self) -> Duplicates:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: The page cache of the store, in KiB: past it, pages go to SQLite's temporary file.
_CACHE_KIB = 4096
