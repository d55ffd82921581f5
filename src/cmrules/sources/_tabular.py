"""Readers of tables of records: CSV (one employee-period a row) and Parquet.

A CSV cell is text unless it is a plain decimal integer, ``true``/``false``, or JSON
(a list or object, for nested fields); an empty cell, like a null Parquet cell, is
an absent field.  Floats never appear: given the ruleset's money ``places``, a Parquet float
is read as :mod:`cmrules.frames` reads one (:func:`~cmrules.sources._frames.exact_float`: its
shortest decimal text when exact at ``places``), and otherwise (or without ``places``) it is a
:class:`FloatLiteral`, refused with ``input.float``.
Both give their columns first (the caller checks them against the ruleset before
anyone is paid), then their records lazily.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cmrules.errors import InputFileError
from cmrules.inputs._keys import with_keys
from cmrules.inputs._text import FloatLiteral
from cmrules.sources._frames import exact_float
from cmrules.sources._record import Record
from cmrules.sources._text import TOO_DEEP, json_loads

# Plain decimal integers only: "0012" (an id), "1_000", "0x1F", "1:30" stay text.
_INT_LITERAL = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")


def _csv_cell(text: str) -> Any:
    if text[:1] in ("[", "{"):
        return json_loads(text)
    if _INT_LITERAL.match(text):
        return int(text)
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return text


def _header(path: Path, header: list[str]) -> None:
    if len(header) == 1 and len([name for name in header[0].split(";") if name.strip()]) > 1:
        raise InputFileError(
            path,
            1,
            f"the header is one column {header[0]!r}: the separator looks like ';' (a semicolon-"
            "separated export, as Excel saves CSV where the decimal mark is a comma); save it as"
            " 'CSV UTF-8 (comma delimited)' and run again",
        )
    for column, name in enumerate(header, start=1):
        if not name.strip():
            message = f"column {column} has no name: name it as an input of the ruleset, or delete it"
            raise InputFileError(path, 1, message)
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise InputFileError(path, 1, f"duplicate column {duplicates[0]!r}")


def read_csv(path: Path, text: str) -> tuple[tuple[str, ...] | None, Iterator[Record]]:
    """The header of a CSV file and its records (blank rows are skipped), read lazily.

    A broken header raises :class:`InputFileError`; a row that cannot be read (an extra
    cell, a JSON cell that does not parse, bad quoting) is that record's failure, with
    the line the row starts on.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputFileError(path, reader.line_num or 1, str(exc)) from None
    if header is None:
        return None, iter(())
    width = len(header)
    while len(header) > 1 and not header[-1].strip():  # Excel's empty columns after the table
        header = header[:-1]
    _header(path, header)
    return tuple(header), _csv_rows(header, width, reader)


def _csv_rows(header: list[str], width: int, reader: Any) -> Iterator[Record]:
    """The records of the rows under ``header``; ``width`` counts the nameless columns after it."""
    number, ended = 0, reader.line_num
    at = header.index("employee") if "employee" in header else len(header)
    while True:
        start = ended + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            ended, number = reader.line_num, number + 1
            yield Record(number, None, start, f"not a CSV row: {exc}")
            continue
        ended = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        number += 1
        employee = row[at] if at < len(row) and row[at] else None
        message = _row_shape(header, width, row)
        record = _csv_record(number, start, header, row, employee) if len(row) <= width else None
        if record is not None and (message is None or record.error is not None):
            yield record  # a cell that does not parse is named before a row cut short
        else:
            yield Record(number, None, start, message or "", employee)


def _row_shape(header: list[str], width: int, row: list[str]) -> str | None:
    """Why ``row`` does not fit ``header`` (too many cells, too few, a value in a nameless column
    after the table), or None. A row cut short is refused, never paid without its last fields."""
    if len(row) > width:
        return f"{len(row)} cells but the header names {len(header)} columns"
    if len(row) < len(header):
        return (
            f"{len(row)} cells but the header names {len(header)} columns (an absent value is an empty cell)"
        )
    for column, cell in enumerate(row[len(header) :], start=len(header) + 1):
        if cell.strip():
            return (
                f"a value {cell!r} in column {column}, which has no name in the header: name it or clear it"
            )
    return None


def _csv_record(number: int, line: int, header: list[str], row: list[str], employee: str | None) -> Record:
    record: dict[str, Any] = {}
    for name, cell in zip(header, row, strict=False):
        if cell == "":
            continue
        try:
            record[name] = _csv_cell(cell)
        except ValueError as exc:
            return Record(number, None, line, f"column {name!r}: {exc}", employee)
        except RecursionError:
            return Record(number, None, line, f"column {name!r}: {TOO_DEEP}", employee)
    return Record(number, with_keys(record), line)


def read_parquet(path: Path, places: int | None = None) -> tuple[tuple[str, ...], Iterator[Record]]:
    """The columns of a Parquet file and its records, row by row
    (needs pyarrow: ``pip install 'cmrules[parquet]'``).

    ``places``: the ruleset's money places; a float exact at them is read as its number (as
    :mod:`cmrules.frames` reads it), any other float (every float without ``places``, and a
    float ``employee`` or ``period``) is a :class:`FloatLiteral`, refused with ``input.float``.
    """
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ImportError:
        raise InputFileError(
            path, None, "reading Parquet needs pyarrow: pip install 'cmrules[parquet]'"
        ) from None
    import pyarrow as pa

    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise InputFileError(path, None, "no such file") from None
    except (OSError, pa.ArrowException) as exc:
        raise InputFileError(path, None, str(exc)) from None
    columns = [(field.name, field.type) for field in table.schema]
    return tuple(name for name, _ in columns), _parquet_rows(table, columns, places)


_KEYS = ("employee", "period")


def _parquet_rows(table: Any, columns: list[tuple[str, Any]], places: int | None) -> Iterator[Record]:
    number = 0
    for batch in table.to_batches():
        for row in batch.to_pylist():
            number += 1
            record: dict[str, Any] = {}
            for name, arrow_type in columns:
                value = row[name]
                if value is not None:  # a null cell is an absent field, as an empty CSV cell
                    value = _from_arrow(value, arrow_type, None if name in _KEYS else places)
                if value is not None:  # and so is a NaN read at the ruleset's places, as in frames
                    record[name] = value
            yield Record(number, with_keys(record))


def _from_arrow(value: Any, arrow_type: Any, places: int | None) -> Any:
    """Python value from pyarrow's ``to_pylist`` made float-free (and maps made dicts): a float
    exact at ``places`` is its number, any other a :class:`FloatLiteral`."""
    import pyarrow as pa

    if value is None:
        return None
    if isinstance(value, float):
        return FloatLiteral(repr(value)) if places is None else exact_float(value, places)
    if pa.types.is_map(arrow_type):
        return {
            _from_arrow(k, arrow_type.key_type, places): _from_arrow(v, arrow_type.item_type, places)
            for k, v in value
        }
    if (
        pa.types.is_list(arrow_type)
        or pa.types.is_large_list(arrow_type)
        or (pa.types.is_fixed_size_list(arrow_type))
    ):
        return [_from_arrow(v, arrow_type.value_type, places) for v in value]
    if pa.types.is_struct(arrow_type):
        # A null struct field is an absent field, as at the top level.
        return {
            field.name: _from_arrow(value[field.name], field.type, places)
            for field in arrow_type
            if value.get(field.name) is not None
        }
    return value
