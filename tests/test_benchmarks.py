"""The benchmark scripts still run (tiny sizes): a benchmark that broke would only be found
when someone needs its numbers."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import bench_bar, bench_write  # noqa: E402

pytestmark = pytest.mark.slow


def test_bench_bar_agrees_with_the_baseline_and_prints_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    bench_bar.main(["--n", "20", "--rounds", "1"])
    out = capsys.readouterr().out
    assert "20 slips (seed 0), all agree with the baseline to the cent" in out
    assert re.search(r"^Ruleset\.evaluate\s+\d+\.\d\d\s+\d+\.\d\d$", out, re.MULTILINE)
    assert re.search(r"^writing alone: to_json\(detail=lines\)\s+\d+\.\d\d\s+\d+\.\d\d", out, re.MULTILINE)


def test_bench_write_prints_a_row_per_detail_and_a_cell_per_format(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bench_write.main(["--n", "10", "--rounds", "1", "--formats", "jsonl,csv"])
    out = capsys.readouterr().out
    assert "10 JSON records (seed 0)" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[-3:]}
    assert set(rows) == {"summary", "lines", "trace"}
    assert re.fullmatch(r"-?\d+\.\d", rows["lines"][0]) and re.fullmatch(r"-?\d+\.\d", rows["lines"][2])
    assert rows["trace"][2] == "—"  # CSV has no trace
