"""Benchmark: a year of the bar policy through the ledger against ``evaluate`` alone.

Run from the repository root::

    python benchmarks/bench_ledger.py [--n 10000] [--months 12] [--seed 0] [--db FILE]
                                      [--keep lines] [--no-compress]

Each month, ``n`` employees (the bar benchmark's generated employee-months, their dates
moved into that month) are paid twice in the same process: by ``Ruleset.evaluate`` alone,
with ``carried_deductions`` typed from the previous month's slips (then each slip's JSON
form at the ledger's level of detail, ``to_dict(keep)``, which ``cmrules run`` writes for
CSV, text or HTML at ``lines``, timed apart), and by ``Ledger.run`` on a SQLite file
(balances read, slips and balances written, one transaction), which is then closed. Both
must give the same slips. Reported, in CPU µs per slip (process time, so the figures
hold on a shared machine): evaluate, the JSON form, the ledger's run, what the ledger
adds to evaluate (run less evaluate), its own cost (run less evaluate and JSON form), and
the database size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import cmrules  # noqa: E402
from benchmarks.bar_cases import generate  # noqa: E402


def _moved(value: Any, year: int, month: int) -> Any:
    """``value`` with every date moved into ``year``-``month`` (the day clamped to its end)."""
    if isinstance(value, dt.date):
        last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
        return dt.date(year, month, min(value.day, last))
    if isinstance(value, list):
        moved = [_moved(v, year, month) for v in value]
        return sorted(set(moved)) if moved and all(isinstance(v, dt.date) for v in moved) else moved
    if isinstance(value, dict):
        return {k: _moved(v, year, month) for k, v in value.items()}
    return value


def month_records(n: int, month: int, seed: int) -> list[dict[str, Any]]:
    """``n`` bar employees E00001… for 2024-``month``, without a period (the run gives it)."""
    out = []
    for i, case in enumerate(generate(n, seed * 100 + month), start=1):
        record = {
            k: v for k, v in _moved(case, 2024, month).items() if k not in ("period", "carried_deductions")
        }
        record["employee"] = f"E{i:05d}"
        out.append(record)
    return out


def _row(name: str, count: int, evaluate: float, form: float, run: float) -> tuple[float, float, float]:
    """Print one row in µs per slip; returns evaluate, what the ledger adds, its own cost."""
    e, j, r = (x / count * 1e6 for x in (evaluate, form, run))
    print(f"{name:8} {count:>6} {e:>9.1f} {j:>10.1f} {r:>11.1f} {r - e:>11.1f} {r - e - j:>11.1f}")
    return e, r - e, r - e - j


def main() -> None:
    """Pay the year both ways and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--db", help="ledger file (default: a temporary one)")
    parser.add_argument("--keep", default="lines", choices=("summary", "lines", "trace"))
    parser.add_argument("--no-compress", action="store_true", help="keep the slips' JSON uncompressed")
    args = parser.parse_args()
    bar = cmrules.load_ruleset("bar_customer_manager")
    folder = tempfile.TemporaryDirectory()
    path = Path(args.db or Path(folder.name) / "ledger.db")
    carried: dict[str, str] = {}
    evaluate_s = json_s = ledger_s = 0.0
    slips = 0
    heads = ("evaluate", "JSON form", "ledger run", "adds", "own")
    print(f"{'month':8} {'slips':>6} " + " ".join(f"{h:>{max(len(h), 9)}}" for h in heads))
    with cmrules.Ledger(path, by="bench", keep=args.keep, compress=not args.no_compress) as book:
        for month in range(1, args.months + 1):
            period = f"2024-{month:02d}"
            records = month_records(args.n, month, args.seed)
            started = time.process_time()
            alone = []
            for record in records:
                try:
                    given = {
                        **record,
                        "period": period,
                        "carried_deductions": carried.get(record["employee"], "0"),
                    }
                    alone.append(bar.evaluate(given))
                except cmrules.EmployeeError:
                    pass
            evaluated = time.process_time()
            forms = [s.to_dict(args.keep) for s in alone]
            middle = time.process_time()
            run = book.run(bar, period, records)
            book.close(period, allow_failures=True)
            ended = time.process_time()
            assert [s.to_dict(args.keep) for s in run.slips] == forms, period
            carried = {s.employee: str(s.carry_forward) for s in alone}
            count = len(run.slips)
            evaluate_s += evaluated - started
            json_s += middle - evaluated
            ledger_s += ended - middle
            slips += count
            _row(period, count, evaluated - started, middle - evaluated, ended - middle)
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    evaluate, adds, own = _row("year", slips, evaluate_s, json_s, ledger_s)
    print(
        f"keep={args.keep}, compress={not args.no_compress}: the ledger adds {adds / evaluate:.0%} of"
        f" evaluate ({adds / (evaluate + json_s / slips * 1e6):.0%} of evaluate and the JSON form),"
        f" its own cost beyond the JSON form {own / evaluate:.0%};"
        f" database {size / 1e6:.1f} MB ({size / slips / 1e3:.2f} kB per slip)"
    )
    folder.cleanup()


if __name__ == "__main__":
    main()
