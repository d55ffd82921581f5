"""``cmrules run --ledger`` honours the options of ``cmrules run``, and ``--close`` refused still reports.

Before: ``--columns`` and the built-in headers (工号, 月份) were not read (the run stopped on
unknown columns), ``--detail`` was ignored (JSON always had the trace), and a ``--close``
refused because of a failed record exited 1 with the run already kept in the ledger but no
slips written and the failed employee never named.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from cmrules.errors import UsageError
from tests.shipped import ROOT

RULESET = str(ROOT / "rulesets" / "bar_customer_manager.yaml")
BOOKING = [{"date": "2024-05-03", "amount": "52000.00", "registered_minutes_before": 15}]


def _cli(*args: str) -> tuple[int, str, str]:
    from cmrules.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_hr_headers_and_columns_are_read(tmp_path: Path) -> None:
    cell = json.dumps(BOOKING).replace('"', '""')
    data = tmp_path / "hr.csv"
    data.write_text(f'工号,月份,定台记录\nB001,2024-05,"{cell}"\n', encoding="utf-8")
    (tmp_path / "columns.yaml").write_text("定台记录: bookings\n", encoding="utf-8")
    book, columns = str(tmp_path / "pay.db"), str(tmp_path / "columns.yaml")
    code, out, err = _cli(
        "run", RULESET, str(data), "--ledger", book, "--columns", columns, "--format", "csv"
    )
    assert code == 0, err
    assert "B001,2024-05" in out and "1 slips of 2024-05 kept" in err


def test_detail_is_honoured(tmp_path: Path) -> None:
    data = tmp_path / "may.json"
    data.write_text(json.dumps([{"employee": "B001", "period": "2024-05", "bookings": BOOKING}]), "utf-8")
    book = str(tmp_path / "pay.db")
    code, out, err = _cli(
        "run", RULESET, str(data), "--ledger", book, "--format", "json", "--detail", "summary"
    )
    assert code == 0, err
    (slip,) = json.loads(out)
    assert "lines" not in slip and "trace" not in slip and slip["totals"]["net"] == "3360.00"


def test_a_refused_close_still_writes_the_slips_and_names_the_failure(tmp_path: Path) -> None:
    records = [
        {"employee": "B001", "period": "2024-05", "bookings": BOOKING},
        {"employee": "B002", "period": "2024-05", "bookings": [{**BOOKING[0], "amount": "abc"}]},
    ]
    data, out = tmp_path / "may.json", tmp_path / "slips.csv"
    data.write_text(json.dumps(records), encoding="utf-8")
    code, _, err = _cli(
        "run", RULESET, str(data), "--ledger", str(tmp_path / "pay.db"), "--close", "-o", str(out)
    )
    assert code == 2
    assert "employee B002" in err and "1 slips of 2024-05 kept" in err and "not closed" in err
    assert out.exists() and (tmp_path / "slips.csv.errors.json").exists()


def test_close_and_restate_refuse_a_ledger_file_that_is_not_there(tmp_path: Path) -> None:
    """A mistyped --ledger never creates an empty ledger to close or restate in."""
    from cmrules.commands._ledger import close_periods, restate_file

    typo = tmp_path / "typo.db"
    with pytest.raises(UsageError, match="no ledger"):
        close_periods(typo, "2024-05")
    with pytest.raises(UsageError, match="no ledger"):
        restate_file(RULESET, ROOT / "examples" / "bar_month.jsonl", typo, "2024-05")
    assert not typo.exists()
