"""What the ledger says when it does not do what was asked (and changes nothing).

::

    CmrulesError
    └── LedgerError          the ledger refused or could not do what was asked; nothing changed
        ├── LedgerBusy       another process is writing to the file: a passing state, retry
        ├── LedgerFileError  the file is damaged, not a ledger, or of a newer schema
        └── LedgerRefused    a re-run that would lose paid slips, a close with failed records

A :class:`LedgerRefused` is let through by a word: ``str(error)`` names it as the Python
keyword (``force=True``), :meth:`LedgerRefused.on_command_line` as the option
(``--force``). The command line chooses its exit code from the class: 75 for busy
(``EX_TEMPFAIL``), 1 for the others.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cmrules.errors import CmrulesError

__all__ = ["LedgerBusy", "LedgerError", "LedgerFileError", "LedgerRefused", "file_problems"]


class LedgerError(CmrulesError):
    """The ledger refused or could not do what was asked; the file is as it was."""


class LedgerBusy(LedgerError):
    """Another process is writing to the ledger (it holds the write lock): retry when it is done."""


class LedgerFileError(LedgerError):
    """The ledger file cannot be used: damaged, not a cmrules ledger, or written by a newer
    cmrules (``problem`` says which, with the schema versions); ``path`` names the file."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.path, self.problem), self.__dict__


class LedgerRefused(LedgerError):
    """A run or close the ledger refuses unless told to go ahead.

    ``template`` is the text with ``{override}`` where the word that lets it through goes:
    ``keyword`` in ``str(error)`` (the Python API's), ``flag`` in :meth:`on_command_line`.
    ``failures`` are the failure dicts of the run refused (empty for a close).
    """

    def __init__(
        self, template: str, keyword: str, flag: str, failures: list[dict[str, Any]] | None = None
    ) -> None:
        self.template = template
        self.keyword = keyword
        self.flag = flag
        self.failures = list(failures or [])
        super().__init__(template.replace("{override}", keyword))

    def on_command_line(self) -> str:
        """The text with the command line's option instead of the Python keyword."""
        return self.template.replace("{override}", self.flag)

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.template, self.keyword, self.flag, self.failures), self.__dict__


def _damage(exc: sqlite3.DatabaseError) -> str | None:
    """What SQLite's error says is wrong with the file, or None when it is not about the file."""
    if type(exc) is sqlite3.DatabaseError:  # "file is not a database", "database disk image is malformed"
        return f"the ledger file is damaged or not an SQLite database ({exc}): restore it from a backup"
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError) and ("no such table" in text or "no such column" in text):
        return f"the ledger file lacks part of the ledger's schema ({exc}): restore it from a backup"
    return None


@contextmanager
def file_problems(path: str) -> Iterator[None]:
    """Turn SQLite's word that the file itself is wrong into a :class:`LedgerFileError` naming it."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        problem = _damage(exc)
        if problem is None:
            raise
        raise LedgerFileError(path, problem) from exc
