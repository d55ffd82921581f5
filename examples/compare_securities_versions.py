"""What a plan change does to pay: both securities versions on the same staff.

    python examples/compare_securities_versions.py [STAFF_JSON] [--plan FOLDER]

Version 2012-01 pro-rates the base by task completion; version 2013-07 pays the
full base only on a completed task and a flat 1,500 otherwise. Each version is
applied to the same month whatever its own dates (a what-if), so the table shows
who gains, who loses, and by how much. ``cmrules diff
rulesets/securities_client_manager@2012-01 rulesets/securities_client_manager@2013-07
examples/securities_staff.json`` prints the same comparison line by line.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from pathlib import Path

import cmrules
from cmrules import read_inputs

HERE = Path(__file__).resolve().parent
PLAN = HERE.parent / "rulesets" / "securities_client_manager"
OLD, NEW = "2012-01", "2013-07"


def _amount(slip: cmrules.PaySlip, rule_id: str) -> str:
    return f"{slip.total(rule_id):,}" if slip.line(rule_id) else "no line"


def main(argv: list[str] | None = None) -> int:
    """Print both versions' net pay per employee, the lines that change, and who gains or loses."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("staff", nargs="?", default=str(HERE / "securities_staff.json"))
    parser.add_argument("--plan", default=str(PLAN), help="the plan folder (default: the shipped one)")
    args = parser.parse_args(argv)
    staff = read_inputs(args.staff)
    plan = cmrules.load_ruleset(args.plan)
    old, new = plan.version(OLD), plan.version(NEW)  # a version applies whatever the period

    rows = [("employee", "level", "completion", f"net {OLD}", f"net {NEW}", "change", "lines that change")]
    changes: list[tuple[str, Decimal]] = []
    for person in staff:
        before, after = old.evaluate(person), new.evaluate(person)
        change = after.net - before.net
        changes.append((person["employee"], change))
        rule_ids = dict.fromkeys([line.rule_id for line in before.lines + after.lines])
        moved = [
            f"{rule_id} {_amount(before, rule_id)} → {_amount(after, rule_id)}"
            for rule_id in rule_ids
            if before.total(rule_id) != after.total(rule_id)
        ]
        if any(n.kind == "ultimatum" for n in after.notices):
            moved.append("(ultimatum notice)")
        completion = before.facts["completion"] * 100  # unrounded in the slip; shown to 0.01%
        rows.append(
            (
                person["employee"],
                str(before.facts["level"]),
                f"{completion.quantize(Decimal('0.01'))}%",
                f"{before.net:,}",
                f"{after.net:,}",
                f"{change:+,}" if change else f"{change:,}",
                "; ".join(moved),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    period = staff[0]["period"] if staff else "?"
    print(f"Securities client managers, period {period}: version {OLD} vs {NEW}\n")
    for row in rows:
        cells = [row[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(row[1:-1], widths[1:-1], strict=True))]
        print("  ".join([*cells, row[-1]]).rstrip())

    gain = sorted((c for c in changes if c[1] > 0), key=lambda c: -c[1])
    lose = sorted((c for c in changes if c[1] < 0), key=lambda c: c[1])
    same = [name for name, change in changes if change == 0]
    print()
    print(
        f"gain: {len(gain)} employees, {sum((c for _, c in gain), Decimal(0)):,} in all: "
        + ", ".join(f"{name} {change:+,}" for name, change in gain)
    )
    print(
        f"lose: {len(lose)} employees, {-sum((c for _, c in lose), Decimal(0)):,} in all: "
        + ", ".join(f"{name} {change:+,}" for name, change in lose)
    )
    print(f"unchanged: {', '.join(same) or 'nobody'}")
    print(f"net payroll change: {sum((c for _, c in changes), Decimal(0)):+,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
