"""``--jobs``: batches paid on worker processes give the bytes of one process, in input order."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from shipped import ROOT
from test_streaming import _months

import cmrules
from cmrules.cli import main
from cmrules.commands import run_file
from cmrules.outputs import verify_output
from cmrules.ruleset import _stream
from cmrules.run import _pay

BAR = ROOT / "rulesets" / "bar_customer_manager.yaml"


@pytest.fixture
def workers_from_the_first_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 40 records, all of them sent to the workers (none paid in this process)."""
    monkeypatch.setattr(_stream, "_WARMUP", ())
    monkeypatch.setattr(_stream, "BATCH_SIZE", 40)
    monkeypatch.setattr(_stream, "LOCAL_BATCHES", 0)


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("months") / "months.jsonl"
    lines = list(_months(400, seed=11))
    lines.insert(137, '{"employee": "BAD", "period": "2024-05", "absent_days": "many"}\n')
    lines.insert(330, lines[7])  # a duplicate, nine batches after the first
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.mark.slow
def test_two_jobs_write_the_bytes_of_one(
    months: Path, tmp_path: Path, workers_from_the_first_batch: None
) -> None:
    ruleset = cmrules.load_ruleset(BAR)
    for fmt in ("jsonl", "csv"):
        one, two = tmp_path / f"one.{fmt}", tmp_path / f"two.{fmt}"
        first = run_file(ruleset, months, one, fmt, jobs=1)
        second = run_file(ruleset, months, two, fmt, jobs=2)
        assert one.read_bytes() == two.read_bytes()
        assert verify_output(two).complete
        errors = json.loads((tmp_path / f"two.{fmt}.errors.json").read_text(encoding="utf-8"))
        assert errors == first.failures == second.failures
        # one bad record among many is one failure; the duplicate is found across batches
        assert [(f["employee"], f["record"], f["code"]) for f in errors] == [
            ("BAD", 138, "input.type"),
            ("E00007", 331, "input.duplicate"),
        ]
        assert (second.slips, second.failed_records) == (400, 2)


@pytest.mark.slow
def test_ruleset_stream_on_two_jobs_is_in_order(workers_from_the_first_batch: None) -> None:
    ruleset = cmrules.load_ruleset(BAR)
    records = [json.loads(line) for line in _months(150, seed=3)]
    one = list(ruleset.stream(records, jobs=1))
    two = list(ruleset.stream(records, jobs=2))
    assert [o.record for o in two] == list(range(1, 151))
    assert [o.slip.to_json() if o.slip else o.failures for o in two] == [
        o.slip.to_json() if o.slip else o.failures for o in one
    ]


def die(state: tuple[Any, ...], batch: list[Any]) -> Any:
    """A task whose worker dies (as if killed, or out of memory) on the third batch."""
    if batch[0][0] > 80:
        os._exit(3)
    return _pay.pay_batch(state, batch)


@pytest.mark.slow
def test_a_worker_that_dies_is_a_clear_error_and_no_output(
    months: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers_from_the_first_batch: None
) -> None:
    monkeypatch.setattr(_pay, "TASK", die)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(ChildProcessError, match="a worker process died while paying batch"):
        run_file(BAR, months, out_dir / "slips.jsonl", "jsonl", jobs=2)
    assert list(out_dir.iterdir()) == []  # no slips, no errors file, no run record, no temporary file
    code = main(["run", str(BAR), str(months), "-o", str(out_dir / "slips.jsonl"), "--jobs", "2"])
    assert code == 1
    assert list(out_dir.iterdir()) == []


def test_jobs_must_be_a_positive_number(tmp_path: Path) -> None:
    with pytest.raises(cmrules.errors.UsageError, match="at least 1"):
        run_file(BAR, ROOT / "examples" / "bar_month.jsonl", tmp_path / "s.jsonl", "jsonl", jobs=0)
    assert main(["run", str(BAR), str(ROOT / "examples" / "bar_month.jsonl"), "--jobs", "0"]) == 64
    assert _stream.resolve_jobs(None) == _stream.available_cpus() >= 1


def test_one_job_or_a_small_input_starts_no_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def no_pool(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a worker process was started")

    monkeypatch.setattr(_stream, "ProcessPoolExecutor", no_pool)
    source = ROOT / "examples" / "bar_month.jsonl"
    assert run_file(BAR, source, tmp_path / "a.jsonl", "jsonl", jobs=1).slips == 12
    assert run_file(BAR, source, tmp_path / "b.jsonl", "jsonl", jobs=8).slips == 12


@pytest.mark.slow
def test_two_jobs_write_the_parquet_of_one(
    months: Path, tmp_path: Path, workers_from_the_first_batch: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("pyarrow")
    from cmrules.outputs.render import _arrow

    monkeypatch.setattr(_arrow, "ROW_GROUP", 128)
    ruleset = cmrules.load_ruleset(BAR)
    for fmt in ("parquet", "parquet-lines"):
        one, two = tmp_path / f"one.{fmt}", tmp_path / f"two.{fmt}"
        run_file(ruleset, months, one, fmt, jobs=1)
        second = run_file(ruleset, months, two, fmt, jobs=2)
        assert one.read_bytes() == two.read_bytes()
        assert verify_output(two).complete
        assert second.slips == 400
