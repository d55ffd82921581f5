"""Progress when stderr is not a terminal, and for ``cmrules test`` (issue 11)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cmrules.cli import main
from cmrules.cli._progress import ProgressBar, ProgressLines, progress_for
from cmrules.commands import run_tests
from cmrules.commands._test import yaml_case_suite

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_lines_every_few_seconds_with_count_rate_and_time_left() -> None:
    stream, clock = io.StringIO(), _Clock()
    progress = ProgressLines(stream, every=5, clock=clock)
    for second in range(21):  # 1,000 records a second, 20,000 in all
        clock.now = 100.0 + second
        progress(1_000 * second, 20_000, "evaluating")
    assert stream.getvalue().splitlines() == [
        "evaluating 5,000/20,000 (25%) 1,000/s, about 15s left",
        "evaluating 10,000/20,000 (50%) 1,000/s, about 10s left",
        "evaluating 15,000/20,000 (75%) 1,000/s, about 5s left",
        "evaluating 20,000/20,000 done in 20s, 1,000/s",
    ]
    clock.now += 1
    progress(10, 10, "writing")  # a short stage says nothing
    assert stream.getvalue().count("\n") == 4


def test_a_short_run_writes_nothing_and_zero_turns_lines_off() -> None:
    stream, clock = io.StringIO(), _Clock()
    progress = ProgressLines(stream, every=5, clock=clock)
    for done in range(0, 101, 10):
        clock.now += 0.1
        progress(done, 100)
    assert stream.getvalue() == ""
    off = ProgressLines(stream, every=0, clock=clock)
    clock.now += 60
    off(1, 100)
    assert stream.getvalue() == ""


def test_long_stages_say_minutes_and_slow_rates_keep_a_decimal() -> None:
    stream, clock = io.StringIO(), _Clock()
    progress = ProgressLines(stream, every=5, clock=clock)
    progress(0, 1_000, "invariants")
    clock.now += 200
    progress(50, 1_000, "invariants")
    assert stream.getvalue() == "invariants 50/1,000 (5%) 0.2/s, about 1h03m left\n"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_keeps_the_bar_and_anything_else_gets_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(progress_for(_Terminal()), ProgressBar)
    monkeypatch.setenv("CMRULES_PROGRESS_EVERY", "2.5")
    lines = progress_for(io.StringIO())
    assert isinstance(lines, ProgressLines) and lines.every == 2.5
    monkeypatch.setenv("CMRULES_PROGRESS_EVERY", "off")
    assert progress_for(io.StringIO()).every == 0  # type: ignore[union-attr]


def test_run_tests_reports_progress_per_file() -> None:
    calls: list[tuple[int, int, str]] = []
    files = [RULESETS / "bar_customer_manager.tests.yaml", RULESETS / "sales_contest.tests.yaml"]
    report = run_tests(files, {"cases": yaml_case_suite}, progress=lambda *a: calls.append(a))
    assert report.ok
    assert calls == [(1, 2, "cases"), (2, 2, "cases")]


def test_cmrules_test_shows_progress_when_stderr_is_not_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CMRULES_PROGRESS_EVERY", "0.000001")
    files = [RULESETS / "bar_customer_manager.tests.yaml", RULESETS / "sales_contest.tests.yaml"]
    assert main(["test", *map(str, files)]) == 0
    captured = capsys.readouterr()
    assert re.search(r"^cases 1/2 \(50%\) [\d.,]+/s, about \d+s left$", captured.err, re.M)
    assert re.search(r"^cases 2/2 done in \d+s", captured.err, re.M)
    assert "passed, 0 failed" in captured.out


@pytest.mark.slow
def test_cmrules_run_writes_progress_lines_to_a_pipe(tmp_path: Path) -> None:
    month = json.loads((ROOT / "examples" / "bar_month.json").read_text(encoding="utf-8"))
    source = tmp_path / "staff.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for n in range(1_000):
            handle.write(json.dumps({**month[n % 12], "employee": f"E{n:04d}"}) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "cmrules", "run", str(RULESETS / "bar_customer_manager.yaml"), str(source)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUTF8": "1", "CMRULES_PROGRESS_EVERY": "0.000001"},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"^evaluating 256/1,000 \(25%\) [\d,.]+/s, about \d+s left$", done.stderr, re.M)
    assert re.search(r"^evaluating 1,000/1,000 done in \d+s", done.stderr, re.M)
    assert "\r" not in done.stderr  # no terminal bar in a pipe
