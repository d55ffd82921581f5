"""Rendering slips a batch at a time, so that a run never holds more than one batch of them.

:func:`render_batch` turns a batch of slip dicts into what a writer appends for it (bytes in
the output's encoding; for HTML, one page per slip): it is what a worker process sends back,
so that the parent only writes. Concatenated by :class:`~cmrules.outputs._write.SlipWriter`,
the batches give the bytes one render of all the slips gives.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from cmrules.outputs.render import (
    at_detail,
    render_csv,
    render_csv_lines,
    render_html_slip,
    render_text,
    slip_filename,
)
from cmrules.slip import Detail, PaySlip

#: Binary files (cmrules[excel], cmrules[dataframe]): xlsx is written whole at the end of a
#: run, Parquet a row group at a time as slips come.
BINARY_FORMATS: tuple[str, ...] = ("xlsx", "parquet", "parquet-lines")

#: Output formats by name (``html`` is a folder of pages, the others one file).
OUTPUT_FORMATS: tuple[str, ...] = (
    "json",
    "jsonl",
    "csv",
    "csv-lines",
    "text",
    "html",
    *BINARY_FORMATS,
)


def json_text(value: Any) -> str:
    """``value`` as the indented JSON of a ``json`` output or an errors file."""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def _json_element(slip: Mapping[str, Any]) -> str:
    """One slip as an element of the indented JSON array (what ``json_text([...])`` nests)."""
    return "  " + json.dumps(slip, ensure_ascii=False, indent=2, sort_keys=False).replace("\n", "\n  ")


def _json_element_bytes(slip: Mapping[str, Any]) -> bytes:
    """:func:`_json_element` in UTF-8, written by orjson (the same bytes: its ``OPT_INDENT_2``
    is ``indent=2`` with ``ensure_ascii=False``); a value orjson refuses (an integer of more
    than 64 bits) is written by :mod:`json`."""
    try:
        text = orjson.dumps(slip, option=orjson.OPT_INDENT_2)
    except (orjson.JSONEncodeError, TypeError):
        return _json_element(slip).encode("utf-8")
    return b"  " + text.replace(b"\n", b"\n  ")


#: Formats whose slips are written one by one, straight from the PaySlip (:func:`slip_bytes`).
SLIP_BYTES_FORMATS: tuple[str, ...] = ("json", "jsonl")


def slip_bytes(slip: PaySlip, fmt: str, detail: Detail) -> bytes:
    """One slip of a ``jsonl`` (its line) or ``json`` output (its array element) at ``detail``:
    the bytes :func:`render_batch` gives for ``slip.to_dict(detail)``, written without the dict
    for ``jsonl`` (:meth:`~cmrules.slip.PaySlip.to_json` in the dict's key order)."""
    if fmt == "jsonl":
        return slip.to_json(detail, sort_keys=False) + b"\n"
    if fmt == "json":
        return _json_element_bytes(slip.to_dict(detail))
    raise ValueError(f"--format {fmt} is rendered from slip dicts (render_batch)")


def join_slip_bytes(parts: Sequence[bytes], fmt: str) -> Rendered:
    """A batch of :func:`slip_bytes` (in order) as the :class:`Rendered` batch of those slips."""
    return Rendered(len(parts), b",\n".join(parts) if fmt == "json" else b"".join(parts))


@dataclass(frozen=True)
class Page:
    """One HTML page of a slip, with what the index shows of it."""

    employee: Any
    period: Any
    html: str
    summary: dict[str, Any]  # employee, period, currency, totals: the index row


@dataclass(frozen=True)
class Rendered:
    """One batch of slips rendered: ``data`` (text formats, UTF-8), ``pages`` (HTML) or, for a
    binary format, the slip dicts themselves in ``kept`` (Parquet writes them a row group at a
    time, xlsx whole at the end).

    For ``csv`` and ``csv-lines``, ``header`` is the batch's header row and ``data`` its rows.
    """

    count: int
    data: bytes = b""
    header: str = ""
    pages: tuple[Page, ...] = ()
    kept: tuple[Mapping[str, Any], ...] = ()


def render_batch(
    slips: Sequence[Mapping[str, Any]],
    fmt: str,
    detail: str | None = None,
    fact_labels: Mapping[str, tuple[str, str]] | None = None,
) -> Rendered:
    """Render a batch of slip dicts in ``fmt`` (one of :data:`OUTPUT_FORMATS`) at ``detail``
    (None: as the dicts are); an HTML page shows ``fact_labels`` for the facts' names."""
    count = len(slips)
    if fmt in BINARY_FORMATS:
        return Rendered(count, kept=tuple(slips))
    if detail is not None and fmt in ("json", "jsonl"):
        slips = [at_detail(slip, detail) for slip in slips]
    if fmt == "json":
        return Rendered(count, ",\n".join(_json_element(slip) for slip in slips).encode("utf-8"))
    if fmt == "jsonl":
        text = "".join(json.dumps(slip, ensure_ascii=False, separators=(",", ":")) + "\n" for slip in slips)
        return Rendered(count, text.encode("utf-8"))
    if fmt in ("csv", "csv-lines"):
        text = render_csv(slips, detail) if fmt == "csv" else render_csv_lines(slips, detail)
        header, _, rows = text.partition("\n")  # the header names fields: never a newline in it
        return Rendered(count, rows.encode("utf-8"), header)
    if fmt == "text":
        return Rendered(count, "\n".join(render_text(slip, detail=detail) for slip in slips).encode("utf-8"))
    if fmt == "html":
        pages = tuple(
            Page(
                slip.get("employee"),
                slip.get("period"),
                render_html_slip(slip, detail, fact_labels=fact_labels, index="index.html"),
                {key: slip[key] for key in ("employee", "period", "currency", "totals") if key in slip},
            )
            for slip in slips
        )
        return Rendered(count, pages=pages)
    raise ValueError(f"unknown output format {fmt!r} (known: {', '.join(OUTPUT_FORMATS)})")


_UNSAFE = re.compile(r"[^\w.-]+")


class PageNames:
    """File names of HTML pages as they come: what :func:`~cmrules.outputs.render.slip_filenames`
    gives for the whole run, one slip at a time (a test holds the two to the same names)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def name(self, employee: Any, period: Any) -> str:
        """The file name of the next page: ``<employee>.html``, else with the period, a counter."""
        name = slip_filename(employee)
        if name.casefold() in self.taken:
            stem = name[: -len(".html")]
            when = _UNSAFE.sub("_", str("" if period is None else period)) or "_"
            name = f"{stem}_{when}.html"
            counter = 2
            while name.casefold() in self.taken:
                name = f"{stem}_{when}_{counter}.html"
                counter += 1
        self.taken.add(name.casefold())
        return name


def csv_cells(header: str) -> list[str]:
    """The cells of a CSV header row."""
    return next(csv.reader([header]))


def remap_rows(rows: bytes, cells: Sequence[str], columns: Sequence[str]) -> bytes:
    """CSV ``rows`` written under header ``cells``, rewritten under header ``columns`` (a
    column they lack is empty). Reading and writing the cells again gives the same bytes."""
    where = {name: i for i, name in enumerate(cells)}
    order = [where.get(name) for name in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in csv.reader(io.StringIO(rows.decode("utf-8"), newline="")):
        writer.writerow(["" if i is None or i >= len(row) else row[i] for i in order])
    return buffer.getvalue().encode("utf-8")


def union(headers: Iterable[list[str]]) -> list[str]:
    """The columns of several headers, in order of first appearance."""
    names: dict[str, None] = {}
    for cells in headers:
        names.update(dict.fromkeys(cells))
    return list(names)
