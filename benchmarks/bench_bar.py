"""Benchmark: the bar ruleset through cmrules against hand-written Decimal code.

Run from the repository root::

    python benchmarks/bench_bar.py [--n 2000] [--rounds 5] [--seed 0] [--profile]

First every generated employee-month is paid by both and compared to the cent
(per-rule totals, net, carry forward, the facts, the notices and the amounts they
state); any disagreement aborts with the case printed.  When durable-rules is
installed, the durable backend's slips must also equal the native engine's byte
for byte.  Then each way of paying is timed over all cases, the ways interleaved
within each round so machine noise hits them alike, and the median round is
reported in µs per slip with its ratio to the baseline.

The rows marked "JSON records" start from what a file gives: each case written as
JSON text and parsed back (money and dates as strings, counts as integers); their
yardstick is the hand-written function after converting those strings itself
(``Decimal(text)``, ``date.fromisoformat``), the "baseline (JSON records)" row.  The
``to_json(detail=...)`` rows time evaluating and writing a slip at each level of
detail (summary, lines, trace); "writing alone" is that less ``Ruleset.evaluate``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import inspect
import json
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the ``benchmarks`` package importable
    sys.path.insert(0, str(ROOT))

import cmrules  # noqa: E402
from benchmarks.bar_baseline import pay  # noqa: E402
from benchmarks.bar_cases import generate  # noqa: E402

RULESET = ROOT / "rulesets" / "bar_customer_manager.yaml"
FACTS = ("performance", "absence_days", "commission_forfeited", "commission_pay_date")


def disagreements(slip: cmrules.PaySlip, expected: dict[str, Any]) -> list[str]:
    """Every way ``slip`` differs from the baseline's result (empty when they agree)."""
    out = []
    rule_ids = sorted(set(expected["lines"]) | {line.rule_id for line in slip.lines})
    for rule_id in rule_ids:
        got, want = slip.total(rule_id), expected["lines"].get(rule_id, Decimal(0))
        if got != want:
            out.append(f"{rule_id}: engine {got}, baseline {want}")
    for name in ("net", "carry_forward"):
        if getattr(slip, name) != expected[name]:
            out.append(f"{name}: engine {getattr(slip, name)}, baseline {expected[name]}")
    notices = {n.code for n in slip.notices}
    if notices != set(expected["notices"]):
        out.append(f"notices: engine {sorted(notices)}, baseline {sorted(expected['notices'])}")
    for code, amount in expected["notices"].items():
        cents = amount.quantize(Decimal("0.01"))
        shown = f"{cents if cents == amount else amount:,f}"  # cents, but every digit there is
        if shown not in slip.notices[[n.code for n in slip.notices].index(code)].text["en"]:
            out.append(f"notice {code}: the engine's text does not state {shown}")
    for name in FACTS:
        got = slip.facts.get(name)
        if got != expected[name] or type(got) is not type(expected[name]):
            out.append(f"fact {name}: engine {got!r}, baseline {expected[name]!r}")
    return out


def check(
    evaluate: Callable[[dict[str, Any]], cmrules.PaySlip], cases: list[dict[str, Any]], engine: str
) -> None:
    """Abort the benchmark, printing the case, on the first slip that disagrees with the baseline."""
    for case in cases:
        problems = disagreements(evaluate(case), pay(case))
        if problems:
            print(f"DISAGREEMENT ({engine} engine vs baseline) on {case['employee']}:", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            print(json.dumps(case, default=str, indent=2, ensure_ascii=False), file=sys.stderr)
            raise SystemExit(1)


def as_json_record(case: dict[str, Any]) -> dict[str, Any]:
    """``case`` written as JSON text and read back: money and dates become strings."""
    text = json.dumps(case, default=str, ensure_ascii=False)
    record: dict[str, Any] = json.loads(text)
    return record


def pay_json_record(record: dict[str, Any]) -> dict[str, Any]:
    """The hand-written pay of a parsed JSON record: its own conversions, then :func:`pay`."""
    money, day = Decimal, dt.date.fromisoformat
    case = dict(record)
    case["bookings"] = [
        {
            "date": day(b["date"]),
            "amount": money(b["amount"]),
            "registered_minutes_before": b["registered_minutes_before"],
        }
        for b in record["bookings"]
    ]
    case["outside_soliciting_dates"] = [day(d) for d in record["outside_soliciting_dates"]]
    case["customer_stealing"] = [money(x) for x in record["customer_stealing"]]
    case["solicited_tips"] = [money(x) for x in record["solicited_tips"]]
    case["comps"] = [
        {**c, "table_spend": money(c["table_spend"]), "amount": money(c["amount"])} for c in record["comps"]
    ]
    case["deposit"] = money(record["deposit"])
    case["carried_deductions"] = money(record["carried_deductions"])
    return pay(case)


def durable_evaluate(ruleset: cmrules.Ruleset, cases: list[dict[str, Any]]) -> Callable[..., Any] | str:
    """``evaluate`` through the durable-rules backend, or why it is unavailable."""

    def evaluate(case: dict[str, Any]) -> cmrules.PaySlip:
        return ruleset.evaluate(case, engine="durable")

    try:
        evaluate(cases[0])
    except (ImportError, cmrules.CmrulesError) as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return evaluate


def timed(ways: dict[str, Callable[[], None]], rounds: int) -> dict[str, float]:
    """Median nanoseconds of each way over ``rounds`` rounds, the ways interleaved per round."""
    samples: dict[str, list[int]] = {name: [] for name in ways}
    for _ in range(rounds):
        for name, run in ways.items():
            gc.collect()
            start = time.perf_counter_ns()
            run()
            samples[name].append(time.perf_counter_ns() - start)
    return {name: statistics.median(ns) for name, ns in samples.items()}


def over(cases: list[Any], fn: Callable[[Any], Any]) -> Callable[[], None]:
    def run() -> None:
        for case in cases:
            fn(case)

    return run


def with_explanations(ruleset: cmrules.Ruleset) -> Callable[[dict[str, Any]], None]:
    def run(case: dict[str, Any]) -> None:
        slip = ruleset.evaluate(case)
        [line.explanation for line in slip.lines]
        slip.trace  # noqa: B018 -- rendering the trace is what is timed

    return run


def profile(ruleset: cmrules.Ruleset, cases: list[dict[str, Any]], top: int = 15) -> None:
    """Where ``Ruleset.evaluate`` spends its time (cProfile, by own time)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for case in cases:
        ruleset.evaluate(case)
    profiler.disable()
    print(f"\nprofile of Ruleset.evaluate over {len(cases)} slips (top {top} by own time):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="employee-months (default 2000)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds, median reported (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated cases (default 0)")
    parser.add_argument("--profile", action="store_true", help="also profile Ruleset.evaluate")
    args = parser.parse_args(argv)

    cases = generate(args.n, args.seed)
    ruleset = cmrules.load_ruleset(RULESET)
    check(ruleset.evaluate, cases, "native")
    versions = [ruleset.version_for(case["period"]) for case in cases]
    validated = [(version, version.validator(case)) for version, case in zip(versions, cases, strict=True)]

    ways: dict[str, Callable[[], None]] = {
        "baseline (hand-written Decimal)": over(cases, pay),
        "Ruleset.evaluate": over(cases, ruleset.evaluate),
        "Version.run (pre-validated input)": over(validated, lambda vd: vd[0].run(vd[1])),
        "evaluate + explanations + trace": over(cases, with_explanations(ruleset)),
        "evaluate + to_json()": over(cases, lambda case: ruleset.evaluate(case).to_json()),
    }
    records = [as_json_record(case) for case in cases]
    for case, record in zip(cases, records, strict=True):
        if ruleset.evaluate(record).to_json() != ruleset.evaluate(case).to_json() or pay_json_record(
            record
        ) != pay(case):
            raise SystemExit(f"DISAGREEMENT (JSON record vs Python values) on {case['employee']}")
    ways["baseline (JSON records)"] = over(records, pay_json_record)
    ways["Ruleset.evaluate (JSON records)"] = over(records, ruleset.evaluate)
    levels = "detail" in inspect.signature(cmrules.PaySlip.to_json).parameters
    for detail in ("summary", "lines", "trace") if levels else ():
        ways[f"evaluate + to_json(detail={detail})"] = over(
            cases, lambda case, d=detail: ruleset.evaluate(case).to_json(detail=d)
        )
    durable = durable_evaluate(ruleset, cases)
    if callable(durable):
        check(durable, cases, "durable")
        for case in cases:
            if durable(case).to_json() != ruleset.evaluate(case).to_json():
                raise SystemExit(f"DISAGREEMENT (durable vs native slip JSON) on {case['employee']}")
        ways["evaluate(engine='durable')"] = over(cases, durable)

    for run in ways.values():  # warm up caches (periods, lazy imports) outside the timing
        run()
    medians = timed(ways, args.rounds)

    base = medians["baseline (hand-written Decimal)"]
    print(
        f"bar_customer_manager: {len(cases)} slips (seed {args.seed}), all agree with the baseline "
        f"to the cent; median of {args.rounds} rounds"
    )
    print(f"{'':36}{'µs/slip':>10}{'ratio':>8}")
    text_base = medians["baseline (JSON records)"]
    for name, ns in medians.items():
        yardstick = text_base if "JSON records" in name else base
        print(f"{name:36}{ns / len(cases) / 1000:>10.2f}{ns / yardstick:>8.2f}")
    evaluated = medians["Ruleset.evaluate"]
    for name, ns in medians.items():
        if name.startswith("evaluate + to_json"):
            alone, what = ns - evaluated, f"writing alone: {name.removeprefix('evaluate + ')}"
            print(
                f"{what:36}{alone / len(cases) / 1000:>10.2f}{alone / evaluated:>8.2f}  (ratio to evaluate)"
            )
    if callable(durable):
        ratio = medians["evaluate(engine='durable')"] / medians["Ruleset.evaluate"]
        print(f"durable engine: {ratio:.1f}× the native Ruleset.evaluate, identical slip JSON")
    else:
        print(f"{'durable engine':36}{'n/a':>10}  ({durable})")
    if args.profile:
        profile(ruleset, cases)


if __name__ == "__main__":
    main()
