"""Opening balances read from a file: one row (or record) per employee, a column per balance.

The file is read by :mod:`cmrules.sources` (CSV, JSON, JSON Lines, YAML, XLSX, Parquet; the same
encodings and located errors as ``cmrules run``). Its columns are ``employee`` (or ``员工``,
``工号``), the balances' names (or their labels, ``zh`` or ``en``, or the headers of a column
mapping) and, optionally, ``period``, which must then be the period imported. An empty cell is
a balance not given (it starts at its initial value). Every bad row is reported, naming its row,
line, employee, field and value, and nothing is imported when one is bad.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from cmrules.errors import InputFileError
from cmrules.ledger._openings import Opening, OpeningProblem, Openings, check_openings
from cmrules.ledger._prepare import resolve, version_of
from cmrules.ruleset._ruleset import versions_of
from cmrules.sources import open_records
from cmrules.sources._headers import BUILT_IN_HEADERS, read_mapping, renamed_columns
from cmrules.sources._record import Record

__all__ = ["OpeningsFileError", "read_openings"]


class OpeningsFileError(InputFileError):
    """Opening balances of a file that cannot all be imported: ``problems`` names each bad row
    (row, line, employee, field, value, why); nothing was imported."""

    def __init__(self, path: str | Path, problems: list[OpeningProblem]) -> None:
        self.problems = problems
        count = len(problems)
        rows = len({(p.record, p.employee) for p in problems})
        text = f"{count} problem(s) in {rows} row(s), nothing imported:\n" + "\n".join(
            f"  {p}" for p in problems
        )
        super().__init__(path, None, text)

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.path, self.problems), self.__dict__


def balance_headers(evaluator: Any, columns: Mapping[str, str] | str | Path | None) -> dict[str, str]:
    """Header -> field: ``员工``/``工号``, each balance's labels, then the mapping ``columns``."""
    names = dict(BUILT_IN_HEADERS)
    for version in versions_of(evaluator):
        for name, balance in version.doc.balances.items():
            if balance.label is not None:
                names.update({balance.label.zh: name, balance.label.en: name})
    names.update(read_mapping(columns) if columns is not None else {})
    return names


def _unknown(columns: tuple[str, ...], known: set[str], rid: str) -> str | None:
    """Why a column is neither ``employee``, ``period`` nor a balance of the ruleset, if one is."""
    for column in columns:
        if column not in known:
            near = difflib.get_close_matches(column, sorted(known), n=1, cutoff=0.6)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            balances = ", ".join(sorted(known - {"employee", "period"}))
            return f"column {column!r} is not a balance of ruleset {rid} (its balances: {balances}){hint}"
    return None


def read_openings(
    ruleset: Any,
    period: str,
    path: str | Path,
    *,
    input_format: str | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | str | Path | None = None,
) -> Openings:
    """The opening balances before ``period`` in the file at ``path``, checked against the
    ruleset; :class:`OpeningsFileError` naming every bad row, :class:`InputFileError` for a file
    that cannot be read (or has a column that is no balance, or no employee at all)."""
    evaluator = resolve(ruleset)
    version = version_of(evaluator, period)
    known = {*(spec.name for spec in version.balances), "employee", "period"}
    places = version.doc.rounding.places  # a Parquet float exact at them is its number
    source = open_records(path, input_format, encoding=encoding, places=places)
    names = balance_headers(evaluator, columns)
    if source.columns is not None:
        renamed = renamed_columns(source.path, source.columns, names)
        problem = _unknown(renamed, known, evaluator.id)
        if problem is not None:
            raise InputFileError(source.path, 1, problem)
        if "employee" not in renamed:
            raise InputFileError(source.path, 1, "no employee column (employee, 员工 or 工号)")
    problems: list[OpeningProblem] = []
    given = list(_openings(source, names, period, problems))
    if not given and not problems:
        raise InputFileError(source.path, None, f"no employees in {source.path}")
    checked = check_openings(evaluator, period, given)
    checked.problems[:0] = problems
    if checked.problems:
        checked.problems.sort(key=lambda p: p.record or 0)
        raise OpeningsFileError(source.path, checked.problems)
    checked.notes[:] = source.notes
    return checked


def _openings(
    records: Iterator[Record] | Any, names: Mapping[str, str], period: str, problems: list[OpeningProblem]
) -> Iterator[Opening]:
    """Each readable record as an :class:`Opening`; what is wrong with the others in ``problems``."""
    for record in records:
        at = {"record": record.number, "line": record.line}
        if record.error is not None or not isinstance(record.data, dict):
            problems.append(
                OpeningProblem(record.employee, "record", None, record.error or "not a record", **at)
            )
            continue
        data = {names.get(key, key): value for key, value in record.data.items()}
        employee = data.pop("employee", None)
        given = data.pop("period", None)
        if given is not None and given != period:
            message = f"the file is imported before {period}: this row is for another period"
            problems.append(OpeningProblem(str(employee), "period", given, message, **at))
            continue
        if employee is None:
            problems.append(OpeningProblem(None, "employee", None, "no employee id", **at))
            continue
        yield Opening(employee, data, record.number, record.line)
