"""A float column of a Parquet file is read as cmrules.frames reads one: exact at the ruleset's
money places, or that record's located ``input.float`` (never a rounding)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.shipped import ROOT

pa = pytest.importorskip("pyarrow", reason="Parquet needs pyarrow: pip install 'cmrules[parquet]'")
pd = pytest.importorskip("pandas", reason="DataFrames need pandas: pip install 'cmrules[dataframe]'")
pq = pytest.importorskip("pyarrow.parquet")

import cmrules.frames as frames  # noqa: E402
from cmrules import load_ruleset  # noqa: E402
from cmrules.commands import explain_employee, ledger_run, run_file  # noqa: E402
from cmrules.inputs._text import FloatLiteral  # noqa: E402
from cmrules.sources import read_inputs  # noqa: E402

RULESET = load_ruleset(ROOT / "rulesets" / "bar_customer_manager.yaml")
CSV = ROOT / "examples" / "bar_month.csv"


def _who(failures: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [(f["employee"], f["field"], f["value"], f["code"]) for f in failures]


def _frame() -> object:
    """The bar example as pandas reads its CSV: ``deposit`` and ``carried_deductions`` float64,
    and one deposit that is not exact at two places."""
    frame = pd.DataFrame(read_inputs(CSV))
    for money in ("deposit", "carried_deductions"):
        frame[money] = pd.to_numeric(frame[money])
        assert frame[money].dtype == "float64"
    frame.loc[1, "deposit"] = 0.1 + 0.2
    frame.loc[2, "deposit"] = 12.5
    return frame


def test_run_on_parquet_pays_floats_as_frames_do(tmp_path: Path) -> None:
    frame = _frame()
    path = tmp_path / "month.parquet"
    frame.to_parquet(path, index=False)
    by_frames = frames.pay_frame(RULESET, frame)
    result = run_file(RULESET, path, None, "json")
    slips = json.loads(result.rendered or "")
    assert slips == by_frames.slips and len(slips) == len(frame) - 1
    assert _who(result.failures) == _who(by_frames.failures)
    assert _who(result.failures) == [("B002", "deposit", "0.30000000000000004", "input.float")]


def test_parquet_float_reading_at_places(tmp_path: Path) -> None:
    table = pa.table(
        {
            "employee": pa.array(["B001", "B002"]),
            "period": pa.array(["2024-05", "2024-05"]),
            "deposit": pa.array([1234.5, 2.0], type=pa.float64()),
            "score": pa.array([0.125, float("nan")], type=pa.float64()),
            "amounts": pa.array([[1.25, 0.001], []], type=pa.list_(pa.float64())),
        }
    )
    path = tmp_path / "in.parquet"
    pq.write_table(table, path)
    first, second = read_inputs(path, places=2)
    assert first["deposit"] == Decimal("1234.5") and type(first["deposit"]) is Decimal
    assert second["deposit"] == 2 and type(second["deposit"]) is int
    assert type(first["score"]) is FloatLiteral and first["score"] == "0.125"
    assert "score" not in second  # NaN is an absent field, as in frames
    assert first["amounts"] == [Decimal("1.25"), FloatLiteral("0.001")]
    assert type(read_inputs(path)[0]["deposit"]) is FloatLiteral  # without places: every float refused


def test_a_float_employee_id_in_parquet_stays_refused(tmp_path: Path) -> None:
    path = tmp_path / "ids.parquet"
    pq.write_table(pa.table({"employee": pa.array([1001.0]), "period": pa.array(["2024-05"])}), path)
    result = run_file(RULESET, path, None, "json")
    assert [(f["field"], f["code"]) for f in result.failures] == [("employee", "input.float")]


def test_explain_and_ledger_read_parquet_floats_as_run(tmp_path: Path) -> None:
    frame = _frame()
    frame = frame.drop(columns=["carried_deductions"])  # a balance the ledger keeps
    path = tmp_path / "month.parquet"
    frame.to_parquet(path, index=False)
    explained = explain_employee(RULESET, path, "B003")
    assert explained.record is not None and explained.record["deposit"] == Decimal("12.5")
    outcome = ledger_run(RULESET, path, tmp_path / "ledger.db", fmt="json")
    assert _who(outcome.failures) == [("B002", "deposit", "0.30000000000000004", "input.float")]
