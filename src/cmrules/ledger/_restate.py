"""Correcting a closed period: the corrected slips against the ones paid, line by line.

The closed run is never changed. Each line whose amount differs (a line is known by its
rule id and, for a per-element rule, the element's index) becomes an adjustment the next
run of a later period carries, labelled with the month it corrects and the rule's label:
"Correction of 2026-03: Commission" (2026-03 更正:提成), +120.00. Since the differences add
up to the change of earnings less
deductions, what was paid over all months plus the adjustments is what a replay with the
corrected inputs pays (carry-forward included).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cmrules.compile import BalanceSpec
from cmrules.ledger._balances import balance_specs, declared, initial_of, text_of, value_of
from cmrules.ledger._pack import unpack
from cmrules.ledger._prepare import balances_before, evaluate_period
from cmrules.ruleset._ruleset import Version
from cmrules.run import Evaluator
from cmrules.slip import PaySlip

__all__ = ["CORRECTION", "Restated", "line_amounts", "restate_period"]

#: The rule id prefix of the lines that carry corrections (``correction:2026-03:commission``).
CORRECTION = "correction:"


@dataclass
class Restated:
    """A restatement: the corrected slips, their failures, the adjustments recorded (dicts with
    ``employee``, ``line``, ``amount`` and ``label``) and the declared balances it corrects (dicts
    with ``employee``, ``balance``, ``was`` and ``now``: the value after the month)."""

    ruleset: str
    period: str
    run: int
    slips: list[PaySlip]
    failures: list[dict[str, Any]]
    failed: int = 0
    adjustments: list[dict[str, Any]] = field(default_factory=list)
    balances: list[dict[str, Any]] = field(default_factory=list)
    numbered: list[tuple[int, PaySlip]] = field(default_factory=list)


def line_amounts(lines: Iterable[Mapping[str, Any]]) -> dict[str, Decimal]:
    """The amounts of a slip's lines (JSON form) by line identity: ``rule_id`` or ``rule_id[i]``."""
    out: dict[str, Decimal] = {}
    for line in lines:
        item = line.get("item")
        key = line["rule_id"] if item is None else f"{line['rule_id']}[{item['index']}]"
        out[key] = out.get(key, Decimal(0)) + Decimal(line["amount"])
    return out


def _current(db: sqlite3.Connection, rid: str, period: str, employee: str) -> dict[str, Any] | None:
    row = db.execute(
        "SELECT s.json, s.packing FROM slips s JOIN runs r ON r.id = s.run"
        " WHERE s.ruleset = ? AND s.period = ? AND s.employee = ? AND r.active = 1"
        " ORDER BY r.id DESC LIMIT 1",
        (rid, period, employee),
    ).fetchone()
    return None if row is None else unpack(*row)


def restate_period(
    db: sqlite3.Connection,
    evaluator: Evaluator,
    version: Version,
    rid: str,
    period: str,
    records: Iterable[Any],
    run_id: int,
) -> Restated:
    """Evaluate the corrected ``records`` with the balances each employee had in the closed
    run, and record the line differences against the latest slips of the period."""
    specs = balance_specs(version)
    by_name = {spec.name: spec for spec in specs}
    held: dict[str, dict[str, Any]] = {}
    rows = db.execute(
        "SELECT b.employee, b.name, b.before FROM balances b JOIN runs r ON r.id = b.run"
        " WHERE b.ruleset = ? AND b.period = ? AND r.kind = 'run' AND r.active = 1",
        (rid, period),
    )
    for employee, name, before in rows:
        if name in by_name:
            held.setdefault(employee, {})[name] = value_of(by_name[name], before)
    book = balances_before(db, rid, period, specs)
    paid = evaluate_period(evaluator, period, records, book, held)
    result = Restated(rid, period, run_id, [s for _, s in paid.slips], paid.failures, paid.failed)
    result.numbered = paid.slips
    carried = {spec.name for spec in specs}  # the built-in rule has the balance's name
    labels = {rule.id: rule.label for rule in version.program.rules}
    for _, slip in paid.slips:
        was = _current(db, rid, period, slip.employee)
        old = line_amounts(was["lines"]) if was is not None else {}
        new = line_amounts(line.to_dict() for line in slip.lines)
        for key in [*new, *(k for k in old if k not in new)]:
            if key in carried or key.startswith(CORRECTION):
                continue  # balances and earlier corrections are the ledger's, never corrected twice
            change = new.get(key, Decimal(0)) - old.get(key, Decimal(0))
            if not change:
                continue
            zh, en = _labels(labels, key, period)
            db.execute(
                "INSERT INTO adjustments (ruleset, employee, corrects, line, label_en, label_zh, amount,"
                " restate_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (rid, slip.employee, period, key, en, zh, str(change), run_id),
            )
            result.adjustments.append({"employee": slip.employee, "line": key, "amount": change, "label": en})
        _balance_corrections(db, rid, period, slip, declared(specs), run_id, result)
    return result


def _labels(labels: Mapping[str, Mapping[str, str]], key: str, period: str) -> tuple[str, str]:
    """The Chinese and English labels of the correction of line ``key`` (``rule`` or ``rule[i]``):
    the month and the rule's own label ("Correction of 2026-03: Commission")."""
    rule = key.split("[", 1)[0]
    label, element = labels.get(rule, {}), key[len(rule) :]
    return (
        f"{period} 更正:{label.get('zh', rule)}{element}",
        f"Correction of {period}: {label.get('en', rule)}{element}",
    )


def _balance_corrections(
    db: sqlite3.Connection,
    rid: str,
    period: str,
    slip: PaySlip,
    specs: tuple[BalanceSpec, ...],
    run_id: int,
    result: Restated,
) -> None:
    """Record how the corrected slip changes each declared balance after ``period`` (against the
    closed run's value, or the latest restatement's): the next run of a later period adds the
    change to the balance before it, once."""
    for spec in specs:
        row = db.execute(
            "SELECT now FROM balance_corrections WHERE ruleset = ? AND employee = ? AND corrects = ?"
            " AND name = ? ORDER BY id DESC LIMIT 1",
            (rid, slip.employee, period, spec.name),
        ).fetchone()
        if row is None:
            row = db.execute(
                "SELECT b.after FROM balances b JOIN runs r ON r.id = b.run WHERE b.ruleset = ?"
                " AND b.period = ? AND b.employee = ? AND b.name = ? AND r.kind = 'run' AND r.active = 1",
                (rid, period, slip.employee, spec.name),
            ).fetchone()
        now = slip.balances[spec.name].after
        was = value_of(spec, row[0]) if row is not None else initial_of(spec)
        change = now - was
        if not change:
            continue
        db.execute(
            "INSERT INTO balance_corrections (ruleset, employee, corrects, name, was, now, change,"
            " restate_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (rid, slip.employee, period, spec.name, text_of(was), text_of(now), text_of(change), run_id),
        )
        result.balances.append({"employee": slip.employee, "balance": spec.name, "was": was, "now": now})
