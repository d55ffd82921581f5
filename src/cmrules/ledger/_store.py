"""The ledger's SQLite file: its schema as ordered migrations, the connection, one writer at a time.

The schema is versioned: ``schema_version`` holds the number of migrations applied, and
opening a file applies the missing ones in order, each in its own transaction. Amounts
are stored as decimal text, slips as their JSON form at the level of detail the ledger keeps
(zlib-compressed or not): never pickles.
Every write is one ``BEGIN IMMEDIATE`` transaction, so a second process that tries to
write while one does waits a short while and then gets :class:`LedgerBusy`. A file that is
damaged, not a ledger, or of a newer schema is a :class:`LedgerFileError` naming it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from cmrules.errors import UsageError
from cmrules.ledger._errors import LedgerBusy, LedgerFileError, file_problems

__all__ = ["BUSY_TIMEOUT", "MIGRATIONS", "SCHEMA_VERSION", "LedgerBusy", "connect", "write"]

#: The schema, one list of statements per version, applied in order and never edited once
#: shipped (a change is a new step at the end).
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE rulesets (
            id TEXT PRIMARY KEY, first_hash TEXT NOT NULL, added_at TEXT NOT NULL)""",
        """CREATE TABLE periods (
            ruleset TEXT NOT NULL REFERENCES rulesets(id), period TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
            closed_at TEXT, closed_by TEXT, PRIMARY KEY (ruleset, period))""",
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY, ruleset TEXT NOT NULL, period TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('run', 'restate')),
            active INTEGER NOT NULL, version TEXT NOT NULL, hash TEXT NOT NULL,
            by TEXT NOT NULL, at TEXT NOT NULL, slips INTEGER NOT NULL,
            failed INTEGER NOT NULL, failures TEXT NOT NULL)""",
        "CREATE INDEX runs_period ON runs (ruleset, period, kind, active)",
        """CREATE TABLE slips (
            run INTEGER NOT NULL REFERENCES runs(id), position INTEGER NOT NULL,
            ruleset TEXT NOT NULL, period TEXT NOT NULL, employee TEXT NOT NULL,
            hash TEXT NOT NULL, net TEXT NOT NULL, carry_forward TEXT NOT NULL,
            json TEXT NOT NULL, PRIMARY KEY (run, employee))""",
        "CREATE INDEX slips_employee ON slips (employee, ruleset, period)",
        """CREATE TABLE balances (
            run INTEGER NOT NULL REFERENCES runs(id), ruleset TEXT NOT NULL,
            period TEXT NOT NULL, employee TEXT NOT NULL, name TEXT NOT NULL,
            before TEXT NOT NULL, after TEXT NOT NULL, PRIMARY KEY (run, employee, name))""",
        "CREATE INDEX balances_employee ON balances (ruleset, employee, period)",
        """CREATE TABLE openings (
            ruleset TEXT NOT NULL, period TEXT NOT NULL, employee TEXT NOT NULL,
            name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (ruleset, employee, period, name))""",
        """CREATE TABLE adjustments (
            id INTEGER PRIMARY KEY, ruleset TEXT NOT NULL, employee TEXT NOT NULL,
            corrects TEXT NOT NULL, line TEXT NOT NULL, label_en TEXT NOT NULL,
            label_zh TEXT NOT NULL, amount TEXT NOT NULL,
            restate_run INTEGER NOT NULL REFERENCES runs(id),
            applied_run INTEGER REFERENCES runs(id), applied_period TEXT)""",
        "CREATE INDEX adjustments_pending ON adjustments (ruleset, employee, applied_run)",
        """CREATE TABLE log (
            id INTEGER PRIMARY KEY, at TEXT NOT NULL, by TEXT NOT NULL, event TEXT NOT NULL,
            ruleset TEXT, period TEXT, detail TEXT NOT NULL)""",
    ),
    (
        # 2: slips kept at a level of detail (``Ledger(keep=)``), their JSON as a BLOB, zlib-compressed
        # or not (``packing``); rows of version 1 are the full JSON text (``trace``, ``json``)
        "ALTER TABLE slips ADD COLUMN detail TEXT NOT NULL DEFAULT 'trace'",
        "ALTER TABLE slips ADD COLUMN packing TEXT NOT NULL DEFAULT 'json'",
        # the change a restatement made to a declared balance after the month it corrects, carried
        # once into the next run of a later period (like the adjustment lines)
        """CREATE TABLE balance_corrections (
            id INTEGER PRIMARY KEY, ruleset TEXT NOT NULL, employee TEXT NOT NULL,
            corrects TEXT NOT NULL, name TEXT NOT NULL, was TEXT NOT NULL, now TEXT NOT NULL,
            change TEXT NOT NULL, restate_run INTEGER NOT NULL REFERENCES runs(id),
            applied_run INTEGER REFERENCES runs(id), applied_period TEXT)""",
        "CREATE INDEX balance_corrections_pending ON balance_corrections (ruleset, applied_run)",
    ),
    (
        # 3: the places of the money of the version that made a run, so that a run without slips
        # (every record failed) totals at them (NULL for runs of earlier schemas)
        "ALTER TABLE runs ADD COLUMN places INTEGER",
    ),
)

#: The schema version this code writes.
SCHEMA_VERSION = len(MIGRATIONS)

#: How long a writer waits for another process's transaction before giving up (seconds).
BUSY_TIMEOUT = 2.0


def connect(path: str | Path, *, timeout: float | None = None) -> sqlite3.Connection:
    """Open (or create) the ledger at ``path`` (``":memory:"`` for one in memory), migrated to
    :data:`SCHEMA_VERSION`; a writer waits ``timeout`` seconds (:data:`BUSY_TIMEOUT`) for another.
    :class:`LedgerFileError` when the file is not a ledger this cmrules can open."""
    name = str(path)
    if name != ":memory:" and not Path(name).parent.is_dir():
        raise UsageError(f"cannot create the ledger {name}: its folder does not exist")
    wait = BUSY_TIMEOUT if timeout is None else timeout
    db = sqlite3.connect(name, timeout=wait, isolation_level=None, check_same_thread=False)
    try:
        with file_problems(name):
            try:
                if name != ":memory:":
                    db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA foreign_keys=ON")
                db.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise _busy(name) from None
                raise
            _migrate(db, name)
    except BaseException:
        db.close()
        raise
    return db


def _busy(name: str) -> LedgerBusy:
    return LedgerBusy(
        f"{name} is busy: another process is writing to it (run, close, restate or import);"
        " retry when it has finished"
    )


def _version(db: sqlite3.Connection) -> int | None:
    try:
        row = db.execute("SELECT version FROM schema_version").fetchone()
    except sqlite3.OperationalError:  # no such table: a new file
        return None
    return None if row is None else int(row[0])


def _newer(name: str, version: int) -> LedgerFileError:
    return LedgerFileError(
        name,
        f"the ledger has schema version {version}, newer than this cmrules knows (up to"
        f" {SCHEMA_VERSION}): upgrade cmrules to open it",
    )


def _migrate(db: sqlite3.Connection, name: str) -> None:
    found = _version(db)
    if found == SCHEMA_VERSION:  # the common case: no write, no lock
        return
    if found is not None and found > SCHEMA_VERSION:
        raise _newer(name, found)
    if found is None:
        query = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        tables = [t for (t,) in db.execute(query)]
        if tables and "schema_version" not in tables:  # another program's database: never add to it
            raise LedgerFileError(
                name,
                "an SQLite database but not a cmrules ledger (it has no schema_version table; its"
                f" tables: {', '.join(tables[:10])}{', …' if len(tables) > 10 else ''})",
            )
    with write(db, name):
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = db.execute("SELECT version FROM schema_version").fetchone()
        current = 0 if row is None else int(row[0])
        if row is None:
            db.execute("INSERT INTO schema_version VALUES (0)")
        if current > SCHEMA_VERSION:  # written by a newer cmrules since the check above
            raise _newer(name, current)
        for version in range(current, SCHEMA_VERSION):
            for statement in MIGRATIONS[version]:
                db.execute(statement)
        db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))


@contextmanager
def write(db: sqlite3.Connection, name: str = "the ledger") -> Iterator[sqlite3.Connection]:
    """One write transaction (``BEGIN IMMEDIATE``): committed when the block ends, rolled back
    entirely when it raises; :class:`LedgerBusy` when another process holds the lock,
    :class:`LedgerFileError` when SQLite finds the file damaged."""
    with file_problems(name):
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise _busy(name) from None
            raise
        try:
            yield db
        except BaseException:
            with suppress(sqlite3.Error):  # a damaged file may refuse even the rollback
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
