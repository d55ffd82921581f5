"""Fixed-width plain-text pay slip, aligned in terminal columns (CJK counts double)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cmrules.outputs.render._common import (
    TOTAL_ROWS,
    category_label,
    clip,
    display_width,
    format_amount,
    group_lines,
    item_index,
    label_pair,
    notice_kind_label,
    one_line,
    sum_amounts,
    wrap,
)
from cmrules.outputs.render._detail import at_detail, detail_for, trace_rows

DEFAULT_WIDTH = 72
_INDENT = "  "
_EXPLANATION_INDENT = "      "


def _row(left: str, right: str, width: int, indent: str = _INDENT) -> list[str]:
    """``left`` and ``right`` on one line, ``right`` flush right; two lines if they don't fit."""
    room = width - display_width(indent) - display_width(right) - 1
    if display_width(left) <= room:
        gap = width - display_width(indent) - display_width(left) - display_width(right)
        return [indent + left + " " * gap + right]
    head = clip(left, width - display_width(indent))
    return [indent + head, " " * max(width - display_width(right), 0) + right]


def _bilingual(zh: str, en: str) -> str:
    return " ".join(part for part in (one_line(zh), one_line(en)) if part)


def render_text(slip: Mapping[str, Any], *, width: int = DEFAULT_WIDTH, detail: str | None = None) -> str:
    """Render one slip dict as a readable fixed-width slip ending in a newline.

    ``detail``: ``"summary"`` shows no lines, ``"lines"`` (the default) the lines with their
    explanations, ``"trace"`` also the slip's trace (every rule that fired, what it read)."""
    shown = detail_for("text", detail)
    slip = at_detail(slip, shown)
    width = max(width, 40)
    heavy, light = "=" * width, "-" * width
    ruleset = slip.get("ruleset") or {}
    currency = one_line(slip.get("currency", ""))
    out: list[str] = [heavy]
    title = "工资单 Pay slip"
    out.append(" " * max((width - display_width(title)) // 2, 0) + title)
    out.append(heavy)
    out += _row(
        f"员工 Employee: {one_line(slip.get('employee', ''))}",
        f"期间 Period: {one_line(slip.get('period', ''))}",
        width,
        "",
    )
    out += _row(
        f"规则 Ruleset: {one_line(ruleset.get('id', ''))} {one_line(ruleset.get('version', ''))}",
        f"币种 Currency: {currency}",
        width,
        "",
    )
    out.append(heavy)

    for category, members in group_lines(slip.get("lines") or []):
        zh, en = category_label(category)
        out.append(_bilingual(zh, en))
        for _, line in members:
            label = _bilingual(*label_pair(line.get("label"), str(line.get("rule_id", ""))))
            index = item_index(line)
            if index is not None:
                label += f" [{index}]"
            out += _row(label, format_amount(line.get("amount")), width)
            explanation = str(line.get("explanation") or "")
            for part in explanation.splitlines():
                if part.strip():
                    out.append(_EXPLANATION_INDENT + one_line(part))
        subtotal = format_amount(sum_amounts(line.get("amount") for _, line in members))
        out += _row("", "-" * max(display_width(subtotal), 8), width)
        out += _row("小计 Subtotal", subtotal, width)
        out.append(light)

    notices = slip.get("notices") or []
    if notices:
        out.append("提示 Notices")
        for notice in notices:
            kind_zh, kind_en = notice_kind_label(str(notice.get("kind", "")))
            zh, en = label_pair(notice.get("text"), str(notice.get("code", "")))
            head = f"{_INDENT}[{kind_zh} {kind_en}] "
            hang = " " * display_width(head)
            room = width - display_width(head)
            body = [*wrap(zh, room), *(wrap(en, room) if en else [])]
            out.append(head + body[0])
            out.extend(hang + part for part in body[1:])
        out.append(light)

    totals = slip.get("totals") or {}
    out.append("合计 Totals")
    for key, zh, en in TOTAL_ROWS:
        if key in totals:
            if key == "net":
                out += _row("", "=" * max(display_width(format_amount(totals[key])), 8), width)
            amount = format_amount(totals[key])
            if key == "net" and currency:
                amount = f"{currency} {amount}"
            out += _row(f"{zh} {en}", amount, width)
    if shown == "trace":
        out.append(light)
        out.append("追溯 Trace")
        for rule, made, values in trace_rows(slip):
            out += _row(rule, made, width)
            out.extend(_EXPLANATION_INDENT + part for part in wrap(values, width - len(_EXPLANATION_INDENT)))
    out.append(heavy)
    return "\n".join(line.rstrip() for line in out) + "\n"
