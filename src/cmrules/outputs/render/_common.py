"""Helpers shared by the renderers: category order, amount formatting, text width.

Renderers take the JSON-ready slip dict (``PaySlip.to_dict()``), so amounts arrive
as decimal strings with the ruleset's places; they are parsed as ``Decimal`` only
to add thousands separators and subtotals, never as float.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from cmrules.inputs._validator import FloatLiteral

#: Display order of line categories; unknown categories follow in order of appearance.
CATEGORY_ORDER: tuple[str, ...] = ("earning", "deduction", "fine", "forfeiture", "adjustment")

#: (zh, en) headings of line categories.
CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "earning": ("收入", "Earnings"),
    "deduction": ("扣款", "Deductions"),
    "fine": ("罚款", "Fines"),
    "forfeiture": ("扣发", "Forfeitures"),
    "adjustment": ("调整", "Adjustments"),
    "waiver": ("免扣", "Waived (above a cap)"),
    "deferral": ("缓扣", "Deferred (above a cap)"),
}

#: (zh, en) names of notice kinds.
NOTICE_KIND_LABELS: dict[str, tuple[str, str]] = {
    "warning": ("警告", "Warning"),
    "grade": ("评级", "Grade"),
    "prize": ("奖品", "Prize"),
    "ultimatum": ("最后通牒", "Ultimatum"),
    "info": ("提示", "Info"),
    "compliance": ("合规", "Compliance"),
    "score": ("评分", "Score"),
    "carry_forward": ("结转", "Carry forward"),
}

#: (key, zh, en) of the totals block, in display order (net last: it is the answer).
TOTAL_ROWS: tuple[tuple[str, str, str], ...] = (
    ("earnings", "收入合计", "Total earnings"),
    ("deductions", "扣款合计", "Total deductions"),
    ("carry_forward", "结转下月", "Carried forward"),
    ("net", "实发工资", "Net pay"),
)


def to_decimal(value: Any, *, what: str = "amount") -> Decimal:
    """Parse a JSON-ready amount (a decimal string; int/Decimal tolerated) exactly."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"{what} must be a decimal string, got {type(value).__name__}")
    try:
        result = Decimal(value) if isinstance(value, Decimal | int) else Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"{what} is not a decimal number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"{what} is not a finite number: {value!r}")
    return result


def format_amount(value: Any) -> str:
    """``"3000.00"`` → ``"3,000.00"``; keeps the places as given; unparsable values as is."""
    if value is None:
        return ""
    try:
        amount = to_decimal(value)
    except ValueError:
        return str(value)
    return f"{amount:,}"


_DECIMAL_TEXT = re.compile(r"-?\d+\.\d+\Z")


def format_value(value: Any) -> str:
    """A JSON-ready fact value for a page: numbers (and decimal strings) with separators.

    ``PaySlip.to_dict()`` writes a ``Decimal`` as its digits (``"47000.00"``), so a string
    of that shape is shown as an amount (``47,000.00``); lists and objects as JSON.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, str) and _DECIMAL_TEXT.match(value):
        return format_amount(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


def failure_value(value: Any) -> str:
    """The value of a failure as JSON (``"2"`` is text, ``2`` a number), a float as written."""
    if isinstance(value, FloatLiteral):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def is_negative(value: Any) -> bool:
    """Whether an amount (Decimal or decimal text) is below zero; anything else is not."""
    try:
        return to_decimal(value) < 0
    except ValueError:
        return False


def sum_amounts(values: Iterable[Any]) -> Decimal:
    """Exact sum; ``Decimal`` addition keeps the largest number of places of its terms."""
    total = Decimal(0)
    for value in values:
        total += to_decimal(value)
    return total


def label_pair(label: Any, fallback: str = "") -> tuple[str, str]:
    """(zh, en) of a ``{"zh": ..., "en": ...}`` label, tolerating a plain string or a gap."""
    if isinstance(label, Mapping):
        zh = label.get("zh") or ""
        en = label.get("en") or ""
    elif label is None:
        zh = en = ""
    else:
        zh, en = str(label), ""
    if not zh and not en:
        zh = fallback
    return str(zh), str(en)


def category_label(category: str) -> tuple[str, str]:
    """The (zh, en) label of a line category; an unknown one shows its own name."""
    return CATEGORY_LABELS.get(category, (category, category.replace("_", " ").capitalize()))


def notice_kind_label(kind: str) -> tuple[str, str]:
    """The (zh, en) label of a notice kind; an unknown one shows its own name."""
    return NOTICE_KIND_LABELS.get(kind, (kind, kind.replace("_", " ").capitalize()))


def group_lines(
    lines: Sequence[Mapping[str, Any]],
) -> list[tuple[str, list[tuple[int, Mapping[str, Any]]]]]:
    """Lines grouped by category (known order first), each keeping its slip index."""
    groups: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
    for index, line in enumerate(lines):
        groups.setdefault(str(line.get("category", "")), []).append((index, line))
    known = [c for c in CATEGORY_ORDER if c in groups]
    unknown = [c for c in groups if c not in CATEGORY_ORDER]
    return [(c, groups[c]) for c in known + unknown]


def item_index(line: Mapping[str, Any]) -> int | None:
    """The index of the list item a per-item line was made for, if it has one."""
    item = line.get("item")
    if isinstance(item, Mapping) and isinstance(item.get("index"), int):
        return int(item["index"])
    return None


@functools.lru_cache(maxsize=4096)
def char_width(char: str) -> int:
    """Terminal columns of one character: 2 for wide/fullwidth (CJK), 0 for combining marks."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes (CJK characters count two)."""
    if text.isascii():  # every ASCII character is one column (what char_width says of each)
        return len(text)
    return sum(char_width(c) for c in text)


def clip(text: str, width: int) -> str:
    """Cut ``text`` to at most ``width`` columns, marking the cut with an ellipsis."""
    if display_width(text) <= width:
        return text
    out: list[str] = []
    used = 0
    for char in text:
        w = char_width(char)
        if used + w > width - 1:
            break
        out.append(char)
        used += w
    return "".join(out) + "…"


def one_line(text: Any) -> str:
    """Collapse control characters (newlines, tabs) so a value cannot break a layout."""
    return _CONTROL.sub(" ", str(text)).strip()


#: The characters of Unicode category ``Cc`` (what :func:`one_line` turns into spaces).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def wrap(text: str, width: int) -> list[str]:
    """Greedy wrap by display width: at spaces, or anywhere inside a run of wide (CJK) text."""
    width = max(width, 4)
    lines: list[str] = []
    current = ""
    for word in one_line(text).split(" "):
        if not word:
            continue
        candidate = f"{current} {word}" if current else word
        if display_width(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
            current = ""
        if display_width(word) > width:  # cut into pieces of at most ``width`` columns
            widths = [char_width(c) for c in word]
            start, remaining = 0, sum(widths)
            while remaining > width:
                cut, used = start, 0
                while cut < len(word) and used + widths[cut] <= width:
                    used += widths[cut]
                    cut += 1
                lines.append(word[start:cut])
                start, remaining = cut, remaining - used
            word = word[start:]
        current = word
    if current:
        lines.append(current)
    return lines or [""]
