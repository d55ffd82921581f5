"""A run streamed: records read, paid, rendered and written in batches, on one or more processes.

:func:`pay_to_writer` takes the records of an input (lazily), pays them in batches (one
process, or ``jobs`` workers, each given the evaluator and the output format once, when
it starts), renders each batch in the output format where it was paid, and appends the
rendered batches to a :class:`~cmrules.outputs.SlipWriter` in input order. Memory holds the
batches in flight, the failures, and the employee-periods seen (for ``input.duplicate``),
never the slips of the whole run; the bytes are those of one process paying in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cmrules.outputs import (
    SLIP_BYTES_FORMATS,
    Rendered,
    SlipWriter,
    join_slip_bytes,
    render_batch,
    slip_bytes,
)
from cmrules.ruleset import _stream
from cmrules.ruleset._stream import Item, ordered_map, pay_item
from cmrules.run._records import Evaluator, record_items, written
from cmrules.slip import SlipJSON

__all__ = ["Paid", "pay_to_writer"]


@dataclass
class Paid:
    """What a streamed run paid: slips written, the failures (in input order), records done."""

    slips: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    failed_records: int = 0
    records: int = 0


@dataclass
class _Batch:
    """One batch paid and rendered (what a worker sends back)."""

    rendered: list[Rendered]  # in pieces of at most RENDER_EVERY slips
    failures: list[dict[str, Any]]
    failed_records: int
    records: int


def pay_batch(state: tuple[Any, ...], batch: list[Item]) -> _Batch:
    """Pay one batch with ``state`` = (evaluator, format, detail, fact labels) and render its slips.

    JSON and JSONL slips are written one by one straight from the slip
    (:func:`~cmrules.outputs.slip_bytes`: JSONL never builds the slip's dict); the other
    formats render slip dicts, :data:`RENDER_EVERY` at a time."""
    evaluator, fmt, detail, labels = state
    evaluate = evaluator.evaluate
    direct = fmt in SLIP_BYTES_FORMATS
    slips: list[SlipJSON] = []
    parts: list[bytes] = []
    rendered: list[Rendered] = []
    failures: list[dict[str, Any]] = []
    failed = 0
    for item in batch:
        if len(slips) >= RENDER_EVERY:  # a slip as a dict is large (its trace): a few at a time
            rendered.append(render_batch(slips, fmt, detail, labels))
            slips = []
        outcome = pay_item(evaluate, item)
        if direct:
            data = written(outcome, lambda slip: slip_bytes(slip, fmt, detail))
            if data is not None:
                parts.append(data)
        else:
            form = written(outcome, lambda slip: slip.to_dict(detail))
            if form is not None:
                slips.append(form)
        if outcome.failures:
            failed += 1
            failures.extend(outcome.failures)
    if direct:
        rendered.append(join_slip_bytes(parts, fmt))
    elif slips or not rendered:
        rendered.append(render_batch(slips, fmt, detail, labels))
    return _Batch(rendered, failures, failed, len(batch))


#: Slips held as dicts at once while a batch is rendered.
RENDER_EVERY = 100


#: The task a batch is given to (a module-level function: workers import it by name).
TASK: Callable[[tuple[Any, ...], list[Item]], _Batch] = pay_batch


def pay_to_writer(
    evaluator: Evaluator,
    records: Iterable[Any],
    writer: SlipWriter,
    *,
    jobs: int = 1,
    period: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Paid:
    """Pay ``records`` into ``writer`` (in ``writer.fmt``), in input order; ``progress`` is
    called with the records done after each batch. The caller finishes or discards ``writer``."""
    paid = Paid()
    batches = _stream.batches(record_items(records, period), _stream.BATCH_SIZE)
    state = (evaluator, writer.fmt, writer.detail or "trace", writer.fact_labels)
    for batch in ordered_map(TASK, batches, state, jobs=jobs):
        for piece in batch.rendered:
            writer.add(piece)
            paid.slips += piece.count
        paid.failures.extend(batch.failures)
        paid.failed_records += batch.failed_records
        paid.records += batch.records
        if progress is not None:
            progress(paid.records)
    return paid
