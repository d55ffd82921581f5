"""Slips as an Excel workbook: a sheet ``slips`` (one row per slip) and a sheet ``lines`` (per line item).

The header rows are those of ``--format csv`` and ``--format csv-lines``; amounts are
numbers written from their exact decimal text and shown to the cent (``#,##0.00`` for two
places), text (Chinese labels, explanations) stays text; a text cell is never a formula.
Needs openpyxl (``pip install 'cmrules[excel]'``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from cmrules.errors import UsageError
from cmrules.outputs.render._csv import CSV_LINE_COLUMNS
from cmrules.outputs.render._rows import fact_names, line_rows, slip_columns, slip_row


def openpyxl() -> Any:
    """The ``openpyxl`` module, or :class:`UsageError` naming the extra that installs it."""
    try:
        import openpyxl as module  # type: ignore[import-untyped]
    except ImportError:
        raise UsageError("Excel files need openpyxl: pip install 'cmrules[excel]'") from None
    return module


def _number_format(value: Decimal) -> str:
    places = max(0, -int(value.as_tuple().exponent))
    return "#,##0" + ("." + "0" * places if places else "")


def _sheet(book: Any, title: str, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]

    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    for index, name in enumerate(columns):
        letter = _letter(index)
        sheet.column_dimensions[letter].width = max(10, min(40, len(name) + 4))
    sheet.append(list(columns))
    for row in rows:
        cells = []
        for name in columns:
            value = row.get(name)
            if isinstance(value, Decimal):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = _number_format(value)
            elif isinstance(value, list | dict):
                cell = WriteOnlyCell(sheet, value=_json(value))
            elif isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # text, never a formula
            else:
                cell = WriteOnlyCell(sheet, value=value)
            cells.append(cell)
        sheet.append(cells)


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def render_xlsx(slips: Iterable[Mapping[str, Any]]) -> bytes:
    """The bytes of a workbook: sheet ``slips`` (one row per slip, with ``fact.<name>`` columns)
    and sheet ``lines`` (one row per line item)."""
    module = openpyxl()
    slips = list(slips)
    facts = fact_names(slips)
    book = module.Workbook(write_only=True)
    _sheet(book, "slips", slip_columns(facts), (slip_row(slip, facts) for slip in slips))
    _sheet(book, "lines", CSV_LINE_COLUMNS, (row for slip in slips for row in line_rows(slip)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
