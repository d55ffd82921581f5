"""Pay a month of bar staff: read a CSV file, evaluate everyone, write each slip as JSON.

    python examples/payroll_bar.py [OUT_DIR] [--input CSV]

OUT_DIR defaults to ``out/``; it receives ``<employee>.json`` per slip and, when
some rows are bad, ``errors.json`` naming each one (the others are still paid).
A summary table goes to the terminal. Exit code 0, or 2 when a row failed.
The CSV holds one employee-month per row; list fields are JSON in their cell.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path

import cmrules
from cmrules import atomic_write, read_inputs

HERE = Path(__file__).resolve().parent
RULESET = HERE.parent / "rulesets" / "bar_customer_manager.yaml"


def main(argv: list[str] | None = None) -> int:
    """Pay the month: one JSON slip per employee, errors.json for bad rows, a summary table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="out", help="output folder (default: out/)")
    parser.add_argument("--input", default=str(HERE / "bar_month.csv"), help="the month's CSV file")
    args = parser.parse_args(argv)

    ruleset = cmrules.load_ruleset(RULESET)  # load and compile once
    records = read_inputs(args.input)  # numbers stay exact: never a float
    slips, failures = ruleset.evaluate_many(records)  # a bad row never stops the others

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for slip in slips:
        # atomic: a crash never leaves a half-written slip
        atomic_write(out / f"{slip.employee}.json", json.dumps(slip.to_dict(), ensure_ascii=False, indent=2))
    problems = [problem for failure in failures for problem in failure.to_dicts()]
    errors_file = out / "errors.json"
    if problems:
        atomic_write(errors_file, json.dumps(problems, ensure_ascii=False, indent=2))
    else:
        errors_file.unlink(missing_ok=True)  # a stale report from an earlier run would mislead

    header = ("employee", "performance", "earnings", "deductions", "net", "carried", "notices")
    rows = [
        (
            slip.employee,
            f"{slip.facts['performance']:,}",
            f"{slip.earnings:,}",
            f"{slip.deductions:,}",
            f"{slip.net:,}",
            f"{slip.carry_forward:,}",
            " ".join(n.code for n in slip.notices),
        )
        for slip in slips
    ]
    total_net = sum((slip.net for slip in slips), Decimal(0))
    rows.append(("total", "", "", "", f"{total_net:,}", "", ""))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for n, row in enumerate([header, *rows]):
        if n == len(rows):  # the total row
            print("-" * (sum(widths) + 2 * (len(widths) - 1)))
        cells = [row[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(row[1:-1], widths[1:-1], strict=True))]
        print("  ".join([*cells, row[-1]]).rstrip())
    print(f"\n{len(slips)} slips written to {out}/")
    for problem in problems:
        print(
            f"FAILED {problem['employee']}: {problem['field']} = {problem['value']!r}: {problem['message']}",
            file=sys.stderr,
        )
    if problems:
        print(f"{len(failures)} employees failed; see {errors_file}", file=sys.stderr)
    return 2 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
