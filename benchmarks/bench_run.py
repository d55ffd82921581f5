"""End to end: a JSONL file of bar months to a JSONL file of slips, as ``cmrules run`` does it.

    python benchmarks/bench_run.py --employees 100000
    python benchmarks/bench_run.py --employees 1000000 --keep /tmp/bench1m   # the 1M run

Generates N realistic bar months (``bar_cases.generate``: about 20 bookings each, money and
dates written as strings, as files hold them) into a JSONL file, then runs
``cmrules run RULESET IN.jsonl -o OUT.jsonl --detail D --jobs J`` in a child process for each
detail D (``lines`` and ``trace`` by default) and each J (1 and 2 by default), and the
hand-written loop over the same file (``json.loads`` per line, the values converted,
``bar_baseline.pay``, ``json.dumps`` per result) in another child. Each row gives wall time,
slips per second, CPU µs per slip (the child's user + system time, its workers included),
that CPU against the hand-written loop's, and the peak memory: ``ru_maxrss`` of the child
process that runs the command (``resource.getrusage(RUSAGE_CHILDREN)`` in a process that ran
only that command: the largest of its processes, the command or one of its workers). For
each detail the outputs of the job counts are compared byte for byte (the benchmark fails
when they differ). ``--format`` runs another output format (csv, json, parquet...) instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bar_cases import generate  # noqa: E402

RULESET = ROOT / "rulesets" / "bar_customer_manager.yaml"

#: The hand-written loop, run in its own process: text in, text out, like the command.
BASELINE = r"""
import datetime as dt, json, re, sys
from decimal import Decimal
sys.path.insert(0, sys.argv[3])
from benchmarks.bar_baseline import pay
NUMBER = re.compile(r"-?\d+(\.\d+)?\Z")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
def value(v):
    if isinstance(v, str):
        if DAY.match(v):
            return dt.date.fromisoformat(v)
        if NUMBER.match(v):
            return Decimal(v)
        return v
    if isinstance(v, list):
        return [value(x) for x in v]
    if isinstance(v, dict):
        return {k: value(x) if k not in ("employee", "period") else x for k, x in v.items()}
    return v
with open(sys.argv[1], encoding="utf-8") as src, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in src:
        result = pay(value(json.loads(line)))
        out.write(json.dumps(result, default=str, ensure_ascii=False, separators=(",", ":")) + "\n")
"""


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def write_input(path: Path, employees: int, seed: int = 2026) -> None:
    """``employees`` bar months (in chunks, so that generating stays small) as JSONL."""
    done, chunk = 0, 0
    with path.open("w", encoding="utf-8") as handle:
        while done < employees:
            size = min(10_000, employees - done)
            for n, case in enumerate(generate(size, seed + chunk), start=done):
                case["employee"] = f"E{n:07d}"
                handle.write(json.dumps(case, default=_text, ensure_ascii=False) + "\n")
            done, chunk = done + size, chunk + 1


#: Runs the command given as its arguments and prints the children's usage: one run measured alone.
_MEASURE = (
    "import json, resource, subprocess, sys; "
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode; "
    "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(json.dumps({'code': code, 'cpu': u.ru_utime + u.ru_stime, 'peak': u.ru_maxrss}))"
)


def _child(command: list[str]) -> dict[str, float]:
    """Run ``command`` in a process of its own; its wall time, CPU time (with its workers) and
    peak resident memory in MB (``ru_maxrss``: the largest of its processes, never a sum)."""
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "CMRULES_PROGRESS_EVERY": "off"}
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    try:
        usage = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise SystemExit(f"{' '.join(command)} could not be measured:\n{done.stderr}") from None
    if usage["code"] not in (0, 2):
        raise SystemExit(f"{' '.join(command)} failed ({usage['code']})")
    return {"wall": wall, "cpu": usage["cpu"], "peak": usage["peak"] / 1024}  # KB on Linux


def _sha(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> None:
    """Generate the input, run each way in a child process, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=20_000)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--detail", nargs="+", default=["lines", "trace"], choices=["summary", "lines", "trace"]
    )
    parser.add_argument("--format", default="jsonl", help="the output format (default: jsonl)")
    parser.add_argument("--keep", metavar="DIR", help="write the files here (default: a temporary folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(args.keep or temporary)
        folder.mkdir(parents=True, exist_ok=True)
        source = folder / "months.jsonl"
        start = time.perf_counter()
        write_input(source, args.employees)
        size = source.stat().st_size
        print(
            f"{args.employees:,} bar months, {size / 1e6:,.1f} MB of JSONL "
            f"({size / args.employees:,.0f} bytes each), generated in {time.perf_counter() - start:.1f}s; "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
        )
        n = args.employees
        baseline_out = folder / "baseline.jsonl"
        script = [sys.executable, "-c", BASELINE, str(source), str(baseline_out), str(ROOT)]
        baseline = _child(script)
        rows: list[tuple[str, dict[str, float]]] = []
        verdicts: list[str] = []
        same_everywhere = True
        for detail in args.detail:
            outputs: dict[int, Path] = {}
            for jobs in args.jobs:
                out = folder / f"slips.{detail}.{jobs}.{args.format}"
                command = [sys.executable, "-m", "cmrules", "run", str(RULESET), str(source), "-o", str(out)]
                command += ["--format", args.format, "--detail", detail, "--jobs", str(jobs)]
                rows.append((f"{args.format} {detail} --jobs {jobs}", _child(command)))
                outputs[jobs] = out
            shas = {jobs: _sha(path) for jobs, path in outputs.items()}
            same = len(set(shas.values())) == 1
            same_everywhere &= same
            megabytes = outputs[args.jobs[0]].stat().st_size / 1e6
            verdicts.append(
                f"{detail}: outputs of --jobs {' and '.join(map(str, shas))} "
                + ("byte-identical" if same else "DIFFERENT")
                + f" (sha256 {next(iter(shas.values()))[:16]}…, {megabytes:,.1f} MB"
                + (
                    f", {sum(1 for _ in outputs[args.jobs[0]].open('rb')):,} slips)"
                    if args.format == "jsonl"
                    else ")"
                )
            )
        rows.append(("hand-written loop (1 process)", baseline))
        print(f"{'way':<30}{'wall s':>9}{'slips/s':>10}{'CPU µs/slip':>13}{'× loop':>8}{'peak MB*':>10}")
        for name, row in rows:
            print(
                f"{name:<30}{row['wall']:>9.1f}{n / row['wall']:>10,.0f}"
                f"{1e6 * row['cpu'] / n:>13,.0f}{row['cpu'] / baseline['cpu']:>8.1f}{row['peak']:>10,.0f}"
            )
        print(
            "* peak: ru_maxrss (resource.getrusage RUSAGE_CHILDREN of a process that ran only that "
            "command): the largest resident set of any one of its processes, never a sum"
        )
        print("\n".join(verdicts))
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
        if not same_everywhere:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
