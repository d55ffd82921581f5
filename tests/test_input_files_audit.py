"""Input files as a new user's tools save them: each mistake is named in the user's words.

Found by feeding ``cmrules run`` what Excel and hand-edited JSON produce: a file Excel saves
as "Unicode Text" (UTF-16) was refused as ``not UTF-8 nor GB18030 text (byte 0)``, which
names neither the encoding it is nor what to do; a JSON array holding a number or a list
where a record belongs said ``record 2 is a int`` (Python's type names, and bad grammar).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cmrules.errors import InputFileError
from cmrules.sources import open_records, read_inputs

TEXT = "employee,period,deposit\nB001,2024-05,100.00\n"


@pytest.mark.parametrize(
    ("codec", "name"),
    [("utf-16", "UTF-16"), ("utf-16-be", "UTF-16"), ("utf-32", "UTF-32")],
)
@pytest.mark.parametrize("suffix", [".csv", ".json", ".jsonl"])
def test_a_utf16_file_is_named_as_such_with_what_to_save_instead(
    tmp_path: Path, codec: str, name: str, suffix: str
) -> None:
    path = tmp_path / f"hr{suffix}"
    text = TEXT if suffix == ".csv" else '{"employee": "B001", "period": "2024-05"}\n'
    if suffix == ".json":
        text = f"[{text}]"
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    path.write_bytes(data)
    with pytest.raises(InputFileError) as caught:
        read_inputs(path)
    message = str(caught.value)
    assert f"{name} text" in message and "UTF-8" in message and "byte 0" not in message


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("5", "a number"),
        ("1.5", "a number"),
        ('"B001"', "text"),
        ("[1, 2]", "a list"),
        ("true", "true or false"),
        ("null", "null"),
    ],
)
def test_a_json_value_that_is_not_a_record_is_named_in_json_words(
    tmp_path: Path, value: str, kind: str
) -> None:
    path = tmp_path / "in.json"
    path.write_text(f'[{{"employee": "A", "period": "2024-05"}}, {value}]', encoding="utf-8")
    first, second = open_records(path)
    assert first.error is None
    assert second.error == f"record 2 is {kind}, not an object"


def test_explain_names_a_repeated_employee_and_period_as_run_does(tmp_path: Path) -> None:
    """``explain --employee B001`` on a file that repeats B001 for 2024-05 said "give --period",
    and said it again with ``--period 2024-05``: no way out. It is the file's ``input.duplicate``,
    named with both records, as ``cmrules run`` refuses the repeat."""
    import cmrules
    from cmrules.commands import explain_employee

    path = tmp_path / "in.csv"
    path.write_text(
        "employee,period,deposit\nB001,2024-05,100.00\nB002,2024-05,1.00\nB001,2024-05,900.00\n",
        encoding="utf-8",
    )
    for period in (None, "2024-05"):
        with pytest.raises(cmrules.InputError) as caught:
            explain_employee("rulesets/bar_customer_manager.yaml", path, "B001", period)
        (problem,) = caught.value.problems
        assert (problem.employee, problem.field, problem.value, problem.code) == (
            "B001",
            "employee",
            "B001",
            "input.duplicate",
        )
        assert "records 1 and 3" in problem.message and "2024-05" in problem.message
    # two periods of one employee still ask for --period, and --period picks one
    path.write_text("employee,period\nB001,2024-05\nB001,2024-06\n", encoding="utf-8")
    with pytest.raises(cmrules.errors.UsageError, match="give --period"):
        explain_employee("rulesets/bar_customer_manager.yaml", path, "B001")
    assert (
        explain_employee("rulesets/bar_customer_manager.yaml", path, "B001", "2024-06").slip.period
        == "2024-06"
    )


def test_headers_in_chinese_without_a_mapping_point_to_columns(tmp_path: Path) -> None:
    """An Excel export whose headers are HR's (``定台记录``) stopped the run saying only that the
    column is not an input: a new user did not learn that ``--columns`` maps such headers."""
    from cmrules.commands import run_file

    path = tmp_path / "hr.csv"
    path.write_bytes("员工,期间,押金\nB001,2024-05,100.00\n".encode("gb18030"))
    with pytest.raises(InputFileError) as caught:
        run_file("rulesets/bar_customer_manager.yaml", path, tmp_path / "out.csv", "csv")
    assert "'押金' is not an input" in str(caught.value) and "--columns FILE" in str(caught.value)
    # a typo of a field is its did-you-mean only
    path.write_text("employee,period,depost\nB001,2024-05,100.00\n", encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        run_file("rulesets/bar_customer_manager.yaml", path, tmp_path / "out.csv", "csv")
    assert "did you mean 'deposit'?" in str(caught.value) and "--columns" not in str(caught.value)
    # with the mapping it is paid
    (tmp_path / "cols.yaml").write_text("押金: deposit\n", encoding="utf-8")
    path.write_bytes("员工,期间,押金\nB001,2024-05,100.00\n".encode("gb18030"))
    run_file(
        "rulesets/bar_customer_manager.yaml",
        path,
        tmp_path / "out.csv",
        "csv",
        columns=tmp_path / "cols.yaml",
    )
    assert (tmp_path / "out.csv").exists()


def _read_csv(tmp_path: Path, text: str) -> tuple[tuple[str, ...] | None, list[tuple[int, Any, str | None]]]:
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8")
    source = open_records(path)
    return source.columns, [(r.line, r.data, r.error) for r in source]


def test_the_empty_columns_excel_adds_after_the_table_are_not_columns(tmp_path: Path) -> None:
    """Excel saves ``employee,period,deposit,,`` when cells right of the table were ever touched:
    the run stopped with ``column 4 has no name``. Nameless columns at the end are no columns;
    a value in one is that row's failure (it belongs to no field), never dropped."""
    columns, rows = _read_csv(
        tmp_path, "employee,period,deposit,,\r\nB001,2024-05,100.00,,\r\n,,,,\r\nB002,2024-05,,7,\r\n"
    )
    assert columns == ("employee", "period", "deposit")
    assert rows[0] == (2, {"employee": "B001", "period": "2024-05", "deposit": "100.00"}, None)
    line, data, error = rows[1]
    assert (line, data) == (4, None) and error is not None and "column 4" in error and "'7'" in error


def test_a_nameless_column_inside_the_table_still_stops_the_run(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="column 2 has no name"):
        _read_csv(tmp_path, "employee,,deposit\nB001,x,1.00\n")


def test_a_row_with_fewer_cells_than_the_header_is_that_rows_failure(tmp_path: Path) -> None:
    """``B003,2024-05`` under ``employee,period,deposit,late_arrivals`` was paid as if its last two
    cells were empty: a row cut short (a truncated copy, a hand edit) paid without its fines.
    Every row gives every column (an empty cell for an absent value), as Excel writes it."""
    _, rows = _read_csv(
        tmp_path, "employee,period,deposit,late_arrivals\nB001,2024-05,,[10]\nB003,2024-05\nB004,2024-05,,\n"
    )
    assert [error for _, _, error in rows] == [
        None,
        "2 cells but the header names 4 columns (an absent value is an empty cell)",
        None,
    ]


def test_unknown_columns_beyond_the_three_named_are_marked_as_more(tmp_path: Path) -> None:
    """'and 4 more unknown' listed three names and stopped as if that were all of them."""
    from cmrules.commands import run_file

    path = tmp_path / "many.csv"
    path.write_text("employee,period,a1,a2,a3,a4,a5\nB001,2024-05,1,2,3,4,5\n", encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        run_file("rulesets/bar_customer_manager.yaml", path, tmp_path / "out.csv", "csv")
    assert "(and 4 more unknown: 'a2', 'a3', 'a4', ...)" in str(caught.value)
    path.write_text("employee,period,a1,a2\nB001,2024-05,1,2\n", encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        run_file("rulesets/bar_customer_manager.yaml", path, tmp_path / "out.csv", "csv")
    assert "(and 1 more unknown: 'a2');" in str(caught.value)
