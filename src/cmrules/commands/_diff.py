"""``cmrules diff``: two rulesets or versions on the same inputs, whatever their dates: who gains,
who loses, by how much, and which lines change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from cmrules.commands._open import dateless, describe, open_ruleset
from cmrules.run import Evaluator, evaluate_records, format_failure
from cmrules.slip._payslip import PaySlip
from cmrules.sources import read_inputs


@dataclass(frozen=True)
class LineChange:
    """One rule's signed line total before and after (``None``: no line on that side).

    ``label`` is the new version's label of the rule (the old one's when only it made lines).
    """

    rule_id: str
    label: dict[str, str]
    old: Decimal | None
    new: Decimal | None

    @property
    def change(self) -> Decimal:
        """New minus old, a missing line counting as 0."""
        return (self.new or Decimal(0)) - (self.old or Decimal(0))


@dataclass
class EmployeeDiff:
    """One employee-period's net pay before and after, with the lines that change."""

    employee: str
    period: str
    old_net: Decimal
    new_net: Decimal
    lines: list[LineChange]

    @property
    def change(self) -> Decimal:
        """New net minus old net."""
        return self.new_net - self.old_net


def _line_changes(old: PaySlip, new: PaySlip) -> list[LineChange]:
    totals: dict[str, list[Any]] = {}
    for side, slip in ((0, old), (1, new)):
        for line in slip.lines:
            entry = totals.setdefault(line.rule_id, [line.label, None, None])
            entry[1 + side] = (entry[1 + side] or Decimal(0)) + line.amount
            if side == 1:
                entry[0] = line.label
    return [LineChange(rule_id, dict(label), a, b) for rule_id, (label, a, b) in totals.items() if a != b]


@dataclass
class DiffReport:
    """Two rulesets on the same inputs: per employee, then who gains and who loses."""

    old: str
    new: str
    employees: list[EmployeeDiff]
    failures: list[dict[str, Any]]  # each with ``side``: "old", "new" or "both"
    currency: str = ""

    @property
    def gainers(self) -> list[EmployeeDiff]:
        """Employees paid more, largest gain first."""
        return sorted((e for e in self.employees if e.change > 0), key=lambda e: -e.change)

    @property
    def losers(self) -> list[EmployeeDiff]:
        """Employees paid less, largest loss first."""
        return sorted((e for e in self.employees if e.change < 0), key=lambda e: e.change)

    def totals(self) -> dict[str, Any]:
        """Counts and amounts: employees, gain, lose, unchanged, old and new net pay, change."""
        old = sum((e.old_net for e in self.employees), Decimal(0))
        new = sum((e.new_net for e in self.employees), Decimal(0))
        return {
            "employees": len(self.employees),
            "gain": {"count": len(self.gainers), "amount": sum((e.change for e in self.gainers), Decimal(0))},
            "lose": {"count": len(self.losers), "amount": -sum((e.change for e in self.losers), Decimal(0))},
            "unchanged": len(self.employees) - len(self.gainers) - len(self.losers),
            "old_net": old,
            "new_net": new,
            "change": new - old,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: amounts as decimal strings."""
        t = self.totals()
        return {
            "old": self.old,
            "new": self.new,
            "employees": [
                {
                    "employee": e.employee,
                    "period": e.period,
                    "old_net": str(e.old_net),
                    "new_net": str(e.new_net),
                    "change": str(e.change),
                    "lines": [
                        {
                            "rule_id": c.rule_id,
                            "label": dict(c.label),
                            "old": None if c.old is None else str(c.old),
                            "new": None if c.new is None else str(c.new),
                            "change": str(c.change),
                        }
                        for c in e.lines
                    ],
                }
                for e in self.employees
            ],
            "totals": {
                **t,
                "gain": {"count": t["gain"]["count"], "amount": str(t["gain"]["amount"])},
                "lose": {"count": t["lose"]["count"], "amount": str(t["lose"]["amount"])},
                **{k: str(t[k]) for k in ("old_net", "new_net", "change")},
            },
            "failures": self.failures,
        }

    def render(self) -> str:
        """A table of employees with their changed lines, then totals, extremes and problems."""
        m = _signed
        rows = [("employee", "period", "old net", "new net", "change")]
        rows += [
            (e.employee, e.period, _plain(e.old_net), _plain(e.new_net), m(e.change)) for e in self.employees
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        out = [f"old: {self.old}", f"new: {self.new}", ""]
        for n, row in enumerate(rows):
            cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
            cells += [c.rjust(w) for c, w in zip(row[2:], widths[2:], strict=True)]
            out.append("  ".join(cells).rstrip())
            if n == 0:
                continue
            for c in self.employees[n - 1].lines:
                before = "no line" if c.old is None else _plain(c.old)
                after = "no line" if c.new is None else _plain(c.new)
                label = f"{c.label['zh']} {c.label['en']}"
                out.append(f"    {c.rule_id} ({label}): {before} → {after} ({m(c.change)})")
        t = self.totals()
        out += [
            "",
            f"{t['employees']} employees: {t['gain']['count']} gain {_plain(t['gain']['amount'])}, "
            f"{t['lose']['count']} lose {_plain(t['lose']['amount'])}, {t['unchanged']} unchanged",
            f"net pay in all: {_plain(t['old_net'])} → {_plain(t['new_net'])} ({m(t['change'])})"
            + (f" {self.currency}" if self.currency else ""),
        ]
        if self.gainers:
            top = self.gainers[0]
            out.append(f"largest gain: {top.employee} {top.period} {m(top.change)}")
        if self.losers:
            low = self.losers[0]
            out.append(f"largest loss: {low.employee} {low.period} {m(low.change)}")
        if self.failures:
            out += ["", f"{len(self.failures)} problems (these employees are left out):"]
            out += [f"  {f['side']}: {format_failure(f)}" for f in self.failures]
        return "\n".join(out) + "\n"


def _plain(value: Decimal) -> str:
    if value.as_tuple().exponent > -2:  # type: ignore[operator]  # 0 → 0.00, as money is shown
        value = value.quantize(Decimal("0.01"))
    return f"{value:,f}"


def _signed(value: Decimal) -> str:
    return f"+{_plain(value)}" if value > 0 else _plain(value)


def diff_records(
    old: Evaluator, new: Evaluator, records: Sequence[Any], *, period: str | None = None
) -> DiffReport:
    """Evaluate ``records`` with both; a single-version ruleset applies whatever the period.

    Employees that fail on either side are listed in ``failures`` and left out of the totals.
    """
    old, new = dateless(old), dateless(new)
    before = evaluate_records(old, records, period=period)
    after = evaluate_records(new, records, period=period)
    employees, failures, currency = [], [], ""
    for a, b in zip(before, after, strict=True):
        failures += [{**f, "side": "both" if f in b.failures else "old"} for f in a.failures]
        failures += [{**f, "side": "new"} for f in b.failures if f not in a.failures]
        if a.slip is None or b.slip is None:
            continue
        currency = currency or a.slip.currency
        changes = _line_changes(a.slip, b.slip)
        employees.append(EmployeeDiff(a.slip.employee, a.slip.period, a.slip.net, b.slip.net, changes))
    return DiffReport(describe(old), describe(new), employees, failures, currency)


def diff_rulesets(
    old: str | Path,
    new: str | Path,
    input_path: str | Path,
    period: str | None = None,
    *,
    input_format: str | None = None,
) -> DiffReport:
    """:func:`diff_records` on ruleset paths (``folder@version`` picks a version) and an input file."""
    report = diff_records(
        open_ruleset(old), open_ruleset(new), read_inputs(input_path, input_format), period=period
    )
    report.old, report.new = f"{old} ({report.old})", f"{new} ({report.new})"
    return report
