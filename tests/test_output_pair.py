"""The slips file and its errors file are one generation (issue 11).

After a kill, a full disk or a failed run a reader finds either the previous complete
pair or the new one, never the old slips beside the new run's errors, nor old slips whose
errors file was removed; the run record ``OUT.run.json`` lets a reader check it
(:func:`cmrules.outputs.verify_output`), and the next run removes every temporary file.
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import cmrules.outputs._atomic
from cmrules.outputs import errors_path, run_record_path, verify_output, write_slips

ROOT = Path(__file__).resolve().parent.parent
BAR = ROOT / "rulesets" / "bar_customer_manager.yaml"
ENV = {**os.environ, "PYTHONUTF8": "1"}


def _slip(employee: str) -> dict[str, Any]:
    return {
        "employee": employee,
        "period": "2024-05",
        "ruleset": {"id": "bar", "version": "1", "sha256": "0" * 64},
        "currency": "CNY",
        "lines": [],
        "notices": [],
        "facts": {},
        "totals": {"earnings": "1.00", "deductions": "0.00", "net": "1.00", "carry_forward": "0.00"},
    }


def _failure(employee: str) -> dict[str, Any]:
    return {"employee": employee, "code": "input.type", "field": "x", "value": "?", "message": "bad"}


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


class _FullDisk:
    """``os`` as the writer sees it, with the ``k``-th write, fsync or rename failing."""

    def __init__(self, k: int, calls: tuple[str, ...]):
        self.k, self.calls, self.count = k, calls, 0

    def __getattr__(self, name: str) -> Any:
        real = getattr(os, name)
        if name not in self.calls:
            return real

        def counted(*args: Any) -> Any:
            self.count += 1
            if self.count == self.k:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(*args)

        return counted


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("fmt", ["json", "csv"])
@pytest.mark.parametrize("new_failures", [[], [_failure("N9")]], ids=["clean", "failing"])
def test_a_full_disk_at_any_write_leaves_the_previous_pair(
    tmp_path: Path, fmt: str, new_failures: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / f"slips.{fmt}"
    write_slips([_slip("O1"), _slip("O2")], [_failure("O3")], out, fmt)
    before = _snapshot(tmp_path)
    assert verify_output(out).complete
    new = [_slip(f"N{n}") for n in range(3)]
    k = 0
    while True:
        k += 1
        disk = _FullDisk(k, ("write", "fsync"))
        monkeypatch.setattr(cmrules.outputs._atomic, "os", disk)
        try:
            write_slips(new, new_failures, out, fmt)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
            assert _snapshot(tmp_path) == before, f"fault at call {k}"  # no temporary file either
            continue
        finally:
            monkeypatch.undo()
        break  # every write and fsync has failed once
    assert k > 4  # slips, errors (when failing), run record: a write and an fsync each
    assert verify_output(out).complete
    assert ("O1" in out.read_text(encoding="utf-8")) is False
    assert errors_path(out, fmt).exists() == bool(new_failures)


@pytest.mark.parametrize("new_failures", [[], [_failure("N9")]], ids=["clean", "failing"])
def test_a_failed_rename_is_detected_by_the_reader(
    tmp_path: Path, new_failures: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rename cannot fail for lack of space, but if one does the reader can tell."""
    out = tmp_path / "slips.json"
    write_slips([_slip("O1")], [_failure("O3")], out, "json")
    before = _snapshot(tmp_path)
    for k in (1, 2, 3):
        monkeypatch.setattr(cmrules.outputs._atomic, "os", _FullDisk(k, ("replace", "unlink")))
        with pytest.raises(OSError):
            write_slips([_slip("N1")], new_failures, out, "json")
        monkeypatch.undo()
        assert _leftovers(tmp_path) == []
        if _snapshot(tmp_path) != before:
            assert not verify_output(out).complete
        write_slips([_slip("O1")], [_failure("O3")], out, "json")
    assert _snapshot(tmp_path) == before


def test_the_reader_rule(tmp_path: Path) -> None:
    out = tmp_path / "slips.csv"
    assert "missing" in str(verify_output(out).problem)
    write_slips([_slip("A1")], [_failure("A2")], out, "csv")
    check = verify_output(out)
    assert check.complete and check.record["errors"]["count"] == 1
    errors = errors_path(out, "csv")
    saved = errors.read_bytes()
    errors.unlink()  # old slips whose errors file was deleted
    assert verify_output(out).problem == "slips.csv.errors.json is missing"
    errors.write_bytes(saved)
    write_slips([_slip("A1")], [], out, "csv")
    assert not errors.exists() and verify_output(out).complete
    errors.write_bytes(saved)  # an errors file of another run beside these slips
    assert not verify_output(out).complete
    errors.unlink()
    out.write_text("edited\n", encoding="utf-8")
    assert verify_output(out).problem == "slips.csv is not the file its run record names"
    run_record_path(out).write_text("{", encoding="utf-8")
    assert "cannot be read" in str(verify_output(out).problem)


# ---------------------------------------------------------------------------- kill -9 trials


def _input(path: Path, tag: str, rows: int, bad: bool) -> Path:
    month = json.loads((ROOT / "examples" / "bar_month.json").read_text(encoding="utf-8"))
    with path.open("w", encoding="utf-8") as handle:
        for n in range(rows):
            record = {**month[n % 12], "employee": f"{tag}{n:05d}"}
            if bad and n % 500 == 7:
                record["late_arrivals"] = ["soon"]
            handle.write(json.dumps(record) + "\n")
    return path


def _run_of(out: Path) -> tuple[str | None, str | None]:
    """(the run of the slips, the run of the errors file or None when there is none)."""
    slips = json.loads(out.read_text(encoding="utf-8"))
    errors = errors_path(out, "json")
    failed = json.loads(errors.read_text(encoding="utf-8")) if errors.exists() else None
    return slips[0]["employee"][0], None if failed is None else failed[0]["employee"][0]


def _wait_for_temporary(process: subprocess.Popen[bytes], folder: Path) -> None:
    while process.poll() is None:
        if any(p.name.endswith(".tmp") for p in folder.iterdir()):
            return
        time.sleep(0.001)


@pytest.mark.slow
def test_kill_9_at_random_moments_never_mixes_two_runs(tmp_path: Path) -> None:
    """Run A has failures, run B none; runs alternate and are killed at random moments
    (half of them while their output is being written). After each kill the slips and the
    errors file are from the same run; the only other state a kill could leave (between
    two renames, microseconds) is one the run record shows as incomplete."""
    inputs = {
        "A": _input(tmp_path / "a.jsonl", "A", 2000, bad=True),
        "B": _input(tmp_path / "b.jsonl", "B", 2000, bad=False),
    }
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "slips.json"
    command = [sys.executable, "-m", "cmrules", "run", str(BAR)]
    started = time.monotonic()
    subprocess.run([*command, str(inputs["A"]), "-o", str(out)], cwd=ROOT, env=ENV, capture_output=True)
    whole_run = time.monotonic() - started
    assert _run_of(out) == ("A", "A")
    rng = random.Random(11)
    killed = 0
    for trial in range(20):
        tag = "BA"[trial % 2]
        process = subprocess.Popen(
            [*command, str(inputs[tag]), "-o", str(out)],
            cwd=ROOT,
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if trial % 4 < 2:
            _wait_for_temporary(process, folder)
            time.sleep(rng.uniform(0, 0.1))
        else:
            time.sleep(rng.uniform(0.1, whole_run))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        killed += process.returncode == -signal.SIGKILL
        slips_run, errors_run = _run_of(out)
        consistent = (slips_run, errors_run) in (("A", "A"), ("B", None))
        assert consistent or not verify_output(out).complete, f"trial {trial}: {slips_run}, {errors_run}"
        assert verify_output(out).complete == consistent
    assert killed >= 8  # most trials were killed before they finished
    done = subprocess.run(
        [*command, str(inputs["B"]), "-o", str(out)], cwd=ROOT, env=ENV, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    assert _leftovers(folder) == [] and verify_output(out).complete
    assert sorted(p.name for p in folder.iterdir()) == ["slips.json", "slips.json.run.json"]
