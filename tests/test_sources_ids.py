"""Employee numbers and months as HR's tools type them (issue 13: xlsx, pandas, polars, Arrow, JSON).

A whole-number id (an Excel number cell, a pandas ``int64`` column, JSON ``1001``) is its text
``"1001"`` everywhere; a float id (``1001.0``: pandas makes an integer column with a blank float)
is refused for its record; a blank id is missing. A date on the 1st in the ``period`` column
(Excel stores the typed ``2024-05`` as 2024-05-01) is that month; any other date is refused
naming the employee, the field, the value and what a period is.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.shipped import ROOT

openpyxl = pytest.importorskip("openpyxl", reason="Excel needs openpyxl: pip install 'cmrules[excel]'")
pa = pytest.importorskip("pyarrow", reason="DataFrames need pyarrow: pip install 'cmrules[dataframe]'")
pd = pytest.importorskip("pandas", reason="DataFrames need pandas: pip install 'cmrules[dataframe]'")

import cmrules.frames as frames  # noqa: E402
from cmrules import load_ruleset  # noqa: E402
from cmrules.commands import run_file  # noqa: E402
from cmrules.errors import InputError, InputFileError, UsageError  # noqa: E402
from cmrules.ruleset._many import employee_of  # noqa: E402
from cmrules.sources import FloatLiteral, open_records, read_inputs  # noqa: E402

RULESET = load_ruleset(ROOT / "rulesets" / "bar_customer_manager.yaml")
FLOAT_ID = "store the employee column as text"
NOT_A_MONTH = "expected a month like 2024-05"


def _book(tmp_path: Path, rows: list[list[Any]]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / "hr.xlsx"
    book.save(path)
    return path


def _run(path: Path, **options: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    result = run_file(RULESET, path, None, "json", **options)
    return json.loads(result.rendered or "[]"), result.failures


def _who(failures: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(f["employee"], f["record"], f["field"], f["code"]) for f in failures]


# F1: whole-number ids are their text, float ids refused, blank ids missing


def test_employee_of_reads_a_whole_number_as_its_text() -> None:
    assert employee_of({"employee": 1001}) == "1001"
    assert employee_of({"employee": "B001"}) == "B001"
    for no_id in (True, 1001.0, FloatLiteral("1001.0"), "", None):
        assert employee_of({"employee": no_id}) == "<unknown>"


def test_xlsx_number_cells_are_ids_and_a_fraction_is_refused(tmp_path: Path) -> None:
    path = _book(
        tmp_path,
        [
            ["employee", "period"],
            [1001, "2024-05"],
            [1002.5, "2024-05"],
            ["  ", "2024-05"],
            [1001, "2024-05"],
        ],
    )
    assert [record.data.get("employee") for record in open_records(path)] == ["1001", "1002.5", None, "1001"]
    slips, failures = _run(path)
    assert [slip["employee"] for slip in slips] == ["1001"]
    assert _who(failures) == [
        ("<unknown>", 2, "employee", "input.float"),
        ("<unknown>", 3, "employee", "input.missing"),
        ("1001", 4, "employee", "input.duplicate"),
    ]
    assert failures[0]["line"] == 3 and FLOAT_ID in failures[0]["message"]
    assert "no employee id" in failures[1]["message"]


def test_xlsx_ids_under_a_chinese_header_are_read_after_renaming(tmp_path: Path) -> None:
    path = _book(tmp_path, [["工号", "月份"], [1001, "2024-05"], [1002.5, "2024-05"]])
    slips, failures = _run(path)
    assert [slip["employee"] for slip in slips] == ["1001"]
    assert _who(failures) == [("<unknown>", 2, "employee", "input.float")]


def test_a_pandas_int_column_of_ids_is_paid_as_text() -> None:
    frame = pd.DataFrame({"employee": [1001, 1002], "period": ["2024-05", "2024-05"]})
    payroll = frames.pay_frame(RULESET, frame)
    assert [slip["employee"] for slip in payroll.slips] == ["1001", "1002"] and not payroll.failures


def test_a_pandas_float_column_of_ids_is_refused_never_read_as_1001_0() -> None:
    frame = pd.DataFrame({"employee": [1001, None, 1003], "period": ["2024-05"] * 3})
    assert str(frame["employee"].dtype) == "float64"  # what pandas makes of a gap
    payroll = frames.pay_frame(RULESET, frame)
    assert not payroll.slips
    assert _who(payroll.failures) == [
        ("<unknown>", 1, "employee", "input.float"),
        ("<unknown>", 2, "employee", "input.missing"),
        ("<unknown>", 3, "employee", "input.float"),
    ]
    assert payroll.failures[0]["value"] == "1001.0" and FLOAT_ID in payroll.failures[0]["message"]


def test_a_polars_int_column_of_ids_is_paid_as_text() -> None:
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"employee": [1001, 1001], "period": ["2024-05", "2024-05"]})
    payroll = frames.pay_frame(RULESET, frame)
    assert [slip["employee"] for slip in payroll.slips] == ["1001"]
    assert _who(payroll.failures) == [("1001", 2, "employee", "input.duplicate")]


def test_json_number_ids(tmp_path: Path) -> None:
    path = tmp_path / "hr.json"
    path.write_text(
        '[{"employee": 1001, "period": "2024-05"}, {"employee": 1001.0, "period": "2024-05"},'
        ' {"employee": "1001", "period": "2024-05"}, {"employee": true, "period": "2024-05"},'
        ' {"employee": "", "period": "2024-05"}]',
        encoding="utf-8",
    )
    slips, failures = _run(path)
    assert [slip["employee"] for slip in slips] == ["1001"]
    assert _who(failures) == [
        ("<unknown>", 2, "employee", "input.float"),
        ("1001", 3, "employee", "input.duplicate"),  # the duplicate check sees "1001" in both
        ("<unknown>", 4, "employee", "input.type"),
        ("<unknown>", 5, "employee", "input.missing"),
    ]
    assert failures[1]["message"].startswith("employee 1001 and period 2024-05 already appear in record 1")


def test_an_unreadable_jsonl_line_names_its_whole_number_id(tmp_path: Path) -> None:
    path = tmp_path / "hr.jsonl"
    path.write_text('{"employee": 1007, "period": "2024-05",, }\n', encoding="utf-8")
    (record,) = open_records(path)
    assert record.employee == "1007"


def test_the_python_api_reads_a_whole_number_id_and_refuses_a_float() -> None:
    slip = RULESET.evaluate({"employee": 1001, "period": "2024-05"})
    assert slip.employee == "1001"
    version = RULESET.versions[-1]
    assert version.validator.reference({"employee": 7, "period": "2024-05"})["employee"] == "7"
    with pytest.raises(InputError) as caught:
        RULESET.evaluate({"employee": 1001.0, "period": "2024-05"})
    (problem,) = caught.value.problems
    assert (problem.field, problem.code) == ("employee", "input.float") and FLOAT_ID in problem.message
    with pytest.raises(InputError) as caught:  # the id names the employee in every other error
        RULESET.evaluate({"employee": 1001, "period": "2024-05", "late_arrivals": ["x"]})
    assert caught.value.problems[0].employee == "1001"


# F2: a date on the 1st in the period column is that month


def test_xlsx_date_cells_in_the_period_column(tmp_path: Path) -> None:
    path = _book(
        tmp_path,
        [
            ["employee", "period"],
            ["B001", dt.datetime(2024, 5, 1)],
            ["B002", dt.date(2024, 6, 1)],
            ["B003", dt.datetime(2024, 5, 17)],
        ],
    )
    slips, failures = _run(path)
    assert [(slip["employee"], slip["period"]) for slip in slips] == [
        ("B001", "2024-05"),
        ("B002", "2024-06"),
    ]
    assert _who(failures) == [("B003", 3, "period", "input.type")]
    assert failures[0]["value"] == "2024-05-17" and NOT_A_MONTH in failures[0]["message"]


def test_pandas_timestamps_in_the_period_column() -> None:
    periods = pd.to_datetime(["2024-05-01", "2024-05-17", "2024-05-01 08:00"], format="ISO8601")
    frame = pd.DataFrame({"employee": ["A1", "A2", "A3"], "period": periods})
    payroll = frames.pay_frame(RULESET, frame)
    assert [(slip["employee"], slip["period"]) for slip in payroll.slips] == [("A1", "2024-05")]
    assert _who(payroll.failures) == [("A2", 2, "period", "input.type"), ("A3", 3, "period", "input.type")]
    assert [f["value"] for f in payroll.failures] == ["2024-05-17", "2024-05-01 08:00:00"]
    assert all(NOT_A_MONTH in f["message"] for f in payroll.failures)


def test_polars_and_arrow_date_columns_in_the_period_column() -> None:
    pl = pytest.importorskip("polars")
    days = [dt.date(2024, 5, 1), dt.date(2024, 5, 2)]
    for frame in (
        pl.DataFrame({"employee": [1, 2], "period": days}),
        pa.table({"employee": [1, 2], "period": days}),
    ):
        payroll = frames.pay_frame(RULESET, frame)
        assert [(slip["employee"], slip["period"]) for slip in payroll.slips] == [("1", "2024-05")]
        assert _who(payroll.failures) == [("2", 2, "period", "input.type")]
        assert payroll.failures[0]["value"] == "2024-05-02"


def test_parquet_date_and_int_columns(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    path = tmp_path / "hr.parquet"
    pq.write_table(pa.table({"employee": [1001], "period": [dt.date(2024, 5, 1)]}), path)
    assert read_inputs(path) == [{"employee": "1001", "period": "2024-05"}]


def test_the_python_api_words_a_date_period() -> None:
    with pytest.raises(InputError) as caught:
        RULESET.evaluate({"employee": "E1", "period": dt.date(2024, 5, 17)})
    (problem,) = caught.value.problems
    assert (problem.employee, problem.field, problem.code) == ("E1", "period", "input.type")
    assert NOT_A_MONTH in problem.message


# F14: an unreadable JSON line names its column


def test_an_unreadable_jsonl_line_names_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "hr.jsonl"
    path.write_text('{"employee": "A1", "period": "2024-05"}\n{"employee": "A2", "period": "2024-05",, }\n')
    _, failures = _run(path)
    (failure,) = failures
    assert (failure["employee"], failure["line"], failure["code"]) == ("A2", 2, "input.unreadable")
    assert failure["message"] == "Expecting property name enclosed in double quotes at column 40"


def test_an_unreadable_json_element_names_its_column_on_the_file_line(tmp_path: Path) -> None:
    path = tmp_path / "hr.json"
    path.write_text('[{"employee": "A1", "period": "2024-05"},\n  {"employee": "A2", "period": 2024-05}]\n')
    bad = [record for record in open_records(path) if record.error is not None]
    assert [(r.line, r.error) for r in bad] == [(2, "Expecting ',' delimiter at column 36")]


def test_a_json_file_that_is_not_an_array_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "hr.json"
    path.write_text('{"employee": "A1",\n  "period" "2024-05"}\n')
    with pytest.raises(InputFileError) as caught:
        read_inputs(path)
    assert (caught.value.line, caught.value.column) == (2, 12)


# F15: a mapped header the ruleset does not know is named as it stands in the file


def test_an_unknown_mapped_header_is_named_as_in_the_file(tmp_path: Path) -> None:
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("加班: overtime_hours\n", encoding="utf-8")
    path = tmp_path / "hr.csv"
    path.write_text("工号,月份,加班\nA1,2024-05,3\n", encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        run_file(RULESET, path, None, "json", columns=mapping)
    message = str(caught.value)
    assert f"column '加班' is named 'overtime_hours' by the column mapping {mapping}" in message
    assert "nobody was paid" in message
    frame = pd.DataFrame({"员工": ["A1"], "期间": ["2024-05"], "加班": [3]})
    with pytest.raises(InputFileError, match="column '加班' is named 'overtime_hours' by the column mapping"):
        frames.pay_frame(RULESET, frame, columns={"加班": "overtime_hours"})


# F16: the install hint for polars names its extra


def test_the_polars_hint_names_the_polars_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "polars", None)  # import polars now raises ImportError
    with pytest.raises(UsageError, match=r"pip install 'cmrules\[polars\]'"):
        frames.slips_frame([], kind="polars")


def test_spaces_around_an_id_are_dropped_so_a_repeat_is_paid_once(tmp_path: Path) -> None:
    from cmrules.run import pay_records

    path = tmp_path / "hr.csv"
    path.write_text('employee,period\n1001,2024-05\n" 1001",2024-05\n1001 ,2024-05\n', encoding="utf-8")
    ruleset = load_ruleset(ROOT / "rulesets" / "bar_customer_manager.yaml")
    payroll = pay_records(ruleset, list(open_records(path)))
    assert [slip["employee"] for slip in payroll.slips] == ["1001"]
    assert [(f["record"], f["code"]) for f in payroll.failures] == [
        (2, "input.duplicate"),
        (3, "input.duplicate"),
    ]
    records = [{"employee": "1001", "period": "2024-05"}, {"employee": " 1001 ", "period": "2024-05"}]
    slips, failures = ruleset.evaluate_many(records)  # the Python API, fast checker and all
    assert [slip.employee for slip in slips] == ["1001"] and [f.code for f in failures] == ["input.duplicate"]  # type: ignore[attr-defined]
    assert ruleset.evaluate({"employee": " 1002\t", "period": "2024-05"}).employee == "1002"
