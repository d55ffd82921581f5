"""Values as explanations show them: numbers with separators, rates as percentages, conditions
with the values put in (``substitute``)."""

from __future__ import annotations

import datetime as dt
import json
import keyword
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from cmrules.compile._runtime import UNKNOWN
from cmrules.expr import _show as sh
from cmrules.outputs.render._common import format_value
from cmrules.ruleset._ruleset import Version

_KEYWORDS = frozenset(keyword.kwlist) | {"true", "false", "none"}
_TOKEN = re.compile(
    r"""(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
    r"""|(?P<num>\d[\d_]*(?:\.\d+)?%?)"""
    r"""|(?P<name>[^\W\d]\w*(?:\s*\.\s*[^\W\d]\w*)*)"""
    r"""|(?P<op>\*\*|[*/-])"""
)
_OPS = {"*": "×", "/": "÷", "-": "−", "**": "^"}
#: Stands for a name with no known value (``None`` is a value).
MISSING = object()


def show_value(value: Any, places: int = 2) -> str:
    """A value as explanations show it: numbers with separators, strings quoted, long lists counted."""
    if value is UNKNOWN:
        return "<unknown>"
    if value is None or isinstance(value, bool | int | Decimal):
        return sh.show(value, None, places)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        inner = ", ".join(show_value(v, places) for v in value)
        return f"[{inner}]" if len(value) <= 6 and len(inner) <= 60 else f"[{_count(len(value), 'item')}]"
    if isinstance(value, dict):
        inner = ", ".join(f"{k}: {show_value(v, places)}" for k, v in value.items())
        return f"{{{inner}}}" if len(inner) <= 80 else f"{{{_count(len(value), 'field')}}}"
    return str(value)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def substitute(
    text: str, values: Mapping[str, Any], places: int = 2, rates: frozenset[str] = frozenset()
) -> str:
    """``text`` (an expression) with every name whose value is known replaced by that value.

    ``c.amount`` resolves through a record value of ``c``; ``lines.x`` and ``totals.x`` are
    looked up whole; names in ``rates`` show as percentages. Keywords, function names and
    names bound inside the expression stay; operators read as in line explanations (× ÷ −).
    """

    def replace(match: re.Match[str]) -> str:
        if match.group("op") is not None:
            return _OPS[match.group("op")]
        name = match.group("name")
        if name is None or name in _KEYWORDS:
            return match.group(0)
        dotted = re.sub(r"\s+", "", name)
        if dotted in values:
            value = values[dotted]
            if dotted in rates and isinstance(value, Decimal):
                return sh.show_rate(value)
            return show_value(value, places)
        head, *fields = dotted.split(".")
        value = values.get(head, MISSING)
        for part in fields:
            value = value.get(part, MISSING) if isinstance(value, dict) else MISSING
        if fields and f".{fields[-1]}" in rates and isinstance(value, Decimal):
            return sh.show_rate(value)
        return match.group(0) if value is MISSING else show_value(value, places)

    return _TOKEN.sub(replace, " ".join(text.split()))


def show_read(name: str, value: Any, rates: frozenset[str]) -> str:
    """A value a rule read, from the trace: rates as percentages, the rest as :func:`show_json`."""
    if name in rates and isinstance(value, str):
        return sh.show_rate(Decimal(value))
    return show_json(value)


def show_json(value: Any) -> str:
    """A JSON-ready trace value, compactly, numbers as facts show them (long lists counted).

    The trace writes a ``Decimal`` as its digits (``"3000.00"``): such strings get
    separators (``3,000.00``); other strings are shown unquoted.
    """
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return format_value(value)
    if isinstance(value, list):
        inner = ", ".join(show_json(v) for v in value)
        return f"[{inner}]" if len(value) <= 6 and len(inner) <= 60 else f"[{_count(len(value), 'item')}]"
    if isinstance(value, dict):
        inner = ", ".join(f"{k}: {show_json(v)}" for k, v in value.items())
        return f"{{{inner}}}" if len(inner) <= 80 else f"{{{_count(len(value), 'field')}}}"
    return str(value)


def _fields_named(var: str, value: Mapping[str, Any], text: str) -> list[str]:
    named = dict.fromkeys(m.group(1) for m in re.finditer(rf"\b{re.escape(var)}\s*\.\s*(\w+)", text))
    return [f for f in named if f in value] or list(value)


def fields_read(var: str, value: Any, text: str, places: int = 2, rates: frozenset[str] = frozenset()) -> str:
    """``o.late_minutes = 0, o.peak = false``: the fields of record ``value`` (the element ``var``)
    that ``text`` (a rule's texts) names, all of them when it names none; other values as
    :func:`show_value` shows them (``var = …``)."""
    if not isinstance(value, dict):
        return f"{var} = {show_value(value, places)}"
    return ", ".join(
        f"{var}.{f} = {_field(f, value[f], rates) or show_value(value[f], places)}"
        for f in _fields_named(var, value, text)
    )


def _field(name: str, value: Any, rates: frozenset[str]) -> str | None:
    if f".{name}" in rates and isinstance(value, Decimal | str):
        return sh.show_rate(Decimal(value))
    return None


def fields_read_json(
    var: str, value: Mapping[str, Any], text: str, rates: frozenset[str] = frozenset()
) -> str:
    """As :func:`fields_read`, for a record from the trace (JSON-ready values)."""
    return ", ".join(
        f"{var}.{f} = {_field(f, value[f], rates) or show_json(value[f])}"
        for f in _fields_named(var, value, text)
    )


def rates_of(version: Version) -> frozenset[str]:
    """The parameters, facts and inputs of ``version`` that are rates (shown as percentages), and
    ``.name`` for a record field or item value ``name`` that is one."""
    rates = {n for n, p in version.doc.parameters.items() if p.type == "rate"}
    rates |= {n for n, f in version.doc.facts.items() if f.type == "rate"}
    for typ in version.program.input_types.values():
        record = typ.elem if typ.kind == "list" and typ.elem is not None else typ
        rates |= {f".{name}" for name in record.rates}  # a record field (or item value) that is a rate
    return frozenset(rates | {n for n, f in version.doc.inputs.items() if f.type == "rate"})
