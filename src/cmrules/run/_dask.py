"""Paying on a Dask cluster: a bag (or DataFrame) of records in, a bag of slip dicts out, in input order.

Each record is paid by the per-record function of :func:`cmrules.run.evaluate_records` (what
``cmrules run`` uses), numbered by its position in the whole input, so a slip is the dict
``cmrules run --format json`` writes and a failure the dict of its errors file. The ruleset
travels to the workers as its path (each worker loads it once) or pickled.

Nobody is paid twice, whatever the partitions: before paying, one cheap pass lists each
partition's (employee, period) keys with where each first appears (partition, position), and
a tree of merges reduces them to the keys found in more than one partition, with their first
place (computed once, empty in the usual case). Each partition then checks its records as a local run
does (:class:`~cmrules.ruleset._many.Duplicates`), told first of those of its keys that an
earlier partition holds, so a repeat fails with ``input.duplicate`` naming the first record's
number in the whole input, exactly as ``cmrules run`` names it. Needs ``pip install 'cmrules[dask]'``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from cmrules.errors import UsageError
from cmrules.inputs._keys import employee_id
from cmrules.ruleset._load import load_ruleset
from cmrules.ruleset._many import Duplicates
from cmrules.ruleset._ruleset import Ruleset, Version, money_places
from cmrules.ruleset._stream import check_period, failure_rows, pay_item, with_period
from cmrules.sources._frames import exact_record, frame_records
from cmrules.sources._headers import header_map

_HINT = "the Dask engine needs dask and distributed: pip install 'cmrules[dask]'"


def dask_bag() -> Any:
    """The ``dask.bag`` module, or :class:`UsageError` naming the extra that installs it."""
    try:
        import dask.bag as db
    except ImportError:
        raise UsageError(_HINT) from None
    return db


@lru_cache(maxsize=8)
def _loaded(path: str) -> Ruleset:
    return load_ruleset(path)


def _evaluator(ruleset: str | Path | Ruleset | Version) -> Ruleset | Version:
    return ruleset if isinstance(ruleset, Ruleset | Version) else _loaded(str(ruleset))


#: An employee and period, as the local ``input.duplicate`` check reads them from a record.
Key = tuple[str, str]

#: Where a record is: (partition index, 1-based position in its partition).
Place = tuple[int, int]


def _key(record: Any, places: int, period: str | None) -> Key | None:
    """The (employee, period) the local check reads from ``record`` once :func:`_pay_partition`
    has prepared it (:func:`_prepared`), or None when it has none."""
    if not isinstance(record, Mapping):
        return None
    keys = {name: record[name] for name in ("employee", "period") if name in record}  # not the rest
    return _key_of(_prepared(keys, places, period))


def _key_of(data: Any) -> Key | None:
    """The (employee, period) of a prepared record, or None when it has none."""
    if not isinstance(data, Mapping):
        return None
    employee, month = employee_id(data.get("employee")), data.get("period")
    return (employee, month) if employee is not None and isinstance(month, str) else None


def _prepared(record: Any, places: int, period: str | None) -> Any:
    """``record`` as a reader gives it (values float-free, the id and month read as every reader
    reads them: :func:`~cmrules.sources._frames.exact_record`), ``period`` filled in."""
    return with_period(exact_record(record, places) if isinstance(record, Mapping) else record, period)


#: What a group of partitions holds: each key at its first place, and the keys found in several.
Summary = tuple[dict[Key, Place], set[Key]]

#: Summaries merged at once: the width of the reduction tree.
_FAN_IN = 8


def _firsts(records: list[Any], index: int, ruleset: str | Ruleset | Version, period: str | None) -> Summary:
    """Partition ``index``'s summary: each of its keys at the place of its first record there."""
    places = money_places(_evaluator(ruleset))
    firsts: dict[Key, Place] = {}
    for position, record in enumerate(records, start=1):
        key = _key(record, places, period)
        if key is not None and key not in firsts:
            firsts[key] = (index, position)
    return firsts, set()


def _merge(*summaries: Summary) -> Summary:
    """One summary of several: a key in two of them is repeated, at the earlier of its places."""
    firsts, repeated = dict(summaries[0][0]), set(summaries[0][1])
    for more, again in summaries[1:]:
        common = firsts.keys() & more.keys()
        for key in common:
            firsts[key] = min(firsts[key], more[key])
        firsts = {**more, **firsts}  # the common keys at their first place
        repeated |= again
        repeated |= common
    return firsts, repeated


def _repeated(summary: Summary) -> dict[Key, Place]:
    """The keys found in more than one partition, each with the place of its first record."""
    firsts, repeated = summary
    return {key: firsts[key] for key in repeated}


def _repeated_keys(parts: list[Any], ruleset: str | Ruleset | Version, period: str | None) -> Any:
    """A delayed :func:`_repeated` of the whole input: the partitions' summaries merged in a tree."""
    from dask.delayed import delayed

    level = [delayed(_firsts)(part, index, ruleset, period) for index, part in enumerate(parts)]
    while len(level) > 1:
        level = [delayed(_merge)(*level[i : i + _FAN_IN]) for i in range(0, len(level), _FAN_IN)]
    return delayed(_repeated)(level[0])


def _starts(lengths: list[int]) -> list[int]:
    """Each partition's first record number less one: the lengths of those before it."""
    starts = [0]
    for length in lengths[:-1]:
        starts.append(starts[-1] + length)
    return starts


def _pay_partition(
    records: list[Any],
    index: int,
    starts: list[int],
    repeated: dict[Key, Place],
    ruleset: str | Ruleset | Version,
    period: str | None,
) -> list[dict[str, Any]]:
    """Partition ``index``'s outcomes: ``{"record", "slip", "failures"}`` dicts in order.

    Its records are numbered from ``starts[index] + 1`` and checked as a local run checks
    them (:func:`cmrules.run.evaluate_records`), the check first told of each of its keys
    that ``repeated`` places in an earlier partition (at that record's number)."""
    evaluator = _evaluator(ruleset)
    evaluate = evaluator.evaluate
    places = money_places(evaluator)
    out = []
    with Duplicates() as seen:
        for number, record in enumerate(records, start=starts[index] + 1):
            data = _prepared(record, places, period)
            key = _key_of(data) if repeated else None
            first = repeated.get(key) if key is not None else None
            if key is not None and first is not None and first[0] < index:  # its first is earlier
                seen.check({"employee": key[0], "period": key[1]}, starts[first[0]] + first[1])
            duplicate = seen.check(data, number)
            failed = None if duplicate is None else failure_rows(duplicate, number, None)
            outcome = pay_item(evaluate, (number, None, data, failed))
            slip = outcome.slip.to_dict() if outcome.slip is not None else None
            out.append({"record": outcome.record, "slip": slip, "failures": outcome.failures})
    return out


def _frame_rows(frame: Any, ruleset: str | Ruleset | Version) -> list[dict[str, Any]]:
    """One pandas partition's rows as records, read as :func:`cmrules.frames.pay_frame` reads them."""
    evaluator = _evaluator(ruleset)
    names = header_map(evaluator)
    return [record.data for record in frame_records(frame, money_places(evaluator), names)]


def outcomes(ruleset: str | Path | Ruleset | Version, bag: Any, *, period: str | None = None) -> Any:
    """A bag of ``{"record", "slip", "failures"}`` dicts, one per input record, in input order.

    ``record`` is the 1-based position in the whole bag (each partition starts after the
    lengths of those before it, in the same graph); ``slip`` is the JSON form (``None``
    when the record failed); ``failures`` are the dicts ``cmrules run`` writes to its
    errors file.
    """
    bags = dask_bag()
    check_period(period)
    from dask.delayed import delayed

    shipped = str(ruleset) if isinstance(ruleset, str | Path) else ruleset
    parts = [delayed(list)(part) for part in bag.to_delayed()]  # a partition may be an iterator
    starts = delayed(_starts)([delayed(len)(part) for part in parts])
    # One partition: its own check sees every record.
    repeated = _repeated_keys(parts, shipped, period) if len(parts) > 1 else {}
    paid = [
        delayed(_pay_partition)(part, index, starts, repeated, shipped, period)
        for index, part in enumerate(parts)
    ]
    return bags.from_delayed(paid)


def pay(ruleset: str | Path | Ruleset | Version, bag: Any, *, period: str | None = None) -> Any:
    """A bag of slip dicts (the JSON form ``cmrules run --format json`` writes), in input order.

    ``ruleset`` is a path, a shipped name or a loaded ruleset; ``bag`` a ``dask.bag.Bag`` of
    input dicts. Records that fail are left out: :func:`pay_with_failures` gives their failures.
    """
    return outcomes(ruleset, bag, period=period).filter(lambda o: o["slip"] is not None).pluck("slip")


def pay_with_failures(
    ruleset: str | Path | Ruleset | Version, bag: Any, *, period: str | None = None
) -> tuple[Any, Any]:
    """(slips, failures): two bags from one evaluation (compute them together with ``dask.compute``).

    The failures are the dicts of ``cmrules run``'s errors file (employee, record, field,
    value, message, code), in input order.
    """
    done = outcomes(ruleset, bag, period=period)
    slips = done.filter(lambda o: o["slip"] is not None).pluck("slip")
    failures = done.map(lambda o: o["failures"]).flatten()
    return slips, failures


def pay_dataframe(
    ruleset: str | Path | Ruleset | Version, frame: Any, *, period: str | None = None
) -> tuple[Any, Any]:
    """The Dask DataFrame variant: (slips, failures) bags for a ``dask.dataframe.DataFrame`` of records.

    Each partition's rows are read as :func:`cmrules.frames.pay_frame` reads a pandas frame
    (through Arrow; a null is an absent field, a float taken only when exact at the ruleset's
    places, headers renamed by the ruleset's labels). Dask turns object columns into strings
    by default (``dataframe.convert-string``): set it to ``False`` for list and record fields.
    """
    from dask.delayed import delayed

    try:
        parts = frame.to_delayed()
    except AttributeError:
        raise UsageError("expected a dask.dataframe.DataFrame") from None
    shipped = str(ruleset) if isinstance(ruleset, str | Path) else ruleset
    bag = dask_bag().from_delayed([delayed(_frame_rows)(part, shipped) for part in parts])
    return pay_with_failures(ruleset, bag, period=period)
