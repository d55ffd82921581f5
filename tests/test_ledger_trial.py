"""What a user trial of the ledger found (F3, F4, F5, F7), each as it holds now.

Before:

* F3: an employee whose record failed this period was listed as ``left`` (a leaver), and was
  counted as ``joined`` when paid the period after;
* F4: re-running an open period where every record failed replaced its good run: every slip
  of the period was gone from the ledger;
* F5: a ledger busy with another writer (``LedgerBusy``, a ``UsageError``) exited 64, and so
  did a damaged file or one of a newer schema (a damaged page even ended in a traceback); an
  SQLite file of another program got the ledger's tables added to it;
* F7: ``cmrules close`` refused for failures named the Python keyword ``allow_failures=True``.
"""

from __future__ import annotations

import contextlib
import io
import json
import pickle
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import cmrules
import cmrules.errors
from cmrules.ledger import SCHEMA_VERSION, Ledger, LedgerBusy, LedgerError, LedgerFileError, LedgerRefused
from tests.shipped import ROOT

BAR = cmrules.load_ruleset("bar_customer_manager")
EXIT_OK, EXIT_ERROR, EXIT_EMPLOYEES, EXIT_BUSY = 0, 1, 2, 75


def bar(employee: str, period: str, sales: str = "52000.00", **more: Any) -> dict[str, Any]:
    """A bar employee-month: one booking of ``sales`` (``"abc"`` makes the record fail)."""
    booking = {"date": f"{period}-03", "amount": sales, "registered_minutes_before": 30}
    return {"employee": employee, "period": period, "bookings": [booking], **more}


def _cli(*args: str) -> tuple[int, str, str]:
    from cmrules.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def _file(path: Path, records: list[dict[str, Any]]) -> str:
    path.write_text(json.dumps(records), encoding="utf-8")
    return str(path)


# -- F3: a failed employee is not a leaver ---------------------------------------------------
def test_an_employee_whose_record_failed_is_unpaid_not_a_leaver() -> None:
    with Ledger(":memory:") as book:
        may = book.run(BAR, "2024-05", [bar("B001", "2024-05", absent_days=20), bar("B002", "2024-05")])
        assert may.slips[0].carry_forward > 0  # B001 carries a fine into June
        june = book.run(BAR, "2024-06", [bar("B001", "2024-06", "abc"), bar("B002", "2024-06")])
        assert [s.employee for s in june.slips] == ["B002"]
        assert (june.joined, june.left, june.unpaid) == ([], [], ["B001"])
        july = book.run(BAR, "2024-07", [bar("B001", "2024-07"), bar("B003", "2024-07")])
        # B001 failed in June: not a joiner in July; B002 was paid in June and is gone: a leaver
        assert (july.joined, july.left, july.unpaid) == (["B003"], ["B002"], [])
        # the carry state B001 had before June is untouched by the failed June: July starts from May's
        assert july.slips[0].employee == "B001"
        assert july.slips[0].total("carried_deductions") == -may.slips[0].carry_forward
        history = book.history("B001")
    assert [(h["period"], h["balances"]["carried_deductions"]["before"]) for h in history] == [
        ("2024-05", "0.00"),
        ("2024-07", str(may.slips[0].carry_forward)),
    ]


def test_a_record_failed_twice_in_one_input_of_someone_paid_is_not_unpaid() -> None:
    """An employee given twice is paid once (``input.duplicate`` for the second): paid, not unpaid."""
    with Ledger(":memory:") as book:
        run = book.run(BAR, "2024-05", [bar("B001", "2024-05"), bar("B001", "2024-05")])
    assert [s.employee for s in run.slips] == ["B001"] and run.failures
    assert run.unpaid == []


def test_the_command_line_says_failed_not_left(tmp_path: Path) -> None:
    book = str(tmp_path / "pay.db")
    may = _file(tmp_path / "may.json", [bar("B001", "2024-05"), bar("B002", "2024-05")])
    june = _file(tmp_path / "june.json", [bar("B001", "2024-06", "abc"), bar("B002", "2024-06")])
    assert _cli("run", "bar_customer_manager", may, "--ledger", book)[0] == EXIT_OK
    code, _, err = _cli("run", "bar_customer_manager", june, "--ledger", book)
    assert code == EXIT_EMPLOYEES
    assert "left:" not in err
    assert "failed, not paid (balances kept for the next period): B001" in err


# -- F4: a re-run that would lose paid slips is refused unless forced --------------------------
def test_a_rerun_where_every_record_fails_is_refused_and_the_good_run_kept() -> None:
    good = [bar("B001", "2024-05"), bar("B002", "2024-05")]
    bad = [bar("B001", "2024-05", "abc"), bar("B002", "2024-05", "abc")]
    with Ledger(":memory:") as book:
        first = book.run(BAR, "2024-05", good)
        before = book.slips("2024-05", BAR)
        with pytest.raises(LedgerRefused) as refused:
            book.run(BAR, "2024-05", bad)
        text = str(refused.value)
        assert "this run pays 0 employee(s) (2 failed)" in text and f"(run {first.run}) paid 2" in text
        assert text.endswith("or replace it anyway with force=True")
        assert [f["employee"] for f in refused.value.failures] == ["B001", "B002"]
        assert book.slips("2024-05", BAR) == before  # nothing changed
        assert [t["paid"] for t in book.totals("2024-05")] == [2]
        assert [e["event"] for e in book.log()] == ["run"]
        # fewer paid than before, not only none, is refused too; the same number is a plain re-run
        with pytest.raises(LedgerRefused, match="this run pays 1 employee"):
            book.run(BAR, "2024-05", [good[0], bad[1]])
        again = book.run(BAR, "2024-05", [bar("B001", "2024-05", "62000.00"), good[1]])
        assert len(again.slips) == 2
        forced = book.run(BAR, "2024-05", bad, force=True)
        assert forced.slips == [] and [t["paid"] for t in book.totals("2024-05")] == [0]
        assert [e["detail"].get("forced") for e in book.log()] == [None, None, 2]


def test_the_command_line_refuses_a_rerun_that_loses_slips_unless_forced(tmp_path: Path) -> None:
    book, out = str(tmp_path / "pay.db"), tmp_path / "slips.csv"
    good = _file(tmp_path / "good.json", [bar("B001", "2024-05"), bar("B002", "2024-05")])
    bad = _file(tmp_path / "bad.json", [bar("B001", "2024-05", "abc"), bar("B002", "2024-05", "abc")])
    assert _cli("run", "bar_customer_manager", good, "--ledger", book)[0] == EXIT_OK
    code, stdout, err = _cli("run", "bar_customer_manager", bad, "--ledger", book, "-o", str(out))
    assert code == EXIT_ERROR and stdout == "" and not out.exists()
    assert "employee B001" in err and "employee B002" in err  # what to fix
    assert "paid 2: refused" in err and "pays 0 employee(s) (2 failed)" in err
    assert err.rstrip().endswith("or replace it anyway with --force") and "force=True" not in err
    with Ledger(book) as ledger:
        assert [t["paid"] for t in ledger.totals("2024-05")] == [2]
    code, _, err = _cli("run", "bar_customer_manager", bad, "--ledger", book, "--force")
    assert code == EXIT_EMPLOYEES and "0 slips of 2024-05 kept" in err
    assert _cli("run", "bar_customer_manager", good, "--force")[0] == 64  # --force needs --ledger


# -- F5: exit codes and exception types of a busy, damaged or newer ledger ----------------------
def test_the_ledger_errors_are_not_usage_errors() -> None:
    for cls in (LedgerBusy, LedgerFileError, LedgerRefused):
        assert cls.__bases__ == (LedgerError,)
        assert not issubclass(cls, cmrules.UsageError)
        assert f"── {cls.__name__} " in (cmrules.errors.__doc__ or "")
        assert f"── {cls.__name__} " in (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert LedgerError.__bases__ == (cmrules.CmrulesError,)
    assert cmrules.LedgerBusy is LedgerBusy


@pytest.mark.parametrize(
    "error",
    [
        LedgerFileError("pay.db", "damaged"),
        LedgerRefused("or {override}", "force=True", "--force", [{"employee": "B1"}]),
        LedgerBusy("pay.db is busy"),
    ],
)
def test_the_ledger_errors_pickle(error: LedgerError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), vars(copy)) == (type(error), str(error), vars(error))


def test_a_busy_ledger_exits_75_and_says_retry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cmrules.ledger._store

    monkeypatch.setattr(cmrules.ledger._store, "BUSY_TIMEOUT", 0.05)
    book = str(tmp_path / "pay.db")
    may = _file(tmp_path / "may.json", [bar("B001", "2024-05")])
    assert _cli("run", "bar_customer_manager", may, "--ledger", book)[0] == EXIT_OK
    other = sqlite3.connect(book, isolation_level=None)  # another writer holds the lock
    other.execute("BEGIN IMMEDIATE")
    try:
        for args in (
            ["close", "--ledger", book, "2024-05"],
            ["run", "bar_customer_manager", may, "--ledger", book],
        ):
            code, _, err = _cli(*args)
            assert code == EXIT_BUSY, err
            assert f"{book} is busy: another process is writing to it" in err and "retry" in err
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert _cli("close", "--ledger", book, "2024-05")[0] == EXIT_OK


def test_a_ledger_of_a_newer_schema_exits_1_naming_the_file_and_versions(tmp_path: Path) -> None:
    book = tmp_path / "pay.db"
    may = _file(tmp_path / "may.json", [bar("B001", "2024-05")])
    assert _cli("run", "bar_customer_manager", may, "--ledger", str(book))[0] == EXIT_OK
    db = sqlite3.connect(book)
    db.execute("UPDATE schema_version SET version = 99")
    db.commit()
    db.close()
    code, _, err = _cli("close", "--ledger", str(book), "2024-05")
    assert code == EXIT_ERROR
    assert (
        f"{book}: the ledger has schema version 99, newer than this cmrules knows (up to {SCHEMA_VERSION})"
        in err
    )
    with pytest.raises(LedgerFileError) as caught:
        Ledger(book)
    assert caught.value.path == str(book)


def test_a_file_that_is_not_a_database_exits_1(tmp_path: Path) -> None:
    book = tmp_path / "pay.db"
    book.write_text("payroll notes, not a database\n" * 10, encoding="utf-8")
    code, _, err = _cli("close", "--ledger", str(book), "2024-05")
    assert code == EXIT_ERROR and f"{book}: the ledger file is damaged or not an SQLite database" in err


def test_a_damaged_ledger_exits_1_instead_of_a_traceback(tmp_path: Path) -> None:
    book = tmp_path / "pay.db"
    may = _file(tmp_path / "may.json", [bar(f"B{n:03d}", "2024-05") for n in range(60)])
    assert _cli("run", "bar_customer_manager", may, "--ledger", str(book))[0] == EXIT_OK
    db = sqlite3.connect(book)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(book.read_bytes())
    assert len(data) > 3 * 4096
    for at in range(2 * 4096, len(data), 4096):  # every page after the first two overwritten
        data[at : at + 200] = b"\xff" * 200
    book.write_bytes(bytes(data))
    for args in (
        ["close", "--ledger", str(book), "2024-05"],
        ["ledger", "show", "--ledger", str(book), "--period", "2024-05"],
    ):
        code, _, err = _cli(*args)
        assert code == EXIT_ERROR, err
        assert f"{book}: the ledger file is damaged" in err and "Traceback" not in err


def test_another_programs_database_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    other = tmp_path / "crm.db"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE customers (name TEXT)")
    db.commit()
    db.close()
    may = _file(tmp_path / "may.json", [bar("B001", "2024-05")])
    code, _, err = _cli("run", "bar_customer_manager", may, "--ledger", str(other))
    assert code == EXIT_ERROR and "not a cmrules ledger (it has no schema_version table" in err
    db = sqlite3.connect(other)
    assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("customers",)]
    db.close()


# -- F7: the command line names its own option --------------------------------------------------
def test_close_refused_for_failures_names_the_option_on_the_command_line(tmp_path: Path) -> None:
    book = str(tmp_path / "pay.db")
    may = _file(tmp_path / "may.json", [bar("B001", "2024-05"), bar("B009", "2024-05", "abc")])
    assert _cli("run", "bar_customer_manager", may, "--ledger", book)[0] == EXIT_EMPLOYEES
    code, _, err = _cli("close", "--ledger", book, "2024-05")
    assert code == EXIT_ERROR
    assert "1 failed record(s)" in err and "or close with --allow-failures" in err
    assert "allow_failures" not in err
    code, _, err = _cli("run", "bar_customer_manager", may, "--ledger", book, "--close")
    assert code == EXIT_EMPLOYEES and "not closed" in err
    assert "--allow-failures" in err and "allow_failures" not in err
    with Ledger(book) as ledger, pytest.raises(LedgerRefused, match=r"close with allow_failures=True$"):
        ledger.close("2024-05")  # the Python API keeps its keyword
    assert _cli("close", "--ledger", book, "2024-05", "--allow-failures")[0] == EXIT_OK
