"""What the command line says when an input or a ledger command cannot be served as asked:
the way forward named, the exit code of the table in docs/ledger.md, money at its places."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from cmrules.cli import main
from cmrules.ledger import Ledger
from cmrules.sources import InputFileError, read_inputs
from tests.shipped import ROOT

BAR = ROOT / "rulesets" / "bar_customer_manager.yaml"
CSV = ROOT / "examples" / "bar_month.csv"
DRAW = ROOT / "examples" / "draw_clawback.yaml"
JANUARY = ROOT / "examples" / "draw_clawback_months" / "2026-01.jsonl"


@pytest.mark.parametrize("name", ["bar_month.txt", "bar_month"])
def test_an_unknown_suffix_names_input_format_and_the_formats(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    shutil.copy(CSV, path)
    with pytest.raises(InputFileError) as caught:
        read_inputs(path)
    assert "give --input-format json|jsonl|yaml|csv|parquet|xlsx" in str(caught.value)
    assert read_inputs(path, "csv")[0]["employee"] == "B001"


def test_a_semicolon_separated_csv_is_told_its_separator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "month.csv"
    path.write_text("employee;period;deposit\nB001;2024-05;12,50\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"month.csv:1: .*the separator looks like ';'.*CSV UTF-8"):
        read_inputs(path)
    assert main(["run", str(BAR), str(path)]) == 1
    assert "the separator looks like ';'" in capsys.readouterr().err
    path.write_text("employee\nB001\n", encoding="utf-8")  # one column, no ';': read as it is
    assert read_inputs(path) == [{"employee": "B001"}]


def test_closing_a_closed_period_says_when(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ledger = tmp_path / "pay.db"
    assert main(["run", str(DRAW), str(JANUARY), "--ledger", str(ledger), "--close"]) == 0
    capsys.readouterr()
    for more in ([], ["--ruleset", "draw_clawback"]):
        assert main(["close", "--ledger", str(ledger), "2026-01", *more]) == 1
        said = capsys.readouterr().err
        assert re.search(
            r"period 2026-01 is already closed \(ruleset draw_clawback, closed 20\d\d-\d\d-\d\dT[\d:]+Z by ",
            said,
        ), said
        assert "no open run" not in said
    with Ledger(ledger) as book, pytest.raises(Exception, match="no open run of period 2026-02"):
        book.close("2026-02")


def test_explain_of_an_employee_not_in_the_file_is_an_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(BAR), str(CSV), "--employee", "B999"]) == 1
    said = capsys.readouterr().err
    assert "'B999' is not in this file" in said and "bar_month.csv" in said


def test_ledger_show_writes_net_at_the_rulesets_places(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = tmp_path / "pay.db"
    assert main(["run", str(DRAW), str(JANUARY), "--ledger", str(ledger), "--close"]) == 0
    failed = tmp_path / "2026-02.jsonl"
    failed.write_text('{"employee": "S1", "period": "2026-02", "commission": "x"}\n', encoding="utf-8")
    assert main(["run", str(DRAW), str(failed), "--ledger", str(ledger)]) == 2
    capsys.readouterr()
    assert main(["ledger", "show", "--ledger", str(ledger), "--period", "2026-02"]) == 0
    said = capsys.readouterr().err
    assert "0 paid, 1 failed, net 0.00, carried forward 0.00" in said, said
    assert main(["ledger", "show", "--ledger", str(ledger), "--employee", "S1"]) == 0
    assert "net 8000.00" in capsys.readouterr().err
