"""One CSV row per pay-slip line, for spreadsheets and payroll imports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from cmrules.outputs.render._common import item_index, label_pair

CSV_COLUMNS: tuple[str, ...] = (
    "employee",
    "period",
    "ruleset_id",
    "ruleset_version",
    "rule_id",
    "category",
    "label_zh",
    "label_en",
    "amount",
    "explanation",
    "item_index",
)


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def render_csv(slips: Iterable[Mapping[str, Any]]) -> str:
    """A header row, then one row per line item; amounts stay plain decimal strings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for slip in slips:
        ruleset = slip.get("ruleset") or {}
        for line in slip.get("lines") or []:
            zh, en = label_pair(line.get("label"))
            index = item_index(line)
            writer.writerow(
                [
                    _cell(slip.get("employee")),
                    _cell(slip.get("period")),
                    _cell(ruleset.get("id")),
                    _cell(ruleset.get("version")),
                    _cell(line.get("rule_id")),
                    _cell(line.get("category")),
                    zh,
                    en,
                    _cell(line.get("amount")),
                    _cell(line.get("explanation")),
                    "" if index is None else str(index),
                ]
            )
    return buffer.getvalue()
