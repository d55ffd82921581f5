"""Slips as rows of exact values: one row per slip, or one row per line item (for tables and sheets).

The columns are those of ``--format csv`` and ``--format csv-lines``
(:data:`~cmrules.outputs.render.CSV_COLUMNS`, :data:`~cmrules.outputs.render.CSV_LINE_COLUMNS`,
then ``fact.<name>``), but amounts are :class:`~decimal.Decimal` rather than text, so that a
DataFrame, an Arrow table or a spreadsheet gets numbers without ever passing through a float.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from cmrules.outputs.render._common import CATEGORY_ORDER, label_pair, to_decimal
from cmrules.outputs.render._csv import CSV_COLUMNS, CSV_LINE_COLUMNS

#: The money columns of a slip row (exact decimals).
SLIP_MONEY_COLUMNS: frozenset[str] = frozenset(
    (*(f"total.{category}" for category in CATEGORY_ORDER), "earnings", "deductions", "net", "carry_forward")
)

#: The money columns of a line row.
LINE_MONEY_COLUMNS: frozenset[str] = frozenset(("amount",))


def _money(value: Any) -> Decimal | None:
    return None if value is None else to_decimal(value)


def fact_names(slips: Iterable[Mapping[str, Any]]) -> list[str]:
    """The names of the facts of ``slips``, in the order they first appear."""
    names: dict[str, None] = {}
    for slip in slips:
        names.update(dict.fromkeys(slip.get("facts") or {}))
    return list(names)


def slip_columns(facts: Sequence[str]) -> list[str]:
    """The columns of a slip row: :data:`CSV_COLUMNS`, then ``fact.<name>`` per fact."""
    return [*CSV_COLUMNS, *(f"fact.{name}" for name in facts)]


def slip_row(slip: Mapping[str, Any], facts: Sequence[str]) -> dict[str, Any]:
    """One slip as a row: who and when, signed totals per category, totals, notice codes, facts."""
    ruleset = slip.get("ruleset") or {}
    totals = slip.get("totals") or {}
    net = _money(totals.get("net"))
    zero = net * 0 if net is not None else Decimal(0)  # zero with the slip's places
    sums = dict.fromkeys(CATEGORY_ORDER, zero)
    for line in slip.get("lines") or []:
        if line.get("category") in sums:
            sums[line["category"]] += to_decimal(line.get("amount"), what="line amount")
    row: dict[str, Any] = {
        "employee": slip.get("employee"),
        "period": slip.get("period"),
        "ruleset_id": ruleset.get("id"),
        "ruleset_version": ruleset.get("version"),
        "currency": slip.get("currency"),
    }
    row.update({f"total.{category}": total if total else abs(total) for category, total in sums.items()})
    row.update({key: _money(totals.get(key)) for key in ("earnings", "deductions", "net", "carry_forward")})
    row["notices"] = " ".join(str(n.get("code")) for n in slip.get("notices") or [])
    own = slip.get("facts") or {}
    row.update({f"fact.{name}": own.get(name) for name in facts})
    return row


def line_rows(slip: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The line items of one slip, a row each (:data:`CSV_LINE_COLUMNS`)."""
    ruleset = slip.get("ruleset") or {}
    rows = []
    for line in slip.get("lines") or []:
        zh, en = label_pair(line.get("label"))
        item = line.get("item")
        index = item.get("index") if isinstance(item, Mapping) else None
        values = (
            slip.get("employee"),
            slip.get("period"),
            ruleset.get("id"),
            ruleset.get("version"),
            line.get("rule_id"),
            line.get("category"),
            zh,
            en,
            _money(line.get("amount")),
            line.get("explanation"),
            index if isinstance(index, int) else None,
        )
        rows.append(dict(zip(CSV_LINE_COLUMNS, values, strict=True)))
    return rows
