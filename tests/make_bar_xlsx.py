"""Write examples/bar_month.xlsx from examples/bar_month.csv (the shipped Excel example).

Run from the repository root: ``python tests/make_bar_xlsx.py``. One sheet, the CSV's
header row, one employee a row; whole numbers become number cells, list fields stay the
CSV's JSON text, empty cells stay empty. tests/test_xlsx.py checks that the shipped file is
what this script writes and that it pays the same nets as the CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import sys
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]

HERE = Path(__file__).resolve().parent.parent / "examples"
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
# A fixed time stamp, so that the same CSV always gives the same bytes.
_WHEN = dt.datetime(2024, 6, 1)


def workbook(csv_path: Path) -> openpyxl.Workbook:
    """The workbook of one CSV file: a sheet ``employees``, numbers as number cells."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "employees"
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            sheet.append([None if cell == "" else int(cell) if _INT.match(cell) else cell for cell in row])
    book.properties.created = book.properties.modified = _WHEN
    return book


def main(out: Path = HERE / "bar_month.xlsx") -> None:
    """Write ``out`` from bar_month.csv."""
    workbook(HERE / "bar_month.csv").save(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "bar_month.xlsx")
