"""The payroll ledger: periods of a ruleset chained through the balances it keeps.

>>> with Ledger("payroll.db") as book:
...     result = book.run("bar_customer_manager", "2024-05", records)
...     book.close("2024-05")
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

from cmrules.errors import UsageError
from cmrules.ledger import _queries
from cmrules.ledger._balances import balance_specs, moved
from cmrules.ledger._close import close_one, closing
from cmrules.ledger._errors import LedgerError, file_problems
from cmrules.ledger._openings import Openings, checked_openings, store_openings
from cmrules.ledger._pack import KEEP_DEFAULT, check_keep, pack
from cmrules.ledger._prepare import balances_before, evaluate_period, resolve, version_of
from cmrules.ledger._restate import Restated, restate_period
from cmrules.ledger._result import LedgerRun
from cmrules.ledger._rows import (
    active_run,
    movements,
    now,
    paid_before,
    ruleset_id,
    slips_lost,
    status,
    user,
)
from cmrules.ledger._store import connect, write
from cmrules.outputs.render._arrow import declared_columns
from cmrules.ruleset._ruleset import Ruleset, Version
from cmrules.run import check_period
from cmrules.slip import Adjustment, Detail, PaySlip

__all__ = ["Ledger"]


class Ledger:
    """A payroll ledger in a SQLite file (``":memory:"`` for one in memory).

    It pays periods of a ruleset (known by its id, so a new dated version continues the
    same balances) with each employee's balances from the period before, keeps every slip
    (its JSON text and the hash of the ruleset version that made it), closes periods in
    order, and carries corrections of closed periods as adjustment lines of the next run.
    Every write is one transaction; a second process writing at the same time gets
    :class:`~cmrules.ledger.LedgerBusy` (after ``timeout`` seconds, 2 by default), a file that is
    damaged, not a ledger or of a newer schema :class:`~cmrules.ledger.LedgerFileError`, and what
    the ledger refuses unless told (``force=``, ``allow_failures=``)
    :class:`~cmrules.ledger.LedgerRefused`. ``by`` names who acts (default: the login name).
    ``keep`` is how much of each slip it stores (``summary``, ``lines``: the default, or
    ``trace``) and ``compress`` whether it stores it zlib-compressed; an export writes at most
    what was kept.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        by: str | None = None,
        timeout: float | None = None,
        keep: Detail = KEEP_DEFAULT,
        compress: bool = True,
    ):
        self.path = str(path)
        self.by = by or user()
        self.keep: Detail = check_keep(keep)
        self.compress = compress
        self._db: sqlite3.Connection | None = connect(path, timeout=timeout)

    # -- the file ----------------------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        """The open connection (``UsageError`` once the ledger is closed)."""
        if self._db is None:
            raise UsageError(f"the ledger {self.path} is closed")
        return self._db

    def disconnect(self) -> None:
        """Close the file (the context manager does it on leaving)."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.disconnect()

    def __repr__(self) -> str:
        return f"Ledger({self.path!r})"

    @property
    def schema_version(self) -> int:
        """The schema version of the file."""
        with file_problems(self.path):
            return int(self.db.execute("SELECT version FROM schema_version").fetchone()[0])

    def _log(self, event: str, ruleset: str | None, period: str | None, detail: Mapping[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO log (at, by, event, ruleset, period, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (now(), self.by, event, ruleset, period, json.dumps(detail, sort_keys=True)),
        )

    def _status(self, ruleset: str, period: str) -> str | None:
        return status(self.db, ruleset, period)

    def _active_run(self, ruleset: str, period: str) -> tuple[int, int] | None:
        return active_run(self.db, ruleset, period)

    # -- paying a period -----------------------------------------------------------
    def run(self, ruleset: Any, period: str, records: Iterable[Any], *, force: bool = False) -> LedgerRun:
        """Pay everyone in ``records`` for ``period`` with the balances the ledger holds before it,
        and keep the slips and new balances as the period's open run (replacing an earlier run
        of the same open period; a run that would lose slips of the run it would replace is refused,
        naming whose, :class:`~cmrules.ledger.LedgerRefused`, unless ``force``). See ``docs/ledger.md``."""
        evaluator = resolve(ruleset)
        version = version_of(evaluator, period)
        rid = evaluator.id
        specs = balance_specs(version)
        with write(self.db, self.path):
            self._check_runnable(rid, period)
            self.db.execute("INSERT OR IGNORE INTO rulesets VALUES (?, ?, ?)", (rid, version.sha256, now()))
            earlier = paid_before(self.db, rid, period) or (0, set())
            replaced = self._replace(rid, period)
            book = balances_before(self.db, rid, period, specs)
            paid = evaluate_period(evaluator, period, records, book)
            lost = earlier[1] - {slip.employee for _, slip in paid.slips}
            if lost and not force:
                raise slips_lost(rid, period, earlier, lost, len(paid.slips), paid.failed, paid.failures)
            run_id = self._insert_run(
                rid, period, "run", version, len(paid.slips), paid.failed, paid.failures
            )
            slips = self._apply_adjustments(rid, period, run_id, paid.slips)
            if book.pending:
                carried = sorted({e for e, _ in book.pending} & {slip.employee for _, slip in slips})
                self.db.executemany(
                    "UPDATE balance_corrections SET applied_run = ?, applied_period = ?"
                    " WHERE ruleset = ? AND employee = ? AND applied_run IS NULL AND corrects < ?",
                    [(run_id, period, rid, e, period) for e in carried],
                )
            self._store_slips(run_id, rid, period, slips)
            rows = [
                (run_id, rid, period, slip.employee, spec.name, *moved(slip, spec.name))
                for _, slip in slips
                for spec in specs
            ]
            self.db.executemany("INSERT INTO balances VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            self.db.execute("INSERT OR IGNORE INTO periods VALUES (?, ?, 'open', NULL, NULL)", (rid, period))
            joined, left, unpaid = movements(
                self.db, rid, period, [slip.employee for _, slip in slips], paid.failures
            )
            detail: dict[str, Any] = {"run": run_id, "version": version.version, "hash": version.sha256}
            detail |= {"slips": len(slips), "failed": paid.failed, "replaced": replaced}
            self._log("run", rid, period, detail | ({"forced": len(lost)} if lost else {}))
        return LedgerRun(rid, period, run_id, [s for _, s in slips], paid.failures, joined, left, unpaid)

    def _check_runnable(self, rid: str, period: str) -> None:
        if self._status(rid, period) == "closed":
            raise LedgerError(
                f"period {period} of ruleset {rid} is closed: a closed period is never recomputed"
                " (correct it with restate)"
            )
        later = self.db.execute(
            "SELECT MIN(period) FROM runs WHERE ruleset = ? AND kind = 'run' AND active = 1 AND period > ?",
            (rid, period),
        ).fetchone()[0]
        if later is not None:
            raise LedgerError(
                f"ruleset {rid} already has a run for {later}: period {period}, before it, cannot be run"
            )

    def _replace(self, rid: str, period: str) -> int | None:
        old = self._active_run(rid, period)
        if old is None:
            return None
        run = old[0]
        self.db.execute("UPDATE runs SET active = 0 WHERE id = ?", (run,))
        self.db.execute("DELETE FROM slips WHERE run = ?", (run,))
        self.db.execute("DELETE FROM balances WHERE run = ?", (run,))
        for table in ("adjustments", "balance_corrections"):
            self.db.execute(
                f"UPDATE {table} SET applied_run = NULL, applied_period = NULL WHERE applied_run = ?", (run,)
            )
        return run

    def _insert_run(
        self, rid: str, period: str, kind: str, version: Any, slips: int, failed: int, failures: list[Any]
    ) -> int:
        cursor = self.db.execute(
            "INSERT INTO runs (ruleset, period, kind, active, version, hash, by, at, slips, failed, failures,"
            " places) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rid,
                period,
                kind,
                version.version,
                version.sha256,
                self.by,
                now(),
                slips,
                failed,
                json.dumps(failures, ensure_ascii=False, sort_keys=True, default=str),
                version.doc.rounding.places,
            ),
        )
        return int(cursor.lastrowid or 0)

    def _store_slips(self, run_id: int, rid: str, period: str, slips: list[tuple[int, PaySlip]]) -> None:
        keep, compress = self.keep, self.compress
        self.db.executemany(
            "INSERT INTO slips VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    run_id,
                    number,
                    rid,
                    period,
                    slip.employee,
                    slip.ruleset["sha256"],
                    str(slip.net),
                    str(slip.carry_forward),
                    *pack(slip, keep, compress),
                )
                for number, slip in slips
            ),
        )

    def _apply_adjustments(
        self, rid: str, period: str, run_id: int, slips: list[tuple[int, PaySlip]]
    ) -> list[tuple[int, PaySlip]]:
        pending: dict[str, list[tuple[int, Adjustment]]] = {}
        rows = self.db.execute(
            "SELECT id, employee, corrects, line, label_en, label_zh, amount FROM adjustments"
            " WHERE ruleset = ? AND applied_run IS NULL AND corrects < ? ORDER BY id",
            (rid, period),
        )
        for aid, employee, corrects, line, en, zh, amount in rows:
            explanation = f"correction of {corrects} ({line}), restated after the period closed"
            adjustment = Adjustment(
                f"correction:{corrects}:{line}", {"zh": zh, "en": en}, Decimal(amount), explanation
            )
            pending.setdefault(employee, []).append((aid, adjustment))
        if not pending:
            return slips
        out = []
        for number, slip in slips:
            mine = pending.get(slip.employee)
            if mine:
                slip = slip.with_adjustments([a for _, a in mine])
                self.db.executemany(
                    "UPDATE adjustments SET applied_run = ?, applied_period = ? WHERE id = ?",
                    [(run_id, period, aid) for aid, _ in mine],
                )
            out.append((number, slip))
        return out

    # -- closing, correcting, opening balances ----------------------------------------
    def close(self, period: str, ruleset: Any = None, *, allow_failures: bool = False) -> list[str]:
        """Make ``period`` final for every ruleset run in it (``ruleset=`` narrows it to one);
        returns the ids closed. Periods of a ruleset close in order and without gaps; a run
        with failures closes only with ``allow_failures=True``."""
        check_period(period)
        with write(self.db, self.path):
            rids = closing(self.db, period, None if ruleset is None else ruleset_id(ruleset))
            for rid in rids:
                run = close_one(self.db, self.by, rid, period, allow_failures)
                self._log("close", rid, period, {"run": run})
        return rids

    def restate(self, ruleset: Any, period: str, records: Iterable[Any]) -> Restated:
        """Recompute closed ``period`` with corrected ``records`` and keep the differences, line
        by line, as adjustments the next run of a later period carries (the closed slips stay
        as they are)."""
        evaluator = resolve(ruleset)
        version = version_of(evaluator, period)
        rid = evaluator.id
        with write(self.db, self.path):
            if self._status(rid, period) != "closed":
                raise LedgerError(
                    f"period {period} of ruleset {rid} is not closed: run it again instead of restating it"
                )
            run_id = self._insert_run(rid, period, "restate", version, 0, 0, [])
            result = restate_period(self.db, evaluator, version, rid, period, records, run_id)
            self._store_slips(run_id, rid, period, result.numbered)
            self.db.execute(
                "UPDATE runs SET slips = ?, failed = ?, failures = ? WHERE id = ?",
                (
                    len(result.slips),
                    result.failed,
                    json.dumps(result.failures, sort_keys=True, default=str),
                    run_id,
                ),
            )
            self._log(
                "restate",
                rid,
                period,
                {
                    "run": run_id,
                    "slips": len(result.slips),
                    "adjustments": len(result.adjustments),
                    "balances": len(result.balances),
                },
            )
        return result

    def import_balances(
        self,
        ruleset: Any,
        period: str,
        balances: Mapping[Any, Mapping[str, Any]] | Openings,
        *,
        replace: bool = False,
    ) -> int:
        """Opening balances before ``period`` (a company that starts using the ledger mid-year):
        ``{employee: {balance name: value}}`` or a file :func:`~cmrules.ledger.read_openings` checked;
        returns how many values were written. All or nothing, read strictly (``UsageError`` naming
        every bad value); the same values again write nothing; another value for one already imported
        is refused (:class:`~cmrules.ledger.LedgerRefused`) unless ``replace``, and so is any new value
        once the ruleset has a run of ``period`` or later. See ``docs/ledger.md``."""
        openings = checked_openings(ruleset, period, balances)
        with write(self.db, self.path):
            written = store_openings(self.db, openings, replace=replace)
            if written:
                detail = {"employees": openings.employees, "values": written}
                self._log("import", openings.ruleset, period, detail)
        return written

    def openings(self, employee: str, ruleset: Any = None) -> list[dict[str, Any]]:
        """The opening balances imported for ``employee``: per ruleset and period, name -> value."""
        with file_problems(self.path):
            return _queries.openings(self.db, employee, None if ruleset is None else ruleset_id(ruleset))

    # -- questions ----------------------------------------------------------------
    def history(self, employee: str, ruleset: Any = None) -> list[dict[str, Any]]:
        """One employee's periods in order: slip, balances before and after, adjustments carried."""
        with file_problems(self.path):
            return _queries.history(self.db, employee, None if ruleset is None else ruleset_id(ruleset))

    def totals(self, period: str, ruleset: Any = None) -> list[dict[str, Any]]:
        """A period's totals per ruleset: employees paid, failed, earnings, deductions, net, carry-forward."""
        with file_problems(self.path):
            return _queries.totals(self.db, period, None if ruleset is None else ruleset_id(ruleset))

    def slips(self, period: str, ruleset: Any) -> list[dict[str, Any]]:
        """The slips of a period's current run, as JSON dicts in input order."""
        with file_problems(self.path):
            return _queries.slips(self.db, period, ruleset_id(ruleset))

    def export(
        self, period: str, ruleset: Any, path: str | Path | None, fmt: str = "json", detail: str | None = None
    ) -> str | None:
        """Write a period's slips (and the failures of its run) as ``cmrules run`` would: at
        ``detail``, else the format's default detail when the ledger kept that much, else what it
        kept (``UsageError`` when asked for more than it kept). A loaded ``ruleset`` also gives
        Parquet ``cmrules run``'s columns (an id cannot: the ledger keeps no ruleset source)."""
        declared = declared_columns(ruleset) if isinstance(ruleset, Ruleset | Version) else None
        with file_problems(self.path):
            return _queries.export(self.db, period, ruleset_id(ruleset), path, fmt, detail, declared)

    def log(self) -> list[dict[str, Any]]:
        """Who ran, closed, restated or imported what, and when (oldest first)."""
        with file_problems(self.path):
            return _queries.log(self.db)
