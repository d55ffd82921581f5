"""Closing periods of the ledger: which runs a ``close`` closes, and the checks that keep periods
final, in order and without gaps."""

from __future__ import annotations

import sqlite3

from cmrules.ledger._errors import LedgerError, LedgerRefused
from cmrules.ledger._rows import active_run, next_period, now, status


def closing(db: sqlite3.Connection, period: str, rid: str | None) -> list[str]:
    """The rulesets a ``close`` of ``period`` closes: ``rid``, else every ruleset with an open run
    in it. A period whose runs are all closed already says so, naming when and by whom."""
    if rid is not None:
        return [rid]
    found = [
        r
        for (r,) in db.execute(
            "SELECT DISTINCT ruleset FROM runs WHERE period = ? AND kind = 'run' AND active = 1"
            " ORDER BY ruleset",
            (period,),
        )
    ]
    open_ = [r for r in found if status(db, r, period) != "closed"]
    if open_:
        return open_
    if found:
        raise LedgerError(
            f"period {period} is already closed ({'; '.join(closed_when(db, r, period) for r in found)})"
        )
    raise LedgerError(f"no open run of period {period} to close")


def closed_when(db: sqlite3.Connection, rid: str, period: str) -> str:
    """``ruleset X, closed <when> by <who>`` for a closed period of ``rid``."""
    row = db.execute(
        "SELECT closed_at, closed_by FROM periods WHERE ruleset = ? AND period = ?", (rid, period)
    ).fetchone()
    return f"ruleset {rid}, closed {row[0]} by {row[1]}"


def close_one(db: sqlite3.Connection, by: str, rid: str, period: str, allow_failures: bool) -> int:
    """Close ``period`` of ``rid`` when its run may be closed (in order, no gap, failures allowed);
    returns the run closed."""
    if status(db, rid, period) == "closed":
        raise LedgerError(f"period {period} is already closed ({closed_when(db, rid, period)})")
    run = active_run(db, rid, period)
    if run is None:
        raise LedgerError(f"ruleset {rid} has no run for {period}: nothing to close")
    earlier = db.execute(
        "SELECT MIN(p.period) FROM periods p WHERE p.ruleset = ? AND p.status = 'open' AND p.period < ?",
        (rid, period),
    ).fetchone()[0]
    if earlier is not None:
        raise LedgerError(f"ruleset {rid}: close {earlier} first (periods close in order)")
    last = db.execute(
        "SELECT MAX(period) FROM periods WHERE ruleset = ? AND status = 'closed'", (rid,)
    ).fetchone()[0]
    if last is not None and next_period(last) != period:
        raise LedgerError(
            f"ruleset {rid}: the last closed period is {last}; closing {period} would leave a gap"
            f" (run and close {next_period(last)} first)"
        )
    if run[1] and not allow_failures:
        raise LedgerRefused(
            f"the run of {period} (ruleset {rid}) has {run[1]} failed record(s): fix and run it again,"
            " or close with {override}",
            "allow_failures=True",
            "--allow-failures",
        )
    db.execute(
        "UPDATE periods SET status = 'closed', closed_at = ?, closed_by = ? WHERE ruleset = ? AND period = ?",
        (now(), by, rid, period),
    )
    return run[0]
