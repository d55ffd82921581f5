"""CSV for spreadsheets and payroll imports: one row per slip, or one row per line item.

:func:`render_csv` (``--format csv``) gives one row per slip: who and when, a signed total
per line category, the slip's totals, its notice codes and its facts. :func:`render_csv_lines`
(``--format csv-lines``) gives one row per line item. In both, amounts stay plain decimal
strings (deductions negative, as everywhere), and a text cell a spreadsheet would take for
a formula (starting with ``= + - @``, a tab or a carriage return) is prefixed with ``'``
(:func:`csv_cell`); numbers such as ``-50.00`` are left as they are.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from cmrules.outputs.render._common import CATEGORY_ORDER, item_index, label_pair, to_decimal
from cmrules.outputs.render._detail import detail_for

#: The columns of ``--format csv-lines``: one row per line item.
CSV_LINE_COLUMNS: tuple[str, ...] = (
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

#: The fixed columns of ``--format csv`` (one row per slip); a ``fact.<name>`` column per fact
#: follows, in the order the facts first appear. A summary (``--detail summary``) has no lines,
#: so no ``total.<category>`` columns (:data:`CSV_SUMMARY_COLUMNS`).
CSV_COLUMNS: tuple[str, ...] = (
    "employee",
    "period",
    "ruleset_id",
    "ruleset_version",
    "currency",
    *(f"total.{category}" for category in CATEGORY_ORDER),
    "earnings",
    "deductions",
    "net",
    "carry_forward",
    "notices",
)

#: The fixed columns of ``--format csv --detail summary``.
CSV_SUMMARY_COLUMNS: tuple[str, ...] = tuple(c for c in CSV_COLUMNS if not c.startswith("total."))

_NUMBER = re.compile(r"-?\d+(\.\d+)?\Z")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A value as a CSV cell that a spreadsheet shows as text, never runs as a formula.

    ``None`` is empty, booleans ``true``/``false``, lists and objects compact JSON. Text
    starting with ``= + - @``, a tab or a carriage return gets a leading ``'`` unless it is a
    plain decimal number (``-50.00`` stays a number).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    else:
        text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def _category_totals(slip: Mapping[str, Any]) -> list[str]:
    """The signed sum of the slip's lines per category of :data:`CATEGORY_ORDER`."""
    lines = slip.get("lines") or []
    amounts = [to_decimal(line.get("amount"), what="line amount") for line in lines]
    try:  # zero with the slip's places
        zero = to_decimal((slip.get("totals") or {}).get("net")) * 0
    except ValueError:
        zero = Decimal(0)
    sums = dict.fromkeys(CATEGORY_ORDER, zero)
    for line, amount in zip(lines, amounts, strict=True):
        category = line.get("category")
        if category in sums:
            sums[category] += amount
    return [str(total if total else abs(total)) for total in sums.values()]


def _fact_names(slips: Sequence[Mapping[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for slip in slips:
        names.update(dict.fromkeys(slip.get("facts") or {}))
    return list(names)


def render_csv(slips: Iterable[Mapping[str, Any]], detail: str | None = None) -> str:
    """A header row (:data:`CSV_COLUMNS`, then ``fact.<name>``), then one row per slip.

    ``detail`` ``"summary"`` leaves out the ``total.<category>`` columns (a summary has no
    lines to add up); ``"lines"`` or None (the default) keeps them; CSV has no trace."""
    summary = detail_for("csv", detail) == "summary"
    slips = list(slips)
    facts = _fact_names(slips)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = CSV_SUMMARY_COLUMNS if summary else CSV_COLUMNS
    writer.writerow([*columns, *(csv_cell(f"fact.{name}") for name in facts)])
    for slip in slips:
        ruleset = slip.get("ruleset") or {}
        totals = slip.get("totals") or {}
        own = slip.get("facts") or {}
        codes = " ".join(str(n.get("code")) for n in slip.get("notices") or [])
        head = [slip.get("employee"), slip.get("period"), ruleset.get("id"), ruleset.get("version")]
        row = [*head, slip.get("currency"), *([] if summary else _category_totals(slip))]
        row += [totals.get(key) for key in ("earnings", "deductions", "net", "carry_forward")]
        row += [codes, *(own.get(name) for name in facts)]
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue()


def render_csv_lines(slips: Iterable[Mapping[str, Any]], detail: str | None = None) -> str:
    """A header row (:data:`CSV_LINE_COLUMNS`), then one row per line item (``detail`` can only
    be ``"lines"``, the default: a summary has no lines, CSV no trace)."""
    detail_for("csv-lines", detail)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_LINE_COLUMNS)
    for slip in slips:
        ruleset = slip.get("ruleset") or {}
        for line in slip.get("lines") or []:
            zh, en = label_pair(line.get("label"))
            head = [slip.get("employee"), slip.get("period"), ruleset.get("id"), ruleset.get("version")]
            row = [*head, line.get("rule_id"), line.get("category"), zh, en, line.get("amount")]
            writer.writerow([csv_cell(value) for value in (*row, line.get("explanation"), item_index(line))])
    return buffer.getvalue()
