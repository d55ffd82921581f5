"""A payroll run never pays wrong silently: duplicates, empty inputs, outputs onto inputs,
one bad record among good ones, record numbers and lines, encodings, unknown columns."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cmrules
import cmrules.commands
from cmrules.cli import main
from cmrules.errors import EmployeeError, InputError
from cmrules.ruleset._ruleset import Version
from cmrules.run import evaluate_records

ROOT = Path(__file__).resolve().parents[1]
BAR = ROOT / "rulesets" / "bar_customer_manager.yaml"
CONTEST = ROOT / "rulesets" / "sales_contest.yaml"
PLAN = ROOT / "rulesets" / "securities_client_manager"
MONTH = json.loads((ROOT / "examples" / "bar_month.json").read_text(encoding="utf-8"))
DEEP = "[" * 100_000 + "]" * 100_000


def _open(path: Path, **options: Any) -> Any:
    from cmrules.sources import open_records  # new here: the tests still collect on older code

    return open_records(path, **options)


def run(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    code = main(["run", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _jsonl(records: list[Any]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _errors(out: Path) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = json.loads(out.with_name(out.name + ".errors.json").read_text("utf-8"))
    return errors


def _paid(out: Path) -> list[str]:
    return [slip["employee"] for slip in json.loads(out.read_text(encoding="utf-8"))]


# ---------------------------------------------------------------- 1. duplicates


def test_a_repeated_employee_period_is_refused_in_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        _jsonl([*MONTH[:3], MONTH[1], {"employee": "B002", "period": "2024-06"}]), encoding="utf-8"
    )
    out = tmp_path / "slips.json"
    code, _, err = run(capsys, BAR, source, "-o", out)
    assert code == 2
    assert _paid(out) == ["B001", "B002", "B003", "B002"]  # the June record is another period
    [error] = _errors(out)
    assert (error["employee"], error["code"], error["record"], error["line"]) == (
        "B002",
        "input.duplicate",
        4,
        4,
    )
    assert "already appear in record 2: not paid twice" in error["message"]
    assert "employee B002 (record 4, line 4)" in err


def test_a_repeat_made_by_the_period_override_is_refused(tmp_path: Path) -> None:
    records = [{**MONTH[0], "period": "2024-04"}, MONTH[0]]
    outcomes = list(evaluate_records(cmrules.load_ruleset(BAR), records, period="2024-05"))
    assert outcomes[0].slip is not None
    assert outcomes[1].failures[0]["code"] == "input.duplicate"


def test_evaluate_many_pays_a_repeat_once() -> None:
    bar = cmrules.load_ruleset(BAR)
    slips, failures = bar.evaluate_many([MONTH[0], MONTH[1], dict(MONTH[0])])
    assert [s.employee for s in slips] == ["B001", "B002"]
    [failure] = failures
    assert isinstance(failure, InputError) and failure.code == "input.duplicate"
    assert "record 1" in failure.message


# ---------------------------------------------------------------- 2. empty inputs


def _empty_parquet(path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(
        pa.table({"employee": pa.array([], pa.string()), "period": pa.array([], pa.string())}), path
    )


EMPTY: dict[str, Any] = {
    "header.csv": "employee,period\n",
    "nothing.csv": "",
    "blank.jsonl": "\n\n",
    "none.yaml": "# nobody\n",
    "list.yaml": "[]\n",
    "array.json": "[]",
    "rows.parquet": _empty_parquet,
}


@pytest.mark.parametrize("name", sorted(EMPTY))
def test_an_empty_input_writes_nothing_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    source = tmp_path / name
    maker = EMPTY[name]
    if callable(maker):
        maker(source)
    else:
        source.write_text(maker, encoding="utf-8")
    out = tmp_path / "slips.json"
    out.write_text("last month's slips", encoding="utf-8")
    code, _, err = run(capsys, BAR, source, "-o", out)
    assert code == 1
    assert f"no employees in {source}" in err
    assert out.read_text(encoding="utf-8") == "last month's slips"
    code, _, err = run(capsys, BAR, source, "-o", out, "--allow-empty")
    assert code == 0, err
    assert json.loads(out.read_text(encoding="utf-8")) == []


# ---------------------------------------------------------------- 3. -o onto what the run reads


def test_the_output_may_not_be_the_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "month.json"
    shutil.copy(ROOT / "examples" / "bar_month.json", source)
    before = source.read_bytes()
    link = tmp_path / "link.json"
    link.symlink_to(source)
    for out in (source, link, tmp_path / "sub" / ".." / "month.json"):
        code, _, err = run(capsys, BAR, source, "-o", out, "--format", "json")
        assert code == 64, err
        assert "is the input file" in err and "refusing to overwrite it" in err
    assert source.read_bytes() == before
    assert not (tmp_path / "sub").exists()  # nothing was created either


def test_the_errors_file_may_not_be_the_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "slips.json.errors.json"
    shutil.copy(ROOT / "examples" / "bar_month.json", source)
    code, _, err = run(capsys, BAR, source, "-o", tmp_path / "slips.json")
    assert code == 64 and "is the input file" in err


def test_the_output_may_not_be_a_ruleset_or_in_a_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ruleset = tmp_path / "bar.yaml"
    shutil.copy(BAR, ruleset)
    plan = tmp_path / "plan"
    shutil.copytree(PLAN, plan)
    before = ruleset.read_bytes()
    source = ROOT / "examples" / "bar_month.json"
    code, _, err = run(capsys, ruleset, source, "-o", ruleset, "--format", "json")
    assert (code, ruleset.read_bytes()) == (64, before)
    assert "is the ruleset file" in err
    staff = ROOT / "examples" / "securities_staff.json"
    for out in (plan / "slips.json", plan / "new.yaml"):
        code, _, err = run(capsys, plan, staff, "-o", out, "--format", "json")
        assert code == 64 and "inside the plan folder" in err
        assert not out.exists()
    version = sorted(p.name for p in plan.glob("*.yaml"))[0].removesuffix(".yaml")
    code, _, err = run(capsys, f"{plan}@{version}", staff, "-o", plan / "x.json")
    assert code == 64, err


def test_an_html_folder_may_not_hold_the_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "pages" / "month.json"
    source.parent.mkdir()
    shutil.copy(ROOT / "examples" / "bar_month.json", source)
    code, _, err = run(capsys, BAR, source, "-o", tmp_path / "pages", "--format", "html")
    assert code == 64 and "holds the input file" in err
    assert source.exists()


# ---------------------------------------------------------------- 4. one bad record among good ones


def _bad_files(tmp_path: Path) -> Iterator[tuple[Path, str | None, int | None, str]]:
    """Files of the twelve good employees with one bad record; (file, employee, line, words)."""
    lines = _jsonl(MONTH).splitlines(keepends=True)
    jsonl = tmp_path / "broken.jsonl"
    jsonl.write_text("".join([*lines[:5], '{"employee": "X1", "period": \n', *lines[5:]]), encoding="utf-8")
    yield jsonl, "X1", 6, "Expecting value"
    deep = tmp_path / "deep.jsonl"
    deep.write_text("".join([*lines[:2], f'{{"employee": "X2", "bookings": {DEEP}}}\n', *lines[2:]]))
    yield deep, "X2", 3, "nests too deeply"
    array = tmp_path / "deep.json"
    body = ",\n".join(json.dumps(r) for r in MONTH[:4])
    rest = ",\n".join(json.dumps(r) for r in MONTH[4:])
    array.write_text(f'[\n{body},\n{{"employee": "X3", "bookings": {DEEP}}},\n{rest}\n]\n', encoding="utf-8")
    yield array, "X3", 6, "nests too deeply"
    syntax = tmp_path / "syntax.json"
    syntax.write_text(f'[\n{body},\n{{"employee": "X4", "deposit": }},\n{rest}\n]\n', encoding="utf-8")
    yield syntax, "X4", 6, "Expecting value"
    csv_text = (ROOT / "examples" / "bar_month.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    wide = tmp_path / "wide.csv"
    wide.write_text("".join([*csv_text[:3], "X5,2024-05" + "," * 20 + "\n", *csv_text[3:]]), encoding="utf-8")
    yield wide, "X5", 4, "cells but the header names"
    cell = tmp_path / "cell.csv"
    cell.write_text("".join([*csv_text[:3], 'X6,2024-05,"[{""date"": ]"\n', *csv_text[3:]]), encoding="utf-8")
    yield cell, "X6", 4, "column 'bookings'"
    nested = tmp_path / "nested.csv"
    cell_deep = "[" * 20_000 + "]" * 20_000  # within the csv module's field limit
    nested.write_text("".join([*csv_text[:2], f"X7,2024-05,{cell_deep}\n", *csv_text[2:]]), encoding="utf-8")
    yield nested, "X7", 3, "nests too deeply"
    yaml_text = (ROOT / "examples" / "bar_month.yaml").read_text(encoding="utf-8")
    first = yaml_text.index("\n- ") + 1
    deep_yaml = tmp_path / "deep.yaml"
    deep_yaml.write_text(yaml_text[:first] + f"- employee: X8\n  bookings: {DEEP}\n" + yaml_text[first:])
    yield deep_yaml, "X8", yaml_text[:first].count("\n") + 2, "deeper than 64 levels"  # at the error
    dup_key = tmp_path / "dupkey.yaml"
    dup_key.write_text(
        yaml_text[:first] + "- employee: X9\n  period: 2024-05\n  period: 2024-06\n" + yaml_text[first:]
    )
    yield dup_key, "X9", yaml_text[:first].count("\n") + 3, "duplicate key"


@pytest.mark.slow
def test_one_unreadable_record_costs_nobody_else(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = [r["employee"] for r in MONTH]
    for source, employee, line, words in _bad_files(tmp_path):
        out = tmp_path / f"{source.name}.slips.json"
        code, _, err = run(capsys, BAR, source, "-o", out)
        assert code == 2, (source.name, err)
        assert _paid(out) == expected, source.name
        [error] = _errors(out)
        assert error["code"] == "input.unreadable", source.name
        assert (error["employee"], error.get("line")) == (employee, line), (source.name, error)
        assert words in error["message"], (source.name, error)


def test_a_csv_row_spanning_lines_is_located_where_it_starts(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text('employee,period,note\nA,2024-05,"two\nlines"\nB,2024-05,x,extra\n', encoding="utf-8")
    records = list(_open(source))
    assert [(r.number, r.line, r.error is None) for r in records] == [(1, 2, True), (2, 4, False)]
    assert records[1].employee == "B"


def test_a_json_scalar_is_record_1_not_record_0(tmp_path: Path) -> None:
    source = tmp_path / "in.json"
    source.write_text('[1, {"employee": "A"}]', encoding="utf-8")
    first, second = _open(source)
    assert first.error == "record 1 is a number, not an object" and second.data == {"employee": "A"}


def _raising_for(monkeypatch: pytest.MonkeyPatch, employee: str, exc: BaseException) -> None:
    real = Version.run

    def run(self: Version, data: dict[str, Any], plan: Any = None) -> Any:
        if data["employee"] == employee:
            raise exc
        return real(self, data, plan)

    monkeypatch.setattr(Version, "run", run)


def test_any_exception_is_that_employees_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _raising_for(monkeypatch, "B003", RecursionError("maximum recursion depth exceeded"))
    bar = cmrules.load_ruleset(BAR)
    slips, failures = bar.evaluate_many(MONTH)
    assert len(slips) == len(MONTH) - 1
    [failure] = failures
    assert isinstance(failure, EmployeeError)
    assert (failure.employee, failure.code) == ("B003", "eval.internal")
    assert "RecursionError: maximum recursion depth exceeded" in failure.message
    source = tmp_path / "in.jsonl"
    source.write_text(_jsonl(MONTH), encoding="utf-8")
    result = cmrules.commands.run_file(bar, source, tmp_path / "out.json", "json")
    assert (result.slips, result.failed_records) == (len(MONTH) - 1, 1)
    assert result.failures[0]["code"] == "eval.internal" and result.failures[0]["line"] == 3


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), MemoryError()])
def test_an_interrupt_or_no_memory_stops_the_run(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    _raising_for(monkeypatch, "B003", exc)
    bar = cmrules.load_ruleset(BAR)
    with pytest.raises(type(exc)):
        bar.evaluate_many(MONTH)
    with pytest.raises(type(exc)):
        list(evaluate_records(bar, MONTH))


# ---------------------------------------------------------------- 5. the terminal


def test_control_characters_in_ids_are_escaped_on_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        _jsonl([MONTH[0], {"employee": "\x1b[2J\u202eB9", "period": "2024-05", "absent_days": "x"}])
    )
    code, _, err = run(capsys, BAR, source, "-o", tmp_path / "out.json")
    assert code == 2
    assert "\x1b" not in err and "\u202e" not in err
    assert "employee \\x1b[2J\\u202eB9 (record 2, line 2)" in err
    assert _errors(tmp_path / "out.json")[0]["employee"] == "\x1b[2J\u202eB9"  # the file keeps the id


# ---------------------------------------------------------------- 6. unknown fields and columns


def test_an_unknown_field_gets_a_did_you_mean() -> None:
    bar = cmrules.load_ruleset(BAR)
    with pytest.raises(InputError) as caught:
        bar.evaluate({**MONTH[0], "absnt_days": 1})
    assert caught.value.message == "Extra inputs are not permitted; did you mean 'absent_days'?"
    booking = {**MONTH[0]["bookings"][0], "amont": "1"}
    with pytest.raises(InputError) as caught:
        bar.evaluate({**MONTH[0], "bookings": [booking]})
    [problem] = caught.value.problems
    assert problem.field == "bookings[0].amont" and problem.message.endswith("did you mean 'amount'?")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_an_unknown_column_stops_the_run_before_anyone_is_paid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    source = tmp_path / f"in{suffix}"
    rows = [{"employee": r["employee"], "period": r["period"], "absnt_days": 1} for r in MONTH]
    if suffix == ".csv":
        source.write_text(
            "employee,period,absnt_days\n" + "".join(f"{r['employee']},2024-05,1\n" for r in rows)
        )
    else:
        pa = pytest.importorskip("pyarrow")
        pytest.importorskip("pyarrow.parquet").write_table(pa.Table.from_pylist(rows), source)
    out = tmp_path / "out.json"
    code, _, err = run(capsys, BAR, source, "-o", out)
    assert code == 1
    assert "column 'absnt_days' is not an input of ruleset bar_customer_manager" in err
    assert "did you mean 'absent_days'?" in err and err.count("\n") == 1
    assert not out.exists()


# ---------------------------------------------------------------- 7. encodings


def test_a_gb18030_csv_is_read_with_a_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "examples" / "sales_contest.csv").read_text(encoding="utf-8")
    assert any(ord(ch) > 0x7F for ch in text)  # Chinese team names
    gb = tmp_path / "gb.csv"
    gb.write_bytes(text.encode("gb18030"))
    utf8 = tmp_path / "utf8.csv"
    utf8.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))  # with a BOM, as Excel saves UTF-8
    code, expected, err = run(capsys, CONTEST, utf8, "--format", "json")
    assert (code, err.count("note:")) == (0, 0), err
    code, out, err = run(capsys, CONTEST, gb, "--format", "json")
    assert code == 0 and out == expected
    assert f"note: {gb} is not UTF-8: read as GB18030" in err
    code, out, err = run(capsys, CONTEST, gb, "--format", "json", "--encoding", "gb18030")
    assert (code, out, "note:" in err) == (0, expected, False)
    code, out, err = run(capsys, CONTEST, gb, "--format", "json", "--encoding", "utf-8")
    assert code == 1 and "not UTF-8 text" in err and out == ""


def test_a_json_file_that_is_not_utf8_has_no_fallback(tmp_path: Path) -> None:
    source = tmp_path / "in.json"
    source.write_bytes('[{"employee": "赵"}]'.encode("gb18030"))
    with pytest.raises(cmrules.errors.InputFileError, match="not UTF-8 text"):
        _open(source)
    assert next(iter(_open(source, encoding="gb18030"))).data == {"employee": "赵"}
