"""Every command takes a shipped ruleset by name, as ``load_ruleset`` does, from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}


def _cmrules(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "cmrules", *args]
    return subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_run_explain_and_diff_take_shipped_names(tmp_path: Path) -> None:
    bar = str(ROOT / "examples" / "bar_month.csv")
    staff = str(ROOT / "examples" / "securities_staff.json")
    run = _cmrules("run", "bar_customer_manager", bar, "--format", "jsonl", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("\n") == 12
    explain = _cmrules("explain", "bar_customer_manager", bar, "--employee", "B001", cwd=tmp_path)
    assert explain.returncode == 0, explain.stderr
    assert "late_fine" in explain.stdout
    diff = _cmrules(
        "diff", "securities_client_manager@2012-01", "securities_client_manager@2013-07", staff, cwd=tmp_path
    )
    assert diff.returncode == 0, diff.stderr
    assert "S03" in diff.stdout


@pytest.mark.slow
def test_show_code_names_the_rulesets_parts(tmp_path: Path) -> None:
    shown = _cmrules("check", "--show-code", "bar_customer_manager", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "parameter base_salary" in shown.stdout
    assert "# rule late_fine" in shown.stdout


def test_cmrules_test_without_hypothesis_runs_the_cases_and_says_what_to_install(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"  # as if hypothesis were not installed
        "from cmrules.cli import main\n"
        f"sys.exit(main(['test', {str(ROOT / 'rulesets' / 'sales_contest.yaml')!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=ENV, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "pip install 'cmrules[testing]'" in done.stdout + done.stderr
    assert "passed" in done.stdout  # the YAML cases still ran
