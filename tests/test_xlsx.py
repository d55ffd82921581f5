"""Excel in and out: the shipped bar_month.xlsx pays the same nets as bar_month.csv, to an .xlsx file."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tests.shipped import ROOT

openpyxl = pytest.importorskip("openpyxl", reason="Excel needs openpyxl: pip install 'cmrules[excel]'")

from cmrules.commands import run_file  # noqa: E402
from cmrules.sources import open_records, read_inputs  # noqa: E402
from cmrules.sources._headers import header_map, rename_source  # noqa: E402

RULESET = ROOT / "rulesets" / "bar_customer_manager.yaml"
CSV = ROOT / "examples" / "bar_month.csv"
XLSX = ROOT / "examples" / "bar_month.xlsx"
NETS = ["3310.00", "2850.00", "3105.00", "2400.00", "1200.00", "1000.00"]


def _nets(path: Path) -> list[str]:
    result = run_file(RULESET, path, None, "json")
    return [slip["totals"]["net"] for slip in json.loads(result.rendered or "")]


def test_shipped_xlsx_pays_the_same_nets_as_the_csv() -> None:
    nets = _nets(XLSX)
    assert nets == _nets(CSV)
    assert nets[:6] == NETS and len(nets) == 12


def test_shipped_xlsx_is_what_the_script_writes(tmp_path: Path) -> None:
    out = tmp_path / "bar.xlsx"
    subprocess.run([sys.executable, str(ROOT / "tests" / "make_bar_xlsx.py"), str(out)], check=True)
    assert read_inputs(out) == read_inputs(XLSX) == read_inputs(CSV)


def test_xlsx_to_xlsx_keeps_the_nets_to_the_cent(tmp_path: Path) -> None:
    out = tmp_path / "slips.xlsx"
    result = run_file(RULESET, XLSX, out, "xlsx")
    assert result.slips == 12 and not result.failures
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["slips", "lines"]
    rows = list(book["slips"].iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:2] == ["employee", "period"] and "net" in header
    net = header.index("net")
    assert [f"{Decimal(str(row[net])):.2f}" for row in rows[1:7]] == NETS
    assert book["slips"].cell(2, net + 1).number_format == "#,##0.00"
    lines = list(book["lines"].iter_rows(values_only=True))
    assert lines[0][:2] == ("employee", "period")
    labels = {row[lines[0].index("label_zh")] for row in lines[1:]}
    assert "底薪" in labels  # Chinese text stays readable


def test_cli_picks_xlsx_by_suffix(tmp_path: Path) -> None:
    out = tmp_path / "slips.xlsx"
    done = subprocess.run(
        [sys.executable, "-m", "cmrules", "run", str(RULESET), str(XLSX), "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert openpyxl.load_workbook(out).sheetnames == ["slips", "lines"]


def test_input_format_xlsx_reads_a_workbook_of_any_name(tmp_path: Path) -> None:
    export = tmp_path / "hr-export.dat"  # openpyxl refuses such a path; the reader opens the file
    export.write_bytes(XLSX.read_bytes())
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cmrules",
            "run",
            str(RULESET),
            str(export),
            "--input-format",
            "xlsx",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert [slip["totals"]["net"] for slip in json.loads(done.stdout)][:6] == NETS


def test_xlsx_to_stdout_is_refused_as_misuse() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cmrules", "run", str(RULESET), str(CSV), "--format", "xlsx"],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "give an output file" in done.stderr
    assert "Traceback" not in done.stderr


def _book(tmp_path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / "in.xlsx"
    book.save(path)
    return path


def test_date_cells_are_dates_and_fractions_are_exact_text(tmp_path: Path) -> None:
    path = _book(
        tmp_path,
        [
            ["employee", "period", "deposit", "outside_soliciting_dates", "absent_days"],
            ["B001", "2024-05", 12.5, '["2024-05-03"]', 2],
            ["B002", "2024-05", 12.345, None, None],
            [None, None, None, None, None],
            ["B003", dt.datetime(2024, 5, 1), 100, None, None],
        ],
    )
    records = [record.data for record in open_records(path)]
    assert records[0] == {
        "employee": "B001",
        "period": "2024-05",
        "deposit": "12.5",
        "outside_soliciting_dates": ["2024-05-03"],
        "absent_days": 2,
    }
    assert records[1]["deposit"] == "12.345"  # refused by the validator, never rounded
    assert records[2]["period"] == "2024-05"  # a date cell on the 1st is its month (was a date, refused)
    result = run_file(RULESET, path, None, "json")
    assert [f["employee"] for f in result.failures] == ["B002"]
    assert "more than 2 decimal places" in result.failures[0]["message"]


def test_chinese_headers_are_renamed_by_labels_and_mapping(tmp_path: Path) -> None:
    booking = '[{"date": "2024-05-03", "amount": "18000.00", "registered_minutes_before": 30}]'
    path = _book(tmp_path, [["员工", "期间", "定台记录"], ["B001", "2024-05", booking]])
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("定台记录: bookings\n", encoding="utf-8")
    from cmrules import load_ruleset

    ruleset = load_ruleset(RULESET)
    source = rename_source(open_records(path), header_map(ruleset, mapping))
    assert source.columns == ("employee", "period", "bookings")
    (record,) = [r.data for r in source]
    assert record["bookings"][0]["amount"] == "18000.00"
    assert ruleset.evaluate(record).net == Decimal("1350.00")


def test_cli_pays_hr_headers_with_a_mapping_file(tmp_path: Path) -> None:
    booking = '[{"date": "2024-05-03", "amount": "18000.00", "registered_minutes_before": 30}]'
    path = _book(tmp_path, [["员工", "期间", "定台记录"], ["B001", "2024-05", booking]])
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("定台记录: bookings\n", encoding="utf-8")
    result = run_file(RULESET, path, None, "json", columns=mapping)
    assert [slip["totals"]["net"] for slip in json.loads(result.rendered or "")] == ["1350.00"]
    done = subprocess.run(
        [sys.executable, "-m", "cmrules", "run", str(RULESET), str(path), "--columns", str(mapping)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "B001" in done.stdout


def test_missing_openpyxl_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from cmrules.errors import InputFileError, UsageError
    from cmrules.outputs.render._xlsx import openpyxl as load

    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(UsageError, match=r"cmrules\[excel\]"):
        load()
    with pytest.raises(InputFileError, match=r"cmrules\[excel\]"):
        list(open_records(XLSX))
