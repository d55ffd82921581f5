"""Reading a file of employee-period records: the format from the name, the text, the right reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cmrules.errors import InputFileError
from cmrules.sources._tabular import read_csv, read_parquet
from cmrules.sources._text import read_json, read_jsonl, read_yaml

#: Input formats by name; file suffixes map onto these.
INPUT_FORMATS: tuple[str, ...] = ("json", "jsonl", "yaml", "csv", "parquet")

_SUFFIXES = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_FORMAT_ALIASES = {"yml": "yaml", "ndjson": "jsonl"}
_TEXT_READERS = {"json": read_json, "jsonl": read_jsonl, "yaml": read_yaml, "csv": read_csv}


def read_inputs(path: str | Path, format: str | None = None) -> list[dict[str, Any]]:
    """Read a file of employee-period records into a list of dicts.

    ``format`` is one of :data:`INPUT_FORMATS` (``yml``/``ndjson`` accepted as aliases);
    without it the file suffix decides. Raises :class:`InputFileError`.
    """
    path = Path(path)
    fmt = _resolve_format(path, format)
    if fmt == "parquet":
        return read_parquet(path)
    return _TEXT_READERS[fmt](path, _read_text(path))


def _resolve_format(path: Path, format: str | None) -> str:
    if format is not None:
        fmt = _FORMAT_ALIASES.get(format.lower(), format.lower())
        if fmt not in INPUT_FORMATS:
            known = ", ".join(INPUT_FORMATS)
            raise InputFileError(path, None, f"unknown input format {format!r} (known: {known})")
        return fmt
    by_suffix = _SUFFIXES.get(path.suffix.lower())
    if by_suffix is None:
        known = ", ".join(sorted(_SUFFIXES))
        raise InputFileError(
            path, None, f"cannot tell the format from the suffix {path.suffix!r} (known: {known})"
        )
    return by_suffix


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(path, None, "no such file") from None
    except OSError as exc:
        raise InputFileError(path, None, exc.strerror or str(exc)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputFileError(path, line, f"not UTF-8 text (byte {exc.start})") from None
