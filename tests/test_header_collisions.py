"""Two headers naming one field (HR's ``工号`` beside ``employee``) stop the run: none silently dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from cmrules.commands import run_file
from cmrules.errors import InputFileError
from tests.shipped import ROOT

RULESET = ROOT / "rulesets" / "bar_customer_manager.yaml"
BOOKING = '"[{""date"": ""2024-05-03"", ""amount"": ""52000.00"", ""registered_minutes_before"": 15}]"'


def test_a_csv_header_and_its_chinese_twin_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "hr.csv"
    path.write_text(f"工号,employee,period,bookings\nB001,B999,2024-05,{BOOKING}\n", encoding="utf-8")
    expected = r"hr\.csv:1: columns '工号' and 'employee' both name field 'employee'"
    with pytest.raises(InputFileError, match=expected):
        run_file(RULESET, path, None, "json")


def test_a_mapping_onto_an_existing_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hr.csv"
    text = f"employee,period,bookings,押金,deposit\nB001,2024-05,{BOOKING},1.00,2.00\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match="columns '押金' and 'deposit' both name field 'deposit'"):
        run_file(RULESET, path, None, "json", columns={"押金": "deposit"})


def test_a_frame_with_two_headers_for_one_field_is_refused() -> None:
    pd = pytest.importorskip("pandas")
    import cmrules.frames as frames

    frame = pd.DataFrame({"工号": ["B001"], "employee": ["B999"], "period": ["2024-05"]})
    with pytest.raises(InputFileError, match="columns '工号' and 'employee' both name field 'employee'"):
        frames.pay_frame(RULESET, frame)
