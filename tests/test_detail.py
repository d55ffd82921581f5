"""Detail levels of a slip: ``summary``, ``lines``, ``trace``, in its JSON form and every format.

``PaySlip.to_dict(detail)`` and ``to_json(detail)`` hold exactly the keys of their level;
``to_json`` (raw values written by orjson) gives the bytes of the sorted ``json.dumps`` of
``to_dict`` at every level; ``cmrules run --detail`` writes each level in each format that
offers it and refuses the others before anything is read; CSV never builds a trace.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from shipped import generate

import cmrules
from cmrules.cli import EXIT_USAGE
from cmrules.commands import run_file
from cmrules.errors import UsageError
from cmrules.outputs.render import DEFAULT_DETAIL, FORMAT_DETAILS, detail_for, render_text
from cmrules.slip import DETAILS, PaySlip, dump_sorted, json_ready, json_value

ROOT = Path(__file__).resolve().parent.parent
BAR = ROOT / "rulesets" / "bar_customer_manager.yaml"
MONTH = ROOT / "examples" / "bar_month.json"
HEAD = {"employee", "period", "ruleset", "currency", "notices", "facts", "totals"}
KEYS = {"summary": HEAD, "lines": HEAD | {"lines"}, "trace": HEAD | {"lines", "trace"}}


@pytest.fixture(scope="module")
def slips() -> list[PaySlip]:
    ruleset = cmrules.load_ruleset(BAR)
    return [ruleset.evaluate(record) for record in json.loads(MONTH.read_text(encoding="utf-8"))]


def _sorted(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


@pytest.mark.parametrize("detail", DETAILS)
def test_each_level_has_exactly_its_keys(slips: list[PaySlip], detail: str) -> None:
    for slip in slips:
        as_dict = slip.to_dict(detail)  # type: ignore[arg-type]
        assert set(as_dict) == KEYS[detail]
        assert set(json.loads(slip.to_json(detail))) == KEYS[detail]  # type: ignore[arg-type]
        for line in as_dict.get("lines", []):
            assert line["explanation"]  # lines come with their explanations
    assert any(slip.to_dict("trace")["trace"] for slip in slips)


@pytest.mark.parametrize("detail", DETAILS)
def test_to_json_is_the_sorted_dump_of_to_dict(slips: list[PaySlip], detail: str) -> None:
    for slip in slips:
        assert slip.to_json(detail) == _sorted(slip.to_dict(detail))  # type: ignore[arg-type]


def test_the_default_is_the_trace(slips: list[PaySlip]) -> None:
    for slip in slips:
        assert slip.to_json() == slip.to_json("trace")
        assert slip.to_dict() == slip.to_dict("trace")


def test_the_trace_is_json_ready(slips: list[PaySlip]) -> None:
    """The trace built from raw values reads as it did when each value was converted."""
    for slip in slips:
        assert slip.trace == json_value(slip._raw_trace_entries())


def test_an_unknown_level_is_refused(slips: list[PaySlip]) -> None:
    with pytest.raises(ValueError, match="unknown detail 'full'"):
        slips[0].to_json("full")  # type: ignore[arg-type]


def test_dump_sorted_writes_what_json_writes() -> None:
    """orjson writes Decimal, date, nested lists and dicts; an int past 64 bits falls back to json."""
    value = {
        "z": [Decimal("-0.00"), Decimal("12.50"), dt.date(2024, 5, 1), ("a", None, True)],
        "a": {"é": "工资", "n": -3, "ctl": "tab\tnew\nline\x01"},
    }
    assert dump_sorted(value) == _sorted(json_value(value))
    huge = {"big": 10**30, "small": Decimal("1.0")}
    assert dump_sorted(huge) == _sorted(json_value(huge))
    assert json_ready(huge) == json_value(huge)


def test_the_year_one_is_written_with_four_digits() -> None:
    assert dump_sorted({"d": dt.date(1, 2, 3)}) == b'{"d":"0001-02-03"}'


# --- every format, every level ---------------------------------------------------------------


#: Formats written as text (xlsx and Parquet, binary, have their own tests: test_xlsx, test_frames).
TEXT_FORMATS = sorted(set(FORMAT_DETAILS) - {"xlsx", "parquet", "parquet-lines"})


def _run(tmp_path: Path, fmt: str, detail: str | None) -> str:
    out = tmp_path / (f"slips.{fmt}" if fmt != "html" else "pages")
    result = run_file(BAR, MONTH, out, fmt, detail=detail)
    assert result.ok
    if fmt == "html":
        return "".join(p.read_text(encoding="utf-8") for p in sorted(out.glob("B*.html")))
    return out.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("detail", DETAILS)
def test_every_level_in_every_format(tmp_path: Path, fmt: str, detail: str) -> None:
    if detail not in FORMAT_DETAILS[fmt]:
        with pytest.raises(UsageError, match=f"cannot show detail '{detail}'"):
            run_file(BAR, MONTH, tmp_path / "never", fmt, detail=detail)
        assert not list(tmp_path.iterdir())  # refused before anything was written
        return
    text = _run(tmp_path, fmt, detail)
    if fmt in ("json", "jsonl"):
        slips = json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
        assert {frozenset(s) for s in slips} == {frozenset(KEYS[detail])}
    elif fmt == "csv":
        header = next(csv.reader(io.StringIO(text)))
        assert ("total.earning" in header) == (detail != "summary")
    elif fmt == "csv-lines":
        assert "explanation" in text.splitlines()[0]
    else:
        lines_shown = "Subtotal" in text
        assert lines_shown == (detail != "summary")
        assert ("Trace" in text) == (detail == "trace")
        assert "Net pay" in text


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_the_default_level_is_the_format_default(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert _run(tmp_path / "a", fmt, None) == _run(tmp_path / "b", fmt, DEFAULT_DETAIL[fmt])
    assert DEFAULT_DETAIL[fmt] == ("trace" if fmt in ("json", "jsonl") else "lines")


@pytest.mark.slow
def test_csv_never_builds_a_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_trace(self: PaySlip) -> Any:
        raise AssertionError("a trace was built")

    monkeypatch.setattr(PaySlip, "_raw_trace_entries", no_trace)
    for fmt in ("csv", "csv-lines", "text", "html"):
        _run(tmp_path / fmt, fmt, None)
    failed = run_file(BAR, MONTH, tmp_path / "slips.json", "json")  # json writes the trace
    assert failed.failures and "a trace was built" in failed.failures[0]["message"]


def test_text_shows_the_trace_on_request(slips: list[PaySlip]) -> None:
    page = render_text(slips[0].to_dict("trace"), detail="trace")
    assert "追溯 Trace" in page
    assert "fact:performance" in page
    assert "追溯 Trace" not in render_text(slips[0].to_dict("trace"))  # the default: lines


def test_detail_for_names_what_a_format_offers() -> None:
    assert detail_for("csv") == "lines"
    with pytest.raises(ValueError, match="offers summary, lines"):
        detail_for("csv", "trace")
    with pytest.raises(ValueError, match="unknown detail"):
        detail_for("json", "everything")


def test_bar_months_from_json_text_at_every_level() -> None:
    """Records as files give them (money and dates as text) make the same bytes at each level."""
    ruleset = cmrules.load_ruleset(BAR)
    for record in generate(40, 3):
        text = json.loads(json.dumps(record, default=str))
        for detail in DETAILS:
            assert ruleset.evaluate(text).to_json(detail) == ruleset.evaluate(record).to_json(detail)  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_cli_takes_detail() -> None:
    def cmrules_run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "cmrules", "run", str(BAR), str(MONTH), *args]
        return subprocess.run(command, capture_output=True, text=True, encoding="utf-8", timeout=120)

    summary = cmrules_run("--format", "jsonl", "--detail", "summary")
    assert summary.returncode == 0, summary.stderr
    assert {frozenset(json.loads(line)) for line in summary.stdout.splitlines()} == {frozenset(HEAD)}
    refused = cmrules_run("--format", "csv", "--detail", "trace")
    assert refused.returncode == EXIT_USAGE
    assert "cannot show detail 'trace'" in refused.stderr
