"""The pay slip: :class:`PaySlip` with its lines and notices, and its typed JSON form.

``PaySlip.to_dict()`` returns a :class:`SlipJSON`; :func:`slip_json_schema` is the JSON
Schema of that form, generated from the types (``python -m cmrules.slip`` prints it).
"""

from __future__ import annotations

from cmrules.slip._adjust import Adjustment, AdjustmentLine
from cmrules.slip._json import (
    DETAILS,
    Amount,
    BalanceJSON,
    Detail,
    ItemJSON,
    LineJSON,
    NoticeJSON,
    RulesetJSON,
    SlipJSON,
    SlipNoticeKind,
    TextJSON,
    TotalsJSON,
    TraceEntryJSON,
    dump_sorted,
    json_ready,
    json_value,
)
from cmrules.slip._lines import NEGATIVE, Line, Notice, carry_notice, render_notice
from cmrules.slip._payslip import BalanceChange, PaySlip, SlipInfo, SlipOrigin
from cmrules.slip._schema import schema_text, slip_json_schema
from cmrules.slip._state import RunState, fixed_context, in_fixed_context

__all__ = [
    "DETAILS",
    "NEGATIVE",
    "Adjustment",
    "AdjustmentLine",
    "Amount",
    "BalanceChange",
    "BalanceJSON",
    "Detail",
    "ItemJSON",
    "Line",
    "LineJSON",
    "Notice",
    "NoticeJSON",
    "PaySlip",
    "RulesetJSON",
    "RunState",
    "SlipInfo",
    "SlipJSON",
    "SlipNoticeKind",
    "SlipOrigin",
    "TextJSON",
    "TotalsJSON",
    "TraceEntryJSON",
    "carry_notice",
    "dump_sorted",
    "fixed_context",
    "in_fixed_context",
    "json_ready",
    "json_value",
    "render_notice",
    "schema_text",
    "slip_json_schema",
]
