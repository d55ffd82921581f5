"""Records from a table in memory: a pandas or polars DataFrame, or an Arrow table.

Every frame goes through Arrow, one row a record; a null (``None``, ``NaN``, ``NaT``) is an
absent field, as an empty CSV cell. The ``employee`` and ``period`` columns are read as every
reader reads them (:mod:`cmrules.inputs._keys`): a whole-number id is its text, a float id is
refused, a date or midnight time stamp on the 1st is its month. Exact values pass as they are
(``Decimal``, Arrow ``decimal128``, integers, text, booleans); a timestamp at midnight is a
date. A float (pandas' default for numbers) is read through its shortest decimal text
(``repr``): it is accepted only when that text is exact at ``places`` (``1234.5`` at two
places is ``Decimal("1234.5")``, a whole float an ``int``); otherwise it is kept as
:class:`FloatLiteral` and its record fails with ``input.float``. A float is never rounded.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from cmrules.errors import UsageError
from cmrules.inputs._keys import with_keys
from cmrules.inputs._text import FloatLiteral
from cmrules.sources._headers import renamed_columns
from cmrules.sources._record import Record


def exact_float(value: float, places: int) -> Any:
    """``value`` as an exact number when its shortest decimal text has at most ``places`` places,
    else its :class:`FloatLiteral` (refused with ``input.float``); ``None`` for NaN."""
    if math.isnan(value):
        return None
    text = repr(value)
    if math.isinf(value):
        return FloatLiteral(text)
    number = Decimal(text)
    if value.is_integer():
        return int(number)
    if -int(number.as_tuple().exponent) <= places:
        return number
    return FloatLiteral(text)


def exact_value(value: Any, places: int) -> Any:
    """A value of a frame made float-free (see :func:`exact_float`), nested lists and records too."""
    if isinstance(value, float):
        return exact_float(value, places)
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() and value.tzinfo is None else value.isoformat()
    if isinstance(value, list | tuple):
        return [exact_value(v, places) for v in value]
    if isinstance(value, Mapping):
        return {k: exact_value(v, places) for k, v in value.items() if v is not None}
    return value


def to_arrow(frame: Any) -> Any:
    """An Arrow table of ``frame`` (pandas or polars DataFrame, Arrow table or record batch)."""
    try:
        import pyarrow as pa  # type: ignore[import-untyped]
    except ImportError:
        extra = "polars" if type(frame).__module__.split(".")[0] == "polars" else "dataframe"
        raise UsageError(f"DataFrames need pyarrow: pip install 'cmrules[{extra}]'") from None
    if isinstance(frame, pa.Table):
        return frame
    if isinstance(frame, pa.RecordBatch):
        return pa.Table.from_batches([frame])
    module = type(frame).__module__.split(".")[0]
    if module == "pandas":
        return pa.Table.from_pandas(frame, preserve_index=False)
    if module == "polars":
        return frame.to_arrow()
    raise UsageError(f"expected a pandas or polars DataFrame or an Arrow table, not {type(frame).__name__}")


def frame_records(frame: Any, places: int, columns: Mapping[str, str] | None = None) -> Iterator[Record]:
    """The rows of ``frame`` as records, floats checked at ``places``, columns renamed by ``columns``."""
    import pyarrow as pa

    table = to_arrow(frame)
    names = list(renamed_columns("<frame>", table.column_names, columns or {}))
    maps = {n for n, f in zip(names, table.schema, strict=True) if pa.types.is_map(f.type)}
    table = table.rename_columns(names)
    number = 0
    for batch in table.to_batches():
        for row in batch.to_pylist():
            number += 1
            for name in maps:
                if row[name] is not None:
                    row[name] = dict(row[name])
            yield Record(number, exact_record(row, places))


def exact_record(row: Mapping[str, Any], places: int) -> dict[str, Any]:
    """A row of a frame (or any dict of Python values) as a record: nulls dropped, values made
    float-free (:func:`exact_value`), ``employee`` and ``period`` read as every reader reads them."""
    record: dict[str, Any] = {}
    for name, value in row.items():
        value = _key(value) if name in _KEYS else exact_value(value, places)
        if value is not None:
            record[name] = value
    return with_keys(record)


_KEYS = ("employee", "period")


def _key(value: Any) -> Any:
    """An ``employee`` or ``period`` value as :func:`~cmrules.inputs._keys.with_keys` reads it: a
    float id kept as its text, refused (``1001.0``: a number column with a blank is float); a date
    or a time stamp as it is (a month when it is the 1st, refused by the validator otherwise)."""
    if isinstance(value, float):
        return None if math.isnan(value) else FloatLiteral(repr(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time() and value.tzinfo is None:
        return value.date()
    return value
