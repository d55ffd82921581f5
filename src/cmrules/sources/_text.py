"""Readers of text documents of records: JSON (an array), JSONL (one object a line) and YAML (a list).

Numbers written with a fraction are kept as :class:`FloatLiteral` (their text), never
as ``float``: the input validator refuses them where money is expected, quoting them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cmrules._yaml import YamlError, load_data
from cmrules.errors import InputFileError
from cmrules.inputs._validator import FloatLiteral


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def json_loads(text: str) -> Any:
    """The JSON value of ``text``: fractions as :class:`FloatLiteral`, no NaN or Infinity, no
    duplicate keys (``ValueError``; ``json.JSONDecodeError`` for bad syntax)."""
    return json.loads(
        text,
        parse_float=FloatLiteral,
        parse_constant=_reject_constant,
        object_pairs_hook=_unique_object,
    )


def _records(path: Path, value: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise InputFileError(path, None, f"expected {what} of employee records")
    for index, record in enumerate(value):
        if not isinstance(record, dict):
            raise InputFileError(path, None, f"record {index} is a {type(record).__name__}, not an object")
    return value


def read_json(path: Path, text: str) -> list[dict[str, Any]]:
    """The records of a JSON array of objects (``text`` read from ``path``)."""
    try:
        value = json_loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(path, exc.lineno, exc.msg) from None
    except ValueError as exc:
        raise InputFileError(path, None, str(exc)) from None
    return _records(path, value, "a JSON array")


def read_jsonl(path: Path, text: str) -> list[dict[str, Any]]:
    """The records of JSON Lines: one object a line, blank lines skipped."""
    records: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json_loads(line)
        except json.JSONDecodeError as exc:
            raise InputFileError(path, number, exc.msg) from None
        except ValueError as exc:
            raise InputFileError(path, number, str(exc)) from None
        if not isinstance(value, dict):
            raise InputFileError(path, number, f"a {type(value).__name__}, not an object")
        records.append(value)
    return records


def read_yaml(path: Path, text: str) -> list[dict[str, Any]]:
    """The records of a YAML list of mappings, read by :func:`cmrules._yaml.load_data` as every
    YAML file is (an empty document holds no records)."""
    try:
        value = load_data(text, str(path), fraction=FloatLiteral, what="an input file")
    except YamlError as exc:
        first = exc.issues[0]
        raise InputFileError(path, first.line, first.message, first.column) from None
    if value is None:
        return []
    return _records(path, value, "a YAML list")
