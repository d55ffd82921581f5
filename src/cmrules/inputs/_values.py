"""Values written in the YAML (parameters, dated values, tier rates, table cells and
outputs, fact and input defaults): converted to their declared type and kept in range.

A number has at most :data:`~cmrules.expr._parse.LITERAL_DIGITS` digits before and after
the decimal point, like a literal inside an expression, so no ruleset value can
overflow the evaluation context or turn into a huge integer in generated code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import TypeAdapter, ValidationError

from cmrules.expr._parse import LITERAL_DIGITS, in_range, out_of_range
from cmrules.inputs._validator import field_path, field_type
from cmrules.spec._model import InputField


def convert_value(kind: str, raw: Any) -> Any:
    """A parameter/table/default value of declared scalar ``kind`` from its YAML value."""
    if kind in ("money", "decimal", "rate"):
        return _number(kind, raw)
    if kind == "int":
        if isinstance(raw, int) and not isinstance(raw, bool):
            if abs(raw) >= 10**LITERAL_DIGITS:
                raise ValueError(out_of_range(str(raw)))
            return raw
        raise ValueError(f"{shown(raw)} is not a whole number")
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        raise ValueError(f"{shown(raw)} is not true/false")
    if kind == "date":
        if isinstance(raw, dt.date):
            return raw
        raise ValueError(f"{shown(raw)} is not a date YYYY-MM-DD")
    if kind in ("str", "period"):
        if isinstance(raw, str):
            return raw
        raise ValueError(f"{shown(raw)} is not text")
    raise ValueError(f"unsupported type {kind}")


def shown(raw: Any) -> str:
    """A YAML value in a message: numbers as written, text quoted."""
    return str(raw) if isinstance(raw, Decimal) else repr(raw)


def checked(number: Decimal, raw: Any) -> Decimal:
    """``number`` (read from ``raw``) if it is finite and in range, else a ValueError."""
    if not number.is_finite():
        raise ValueError(f"{shown(raw)} is not a finite number")
    if not in_range(number):
        raise ValueError(out_of_range(shown(raw)))
    return number


def _number(kind: str, raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise ValueError(f"{shown(raw)} is not a number")
    if kind == "rate" and isinstance(raw, str) and raw.strip().endswith("%"):
        try:
            percent = Decimal(raw.strip()[:-1])
        except InvalidOperation:
            raise ValueError(f"{shown(raw)} is not a percentage") from None
        return checked(percent, raw).scaleb(-2)  # as in expressions: the written number is bounded
    if isinstance(raw, (int, Decimal)):
        return checked(Decimal(raw), raw)
    if isinstance(raw, str):
        try:
            number = Decimal(raw)
        except InvalidOperation:
            pass
        else:
            return checked(number, raw)
    raise ValueError(f"{shown(raw)} is not a {kind}")


def convert_defaults(
    fields: Mapping[str, InputField], places: int
) -> tuple[dict[str, InputField], list[tuple[tuple[Any, ...], str]]]:
    """Every field of ``fields`` (top-level inputs) with its ``default`` validated as a
    given value of the field would be, and stored converted: money a ``Decimal`` with
    ``places`` places, decimals and rates ``Decimal``, dates ``datetime.date``, lists
    lists and records and maps dicts of converted values. Also the problems found, each
    as (path of the bad value in the document, message).
    """
    out: dict[str, InputField] = {}
    problems: list[tuple[tuple[Any, ...], str]] = []
    for name, spec in fields.items():
        out[name] = spec
        if "default" not in spec.model_fields_set:
            continue
        at = ("inputs", name, "default")
        if spec.default is None:
            problems.append((at, f"the default of input '{name}' is null: leave 'default' out to require it"))
            continue
        try:
            value = TypeAdapter(field_type(spec, places, name)).validate_python(spec.default)
        except ValidationError as exc:
            seen: set[tuple[Any, ...]] = set()
            for err in exc.errors(include_url=False):
                loc = tuple(err["loc"])
                if loc not in seen:  # a choice of an enum is reported once
                    seen.add(loc)
                    problems.append(
                        ((*at, *loc), f"default of input '{field_path((name, *loc))}': {err['msg']}")
                    )
            continue
        out[name] = spec.model_copy(update={"default": value})
    return out, problems
