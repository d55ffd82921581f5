"""What a run through the ledger says of a record it refuses: a period that is not one as the
input validator says it, a balance the input gives as what to do about it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cmrules.cli import main
from cmrules.commands import ledger_run
from cmrules.ledger import Ledger
from tests.shipped import ROOT

BAR = ROOT / "rulesets" / "bar_customer_manager.yaml"
CSV = ROOT / "examples" / "bar_month.csv"
DRAW = ROOT / "examples" / "draw_clawback.yaml"


def _who(failures: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [(f["employee"], f["field"], f["value"], f["code"]) for f in failures]


def test_a_period_that_is_not_one_is_input_type_through_the_ledger() -> None:
    with Ledger(":memory:") as book:
        run = book.run(
            DRAW,
            "2026-11",
            [
                {"employee": "S1", "period": "2026-11", "commission": "100.00"},
                {"employee": "S2", "period": "2026-11-15", "commission": "100.00"},
                {"employee": "S3", "period": dt.date(2026, 11, 15), "commission": "100.00"},
                {"employee": "S4", "period": "2026-12", "commission": "100.00"},
            ],
        )
    assert _who(run.failures) == [
        ("S2", "period", "2026-11-15", "input.type"),
        ("S3", "period", "2026-11-15", "input.type"),
        ("S4", "period", "2026-12", "ledger.period_mismatch"),
    ]
    # the words of the input validator, as `cmrules run` without a ledger says them
    assert run.failures[0]["message"] == "expected a period YYYY-MM (years 0001 to 9998)"
    assert (
        run.failures[1]["message"]
        == "expected a month like 2024-05, not a date (a date on the 1st is its month)"
    )


def test_a_bad_period_in_the_first_record_is_that_records_failure(tmp_path: Path) -> None:
    source = tmp_path / "month.jsonl"
    source.write_text(
        '{"employee": "S1", "period": "2026-01-15", "commission": "100.00"}\n'
        '{"employee": "S2", "period": "2026-01", "commission": "100.00"}\n',
        encoding="utf-8",
    )
    outcome = ledger_run(DRAW, source, tmp_path / "pay.db", fmt="json")
    assert outcome.period == "2026-01"
    assert _who(outcome.failures) == [("S1", "period", "2026-01-15", "input.type")]


def test_the_bar_example_into_a_new_ledger_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(BAR), str(CSV), "--ledger", str(tmp_path / "new.db")]) == 2
    said = capsys.readouterr().err
    assert "employee B010" in said and "carried_deductions" in said
    assert "the input gives balance carried_deductions, which the ledger keeps" in said
    assert "drop carried_deductions from the input" in said and "opening balance" in said
    assert "the ledger holds balance" not in said
