"""One record of an input file as a reader yields it: its fields, or why it could not be read.

A reader never lets one bad record cost the others: a line of JSON Lines that does
not parse, a CSV row with an extra cell or a broken JSON cell, a record nested too
deeply, becomes a :class:`Record` carrying its ``error`` (and its line), and the
reader goes on with the next one.  Only what touches the whole file (it cannot be
opened or decoded, its header is broken, its structure cannot be split into
records) raises :class:`~cmrules.errors.InputFileError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from cmrules.inputs._keys import employee_id, with_keys
from cmrules.inputs._text import FloatLiteral


@dataclass(frozen=True, slots=True)
class Record:
    """One record of an input file: ``data`` (its fields), or ``error`` when it could not be read."""

    number: int  # 1-based position in the file
    data: Any
    line: int | None = None  # the file line it starts on, when the format has lines
    error: str | None = None  # why it could not be read (``data`` is then None)
    employee: str | None = None  # its employee id, when readable despite the error
    column: int | None = None  # the column of the error on its line, when known
    #: the fields whose cell was a number with a fraction (Excel), so that an id among them is refused
    fractions: frozenset[str] = frozenset()

    @classmethod
    def bad(cls, number: int, line: int | None, error: str, text: str = "") -> Record:
        """A record that could not be read, with its employee id when ``text`` shows it."""
        return cls(number, None, line, error, employee_in(text))

    @classmethod
    def of(cls, number: int, line: int | None, value: Any) -> Record:
        """A parsed value: a record when it is an object (its keys read by
        :func:`~cmrules.inputs._keys.with_keys`), else a record that could not be read."""
        if isinstance(value, dict):
            return cls(number, with_keys(value), line)
        return cls(number, None, line, f"record {number} is {_kind(value)}, not an object")


@dataclass
class RecordSource:
    """An opened input file: its format, its columns (CSV, Parquet), notes about how it was
    read, and its records, read lazily in file order when iterated."""

    path: Path
    format: str
    records: Iterator[Record]
    columns: tuple[str, ...] | None = None
    notes: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[Record]:
        return self.records


_EMPLOYEE = re.compile(r'"employee"\s*:\s*("(?:[^"\\\n]|\\.)*"|-?(?:0|[1-9][0-9]*)(?![0-9.eE]))')


def employee_in(text: str) -> str | None:
    """The employee id written in the JSON text of a record that does not parse, if any (text, or a
    whole number as its text)."""
    match = _EMPLOYEE.search(text[:100_000])
    if match is None:
        return None
    try:
        value = json.loads(match.group(1))
    except ValueError:
        return None
    return employee_id(value)


def _kind(value: Any) -> str:
    """What a parsed value that is not a record is, in the words of JSON and YAML."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, str) and not isinstance(value, FloatLiteral):
        return "text"
    if isinstance(value, (int, float, Decimal, FloatLiteral)):
        return "a number"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a {type(value).__name__}"
