"""Reading employee inputs (JSON, JSONL, YAML, CSV, Parquet) and writing outputs atomically.

Readers never turn a number into a ``float``: money must stay exact, so a float
literal in the source is kept as :class:`FloatLiteral` (its text) and the input
validator reports it as "float where money expected" while still quoting it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from cmrules.errors import InputFileError
from cmrules.inputs._validator import FloatLiteral
from cmrules.outputs._atomic import atomic_folder, atomic_write, atomic_writer
from cmrules.outputs.render import (
    GENERATOR_META,
    render_csv,
    render_html_index,
    render_html_slip,
    render_text,
    slip_filenames,
)

__all__ = [
    "INPUT_FORMATS",
    "OUTPUT_FORMATS",
    "FloatLiteral",
    "InputFileError",
    "atomic_write",
    "atomic_writer",
    "errors_path",
    "read_inputs",
    "write_slips",
]

#: Input formats by name; file suffixes map onto these.
INPUT_FORMATS: tuple[str, ...] = ("json", "jsonl", "yaml", "csv", "parquet")
OUTPUT_FORMATS: tuple[str, ...] = ("json", "jsonl", "csv", "text", "html")

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
# Plain decimal integers only: "0012" (an id), "1_000", "0x1F", "1:30" stay text.
_INT_LITERAL = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")


# ---------------------------------------------------------------------------- readers


def read_inputs(path: str | Path, format: str | None = None) -> list[dict[str, Any]]:
    """Read a file of employee-period records into a list of dicts.

    ``format`` is one of :data:`INPUT_FORMATS` (``yml``/``ndjson`` accepted as aliases);
    without it the file suffix decides. Raises :class:`InputFileError`.
    """
    path = Path(path)
    fmt = _resolve_format(path, format)
    if fmt == "parquet":
        return _read_parquet(path)
    text = _read_text(path)
    if fmt == "json":
        return _read_json(path, text)
    if fmt == "jsonl":
        return _read_jsonl(path, text)
    if fmt == "yaml":
        return _read_yaml(path, text)
    return _read_csv(path, text)


def _resolve_format(path: Path, format: str | None) -> str:
    if format is not None:
        fmt = _FORMAT_ALIASES.get(format.lower(), format.lower())
        if fmt not in INPUT_FORMATS:
            known = ", ".join(INPUT_FORMATS)
            raise InputFileError(path, None, f"unknown input format {format!r} (known: {known})")
        return fmt
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(_SUFFIXES))
        raise InputFileError(
            path, None, f"cannot tell the format from the suffix {path.suffix!r} (known: {known})"
        )
    return fmt


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


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _json_loads(text: str) -> Any:
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


def _read_json(path: Path, text: str) -> list[dict[str, Any]]:
    try:
        value = _json_loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(path, exc.lineno, exc.msg) from None
    except ValueError as exc:
        raise InputFileError(path, None, str(exc)) from None
    return _records(path, value, "a JSON array")


def _read_jsonl(path: Path, text: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = _json_loads(line)
        except json.JSONDecodeError as exc:
            raise InputFileError(path, number, exc.msg) from None
        except ValueError as exc:
            raise InputFileError(path, number, str(exc)) from None
        if not isinstance(value, dict):
            raise InputFileError(path, number, f"a {type(value).__name__}, not an object")
        records.append(value)
    return records


class _InputLoader(yaml.SafeLoader):
    """Safe YAML loader: floats as FloatLiteral, only plain decimal ints, no duplicate keys.

    Dates (``2024-05-03``) stay ``datetime.date`` as in the safe loader.
    """


def _construct_float(loader: _InputLoader, node: yaml.ScalarNode) -> FloatLiteral:
    return FloatLiteral(loader.construct_scalar(node))


def _construct_int(loader: _InputLoader, node: yaml.ScalarNode) -> int | str:
    text = str(loader.construct_scalar(node))
    # YAML 1.1 reads 0012 as octal 10 and 1:30 as 90: keep anything but plain decimals as text.
    return int(text) if _INT_LITERAL.match(text.lstrip("+")) else text


def _construct_mapping(loader: _InputLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in result
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                "found an unhashable key",
                key_node.start_mark,
            ) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_InputLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_InputLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_InputLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def _read_yaml(path: Path, text: str) -> list[dict[str, Any]]:
    try:
        value = yaml.load(text, Loader=_InputLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p) or str(exc)
        raise InputFileError(path, line, message) from None
    except yaml.YAMLError as exc:
        raise InputFileError(path, None, str(exc)) from None
    if value is None:
        return []
    return _records(path, value, "a YAML list")


def _csv_cell(text: str) -> Any:
    if text[:1] in ("[", "{"):
        return _json_loads(text)
    if _INT_LITERAL.match(text):
        return int(text)
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return text


def _read_csv(path: Path, text: str) -> list[dict[str, Any]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return []
        for column, name in enumerate(header, start=1):
            if not name.strip():
                raise InputFileError(path, 1, f"column {column} has no name")
        duplicates = sorted({name for name in header if header.count(name) > 1})
        if duplicates:
            raise InputFileError(path, 1, f"duplicate column {duplicates[0]!r}")
        records: list[dict[str, Any]] = []
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                raise InputFileError(
                    path, line, f"{len(row)} cells but the header names {len(header)} columns"
                )
            record: dict[str, Any] = {}
            for name, cell in zip(header, row, strict=False):
                if cell == "":
                    continue
                try:
                    record[name] = _csv_cell(cell)
                except ValueError as exc:
                    raise InputFileError(path, line, f"column {name!r}: {exc}") from None
            records.append(record)
    except csv.Error as exc:
        raise InputFileError(path, reader.line_num or None, str(exc)) from None
    return records


def _read_parquet(path: Path) -> list[dict[str, Any]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputFileError(
            path, None, "reading Parquet needs pyarrow: pip install 'cmrules[parquet]'"
        ) from None
    import pyarrow as pa

    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise InputFileError(path, None, "no such file") from None
    except (OSError, pa.ArrowException) as exc:
        raise InputFileError(path, None, str(exc)) from None
    columns = [(field.name, field.type) for field in table.schema]
    records: list[dict[str, Any]] = []
    for row in table.to_pylist():
        record: dict[str, Any] = {}
        for name, arrow_type in columns:
            value = row[name]
            if value is not None:  # a null cell is an absent field, as an empty CSV cell
                record[name] = _from_arrow(value, arrow_type)
        records.append(record)
    return records


def _from_arrow(value: Any, arrow_type: Any) -> Any:
    """Python value from pyarrow's ``to_pylist`` made float-free (and maps made dicts)."""
    import pyarrow as pa

    if value is None:
        return None
    if isinstance(value, float):
        return FloatLiteral(repr(value))
    if pa.types.is_map(arrow_type):
        return {_from_arrow(k, arrow_type.key_type): _from_arrow(v, arrow_type.item_type) for k, v in value}
    if (
        pa.types.is_list(arrow_type)
        or pa.types.is_large_list(arrow_type)
        or (pa.types.is_fixed_size_list(arrow_type))
    ):
        return [_from_arrow(v, arrow_type.value_type) for v in value]
    if pa.types.is_struct(arrow_type):
        # A null struct field is an absent field, as at the top level.
        return {
            field.name: _from_arrow(value[field.name], field.type)
            for field in arrow_type
            if value.get(field.name) is not None
        }
    return value


# ---------------------------------------------------------------------------- writers


def errors_path(out: str | Path, fmt: str) -> Path:
    """Where :func:`write_slips` puts failures: ``<out>.errors.json``, or ``<dir>/errors.json``."""
    out = Path(out)
    return out / "errors.json" if fmt == "html" else out.with_name(out.name + ".errors.json")


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def _render(slips: Sequence[Mapping[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return _json_text(list(slips))
    if fmt == "jsonl":
        return "".join(json.dumps(slip, ensure_ascii=False, separators=(",", ":")) + "\n" for slip in slips)
    if fmt == "csv":
        return render_csv(slips)
    if fmt == "text":
        return "\n".join(render_text(slip) for slip in slips)
    raise ValueError(f"unknown output format {fmt!r} (known: {', '.join(OUTPUT_FORMATS)})")


# What an HTML folder holds: pages, errors.json, and a temporary page an older cmrules left.
_HTML_OUTPUT_FILE = re.compile(r"[^.].*\.html|errors\.json|\..+\.html\.[0-9a-f]{12}\.tmp")


def _is_html_output(folder: Path) -> bool:
    """Empty, or holding only what :func:`write_slips` puts in an HTML folder (so it may be replaced)."""
    entries = list(folder.iterdir())
    if not entries:
        return True
    if any(not (p.is_file() and _HTML_OUTPUT_FILE.fullmatch(p.name)) for p in entries):
        return False
    index = folder / "index.html"
    with contextlib.suppress(OSError), index.open(encoding="utf-8", errors="replace") as handle:
        return GENERATOR_META in handle.read(4096)
    return False


def _write_html(
    slips: Sequence[Mapping[str, Any]],
    failures: Sequence[Mapping[str, Any]],
    out: Path,
    progress: Callable[[int, int], None] | None,
) -> None:
    total = len(slips)
    with atomic_folder(out, _is_html_output) as folder:
        for done, (slip, filename) in enumerate(zip(slips, slip_filenames(slips), strict=True), start=1):
            (folder / filename).write_text(render_html_slip(slip), encoding="utf-8", newline="")
            if progress is not None:
                progress(done, total)
        if failures:
            (folder / "errors.json").write_text(_json_text(list(failures)), encoding="utf-8", newline="")
        (folder / "index.html").write_text(render_html_index(slips, failures), encoding="utf-8", newline="")


def write_slips(
    slips: Sequence[Mapping[str, Any]],
    failures: Sequence[Mapping[str, Any]],
    out: str | Path | None,
    fmt: str,
    progress: Callable[[int, int], None] | None = None,
) -> str | None:
    """Write slips in ``fmt`` (one of :data:`OUTPUT_FORMATS`) to ``out``, atomically.

    With ``out`` None the rendered text is returned for stdout (failures are then the
    caller's to report; ``html`` needs a directory).

    ``html``: the whole folder (pages, ``index.html``, ``errors.json`` when there are
    failures) is written beside ``out`` under a temporary name and swapped in at the end,
    so an interrupted run leaves the previous folder or the new one, and no page of the
    previous run survives in the new one. An existing ``out`` must be empty or such a
    folder (it is not replaced otherwise). ``progress`` is called with (pages written, total).

    Other formats: first the errors file (:func:`errors_path`) is brought up to date,
    written when there are failures and removed when there are none; then the slips file
    is replaced. Each is replaced atomically, and in this order an interrupted run never
    leaves the errors of an earlier run beside new slips.
    """
    if fmt not in OUTPUT_FORMATS:
        raise ValueError(f"unknown output format {fmt!r} (known: {', '.join(OUTPUT_FORMATS)})")
    if out is None:
        if fmt == "html":
            raise ValueError("html output is a directory of pages: give an output directory")
        return _render(slips, fmt)
    out = Path(out)
    if fmt == "html":
        _write_html(slips, failures, out, progress)
        return None
    text = _render(slips, fmt)
    errors = errors_path(out, fmt)
    if failures:
        atomic_write(errors, _json_text(list(failures)))
    else:
        with contextlib.suppress(FileNotFoundError):
            errors.unlink()
    atomic_write(out, text)
    return None
