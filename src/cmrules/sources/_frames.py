"""Records from a table in memory: a pandas or polars DataFrame, or an Arrow table.

Every frame goes through Arrow, one row a record; a null (``None``, ``NaN``, ``NaT``) is an
absent field, as an empty CSV cell. Exact values pass as they are (``Decimal``, Arrow
``decimal128``, integers, text, booleans); a timestamp at midnight is a date. A float (pandas'
default for numbers) is read through its shortest decimal text (``repr``): it is accepted
only when that text is exact at ``places`` (``1234.5`` at two places is ``Decimal("1234.5")``,
a whole float an ``int``); otherwise it is kept as :class:`FloatLiteral` and its record fails
with ``input.float``. A float is never rounded.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from cmrules.errors import UsageError
from cmrules.inputs._validator import FloatLiteral
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
        raise UsageError("DataFrames need pyarrow: pip install 'cmrules[dataframe]'") from None
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
            record = {}
            for name, value in row.items():
                if name in maps and value is not None:
                    value = dict(value)
                value = exact_value(value, places)
                if value is not None:
                    record[name] = value
            yield Record(number, record)
