"""The payroll ledger: months chained through balances, closed periods final, corrections carried."""

from __future__ import annotations

import multiprocessing
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import cmrules
from cmrules.ledger import SCHEMA_VERSION, Ledger, LedgerBusy, LedgerFileError
from cmrules.ledger._store import MIGRATIONS

BAR = cmrules.load_ruleset("bar_customer_manager")


def bar(employee: str, period: str, sales: str = "52000.00", **more: Any) -> dict[str, Any]:
    """A bar employee-month: one booking of ``sales`` and any other inputs."""
    booking = {"date": f"{period}-03", "amount": sales, "registered_minutes_before": 30}
    return {"employee": employee, "period": period, "bookings": [booking], **more}


#: Three months: B001 is absent 20 days in May (a fine far above the pay: carried twice).
MONTHS = {
    "2024-05": [bar("B001", "2024-05", "10000.00", absent_days=20), bar("B002", "2024-05")],
    "2024-06": [bar("B001", "2024-06", "30000.00"), bar("B002", "2024-06", "62000.00")],
    "2024-07": [bar("B001", "2024-07", "62000.00"), bar("B002", "2024-07")],
}


def by_hand() -> dict[str, list[cmrules.PaySlip]]:
    """Each month evaluated alone, carried_deductions typed from the previous carry_forward."""
    carried: dict[str, Decimal] = {}
    out = {}
    for period, records in MONTHS.items():
        out[period] = [
            BAR.evaluate({**r, "carried_deductions": str(carried.get(r["employee"], "0.00"))})
            for r in records
        ]
        carried = {s.employee: s.carry_forward for s in out[period]}
    return out


def test_three_bar_months_through_the_ledger_are_the_months_by_hand() -> None:
    expected = by_hand()
    assert expected["2024-05"][0].carry_forward > 0
    assert expected["2024-06"][0].carry_forward > 0  # carried into July too
    with Ledger(":memory:") as book:
        for period, records in MONTHS.items():
            result = book.run(BAR, period, [{k: v for k, v in r.items() if k != "period"} for r in records])
            assert result.failures == []
            assert [s.to_json() for s in result.slips] == [s.to_json() for s in expected[period]]
            book.close(period)
        history = book.history("B001")
    assert [h["balances"]["carried_deductions"]["after"] for h in history] == [
        str(expected[p][0].carry_forward) for p in MONTHS
    ]


def test_a_record_may_not_give_a_balance_or_another_period() -> None:
    with Ledger(":memory:") as book:
        result = book.run(
            BAR,
            "2024-05",
            [
                bar("B001", "2024-05", carried_deductions="100.00"),
                bar("B002", "2024-06"),
                bar("B003", "2024-05"),
            ],
        )
    assert [s.employee for s in result.slips] == ["B003"]
    assert [(f["employee"], f["record"], f["field"], f["code"]) for f in result.failures] == [
        ("B001", 1, "carried_deductions", "ledger.balance_given"),
        ("B002", 2, "period", "ledger.period_mismatch"),
    ]


def test_running_an_open_period_again_replaces_its_run() -> None:
    with Ledger(":memory:") as book:
        book.run(BAR, "2024-05", MONTHS["2024-05"])
        # fewer paid than the run it replaces: only when forced (tests/test_ledger_trial.py)
        again = book.run(BAR, "2024-05", [bar("B002", "2024-05")], force=True)
        assert [s.employee for s in again.slips] == ["B002"]
        assert [t["paid"] for t in book.totals("2024-05")] == [1]
        assert book.history("B001") == []
        assert [e["detail"]["replaced"] for e in book.log()] == [None, 1]


def test_an_earlier_period_than_a_run_is_refused_and_a_closed_one_says_so() -> None:
    with Ledger(":memory:") as book:
        book.run(BAR, "2024-06", MONTHS["2024-06"])
        with pytest.raises(cmrules.CmrulesError, match="already has a run for 2024-06"):
            book.run(BAR, "2024-05", MONTHS["2024-05"])
        book.close("2024-06")
        with pytest.raises(cmrules.CmrulesError, match="2024-06 of ruleset bar_customer_manager is closed"):
            book.run(BAR, "2024-06", MONTHS["2024-06"])
        with pytest.raises(cmrules.CmrulesError, match="already closed"):
            book.close("2024-06", ruleset="bar_customer_manager")


def test_periods_close_in_order_without_gaps_and_failures_need_a_word() -> None:
    with Ledger(":memory:") as book:
        book.run(BAR, "2024-05", MONTHS["2024-05"])
        book.run(BAR, "2024-06", [*MONTHS["2024-06"], {"employee": "B009", "bookings": "x"}])
        with pytest.raises(cmrules.CmrulesError, match="close 2024-05 first"):
            book.close("2024-06")
        book.close("2024-05")
        with pytest.raises(cmrules.CmrulesError, match="1 failed record"):
            book.close("2024-06")
        assert book.close("2024-06", allow_failures=True) == ["bar_customer_manager"]
        book.run(BAR, "2024-08", MONTHS["2024-07"][1:2] and [bar("B002", "2024-08")])
        with pytest.raises(cmrules.CmrulesError, match="would leave a gap"):
            book.close("2024-08")
        with pytest.raises(cmrules.CmrulesError, match="no open run of period 2024-09"):
            book.close("2024-09")


def test_joined_and_left() -> None:
    with Ledger(":memory:") as book:
        first = book.run(BAR, "2024-05", MONTHS["2024-05"])
        second = book.run(BAR, "2024-06", [bar("B002", "2024-06"), bar("B003", "2024-06")])
    assert (first.joined, first.left) == (["B001", "B002"], [])
    assert (second.joined, second.left) == (["B003"], ["B001"])


def test_a_leaver_who_comes_back_brings_the_carry_forward() -> None:
    with Ledger(":memory:") as book:
        may = book.run(BAR, "2024-05", MONTHS["2024-05"][:1])
        book.run(BAR, "2024-06", [bar("B002", "2024-06")])
        july = book.run(BAR, "2024-07", [bar("B001", "2024-07")])
    assert july.slips[0].total("carried_deductions") == -may.slips[0].carry_forward


def test_restate_carries_the_differences_into_the_next_run() -> None:
    with Ledger(":memory:", by="auditor") as book:
        for period in ("2024-05", "2024-06"):
            book.run(BAR, period, MONTHS[period])
            book.close(period)
        closed = book.slips("2024-06", BAR)
        # B002 sold 72,000.00 in June, not 62,000.00: commission 3% of 10,000 more
        restated = book.restate(BAR, "2024-06", [bar("B002", "2024-06", "72000.00")])
        assert [(a["employee"], a["line"], a["amount"]) for a in restated.adjustments] == [
            ("B002", "commission", Decimal("300.00"))
        ]
        assert book.slips("2024-06", BAR) == closed  # a closed period never changes
        july = book.run(BAR, "2024-07", MONTHS["2024-07"])
        b002 = july.slips[1]
        correction = b002.lines[-1]
        assert (correction.rule_id, correction.category, correction.amount) == (
            "correction:2024-06:commission",
            "adjustment",
            Decimal("300.00"),
        )
        assert correction.label == {
            "en": "Correction of 2024-06: Commission above target",
            "zh": "2024-06 更正:业绩提成",
        }
        assert b002.net == BAR.evaluate(bar("B002", "2024-07")).net + Decimal("300.00")
        assert book.history("B002")[1]["corrections"] == [
            {"line": "commission", "amount": "300.00", "carried_in": "2024-07"}
        ]
        assert [e["event"] for e in book.log()] == ["run", "close", "run", "close", "restate", "run"]
        assert {e["by"] for e in book.log()} == {"auditor"}


def test_a_negative_correction_larger_than_the_pay_is_carried_forward() -> None:
    with Ledger(":memory:") as book:
        book.run(BAR, "2024-05", [bar("B002", "2024-05", "92000.00")])
        book.close("2024-05")
        restated = book.restate(BAR, "2024-05", [bar("B002", "2024-05", "40000.00")])
        assert sum(a["amount"] for a in restated.adjustments) == Decimal("-1560.00")
        june = book.run(BAR, "2024-06", [bar("B002", "2024-06", "0.00", absent_days=8)])
        july = book.run(BAR, "2024-07", [bar("B002", "2024-07", "40000.00")])
    slip = june.slips[0]
    assert slip.net == 0 and slip.carry_forward > 0
    assert july.slips[0].total("carried_deductions") == -slip.carry_forward


def test_opening_balances_for_a_company_that_starts_mid_year() -> None:
    with Ledger(":memory:") as book:
        assert book.import_balances(BAR, "2024-06", {"B001": {"carried_deductions": "700.00"}}) == 1
        june = book.run(BAR, "2024-06", [bar("B001", "2024-06"), bar("B002", "2024-06")])
        assert [s.total("carried_deductions") for s in june.slips] == [Decimal("-700.00"), 0]
        with pytest.raises(cmrules.CmrulesError, match="come too late"):
            book.import_balances(BAR, "2024-06", {"B001": {"carried_deductions": "1.00"}})
        with pytest.raises(cmrules.UsageError, match="no balance 'ytd'"):
            book.import_balances(BAR, "2024-07", {"B001": {"ytd": "1.00"}})
        with pytest.raises(cmrules.UsageError, match="a binary float is not exact"):
            book.import_balances(BAR, "2024-07", {"B001": {"carried_deductions": 1.5}})


def test_an_exception_mid_run_leaves_nothing_half_written() -> None:
    def records() -> Any:
        yield bar("B001", "2024-05")
        raise KeyboardInterrupt

    with Ledger(":memory:") as book:
        with pytest.raises(KeyboardInterrupt):
            book.run(BAR, "2024-05", records())
        assert book.totals("2024-05") == [] and book.log() == []
        for table in ("runs", "slips", "balances", "periods"):
            assert book.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,)


def _hold_the_lock(path: str, ready: Any, release: Any) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    ready.set()
    release.wait(10)
    db.execute("ROLLBACK")


@pytest.mark.slow
def test_a_second_writer_gets_a_clear_error(tmp_path: Path) -> None:
    path = str(tmp_path / "pay.db")
    Ledger(path).disconnect()
    ready, release = multiprocessing.Event(), multiprocessing.Event()
    other = multiprocessing.Process(target=_hold_the_lock, args=(path, ready, release))
    other.start()
    try:
        assert ready.wait(10)
        with Ledger(path, timeout=0.2) as book, pytest.raises(LedgerBusy, match="busy: another process"):
            book.run(BAR, "2024-05", MONTHS["2024-05"])
    finally:
        release.set()
        other.join(10)
    with Ledger(path) as book:
        assert len(book.run(BAR, "2024-05", MONTHS["2024-05"]).slips) == 2


def test_the_schema_is_versioned_and_migrated(tmp_path: Path) -> None:
    path = tmp_path / "pay.db"
    with Ledger(path) as book:
        assert book.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
        assert book.db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_version SET version = 99")
    db.commit()
    db.close()
    with pytest.raises(LedgerFileError, match="schema version 99, newer than this cmrules knows"):
        Ledger(path)


def test_export_writes_what_cmrules_run_writes(tmp_path: Path) -> None:
    with Ledger(":memory:") as book:
        book.run(BAR, "2024-05", MONTHS["2024-05"])
        book.export("2024-05", BAR, tmp_path / "may.jsonl", "jsonl")
        text = book.export("2024-05", "bar_customer_manager", None, "csv")
    assert (tmp_path / "may.jsonl").read_text(encoding="utf-8").count("\n") == 2
    assert text is not None and "B002" in text
    assert cmrules.verify_output(tmp_path / "may.jsonl").complete


def test_export_is_byte_for_byte_what_run_writes(tmp_path: Path) -> None:
    from cmrules.commands import run_file

    records = [
        r for r in cmrules.read_inputs(ROOT / "examples" / "bar_month.json") if "carried_deductions" not in r
    ]
    (tmp_path / "in.json").write_text(__import__("json").dumps(records), encoding="utf-8")
    run_file(BAR, tmp_path / "in.json", tmp_path / "run.csv", "csv")
    with Ledger(":memory:") as book:
        book.run(BAR, "2024-05", records)
        book.export("2024-05", BAR, tmp_path / "ledger.csv", "csv")
    assert (tmp_path / "ledger.csv").read_bytes() == (tmp_path / "run.csv").read_bytes()


def _cli(*args: str) -> tuple[int, str, str]:
    import contextlib
    import io

    from cmrules.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_the_command_line(tmp_path: Path) -> None:
    book, data = str(tmp_path / "pay.db"), tmp_path / "june.json"
    months = {p: [{k: v for k, v in r.items()} for r in MONTHS[p]] for p in ("2024-05", "2024-06")}
    (tmp_path / "may.json").write_text(__import__("json").dumps(months["2024-05"]), encoding="utf-8")
    data.write_text(__import__("json").dumps(months["2024-06"]), encoding="utf-8")
    code, out, err = _cli(
        "run", "bar_customer_manager", str(tmp_path / "may.json"), "--ledger", book, "--close"
    )
    assert code == 0 and "B001" in out and "closed 2024-05" in err
    code, _, err = _cli("run", "bar_customer_manager", str(tmp_path / "may.json"), "--ledger", book)
    assert code == 1 and "is closed" in err
    code, out, _ = _cli("run", "bar_customer_manager", str(data), "--ledger", book, "--format", "json")
    assert code == 0 and '"carried_deductions"' in out
    assert _cli("close", "--ledger", book, "2024-06")[0] == 0
    fixed = tmp_path / "fixed.json"
    fixed.write_text(__import__("json").dumps([bar("B002", "2024-06", "72000.00")]), encoding="utf-8")
    code, out, _ = _cli(
        "restate", "bar_customer_manager", str(fixed), "--ledger", book, "--period", "2024-06"
    )
    assert code == 0 and out == "B002: Correction of 2024-06: Commission above target +300.00\n"
    code, out, err = _cli("ledger", "show", "--ledger", book, "--employee", "B001", "--format", "jsonl")
    assert code == 0 and out.count("\n") == 2 and "carried_deductions 0.00 -> 3250.00" in err
    code, out, err = _cli("ledger", "show", "--ledger", book, "--period", "2024-06", "--format", "csv")
    assert code == 0 and "(closed): 2 paid, 0 failed" in err
    assert _cli("run", "bar_customer_manager", str(data), "--close")[0] == 64


ROOT = Path(__file__).resolve().parent.parent


MONTHS_FILE = ROOT / "tests" / "fixtures" / "ledger" / "bar_three_months.tests.yaml"


def test_months_as_data_run_through_an_in_memory_ledger() -> None:
    from cmrules.testing._ledger_cases import run_months_file

    results = run_months_file(MONTHS_FILE)
    assert [r.name for r in results] == [f"{p} {e}" for p in MONTHS for e in ("B001", "B002")]
    assert [r.differences for r in results if not r.passed] == []


def test_a_months_case_that_differs_says_where(tmp_path: Path) -> None:
    from cmrules.testing._ledger_cases import run_months_file

    text = MONTHS_FILE.read_text(encoding="utf-8").replace(
        'carry_forward: "1000.00"', 'carry_forward: "1.00"'
    )
    (tmp_path / "m.tests.yaml").write_text(
        text.replace("../../../rulesets", str(ROOT / "rulesets")), encoding="utf-8"
    )
    failed = [r for r in run_months_file(tmp_path / "m.tests.yaml") if not r.passed]
    assert [(r.name, r.differences) for r in failed] == [
        ("2024-06 B001", ["carry_forward: expected 1.00, got 1000.00"])
    ]


def test_cmrules_test_runs_a_months_file() -> None:
    from cmrules.commands import run_tests

    report = run_tests([MONTHS_FILE])
    assert report.ok


def test_restating_a_month_that_carried_a_correction_does_not_correct_it_again() -> None:
    with Ledger(":memory:") as book:
        for period in ("2024-05", "2024-06"):
            book.run(BAR, period, [bar("B002", period)])
            book.close(period)
        book.restate(BAR, "2024-05", [bar("B002", "2024-05", "62000.00")])
        book.run(BAR, "2024-07", [bar("B002", "2024-07")])
        book.close("2024-07")
        # July carried +300.00 for May; restating July as it was must find no difference
        assert book.restate(BAR, "2024-07", [bar("B002", "2024-07")]).adjustments == []


def test_a_slip_with_adjustment_lines_pickles_and_renders() -> None:
    import pickle

    from cmrules.slip import Adjustment

    slip = BAR.evaluate(bar("B002", "2024-05", "40000.00", absent_days=1))
    label = {"zh": "2024-04 更正:commission -3,500.00", "en": "Correction of 2024-04: commission -3,500.00"}
    adjusted = slip.with_adjustments(
        [Adjustment("correction:2024-04:commission", label, Decimal("-3500.00"), "x")]
    )
    assert (adjusted.net, adjusted.carry_forward) == (Decimal("0.00"), Decimal("700.00"))
    assert adjusted.to_dict()["lines"][-1]["category"] == "adjustment"
    assert pickle.loads(pickle.dumps(adjusted)).to_json() == adjusted.to_json()
    assert slip.to_json() != adjusted.to_json() and slip.with_adjustments([]) is slip


def test_run_close_allow_failures_on_the_command_line(tmp_path: Path) -> None:
    book = str(tmp_path / "pay.db")
    records = [bar("B001", "2024-05"), {"employee": "B009", "period": "2024-05", "bookings": "none"}]
    (tmp_path / "may.json").write_text(__import__("json").dumps(records), encoding="utf-8")
    may = str(tmp_path / "may.json")
    code, out, err = _cli("run", "bar_customer_manager", may, "--ledger", book, "--close")
    assert code == 2 and "not closed" in err and "--allow-failures" in err  # kept and written, not closed
    code, out, err = _cli(
        "run",
        "bar_customer_manager",
        may,
        "--ledger",
        book,
        "--close",
        "--allow-failures",
        "--format",
        "jsonl",
    )
    assert code == 2 and "closed 2024-05" in err and "B009" in err
    assert '"trace"' in out  # jsonl writes the trace by default, as cmrules run does
    with Ledger(book) as ledger:
        assert ledger.totals("2024-05")[0]["status"] == "closed"
    code, out, _ = _cli("run", "bar_customer_manager", may, "--ledger", book, "--allow-failures")
    assert code == 64


def test_an_export_gives_at_most_the_detail_the_ledger_kept(tmp_path: Path) -> None:
    from cmrules.commands import run_file

    records = [
        r for r in cmrules.read_inputs(ROOT / "examples" / "bar_month.json") if "carried_deductions" not in r
    ]
    (tmp_path / "in.json").write_text(__import__("json").dumps(records), encoding="utf-8")
    run_file(BAR, tmp_path / "in.json", tmp_path / "lines.json", "json", detail="lines")
    run_file(BAR, tmp_path / "in.json", tmp_path / "trace.jsonl", "jsonl")
    with Ledger(":memory:") as book:  # keeps the lines (the default)
        book.run(BAR, "2024-05", records)
        book.export("2024-05", BAR, tmp_path / "ledger.json", "json")  # json's default is the trace
        with pytest.raises(cmrules.UsageError, match=r"kept the slips at detail 'lines'.*keep='trace'"):
            book.export("2024-05", BAR, tmp_path / "no.json", "json", detail="trace")
        summary = book.export("2024-05", BAR, None, "jsonl", detail="summary")
    assert (tmp_path / "ledger.json").read_bytes() == (tmp_path / "lines.json").read_bytes()
    assert summary is not None and '"lines"' not in summary and '"totals"' in summary
    with Ledger(":memory:", keep="trace") as book:
        book.run(BAR, "2024-05", records)
        book.export("2024-05", BAR, tmp_path / "ledger.jsonl", "jsonl")
    assert (tmp_path / "ledger.jsonl").read_bytes() == (tmp_path / "trace.jsonl").read_bytes()
    with pytest.raises(cmrules.UsageError, match="keep one of summary, lines, trace"):
        Ledger(":memory:", keep="everything")  # type: ignore[arg-type]


def test_a_ledger_of_schema_1_is_migrated_and_its_slips_still_read(tmp_path: Path) -> None:
    from cmrules.ledger._store import MIGRATIONS

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        db.execute(statement)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    db.execute("INSERT INTO schema_version VALUES (1)")
    slip = BAR.evaluate(bar("B001", "2024-05"))
    db.execute("INSERT INTO rulesets VALUES ('bar_customer_manager', 'x', 'now')")
    db.execute("INSERT INTO periods VALUES ('bar_customer_manager', '2024-05', 'closed', NULL, NULL)")
    db.execute(
        "INSERT INTO runs VALUES (1, 'bar_customer_manager', '2024-05', 'run', 1, 'v', 'h', 'me', 'now',"
        " 1, 0, '[]')"
    )
    text = __import__("json").dumps(slip.to_dict(), ensure_ascii=False)
    db.execute(
        "INSERT INTO slips VALUES (1, 1, 'bar_customer_manager', '2024-05', 'B001', 'h', ?, ?, ?)",
        (str(slip.net), str(slip.carry_forward), text),
    )
    db.commit()
    db.close()
    with Ledger(path) as book:
        assert book.schema_version == len(MIGRATIONS)  # every migration applied
        assert book.slips("2024-05", BAR) == [slip.to_dict()]  # the full trace it kept
        assert "trace" in (book.export("2024-05", BAR, None, "json") or "")
