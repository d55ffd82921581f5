"""What writing a slip costs, per output format and detail, against evaluating it.

Run from the repository root::

    python benchmarks/bench_write.py [--n 400] [--rounds 3] [--formats jsonl,json,csv,...]

Generates N bar months (``bar_cases.generate``) as JSON records, as a file gives them (money
and dates as strings), and pays them the way ``cmrules run`` does (``pay_to_writer`` into a
``SlipWriter`` writing a real file in a temporary folder: batches, rendering, the run record,
the atomic rename). For each format and detail that costs evaluating plus writing; the same
records through ``evaluate_records`` (read, checked, paid, nothing written) are evaluating
alone, measured in the same round. The table gives writing alone (the difference) in µs per
slip and its ratio to evaluating; rounds are interleaved, the median reported. The first
rows give evaluating against the hand-written baseline on the same records.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the ``benchmarks`` package importable
    sys.path.insert(0, str(ROOT))

import cmrules  # noqa: E402
from benchmarks.bar_cases import generate  # noqa: E402
from benchmarks.bench_bar import as_json_record, pay_json_record  # noqa: E402
from cmrules.outputs import SlipWriter  # noqa: E402
from cmrules.outputs.render._arrow import declared_columns  # noqa: E402
from cmrules.run import evaluate_records, pay_to_writer  # noqa: E402

RULESET = ROOT / "rulesets" / "bar_customer_manager.yaml"
DETAILS = ("summary", "lines", "trace")
#: Each format's file suffix (html is a folder of pages).
SUFFIX = {"jsonl": ".jsonl", "json": ".json", "csv": ".csv", "csv-lines": ".csv", "text": ".txt",
          "html": "", "parquet": ".parquet"}  # fmt: skip
#: The details a format has (CSV has no trace column).
LEVELS = {"csv": DETAILS[:2], "csv-lines": DETAILS[1:2], "parquet": DETAILS[:2]}


def fact_labels(ruleset: cmrules.Ruleset) -> dict[str, tuple[str, str]]:
    """The facts' (zh, en) labels, as ``cmrules run`` gives them to HTML pages."""
    return {
        name: (fact.label.zh, fact.label.en)
        for version in ruleset.versions
        for name, fact in version.doc.facts.items()
        if fact.label is not None
    }


def writing(
    ruleset: cmrules.Ruleset, records: list[dict[str, Any]], fmt: str, detail: str, folder: Path
) -> Callable[[], None]:
    """Pay ``records`` into a ``fmt`` file at ``detail``, as ``cmrules run`` does."""
    labels = fact_labels(ruleset) if fmt == "html" else None
    declared = declared_columns(ruleset)
    out = folder / f"slips-{fmt}-{detail}{SUFFIX[fmt]}"

    def run() -> None:
        with SlipWriter(out, fmt, detail, labels, declared) as writer:
            paid = pay_to_writer(ruleset, records, writer)
            writer.finish(paid.failures)
        if paid.slips != len(records):
            raise SystemExit(f"{fmt}/{detail}: {len(records) - paid.slips} records failed")

    return run


def evaluating(ruleset: cmrules.Ruleset, records: list[dict[str, Any]]) -> Callable[[], None]:
    """Pay ``records`` and write nothing."""

    def run() -> None:
        for _outcome in evaluate_records(ruleset, records):
            pass

    return run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400, help="employee-months (default 400)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds, median reported (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated cases (default 0)")
    parser.add_argument("--formats", default=",".join(SUFFIX), help="comma-separated output formats")
    args = parser.parse_args(argv)
    formats = [f for f in args.formats.split(",") if f]
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        formats = [f for f in formats if f != "parquet"]

    ruleset = cmrules.load_ruleset(RULESET)
    records = [as_json_record(case) for case in generate(args.n, args.seed)]
    with tempfile.TemporaryDirectory(prefix="bench_write") as tmp:
        folder = Path(tmp)
        ways: dict[str, Callable[[], None]] = {
            "baseline": lambda: [pay_json_record(record) for record in records] and None,
            "evaluate": evaluating(ruleset, records),
        }
        for fmt in formats:
            for detail in LEVELS.get(fmt, DETAILS):
                ways[f"{fmt}/{detail}"] = writing(ruleset, records, fmt, detail, folder)
        for run in ways.values():  # warm up: lazy imports, caches
            run()
        samples: dict[str, list[int]] = {name: [] for name in ways}
        for _ in range(args.rounds):
            for name, run in ways.items():
                gc.collect()
                start = time.perf_counter_ns()
                run()
                samples[name].append(time.perf_counter_ns() - start)
    per = {name: statistics.median(ns) / len(records) / 1000 for name, ns in samples.items()}
    base, evaluated = per.pop("baseline"), per.pop("evaluate")
    print(f"bar_customer_manager: {len(records)} JSON records (seed {args.seed}), median of {args.rounds}")
    print(
        f"evaluating (evaluate_records, nothing written): {evaluated:.1f} µs/slip, {evaluated / base:.2f}× "
        f"the hand-written baseline on the same records ({base:.1f} µs)"
    )
    print("writing alone: paying into the file (pay_to_writer, SlipWriter) less evaluating; × evaluating")
    print(f"{'detail':10}" + "".join(f"{fmt:>16}" for fmt in formats))
    for detail in DETAILS:
        cells = []
        for fmt in formats:
            total = per.get(f"{fmt}/{detail}")
            cells.append(
                "—" if total is None else f"{total - evaluated:.1f} ({(total - evaluated) / evaluated:.2f}×)"
            )
        print(f"{detail:10}" + "".join(f"{cell:>16}" for cell in cells))


if __name__ == "__main__":
    main()
