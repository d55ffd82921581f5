"""Writing slips: JSON, JSONL, CSV or text to one file, or HTML to a folder of pages, atomically."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cmrules.outputs._atomic import atomic_folder, atomic_write
from cmrules.outputs.render import (
    GENERATOR_META,
    render_csv,
    render_html_index,
    render_html_slip,
    render_text,
    slip_filenames,
)

#: Output formats by name (``html`` is a folder of pages, the others one file).
OUTPUT_FORMATS: tuple[str, ...] = ("json", "jsonl", "csv", "text", "html")


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
