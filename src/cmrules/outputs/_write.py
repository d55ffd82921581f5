"""Writing slips: JSON, JSONL, CSV or text to one file, or HTML to a folder of pages, atomically.

:class:`SlipWriter` writes a run as it is paid, one rendered batch
(:func:`~cmrules.outputs._batches.render_batch`) after another, so that memory holds one
batch, never the whole run; :func:`write_slips` is the same for slips already in a list.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from cmrules.outputs._atomic import atomic_folder
from cmrules.outputs._batches import (
    BINARY_FORMATS,
    OUTPUT_FORMATS,
    PageNames,
    Rendered,
    csv_cells,
    json_text,
    remap_rows,
    render_batch,
    union,
)
from cmrules.outputs._pair import PairWriter
from cmrules.outputs.render import GENERATOR_META, render_html_index

if TYPE_CHECKING:
    from cmrules.outputs.render._arrow import Declared

__all__ = ["OUTPUT_FORMATS", "SlipWriter", "write_slips"]

#: Written at the start of a CSV file, so that Excel reads it as UTF-8 (Chinese text).
_BOM = "\ufeff".encode()


def _xlsx(slips: Sequence[Mapping[str, Any]]) -> bytes:
    from cmrules.outputs.render._xlsx import render_xlsx

    return render_xlsx(slips)


#: Binary formats rendered to bytes at the end of a run (their modules imported only when used);
#: Parquet is not one of them: it is written a row group at a time as slips come (:class:`_Sink`).
_BINARY: dict[str, Callable[[Sequence[Mapping[str, Any]]], bytes]] = {"xlsx": _xlsx}


class _Sink(io.RawIOBase):
    """A writable binary file over the output's target, for a Parquet writer that streams."""

    def __init__(self, target: PairWriter | _Memory) -> None:
        super().__init__()
        self.target = target

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.target.write(chunk)
        return len(chunk)


def _parquet_stream(target: PairWriter | _Memory, fmt: str, declared: Declared | None) -> Any:
    """A :class:`~cmrules.outputs.render._arrow.ParquetStream` writing ``fmt`` into ``target``."""
    from cmrules.outputs.render._arrow import ParquetStream

    return ParquetStream(_Sink(target), lines=fmt == "parquet-lines", declared=declared)


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


class _Memory:
    """The output kept in memory (for stdout): the same interface as :class:`PairWriter`."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.buffer.write(data)
        self.size += len(data)

    @contextlib.contextmanager
    def restart(self) -> Iterator[IO[bytes]]:
        old, self.buffer, self.size = self.buffer, io.BytesIO(), 0
        old.seek(0)
        yield old


class SlipWriter:
    """Slips written to ``out`` in ``fmt`` as they come, in batches; atomic as :func:`write_slips`.

    ``add`` appends one :class:`~cmrules.outputs._batches.Rendered` batch; ``finish`` writes
    the end of the output with the failures (errors file, HTML index) and puts the
    generation in place, returning the text when ``out`` is None; leaving a ``with`` block
    on an exception (or calling ``discard``) leaves the previous output untouched. With
    ``out`` None the output is kept in memory (for stdout, without a byte order mark).
    ``fact_labels`` (``html``): the (zh, en) label of each fact; ``declared`` (``parquet``,
    ``parquet-lines``): the ruleset's facts and places, which fix the file's schema.
    """

    def __init__(
        self,
        out: str | Path | None,
        fmt: str,
        detail: str | None = None,
        fact_labels: Mapping[str, tuple[str, str]] | None = None,
        declared: Declared | None = None,
    ) -> None:
        if fmt not in OUTPUT_FORMATS:
            raise ValueError(f"unknown output format {fmt!r} (known: {', '.join(OUTPUT_FORMATS)})")
        if out is None and fmt == "html":
            raise ValueError("html output is a directory of pages: give an output directory")
        if out is None and fmt in BINARY_FORMATS:
            raise ValueError(f"{fmt} output is a binary file: give an output file")
        self.fmt, self.out, self.detail = fmt, None if out is None else Path(out), detail
        self.fact_labels = fact_labels  # html: the (zh, en) label of each fact, shown for its name
        self._kept: list[Mapping[str, Any]] = []  # a binary format's slips, written at the end
        self.slips = 0
        self._batches = 0
        self._header: str | None = None
        self._closing = False
        self._segments: list[tuple[str, int, int]] = []  # csv: each batch's header and rows
        self._folder: contextlib.ExitStack | None = None
        self._pages: Path | None = None
        self._names = PageNames()
        self._summaries: list[dict[str, Any]] = []
        self._target: PairWriter | _Memory | None = None
        self._parquet: Any = None  # parquet and parquet-lines: row groups written as slips come
        if fmt == "html":
            assert self.out is not None
            self._folder = contextlib.ExitStack()
            self._pages = self._folder.enter_context(atomic_folder(self.out, _is_html_output))
        elif self.out is None:
            self._target = _Memory()
        else:
            self._target = PairWriter(self.out, fmt)
            if fmt in ("parquet", "parquet-lines"):
                self._parquet = _parquet_stream(self._target, fmt, declared)

    def __enter__(self) -> SlipWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is not None:
            self.discard(kind, exc, tb)

    def add(self, batch: Rendered) -> None:
        """Append one rendered batch (in input order)."""
        self.slips += batch.count
        if self.fmt == "html":
            self._add_pages(batch)
            return
        if self._parquet is not None:
            self._parquet.add(batch.kept)
            return
        if self.fmt in BINARY_FORMATS:
            self._kept.extend(batch.kept)
            return
        target = self._target
        assert target is not None
        if self.fmt in ("csv", "csv-lines"):
            if not batch.count and not (self._header is None and self._closing):
                return  # no rows; its header (without fact columns) would only force a rewrite
            if self._header is None:
                self._header = batch.header
                target.write((_BOM if self.out is not None else b"") + batch.header.encode("utf-8") + b"\n")
            start = target.size
            target.write(batch.data)
            self._segments.append((batch.header, start, target.size))
        elif batch.count:
            if self.fmt == "json":
                target.write(b"[\n" if not self._batches else b",\n")
            elif self.fmt == "text" and self._batches:
                target.write(b"\n")
            target.write(batch.data)
            self._batches += 1

    def _add_pages(self, batch: Rendered) -> None:
        assert self._pages is not None
        for page in batch.pages:
            name = self._names.name(page.employee, page.period)
            (self._pages / name).write_text(page.html, encoding="utf-8", newline="")
            self._summaries.append(page.summary)

    def finish(self, failures: Sequence[Mapping[str, Any]]) -> str | None:
        """End the output, write the failures beside it and put it in place (see the class)."""
        self._closing = True
        if self._header is None and self.fmt in ("csv", "csv-lines"):
            self.add(render_batch([], self.fmt, self.detail, self.fact_labels))
        errors = json_text(list(failures)).encode("utf-8") if failures else None
        if self.fmt == "html":
            assert self._pages is not None and self._folder is not None
            if errors is not None:
                (self._pages / "errors.json").write_bytes(errors)
            index = render_html_index(self._summaries, failures)
            (self._pages / "index.html").write_text(index, encoding="utf-8", newline="")
            self._folder.close()
            return None
        target = self._target
        assert target is not None
        if self._parquet is not None:
            self._parquet.close()
        elif self.fmt in BINARY_FORMATS:
            target.write(_BINARY[self.fmt](self._kept))
        elif self.fmt == "json":
            target.write(b"\n]\n" if self._batches else b"[]\n")
        elif self.fmt in ("csv", "csv-lines"):
            self._rewrite_csv(target)
        if isinstance(target, _Memory):
            return target.buffer.getvalue().decode("utf-8")
        target.commit(self.slips, errors, len(failures))
        return None

    def _rewrite_csv(self, target: PairWriter | _Memory) -> None:
        """When batches had different fact columns: one header for all, every row under it."""
        headers = list(dict.fromkeys(header for header, _, _ in self._segments))
        if len(headers) == 1:
            return
        cells = {header: csv_cells(header) for header in headers}
        columns = union(cells.values())
        line = io.StringIO()
        csv.writer(line, lineterminator="\n").writerow(columns)
        with target.restart() as old:
            target.write((_BOM if self.out is not None else b"") + line.getvalue().encode("utf-8"))
            for header, start, end in self._segments:
                old.seek(start)
                rows = old.read(end - start)
                target.write(rows if cells[header] == columns else remap_rows(rows, cells[header], columns))

    def discard(
        self,
        kind: type[BaseException] | None = None,
        exc: BaseException | None = None,
        tb: TracebackType | None = None,
    ) -> None:
        """Give up: remove what was written; the previous output stays as it was."""
        if self._parquet is not None:
            parquet, self._parquet = self._parquet, None
            with contextlib.suppress(Exception):
                parquet.abort()
        if isinstance(self._target, PairWriter):
            self._target.discard()
        if self._folder is not None:
            folder, self._folder = self._folder, None
            folder.__exit__(kind or RuntimeError, exc or RuntimeError("discarded"), tb)


def write_slips(
    slips: Sequence[Mapping[str, Any]],
    failures: Sequence[Mapping[str, Any]],
    out: str | Path | None,
    fmt: str,
    progress: Callable[[int, int], None] | None = None,
    detail: str | None = None,
    fact_labels: Mapping[str, tuple[str, str]] | None = None,
    declared: Declared | None = None,
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
    folder (it is not replaced otherwise). ``progress`` is called with (slips written, total).

    Other formats: the slips file, the errors file (:func:`errors_path`, removed when
    there are no failures) and the run record ``<out>.run.json`` that binds them are
    replaced together (:mod:`cmrules.outputs._pair`): all are written under temporary
    names first, then renamed into place back to back, the run record last. A reader
    trusts the pair only when :func:`~cmrules.outputs.verify_output` says it is complete.
    ``detail`` (``summary``, ``lines``, ``trace``; None: as the slip dicts are, see
    :func:`~cmrules.outputs.render.detail_for`) is how much of each slip is written.
    ``fact_labels`` (``html``): the (zh, en) label of each fact, shown instead of its name.
    ``declared`` (``parquet``): the ruleset's columns
    (:func:`~cmrules.outputs.render._arrow.declared_columns`), so that the file has the
    schema ``cmrules run`` gives that ruleset whatever the slips; None: the first row group's.
    :class:`SlipWriter` does the same for slips that come in batches.
    """
    total = len(slips)
    size = 1 if fmt == "html" else _BATCH  # a page at a time: progress per page
    with SlipWriter(out, fmt, detail, fact_labels, declared) as writer:
        for start in range(0, total, size):
            writer.add(render_batch(slips[start : start + size], fmt, detail, fact_labels))
            if progress is not None:
                progress(min(start + size, total), total)
        return writer.finish(failures)


_BATCH = 1_000
