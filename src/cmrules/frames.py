"""DataFrames and Arrow tables in and out: pay a pandas or polars DataFrame, get slips as tables.

>>> import cmrules.frames as frames
>>> payroll = frames.pay_frame("bar_customer_manager", df)  # df: one employee-period a row
>>> slips = frames.slips_frame(payroll.slips)  # pandas, one row per slip, money decimal128
>>> lines = frames.slips_frame(payroll.slips, lines=True, kind="polars")  # one row per line item
>>> frames.write_parquet(payroll.slips, "slips.parquet")  # a row group per 4096 slips

Money is exact both ways: in, ``Decimal`` objects, Arrow ``decimal128`` and whole numbers are
taken as they are, and a float column (pandas' default) is accepted only where a value's
shortest decimal text is exact at the ruleset's places (``input.float`` for that record
otherwise, never a rounding); out, every amount is ``decimal128(38, places)``. Columns may
be named by the ruleset's labels (``员工``, a field's ``label.zh``) or by a mapping.
Needs ``pip install 'cmrules[dataframe]'`` (pyarrow, pandas), or ``pip install 'cmrules[polars]'``
(polars, pyarrow) for polars frames and ``kind="polars"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cmrules.commands._open import evaluator_of
from cmrules.errors import UsageError
from cmrules.outputs.render._arrow import ROW_GROUP, declared_columns, lines_table, slips_table
from cmrules.outputs.render._arrow import write_parquet as _write_parquet
from cmrules.ruleset._ruleset import money_places
from cmrules.run import Evaluator, Payroll, check_columns, pay_records
from cmrules.sources._frames import exact_float, frame_records, to_arrow
from cmrules.sources._headers import header_map, renamed_columns

__all__ = [
    "Payroll",
    "exact_float",
    "frame_records",
    "pay_frame",
    "places_of",
    "records_of",
    "slips_frame",
    "to_arrow",
    "write_parquet",
]

#: What a slip table may be returned as.
KINDS = ("pandas", "polars", "arrow")


def places_of(evaluator: Evaluator) -> int:
    """The decimal places of the ruleset's money (the largest of its versions')."""
    return money_places(evaluator)


def records_of(
    ruleset: str | Path | Evaluator, frame: Any, *, columns: Mapping[str, str] | str | Path | None = None
) -> list[dict[str, Any]]:
    """The rows of ``frame`` as input records for ``ruleset`` (floats checked, headers renamed)."""
    evaluator = evaluator_of(ruleset)
    return [
        record.data for record in frame_records(frame, places_of(evaluator), header_map(evaluator, columns))
    ]


def pay_frame(
    ruleset: str | Path | Evaluator,
    frame: Any,
    *,
    period: str | None = None,
    columns: Mapping[str, str] | str | Path | None = None,
) -> Payroll:
    """Pay every row of ``frame`` (pandas or polars DataFrame, Arrow table) as ``cmrules run`` pays a file.

    ``ruleset`` is a path, a shipped name or a loaded ruleset; ``period`` fills or overrides
    each row's; ``columns`` maps headers to fields (a dict or a YAML/JSON file) beyond the
    ruleset's labels. A column no version declares raises
    :class:`~cmrules.errors.InputFileError` before anyone is paid; a bad row is its failures
    (``Payroll.failures``, the dicts of the errors file) and never stops the others.
    """
    evaluator = evaluator_of(ruleset)
    names = header_map(evaluator, columns)
    table = to_arrow(frame)
    check_columns("<frame>", renamed_columns("<frame>", table.column_names, names), evaluator)
    records = list(frame_records(table, places_of(evaluator), names))
    return pay_records(evaluator, records, period=period)


def _convert(table: Any, kind: str) -> Any:
    if kind == "arrow":
        return table
    if kind == "pandas":
        try:
            import pandas as pd  # type: ignore[import-untyped,unused-ignore]
        except ImportError:
            raise UsageError("pandas frames need pandas: pip install 'cmrules[dataframe]'") from None
        return table.to_pandas(types_mapper=pd.ArrowDtype)
    if kind == "polars":
        try:
            import polars as pl
        except ImportError:
            raise UsageError("polars frames need polars: pip install 'cmrules[polars]'") from None
        return pl.from_arrow(table)
    raise UsageError(f"unknown kind {kind!r} (known: {', '.join(KINDS)})")


def slips_frame(slips: Iterable[Mapping[str, Any]], *, lines: bool = False, kind: str = "pandas") -> Any:
    """Slips (their JSON dicts) as one row per slip, or per line item with ``lines``.

    The columns are those of ``--format csv`` (``csv-lines``); every amount is Arrow
    ``decimal128`` (in pandas an ``ArrowDtype`` column, in polars ``Decimal``). ``kind`` is
    ``pandas``, ``polars`` or ``arrow``.
    """
    return _convert(lines_table(slips) if lines else slips_table(slips), kind)


def write_parquet(
    slips: Iterable[Mapping[str, Any]],
    path: str | Path,
    *,
    lines: bool = False,
    row_group: int = ROW_GROUP,
    ruleset: str | Path | Evaluator | None = None,
) -> int:
    """Write slips to a Parquet file as they come, a row group per ``row_group`` slips; returns the rows.

    Amounts are ``decimal128``. With ``ruleset`` (a path, a shipped name or a loaded ruleset:
    the one that paid the slips) the columns are those it declares, the schema ``cmrules run
    -o x.parquet`` writes for it: each fact by its declared type, money, rate and decimal
    facts as exact decimal text, amounts at the ruleset's places. Without it the first row
    group fixes the columns (see :func:`cmrules.outputs.render._arrow.write_parquet`).
    """
    declared = None if ruleset is None else declared_columns(evaluator_of(ruleset))
    return _write_parquet(slips, str(path), lines=lines, row_group=row_group, declared=declared)
