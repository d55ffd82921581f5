"""What the ledger answers: an employee's history, a period's totals and slips, the log."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

from cmrules.errors import UsageError
from cmrules.ledger._errors import LedgerError
from cmrules.ledger._pack import check_export, unpack
from cmrules.outputs import write_slips
from cmrules.outputs.render import detail_for
from cmrules.outputs.render._arrow import Declared

__all__ = ["export", "history", "log", "openings", "slips", "totals"]


def history(db: sqlite3.Connection, employee: str, ruleset: str | None) -> list[dict[str, Any]]:
    """``employee``'s paid periods in order (per ruleset): status, slip, balances, the corrections
    of restatements (lines, and declared balances after the month) and where they were carried."""
    rows = db.execute(
        "SELECT s.ruleset, s.period, s.run, s.hash, s.json, s.packing, p.status FROM slips s"
        " JOIN runs r ON r.id = s.run JOIN periods p ON p.ruleset = s.ruleset AND p.period = s.period"
        " WHERE s.employee = ? AND r.kind = 'run' AND r.active = 1 AND (? IS NULL OR s.ruleset = ?)"
        " ORDER BY s.period, s.ruleset",
        (employee, ruleset, ruleset),
    ).fetchall()
    out = []
    for rid, period, run, sha, body, packing, status in rows:
        balances = {
            name: {"before": before, "after": after}
            for name, before, after in db.execute(
                "SELECT name, before, after FROM balances WHERE run = ? AND employee = ? ORDER BY rowid",
                (run, employee),
            )
        }
        restated = db.execute(
            "SELECT line, amount, applied_period FROM adjustments WHERE ruleset = ? AND employee = ?"
            " AND corrects = ? ORDER BY id",
            (rid, employee, period),
        ).fetchall()
        out.append(
            {
                "ruleset": rid,
                "period": period,
                "status": status,
                "sha256": sha,
                "slip": unpack(body, packing),
                "balances": balances,
                "corrections": [
                    {"line": line, "amount": amount, "carried_in": applied}
                    for line, amount, applied in restated
                ],
                "balance_corrections": [
                    {"balance": name, "was": was, "now": now_, "carried_in": applied}
                    for name, was, now_, applied in db.execute(
                        "SELECT name, was, now, applied_period FROM balance_corrections"
                        " WHERE ruleset = ? AND employee = ? AND corrects = ? ORDER BY id",
                        (rid, employee, period),
                    )
                ],
            }
        )
    return out


def openings(db: sqlite3.Connection, employee: str, ruleset: str | None) -> list[dict[str, Any]]:
    """``employee``'s imported opening balances, per ruleset and period (in order): name -> value."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for rid, period, name, value in db.execute(
        "SELECT ruleset, period, name, value FROM openings WHERE employee = ? AND (? IS NULL OR ruleset = ?)"
        " ORDER BY period, ruleset, rowid",
        (employee, ruleset, ruleset),
    ):
        out.setdefault((rid, period), {})[name] = value
    return [{"ruleset": rid, "period": period, "balances": values} for (rid, period), values in out.items()]


def _runs(db: sqlite3.Connection, period: str, ruleset: str | None) -> list[tuple[Any, ...]]:
    return db.execute(
        "SELECT r.id, r.ruleset, r.failed, r.failures, p.status FROM runs r"
        " JOIN periods p ON p.ruleset = r.ruleset AND p.period = r.period"
        " WHERE r.period = ? AND r.kind = 'run' AND r.active = 1 AND (? IS NULL OR r.ruleset = ?)"
        " ORDER BY r.ruleset",
        (period, ruleset, ruleset),
    ).fetchall()


def totals(db: sqlite3.Connection, period: str, ruleset: str | None) -> list[dict[str, Any]]:
    """Per ruleset run in ``period``: status, employees paid and failed, and the summed totals."""
    out = []
    for run, rid, failed, _, status in _runs(db, period, ruleset):
        sums = dict.fromkeys(("earnings", "deductions", "net", "carry_forward"), Decimal(0))
        count = 0
        for body, packing in db.execute("SELECT json, packing FROM slips WHERE run = ?", (run,)):
            slip = unpack(body, packing)
            count += 1
            for key in sums:
                sums[key] += Decimal(slip["totals"][key])
        if not count:  # no slip to sum: zero at the places of the ruleset's money
            sums = dict.fromkeys(sums, Decimal(0).scaleb(-_places(db, rid, run)))
        out.append(
            {"ruleset": rid, "period": period, "status": status, "paid": count, "failed": failed}
            | {key: str(value) for key, value in sums.items()}
        )
    return out


def _places(db: sqlite3.Connection, rid: str, run: int) -> int:
    """The places of the ruleset's money: those of the version that made ``run`` (kept since schema
    version 3), else as its slips in the ledger write a net, else the language's default, 2 (a run
    of an older schema in a ledger that holds no slip of the ruleset)."""
    (places,) = db.execute("SELECT places FROM runs WHERE id = ?", (run,)).fetchone()
    if places is not None:
        return int(places)
    row = db.execute("SELECT net FROM slips WHERE ruleset = ? LIMIT 1", (rid,)).fetchone()
    if row is None:
        return 2
    exponent = Decimal(row[0]).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 2


def slips(db: sqlite3.Connection, period: str, ruleset: str) -> list[dict[str, Any]]:
    """The slips of the period's current run, in input order."""
    found = _runs(db, period, ruleset)
    if not found:
        raise LedgerError(f"ruleset {ruleset} has no run for {period}")
    rows = db.execute("SELECT json, packing FROM slips WHERE run = ? ORDER BY position", (found[0][0],))
    return [unpack(body, packing) for body, packing in rows]


def export(
    db: sqlite3.Connection,
    period: str,
    ruleset: str,
    path: str | Path | None,
    fmt: str,
    detail: str | None,
    declared: Declared | None = None,
) -> str | None:
    """The period's slips and its run's failures written by ``cmrules run``'s writers, at
    ``detail`` (or the format's default) when the slips were kept with that much;
    ``declared`` (Parquet): the ruleset's columns, for ``cmrules run``'s schema."""
    found = _runs(db, period, ruleset)
    if not found:
        raise LedgerError(f"ruleset {ruleset} has no run for {period}")
    kept = [k for (k,) in db.execute("SELECT DISTINCT detail FROM slips WHERE run = ?", (found[0][0],))]
    try:
        default = detail_for(fmt)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    level = check_export(kept, detail, default)
    return write_slips(
        slips(db, period, ruleset), json.loads(found[0][3]), path, fmt, detail=level, declared=declared
    )


def log(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every event, oldest first: when, who, what (run, close, restate, import), which ruleset and period."""
    rows = db.execute("SELECT at, by, event, ruleset, period, detail FROM log ORDER BY id")
    return [
        {"at": at, "by": by, "event": event, "ruleset": rid, "period": period, "detail": json.loads(detail)}
        for at, by, event, rid, period, detail in rows
    ]
