"""The small pieces of the ledger's bookkeeping: who and when, periods' states, the employees who
joined, left or failed."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import sqlite3
from typing import Any

from cmrules.errors import UsageError
from cmrules.ledger._errors import LedgerRefused
from cmrules.slip import PaySlip


def now() -> str:
    """The UTC time now, ISO 8601 with a Z."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def user() -> str:
    """The login name of who acts."""
    try:
        return getpass.getuser()
    except Exception:
        return "<unknown>"


def slip_text(slip: PaySlip) -> str:
    """The slip's JSON form as the ledger keeps it: ``to_dict`` in its own key order (what
    ``cmrules run`` writes), compact."""
    return json.dumps(slip.to_dict(), ensure_ascii=False, separators=(",", ":"))


def next_period(period: str) -> str:
    """The month after ``period`` (``YYYY-MM``)."""
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def ruleset_id(ruleset: Any) -> str:
    """The id a ``ruleset=`` argument names: a loaded ruleset's id, or the text given."""
    if isinstance(ruleset, str):
        return ruleset
    rid = getattr(ruleset, "id", None)
    if not isinstance(rid, str):
        raise UsageError(f"ruleset= takes a ruleset id or a loaded ruleset, not {type(ruleset).__name__}")
    return rid


def status(db: sqlite3.Connection, ruleset: str, period: str) -> str | None:
    """``open`` or ``closed`` for a period of a ruleset with a run, else None."""
    row = db.execute(
        "SELECT status FROM periods WHERE ruleset = ? AND period = ?", (ruleset, period)
    ).fetchone()
    return None if row is None else str(row[0])


def active_run(db: sqlite3.Connection, ruleset: str, period: str) -> tuple[int, int] | None:
    """The id and failed-record count of the period's current run."""
    row = db.execute(
        "SELECT id, failed FROM runs WHERE ruleset = ? AND period = ? AND kind = 'run' AND active = 1",
        (ruleset, period),
    ).fetchone()
    return None if row is None else (int(row[0]), int(row[1]))


def paid_before(db: sqlite3.Connection, ruleset: str, period: str) -> tuple[int, set[str]] | None:
    """The id of the period's current run and the employees it paid."""
    row = db.execute(
        "SELECT id FROM runs WHERE ruleset = ? AND period = ? AND kind = 'run' AND active = 1",
        (ruleset, period),
    ).fetchone()
    if row is None:
        return None
    run = int(row[0])
    return run, {str(e) for (e,) in db.execute("SELECT employee FROM slips WHERE run = ?", (run,))}


def _first_few(names: set[str], shown: int = 5) -> str:
    ordered = sorted(names)
    text = ", ".join(ordered[:shown])
    return text if len(ordered) <= shown else f"{text} and {len(ordered) - shown} more"


def slips_lost(
    rid: str,
    period: str,
    earlier: tuple[int, set[str]],
    lost: set[str],
    paid: int,
    failed: int,
    failures: list[dict[str, Any]],
) -> LedgerRefused:
    """The refusal of a run that would replace ``earlier`` (run id, employees paid) without paying
    ``lost`` (employees it paid, whose slips would be lost), naming the first few."""
    run, before = earlier
    fix = "fix the failed records and run again" if failed else "run again with every employee"
    return LedgerRefused(
        f"period {period} of ruleset {rid}: the slips of {len(lost)} employee(s) paid by the open run"
        f" it would replace would be lost: {_first_few(lost)}; this run pays {paid} employee(s)"
        f" ({failed} failed) where the open run it would replace (run {run}) paid {len(before)}: refused,"
        f" the ledger keeps run {run} and its slips; {fix}, or replace it anyway with {{override}}",
        "force=True",
        "--force",
        failures,
    )


def failed_employees(failures: list[dict[str, Any]]) -> set[str]:
    """The employees named by a run's failure dicts (a record that names nobody is left out)."""
    return {
        f["employee"] for f in failures if isinstance(f.get("employee"), str) and f["employee"] != "<unknown>"
    }


def movements(
    db: sqlite3.Connection, rid: str, period: str, paid: list[str], failures: list[dict[str, Any]]
) -> tuple[list[str], list[str], list[str]]:
    """Who joined, left and failed: the employees paid now who were neither paid nor failed in the
    previous period run, those paid or failed then who are neither now, and those whose record
    failed now (not paid: their balances stay as they were for the next period)."""
    row = db.execute(
        "SELECT id, failures FROM runs WHERE ruleset = ? AND kind = 'run' AND active = 1 AND period < ?"
        " ORDER BY period DESC LIMIT 1",
        (rid, period),
    ).fetchone()
    before: set[str] = set()
    if row is not None:
        before = {e for (e,) in db.execute("SELECT employee FROM slips WHERE run = ?", (row[0],))}
        before |= failed_employees(json.loads(row[1]))
    now = set(paid)
    unpaid = failed_employees(failures) - now
    return [e for e in paid if e not in before], sorted(before - now - unpaid), sorted(unpaid)
