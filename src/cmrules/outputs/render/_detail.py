"""How much of a slip each output format shows: the detail levels, per format.

A slip's JSON form comes at three levels (:data:`cmrules.slip.DETAILS`): ``summary`` (who,
when, ruleset, currency, notices, facts, totals), ``lines`` (and the lines with their
explanations) and ``trace`` (and every rule that fired with the values it read). JSON and
JSONL write the trace unless told otherwise (their bytes are those of earlier versions);
CSV, text and HTML show the lines. CSV has no place for a trace and ``csv-lines`` none for a
summary (it is one row per line): those are refused, so no trace is ever built for a format
that would not print it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cmrules.slip import DETAILS, Detail

__all__ = ["DEFAULT_DETAIL", "FORMAT_DETAILS", "at_detail", "detail_for", "trace_rows"]

#: The detail levels each output format offers.
FORMAT_DETAILS: dict[str, tuple[Detail, ...]] = {
    "json": DETAILS,
    "jsonl": DETAILS,
    "csv": ("summary", "lines"),
    "csv-lines": ("lines",),
    "text": DETAILS,
    "html": DETAILS,
    "xlsx": ("lines",),  # a sheet of slips and a sheet of lines
    "parquet": ("lines",),
    "parquet-lines": ("lines",),
}

#: The detail level of each output format when none is asked for.
DEFAULT_DETAIL: dict[str, Detail] = {
    "json": "trace",
    "jsonl": "trace",
    "csv": "lines",
    "csv-lines": "lines",
    "text": "lines",
    "html": "lines",
    "xlsx": "lines",
    "parquet": "lines",
    "parquet-lines": "lines",
}


def detail_for(fmt: str, detail: str | None = None) -> Detail:
    """The detail level ``fmt`` is written at: ``detail``, or the format's default when None.

    Raises :class:`ValueError` saying which levels the format offers when it has no ``detail``."""
    offered = FORMAT_DETAILS.get(fmt)
    if offered is None:
        raise ValueError(f"unknown output format {fmt!r} (known: {', '.join(FORMAT_DETAILS)})")
    if detail is None:
        return DEFAULT_DETAIL[fmt]
    if detail not in DETAILS:
        raise ValueError(f"unknown detail {detail!r} (known: {', '.join(DETAILS)})")
    if detail not in offered:
        raise ValueError(
            f"--format {fmt} cannot show detail {detail!r}: it offers {', '.join(offered)}"
            + (" (use json, jsonl, text or html for the trace)" if detail == "trace" else "")
        )
    return detail


def at_detail(slip: Mapping[str, Any], detail: str | None) -> Mapping[str, Any]:
    """``slip`` (a JSON-ready slip dict) without what ``detail`` leaves out: a summary has no
    lines, a ``lines`` slip no trace; None keeps the slip as it is."""
    if detail is None or detail == "trace":
        return slip
    drop = ("lines", "trace") if detail == "summary" else ("trace",)
    if not any(key in slip for key in drop):
        return slip
    return {key: value for key, value in slip.items() if key not in drop}


def trace_rows(slip: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The slip's trace as (rule id with its element ``[i]``, lines made, values read) texts."""
    rows = []
    for entry in slip.get("trace") or []:
        rule = str(entry.get("rule_id", ""))
        if isinstance(entry.get("item"), int):
            rule += f" [{entry['item']}]"
        made = ", ".join(f"#{n}" for n in entry.get("lines") or [])
        read = entry.get("read") or {}
        values = ", ".join(
            f"{name}={json.dumps(value, ensure_ascii=False, separators=(',', ':'))}"
            for name, value in read.items()
        )
        rows.append((rule, made, values))
    return rows
