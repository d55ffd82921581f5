"""Streaming runs: records read, paid, rendered and written in batches, with the bytes of one render.

The reference is what ``write_slips`` rendered before runs streamed: every slip kept as a
dict, then one string (``json.dumps`` of the list, ``render_csv`` of all rows, ...).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import tracemalloc
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from shipped import ROOT, generate

import cmrules
from cmrules.commands import run_file
from cmrules.commands._run import _fact_labels
from cmrules.outputs import SlipWriter, render_batch, verify_output
from cmrules.outputs._batches import PageNames
from cmrules.outputs.render import render_csv, render_csv_lines, render_text, slip_filenames
from cmrules.ruleset import _stream
from cmrules.run import pay_records
from cmrules.sources import open_records

BAR = ROOT / "rulesets" / "bar_customer_manager.yaml"


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _months(n: int, seed: int = 7) -> Iterator[str]:
    """``n`` seeded bar months as JSONL lines (money and dates as text, as files hold them)."""
    for number, case in enumerate(generate(n, seed)):
        case["employee"] = f"E{number:05d}"
        yield json.dumps(case, default=_text, ensure_ascii=False) + "\n"


def _old_render(slips: Sequence[Mapping[str, Any]], fmt: str) -> bytes:
    """What ``write_slips`` wrote before runs streamed: all slips rendered as one string."""
    if fmt == "json":
        text = json.dumps(list(slips), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    elif fmt == "jsonl":
        text = "".join(json.dumps(s, ensure_ascii=False, separators=(",", ":")) + "\n" for s in slips)
    elif fmt == "csv":
        text = "\ufeff" + render_csv(slips)
    elif fmt == "csv-lines":
        text = "\ufeff" + render_csv_lines(slips)
    else:
        text = "\n".join(render_text(slip) for slip in slips)
    return text.encode("utf-8")


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 37 records from the first: a few hundred records make many batches."""
    monkeypatch.setattr(_stream, "_WARMUP", ())
    monkeypatch.setattr(_stream, "BATCH_SIZE", 37)


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("months") / "months.jsonl"
    lines = list(_months(300))
    lines.insert(120, '{"employee": "BAD", "period": "2024-05", "base_salary": "x"}\n')
    lines.insert(200, lines[5])  # E00005 again: a duplicate in a later batch
    lines.insert(250, "{not json\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "csv-lines", "text"])
def test_a_streamed_run_writes_the_bytes_of_one_render(
    fmt: str, months: Path, tmp_path: Path, small_batches: None
) -> None:
    ruleset = cmrules.load_ruleset(BAR)
    out = tmp_path / f"slips.{fmt}"
    result = run_file(ruleset, months, out, fmt, jobs=1)
    old = pay_records(ruleset, list(open_records(months)))
    assert out.read_bytes() == _old_render(old.slips, fmt)
    assert (result.slips, result.failures, result.failed_records) == (300, old.failures, 3)
    assert [f["code"] for f in result.failures] == ["input.unknown", "input.duplicate", "input.unreadable"]
    assert verify_output(out).complete
    assert json.loads((tmp_path / f"slips.{fmt}.errors.json").read_text(encoding="utf-8")) == old.failures
    stdout = run_file(ruleset, months, None, fmt, jobs=1).rendered
    assert stdout == _old_render(old.slips, fmt).decode("utf-8").removeprefix("\ufeff")


def test_html_pages_are_written_as_they_come_with_the_names_of_one_render(
    months: Path, tmp_path: Path, small_batches: None
) -> None:
    ruleset = cmrules.load_ruleset(BAR)
    out = tmp_path / "html"
    run_file(ruleset, months, out, "html", jobs=1)
    old = pay_records(ruleset, list(open_records(months)))
    reference = tmp_path / "reference"
    cmrules.write_slips(old.slips, old.failures, reference, "html", fact_labels=_fact_labels(ruleset))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {
        p.name: p.read_bytes() for p in reference.iterdir()
    }


def test_page_names_one_at_a_time_are_those_of_the_whole_run() -> None:
    ids = ["A", "a", "A", "index", "x/y", "x_y", "A", "Ä", None, "", "CON", "a", "A_2024-05"]
    slips = [{"employee": e, "period": "2024-05" if i % 3 else "2024-06"} for i, e in enumerate(ids)]
    names = PageNames()
    assert [names.name(s["employee"], s["period"]) for s in slips] == slip_filenames(slips)


def _slip(employee: str, facts: dict[str, str]) -> dict[str, Any]:
    return {
        "employee": employee,
        "period": "2024-05",
        "ruleset": {"id": "r", "version": "1"},
        "currency": "CNY",
        "lines": [],
        "notices": [],
        "facts": facts,
        "totals": {"earnings": "1.00", "deductions": "0.00", "net": "1.00", "carry_forward": "0.00"},
    }


def test_csv_batches_with_other_fact_columns_get_one_header_for_all(tmp_path: Path) -> None:
    """A fact unknown for some slips (or another version's facts) changes the columns of a
    batch: the file is rewritten under the columns of all the slips, as one render gives."""
    batches = [
        [_slip("A", {"a": "1"}), _slip("B", {"a": "2"})],
        [],
        [_slip("C", {"b": "x,\ny", "a": "3"})],
        [_slip("D", {})],
    ]
    every = [slip for batch in batches for slip in batch]
    out = tmp_path / "s.csv"
    with SlipWriter(out, "csv") as writer:
        for batch in batches:
            writer.add(render_batch(batch, "csv"))
        writer.finish([])
    assert out.read_bytes() == _old_render(every, "csv")
    assert verify_output(out).complete
    with SlipWriter(None, "csv") as writer:
        for batch in batches:
            writer.add(render_batch(batch, "csv"))
        assert writer.finish([]) == render_csv(every)


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "csv-lines", "text"])
def test_an_empty_run_writes_what_one_render_of_nothing_gives(fmt: str, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("", encoding="utf-8")
    out = tmp_path / f"out.{fmt}"
    with pytest.raises(cmrules.errors.InputFileError, match="no employees"):
        run_file(BAR, source, out, fmt)
    assert not out.exists()
    run_file(BAR, source, out, fmt, allow_empty=True)
    assert out.read_bytes() == _old_render([], fmt)


def test_ruleset_stream_is_lazy_and_in_order() -> None:
    ruleset = cmrules.load_ruleset(BAR)
    month = json.loads((ROOT / "examples" / "bar_month.json").read_text(encoding="utf-8"))
    endless = ({**month[n % 12], "employee": f"E{n}"} for n in itertools.count())
    first = list(itertools.islice(ruleset.stream(endless), 30))
    assert [o.record for o in first] == list(range(1, 31))
    assert [o.slip.employee for o in first if o.slip] == [f"E{n}" for n in range(30)]
    bad = {**month[1], "employee": "X", "absent_days": "many"}
    again = list(ruleset.stream([month[0], month[0], bad], period="2024-05"))
    assert [o.slip is not None for o in again] == [True, False, False]
    assert again[1].failures[0]["code"] == "input.duplicate"
    assert again[2].failures[0]["record"] == 3
    slips, failures = ruleset.evaluate_many([month[0], month[0]])
    assert (len(slips), [f.code for f in failures]) == (1, ["input.duplicate"])


@pytest.mark.slow
def test_memory_stays_flat_over_twenty_thousand_employees(tmp_path: Path) -> None:
    """20,000 employees from a JSONL file to a JSONL file in one process: the peak Python heap
    stays under 40 MB. Keeping every slip, as runs did before they streamed, took about 32 KB
    per employee (20,000 employees: over 600 MB; the slips alone, as dicts, far above 40 MB)."""
    month = json.loads((ROOT / "examples" / "bar_month.json").read_text(encoding="utf-8"))
    source = tmp_path / "staff.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for n in range(20_000):
            handle.write(json.dumps({**month[n % 12], "employee": f"E{n:05d}"}) + "\n")
    ruleset = cmrules.load_ruleset(BAR)
    out = tmp_path / "slips.jsonl"
    tracemalloc.start()
    try:
        result = run_file(ruleset, source, out, "jsonl", jobs=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.slips == 20_000 and verify_output(out).complete
    assert peak < 40e6, f"peak {peak / 1e6:.1f} MB"
    one_slip = len(out.read_bytes()) / 20_000
    assert 20_000 * one_slip > 40e6  # the slips' text alone would not fit under the bound


@pytest.fixture(scope="module")
def bar_slips() -> list[cmrules.PaySlip]:
    """Generated bar months (money and dates as text) paid: the slips a run writes."""
    ruleset = cmrules.load_ruleset(BAR)
    return [ruleset.evaluate(json.loads(line)) for line in _months(120, seed=23)]


@pytest.mark.parametrize("detail", ["summary", "lines", "trace"])
@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_slips_written_straight_from_the_slip_are_the_bytes_of_their_dicts(
    fmt: str, detail: Any, bar_slips: list[cmrules.PaySlip]
) -> None:
    from cmrules.outputs import join_slip_bytes, slip_bytes

    reference = render_batch([slip.to_dict(detail) for slip in bar_slips], fmt, detail).data
    assert join_slip_bytes([slip_bytes(slip, fmt, detail) for slip in bar_slips], fmt).data == reference
    if fmt == "jsonl":  # the line is json.dumps of to_dict in its key order, and no dict is built for it
        first = bar_slips[0]
        line = json.dumps(first.to_dict(detail), ensure_ascii=False, separators=(",", ":")).encode()
        assert first.to_json(detail, sort_keys=False) == line
        assert first.to_json(detail) == json.dumps(
            first.to_dict(detail), ensure_ascii=False, sort_keys=True, separators=(",", ":")
        ).encode("utf-8")


def test_a_jsonl_line_with_a_fact_beyond_64_bits_is_written_by_json() -> None:
    from cmrules.slip._json import dump_sorted

    value = {"b": 2**70, "a": [Decimal("-0.00"), dt.date(2024, 5, 1)], "z": "中"}
    assert (
        dump_sorted(value, sort_keys=False)
        == b'{"b":1180591620717411303424,"a":["0.00","2024-05-01"],"z":"\xe4\xb8\xad"}'
    )
    assert dump_sorted({"b": 1, "a": 2}, sort_keys=False) == b'{"b":1,"a":2}'


def _parquet_reference(slips: Sequence[Mapping[str, Any]], fmt: str) -> Any:
    """The table ``slips`` give written as one row group, in the bar ruleset's declared columns."""
    import pyarrow.parquet as pq

    from cmrules.commands._run import declared_columns
    from cmrules.outputs.render._arrow import ParquetStream

    buffer = io.BytesIO()
    declared = declared_columns(cmrules.load_ruleset(BAR))
    stream = ParquetStream(buffer, lines=fmt == "parquet-lines", row_group=len(slips) + 1, declared=declared)
    stream.add(slips)
    stream.close()
    return pq.read_table(pa_buffer(buffer.getvalue()))


def pa_buffer(data: bytes) -> Any:
    import pyarrow as pa

    return pa.BufferReader(data)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["parquet", "parquet-lines"])
def test_parquet_is_written_by_row_groups_as_slips_come(
    fmt: str, months: Path, tmp_path: Path, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    from cmrules.outputs.render import _arrow

    monkeypatch.setattr(_arrow, "ROW_GROUP", 64)  # 300 slips: five groups
    ruleset = cmrules.load_ruleset(BAR)
    out = tmp_path / f"slips.{fmt}"
    result = run_file(ruleset, months, out, fmt, jobs=1)
    old = pay_records(ruleset, list(open_records(months)))
    streamed = pq.ParquetFile(out)
    assert streamed.metadata.num_row_groups == 5
    assert streamed.read().equals(_parquet_reference(old.slips, fmt))
    assert streamed.schema_arrow == _parquet_reference(old.slips, fmt).schema
    assert (result.slips, result.failed_records) == (300, 3)
    assert verify_output(out).complete


def test_parquet_streamed_in_groups_holds_the_same_table_as_one_group() -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from cmrules.outputs.render._arrow import ParquetStream

    ruleset = cmrules.load_ruleset(BAR)
    slips = [ruleset.evaluate(json.loads(line)).to_dict("lines") for line in _months(50, seed=5)]
    tables = []
    for size in (7, 4096):
        buffer = pa.BufferOutputStream()
        stream = ParquetStream(buffer, row_group=size)
        for start in range(0, len(slips), 9):
            stream.add(slips[start : start + 9])
        assert stream.close() == 50
        assert stream.groups == (8 if size == 7 else 1)
        tables.append(pq.read_table(pa.BufferReader(buffer.getvalue())))
    assert tables[0].equals(tables[1])


def test_an_empty_parquet_run_is_an_empty_table_with_the_fixed_columns(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    out = tmp_path / "slips.parquet"
    run_file(cmrules.load_ruleset(BAR), empty, out, "parquet", allow_empty=True)
    table = pq.read_table(out)
    assert table.num_rows == 0
    assert table.schema == _parquet_reference([], "parquet").schema
    # the fixed columns, then every fact the ruleset declares: the schema of any bar payroll
    assert table.schema.names[-4:] == [
        "fact.performance",
        "fact.absence_days",
        "fact.commission_forfeited",
        "fact.commission_pay_date",
    ]
    assert str(table.schema.field("net").type) == "decimal128(38, 2)"


def test_display_width_of_ascii_text_is_its_length_as_each_character_says() -> None:
    from cmrules.outputs.render._common import char_width, display_width

    text = "".join(chr(c) for c in range(128)) + "x" * 3000
    assert display_width(text) == sum(char_width(c) for c in text) == len(text)
    mixed = "工资 Pay e\u0301 \u200b"
    assert display_width(mixed) == sum(char_width(c) for c in mixed) == 11


def _old_wrap(text: str, width: int) -> list[str]:
    """``wrap`` as it was before long words were cut in one pass (the reference)."""
    import unicodedata

    from cmrules.outputs.render._common import char_width, display_width

    width = max(width, 4)
    lines: list[str] = []
    current = ""
    flat = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text).strip()
    for word in flat.split(" "):
        if not word:
            continue
        candidate = f"{current} {word}" if current else word
        if display_width(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
            current = ""
        while display_width(word) > width:
            cut, used = 0, 0
            while cut < len(word) and used + char_width(word[cut]) <= width:
                used += char_width(word[cut])
                cut += 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines or [""]


def test_wrap_cuts_long_words_as_before() -> None:
    import random

    from cmrules.outputs.render._common import wrap

    pieces = ["a", "b", "工", "资", " ", "\n", "\t", "e\u0301", "\u200b", "\x85", "x" * 50, "中" * 40]
    chance = random.Random(12)
    for _ in range(400):
        text = "".join(chance.choice(pieces) for _ in range(chance.randrange(0, 120)))
        for width in (4, 9, 30, 72):
            assert wrap(text, width) == _old_wrap(text, width), (text, width)
