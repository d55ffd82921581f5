"""Writing slips: JSON, JSONL, CSV or text to one file, or HTML to a folder of pages, atomically."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cmrules.outputs._atomic import atomic_folder
from cmrules.outputs._pair import write_pair
from cmrules.outputs.render import (
    GENERATOR_META,
    render_csv,
    render_csv_lines,
    render_html_index,
    render_html_slip,
    render_json,
    render_jsonl,
    render_text,
    slip_filenames,
)

#: Output formats by name (``html`` is a folder of pages, the others one file).
OUTPUT_FORMATS: tuple[str, ...] = (
    "json",
    "jsonl",
    "csv",
    "csv-lines",
    "text",
    "html",
    *("xlsx", "parquet", "parquet-lines"),  # binary files (cmrules[excel], cmrules[dataframe])
)

#: Written at the start of a CSV file, so that Excel reads it as UTF-8 (Chinese text).
_BOM = "\ufeff"


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def _render(slips: Sequence[Mapping[str, Any]], fmt: str, detail: str | None = None) -> str:
    if fmt == "json":
        return render_json(slips, detail)
    if fmt == "jsonl":
        return render_jsonl(slips, detail)
    if fmt == "csv":
        return render_csv(slips, detail)
    if fmt == "csv-lines":
        return render_csv_lines(slips, detail)
    if fmt == "text":
        return "\n".join(render_text(slip, detail=detail) for slip in slips)
    raise ValueError(f"unknown output format {fmt!r} (known: {', '.join(OUTPUT_FORMATS)})")


def _xlsx(slips: Sequence[Mapping[str, Any]]) -> bytes:
    from cmrules.outputs.render._xlsx import render_xlsx

    return render_xlsx(slips)


def _parquet(slips: Sequence[Mapping[str, Any]], lines: bool = False) -> bytes:
    from cmrules.outputs.render._arrow import render_parquet

    return render_parquet(slips, lines=lines)


#: Binary formats: rendered to bytes, their modules imported only when used.
_BINARY: dict[str, Callable[[Sequence[Mapping[str, Any]]], bytes]] = {
    "xlsx": _xlsx,
    "parquet": _parquet,
    "parquet-lines": lambda slips: _parquet(slips, lines=True),
}


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
    detail: str | None = None,
    fact_labels: Mapping[str, tuple[str, str]] | None = None,
) -> None:
    total = len(slips)
    with atomic_folder(out, _is_html_output) as folder:
        for done, (slip, filename) in enumerate(zip(slips, slip_filenames(slips), strict=True), start=1):
            (folder / filename).write_text(
                render_html_slip(slip, detail, fact_labels=fact_labels, index="index.html"),
                encoding="utf-8",
                newline="",
            )
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
    detail: str | None = None,
    fact_labels: Mapping[str, tuple[str, str]] | None = None,
) -> str | None:
    """Write slips in ``fmt`` (one of :data:`OUTPUT_FORMATS`) to ``out``, atomically.

    With ``out`` None the rendered text is returned for stdout (failures are then the
    caller's to report; ``html`` needs a directory). A CSV file (``csv``: one row per slip,
    ``csv-lines``: one row per line item) starts with a UTF-8 byte order mark, so that Excel
    reads its Chinese text; the text returned for stdout has none.

    ``html``: the whole folder (pages, ``index.html``, ``errors.json`` when there are
    failures) is written beside ``out`` under a temporary name and swapped in at the end,
    so an interrupted run leaves the previous folder or the new one, and no page of the
    previous run survives in the new one. An existing ``out`` must be empty or such a
    folder (it is not replaced otherwise). ``progress`` is called with (pages written, total).

    Other formats: the slips file, the errors file (:func:`errors_path`, removed when
    there are no failures) and the run record ``<out>.run.json`` that binds them are
    replaced together (:mod:`cmrules.outputs._pair`): all are written under temporary
    names first, then renamed into place back to back, the run record last. A reader
    trusts the pair only when :func:`~cmrules.outputs.verify_output` says it is complete.

    ``detail`` (``summary``, ``lines``, ``trace``; None: the format's default, see
    :func:`~cmrules.outputs.render.detail_for`) is how much of each slip is written.
    ``fact_labels`` (``html``): the (zh, en) label of each fact, shown instead of its name.
    """
    if fmt not in OUTPUT_FORMATS:
        raise ValueError(f"unknown output format {fmt!r} (known: {', '.join(OUTPUT_FORMATS)})")
    if out is None:
        if fmt == "html":
            raise ValueError("html output is a directory of pages: give an output directory")
        if fmt in _BINARY:
            raise ValueError(f"{fmt} output is a binary file: give an output file")
        return _render(slips, fmt, detail)
    out = Path(out)
    if fmt == "html":
        _write_html(slips, failures, out, progress, detail, fact_labels)
        return None
    if fmt in _BINARY:
        data = _BINARY[fmt](slips)
        errors = _json_text(list(failures)).encode("utf-8") if failures else None
        write_pair(out, fmt, data, len(slips), errors, len(failures))
        return None
    data = (_BOM if fmt.startswith("csv") else "").encode("utf-8") + _render(slips, fmt, detail).encode(
        "utf-8"
    )
    errors = _json_text(list(failures)).encode("utf-8") if failures else None
    write_pair(out, fmt, data, len(slips), errors, len(failures))
    return None
