"""Readers of tables of records: CSV (one employee-period a row) and Parquet.

A CSV cell is text unless it is a plain decimal integer, ``true``/``false``, or JSON
(a list or object, for nested fields); an empty cell, like a null Parquet cell, is
an absent field.  Floats never appear: Parquet floats become :class:`FloatLiteral`.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from cmrules.errors import InputFileError
from cmrules.inputs._validator import FloatLiteral
from cmrules.sources._text import json_loads

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
    for column, name in enumerate(header, start=1):
        if not name.strip():
            raise InputFileError(path, 1, f"column {column} has no name")
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise InputFileError(path, 1, f"duplicate column {duplicates[0]!r}")


def read_csv(path: Path, text: str) -> list[dict[str, Any]]:
    """The records of a CSV file with a header row; blank rows are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return []
        _header(path, header)
        records: list[dict[str, Any]] = []
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                raise InputFileError(
                    path, line, f"{len(row)} cells but the header names {len(header)} columns"
                )
            record: dict[str, Any] = {}
            for name, cell in zip(header, row, strict=False):
                if cell == "":
                    continue
                try:
                    record[name] = _csv_cell(cell)
                except ValueError as exc:
                    raise InputFileError(path, line, f"column {name!r}: {exc}") from None
            records.append(record)
    except csv.Error as exc:
        raise InputFileError(path, reader.line_num or None, str(exc)) from None
    return records


def read_parquet(path: Path) -> list[dict[str, Any]]:
    """The records of a Parquet file (needs pyarrow: ``pip install 'cmrules[parquet]'``)."""
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
    records: list[dict[str, Any]] = []
    for row in table.to_pylist():
        record: dict[str, Any] = {}
        for name, arrow_type in columns:
            value = row[name]
            if value is not None:  # a null cell is an absent field, as an empty CSV cell
                record[name] = _from_arrow(value, arrow_type)
        records.append(record)
    return records


def _from_arrow(value: Any, arrow_type: Any) -> Any:
    """Python value from pyarrow's ``to_pylist`` made float-free (and maps made dicts)."""
    import pyarrow as pa

    if value is None:
        return None
    if isinstance(value, float):
        return FloatLiteral(repr(value))
    if pa.types.is_map(arrow_type):
        return {_from_arrow(k, arrow_type.key_type): _from_arrow(v, arrow_type.item_type) for k, v in value}
    if (
        pa.types.is_list(arrow_type)
        or pa.types.is_large_list(arrow_type)
        or (pa.types.is_fixed_size_list(arrow_type))
    ):
        return [_from_arrow(v, arrow_type.value_type) for v in value]
    if pa.types.is_struct(arrow_type):
        # A null struct field is an absent field, as at the top level.
        return {
            field.name: _from_arrow(value[field.name], field.type)
            for field in arrow_type
            if value.get(field.name) is not None
        }
    return value
