"""``cmrules run``: evaluate a file of employee-periods and write their slips in one format."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmrules.commands._guard import check_output, loaded_paths, ruleset_paths
from cmrules.commands._open import evaluator_of
from cmrules.errors import InputFileError, UsageError
from cmrules.outputs import OUTPUT_FORMATS, errors_path, write_slips
from cmrules.outputs.render import detail_for
from cmrules.ruleset._ruleset import Version
from cmrules.run import Evaluator, Progress, check_columns, pay_records
from cmrules.sources import open_records
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
) -> RunResult:
    """Evaluate every employee-period of ``input_path`` and write the slips to ``out`` in ``fmt``.

    Bad records are collected as failures while the others are evaluated; with ``out`` the
    slips file (or HTML folder) is replaced atomically and the failures go to the errors
    file beside it (see :func:`cmrules.outputs.write_slips` for the order); without
    ``out`` the rendered text is returned in ``rendered``. ``progress`` is called with
    (done, total, "evaluating") as records are evaluated, then with (done, total,
    "writing") as HTML pages are written.

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
    started = time.monotonic()
    check_output(out, fmt, input_path, *ruleset_paths(ruleset))
    evaluator = evaluator_of(ruleset)
    check_output(out, fmt, input_path, *loaded_paths(evaluator))
    source = open_records(input_path, input_format, encoding=encoding)
    source = rename_source(source, header_map(evaluator, columns))  # HR's headers, as fields
    check_columns(input_path, source.columns, evaluator)
    records = list(source)  # a list: the progress bar wants the total
    if not records and not allow_empty:
        empty = f"no employees in {input_path} (--allow-empty writes an empty output)"
        raise InputFileError(input_path, None, empty)
    payroll = pay_records(evaluator, records, period=period, progress=progress, detail=level)
    del records  # free the input before the output is rendered
    target = Path(out) if out is not None else None
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)

    def writing(done: int, total: int) -> None:
        if progress is not None:
            progress(done, total, "writing")

    rendered = write_slips(
        payroll.slips,
        payroll.failures,
        target,
        fmt,
        None if progress is None else writing,
        level,
        fact_labels=_fact_labels(evaluator) if fmt == "html" else None,
    )
    failures = payroll.failures
    return RunResult(
        slips=len(payroll.slips),
        failures=failures,
        failed_records=payroll.failed_records,
        out=target,
        errors_file=errors_path(target, fmt) if target is not None and failures else None,
        rendered=rendered,
        seconds=time.monotonic() - started,
        notes=source.notes,
    )


def _fact_labels(evaluator: Evaluator) -> dict[str, tuple[str, str]]:
    """The (zh, en) label of each labelled fact of ``evaluator``'s versions (the latest wins)."""
    versions = [evaluator] if isinstance(evaluator, Version) else list(getattr(evaluator, "versions", []))
    return {
        name: (fact.label.zh, fact.label.en)
        for version in versions
        for name, fact in version.doc.facts.items()
        if fact.label is not None
    }
