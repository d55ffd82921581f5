"""The two keys of every record, the employee id and the period, as HR's tools type them.

HR's employee number (工号) is often a number column: an Excel cell ``1001`` (openpyxl gives
an ``int``), a pandas ``int64`` column, a JSON ``"employee": 1001``. A whole number (an
``int``, never a ``bool``) is that id's decimal text, ``"1001"``, wherever an id is read.
A number with a fraction point is refused, never read as ``"1001.0"``: pandas turns an
integer column with one blank cell into ``float64``, and the id must then be stored as text.
Spaces around an id are dropped (``"1001 "`` from a spreadsheet cell is employee 1001, so a
repeat is caught); an id of spaces only is no id.

HR types the month ``2024-05`` into Excel, which stores the date 2024-05-01: a date (or a
date and time at 00:00) on the 1st of a month is that month. Any other date is left as it
is, for the validator to refuse naming the value and what a period is.

:func:`employee_id` names the employee of a raw record (errors, duplicates);
:func:`with_keys` is applied by every reader of :mod:`cmrules.sources` to each record, so that
everything after a reader sees the id and the period as text.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from cmrules.inputs._text import FloatLiteral

__all__ = ["FLOAT_ID", "employee_id", "hidden_character", "month_of", "with_keys"]

#: Why an employee id with a fraction point is refused (``input.float``).
FLOAT_ID = (
    "an employee id read as a number with a fraction point (a float): store the employee "
    "column as text (pandas makes a whole-number column with a blank cell float)"
)


def employee_id(value: Any) -> str | None:
    """The employee id ``value`` gives: non-empty text as it is, a whole number (``int``, not
    ``bool``) as its decimal text; ``None`` for anything else (a float, a blank, no id)."""
    if type(value) is str:
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and not isinstance(value, FloatLiteral):  # e.g. numpy's str_
        return str(value).strip() or None
    return None


def hidden_character(text: str) -> str | None:
    """Why the employee id ``text`` is refused when a character of it does not show (a zero-width
    space or a byte-order mark pasted from a web page or a UTF-16 file, a control character):
    it would be another employee than the one it looks like, paid beside them. None: it shows."""
    if text.isprintable():
        return None
    at = next(n for n, char in enumerate(text) if not char.isprintable())
    name = unicodedata.name(text[at], f"U+{ord(text[at]):04X}")
    return f"the employee id has a character that does not show ({name}, at {at + 1}): retype it"


def month_of(value: Any) -> str | None:
    """``YYYY-MM`` for a date on the 1st of a month, or a naive date and time at 00:00 on the 1st;
    ``None`` for anything else."""
    if isinstance(value, dt.datetime):
        if value.day != 1 or value.time() != dt.time() or value.tzinfo is not None:
            return None
    elif not isinstance(value, dt.date):
        return None
    return f"{value.year:04d}-{value.month:02d}" if value.day == 1 else None


def with_keys(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with a whole-number ``employee`` as its text, blank ``employee`` text absent
    (so that it is reported missing), and a ``period`` date on the 1st as its month. The same
    dict, changed in place, when there is something to change; floats are left to the validator."""
    employee = record.get("employee")
    if type(employee) is not str and isinstance(employee, int) and not isinstance(employee, bool):
        record["employee"] = str(employee)
    elif type(employee) is str and employee.strip() != employee:  # " 1001" is 1001, "  " no id
        if employee.strip():
            record["employee"] = employee.strip()
        else:
            del record["employee"]
    period = record.get("period")
    if period is not None and type(period) is not str:
        month = month_of(period)
        if month is not None:
            record["period"] = month
    return record
