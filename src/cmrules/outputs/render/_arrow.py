"""Slips as Arrow tables (one row per slip, or per line item) and as Parquet, money as ``decimal128``.

Amounts are Arrow ``decimal128(38, places)`` built from the slips' decimal text: never a
float, and Arrow refuses (rather than rounds) a value that does not fit. Parquet is written
one row group per ``row_group`` slips, so a long run never holds more than one group of
rows as Arrow arrays.

A run's Parquet file takes its columns from the ruleset (:class:`Declared`: every fact its
versions declare, each by its declared type, and the ruleset's places for amounts), so that
every payroll of one ruleset has one schema, whatever its data. Money, rate and decimal
facts are their exact decimal text there: a fact keeps the places its computation gave it
(a completion ratio has 34), which no one scale holds for every slip. Without declarations
(:func:`slips_table` of slips in memory), a fact column is a decimal when every value is
decimal text with the same places, an integer, a boolean, else text (its JSON form). Needs
pyarrow (``pip install 'cmrules[dataframe]'``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cmrules.errors import UsageError
from cmrules.outputs.render._csv import CSV_LINE_COLUMNS
from cmrules.outputs.render._rows import (
    LINE_MONEY_COLUMNS,
    SLIP_MONEY_COLUMNS,
    fact_names,
    line_rows,
    slip_columns,
    slip_row,
)
from cmrules.ruleset._ruleset import Ruleset, Version, money_places, versions_of

#: Slips per Parquet row group.
ROW_GROUP = 4096

_DECIMAL_TEXT = re.compile(r"-?\d+\.(\d+)\Z")


@dataclass(frozen=True)
class Declared:
    """What a ruleset declares of its slips' columns: each fact's type (``money``, ``int``,
    ``date``..., in declaration order) and the places of its amounts."""

    facts: Mapping[str, str] = field(default_factory=dict)
    places: int = 2

    def fact_type(self, pa: Any, name: str) -> Any:
        """The Arrow type of fact ``name``'s column."""
        kind = self.facts.get(name)
        if kind == "int":
            return pa.int64()
        if kind == "bool":
            return pa.bool_()
        if kind == "date":
            return pa.date32()
        return pa.string()  # str, period, a list as JSON, and decimals as their exact text


def declared_columns(ruleset: Ruleset | Version) -> Declared:
    """The facts ``ruleset``'s versions declare (in order; a fact two versions type
    differently is text) and the most places any of them rounds money to."""
    facts: dict[str, str] = {}
    for version in versions_of(ruleset):
        for name, fact in version.doc.facts.items():
            facts[name] = fact.type if facts.setdefault(name, fact.type) == fact.type else "str"
    return Declared(facts, money_places(ruleset))


def pyarrow() -> Any:
    """The ``pyarrow`` module, or :class:`UsageError` naming the extra that installs it."""
    try:
        import pyarrow as pa  # type: ignore[import-untyped]
    except ImportError:
        raise UsageError("Arrow and Parquet need pyarrow: pip install 'cmrules[dataframe]'") from None
    return pa


def _places(values: Iterable[Any]) -> int:
    places = 0
    for value in values:
        if isinstance(value, Decimal):
            places = max(places, -int(value.as_tuple().exponent))
    return places


def _fact_type(pa: Any, values: Sequence[Any]) -> tuple[Any, Any]:
    """(arrow type, converter) for the values of one fact column."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pa.bool_(), None
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.int64(), None
    if present and all(isinstance(v, str) and _DECIMAL_TEXT.match(v) for v in present):
        places = {len(_DECIMAL_TEXT.match(v).group(1)) for v in present}  # type: ignore[union-attr]
        if len(places) == 1:
            return pa.decimal128(38, places.pop()), Decimal
    return pa.string(), lambda v: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def rows_schema(
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    money: frozenset[str],
    declared: Declared | None = None,
) -> Any:
    """The Arrow schema of ``rows``: money ``decimal128``, facts by their declared type (or by
    their values when ``declared`` is None), the rest text or ints."""
    pa = pyarrow()
    fields = []
    for name in columns:
        if name in money:
            places = declared.places if declared else _places(row.get(name) for row in rows)
            fields.append(pa.field(name, pa.decimal128(38, places)))
        elif name.startswith("fact."):
            if declared is not None:
                kind = declared.fact_type(pa, name[len("fact.") :])
            else:
                kind = _fact_type(pa, [row.get(name) for row in rows])[0]
            fields.append(pa.field(name, kind))
        elif name == "item_index":
            fields.append(pa.field(name, pa.int64()))
        else:
            fields.append(pa.field(name, pa.string()))
    return pa.schema(fields)


def _cell(value: Any, arrow_type: Any) -> Any:
    pa = pyarrow()
    if value is None:
        return None
    if pa.types.is_decimal(arrow_type):
        return value if isinstance(value, Decimal) else Decimal(str(value))
    if pa.types.is_date32(arrow_type) and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if pa.types.is_string(arrow_type) and not isinstance(value, str):
        return str(value) if isinstance(value, Decimal) else json.dumps(value, ensure_ascii=False)
    return value


def rows_table(rows: Sequence[Mapping[str, Any]], schema: Any) -> Any:
    """An Arrow table of ``rows`` in ``schema`` (Arrow refuses, never rounds, a value that does not fit)."""
    pa = pyarrow()
    arrays = [pa.array([_cell(row.get(f.name), f.type) for row in rows], type=f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def slips_table(slips: Iterable[Mapping[str, Any]]) -> Any:
    """One row per slip (the columns of ``--format csv``), money as ``decimal128``."""
    slips = list(slips)
    facts = fact_names(slips)
    rows = [slip_row(slip, facts) for slip in slips]
    return rows_table(rows, rows_schema(slip_columns(facts), rows, SLIP_MONEY_COLUMNS))


def lines_table(slips: Iterable[Mapping[str, Any]]) -> Any:
    """One row per line item (the columns of ``--format csv-lines``), amounts as ``decimal128``."""
    rows = [row for slip in slips for row in line_rows(slip)]
    return rows_table(rows, rows_schema(CSV_LINE_COLUMNS, rows, LINE_MONEY_COLUMNS))


class ParquetStream:
    """Slips (``lines``: their line items) written to ``sink`` as Parquet as they come, a row
    group per ``row_group`` slips: at most one group of slips is held.

    ``sink`` is a path, an Arrow output stream or a writable binary file object. ``declared``
    (a ruleset's facts and places) fixes the schema before any slip comes; without it the
    first group fixes it (its facts and the places of its amounts). A slip with a fact the
    schema lacks raises :class:`ValueError`. :meth:`close` writes the rest and the file's
    footer (an empty file with the fixed columns when no slip came)."""

    def __init__(
        self,
        sink: Any,
        *,
        lines: bool = False,
        row_group: int | None = None,
        declared: Declared | None = None,
    ) -> None:
        pyarrow()
        self.sink, self.lines, self.declared = sink, lines, declared
        self.row_group = ROW_GROUP if row_group is None else row_group
        self.rows = 0  # rows written
        self.groups = 0  # row groups written
        self._pending: list[Mapping[str, Any]] = []
        self._writer: Any = None
        self._schema: Any = None
        self._facts: list[str] = list(declared.facts) if declared else []

    def add(self, slips: Iterable[Mapping[str, Any]]) -> None:
        """Append slip dicts (in order); a full group is written at once."""
        pending = self._pending
        for slip in slips:
            pending.append(slip)
            if len(pending) >= self.row_group:
                self._write(pending)
                pending.clear()

    def _write(self, group: Sequence[Mapping[str, Any]]) -> None:
        if self.lines:
            rows = [row for slip in group for row in line_rows(slip)]
            columns: Sequence[str] = CSV_LINE_COLUMNS
        else:
            if self._schema is None and self.declared is None:
                self._facts = fact_names(group)
            new = set(fact_names(group)) - set(self._facts)
            if new:
                where = "is not declared" if self.declared else "first appears after the first row group"
                raise ValueError(f"fact {sorted(new)[0]!r} {where}")
            rows = [slip_row(slip, self._facts) for slip in group]
            columns = slip_columns(self._facts)
        if self._schema is None:
            self._open(columns, rows)
        self._writer.write_table(rows_table(rows, self._schema))
        self.rows += len(rows)
        self.groups += 1

    def _open(self, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        money = LINE_MONEY_COLUMNS if self.lines else SLIP_MONEY_COLUMNS
        self._schema = rows_schema(columns, rows, money, self.declared)
        self._writer = pq.ParquetWriter(self.sink, self._schema)

    def abort(self) -> None:
        """Give up: close the Parquet writer (if open) without writing what is pending."""
        self._pending = []
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.close()

    def close(self) -> int:
        """Write what is pending and the footer; returns the number of rows written."""
        try:
            if self._pending:
                self._write(self._pending)
                self._pending = []
            if self._writer is None:  # no slips: an empty file with the fixed columns
                self._open(CSV_LINE_COLUMNS if self.lines else slip_columns(self._facts), [])
        finally:
            if self._writer is not None:
                self._writer.close()
        return self.rows


def write_parquet(
    slips: Iterable[Mapping[str, Any]],
    sink: Any,
    *,
    lines: bool = False,
    row_group: int | None = None,
    declared: Declared | None = None,
) -> int:
    """Write slips (``lines``: their line items) to ``sink`` as Parquet, a row group per ``row_group``
    slips (None: :data:`ROW_GROUP`).

    ``sink`` is a path or an Arrow output stream. ``declared`` (:func:`declared_columns` of
    the ruleset) fixes the schema, the same as ``cmrules run`` writes; without it the first
    group fixes it (its facts and the places of its amounts), and a later slip with a fact
    the first group did not have raises :class:`ValueError`. Returns the number of rows
    written (see :class:`ParquetStream`)."""
    stream = ParquetStream(sink, lines=lines, row_group=row_group, declared=declared)
    try:
        stream.add(slips)
    except BaseException:
        stream.abort()
        raise
    return stream.close()


def render_parquet(slips: Iterable[Mapping[str, Any]], *, lines: bool = False) -> bytes:
    """Slips as the bytes of a Parquet file (see :func:`write_parquet`)."""
    pa = pyarrow()
    buffer = pa.BufferOutputStream()
    write_parquet(slips, buffer, lines=lines)
    return bytes(buffer.getvalue().to_pybytes())
