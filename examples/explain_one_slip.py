"""One pay slip explained line by line: the arithmetic, the rules that fired, and why others did not.

    python examples/explain_one_slip.py [EMPLOYEE] [--input FILE]

EMPLOYEE defaults to B012 of ``bar_month.csv``: a new hire below target with
lateness fines and a notice that the fines exceed the statutory 20% cap.
``cmrules explain rulesets/bar_customer_manager.yaml examples/bar_month.csv
--employee B012`` prints the full explanation; this script walks the same
objects from Python.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cmrules.commands import explain_employee

HERE = Path(__file__).resolve().parent
RULESET = HERE.parent / "rulesets" / "bar_customer_manager.yaml"


def main(argv: list[str] | None = None) -> int:
    """Print one employee's slip: lines with arithmetic, notices, facts, rules fired and not fired."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("employee", nargs="?", default="B012")
    parser.add_argument("--input", default=str(HERE / "bar_month.csv"))
    args = parser.parse_args(argv)

    explanation = explain_employee(RULESET, args.input, args.employee)
    slip = explanation.slip
    print(f"Pay slip of {slip.employee} for {slip.period} ({slip.ruleset['id']} {slip.ruleset['version']})\n")

    print("1. Every line, with the arithmetic that made it")
    for line in slip.lines:
        element = f" [{line.index}]" if line.index is not None else ""
        print(f"   {line.label['en'] + element:<32} {line.amount:>10,}   {line.explanation}")
    totals = f"(earnings {slip.earnings:,} − deductions {slip.deductions:,})"
    print(f"   {'net pay':<32} {slip.net:>10,}   {totals}")
    if slip.carry_forward:
        print(f"   {'carried to next month':<32} {slip.carry_forward:>10,}")

    print("\n2. Notices")
    for notice in slip.notices or []:
        print(f"   [{notice.kind}] {notice.text['en']}")
    if not slip.notices:
        print("   none")

    print("\n3. The facts the slip exposes")
    for name, value in slip.facts.items():
        print(f"   {name} = {value}")

    print("\n4. The rules that fired, in order, with the values they read")
    for step, entry in enumerate(slip.trace, start=1):
        element = f" [{entry['item']}]" if "item" in entry else ""
        read = ", ".join(f"{k}={v}" for k, v in entry["read"].items() if not isinstance(v, list))
        print(f"   {step:>2}. {entry['rule_id']}{element}: {read}")

    print("\n5. The rules that did not fire, and why")
    for miss in explanation.misses:
        element = f" [{miss.item}]" if miss.item is not None else ""
        print(f"   {miss.rule_id}{element}: {miss.reason}")
        if miss.shown:
            print(f"       when {miss.when}")
            print(f"         is {miss.shown} → false")
    return 0


if __name__ == "__main__":
    sys.exit(main())
