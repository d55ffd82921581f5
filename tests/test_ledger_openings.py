"""Opening balances read from a file (``cmrules.ledger.read_openings``) in every input format,
with a column mapping, and checked before they reach the ledger."""

from __future__ import annotations

import json
import pickle
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import cmrules
from cmrules.commands import import_balances_file
from cmrules.ledger import Ledger, LedgerRefused, OpeningsFileError, read_openings
from tests.shipped import ROOT

DRAW = cmrules.load_ruleset(ROOT / "examples" / "draw_clawback.yaml")
ROWS: list[dict[str, Any]] = [
    {"employee": "S1", "draw_owed": "1500.00", "commission_ytd": "12000.50"},
    {"employee": "S2", "clawback_owed": "900.00", "clawback_months_left": 3},
]
EXPECTED = [
    ("draw_clawback", "2026-04", "S1", "draw_owed", "1500.00"),
    ("draw_clawback", "2026-04", "S1", "commission_ytd", "12000.50"),
    ("draw_clawback", "2026-04", "S2", "clawback_owed", "900.00"),
    ("draw_clawback", "2026-04", "S2", "clawback_months_left", "3"),
]


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    """``rows`` in the format of ``path``'s suffix (numbers as HR's tools write them)."""
    fmt = path.suffix[1:]
    names = list(dict.fromkeys(key for row in rows for key in row))
    if fmt == "json":
        path.write_text(json.dumps(rows), encoding="utf-8")
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    elif fmt == "yaml":
        import yaml

        path.write_text(yaml.safe_dump(rows, allow_unicode=True, sort_keys=False), encoding="utf-8")
    elif fmt == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        book.active.append(names)
        for row in rows:  # money as number cells, as Excel keeps them
            book.active.append([_number(row.get(name)) for name in names])
        book.save(path)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {name: [_number(row.get(name)) for row in rows] for name in names}
        columns["employee"] = [row["employee"] for row in rows]
        pq.write_table(pa.table(columns), path)
    return path


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, str) and "." in value else value


@pytest.mark.parametrize("suffix", ["json", "jsonl", "yaml", "xlsx", "parquet"])
def test_every_input_format_gives_the_same_openings(tmp_path: Path, suffix: str) -> None:
    source = _write(tmp_path / f"openings.{suffix}", ROWS)
    openings = read_openings(DRAW, "2026-04", source)
    assert (openings.ruleset, openings.period, openings.employees) == ("draw_clawback", "2026-04", 2)
    assert openings.rows == EXPECTED


def test_a_float_that_is_not_exact_at_the_places_is_refused_in_parquet(tmp_path: Path) -> None:
    source = _write(tmp_path / "openings.parquet", [{"employee": "S1", "draw_owed": "0.125"}])
    with pytest.raises(OpeningsFileError) as caught:
        read_openings(DRAW, "2026-04", source)
    (problem,) = caught.value.problems
    assert (problem.employee, problem.field, problem.record) == ("S1", "draw_owed", 1)
    assert "a binary float is not exact" in problem.message


def test_a_column_mapping_and_english_labels_name_the_balances(tmp_path: Path) -> None:
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("人员: employee\n预支欠款: draw_owed\n", encoding="utf-8")
    source = tmp_path / "openings.csv"
    source.write_text("人员,预支欠款,Commission year to date\nS1,1500.00,12000.50\n", encoding="utf-8")
    openings = read_openings(DRAW, "2026-04", source, columns=mapping)
    assert openings.rows == EXPECTED[:2]
    assert (
        read_openings(DRAW, "2026-04", source, columns={"人员": "employee", "预支欠款": "draw_owed"}).rows
        == (EXPECTED[:2])
    )


def test_the_file_error_names_every_problem_and_pickles(tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text('{"employee": "S1", "draw_owed": 1.5}\n{"employee": "S2", "ytd": "1"}\nnot json\n')
    with pytest.raises(OpeningsFileError) as caught:
        read_openings(DRAW, "2026-04", source)
    error = caught.value
    assert [(p.record, p.line, p.employee, p.field) for p in error.problems] == [
        (1, 1, "S1", "draw_owed"),
        (2, 2, "S2", "ytd"),
        (3, 3, None, "record"),
    ]
    assert "ruleset draw_clawback has no balance 'ytd'" in str(error)
    assert isinstance(error, cmrules.errors.InputFileError) and error.path == str(source)
    again = pickle.loads(pickle.dumps(error))
    assert (str(again), again.problems) == (str(error), error.problems)


def test_checked_openings_go_only_to_their_ruleset_and_period(tmp_path: Path) -> None:
    openings = read_openings(DRAW, "2026-04", _write(tmp_path / "o.json", ROWS))
    with Ledger(":memory:") as book:
        with pytest.raises(
            cmrules.UsageError, match="cannot be imported for ruleset draw_clawback before 2026-05"
        ):
            book.import_balances(DRAW, "2026-05", openings)
        with pytest.raises(cmrules.UsageError, match="for ruleset bar_customer_manager before 2026-04"):
            book.import_balances("bar_customer_manager", "2026-04", openings)
        assert book.import_balances(DRAW, "2026-04", openings) == 4
        assert book.openings("S1") == [
            {
                "ruleset": "draw_clawback",
                "period": "2026-04",
                "balances": {"draw_owed": "1500.00", "commission_ytd": "12000.50"},
            }
        ]


def test_the_python_api_refuses_other_values_as_the_command_does() -> None:
    with Ledger(":memory:") as book:
        assert book.import_balances(DRAW, "2026-04", {"S1": {"draw_owed": "1500"}}) == 1
        assert book.import_balances(DRAW, "2026-04", {"S1": {"draw_owed": "1500.00"}}) == 0  # the same value
        with pytest.raises(LedgerRefused, match=r"S1 draw_owed 1500\.00 -> 1600\.00.*with replace=True"):
            book.import_balances(DRAW, "2026-04", {"S1": {"draw_owed": "1600"}})
        assert book.import_balances(DRAW, "2026-04", {"S1": {"draw_owed": "1600"}}, replace=True) == 1
        (slip,) = book.run(DRAW, "2026-04", [{"employee": "S1", "commission": "9000.00"}]).slips
        assert slip.balances["draw_owed"].before == Decimal("1600.00")


def test_the_command_function_starts_the_ledger_and_says_what_it_did(tmp_path: Path) -> None:
    book = tmp_path / "new.db"
    outcome = import_balances_file(DRAW, _write(tmp_path / "o.json", ROWS), book, "2026-04")
    assert outcome.summary == [
        f"imported 4 opening value(s) of 2 employee(s) before 2026-04 into {book} (ruleset draw_clawback)"
    ]
    empty = _write(tmp_path / "empty.json", [{"employee": "S9", "draw_owed": None}])
    assert import_balances_file(DRAW, empty, book, "2026-04").summary == [
        f"nothing to import: every balance of the 1 employee(s) in {empty} is empty"
    ]


def test_a_value_the_run_would_refuse_is_refused_at_import() -> None:
    # before: a negative carried_deductions was imported, and the first run failed the employee
    # (input.constraint: must be >= 0)
    with Ledger(":memory:") as book:
        with pytest.raises(cmrules.UsageError, match=r"carried_deductions = '-5\.00': must be >= 0"):
            book.import_balances(
                DRAW, "2026-04", {"S1": {"carried_deductions": "-5.00", "draw_owed": "-5.00"}}
            )
        assert book.openings("S1") == []
        assert (
            book.import_balances(
                DRAW, "2026-04", {"S1": {"carried_deductions": "5.00", "draw_owed": "-5.00"}}
            )
            == 2
        )


def test_an_employee_id_with_a_character_that_does_not_show_is_refused_at_import(tmp_path: Path) -> None:
    # before: S1 + U+200B was kept, the run (which refuses that id) never read it, and S1 began
    # the period owing nothing
    source = tmp_path / "openings.jsonl"
    source.write_text('{"employee": "S1\\u200b", "draw_owed": "1500.00"}\n', encoding="utf-8")
    with pytest.raises(OpeningsFileError) as caught:
        read_openings(DRAW, "2026-04", source)
    (problem,) = caught.value.problems
    assert (problem.record, problem.employee, problem.field) == (1, "S1\u200b", "employee")
    assert (
        problem.message
        == "the employee id has a character that does not show (ZERO WIDTH SPACE, at 3): retype it"
    )
