"""Readers of text documents of records: JSON (an array), JSONL (one object a line) and YAML (a list).

Numbers written with a fraction are kept as :class:`FloatLiteral` (their text), never
as ``float``: the input validator refuses them where money is expected, quoting them.
Each reader yields :class:`~cmrules.sources._record.Record`\\ s: a record that does not
parse (a malformed JSON line, a duplicate key, nesting too deep for the parser) is
yielded with its error and line, and the records after it are still read.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from cmrules._yaml import YamlError, load_data
from cmrules.errors import InputFileError
from cmrules.inputs._text import FloatLiteral
from cmrules.sources._record import Record

TOO_DEEP = "the record nests too deeply to be read"


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
    duplicate keys (``ValueError``; ``json.JSONDecodeError`` for bad syntax; ``RecursionError``
    for nesting deeper than the interpreter allows)."""
    return json.loads(
        text,
        parse_float=FloatLiteral,
        parse_constant=_reject_constant,
        object_pairs_hook=_unique_object,
    )


def _json_record(number: int, line: int | None, text: str, column: int = 1) -> Record:
    """One record's JSON text parsed, or the reason it does not parse (with its line, and the
    column on that line in the message; ``column``: where ``text`` starts on its first line)."""
    try:
        value = json_loads(text)
    except json.JSONDecodeError as exc:
        at = exc.colno + (column - 1 if exc.lineno == 1 else 0)
        where = None if line is None else line + exc.lineno - 1
        return Record.bad(number, where, f"{exc.msg} at column {at}", text)
    except ValueError as exc:
        return Record.bad(number, line, str(exc), text)
    except RecursionError:
        return Record.bad(number, line, TOO_DEEP, text)
    return Record.of(number, line, value)


def read_json(path: Path, text: str) -> Iterator[Record]:
    """The records of a JSON array of objects (``text`` read from ``path``).

    The whole array is parsed at once; when that fails, the array is split into its
    elements, so that one element that does not parse is that record's failure only.
    """
    if not text.strip():  # an empty file holds no employees, as an empty CSV or JSONL does
        return
    try:
        value = json_loads(text)
    except (ValueError, RecursionError) as exc:
        yield from _json_elements(path, text, exc)
        return
    if not isinstance(value, list):
        raise InputFileError(path, None, "expected a JSON array of employee records")
    for number, item in enumerate(value, start=1):
        yield Record.of(number, None, item)


# A JSON string, a run of other scalar characters, whitespace, or one structural character.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[^\s"\[\]{},]+|\s+|.', re.S)


class _Lines:
    """Line numbers of increasing offsets in a text, counted once."""

    def __init__(self, text: str) -> None:
        self.text, self.offset, self.line = text, 0, 1

    def at(self, offset: int) -> int:
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line


def _file_error(path: Path, exc: BaseException, lines: _Lines | None = None, at: int = 0) -> InputFileError:
    if isinstance(exc, json.JSONDecodeError):
        return InputFileError(path, exc.lineno, exc.msg, exc.colno)
    if isinstance(exc, RecursionError):
        return InputFileError(path, None, TOO_DEEP)
    return InputFileError(path, None if lines is None else lines.at(at), str(exc))


def _json_elements(path: Path, text: str, failure: BaseException) -> Iterator[Record]:
    """The elements of a JSON array parsed one by one (the array as a whole did not parse)."""
    lines = _Lines(text)
    stripped = text.lstrip()
    if not stripped.startswith("["):
        raise _file_error(path, failure)
    number, depth, start = 0, 0, -1
    for match in _TOKEN.finditer(text, len(text) - len(stripped) + 1):
        token = match.group()
        if token.isspace():
            continue
        if depth == 0 and token in (",", "]"):
            if start < 0:
                raise InputFileError(path, lines.at(match.start()), f"expected a record before {token!r}")
            number += 1
            column = start - text.rfind("\n", 0, start)
            yield _json_record(number, lines.at(start), text[start : match.start()], column)
            start = -1
            if token == "]":
                if text[match.end() :].strip():
                    raise InputFileError(path, lines.at(match.end()), "text after the end of the array")
                return
            continue
        if start < 0:
            start = match.start()
        if token in ("[", "{"):
            depth += 1
        elif token in ("]", "}"):
            depth -= 1
    raise InputFileError(path, lines.at(len(text)), "the JSON array is not closed")


def read_jsonl(path: Path, text: str | Iterable[str]) -> Iterator[Record]:
    """The records of JSON Lines (the text, or its lines as a text file with ``newline=""``
    gives them): one object a line, blank lines skipped; a line that does not parse is that
    record's failure."""
    number = 0
    lines = io.StringIO(text, newline="") if isinstance(text, str) else text
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        number += 1
        yield _json_record(number, line_number, line.rstrip("\r\n"))


def read_yaml(path: Path, text: str) -> Iterator[Record]:
    """The records of a YAML list of mappings, read by :func:`cmrules._yaml.load_data` as every
    YAML file is (an empty document holds no records).

    When the document does not load as a whole and it is a block list at the margin
    (``- `` at column 0, as written by hand or by a program), its items are loaded one by
    one, so that one bad item is that record's failure only.
    """
    try:
        value = load_data(text, str(path), fraction=FloatLiteral, what="an input file")
    except (YamlError, RecursionError) as exc:
        yield from _yaml_items(path, text, exc)
        return
    if value is None:
        return
    if not isinstance(value, list):
        raise InputFileError(path, None, "expected a YAML list of employee records")
    for number, item in enumerate(value, start=1):
        yield Record.of(number, None, item)


def _yaml_file_error(path: Path, exc: BaseException) -> InputFileError:
    if isinstance(exc, YamlError):
        first = exc.issues[0]
        return InputFileError(path, first.line, first.message, first.column)
    return InputFileError(path, None, TOO_DEEP)


_ITEM = re.compile(r"^-(?=[ \t\r\n]|$)", re.M)
_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.M)


def _yaml_chunks(path: Path, text: str, failure: BaseException) -> Iterator[tuple[int, str]]:
    """The 0-based first line and the text of each item of a block list at the margin
    (``- `` at column 0); any other document is refused as a whole."""
    first = _ITEM.search(text)
    head = text[: first.start()] if first else text
    if (
        first is None
        or _MARKER.search(text)
        or any(line.strip() and not line.lstrip().startswith("#") for line in head.splitlines())
    ):
        raise _yaml_file_error(path, failure)
    starts = [match.start() for match in _ITEM.finditer(text)]
    lines = _Lines(text)
    for start, end in zip(starts, [*starts[1:], len(text)], strict=True):
        yield lines.at(start) - 1, text[start:end]


_YAML_EMPLOYEE = re.compile(r"^[- ] *employee: *(?:\"([^\"\\\n]+)\"|'([^'\n]+)'|([^\s#'\"]+))", re.M)


def _yaml_employee(chunk: str) -> str | None:
    """The employee id written plainly in the text of a list item that does not load, if any."""
    match = _YAML_EMPLOYEE.search(chunk[:100_000])
    return next((group for group in match.groups() if group), None) if match else None


def _yaml_items(path: Path, text: str, failure: BaseException) -> Iterator[Record]:
    for number, (offset, chunk) in enumerate(_yaml_chunks(path, text, failure), start=1):
        line = offset + 1
        try:
            value = load_data(chunk, str(path), fraction=FloatLiteral, what="an input file")
        except YamlError as exc:
            issue = exc.issues[0]
            where = offset + issue.line
            yield Record(number, None, where, issue.message, _yaml_employee(chunk), issue.column)
            continue
        except RecursionError:
            yield Record(number, None, line, TOO_DEEP, _yaml_employee(chunk))
            continue
        yield Record.of(number, line, value[0] if isinstance(value, list) and len(value) == 1 else value)
