"""Opening what a command is given to evaluate: a ruleset path, a plan folder, or ``path@version``.

A ruleset is named by a path (a file, or a folder of dated versions of one plan), by
the name of a shipped ruleset, or either with ``@version`` to apply one version of a
plan whatever the period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cmrules.errors import InputFileError, UsageError
from cmrules.ruleset._load import load_ruleset
from cmrules.ruleset._many import employee_of
from cmrules.ruleset._ruleset import Ruleset, Version
from cmrules.run import Evaluator, check_columns


def open_ruleset(spec: str | Path) -> Evaluator:
    """Load ``spec``: a ruleset path or the name of a shipped one (``bar_customer_manager``),
    or either with ``@version`` for one version of a plan.

    Raises :class:`RulesetError` (with every located issue) or :class:`UsageError`
    when the named version does not exist.
    """
    text, version = str(spec), None
    if not Path(text).exists() and "@" in text:
        text, _, version = text.rpartition("@")
    ruleset = load_ruleset(text)
    if version is None:
        return ruleset
    try:
        return ruleset.version(version)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None


def evaluator_of(ruleset: str | Path | Evaluator) -> Evaluator:
    """``ruleset`` itself when already loaded, else :func:`open_ruleset` of it."""
    return ruleset if isinstance(ruleset, Ruleset | Version) else open_ruleset(ruleset)


def describe(evaluator: Evaluator) -> str:
    """``id version`` of a version, ``id [v1, v2]`` of a plan."""
    if isinstance(evaluator, Version):
        return f"{evaluator.id} {evaluator.version}"
    versions = [v.version for v in evaluator.versions]
    return f"{evaluator.id} {versions[0]}" if len(versions) == 1 else f"{evaluator.id} {versions}"


def dateless(evaluator: Evaluator) -> Evaluator:
    """A single-version plan as its version, applied whatever the period (what-if)."""
    if isinstance(evaluator, Ruleset) and len(evaluator.versions) == 1:
        return evaluator.versions[0]
    return evaluator


def version_of(evaluator: Evaluator, record: Mapping[str, Any]) -> Version:
    """The version that pays ``record``: ``evaluator`` itself, or the plan's version for its period."""
    if isinstance(evaluator, Version):
        return evaluator
    return evaluator.version_for(record.get("period"), employee_of(record))  # type: ignore[arg-type]


def check_table_columns(
    path: str | Path, columns: Sequence[str] | None, evaluator: Evaluator, *, mapped: bool
) -> None:
    """:func:`~cmrules.run.check_columns`, its message also pointing to ``--columns`` when an
    unknown header is not ASCII (HR's own, ``定台记录``) and no mapping was given (``mapped``)."""
    try:
        check_columns(path, columns, evaluator)
    except InputFileError as exc:
        if mapped or all(name.isascii() for name in columns or ()):
            raise
        hint = (
            "; map a table's own headers to the ruleset's fields with --columns FILE "
            "(columns= in Python), a YAML file of header: field (docs/formats.md)"
        )
        raise InputFileError(exc.path, exc.line, exc.message + hint, exc.column) from None
