"""Input readers (JSON, JSONL, YAML, CSV, Parquet) and atomic output."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import os
import stat
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from real_slips import bar_slip

import cmrules.outputs._atomic
import cmrules.outputs._batches
import cmrules.outputs._write
from cmrules.outputs import atomic_write, atomic_writer, errors_path, verify_output, write_slips
from cmrules.sources import FloatLiteral, InputFileError, read_inputs

# One data set every format can say exactly: strings, ints, bools, nested records, lists.
RECORDS: list[dict[str, Any]] = [
    {
        "employee": "B001",
        "period": "2024-05",
        "absent_days": 0,
        "dismissed": False,
        "deposit": "500.00",
        "bookings": [
            {"date": "2024-05-03", "amount": "30000.00", "registered_minutes_before": 15},
            {"date": "2024-05-18", "amount": "22000.00", "registered_minutes_before": 10},
        ],
        "late_arrivals": [12, 25],
    },
    {
        "employee": "B002",
        "period": "2024-05",
        "absent_days": 3,
        "dismissed": True,
        "bookings": [],
        "late_arrivals": [45],
    },
]


def _write_json(path: Path) -> None:
    path.write_text(json.dumps(RECORDS, ensure_ascii=False, indent=1), encoding="utf-8")


def _write_jsonl(path: Path) -> None:
    lines = [json.dumps(r, ensure_ascii=False) for r in RECORDS]
    path.write_text(lines[0] + "\n\n" + lines[1] + "\n", encoding="utf-8")


def _write_yaml(path: Path) -> None:
    path.write_text(
        """\
# two employee-months
- employee: B001
  period: "2024-05"
  absent_days: 0
  dismissed: false
  deposit: "500.00"
  bookings:
    - {date: "2024-05-03", amount: "30000.00", registered_minutes_before: 15}
    - {date: "2024-05-18", amount: "22000.00", registered_minutes_before: 10}
  late_arrivals: [12, 25]
- employee: B002
  period: "2024-05"
  absent_days: 3
  dismissed: true
  bookings: []
  late_arrivals: [45]
""",
        encoding="utf-8",
    )


def _write_csv(path: Path) -> None:
    fields = ["employee", "period", "absent_days", "dismissed", "deposit", "bookings"]
    fields.append("late_arrivals")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(fields)
    for record in RECORDS:
        row = []
        for name in fields:
            value = record.get(name)
            if value is None:
                row.append("")
            elif isinstance(value, bool):
                row.append("true" if value else "false")
            elif isinstance(value, list):
                row.append(json.dumps(value))
            else:
                row.append(str(value))
        writer.writerow(row)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _write_parquet(path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.Table.from_pylist(RECORDS), path)


WRITERS = {
    "data.json": _write_json,
    "data.jsonl": _write_jsonl,
    "data.yaml": _write_yaml,
    "data.yml": _write_yaml,
    "data.csv": _write_csv,
    "data.parquet": _write_parquet,
}


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_every_format_reads_the_same_records(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    WRITERS[name](path)
    assert read_inputs(path) == RECORDS
    assert read_inputs(str(path)) == RECORDS


def test_explicit_format_overrides_the_suffix(tmp_path: Path) -> None:
    path = tmp_path / "employees.txt"
    _write_json(path)
    assert read_inputs(path, format="json") == RECORDS
    with pytest.raises(InputFileError, match="suffix"):
        read_inputs(path)
    with pytest.raises(InputFileError, match="unknown input format"):
        read_inputs(path, format="xml")


# ---------------------------------------------------------------- floats never become float


def test_json_float_is_a_float_literal_and_ints_stay_ints(tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    path.write_text('[{"deposit": 1.5, "absent_days": 2, "big": 12345678901234567890}]')
    [record] = read_inputs(path)
    assert type(record["deposit"]) is FloatLiteral
    assert record["deposit"] == "1.5"
    assert repr(record["deposit"]) == "FloatLiteral('1.5')"
    assert type(record["absent_days"]) is int
    assert record["big"] == 12345678901234567890


def test_json_keeps_float_text_as_written(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"a": 0.1, "b": 1e2, "c": [3000.10]}\n')
    [record] = read_inputs(path)
    assert record == {"a": "0.1", "b": "1e2", "c": ["3000.10"]}
    assert all(isinstance(v, FloatLiteral) for v in (record["a"], record["b"], record["c"][0]))


def test_yaml_float_date_and_odd_ints(tmp_path: Path) -> None:
    path = tmp_path / "in.yaml"
    path.write_text(
        "- employee: 0012\n"
        "  deposit: 3000.50\n"
        "  day: 2024-05-03\n"
        "  period: 2024-05\n"
        "  minutes: 30\n"
        "  clock: 1:30\n"
    )
    [record] = read_inputs(path)
    assert record["employee"] == "0012"  # not octal 10
    assert type(record["deposit"]) is FloatLiteral and record["deposit"] == "3000.50"
    assert record["day"] == dt.date(2024, 5, 3)
    assert record["period"] == "2024-05"
    assert record["minutes"] == 30 and type(record["minutes"]) is int
    assert record["clock"] == "1:30"  # not sexagesimal 90


def test_csv_cells(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        "employee,deposit,absent_days,dismissed,comps,note\n"
        '0012,3000.50,2,TRUE,"[{""amount"": 1.5, ""item"": ""drink""}]",\n'
        "B003,,-1,false,[],hello world\n",
        encoding="utf-8",
    )
    first, second = read_inputs(path)
    assert first == {
        "employee": "0012",
        "deposit": "3000.50",
        "absent_days": 2,
        "dismissed": True,
        "comps": [{"amount": "1.5", "item": "drink"}],
    }
    assert type(first["deposit"]) is str  # text: exact, the validator makes it Decimal
    assert type(first["comps"][0]["amount"]) is FloatLiteral
    assert second == {
        "employee": "B003",
        "absent_days": -1,
        "dismissed": False,
        "comps": [],
        "note": "hello world",
    }


def test_parquet_decimal_float_null_and_map(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table(
        {
            "employee": pa.array(["B001", "B002"]),
            "deposit": pa.array([Decimal("500.00"), None], type=pa.decimal128(12, 2)),
            "score": pa.array([87.5, 60.0], type=pa.float64()),
            "day": pa.array([dt.date(2024, 5, 3), dt.date(2024, 5, 4)], type=pa.date32()),
            "scores": pa.array(
                [[("business", 80), ("records", 90)], []], type=pa.map_(pa.string(), pa.int64())
            ),
        }
    )
    path = tmp_path / "in.parquet"
    pq.write_table(table, path)
    first, second = read_inputs(path)
    assert first["deposit"] == Decimal("500.00") and isinstance(first["deposit"], Decimal)
    assert str(first["deposit"]) == "500.00"
    assert type(first["score"]) is FloatLiteral and first["score"] == "87.5"
    assert first["day"] == dt.date(2024, 5, 3)
    assert first["scores"] == {"business": 80, "records": 90}
    assert "deposit" not in second  # null cell = absent field


def test_parquet_without_pyarrow_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    path = tmp_path / "in.parquet"
    path.write_bytes(b"PAR1")
    with pytest.raises(InputFileError, match=r"pyarrow.*cmrules\[parquet\]"):
        read_inputs(path)


# ---------------------------------------------------------------- errors are located


@pytest.mark.parametrize(
    ("name", "text", "line", "message"),
    [
        ("bad.json", '[\n {"a": 1},\n {"a": }\n]', 3, "Expecting value"),
        ("nan.json", '[{"a": NaN}]', 1, "NaN is not a number"),
        ("dup.json", '[{"a": 1, "a": 2}]', 1, "duplicate key 'a'"),
        ("obj.json", '{"employee": "B001"}', None, "JSON array"),
        ("scalar.json", "[1]", None, "record 1 is a number"),
        ("bad.jsonl", '{"a": 1}\n\n{"a": \n', 3, "Expecting value"),
        ("list.jsonl", "[1, 2]\n", 1, "not an object"),
        ("bad.yaml", "- a: 1\n- b: [1, 2\n", 3, ""),
        ("dup.yaml", "- a: 1\n  a: 2\n", 2, "duplicate key 'a'"),
        ("map.yaml", "employee: B001\n", None, "YAML list"),
        ("wide.csv", "a,b\n1,2\n1,2,3\n", 3, "3 cells"),
        ("dup.csv", "a,a\n1,2\n", 1, "duplicate column 'a'"),
        ("cell.csv", 'a,b\n1,"[1,"\n', 2, "column 'b'"),
        ("latin1.json", None, 1, "not UTF-8"),
    ],
)
def test_read_errors_name_file_and_line(
    tmp_path: Path, name: str, text: str | None, line: int | None, message: str
) -> None:
    path = tmp_path / name
    if text is None:
        path.write_bytes('[{"employee": "Müller"}]'.encode("latin-1"))
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        read_inputs(path)
    error = caught.value
    assert error.path == str(path)
    assert error.line == line
    assert message in error.message
    assert str(error).startswith(f"{path}:{line}:" if line else f"{path}:")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        read_inputs(tmp_path / "nope.json")


def test_empty_files(tmp_path: Path) -> None:
    for name, text in (
        ("e.jsonl", "\n\n"),
        ("e.yaml", "# nothing\n"),
        ("e.csv", ""),
        ("e.json", ""),
        ("w.json", " \n"),
    ):
        (tmp_path / name).write_text(text)
        assert read_inputs(tmp_path / name) == []


def test_bom_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffemployee,absent_days\nB001,1\n".encode())
    assert read_inputs(path) == [{"employee": "B001", "absent_days": 1}]


def test_reading_imports_no_writer_or_renderer(tmp_path: Path) -> None:
    _write_csv(tmp_path / "data.csv")
    script = (
        "import sys, cmrules.sources\n"
        f"assert cmrules.sources.read_inputs({str(tmp_path / 'data.csv')!r})\n"
        "print(sorted(m for m in sys.modules if m.startswith('cmrules.outputs')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"


# ---------------------------------------------------------------- atomic output


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    atomic_write(target, "old\n")
    atomic_write(target, "新的\n")
    assert target.read_bytes() == "新的\n".encode()
    atomic_write(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("exc", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_atomic_writer_keeps_old_file_when_writer_fails(tmp_path: Path, exc: BaseException) -> None:
    target = tmp_path / "slips.csv"
    target.write_text("old content\n", encoding="utf-8")
    with pytest.raises(type(exc)), atomic_writer(target) as handle:
        handle.write("half of the new con")
        handle.flush()
        raise exc
    assert target.read_text(encoding="utf-8") == "old content\n"
    assert _leftovers(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slips.csv"]


def test_atomic_writer_failure_without_old_file_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "new.txt"
    with pytest.raises(ValueError), atomic_writer(target, "wb") as handle:
        handle.write(b"partial")
        raise ValueError("stop")
    assert list(tmp_path.iterdir()) == []


def test_atomic_writer_text_mode_does_not_translate_newlines(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    with atomic_writer(target) as handle:
        handle.write("a\nb\n")
    assert target.read_bytes() == b"a\nb\n"
    with pytest.raises(ValueError, match="mode"), atomic_writer(target, "a"):
        pass


def test_atomic_write_keeps_mode_of_existing_file_and_umask_for_new(tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    existing = tmp_path / "existing.txt"
    existing.write_text("x")
    existing.chmod(0o640)
    atomic_write(existing, "y")
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640
    umask = os.umask(0)
    os.umask(umask)
    fresh = tmp_path / "fresh.txt"
    atomic_write(fresh, "z")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


# ---------------------------------------------------------------- write_slips


@pytest.fixture
def slips() -> list[dict[str, Any]]:
    first = bar_slip()
    second = copy.deepcopy(first)
    second["employee"] = "B002"
    return [first, second]


FAILURES = [
    {
        "employee": "B007",
        "field": "bookings[3].amount",
        "value": "-5",
        "message": "must be >= 0",
        "code": "input.constraint",
    }
]


def test_write_json_jsonl_csv_text_to_stdout(slips: list[dict]) -> None:
    as_json = write_slips(slips, [], None, "json")
    assert as_json is not None and as_json.endswith("]\n")
    assert json.loads(as_json) == slips
    assert "底薪" in as_json  # ensure_ascii=False
    as_jsonl = write_slips(slips, [], None, "jsonl")
    assert as_jsonl is not None
    lines = as_jsonl.splitlines()
    assert len(lines) == 2 and [json.loads(x) for x in lines] == slips
    assert ", " not in lines[0].split('"explanation"')[0]  # compact separators
    as_csv = write_slips(slips, [], None, "csv")
    assert as_csv is not None
    assert len(as_csv.splitlines()) == 1 + len(slips)  # one row per slip
    as_lines = write_slips(slips, [], None, "csv-lines")
    assert as_lines is not None and len(as_lines.splitlines()) == 1 + 2 * len(slips[0]["lines"])
    assert not as_csv.startswith("\ufeff")  # no byte order mark on stdout
    as_text = write_slips(slips, [], None, "text")
    assert as_text is not None and as_text.count("工资单 Pay slip") == 2


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "csv-lines", "text"])
def test_write_file_and_errors_file(tmp_path: Path, slips: list[dict], fmt: str) -> None:
    out = tmp_path / f"slips.{fmt}"
    assert write_slips(slips, FAILURES, out, fmt) is None
    first = out.read_bytes()
    bom = "\ufeff" if fmt.startswith("csv") else ""  # Excel reads a CSV file with one as UTF-8
    assert first.decode("utf-8") == bom + str(write_slips(slips, [], None, fmt))
    errors = errors_path(out, fmt)
    assert errors == tmp_path / f"slips.{fmt}.errors.json"
    assert json.loads(errors.read_text(encoding="utf-8")) == FAILURES
    # Byte-deterministic, and a clean run removes the stale errors file.
    write_slips(slips, [], out, fmt)
    assert out.read_bytes() == first
    assert not errors.exists()
    assert _leftovers(tmp_path) == []


def test_write_html_directory(tmp_path: Path, slips: list[dict]) -> None:
    out = tmp_path / "html"
    write_slips(slips, FAILURES, out, "html")
    names = sorted(p.name for p in out.iterdir())
    assert names == ["B001.html", "B002.html", "errors.json", "index.html"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="B001.html"' in index and "bookings[3].amount" in index
    assert "2,460.00" in (out / "B001.html").read_text(encoding="utf-8")
    before = {n: (out / n).read_bytes() for n in names}
    write_slips(slips, FAILURES, out, "html")
    assert {n: (out / n).read_bytes() for n in names} == before


def test_write_html_unsafe_employee_stays_inside_directory(tmp_path: Path, slips: list) -> None:
    slips[0]["employee"] = "../escape"
    out = tmp_path / "html"
    write_slips(slips, [], out, "html")
    assert not (tmp_path / "escape.html").exists()
    assert len([p for p in out.iterdir() if p.suffix == ".html"]) == 3


def test_write_rejects_bad_requests(slips: list[dict]) -> None:
    with pytest.raises(ValueError, match="directory"):
        write_slips(slips, [], None, "html")
    with pytest.raises(ValueError, match="unknown output format"):
        write_slips(slips, [], None, "xml")


def test_empty_outputs() -> None:
    assert write_slips([], [], None, "json") == "[]\n"
    assert write_slips([], [], None, "jsonl") == ""
    assert write_slips([], [], None, "text") == ""


def _hidden(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_write_html_replaces_the_whole_folder(tmp_path: Path, slips: list[dict]) -> None:
    out = tmp_path / "html"
    write_slips(slips, FAILURES, out, "html")
    write_slips(slips[1:], [], out, "html")
    # B001's page and the errors of the first run do not survive into the second
    assert sorted(p.name for p in out.iterdir()) == ["B002.html", "index.html"]
    assert 'href="B001.html"' not in (out / "index.html").read_text(encoding="utf-8")
    assert _hidden(tmp_path) == []


def test_interrupted_html_write_leaves_the_old_folder(
    tmp_path: Path, slips: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "html"
    write_slips(slips, FAILURES, out, "html")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    pages: list[str] = []

    def interrupted(slip: dict[str, Any], detail: str | None = None, **_: Any) -> str:
        if pages:
            raise KeyboardInterrupt  # Ctrl-C (or SIGTERM, which the CLI turns into it) on page 2
        pages.append(slip["employee"])
        return "<html>new</html>"

    monkeypatch.setattr(cmrules.outputs._batches, "render_html_slip", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_slips(list(reversed(slips)), [], out, "html")
    assert pages == ["B002"]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert _hidden(tmp_path) == []


def test_html_pages_are_not_fsynced_one_by_one(
    tmp_path: Path, slips: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    many = [{**slips[0], "employee": f"E{n:03d}"} for n in range(40)]
    calls: list[str] = []
    real_fsync, real_sync = os.fsync, getattr(os, "sync", None)
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append("fsync") or real_fsync(fd))
    if real_sync is not None:
        monkeypatch.setattr(os, "sync", lambda: calls.append("sync") or real_sync())
    written: list[tuple[int, int]] = []
    write_slips(many, [], tmp_path / "html", "html", lambda done, total: written.append((done, total)))
    assert len(list((tmp_path / "html").iterdir())) == 41
    # one sync of every page before the folder is swapped in, one fsync of the rename
    assert calls == (["sync"] if real_sync is not None else []) + ["fsync"]
    assert written == [(n, 40) for n in range(1, 41)]


def test_write_html_refuses_to_replace_what_it_did_not_write(tmp_path: Path, slips: list[dict]) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError, match="not a folder this writer made"):
        write_slips(slips, [], home, "html")
    (home / "notes.txt").unlink()
    (home / "index.html").write_text("<html>someone else's</html>", encoding="utf-8")
    with pytest.raises(FileExistsError):
        write_slips(slips, [], home, "html")
    assert [p.name for p in home.iterdir()] == ["index.html"]
    a_file = tmp_path / "report"
    a_file.write_text("x", encoding="utf-8")
    with pytest.raises(FileExistsError):
        write_slips(slips, [], a_file, "html")
    assert a_file.read_text(encoding="utf-8") == "x"
    assert _hidden(tmp_path) == []
    empty = tmp_path / "empty"
    empty.mkdir()
    write_slips(slips, [], empty, "html")  # an empty folder is fine
    assert len(list(empty.iterdir())) == 3
    # a page an older cmrules was killed writing (it renamed page by page) goes with the folder
    (empty / ".B001.html.0123456789ab.tmp").write_text("half a page", encoding="utf-8")
    write_slips(slips[:1], [], empty, "html")
    assert sorted(p.name for p in empty.iterdir()) == ["B001.html", "index.html"]


@pytest.mark.parametrize("fmt", ["json", "csv"])
@pytest.mark.parametrize("step", [1, 2, 3])
def test_an_interrupted_write_leaves_the_previous_pair(
    tmp_path: Path, slips: list[dict], fmt: str, step: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slips, errors file and run record are staged before any is renamed: an interrupt while
    staging the slips (1), the errors (2) or the run record (3) changes none of them."""
    out = tmp_path / f"slips.{fmt}"
    errors = errors_path(out, fmt)
    write_slips(slips, FAILURES, out, fmt)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real_create = cmrules.outputs._atomic._create
    calls = []

    def interrupted(temp: Path, path: Path) -> int:
        calls.append(path)
        if len(calls) == step:
            raise KeyboardInterrupt
        return real_create(temp, path)

    monkeypatch.setattr(cmrules.outputs._atomic, "_create", interrupted)
    other = [{**FAILURES[0], "employee": "B009"}]
    with pytest.raises(KeyboardInterrupt):
        write_slips(slips[:1], other, out, fmt)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert json.loads(errors.read_text(encoding="utf-8")) == FAILURES
    assert verify_output(out).complete
