"""The shipped example of a recoverable draw and a clawback over six months (docs/ledger.md)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import cmrules
from cmrules.testing._ledger_cases import load_months, run_months_file

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "draw_clawback.yaml"
MONTHS = ROOT / "examples" / "draw_clawback_months"
CASES = ROOT / "examples" / "draw_clawback.tests.yaml"


def test_the_example_declares_its_balances_with_labels_in_both_languages() -> None:
    plan = cmrules.load_ruleset(EXAMPLE)
    version = plan.latest
    assert [(b.name, b.type, b.resets) for b in version.balances] == [
        ("carried_deductions", "money", None),
        ("draw_owed", "money", None),
        ("clawback_owed", "money", None),
        ("clawback_months_left", "int", None),
        ("commission_ytd", "money", (1, 1)),
    ]
    labels = [
        rule.label for rule in version.program.rules if not rule.id.startswith(("balances.", "carried"))
    ]
    assert labels and all(label.get("zh") and label.get("en") for label in labels)
    for name, balance in version.doc.balances.items():
        assert balance.label is not None and balance.label.zh and balance.label.en, name


def test_the_six_months_pass_as_months_test_cases() -> None:
    results = run_months_file(CASES)
    assert len(results) == 15
    assert [r.name for r in results if not r.passed] == []


def test_the_months_files_are_the_test_cases_inputs() -> None:
    _, months = load_months(CASES)
    for month in months:
        period = str(month["period"])
        given = [{**r, "period": period} for r in cmrules.read_inputs(MONTHS / f"{period}.jsonl")]
        assert given == [{**r, "period": period} for r in month["inputs"]], period
        if "restate" in month:
            fixed = month["restate"]
            corrected = list(cmrules.read_inputs(MONTHS / f"{fixed['period']}-corrected.jsonl"))
            assert corrected == [{**r, "period": str(fixed["period"])} for r in fixed["inputs"]]


def _cli(*args: str) -> tuple[int, str, str]:
    from cmrules.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_six_months_on_the_command_line_and_what_ledger_show_says(tmp_path: Path) -> None:
    book = str(tmp_path / "pay.db")
    for month in ("01", "02", "03", "04", "05"):
        code, _, err = _cli(
            "run", str(EXAMPLE), str(MONTHS / f"2026-{month}.jsonl"), "--ledger", book, "--close"
        )
        assert code == 0 and f"closed 2026-{month}" in err
    code, out, err = _cli(
        "restate",
        str(EXAMPLE),
        str(MONTHS / "2026-03-corrected.jsonl"),
        "--ledger",
        book,
        "--period",
        "2026-03",
    )
    assert code == 0
    assert out.splitlines() == [
        "S1: Correction of 2026-03: Commission -2,000.00",
        "S1: Correction of 2026-03: Draw recovered +2,000.00",
        "S1: draw_owed after 2026-03 4000.00 -> 6000.00",
        "S1: commission_ytd after 2026-03 20000.00 -> 18000.00",
    ]
    assert "2 adjustments and 2 balance corrections" in err
    code, out, _ = _cli("run", str(EXAMPLE), str(MONTHS / "2026-06.jsonl"), "--ledger", book, "--close")
    assert code == 0 and "2026-03 更正:提成" in out and "Correction of 2026-03: Draw recovered" in out
    code, out, err = _cli("ledger", "show", "--ledger", book, "--employee", "S1")
    assert code == 0 and out.count("工资单 Pay slip") == 6
    june = err.splitlines()[-1]
    assert june.startswith("2026-06 draw_clawback (closed): net 8000.00, carried_deductions 0.00 -> 0.00,")
    assert "draw_owed 2000.00 -> 3000.00" in june and "commission_ytd 47000.00 -> 54000.00" in june
    assert june.endswith(
        "(draw_owed +2000.00 restated in 2026-03) (commission_ytd -2000.00 restated in 2026-03)"
    )
    code, out, err = _cli("ledger", "show", "--ledger", book, "--period", "2026-06", "--format", "csv")
    assert code == 0 and out.count("\n") == 4 and out.startswith("employee,period,")
    assert err == "2026-06 draw_clawback (closed): 3 paid, 0 failed, net 30200.00, carried forward 0.00\n"
    code, out, _ = _cli("ledger", "show", "--ledger", book, "--employee", "S3", "--format", "jsonl")
    assert code == 0 and out.count("\n") == 3 and '"trace"' not in out  # the ledger kept the lines
