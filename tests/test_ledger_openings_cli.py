"""``cmrules ledger import-balances``: opening balances from a file, from the command line.

Before, opening balances could only be given from Python (``Ledger.import_balances`` with a
dict); a company moving onto the ledger had no way to bring its HR export in, and a second
import silently replaced the first. Now the file is read by :mod:`cmrules.sources` (every
format and encoding of ``cmrules run``), every bad row is reported and nothing is imported,
and importing other values again, or after the period's first run, is refused.
"""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

import cmrules
from cmrules.ledger import Ledger
from tests.shipped import ROOT

DRAW = str(ROOT / "examples" / "draw_clawback.yaml")
YEN = str(ROOT / "tests" / "fixtures" / "ledger" / "whole_yen.yaml")
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 64

#: S1 owes 1,500.00 of the draw and had 12,000.00 of commission this year; S2 repays 900.00
#: of a clawback in 3 instalments.
CSV = (
    "employee,draw_owed,clawback_owed,clawback_months_left,commission_ytd\n"
    "S1,1500.00,,,12000.00\n"
    "S2,,900.00,3,\n"
)
APRIL = [
    {"employee": "S1", "commission": "20000.00"},
    {"employee": "S2", "commission": "15000.00"},
]


def _cli(*args: str) -> tuple[int, str, str]:
    from cmrules.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def _import(book: Path, source: Path, *more: str, period: str = "2026-04") -> tuple[int, str]:
    code, out, err = _cli(
        "ledger", "import-balances", "--ledger", str(book), "--period", period, DRAW, str(source), *more
    )
    assert out == ""
    return code, err


def _openings(book: Path) -> list[tuple[str, ...]]:
    if not book.exists():
        return []
    db = sqlite3.connect(book)
    try:
        return sorted(db.execute("SELECT employee, name, value FROM openings").fetchall())
    finally:
        db.close()


def _april(book: Path) -> dict[str, cmrules.PaySlip]:
    with Ledger(book) as ledger:
        return {slip.employee: slip for slip in ledger.run(DRAW, "2026-04", APRIL).slips}


def test_a_csv_of_opening_balances_is_imported_and_the_first_run_starts_from_it(tmp_path: Path) -> None:
    source = tmp_path / "openings.csv"
    source.write_text(CSV, encoding="utf-8")
    book = tmp_path / "pay.db"
    code, err = _import(book, source)
    assert code == EXIT_OK
    assert (
        err == "imported 4 opening value(s) of 2 employee(s) before 2026-04 into "
        f"{book} (ruleset draw_clawback)\n"
    )
    slips = _april(book)
    s1, s2 = slips["S1"].balances, slips["S2"].balances
    assert (s1["draw_owed"].before, s1["draw_owed"].after) == (Decimal("1500.00"), Decimal("0.00"))
    assert slips["S1"].total("draw_recovery") == Decimal("-1500.00")
    assert slips["S1"].net == Decimal("18500.00")
    assert (s1["commission_ytd"].before, s1["commission_ytd"].after) == (
        Decimal("12000.00"),
        Decimal("32000.00"),
    )
    assert s1["clawback_owed"].before == Decimal("0.00")  # an empty cell: the initial value
    assert (s2["clawback_owed"].before, s2["clawback_owed"].after) == (Decimal("900.00"), Decimal("600.00"))
    assert (s2["clawback_months_left"].before, s2["clawback_months_left"].after) == (3, 2)
    assert slips["S2"].net == Decimal("14700.00")
    with Ledger(book) as ledger:
        (entry,) = [e for e in ledger.log() if e["event"] == "import"]
    assert (entry["period"], entry["detail"]) == ("2026-04", {"employees": 2, "values": 4})


def test_a_gbk_csv_with_chinese_headers_is_read_with_or_without_encoding(tmp_path: Path) -> None:
    text = "工号,待收回预支,待追回提成,追回剩余期数,本年累计提成\nS1,1500.00,,,12000.00\nS2,,900.00,3,\n"
    source = tmp_path / "期初余额.csv"
    source.write_bytes(text.encode("gbk"))
    code, err = _import(tmp_path / "a.db", source, "--encoding", "gb18030")
    assert code == EXIT_OK, err
    assert err.startswith("imported 4 opening value(s) of 2 employee(s)")
    code, err = _import(tmp_path / "b.db", source)  # as `cmrules run`: read as GB18030, with a note
    assert code == EXIT_OK, err
    assert err.splitlines()[0] == f"{source} is not UTF-8: read as GB18030 (give --encoding to say which)"
    assert _openings(tmp_path / "a.db") == _openings(tmp_path / "b.db")
    assert ("S2", "clawback_months_left", "3") in _openings(tmp_path / "a.db")
    code, err = _import(tmp_path / "c.db", source, "--encoding", "utf-8")
    assert code == EXIT_ERROR
    assert err == f"cannot read input: {source}:1: not UTF-8 text (byte 0)\n"


def test_every_bad_row_is_reported_and_nothing_is_imported(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(
        "employee,draw_owed,clawback_months_left\n"
        "S1,1500.001,x\n"
        ",3.00,1\n"
        "S1,1.00,2\n"
        "S3,１２,1.5\n"
        "S4,12.50,2\n"
        'S5,"1,500.00",-1\n',
        encoding="utf-8",
    )
    book = tmp_path / "pay.db"
    code, err = _import(book, source)
    assert code == EXIT_ERROR
    assert err.splitlines() == [
        f"cmrules ledger import-balances: {source}: 6 problem(s) in 4 row(s), nothing imported:",
        "  employee S1 (row 1, line 2): draw_owed = '1500.001': more than 2 decimal places"
        " (the ruleset's money)",
        "  employee S1 (row 1, line 2): clawback_months_left = 'x': not a number",
        "  no employee (row 2, line 3): employee = (empty): no employee id",
        "  employee S1 (row 3, line 4): employee = 'S1': given twice (first in row 1)",
        "  employee S3 (row 4, line 5): draw_owed = '１２': contains '１' (U+FF11, FULLWIDTH DIGIT ONE):"
        " write it with ASCII characters only",
        "  employee S3 (row 4, line 5): clawback_months_left = '1.5': not a whole number"
        " (the balance counts)",
    ]
    assert _openings(book) == []  # S4 and S5 were good: not imported either


def test_a_column_that_is_no_balance_is_refused_with_its_place_and_a_suggestion(tmp_path: Path) -> None:
    source = tmp_path / "typo.csv"
    source.write_text("employee,draw_owe\nS1,1.00\n", encoding="utf-8")
    code, err = _import(tmp_path / "pay.db", source)
    assert code == EXIT_ERROR
    assert err == (
        f"cannot read input: {source}:1: column 'draw_owe' is not a balance of ruleset draw_clawback"
        " (its balances: carried_deductions, clawback_months_left, clawback_owed, commission_ytd,"
        " draw_owed); did you mean 'draw_owed'?\n"
    )
    source.write_text("name,draw_owed\nS1,1.00\n", encoding="utf-8")
    code, err = _import(tmp_path / "pay.db", source)
    assert (code, "did you mean" in err) == (EXIT_ERROR, False)
    source.write_text("draw_owed\n1.00\n", encoding="utf-8")
    code, err = _import(tmp_path / "pay.db", source)
    assert (code, err) == (
        EXIT_ERROR,
        f"cannot read input: {source}:1: no employee column (employee, 员工 or 工号)\n",
    )


@pytest.mark.parametrize(
    ("name", "text", "why"),
    [
        ("missing.csv", None, "no such file"),
        ("empty.csv", "employee,draw_owed\n", "no employees in"),
        ("broken.json", '[{"employee": "S1",', ":1: the JSON array is not closed"),
    ],
)
def test_a_file_that_cannot_be_read_exits_1_naming_it(
    tmp_path: Path, name: str, text: str | None, why: str
) -> None:
    source = tmp_path / name
    if text is not None:
        source.write_text(text, encoding="utf-8")
    code, err = _import(tmp_path / "pay.db", source)
    assert code == EXIT_ERROR
    assert err.startswith(f"cannot read input: {source}") and why in err, err
    assert _openings(tmp_path / "pay.db") == []


def test_a_period_column_must_be_the_period_imported(tmp_path: Path) -> None:
    source = tmp_path / "with_period.csv"
    source.write_text("employee,period,draw_owed\nS1,2026-04,1.00\nS2,2026-05,2.00\n", encoding="utf-8")
    code, err = _import(tmp_path / "pay.db", source)
    assert code == EXIT_ERROR
    assert (
        "employee S2 (row 2, line 3): period = '2026-05': the file is imported before 2026-04:"
        " this row is for another period" in err
    )


def test_importing_other_values_again_is_refused_unless_replace_and_the_same_again_is_nothing(
    tmp_path: Path,
) -> None:
    source = tmp_path / "openings.csv"
    source.write_text(CSV, encoding="utf-8")
    book = tmp_path / "pay.db"
    assert _import(book, source)[0] == EXIT_OK
    code, err = _import(book, source)  # a retry: nothing changes
    assert (code, err) == (
        EXIT_OK,
        f"nothing new: the 4 opening value(s) of 2 employee(s) before 2026-04 were already in {book}\n",
    )
    other = tmp_path / "other.csv"
    other.write_text("employee,draw_owed,commission_ytd\nS1,1600.00,12000.00\nS3,10.00,\n", encoding="utf-8")
    before = _openings(book)
    code, err = _import(book, other)
    assert code == EXIT_ERROR
    assert err == (
        "cmrules ledger import-balances: ruleset draw_clawback: 1 opening balance(s) before 2026-04 were"
        " already imported with another value (S1 draw_owed 1500.00 -> 1600.00): nothing imported;"
        " import the same values, or replace them with --replace\n"
    )
    assert _openings(book) == before  # not even S3's new value
    code, err = _import(book, other, "--replace")
    assert code == EXIT_OK
    assert err.endswith("(ruleset draw_clawback); 1 were already there\n")
    kept = _openings(book)
    assert ("S1", "draw_owed", "1600.00") in kept and ("S3", "draw_owed", "10.00") in kept


def test_importing_after_the_first_run_of_the_period_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "openings.csv"
    source.write_text(CSV, encoding="utf-8")
    book = tmp_path / "pay.db"
    assert _import(book, source)[0] == EXIT_OK
    _april(book)
    late = tmp_path / "late.csv"
    late.write_text("employee,draw_owed\nS9,1.00\n", encoding="utf-8")
    for extra in ((), ("--replace",)):
        code, err = _import(book, late, *extra)
        assert (code, err) == (
            EXIT_ERROR,
            "cmrules ledger import-balances: ruleset draw_clawback already has a run for 2026-04:"
            " opening balances before 2026-04 come too late\n",
        )
    code, err = _import(book, late, period="2026-03")  # before an earlier period: as late
    assert code == EXIT_ERROR and "already has a run for 2026-04" in err
    assert _import(book, source)[0] == EXIT_OK  # the same values: nothing to refuse


def test_usage_errors_exit_64(tmp_path: Path) -> None:
    source = tmp_path / "openings.csv"
    source.write_text(CSV, encoding="utf-8")
    for args in (
        ["--ledger", str(tmp_path / "p.db"), DRAW, str(source)],  # no --period
        ["--period", "2026-04", DRAW, str(source)],  # no --ledger
        ["--ledger", str(tmp_path / "p.db"), "--period", "2026-4", DRAW, str(source)],
        [
            "--ledger",
            str(tmp_path / "p.db"),
            "--period",
            "2026-04",
            "--encoding",
            "latin-1",
            DRAW,
            str(source),
        ],
    ):
        code, _, err = _cli("ledger", "import-balances", *args)
        assert code == EXIT_USAGE, (args, err)
    assert not (tmp_path / "p.db").exists()


def test_a_ruleset_with_errors_exits_1(tmp_path: Path) -> None:
    ruleset = tmp_path / "broken.yaml"
    ruleset.write_text("cmrules: 1\nid: broken\nrules: [\n", encoding="utf-8")
    source = tmp_path / "openings.csv"
    source.write_text(CSV, encoding="utf-8")
    code, _, err = _cli(
        "ledger",
        "import-balances",
        "--ledger",
        str(tmp_path / "p.db"),
        "--period",
        "2026-04",
        str(ruleset),
        str(source),
    )
    assert code == EXIT_ERROR and str(ruleset) in err


def test_show_prints_the_opening_balances_of_an_employee_without_slips(tmp_path: Path) -> None:
    source = tmp_path / "openings.json"
    source.write_text(json.dumps([{"employee": "Y1", "paid_to_date": 84000}]), encoding="utf-8")
    book = tmp_path / "pay.db"
    code, _, err = _cli(
        "ledger", "import-balances", "--ledger", str(book), "--period", "2026-07", YEN, str(source)
    )
    assert code == EXIT_OK, err
    code, out, err = _cli("ledger", "show", "--ledger", str(book), "--employee", "Y1")
    assert (code, out) == (EXIT_OK, "")
    assert err == "before 2026-07 whole_yen (opening balances): paid_to_date 84000\n"
    draw = tmp_path / "draw.db"
    source.write_text(json.dumps([{"employee": "S1", "draw_owed": 1500}]), encoding="utf-8")
    assert _import(draw, source)[0] == EXIT_OK
    _april(draw)
    code, out, err = _cli("ledger", "show", "--ledger", str(draw), "--employee", "S1")
    assert err.splitlines()[0] == "before 2026-04 draw_clawback (opening balances): draw_owed 1500.00"
    assert err.splitlines()[1].startswith("2026-04 draw_clawback (open): net 18500.00, ")


def test_show_totals_a_run_without_slips_at_the_rulesets_places(tmp_path: Path) -> None:
    book = tmp_path / "pay.db"
    with Ledger(book) as ledger:
        run = ledger.run(YEN, "2026-07", [{"employee": "Y1", "pay": "-1"}])
        assert run.slips == [] and len(run.failures) == 1
    code, _, err = _cli("ledger", "show", "--ledger", str(book), "--period", "2026-07")
    assert code == EXIT_OK
    assert err == "2026-07 whole_yen (open): 0 paid, 1 failed, net 0, carried forward 0\n"


def test_columns_and_input_format_are_read_as_by_run(tmp_path: Path) -> None:
    mapping = tmp_path / "columns.json"
    mapping.write_text(json.dumps({"人员": "employee", "预支欠款": "draw_owed"}), encoding="utf-8")
    source = tmp_path / "openings.txt"
    source.write_text(
        '{"人员": "S1", "预支欠款": "1500.00"}\n{"人员": 7, "预支欠款": 20}\n', encoding="utf-8"
    )
    book = tmp_path / "pay.db"
    code, err = _import(book, source, "--input-format", "jsonl", "--columns", str(mapping))
    assert code == EXIT_OK, err
    assert _openings(book) == [("7", "draw_owed", "20.00"), ("S1", "draw_owed", "1500.00")]


def test_a_busy_ledger_exits_75_and_imports_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cmrules.ledger._store

    monkeypatch.setattr(cmrules.ledger._store, "BUSY_TIMEOUT", 0.05)
    source = tmp_path / "openings.csv"
    source.write_text(CSV, encoding="utf-8")
    book = tmp_path / "pay.db"
    Ledger(book).disconnect()
    other = sqlite3.connect(book, isolation_level=None)  # another writer holds the lock
    other.execute("BEGIN IMMEDIATE")
    try:
        code, err = _import(book, source)
        assert code == 75 and "is busy" in err and "retry" in err
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert _openings(book) == []
    assert _import(book, source)[0] == EXIT_OK
