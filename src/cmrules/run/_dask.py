"""Paying on a Dask cluster: a bag (or DataFrame) of records in, a bag of slip dicts out, in input order.

Each partition is paid by :func:`cmrules.run.evaluate_records`, the function ``cmrules run``
uses, with every record numbered by its position in the whole input, so a slip is the
dict ``cmrules run --format json`` writes and a failure the dict of its errors file. The
ruleset travels to the workers as its path (each worker loads it once) or pickled. An
employee and period repeated within one partition fails with ``input.duplicate``; across
partitions the check needs the whole input, so partition by employee when that matters.
Needs ``pip install 'cmrules[dask]'``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from cmrules.errors import UsageError
from cmrules.ruleset._load import load_ruleset
from cmrules.ruleset._ruleset import Ruleset, Version
from cmrules.run._records import evaluate_records
from cmrules.sources._frames import exact_value, frame_records
from cmrules.sources._headers import header_map
from cmrules.sources._record import Record

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


def _places(evaluator: Ruleset | Version) -> int:
    versions = evaluator.versions if isinstance(evaluator, Ruleset) else [evaluator]
    return max(version.doc.rounding.places for version in versions)


def _pay_partition(
    records: Any, start: int, ruleset: str | Ruleset | Version, period: str | None
) -> list[dict[str, Any]]:
    """One partition's outcomes: ``{"record", "slip", "failures"}`` dicts in order."""
    evaluator = _evaluator(ruleset)
    places = _places(evaluator)
    items = [
        Record(start + i, _exact(r, places)) if isinstance(r, dict) else Record(start + i, r)
        for i, r in enumerate(records, start=1)
    ]
    out = []
    for outcome in evaluate_records(evaluator, items, period=period):
        slip = outcome.slip.to_dict() if outcome.slip is not None else None
        out.append({"record": outcome.record, "slip": slip, "failures": outcome.failures})
    return out


def _exact(record: dict[str, Any], places: int) -> dict[str, Any]:
    exact = {key: exact_value(value, places) for key, value in record.items()}
    return {key: value for key, value in exact.items() if value is not None}


def _frame_rows(frame: Any, ruleset: str | Ruleset | Version) -> list[dict[str, Any]]:
    """One pandas partition's rows as records, read as :func:`cmrules.frames.pay_frame` reads them."""
    evaluator = _evaluator(ruleset)
    names = header_map(evaluator)
    return [record.data for record in frame_records(frame, _places(evaluator), names)]


def outcomes(ruleset: str | Path | Ruleset | Version, bag: Any, *, period: str | None = None) -> Any:
    """A bag of ``{"record", "slip", "failures"}`` dicts, one per input record, in input order.

    ``record`` is the 1-based position in the whole bag (each partition starts after the
    lengths of those before it, in the same graph); ``slip`` is the JSON form (``None``
    when the record failed); ``failures`` are the dicts ``cmrules run`` writes to its
    errors file.
    """
    dask_bag()
    from dask.delayed import delayed

    shipped = str(ruleset) if isinstance(ruleset, str | Path) else ruleset
    parts = [delayed(list)(part) for part in bag.to_delayed()]  # a partition may be an iterator
    lengths = [delayed(_length)(part) for part in parts]
    paid = [
        delayed(_pay_partition)(part, delayed(sum)(lengths[:index]), shipped, period)
        for index, part in enumerate(parts)
    ]
    return dask_bag().from_delayed(paid)


def _length(part: list[Any]) -> int:
    return len(part)


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
