"""DataFrames and Arrow tables in and out: every cent kept, floats only when exact, Parquet by row group."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.shipped import ROOT

pa = pytest.importorskip("pyarrow", reason="DataFrames need pyarrow: pip install 'cmrules[dataframe]'")
pd = pytest.importorskip("pandas", reason="DataFrames need pandas: pip install 'cmrules[dataframe]'")

import cmrules.frames as frames  # noqa: E402
from cmrules import load_ruleset  # noqa: E402
from cmrules.commands import run_file  # noqa: E402
from cmrules.sources import read_inputs  # noqa: E402

RULESET = load_ruleset(ROOT / "rulesets" / "bar_customer_manager.yaml")
CSV = ROOT / "examples" / "bar_month.csv"
NETS = ["3310.00", "2850.00", "3105.00", "2400.00", "1200.00", "1000.00", "2760.00", "0.00"]


def _csv_slips() -> list[dict[str, object]]:
    return list(json.loads(run_file(RULESET, CSV, None, "json").rendered or ""))


def test_pandas_frame_pays_as_the_csv() -> None:
    payroll = frames.pay_frame(RULESET, pd.DataFrame(read_inputs(CSV)))
    assert not payroll.failures
    assert payroll.slips == _csv_slips()
    assert [slip["totals"]["net"] for slip in payroll.slips][:8] == NETS


def test_slip_frames_keep_every_cent() -> None:
    slips = _csv_slips()
    table = frames.slips_frame(slips, kind="arrow")
    assert table.schema.field("net").type == pa.decimal128(38, 2)
    assert table.column("net").to_pylist()[:8] == [Decimal(net) for net in NETS]
    df = frames.slips_frame(slips)
    assert df["net"].sum() == Decimal("25155.00")
    assert [f"{value}" for value in df["net"]][:3] == NETS[:3]
    assert df["fact.performance"].iloc[0] == Decimal("52000.00")
    lines = frames.slips_frame(slips, lines=True, kind="arrow")
    totals = [Decimal(s["totals"][k]) for s in slips for k in ("earnings", "deductions")]  # type: ignore[index]
    assert sum(lines.column("amount").to_pylist()) == sum(totals) == Decimal("24465.00")


def test_round_trip_through_pandas_and_polars_keeps_every_cent() -> None:
    records = read_inputs(CSV)
    frame = pd.DataFrame(records)
    frame["deposit"] = [Decimal("1234.56")] + [None] * (len(frame) - 1)
    assert frames.records_of(RULESET, frame)[0]["deposit"] == Decimal("1234.56")
    slips = frames.pay_frame(RULESET, frame).slips
    back = frames.slips_frame(slips, kind="arrow").to_pylist()
    assert [str(row["net"]) for row in back] == [slip["totals"]["net"] for slip in slips]
    pl = pytest.importorskip("polars")
    again = frames.pay_frame(RULESET, pl.from_pandas(frame)).slips
    assert again == slips


def test_a_float_is_taken_only_when_exact_at_the_places() -> None:
    frame = pd.DataFrame(
        {
            "employee": ["B001", "B002", "B003"],
            "period": ["2024-05"] * 3,
            "deposit": [12.5, 0.1 + 0.2, 100.0],
            "absent_days": [1.0, float("nan"), 2.0],  # pandas makes an int column with a gap float
        }
    )
    payroll = frames.pay_frame(RULESET, frame)
    assert [slip["employee"] for slip in payroll.slips] == ["B001", "B003"]
    (failure,) = payroll.failures
    assert failure["employee"] == "B002" and failure["code"] == "input.float"
    assert failure["value"] == "0.30000000000000004" and failure["record"] == 2
    assert frames.exact_float(1234.5, 2) == Decimal("1234.5")
    assert str(frames.exact_float(1.005, 2)) == "1.005"  # kept as text, refused: never rounded


def test_unknown_column_stops_before_anyone_is_paid() -> None:
    from cmrules.errors import InputFileError

    with pytest.raises(InputFileError, match="dposit"):
        frames.pay_frame(RULESET, pd.DataFrame({"employee": ["B001"], "period": ["2024-05"], "dposit": [1]}))


def test_parquet_is_written_by_row_group_with_decimals(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    slips = _csv_slips()
    out = tmp_path / "slips.parquet"
    assert frames.write_parquet(iter(slips), out, row_group=5) == 12
    meta = pq.ParquetFile(out).metadata
    assert meta.num_row_groups == 3
    table = pq.read_table(out)
    assert table.schema.field("net").type == pa.decimal128(38, 2)
    assert [str(v) for v in table.column("net").to_pylist()] == [s["totals"]["net"] for s in slips]


def test_cli_writes_parquet_by_suffix(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "slips.parquet"
    run_file(RULESET, CSV, out, "parquet")
    assert [str(v) for v in pq.read_table(out).column("net").to_pylist()][:8] == NETS
    lines = tmp_path / "lines.parquet"
    run_file(RULESET, CSV, lines, "parquet-lines")
    assert pq.read_table(lines).schema.field("amount").type == pa.decimal128(38, 2)


def test_parquet_with_the_ruleset_has_the_run_schema(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    slips = _csv_slips()
    run_file(RULESET, CSV, tmp_path / "run.parquet", "parquet")
    # a shipped name, a path and a loaded ruleset all declare the same columns
    for i, ruleset in enumerate(
        ("bar_customer_manager", ROOT / "rulesets" / "bar_customer_manager.yaml", RULESET)
    ):
        frames.write_parquet(slips[:1], tmp_path / f"{i}.parquet", ruleset=ruleset)
        schema = pq.read_schema(tmp_path / f"{i}.parquet")
        assert schema.equals(pq.read_schema(tmp_path / "run.parquet"), check_metadata=False)
    frames.write_parquet(slips, tmp_path / "first.parquet")  # no ruleset: the first row group's
    assert str(pq.read_schema(tmp_path / "first.parquet").field("fact.commission_pay_date").type) == "string"
