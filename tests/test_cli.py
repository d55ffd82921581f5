"""End to end: the real ``cmrules`` command in a subprocess, on the shipped rulesets and examples."""

from __future__ import annotations

import csv
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from cmrules import CmrulesError
from cmrules.cli import main
from cmrules.commands import run_file, substitute
from cmrules.outputs.render import CSV_COLUMNS, CSV_LINE_COLUMNS
from cmrules.sources import InputFileError

ROOT = Path(__file__).resolve().parents[1]
BAR = ROOT / "rulesets" / "bar_customer_manager.yaml"
EXAMPLES = ROOT / "examples"
ENV = {**os.environ, "PYTHONUTF8": "1"}

# Net pay of examples/bar_month.* (period 2024-05), computed by hand from POLICIES.md section 1.
NETS = {
    "B001": "3310.00",  # 52,000 counted: base 3,000 + 3% × 12,000 = 360; late 10 min: −50
    "B002": "2850.00",  # 38,000 below target: 3,000 × 38,000 / 40,000 = 2,850
    "B003": "3105.00",  # 8,000 registered 5 min ahead and 10,000 on a door day don't count: 43,500 → +105
    "B004": "2400.00",  # 3,000 + 360; 3 absence days −600; commission 360 forfeited
    "B005": "1200.00",  # 47,000: 3,000 + 210; 6 personal leave days −1,800; commission 210 forfeited
    "B006": "1000.00",  # dismissed: base and commission forfeited, no fines, deposit 1,000 refunded
    "B007": "2760.00",  # 44,000: 3,120; fruit 250 within 5% × 6,000 = 300; drink 180 fined 2× = −360
    "B008": "0.00",  # 47,000: 3,210; stealing 2 × 1,800 = 3,600, tips 300: 3,900; 690 carried forward
    "B009": "2730.00",  # 41,000: 3,030; early 20 min −50, early 40 min = absence −200; off post 45 −50
    "B010": "2650.00",  # 45,000: 3,150; 500 carried from last month
    "B011": "2600.00",  # exactly 40,000: no commission; sick day without proof + 35 min late: 2 days −400
    "B012": "550.00",  # 12,000: 900; three late arrivals −150; one absence −200
}
TOTAL_NET = "25,155.00"  # the sum of NETS


def cmrules(*args: Any, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cmrules", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=ENV,
        timeout=timeout,
        check=False,
    )


def _schema_validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    text = resources.files("cmrules").joinpath("payslip.schema.json").read_text(encoding="utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def _nets(slips: list[dict[str, Any]]) -> dict[str, str]:
    return {s["employee"]: s["totals"]["net"] for s in slips}


def _month_records() -> list[dict[str, Any]]:
    return json.loads((EXAMPLES / "bar_month.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------- run: formats


def test_readme_first_command_pays_the_month() -> None:
    result = cmrules(
        "run", "rulesets/bar_customer_manager.yaml", "examples/bar_month.csv", "--format", "text"
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.count("实发工资 Net pay") == 12
    assert "CNY 3,310.00" in result.stdout
    assert "3% × (52,000.00 − 40,000.00) = 360.00" in result.stdout


def _parquet(path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    records = _month_records()
    names = list(dict.fromkeys(name for record in records for name in record))
    # A column per field (null where a row lacks it: read back as absent); types inferred by pyarrow.
    pq.write_table(pa.table({name: [r.get(name) for r in records] for name in names}), path)


@pytest.mark.parametrize("suffix", ["csv", "json", "jsonl", "yaml", "parquet"])
def test_every_input_format_pays_the_same(suffix: str, tmp_path: Path) -> None:
    source = EXAMPLES / f"bar_month.{suffix}"
    if suffix == "parquet":
        source = tmp_path / "bar_month.parquet"
        _parquet(source)
    out = tmp_path / "slips.json"
    result = cmrules("run", BAR, source, "-o", out, "--format", "json")
    assert result.returncode == 0, result.stderr
    slips = json.loads(out.read_text(encoding="utf-8"))
    validator = _schema_validator()
    for slip in slips:
        validator.validate(slip)
    assert _nets(slips) == NETS
    b008 = next(s for s in slips if s["employee"] == "B008")
    assert b008["totals"]["carry_forward"] == "690.00"  # 3,900 of fines − 3,210 earned
    assert "carry_forward" in [n["code"] for n in b008["notices"]]
    assert not (tmp_path / "slips.json.errors.json").exists()


# One employee of each other shipped example, checked by hand from POLICIES.md.
OTHER_POLICIES = {
    "bank": (
        "bank_client_manager.yaml",
        "bank_month.yaml",
        5,
        "K001",
        # rank 10: base 2,200; score 30%×90 + 10%×80 + 20%×85 + 20%×90 + 10%×100 + 10%×80 = 88 → B;
        # completion 1,320,000 ÷ (1,000,000 × 1.1) = 1.2 → performance 3,000 × 1.0 × 1.2 = 3,600;
        # allowances 700 + 100 + 300; commission 0.5% × 200,000 + 1% × 50,000 = 1,500 → 8,400;
        # contributions 20.5% × 2,200 = 451 → net 7,949
        {"net": "7949.00", "earnings": "8400.00", "deductions": "-451.00"},
        {"score": "88.00", "grade": "B", "completion": "1.2"},
    ),
    "duty": (
        "duty_manager_checklist.yaml",
        "duty_checklist.json",
        3,
        "D001",
        # 2 of 3 → 20, 3 of 3 → 30, 3 of 6 → 10 (FIRST: row a), 5 of 6 → 30: 90 points, no money
        {"net": "0.00", "earnings": "0.00", "deductions": "0.00"},
        {"score": 90},
    ),
    "sales": (
        "sales_contest.yaml",
        "sales_contest.csv",
        6,
        "X001",
        # 520,000 by the 20th ≥ 500,000: the kettle; team 赵 2,400,000 ÷ 3,000,000 = 80.00%
        {"net": "0.00"},
        {"prize": "kettle", "team_completion_pct": "80.00"},
    ),
    "securities": (
        "securities_client_manager",
        "securities_staff.json",
        8,
        "S01",
        # 2013-09 is paid by version 2013-07: level 1, completion 500,000 ÷ 1,000,000 = 0.5 < 1:
        # flat base 1,500; commission 10% × 10,000 × 50 ÷ 100 = 500; contributions 20.5% × 2,000
        # = 410 → net 1,590
        {"net": "1590.00", "earnings": "2000.00", "deductions": "-410.00"},
        {"level": 1, "completion": "0.50", "minimum_wage": "1500.00"},
    ),
}


@pytest.mark.parametrize("policy", sorted(OTHER_POLICIES))
def test_every_other_shipped_policy_runs_its_example(policy: str, tmp_path: Path) -> None:
    ruleset, source, count, employee, totals, facts = OTHER_POLICIES[policy]
    out = tmp_path / "slips.json"
    result = cmrules("run", ROOT / "rulesets" / ruleset, EXAMPLES / source, "-o", out)
    assert result.returncode == 0, result.stderr
    assert f"{count} slips written" in result.stderr
    slips = json.loads(out.read_text(encoding="utf-8"))
    validator = _schema_validator()
    for slip in slips:
        validator.validate(slip)
    assert len(slips) == count
    slip = next(s for s in slips if s["employee"] == employee)
    assert {k: slip["totals"][k] for k in totals} == totals
    assert {k: slip["facts"][k] for k in facts} == facts


def test_the_bank_example_flags_conduct() -> None:
    result = cmrules("run", ROOT / "rulesets" / "bank_client_manager.yaml", EXAMPLES / "bank_month.yaml")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # K003: one gift and one violation = step 2: a written warning and 500 deducted; rank 8:
    # base 3,000 + allowances 1,200 + 3,000 × 0.6 (C) × 400,000 ÷ 1,100,000 = 654.55, less
    # 20.5% × 3,000 = 615 and 500
    assert re.search(r"书面警告并扣款 Written warning and fine +-500\.00", out)
    assert "CNY 3,739.55" in out
    # K005: two of each = step 4: dismissal, the performance pay 3,000 × 1.0 × 0.9090… forfeited
    assert re.search(r"开除并扣发绩效奖金 Dismissal with performance pay forfeited +-2,727\.27", out)


def test_jsonl_output_one_valid_slip_per_line(tmp_path: Path) -> None:
    out = tmp_path / "slips.jsonl"
    result = cmrules("run", BAR, EXAMPLES / "bar_month.csv", "-o", out)  # format from the suffix
    assert result.returncode == 0, result.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 12
    validator = _schema_validator()
    slips = [json.loads(line) for line in lines]
    for slip in slips:
        validator.validate(slip)
    assert _nets(slips) == NETS


def test_csv_lines_output_one_row_per_line_item(tmp_path: Path) -> None:
    out = tmp_path / "lines.csv"
    result = cmrules("run", BAR, EXAMPLES / "bar_month.json", "-o", out, "--format", "csv-lines")
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == CSV_LINE_COLUMNS
        rows = list(reader)
    b001 = [(r["rule_id"], r["amount"], r["item_index"]) for r in rows if r["employee"] == "B001"]
    assert b001 == [("base_pay", "3000.00", ""), ("commission", "360.00", ""), ("late_fine", "-50.00", "0")]
    sums: dict[str, Decimal] = {}
    for row in rows:
        sums[row["employee"]] = sums.get(row["employee"], Decimal(0)) + Decimal(row["amount"])
    # The lines add up to the net everywhere but B008, whose 690.00 shortfall is carried forward.
    assert sums.pop("B008") == Decimal("-690.00")
    assert {k: str(v) for k, v in sums.items()} == {k: v for k, v in NETS.items() if k != "B008"}


def test_csv_output_one_row_per_slip_that_excel_reads(tmp_path: Path) -> None:
    out = tmp_path / "slips.csv"
    result = cmrules("run", BAR, EXAMPLES / "bar_month.json", "-o", out)  # csv from the suffix
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbfemployee,")  # UTF-8 byte order mark
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0])[: len(CSV_COLUMNS)] == CSV_COLUMNS
    assert {r["employee"]: r["net"] for r in rows} == NETS
    b008 = next(r for r in rows if r["employee"] == "B008")
    assert (b008["earnings"], b008["deductions"], b008["carry_forward"]) == ("3210.00", "-3900.00", "690.00")
    assert "carry_forward" in b008["notices"].split()


def test_text_output_file(tmp_path: Path) -> None:
    out = tmp_path / "slips.txt"
    result = cmrules("run", BAR, EXAMPLES / "bar_month.yaml", "-o", out)
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert text.count("实发工资 Net pay") == 12
    assert "CNY 550.00" in text  # B012
    assert "12 slips written" in result.stderr


def test_html_output_index_and_one_page_per_employee(tmp_path: Path) -> None:
    out = tmp_path / "html"
    result = cmrules("run", BAR, EXAMPLES / "bar_month.csv", "-o", out, "--format", "html")
    assert result.returncode == 0, result.stderr
    pages = sorted(p.name for p in out.iterdir())
    assert pages == sorted([*(f"{e}.html" for e in NETS), "index.html"])
    index = (out / "index.html").read_text(encoding="utf-8")
    for employee in NETS:
        assert f'href="{employee}.html"' in index
    assert TOTAL_NET in index
    b001 = (out / "B001.html").read_text(encoding="utf-8")
    assert "3,310.00" in b001 and "底薪" in b001 and "Base pay" in b001
    assert "3% × (52,000.00 − 40,000.00) = 360.00" in b001


# ---------------------------------------------------------------------------- run: bad employees


def test_bad_employees_are_reported_and_the_others_paid(tmp_path: Path) -> None:
    good = _month_records()
    booking = {"date": "2024-05-20", "amount": "15000.00", "registered_minutes_before": 15}
    bad = [
        {"employee": "B013", "period": "2024-05", "bookings": [{**booking, "amount": "-1200.00"}]},
        {"employee": "B014", "period": "2024-05", "bookings": [{"date": "2024-05-21", "amount": "900.00"}]},
        {"employee": "B015", "period": "2024-05", "absent_days": "three"},
        {"employee": "B016", "period": "2024-05", "bonus": "100.00"},
    ]
    records = json.dumps([*good[:6], *bad, *good[6:]], ensure_ascii=False)
    # B017's deposit is a JSON float: exact money cannot come from a binary float.
    records = records[:-1] + ', {"employee": "B017", "period": "2024-05", "deposit": 500.5}]'
    source = tmp_path / "month.json"
    source.write_text(records, encoding="utf-8")
    out = tmp_path / "slips.json"

    result = cmrules("run", BAR, source, "-o", out)
    assert result.returncode == 2
    assert _nets(json.loads(out.read_text(encoding="utf-8"))) == NETS
    errors = json.loads((tmp_path / "slips.json.errors.json").read_text(encoding="utf-8"))
    found = {(e["employee"], e["field"], e["code"]) for e in errors}
    assert found == {
        ("B013", "bookings[0].amount", "input.constraint"),
        ("B014", "bookings[0].registered_minutes_before", "input.missing"),
        ("B015", "absent_days", "input.type"),
        ("B016", "bonus", "input.unknown"),
        ("B017", "deposit", "input.float"),
    }
    by_employee = {e["employee"]: e for e in errors}
    assert by_employee["B013"]["value"] == "-1200.00"
    assert by_employee["B013"]["record"] == 7  # six good ones come first
    assert by_employee["B014"]["value"] is None
    assert by_employee["B017"]["value"] == "500.5"
    stderr = result.stderr
    assert 'employee B013 (record 7): bookings[0].amount = "-1200.00": must be >= 0' in stderr
    assert "employee B017 (record 17): deposit = 500.5" in stderr  # the float as written
    assert "5 employees failed" in stderr


@pytest.mark.slow
def test_errors_example_and_period_override(tmp_path: Path) -> None:
    out = tmp_path / "slips.json"
    result = cmrules("run", BAR, EXAMPLES / "bar_month_with_errors.csv", "-o", out)
    assert result.returncode == 2
    errors = json.loads((tmp_path / "slips.json.errors.json").read_text(encoding="utf-8"))
    assert [(e["employee"], e["field"], e["code"]) for e in errors] == [
        ("B013", "bookings[1].amount", "input.constraint"),
        ("B014", "period", "input.missing"),
    ]
    # --period fills B014's missing period (and overrides everyone's): only B013 still fails.
    result = cmrules("run", BAR, EXAMPLES / "bar_month_with_errors.csv", "-o", out, "--period", "2024-05")
    assert result.returncode == 2
    slips = json.loads(out.read_text(encoding="utf-8"))
    assert {s["period"] for s in slips} == {"2024-05"}
    assert len(slips) == 13
    # 9,000 counted: 3,000 × 9,000 / 40,000 = 675.00
    assert next(s for s in slips if s["employee"] == "B014")["totals"]["net"] == "675.00"
    errors = json.loads((tmp_path / "slips.json.errors.json").read_text(encoding="utf-8"))
    assert [e["employee"] for e in errors] == ["B013"]
    # paid as June, May's bookings are outside the period: refused, never counted in June
    result = cmrules("run", BAR, EXAMPLES / "bar_month_with_errors.csv", "-o", out, "--period", "2024-06")
    assert result.returncode == 2
    errors = json.loads((tmp_path / "slips.json.errors.json").read_text(encoding="utf-8"))
    assert ("B014", "bookings[0].date", "2024-05-23") in {
        (e["employee"], e["field"], e["value"]) for e in errors
    }


@pytest.mark.slow
def test_a_clean_run_removes_a_stale_errors_file(tmp_path: Path) -> None:
    out = tmp_path / "slips.csv"
    assert cmrules("run", BAR, EXAMPLES / "bar_month_with_errors.csv", "-o", out).returncode == 2
    assert (tmp_path / "slips.csv.errors.json").exists()
    assert cmrules("run", BAR, EXAMPLES / "bar_month.csv", "-o", out).returncode == 0
    assert not (tmp_path / "slips.csv.errors.json").exists()


@pytest.mark.slow
def test_usage_and_input_file_errors(tmp_path: Path) -> None:
    html = cmrules("run", BAR, EXAMPLES / "bar_month.csv", "--format", "html")
    assert html.returncode == 64 and "give -o FOLDER" in html.stderr
    period = cmrules("run", BAR, EXAMPLES / "bar_month.csv", "--period", "2024-13")
    assert period.returncode == 64 and "expected a period YYYY-MM" in period.stderr
    suffix = cmrules("run", BAR, EXAMPLES / "bar_month.csv", "-o", tmp_path / "slips.out")
    assert suffix.returncode == 64 and "give --format" in suffix.stderr
    folder = tmp_path / "folder"
    folder.mkdir()
    unwritable = cmrules("run", BAR, EXAMPLES / "bar_month.csv", "-o", folder, "--format", "json")
    assert unwritable.returncode == 1 and "Is a directory" in unwritable.stderr
    assert list(tmp_path.iterdir()) == [folder]  # the temporary file beside it is gone too
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    foreign = cmrules("run", BAR, EXAMPLES / "bar_month.csv", "-o", folder, "--format", "html")
    assert foreign.returncode == 1 and "is not a folder this writer made" in foreign.stderr
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    missing = cmrules("run", BAR, tmp_path / "nobody.json")
    assert missing.returncode == 1 and "nobody.json: no such file" in missing.stderr
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"employee": "B1", "period": "2024-05"}\n{"employee": \n', encoding="utf-8")
    bad = cmrules("run", BAR, broken)  # a line that does not parse is that record's failure only
    assert bad.returncode == 2 and "(record 2, line 2): the record: Expecting value" in bad.stderr


MINI = """\
cmrules: 1
id: mini
version: "1"
title: {zh: 分成, en: Share}
currency: CNY
effective_from: 2020-01-01
inputs:
  employee: {type: str}
  period: {type: period}
  sales: {type: money}
  divisor: {type: int, ge: 0}
facts:
  floor_sales: {type: money, expr: "max(sales, 0)"}
  bonus_base: {type: money, expr: "500 if sales > 1000 else 100"}
rules:
  - id: share
    label: {zh: 分成, en: Share}
    line: {category: earning, amount: "floor_sales / divisor + bonus_base"}
"""


def test_a_rule_failing_for_one_employee_does_not_stop_the_others(tmp_path: Path) -> None:
    ruleset = tmp_path / "mini.yaml"
    ruleset.write_text(MINI, encoding="utf-8")
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"employee": "A", "period": "2024-05", "sales": "-50.00", "divisor": 1}\n'
        '{"employee": "B", "period": "2024-05", "sales": "10.00", "divisor": 0}\n'
        '{"employee": "C", "period": "2024-05", "sales": "2000.00", "divisor": 4}\n'
        '{"employee": "D", "period": "2024-05", "sales": "0.00", "divisor": 0}\n',
        encoding="utf-8",
    )
    out = tmp_path / "slips.json"
    result = cmrules("run", ruleset, source, "-o", out)
    assert result.returncode == 2
    slips = {s["employee"]: s for s in json.loads(out.read_text(encoding="utf-8"))}
    # A: max(−50, 0) is a money 0.00 (not the int 0); 0 / 1 + 100 = 100.00
    assert slips["A"]["facts"] == {"floor_sales": "0.00", "bonus_base": "100.00"}
    assert slips["A"]["totals"]["net"] == "100.00"
    assert slips["C"]["totals"]["net"] == "1000.00"  # 2,000 / 4 + 500
    errors = json.loads((tmp_path / "slips.json.errors.json").read_text(encoding="utf-8"))
    assert [(e["employee"], e["field"], e["message"]) for e in errors] == [
        ("B", "rule:share", "division by zero"),
        ("D", "rule:share", "0 divided by 0"),
    ]
    shown = "employee B (record 2, line 2): rule share failed: division by zero [eval.arithmetic]"
    assert shown in result.stderr


# ---------------------------------------------------------------------------- check


@pytest.mark.slow
def test_check_reports_every_error_with_location(tmp_path: Path) -> None:
    text = BAR.read_text(encoding="utf-8")
    text = text.replace("when: performance > performance_target", "when: performance > performance_targt")
    text = text.replace("absence_fine_per_day * absence_days}", "absence_fine_per_day * sqrt(absence_days)}")
    broken = tmp_path / "broken.yaml"
    broken.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    when_line = next(n for n, line in enumerate(lines, 1) if "performance_targt" in line)
    sqrt_line = next(n for n, line in enumerate(lines, 1) if "sqrt(" in line)
    schema = tmp_path / "schema.yaml"
    schema.write_text(
        BAR.read_text(encoding="utf-8").replace(
            "    reference: s001_278\n", "    reference: s001_278\n    severity: high\n"
        ),
        encoding="utf-8",
    )
    key_line = next(
        n for n, s in enumerate(schema.read_text(encoding="utf-8").splitlines(), 1) if "severity" in s
    )

    result = cmrules("check", BAR, broken, schema)
    assert result.returncode == 1
    out = result.stdout
    assert f"{BAR}: ok (bar_customer_manager, version 2024-01" in out
    assert f"{broken}: 2 errors" in out  # every error of the file, not just the first
    # "    when: performance > performance_targt": the unknown name starts in column 25
    assert (
        f"{broken}:{when_line}:25: expr.unknown_name [rule commission]: unknown name 'performance_targt'; "
        "did you mean 'performance_target'?"
    ) in out
    # "    line: {category: fine, amount: absence_fine_per_day * sqrt(absence_days)}": sqrt at 59
    assert (
        f"{broken}:{sqrt_line}:59: expr.unknown_function [rule absence_fine]: unknown function 'sqrt'" in out
    )
    assert f"{schema}:{key_line}:5: schema.unknown_key [rule absence_fine]: unknown key 'severity'" in out
    printed = out.splitlines()
    at = next(n for n, s in enumerate(printed) if "expr.unknown_name" in s)
    source, caret = printed[at + 1], printed[at + 2]
    assert source.endswith("when: performance > performance_targt")
    assert caret.rstrip().endswith("^") and caret.index("^") == source.index("performance_targt")

    assert cmrules("check", BAR).returncode == 0


def test_check_the_shipped_rulesets() -> None:
    paths = sorted(str(p) for p in (ROOT / "rulesets").glob("*.yaml"))  # tests files included: skipped
    paths += [str(p) for p in (ROOT / "rulesets").iterdir() if p.is_dir()]
    result = cmrules("check", *paths)
    assert result.returncode == 0, result.stdout
    assert f"{BAR}: ok" in result.stdout


def test_check_show_code_prints_the_generated_python() -> None:
    result = cmrules("check", "--show-code", "rulesets/bar_customer_manager.yaml")
    assert result.returncode == 0, result.stderr
    assert "late_fine" in result.stdout and "def " in result.stdout
    assert "bar_customer_manager version" in result.stdout  # the header names id and version


def test_check_show_code_gives_every_version_of_a_plan() -> None:
    plan = ROOT / "rulesets" / "securities_client_manager"
    result = cmrules("check", "--show-code", plan)
    assert result.returncode == 0, result.stderr
    headers = [line for line in result.stdout.splitlines() if line.startswith("# =====")]
    assert [re.sub(r".* version (\S+):.*", r"\1", h) for h in headers] == ["2012-01", "2013-07"]
    assert "def " in result.stdout
    assert cmrules("check", plan).stdout == result.stdout.splitlines(keepends=True)[0]  # code only on ask


# ---------------------------------------------------------------------------- explain


def test_explain_shows_arithmetic_trace_and_why_rules_did_not_fire() -> None:
    result = cmrules("explain", BAR, EXAMPLES / "bar_month.csv", "--employee", "B012")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "3,000.00 × min(12,000.00, 40,000.00) ÷ 40,000.00 = 900.00" in out
    assert "deduction_cap_exceeded" in out  # 350 of fines > 20% × 900 = 180
    assert "Rules that fired, in order" in out
    fired = out.split("Rules that fired")[1].split("Rules that did not fire")[0]
    # (explanation grouping, issue 14: a rule over a list is one entry with its count)
    assert fired.index("late_fine ×3  → lines 1–3") < fired.index("absence_fine")
    # the values rules read are shown as the facts are: separators, rates as percentages
    assert "read base_salary = 3,000.00, performance = 12,000.00, performance_target = 40,000.00" in fired
    assert "  performance = 12,000.00\n" in out
    assert "read bookings = [2 items]," in fired
    why = out.split("Rules that did not fire, and why:")[1]
    assert "commission  业绩提成 Commission above target" in why
    assert "when performance > performance_target" in why
    assert "when performance > performance_target: 12,000.00 > 40,000.00 is false" in why
    assert "the list early_leaves is empty" in why


def test_explain_element_by_element() -> None:
    result = cmrules("explain", BAR, EXAMPLES / "bar_month.csv", "--employee", "B009")
    assert result.returncode == 0, result.stderr
    assert "read bookings = [1 item]," in result.stdout  # one booking of 41,000
    why = result.stdout.split("Rules that did not fire, and why:")[1]
    # off post [15, 45]: 45 is fined, 15 is not an offence; early leave [20, 40]: 40 is an absence
    assert "(for m in off_post_minutes): not for 1 of 2 elements" in why
    assert "e.g. element 0: m = 15" in why and "not false and 15 > 20 is false" in why
    assert "element 1: m = 40" in why and "not false and 40 <= 30 is false" in why
    # the let of the cap notice, with the values read: fines 300 = 50 + 200 + 50
    assert "where deducted = 300.00 + 0.00 + 0.00 − 0.00" in why
    assert "deducted > 20% × month_wage is false" in why


@pytest.mark.slow
def test_explain_errors() -> None:
    unknown = cmrules("explain", BAR, EXAMPLES / "bar_month.csv", "--employee", "B999")
    assert unknown.returncode == 1 and "'B999' is not in" in unknown.stderr  # an input error (exit 1)
    bad = cmrules("explain", BAR, EXAMPLES / "bar_month_with_errors.csv", "--employee", "B013")
    assert bad.returncode == 2 and "bookings[1].amount" in bad.stderr


# ---------------------------------------------------------------------------- test


@pytest.mark.slow
def test_test_command_reports_differing_fields(tmp_path: Path) -> None:
    cases = tmp_path / "bar.tests.yaml"
    cases.write_text(
        f"""\
ruleset: {BAR}
cases:
  - name: on target with one late arrival
    input:
      employee: T1
      period: "2024-05"
      bookings: [{{date: "2024-05-03", amount: "52000.00", registered_minutes_before: 15}}]
      late_arrivals: [10]
    expect:
      net: "3310.00"        # 3,000 + 3% × 12,000 − 50
      lines: {{commission: "360.00", late_fine: "-50.00"}}
  - name: a wrong expectation
    input: {{employee: T2, period: "2024-05"}}
    expect:
      net: "100.00"
      facts: {{performance: "1.00"}}
""",
        encoding="utf-8",
    )
    result = cmrules("test", cases)
    assert result.returncode == 1
    assert f"FAIL {cases} :: a wrong expectation" in result.stdout
    assert "net: expected 100.00, got 0.00" in result.stdout
    assert "facts.performance: expected '1.00', got '0.00'" in result.stdout
    assert "1 passed, 1 failed" in result.stdout

    empty = cmrules("test", tmp_path / "nothing-here")
    assert empty.returncode == 1 and "no tests found" in empty.stdout


@pytest.mark.slow
def test_test_command_passes_on_the_shipped_rulesets() -> None:
    if not list((ROOT / "rulesets").rglob("*.tests.yaml")):
        pytest.skip("no *.tests.yaml shipped under rulesets/ yet")
    result = cmrules("test", "rulesets")
    assert result.returncode == 0, result.stdout
    assert re.search(r"\d+ passed, 0 failed", result.stdout)


@pytest.mark.slow
def test_test_command_finds_yml_rulesets(tmp_path: Path) -> None:
    (tmp_path / "sales.yml").write_text(
        (ROOT / "rulesets" / "sales_contest.yaml").read_text(encoding="utf-8")
    )
    result = cmrules("test", tmp_path)
    assert result.returncode == 0, result.stdout
    assert "5 passed, 0 failed (5 invariants)" in result.stdout  # the sales contest's five laws


@pytest.mark.slow
def test_test_command_reports_rule_coverage() -> None:
    result = cmrules("test", "rulesets/sales_contest.yaml", "--coverage")
    assert result.returncode == 0, result.stdout
    assert "rule coverage of sales_contest 2024-01 over 200 examples" in result.stdout
    # every example pays a team completion notice; the prize needs 100,000 by the 20th
    assert re.search(r"team_completion_notice\s+notice\s+200\s+200", result.stdout)
    assert "3 of 3 rules fired; 3 of 3 fired and made their line or notice" in result.stdout


# ---------------------------------------------------------------------------- diff


@pytest.fixture
def five_percent(tmp_path: Path) -> Path:
    """The bar policy with a 5% commission, as a second version of the same plan."""
    plan = tmp_path / "plan"
    plan.mkdir()
    text = BAR.read_text(encoding="utf-8")
    (plan / "2024-01.yaml").write_text(text, encoding="utf-8")
    new = text.replace("value: 3%, reference: s001_309", "value: 5%, reference: s001_309")
    new = new.replace('version: "2024-01"', 'version: "2024-07"')
    new = new.replace(
        "label: {zh: 业绩提成, en: Commission above target}", "label: {zh: 提成, en: Commission}"
    )
    new = new.replace("effective_from: 2010-01-01", "effective_from: 2024-07-01")
    (plan / "2024-07.yaml").write_text(new, encoding="utf-8")
    return plan


@pytest.mark.slow
def test_diff_two_versions_whatever_their_dates(five_percent: Path) -> None:
    # Both versions on May 2024, though 2024-07 is not in force until July.
    result = cmrules("diff", f"{five_percent}@2024-01", f"{five_percent}@2024-07", EXAMPLES / "bar_month.csv")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"B001\s+2024-05\s+3,310.00\s+3,550.00\s+\+240.00", out)  # 5% × 12,000 = 600
    # the line as the new version names it, in Chinese and English
    assert "commission (提成 Commission): 360.00 → 600.00 (+240.00)" in out
    # B004's bigger commission is forfeited all the same: no change in net.
    assert re.search(r"B004\s+2024-05\s+2,400.00\s+2,400.00\s+0.00", out)
    # gains: B001 240, B003 70, B007 80, B009 20, B010 100; B008 stays at 0 (carries 550 instead of 690)
    assert "12 employees: 5 gain 510.00, 0 lose 0.00, 7 unchanged" in out
    assert "net pay in all: 25,155.00 → 25,665.00 (+510.00) CNY" in out
    assert "largest gain: B001 2024-05 +240.00" in out

    as_json = cmrules(
        "diff",
        f"{five_percent}@2024-07",
        f"{five_percent}@2024-01",
        EXAMPLES / "bar_month.csv",
        "--format",
        "json",
    )
    report = json.loads(as_json.stdout)
    b001 = next(e for e in report["employees"] if e["employee"] == "B001")
    assert b001["lines"] == [
        {
            "rule_id": "commission",
            "label": {"zh": "业绩提成", "en": "Commission above target"},  # 2024-01 is the new side here
            "old": "600.00",
            "new": "360.00",
            "change": "-240.00",
        }
    ]
    totals = report["totals"]
    assert totals["lose"] == {"count": 5, "amount": "510.00"} and totals["change"] == "-510.00"


@pytest.mark.slow
def test_run_a_plan_folder_follows_the_period(five_percent: Path, tmp_path: Path) -> None:
    out = tmp_path / "slips.json"
    assert cmrules("run", five_percent, EXAMPLES / "bar_month.csv", "-o", out).returncode == 0
    may = _nets(json.loads(out.read_text(encoding="utf-8")))
    assert may["B001"] == "3310.00"  # 2024-05: version 2024-01, 3%
    # the same month of work paid as July (its bookings dated in July: in_period)
    july_csv = tmp_path / "bar_july.csv"
    july_csv.write_text(
        (EXAMPLES / "bar_month.csv").read_text(encoding="utf-8").replace("2024-05", "2024-07")
    )
    assert cmrules("run", five_percent, july_csv, "-o", out).returncode == 0
    july = _nets(json.loads(out.read_text(encoding="utf-8")))
    assert july["B001"] == "3550.00"  # 2024-07: version 2024-07, 5% × 12,000 = 600


def test_diff_unknown_version() -> None:
    result = cmrules("diff", f"{BAR}@1999-01", BAR, EXAMPLES / "bar_month.csv")
    assert result.returncode == 64 and "no version '1999-01'" in result.stderr


def test_diff_the_securities_versions() -> None:
    plan = ROOT / "rulesets" / "securities_client_manager"
    result = cmrules("diff", f"{plan}@2012-01", f"{plan}@2013-07", EXAMPLES / "securities_staff.json")
    assert result.returncode == 0, result.stderr
    # S01: 50% of the 2,500 base (1,250) against the flat 1,500 of 2013-07
    assert re.search(r"S01\s+2013-09\s+1,340.00\s+1,590.00\s+\+250.00", result.stdout)
    # gains S07 480 + S06 340 + S01 250 + S05 80; losses S08 959.31 + S03 651.90
    assert "8 employees: 4 gain 1,150.00, 2 lose 1,611.21, 2 unchanged" in result.stdout


# ---------------------------------------------------------------------------- interrupts


@pytest.fixture(scope="module")
def big_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """50,000 employees (the bar month repeated), JSONL: a run of several seconds."""
    month = _month_records()
    path = tmp_path_factory.mktemp("big") / "staff.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for n in range(50_000):
            handle.write(json.dumps({**month[n % 12], "employee": f"E{n:05d}"}) + "\n")
    return path


def _start_run(ruleset: Path, source: Path, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cmrules", "run", str(ruleset), str(source), "-o", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=ENV,
    )


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name)
def test_killing_a_run_midway_leaves_no_partial_output(
    sig: signal.Signals, big_input: Path, tmp_path: Path
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "slips.jsonl"
    process = _start_run(BAR, big_input, out)
    deadline = time.monotonic() + 60  # a loaded machine can take seconds to start Python
    while not any(out_dir.iterdir()):  # its temporary output: past start-up, paying
        assert process.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline, "the run wrote nothing in 60 s"
        time.sleep(0.05)
    time.sleep(0.5)  # inside reading and evaluating
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    if sig == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
        # The run streams into a hidden temporary file, which a killed process cannot remove:
        # no slips file, no errors file; the next run into this folder removes the leftover.
        left = [p.name for p in out_dir.iterdir()]
        assert all(name.startswith(".slips.jsonl.") and name.endswith(".tmp") for name in left), left
        small = tmp_path / "one.jsonl"
        with big_input.open(encoding="utf-8") as handle:
            small.write_text(next(handle), encoding="utf-8")
        assert _start_run(BAR, small, out).wait(timeout=60) == 0
        assert sorted(p.name for p in out_dir.iterdir()) == ["slips.jsonl", "slips.jsonl.run.json"]
    else:
        assert list(out_dir.iterdir()) == []  # no slips file, no errors file, no temporary file
        assert process.returncode == 130
        assert b"interrupted" in stderr


#: A race the test must win: it retries a few times and fails if it never catches the run
#: in the act (a test that skipped itself after losing would count as passed without testing).
TRIES = 5


@pytest.mark.slow
def test_interrupt_while_writing_leaves_no_temporary_file(big_input: Path, tmp_path: Path) -> None:
    source = tmp_path / "staff.jsonl"
    with big_input.open(encoding="utf-8") as handle:
        source.write_text("".join(next(handle) for _ in range(8_000)), encoding="utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "slips.json"
    for _ in range(TRIES):
        out.unlink(missing_ok=True)
        process = _start_run(BAR, source, out)
        caught = False
        while process.poll() is None:
            if any(p.name.endswith(".tmp") for p in out_dir.iterdir()):
                process.send_signal(signal.SIGINT)
                caught = True
                break
            time.sleep(0.001)
        _, stderr = process.communicate(timeout=60)
        assert not any(p.name.endswith(".tmp") for p in out_dir.iterdir())
        assert b"\r" not in stderr  # stderr is a pipe: no progress bar
        if caught:
            break
    else:
        pytest.fail(f"the write finished before the test saw its temporary file, {TRIES} times")
    assert process.returncode in (0, 130), stderr.decode()
    if out.exists():  # the signal landed after the rename: the file is whole
        assert len(json.loads(out.read_text(encoding="utf-8"))) == 8_000
    else:
        assert process.returncode == 130


def _first_rows(big_input: Path, path: Path, rows: int) -> Path:
    with big_input.open(encoding="utf-8") as handle:
        path.write_text("".join(next(handle) for _ in range(rows)), encoding="utf-8")
    return path


def _interrupt_when(process: subprocess.Popen[bytes], folder: Path, sig: signal.Signals, suffix: str) -> bool:
    """Send ``sig`` as soon as a hidden temporary entry ending in ``suffix`` appears in ``folder``."""
    while process.poll() is None:
        if any(p.name.startswith(".") and p.name.endswith(suffix) for p in folder.iterdir()):
            process.send_signal(sig)
            return True
        time.sleep(0.001)
    return False


@pytest.mark.slow
def test_the_next_run_removes_what_a_killed_run_left(big_input: Path, tmp_path: Path) -> None:
    source = _first_rows(big_input, tmp_path / "staff.jsonl", 8_000)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "slips.json"
    for _ in range(TRIES):
        process = _start_run(BAR, source, out)
        caught = _interrupt_when(process, out_dir, signal.SIGKILL, ".tmp")
        process.communicate(timeout=60)
        if caught and process.returncode == -signal.SIGKILL:
            break
        for leftover in out_dir.iterdir():
            leftover.unlink()
    else:
        pytest.fail(f"the write finished before the test could kill it, {TRIES} times")
    orphans = [p.name for p in out_dir.iterdir()]
    assert len(orphans) == 1 and re.fullmatch(
        rf"\.slips\.json\.[\w-]+\.{process.pid}\.[0-9a-f]{{12}}\.tmp", orphans[0]
    )
    result = cmrules("run", BAR, EXAMPLES / "bar_month.csv", "-o", out)
    assert result.returncode == 0, result.stderr
    # the orphan of the dead run is gone; the slips and their run record are there
    assert sorted(p.name for p in out_dir.iterdir()) == ["slips.json", "slips.json.run.json"]
    assert _nets(json.loads(out.read_text(encoding="utf-8"))) == NETS


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_an_interrupted_html_run_leaves_the_old_folder(
    sig: signal.Signals, big_input: Path, tmp_path: Path
) -> None:
    out = tmp_path / "html"
    assert cmrules("run", BAR, EXAMPLES / "bar_month.csv", "-o", out, "--format", "html").returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    source = _first_rows(big_input, tmp_path / "staff.jsonl", 3_000)
    for _ in range(TRIES):
        process = _start_run(BAR, source, out, "--format", "html")
        caught = _interrupt_when(process, tmp_path, sig, ".tmp")
        _, stderr = process.communicate(timeout=60)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["html", "staff.jsonl"], (
            process.returncode,
            stderr,
        )
        if caught:
            break
        assert cmrules("run", BAR, EXAMPLES / "bar_month.csv", "-o", out, "--format", "html").returncode == 0
    else:
        pytest.fail(f"the run finished before the test could interrupt it, {TRIES} times")
    if process.returncode == 130:
        assert b"interrupted" in stderr
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the old folder, whole
    else:  # the signal landed after the swap: the new folder, whole
        assert process.returncode == 0
        assert len(list(out.iterdir())) == 3_001


@pytest.mark.slow
def test_progress_bar_on_a_terminal(big_input: Path, tmp_path: Path) -> None:
    """On a terminal the bar runs while employees are evaluated (the pages are written as they
    are paid: no stage of their own since runs stream)."""
    pty = pytest.importorskip("pty")
    source = tmp_path / "staff.jsonl"
    with big_input.open(encoding="utf-8") as handle:
        source.write_text("".join(next(handle) for _ in range(25_000)), encoding="utf-8")
    master, slave = pty.openpty()
    out = tmp_path / "html"
    process = subprocess.Popen(
        [sys.executable, "-m", "cmrules", "run", str(BAR), str(source), "-o", str(out), "--format", "html"],
        stdout=subprocess.DEVNULL,
        stderr=slave,
        cwd=ROOT,
        env=ENV,
    )
    os.close(slave)
    seen = b""
    for chunk in _read_until_closed(master):
        seen += chunk
    assert process.wait(timeout=120) == 0
    assert re.search(rb"\revaluating \[#+\] 25,000/25,000 100%", seen)
    assert re.search(rb"\revaluating \[#+\.+\] [\d,]+/25,000 +\d+%", seen)  # under way
    assert b"25000 slips written" in seen
    assert len(list(out.iterdir())) == 25_001


def _read_until_closed(fd: int) -> Iterator[bytes]:
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 60)
            if not ready:
                return
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                return
            if not chunk:
                return
            yield chunk
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------- in process


def test_main_returns_exit_codes_without_raising(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert main(["run"]) == 64
    assert main(["check", str(BAR)]) == 0
    assert "ok (bar_customer_manager" in capsys.readouterr().out


def test_allow_failures_without_a_ledger_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # It only means something for --ledger FILE --close; it used to be ignored (exit 0).
    source = tmp_path / "may.json"
    source.write_text(json.dumps(_month_records()[:1]), encoding="utf-8")
    out = tmp_path / "slips.jsonl"
    assert main(["run", str(BAR), str(source), "-o", str(out), "--allow-failures"]) == 64
    err = capsys.readouterr().err
    assert "--allow-failures goes with --ledger FILE --close" in err
    assert not out.exists()


def test_run_file_from_python(tmp_path: Path) -> None:
    seen: list[tuple[int, int, str]] = []

    def progress(done: int, total: int, stage: str) -> None:
        seen.append((done, total, stage))

    result = run_file(
        BAR, EXAMPLES / "bar_month_with_errors.csv", tmp_path / "s.json", "json", progress=progress
    )
    assert (result.slips, result.failed_records) == (12, 2)
    assert issubclass(InputFileError, CmrulesError)  # one except clause catches every cmrules error
    assert result.errors_file == tmp_path / "s.json.errors.json"
    assert seen == [(14, 14, "evaluating")]
    seen.clear()
    html = run_file(BAR, EXAMPLES / "bar_month_with_errors.csv", tmp_path / "html", "html", progress=progress)
    assert html.errors_file == tmp_path / "html" / "errors.json"
    assert seen == [(14, 14, "evaluating")]  # pages are written as they are paid: no stage of their own
    text = run_file(BAR, EXAMPLES / "bar_month.csv", None, "jsonl").rendered
    assert text is not None and len(text.splitlines()) == 12


def test_substitute_puts_values_into_a_condition() -> None:
    values = {
        "c": {"amount": Decimal("250.00"), "item": "drink"},
        "rate": Decimal("0.05"),
        "lines.x": Decimal(3),
    }
    text = "c.amount > rate * 1000 and c.item not in ('snack', 'fruit') or lines.x - 1 >= 0"
    assert substitute(text, values, rates=frozenset({"rate"})) == (
        "250.00 > 5% × 1000 and \"drink\" not in ('snack', 'fruit') or 3 − 1 >= 0"
    )


# ---------------------------------------------------------------------------- examples


def _example(name: str, *args: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *map(str, args)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_example_payroll_bar(tmp_path: Path) -> None:
    result = _example("payroll_bar.py", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == [f"{e}.json" for e in NETS]
    slip = json.loads((tmp_path / "out" / "B007.json").read_text(encoding="utf-8"))
    assert slip["totals"]["net"] == NETS["B007"]
    assert re.search(rf"total\s+{re.escape(TOTAL_NET)}", result.stdout)
    assert re.search(r"B008\s+47,000.00\s+3,210.00\s+3,900.00\s+0.00\s+690.00", result.stdout)

    failing = _example("payroll_bar.py", tmp_path / "out", "--input", EXAMPLES / "bar_month_with_errors.csv")
    assert failing.returncode == 2
    errors = json.loads((tmp_path / "out" / "errors.json").read_text(encoding="utf-8"))
    assert [e["employee"] for e in errors] == ["B013", "B014"]
    assert "FAILED B013: bookings[1].amount" in failing.stderr


def test_example_explain_one_slip() -> None:
    result = _example("explain_one_slip.py")
    assert result.returncode == 0, result.stderr
    assert "3,000.00 × min(12,000.00, 40,000.00) ÷ 40,000.00 = 900.00" in result.stdout
    assert "is 12,000.00 > 40,000.00 → false" in result.stdout


def test_example_compare_securities_versions() -> None:
    result = _example("compare_securities_versions.py")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # S01, the seed's example: 50% of a 2,500 base is 1,250 (2012-01) against the flat 1,500 (2013-07);
    # commission 10% × 10,000 × 50% = 500 and the contributions on the 2,000 floor (410) are the same.
    assert re.search(r"S01\s+1\s+50.00%\s+1,340.00\s+1,590.00\s+\+250.00", out)
    # S03, level 2 at 80%: base 2,320 + 1,400 → 3,720 − 762.60 = 2,957.40; 1,500 + 1,400 → 2,900 − 594.50
    assert re.search(r"S03\s+2\s+80.00%\s+2,957.40\s+2,305.50\s+-651.90", out)
    # S07: 750 + 480 topped up to the 1,500 minimum wage, against 1,500 + 480 = 1,980; both − 410
    assert re.search(r"S07\s+1\s+30.00%\s+1,090.00\s+1,570.00\s+\+480.00", out)
    assert "unchanged: S02, S04" in out


def test_the_run_summary_counts_in_words(tmp_path: Path) -> None:
    source = tmp_path / "two.csv"
    source.write_text("employee,period,absent_days\nB001,2024-05,0\nB002,2024-05,two\n", encoding="utf-8")
    result = cmrules("run", BAR, source, "-o", tmp_path / "slips.json")
    assert result.returncode == 2
    assert "1 slip written to" in result.stderr and "1 employee failed; errors in" in result.stderr
