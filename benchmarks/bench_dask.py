"""Benchmark and check: the same employees give identical slips locally and through Dask.

Run from the repository root (needs ``pip install 'cmrules[dask]'``)::

    python benchmarks/bench_dask.py [--employees 100000] [--workers 2] [--partitions 16] [--seed 0]
                                    [--repeats 0]

Generates ``employees`` bar employee-months (``benchmarks/bar_cases.py``, made JSON-like as a
file gives them; ``--repeats K`` then copies K of them to later places, mostly into other
partitions, each copy a repeated employee-period that must fail with ``input.duplicate``),
pays them locally with ``cmrules.run.pay_records`` (what ``cmrules run``
does) and on a ``distributed.LocalCluster`` with ``cmrules.dask.pay_with_failures``,
checks that the slips and failures are equal (every slip dict, in order), and prints the
cost per slip of each way in µs (the Dask figure includes sending the records to the
workers and the slips back; the cluster's start-up is not counted).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bar_cases import generate  # noqa: E402

RULESET = ROOT / "rulesets" / "bar_customer_manager.yaml"


def main() -> None:
    """Pay ``--employees`` records both ways, compare, print µs per slip."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", "--n", dest="n", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=0)
    args = parser.parse_args()

    import dask
    import dask.bag as db
    import distributed

    import cmrules.dask
    from cmrules import load_ruleset
    from cmrules.run import pay_records

    records = json.loads(json.dumps(generate(args.n, args.seed), default=str))
    rng = random.Random(args.seed)
    for _ in range(args.repeats):  # a copy of an earlier record at a later place
        place = rng.randrange(1, len(records) + 1)
        records.insert(place, dict(records[rng.randrange(place)]))
    started = time.perf_counter()
    local = pay_records(load_ruleset(RULESET), records)
    local_seconds = time.perf_counter() - started

    with (
        distributed.LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        started = time.perf_counter()
        bag = db.from_sequence(records, npartitions=args.partitions)
        slips, failures = dask.compute(*cmrules.dask.pay_with_failures(str(RULESET), bag))
        dask_seconds = time.perf_counter() - started

    assert slips == local.slips, "the Dask slips differ from the local ones"
    assert failures == local.failures, "the Dask failures differ from the local ones"
    n = len(records)
    repeats = sum(f["code"] == "input.duplicate" for f in failures)
    print(
        f"{n} records, {len(slips)} slips, {len(failures)} failures ({repeats} repeated employee-periods): "
        "identical locally and through Dask"
    )
    print(f"local (one process)           {local_seconds / n * 1e6:8.0f} µs/slip  ({local_seconds:.1f} s)")
    print(
        f"dask ({args.workers} workers, {args.partitions} parts) "
        f"{dask_seconds / n * 1e6:8.0f} µs/slip  ({dask_seconds:.1f} s)"
    )


if __name__ == "__main__":
    main()
