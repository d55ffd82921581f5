"""A run's Parquet schema comes from the ruleset's declarations, never from its first row group."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from cmrules import Ledger, load_ruleset, read_inputs  # noqa: E402
from cmrules.outputs.render._arrow import ParquetStream, declared_columns  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "rulesets" / "bank_client_manager.yaml"


def _bank_slips() -> list[dict[str, object]]:
    slips, failures = load_ruleset(BANK).evaluate_many(read_inputs(ROOT / "examples" / "bank_month.yaml"))
    assert not failures
    return [slip.to_dict() for slip in slips]


def _parquet(slips: list[dict[str, object]], declared: object, row_group: int = 1) -> object:
    buffer = io.BytesIO()
    stream = ParquetStream(buffer, row_group=row_group, declared=declared)  # type: ignore[arg-type]
    stream.add(slips)
    stream.close()
    return pq.read_table(io.BytesIO(buffer.getvalue()))


def test_facts_with_varying_places_no_longer_break_a_later_row_group() -> None:
    slips = _bank_slips()
    # completion is 1.2 for the first slip and has 34 places for the second: a schema read
    # off the first row group (decimal128(38, 1)) could not hold the second
    assert [s["facts"]["completion"] for s in slips[:2]] == ["1.2", "1.893939393939393939393939393939394"]  # type: ignore[index]
    with pytest.raises(pa.ArrowInvalid):
        _parquet(slips, None)
    table = _parquet(slips, declared_columns(load_ruleset(BANK)))
    assert table.num_rows == 5  # type: ignore[attr-defined]
    assert table.column("fact.completion").to_pylist()[:2] == ["1.2", "1.893939393939393939393939393939394"]  # type: ignore[attr-defined]
    assert table.column("net").to_pylist()[:2] == [Decimal("7949.00"), Decimal("13621.00")]  # type: ignore[attr-defined]


def test_every_payroll_of_a_ruleset_has_one_schema() -> None:
    ruleset = load_ruleset(ROOT / "rulesets" / "bar_customer_manager.yaml")
    declared = declared_columns(ruleset)
    slips = [s.to_dict() for s in ruleset.evaluate_many(read_inputs(ROOT / "examples" / "bar_month.csv"))[0]]
    whole, one, none = (_parquet(part, declared, 4096) for part in (slips, slips[:1], []))
    assert whole.schema == one.schema == none.schema  # type: ignore[attr-defined]
    schema = whole.schema  # type: ignore[attr-defined]
    assert str(schema.field("net").type) == "decimal128(38, 2)"
    assert str(schema.field("fact.absence_days").type) == "int64"
    assert str(schema.field("fact.commission_forfeited").type) == "bool"
    assert str(schema.field("fact.commission_pay_date").type) == "date32[day]"
    assert str(schema.field("fact.performance").type) == "string"  # exact decimal text
    assert none.num_rows == 0  # type: ignore[attr-defined]


def test_a_fact_the_ruleset_does_not_declare_is_refused() -> None:
    slips = _bank_slips()
    slips[3]["facts"]["bonus"] = "1.00"  # type: ignore[index]
    with pytest.raises(ValueError, match="fact 'bonus' is not declared"):
        _parquet(slips, declared_columns(load_ruleset(BANK)))


BAR = ROOT / "rulesets" / "bar_customer_manager.yaml"


def _cli(*args: str, code_wanted: int = 0) -> None:
    import contextlib

    from cmrules.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    assert code == code_wanted, err.getvalue()


def test_run_ledger_run_ledger_export_and_frames_write_one_schema(tmp_path: Path) -> None:

    from cmrules import frames

    data = str(ROOT / "examples" / "bar_month.csv")
    _cli("run", str(BAR), data, "-o", str(tmp_path / "plain.parquet"))
    _cli(
        "run",
        str(BAR),
        data,
        "--ledger",
        str(tmp_path / "pay.db"),
        "-o",
        str(tmp_path / "ledger.parquet"),
        code_wanted=2,
    )
    # (2: B010 gives a balance the ledger keeps; the other slips are written)
    ruleset = load_ruleset(BAR)
    with Ledger(tmp_path / "pay.db") as ledger:  # the public export, given the loaded ruleset
        ledger.export("2024-05", ruleset, tmp_path / "export.parquet", "parquet")
    slips = [s.to_dict() for s in ruleset.evaluate_many(read_inputs(data))[0]]
    frames.write_parquet(slips, tmp_path / "frames.parquet", ruleset=ruleset)
    frames.write_parquet(slips[:1], tmp_path / "one.parquet", ruleset=BAR)
    schemas = {
        name: pq.read_schema(tmp_path / f"{name}.parquet")
        for name in ("plain", "ledger", "export", "frames", "one")
    }
    plain = schemas["plain"]
    for name, schema in schemas.items():
        assert schema.equals(plain, check_metadata=False), name
    assert str(plain.field("fact.performance").type) == "string"
    assert str(plain.field("fact.commission_pay_date").type) == "date32[day]"


def test_bank_slips_in_row_groups_of_one_through_write_slips_and_frames(tmp_path: Path) -> None:
    from cmrules import frames
    from cmrules.outputs import write_slips
    from cmrules.outputs.render import _arrow

    slips = _bank_slips()
    ruleset = load_ruleset(BANK)
    with pytest.raises(pa.ArrowInvalid):
        frames.write_parquet(slips, tmp_path / "undeclared.parquet", row_group=1)
    assert frames.write_parquet(slips, tmp_path / "frames.parquet", row_group=1, ruleset=ruleset) == 5
    # write_slips streams through a writer with row groups of _arrow.ROW_GROUP slips
    before = _arrow.ROW_GROUP
    _arrow.ROW_GROUP = 1
    try:
        write_slips(slips, [], tmp_path / "slips.parquet", "parquet", declared=declared_columns(ruleset))
    finally:
        _arrow.ROW_GROUP = before
    written = pq.read_table(tmp_path / "slips.parquet")
    assert pq.ParquetFile(tmp_path / "slips.parquet").metadata.num_row_groups == 5
    assert written.schema.equals(pq.read_schema(tmp_path / "frames.parquet"), check_metadata=False)
    assert written.column("fact.completion").to_pylist()[:2] == ["1.2", "1.893939393939393939393939393939394"]
