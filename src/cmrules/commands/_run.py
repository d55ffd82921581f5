"""``cmrules run``: evaluate a file of employee-periods and write their slips in one format."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmrules.commands._guard import check_output, loaded_paths, ruleset_paths
from cmrules.commands._open import check_table_columns, evaluator_of
from cmrules.errors import InputFileError, UsageError
from cmrules.outputs import OUTPUT_FORMATS, SlipWriter, errors_path
from cmrules.outputs.render import detail_for
from cmrules.outputs.render._arrow import declared_columns
from cmrules.ruleset._ruleset import money_places, versions_of
from cmrules.ruleset._stream import resolve_jobs
from cmrules.run import Evaluator, Progress, pay_to_writer
from cmrules.sources import Record, RecordSource, open_records
from cmrules.sources._headers import header_map, rename_source

#: Output formats by file suffix, for when ``--format`` is not given.
FORMAT_BY_SUFFIX = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".txt": "text"}
FORMAT_BY_SUFFIX.update({".xlsx": "xlsx", ".parquet": "parquet", ".pq": "parquet"})


@dataclass
class RunResult:
    """What :func:`run_file` did."""

    slips: int
    failures: list[dict[str, Any]]
    failed_records: int
    out: Path | None
    errors_file: Path | None
    rendered: str | None  # the output text when no ``out`` was given
    seconds: float
    notes: list[str] = field(default_factory=list)  # how the input was read (e.g. its encoding)

    @property
    def ok(self) -> bool:
        """True when every employee got a slip."""
        return not self.failures


def run_file(
    ruleset: str | Path | Evaluator,
    input_path: str | Path,
    out: str | Path | None,
    fmt: str,
    period: str | None = None,
    progress: Progress | None = None,
    *,
    input_format: str | None = None,
    encoding: str | None = None,
    allow_empty: bool = False,
    detail: str | None = None,
    columns: str | Path | None = None,
    jobs: int | None = None,
) -> RunResult:
    """Evaluate every employee-period of ``input_path`` and write the slips to ``out`` in ``fmt``.

    The run streams: records are read, paid, rendered and written in batches, so memory
    does not grow with the number of employees (the failures and the employee-periods seen
    are kept; an HTML index keeps one summary row per slip). ``jobs`` worker processes pay
    the batches (``None``: the CPUs this process may use; 1 starts no process; an input of
    a few thousand records is paid in this process whatever ``jobs`` says); the output is
    byte for byte that of one process, and a worker that dies raises
    :class:`ChildProcessError` with nothing written.

    Bad records are collected as failures while the others are evaluated; with ``out`` the
    slips file (or HTML folder) is replaced atomically and the failures go to the errors
    file beside it (see :func:`cmrules.outputs.write_slips` for the order); without
    ``out`` the rendered text is returned in ``rendered``. ``progress`` is called with
    (done, total, "evaluating") as records are paid; ``total`` is exact for JSON, YAML and
    Parquet, counted from the lines of JSONL and CSV (then at most an estimate), and the
    last call has done == total.

    Refused before anything is read or written (:class:`UsageError`): an ``out`` that is
    (through any path) the input file, a ruleset file, or inside a plan folder. Refused
    before anyone is paid (:class:`InputFileError`, nothing written): a CSV or Parquet
    column the ruleset does not declare, and an input without records unless
    ``allow_empty`` (then an empty output is written). ``encoding`` is that of a text input
    (see :func:`cmrules.sources.open_records`); how the input was read is told in ``notes``.
    ``detail`` (``summary``, ``lines``, ``trace``) is how much of each slip is written; None is
    the format's default (``trace`` for json and jsonl, ``lines`` for the others).
    A table's headers may be the ruleset's labels (``员工``, a field's ``label.zh``) or be
    renamed by ``columns``, a YAML or JSON file of ``header: field`` (docs/formats.md).
    """
    if fmt not in OUTPUT_FORMATS:
        raise UsageError(f"unknown output format {fmt!r} (known: {', '.join(OUTPUT_FORMATS)})")
    if fmt == "html" and out is None:
        raise UsageError("html output is a folder of pages: give an output folder")
    try:
        level = detail_for(fmt, detail)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if out is None and fmt in ("xlsx", "parquet", "parquet-lines"):
        raise UsageError(f"{fmt} output is a binary file: give an output file (-o)")
    count = resolve_jobs(jobs)
    started = time.monotonic()
    check_output(out, fmt, input_path, *ruleset_paths(ruleset))
    evaluator = evaluator_of(ruleset)
    check_output(out, fmt, input_path, *loaded_paths(evaluator))
    source = open_records(input_path, input_format, encoding=encoding, places=money_places(evaluator))
    source = rename_source(source, header_map(evaluator, columns))  # HR's headers, as fields
    check_table_columns(input_path, source.columns, evaluator, mapped=columns is not None)
    records, total = _with_total(source)
    first = next(records, None)
    if first is None and not allow_empty:
        empty = f"no employees in {input_path} (--allow-empty writes an empty output)"
        raise InputFileError(input_path, None, empty)
    target = Path(out) if out is not None else None
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)

    def done(records_done: int) -> None:
        if progress is not None:
            progress(records_done, max(total, records_done), "evaluating")

    inputs = itertools.chain(() if first is None else (first,), records)
    labels = _fact_labels(evaluator) if fmt == "html" else None
    with SlipWriter(target, fmt, level, labels, declared_columns(evaluator)) as writer:
        paid = pay_to_writer(evaluator, inputs, writer, jobs=count, period=period, progress=done)
        rendered = writer.finish(paid.failures)
    if progress is not None and paid.records and paid.records != total:
        progress(paid.records, paid.records, "evaluating")  # an estimated total: say it is done
    failures = paid.failures
    return RunResult(
        slips=paid.slips,
        failures=failures,
        failed_records=paid.failed_records,
        out=target,
        errors_file=errors_path(target, fmt) if target is not None and failures else None,
        rendered=rendered,
        seconds=time.monotonic() - started,
        notes=source.notes,
    )


def _with_total(source: RecordSource) -> tuple[Iterator[Record], int]:
    """The records of ``source`` and how many there are: counted (the document is in memory
    anyway) for JSON, YAML and Parquet; the non-blank lines of JSONL and CSV (read once, not kept)."""
    if source.format in ("jsonl", "csv"):
        lines = 0
        with source.path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    lines += 1
        return iter(source), lines - (1 if source.format == "csv" and lines else 0)
    records = list(source)
    return iter(records), len(records)


def _fact_labels(evaluator: Evaluator) -> dict[str, tuple[str, str]]:
    """The (zh, en) label of each labelled fact of ``evaluator``'s versions (the latest wins)."""
    return {
        name: (fact.label.zh, fact.label.en)
        for version in versions_of(evaluator)
        for name, fact in version.doc.facts.items()
        if fact.label is not None
    }
