"""Paying a stream of records in batches, in this process or on worker processes, in input order.

:func:`ordered_map` applies a task to each batch and yields the results in the order of the
batches. With ``jobs`` > 1 the batches go to a pool of worker processes (``spawn``: each a
fresh interpreter, whatever the platform), each of which receives the evaluator once, when it
starts (a :class:`~cmrules.ruleset.Ruleset` pickles as its source texts and hashes, and each
worker compiles it once), and the results come back in order through a bounded window of
batches in flight, so memory holds a few batches whatever the length of the input. A worker
that dies fails the whole map with :class:`ChildProcessError`: never a silently short output.
With one job, or an input of one batch, no process is started.

:func:`stream_outcomes` is :meth:`Ruleset.stream`: one :class:`Outcome` per record.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cmrules.errors import EmployeeError, UsageError
from cmrules.inputs._text import PERIOD_RE
from cmrules.ruleset._many import Duplicates, evaluate_one
from cmrules.slip import PaySlip

__all__ = [
    "BATCH_SIZE",
    "Outcome",
    "available_cpus",
    "failure_rows",
    "ordered_map",
    "resolve_jobs",
    "stream_outcomes",
]

#: Records per batch: big enough that a worker's round trip is cheap, small enough to stay flat.
BATCH_SIZE = 2_000

P = TypeVar("P")
R = TypeVar("R")

#: What a task gets in a worker: the evaluator and whatever else the map was given.
_state: tuple[Any, ...] = ()


@dataclass
class Outcome:
    """One input record evaluated: its slip, or the problems that stopped it."""

    record: int  # 1-based position in the input
    slip: PaySlip | None
    failures: list[dict[str, Any]] = field(default_factory=list)
    line: int | None = None  # the input file's line the record starts on, when known


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity where the platform tells it)."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        try:
            return max(1, len(affinity(0)))
        except OSError:  # pragma: no cover - a platform that has it but refuses it
            pass
    return max(1, os.cpu_count() or 1)


def resolve_jobs(jobs: int | None) -> int:
    """``jobs`` checked (``None``: :func:`available_cpus`); :class:`UsageError` below 1."""
    if jobs is None:
        return available_cpus()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise UsageError(f"jobs must be a whole number of processes, at least 1, not {jobs!r}")
    return jobs


def failure_rows(exc: EmployeeError, number: int, line: int | None) -> list[dict[str, Any]]:
    """An employee's failure as the rows of an errors file (with its record and line)."""
    where = {"record": number} if line is None else {"record": number, "line": line}
    return [{**row, **where} for row in exc.to_dicts()]


def _start(parent: int, state: tuple[Any, ...]) -> None:
    """A worker's initializer: keep the (unpickled, so compiled once) evaluator and options;
    leave Ctrl-C to the parent (which stops the pool); end when the parent is gone."""
    global _state
    _state = state
    with contextlib.suppress(ValueError, AttributeError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="cmrules-parent-watch").start()


def _watch(parent: int) -> None:
    """End this worker once its parent has died (killed: nobody is left to stop it)."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


def _call(task: Callable[[tuple[Any, ...], Any], Any], payload: Any) -> Any:
    """Run ``task`` on one batch in a worker, with the state it was started with."""
    return task(_state, payload)


def _died(exc: BaseException, done: int) -> ChildProcessError:
    return ChildProcessError(
        f"a worker process died while paying batch {done + 1} ({exc}); nothing was written: "
        "run again, with --jobs 1 to pay in this process"
    )


def ordered_map(
    task: Callable[[tuple[Any, ...], P], R],
    payloads: Iterable[P],
    state: tuple[Any, ...],
    *,
    jobs: int = 1,
    window: int | None = None,
) -> Iterator[R]:
    """``task(state, payload)`` for each payload, in order, on ``jobs`` processes.

    ``task`` is a module-level function (workers import it by name); ``state`` is pickled
    once per worker. The first :data:`LOCAL_BATCHES` payloads are done in this process; the
    workers start only when there are more. At most ``window`` batches (default ``2 * jobs``)
    are in flight.
    """
    items = iter(payloads)
    done = 0
    # The first batches are paid here: a small input is done before a worker would have started.
    for payload in items if jobs <= 1 else itertools.islice(items, LOCAL_BATCHES):
        yield task(state, payload)
        done += 1
    first = next(items, None)
    if first is None:
        return
    items = itertools.chain((first,), items)
    window = window or 2 * jobs
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_start, initargs=(os.getpid(), state))
    pending: deque[Future[R]] = deque()
    finished = False
    try:
        for payload in items:
            try:
                pending.append(pool.submit(_call, task, payload))
            except BrokenProcessPool as exc:  # a worker died before this batch was even sent
                raise _died(exc, done) from None
            if len(pending) >= window:
                yield _result(pending.popleft(), done)
                done += 1
        while pending:
            yield _result(pending.popleft(), done)
            done += 1
        finished = True
    finally:
        if not finished:  # interrupted, a worker died, or the consumer stopped: stop the workers now
            for future in pending:
                future.cancel()
            for process in list(getattr(pool, "_processes", {}).values()):
                with contextlib.suppress(Exception):
                    process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)


def _result(future: Future[R], done: int) -> R:
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise _died(exc, done) from None


def check_period(period: str | None) -> None:
    """Raise :class:`UsageError` unless ``period`` is ``None`` or ``YYYY-MM``."""
    if period is not None and not PERIOD_RE.match(period):
        raise UsageError(f"--period must be YYYY-MM, not {period!r}")


def with_period(record: Any, period: str | None) -> Any:
    """``record`` with its period filled or overridden by ``period`` (when given)."""
    if period is None or not isinstance(record, dict):
        return record
    return {**record, "period": period}


#: One record of a batch: its number, its line, and its data, or the rows of why it fails.
Item = tuple[int, int | None, Any, list[dict[str, Any]] | None]


def items_of(records: Iterable[tuple[int, int | None, Any, list[dict[str, Any]] | None]]) -> Iterator[Item]:
    """Records as batch items, each repeated employee-period turned into its ``input.duplicate``."""
    with Duplicates() as seen:
        for number, line, record, failed in records:
            if failed is None:
                duplicate = seen.check(record, number)
                if duplicate is not None:
                    failed = failure_rows(duplicate, number, line)
            yield number, line, record, failed


def batches(items: Iterable[Item], size: int = BATCH_SIZE) -> Iterator[list[Item]]:
    """``items`` in lists of at most ``size``: the first ones smaller (256, 512, 1,024), so that
    a run shows progress soon and a small input is paid before any worker would start."""
    it = iter(items)
    for step in itertools.chain(_WARMUP, itertools.repeat(size)):
        batch = list(itertools.islice(it, min(step, size)))
        if not batch:
            return
        yield batch


#: The sizes of the first batches (paid in this process, see :data:`LOCAL_BATCHES`).
_WARMUP = (256, 512, 1_024)

#: Batches paid in this process before any worker starts (256 + 512 + 1,024 + 2 × 2,000 records):
#: starting a worker (a fresh interpreter that imports cmrules and compiles the ruleset) costs
#: about as much as paying them.
LOCAL_BATCHES = len(_WARMUP) + 2


def pay_item(evaluate: Callable[[Any], PaySlip], item: Item) -> Outcome:
    """One batch item paid: its outcome (a failure of this record only is in ``failures``)."""
    number, line, record, failed = item
    if failed is not None:
        return Outcome(number, None, failed, line)
    try:
        return Outcome(number, evaluate_one(evaluate, record), line=line)
    except EmployeeError as exc:
        return Outcome(number, None, failure_rows(exc, number, line), line)


def _outcomes_task(state: tuple[Any, ...], batch: list[Item]) -> list[Outcome]:
    evaluate = state[0].evaluate
    return [pay_item(evaluate, item) for item in batch]


def stream_outcomes(
    evaluator: Any, records: Iterable[Any], *, jobs: int | None = 1, period: str | None = None
) -> Iterator[Outcome]:
    """One :class:`Outcome` per record of ``records``, in input order, lazily (see
    :meth:`cmrules.ruleset.Ruleset.stream`)."""
    check_period(period)
    count = resolve_jobs(jobs)
    numbered = ((n, None, with_period(r, period), None) for n, r in enumerate(records, start=1))
    size = BATCH_SIZE if count > 1 else 1  # one job: one record at a time, as lazy as it gets
    for outcomes in ordered_map(_outcomes_task, batches(items_of(numbered), size), (evaluator,), jobs=count):
        yield from outcomes
