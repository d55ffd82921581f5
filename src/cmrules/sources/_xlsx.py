"""Reader of Excel workbooks (``.xlsx``): the first sheet, a header row, then one employee-period a row.

A cell becomes what the same cell of a CSV export becomes (the conversion of
:mod:`cmrules.sources._tabular`): text that is JSON (a list or object, for list and record
fields), a plain integer or ``true``/``false`` is read as such, other text stays text; an
empty cell is an absent field. Cells Excel typed are kept typed: a date cell is a
:class:`datetime.date` (a date-time at midnight too), a boolean a ``bool``, a whole number
an ``int``, and a number with a fraction its shortest decimal text (``12.5`` → ``"12.5"``,
what Excel shows and a CSV export writes), so the validator checks its places as for CSV
and no float reaches a slip. Needs openpyxl (``pip install 'cmrules[excel]'``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from cmrules.errors import InputFileError
from cmrules.inputs._keys import employee_id, with_keys
from cmrules.inputs._text import FloatLiteral
from cmrules.sources._record import Record
from cmrules.sources._tabular import _csv_cell, _header
from cmrules.sources._text import TOO_DEEP


def xlsx_cell(value: Any) -> Any:
    """One Excel cell's value as a record value (``None`` for an empty cell)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value if isinstance(value, dt.date) else value.isoformat()
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        return repr(value)  # the shortest text that is this float, checked as text
    text = str(value)
    return _csv_cell(text) if text.strip() else None


def read_xlsx(path: Path) -> tuple[tuple[str, ...] | None, Iterator[Record]]:
    """The header of the first sheet of ``path`` and its records (blank rows skipped), read lazily.

    Each record's ``line`` is its row number in the sheet. A record whose cell does not
    convert (broken JSON) is that record's failure; a file that is not a workbook raises
    :class:`InputFileError`.
    """
    try:
        import openpyxl  # type: ignore[import-untyped]
    except ImportError:
        raise InputFileError(
            path, None, "reading Excel needs openpyxl: pip install 'cmrules[excel]'"
        ) from None
    try:
        # A file object, not the path: openpyxl refuses a path whose suffix is not .xlsx,
        # and `--input-format xlsx` may name any file. Closing the book leaves it open.
        handle = path.open("rb")
    except FileNotFoundError:
        raise InputFileError(path, None, "no such file") from None
    try:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors for a bad file
        handle.close()
        raise InputFileError(path, None, f"not an Excel workbook: {exc}") from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    first = next(rows, None)
    if first is None:
        book.close()
        handle.close()
        return None, iter(())
    while first and first[-1] is None:
        first = first[:-1]
    header = ["" if cell is None else str(cell).strip() for cell in first]
    try:
        _header(path, header)
    except BaseException:
        book.close()
        handle.close()
        raise
    return tuple(header), _records(book, handle, header, rows)


def _records(
    book: Any, handle: BinaryIO, header: list[str], rows: Iterator[tuple[Any, ...]]
) -> Iterator[Record]:
    number = 0
    at = header.index("employee") if "employee" in header else None
    try:
        for line, row in enumerate(rows, start=2):
            if all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row):
                continue
            number += 1
            who = _who(row[at]) if at is not None and at < len(row) else None
            extra = [cell for cell in row[len(header) :] if cell is not None]
            if extra:
                message = f"a cell beyond the {len(header)} named columns"
                yield Record(number, None, line, message, who)
                continue
            yield _record(number, line, header, row, who)
    finally:
        book.close()
        handle.close()


def _who(cell: Any) -> str | None:
    """The employee id of an ``employee`` cell, for a record that cannot be read."""
    if type(cell) is float and cell.is_integer():
        cell = int(cell)
    return employee_id(cell.strip() if isinstance(cell, str) else cell)


def _record(number: int, line: int, header: list[str], row: tuple[Any, ...], who: str | None) -> Record:
    record: dict[str, Any] = {}
    fractions: list[str] = []  # columns of numbers with a fraction: an id among them is refused
    for name, cell in zip(header, row, strict=False):
        try:
            value = xlsx_cell(cell)
        except ValueError as exc:
            return Record(number, None, line, f"column {name!r}: {exc}", who)
        except RecursionError:
            return Record(number, None, line, f"column {name!r}: {TOO_DEEP}", who)
        if value is not None:
            record[name] = value
            if type(cell) is float and not cell.is_integer():
                fractions.append(name)
    if "employee" in fractions:  # never the id "1001.5"
        record["employee"] = FloatLiteral(record["employee"])
    return Record(number, with_keys(record), line, fractions=frozenset(fractions))
