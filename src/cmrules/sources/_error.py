"""The error every reader raises: an input file that cannot be read, and where."""

from __future__ import annotations

from pathlib import Path

from cmrules.errors import CmrulesError


class InputFileError(CmrulesError):
    """An input file could not be read: where (path, 1-based line and column if known) and why."""

    def __init__(self, path: str | Path, line: int | None, message: str, column: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.message = message
        where = self.path
        if line is not None:
            where += f":{line}" if column is None else f":{line}:{column}"
        super().__init__(f"{where}: {message}")
