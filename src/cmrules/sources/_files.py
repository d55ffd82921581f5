"""Opening a file of employee-period records: the format from the name, the text, the right reader."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from cmrules.errors import InputFileError
from cmrules.sources._record import Record, RecordSource
from cmrules.sources._tabular import read_csv, read_parquet
from cmrules.sources._text import read_json, read_jsonl, read_yaml

#: Input formats by name; file suffixes map onto these.
INPUT_FORMATS: tuple[str, ...] = ("json", "jsonl", "yaml", "csv", "parquet", "xlsx")

#: Text encodings an input file may be read in (``None``: UTF-8, and GB18030 for a CSV that is
#: not UTF-8). A byte order mark is skipped in each.
ENCODINGS: tuple[str, ...] = ("utf-8", "utf-8-sig", "gb18030")

_SUFFIXES = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
}
_FORMAT_ALIASES = {"yml": "yaml", "ndjson": "jsonl"}
#: Byte order marks of the encodings Excel's "Unicode Text" and other tools save (UTF-32 first:
#: its little-endian mark begins with UTF-16's). Such a file is named, never read as GB18030.
_WIDE_BOMS = (
    ("UTF-32", b"\xff\xfe\x00\x00"),
    ("UTF-32", b"\x00\x00\xfe\xff"),
    ("UTF-16", b"\xff\xfe"),
    ("UTF-16", b"\xfe\xff"),
)
_SAVE_AS_UTF8 = (
    'what Excel saves as "Unicode Text"; save it as UTF-8 (for a CSV, Excel\'s "CSV UTF-8 (comma delimited)")'
)
_TEXT_READERS = {"json": read_json, "jsonl": read_jsonl, "yaml": read_yaml}


def open_records(
    path: str | Path, format: str | None = None, *, encoding: str | None = None, places: int | None = None
) -> RecordSource:
    """Open a file of employee-period records: its columns now, its records lazily.

    ``format`` is one of :data:`INPUT_FORMATS` (``yml``/``ndjson`` accepted as aliases);
    without it the file suffix decides. ``encoding`` is one of :data:`ENCODINGS`; without
    it text is UTF-8 (with or without a byte order mark), and a CSV file that is not
    UTF-8 is read as GB18030 (what Excel saves on a Chinese Windows) with a note in
    ``notes``. What touches the whole file raises :class:`InputFileError` (here, or while
    iterating for a document whose structure breaks); a record that cannot be read is
    yielded with its error. ``places`` (the ruleset's money places) lets a Parquet float that is
    exact at them be read as its number, as :mod:`cmrules.frames` reads one; without it every
    Parquet float is a :class:`~cmrules.inputs._text.FloatLiteral` (``input.float``).
    """
    path = Path(path)
    fmt = _resolve_format(path, format)
    if encoding is not None and encoding.lower() not in ENCODINGS:
        raise InputFileError(path, None, f"unknown encoding {encoding!r} (known: {', '.join(ENCODINGS)})")
    if fmt == "parquet":
        columns, records = read_parquet(path, places)
        return RecordSource(path, fmt, records, columns)
    if fmt == "xlsx":
        from cmrules.sources._xlsx import read_xlsx

        header, rows = read_xlsx(path)
        return RecordSource(path, fmt, rows, header)
    notes: list[str] = []
    if fmt == "jsonl":  # read line by line: memory does not grow with the file
        return RecordSource(path, fmt, read_jsonl(path, _text_lines(path, encoding)), None, notes)
    text = _read_text(path, encoding, fallback=fmt == "csv", notes=notes)
    if fmt == "csv":
        header, rows = read_csv(path, text)
        return RecordSource(path, fmt, rows, header, notes)
    return RecordSource(path, fmt, _TEXT_READERS[fmt](path, text), None, notes)


def read_inputs(
    path: str | Path, format: str | None = None, *, encoding: str | None = None, places: int | None = None
) -> list[dict[str, Any]]:
    """Read a file of employee-period records into a list of dicts, all or nothing.

    The first record that cannot be read raises :class:`InputFileError` naming its line
    (``cmrules run`` uses :func:`open_records` instead, which reports it and goes on).
    See :func:`open_records` for ``format``, ``encoding`` and ``places``.
    """
    source = open_records(path, format, encoding=encoding, places=places)
    return [_strict(record, Path(path)) for record in source]


def _strict(record: Record, path: Path) -> dict[str, Any]:
    if record.error is not None:
        raise InputFileError(path, record.line, record.error, record.column)
    data: dict[str, Any] = record.data
    return data


def iter_strict(source: RecordSource) -> Iterator[dict[str, Any]]:
    """The records of ``source``, raising :class:`InputFileError` at the first unreadable one."""
    for record in source:
        yield _strict(record, source.path)


def _resolve_format(path: Path, format: str | None) -> str:
    if format is not None:
        fmt = _FORMAT_ALIASES.get(format.lower(), format.lower())
        if fmt not in INPUT_FORMATS:
            known = ", ".join(INPUT_FORMATS)
            raise InputFileError(path, None, f"unknown input format {format!r} (known: {known})")
        return fmt
    by_suffix = _SUFFIXES.get(path.suffix.lower())
    if by_suffix is None:
        suffix = f"the suffix {path.suffix!r}" if path.suffix else "a name without a suffix"
        raise InputFileError(
            path,
            None,
            f"cannot tell the format from {suffix}: give --input-format {'|'.join(INPUT_FORMATS)}"
            f" (format= in Python), or name the file .{', .'.join(sorted(s[1:] for s in _SUFFIXES))}",
        )
    return by_suffix


def _open_binary(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise InputFileError(path, None, "no such file") from None
    except IsADirectoryError:
        raise InputFileError(path, None, "a folder, not a file") from None
    except OSError as exc:
        raise InputFileError(path, None, exc.strerror or str(exc)) from None


def _text_lines(path: Path, encoding: str | None) -> Iterator[str]:
    """The lines of a text file, decoded as :func:`_read_text` decodes it, read lazily (a
    byte that does not decode raises the same :class:`InputFileError`, when it is reached)."""
    handle = _open_binary(path)
    codec = "utf-8-sig" if encoding is None or encoding.lower().startswith("utf") else "gb18030"

    def lines() -> Iterator[str]:
        with io.TextIOWrapper(handle, encoding=codec, newline="") as text:
            try:
                first = True
                for line in text:
                    yield line.removeprefix("\ufeff") if first else line
                    first = False
            except UnicodeDecodeError:
                pass
            else:
                return
        _read_text(path, encoding, fallback=False, notes=[])  # raises, naming the line and byte
        raise AssertionError(path)  # pragma: no cover - the text did not decode

    return lines()


def _read_text(path: Path, encoding: str | None, *, fallback: bool, notes: list[str]) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(path, None, "no such file") from None
    except IsADirectoryError:
        raise InputFileError(path, None, "a folder, not a file") from None
    except OSError as exc:
        raise InputFileError(path, None, exc.strerror or str(exc)) from None
    codec = "utf-8-sig" if encoding is None or encoding.lower().startswith("utf") else "gb18030"
    try:
        return data.decode(codec).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if encoding is None and fallback:
        try:
            text = data.decode("gb18030").removeprefix("\ufeff")
        except UnicodeDecodeError:
            pass
        else:
            notes.append(f"{path} is not UTF-8: read as GB18030 (give --encoding to say which)")
            return text
    wide = next((name for name, bom in _WIDE_BOMS if data.startswith(bom)), None)
    if wide is not None:
        raise InputFileError(path, None, f"{wide} text: {_SAVE_AS_UTF8}")
    line = data[: utf8_error.start].count(b"\n") + 1
    name = "UTF-8" if codec == "utf-8-sig" else "GB18030"
    also = " nor GB18030" if encoding is None and fallback else ""
    raise InputFileError(path, line, f"not {name}{also} text (byte {utf8_error.start})")
