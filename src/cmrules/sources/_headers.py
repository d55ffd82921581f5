"""Column headers as HR writes them: a ruleset's own labels (``员工``, ``定台记录`` …) or a mapping file.

:func:`header_map` gives, for a loaded ruleset, the field each header names: an input
field's ``label`` (``zh`` or ``en``) names that field, ``员工``/``工号`` name ``employee`` and
``期间``/``月份`` name ``period``, and a mapping (a dict, or a YAML or JSON file of
``header: field``) adds to these or overrides them. :func:`rename_source` renames the
columns of an opened file with it, so that HR's export is paid without renaming columns.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from cmrules.errors import InputFileError, UsageError
from cmrules.inputs._keys import with_keys
from cmrules.inputs._text import FloatLiteral
from cmrules.ruleset._ruleset import versions_of
from cmrules.sources._record import Record, RecordSource

#: Headers every ruleset understands, besides its fields' labels.
BUILT_IN_HEADERS: dict[str, str] = {
    "员工": "employee",
    "工号": "employee",
    "期间": "period",
    "月份": "period",
}


def read_mapping(columns: Mapping[str, str] | str | Path) -> dict[str, str]:
    """A header mapping given as a dict, or read from a YAML or JSON file of ``header: field``."""
    if isinstance(columns, Mapping):
        return {str(k): str(v) for k, v in columns.items()}
    from cmrules._yaml import YamlError, load_data

    path = Path(columns)
    try:
        data = load_data(path.read_text(encoding="utf-8-sig"), str(path), what="a column mapping")
    except OSError as exc:
        raise UsageError(f"cannot read the column mapping {path}: {exc.strerror or exc}") from None
    except YamlError as exc:
        raise UsageError(str(exc)) from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise UsageError(f"{path}: a column mapping is a mapping of header: field name")
    return {str(k): v for k, v in data.items()}


class HeaderMap(dict[str, str]):
    """Header → field (a dict), knowing the ruleset's fields and the mapping it was given, so that a
    header mapped to a field the ruleset does not declare is named as it stands in the file."""

    def __init__(
        self,
        names: Mapping[str, str],
        ruleset: str,
        fields: Iterable[str],
        mapping: str,
        mapped: Iterable[str],
    ) -> None:
        super().__init__(names)
        self.ruleset = ruleset  # the ruleset's id
        self.fields = frozenset(fields)  # the input fields it declares (of any version)
        self.mapping = mapping  # the mapping, as a message names it
        self.mapped = frozenset(mapped)  # the headers the mapping names

    def unknown(self, column: str, field: str) -> str | None:
        """Why ``column``, renamed ``field``, is no input of the ruleset; ``None`` when it is one."""
        if field == column or field in self.fields:
            return None
        by = self.mapping if column in self.mapped else "the built-in headers"
        near = difflib.get_close_matches(field, sorted(self.fields), n=1, cutoff=0.6)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        return (
            f"column {column!r} is named {field!r} by {by}, but ruleset {self.ruleset} has no input "
            f"{field!r}{hint}; nobody was paid"
        )


def header_map(evaluator: Any, columns: Mapping[str, str] | str | Path | None = None) -> HeaderMap:
    """Header → field for a :class:`~cmrules.Ruleset` or :class:`~cmrules.Version`, plus ``columns``."""
    versions = versions_of(evaluator)
    names: dict[str, str] = dict(BUILT_IN_HEADERS)
    for version in versions:
        for field, spec in version.doc.inputs.items():
            if spec.label is not None:
                names.update({spec.label.zh: field, spec.label.en: field})
    mapping = read_mapping(columns) if columns is not None else {}
    names.update(mapping)
    fields = [name for version in versions for name in version.validator.fields]
    where = "the column mapping" + ("" if isinstance(columns, Mapping) else f" {columns}")
    return HeaderMap(names, str(evaluator.id), fields, where, mapping)


def renamed_columns(path: str | Path, columns: Sequence[str], names: Mapping[str, str]) -> tuple[str, ...]:
    """``columns`` renamed by ``names``; two that name one field (``工号`` beside ``employee``)
    raise :class:`~cmrules.errors.InputFileError`: one of them would be dropped unseen, and so
    does a column that a :class:`HeaderMap` names as a field the ruleset does not declare (naming
    the column as it stands in the file, and the mapping)."""
    renamed = tuple(names.get(column, column) for column in columns)
    first: dict[str, str] = {}
    for column, field in zip(columns, renamed, strict=True):
        unknown = names.unknown(column, field) if isinstance(names, HeaderMap) else None
        if unknown is not None:
            raise InputFileError(path, 1, unknown)
        if field in first and first[field] != column:
            message = f"columns {first[field]!r} and {column!r} both name field {field!r}: keep one"
            raise InputFileError(path, 1, message)
        first.setdefault(field, column)
    return renamed


def rename_source(source: RecordSource, names: Mapping[str, str]) -> RecordSource:
    """``source`` with each column named in ``names`` renamed to its field (others unchanged)."""
    if source.columns is None:
        return source
    renamed = renamed_columns(source.path, source.columns, names)
    if renamed == source.columns:
        return source
    changes = {old: new for old, new in zip(source.columns, renamed, strict=True) if old != new}
    return RecordSource(source.path, source.format, _renamed(source, changes), renamed, source.notes)


def _renamed(records: Iterator[Record] | RecordSource, changes: Mapping[str, str]) -> Iterator[Record]:
    for record in records:
        if record.data is None:
            yield record
            continue
        data = with_keys({changes.get(key, key): value for key, value in record.data.items()})
        fractions = frozenset(changes.get(key, key) for key in record.fractions)
        if "employee" in fractions and isinstance(data.get("employee"), str):
            data["employee"] = FloatLiteral(data["employee"])  # a number cell with a fraction: refused
        yield Record(
            record.number, data, record.line, record.error, record.employee, record.column, fractions
        )
