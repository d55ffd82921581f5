"""The columns of a table of records (CSV, Parquet) against the fields a ruleset declares.

A column that no version of the ruleset declares would fail every employee, so it
stops the run before anyone is paid, with one message for the file.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from cmrules.errors import InputFileError
from cmrules.ruleset._ruleset import Ruleset, Version


def declared_fields(evaluator: Ruleset | Version) -> list[str]:
    """The input fields of ``evaluator`` (of any of its versions), in declaration order."""
    versions = evaluator.versions if isinstance(evaluator, Ruleset) else [evaluator]
    return list(dict.fromkeys(name for version in versions for name in version.validator.fields))


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``; did you mean 'x'?`` for the nearest of ``known``, or nothing when none is near."""
    near = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean {near[0]!r}?" if near else ""


def check_columns(path: str | Path, columns: Iterable[str] | None, evaluator: Ruleset | Version) -> None:
    """Raise :class:`InputFileError` naming the first column of ``columns`` that ``evaluator``
    does not declare (with the nearest declared field), and how many are unknown."""
    if columns is None:
        return
    known = declared_fields(evaluator)
    unknown = [name for name in columns if name not in known]
    if not unknown:
        return
    first = unknown[0]
    others = ", ".join(map(repr, unknown[1:4])) + (", ..." if len(unknown) > 4 else "")
    more = f" (and {len(unknown) - 1} more unknown: {others})" if unknown[1:] else ""
    message = (
        f"column {first!r} is not an input of ruleset {evaluator.id}{did_you_mean(first, known)}{more}; "
        "nobody was paid"
    )
    raise InputFileError(path, 1, message)
