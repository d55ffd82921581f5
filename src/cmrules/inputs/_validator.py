"""Input validation: a pydantic model built from a ruleset's input schema.

Money and decimals are accepted as ``str``, ``int`` or ``Decimal``.  A Python
``float`` (or a JSON number written with a fraction, which the readers keep as
:class:`FloatLiteral`) is refused with ``input.float``: binary floats cannot
hold most cents exactly, and guessing would make a silently wrong slip.  Convert
through ``str`` at your boundary if you really start from floats.  Money is
quantized to the ruleset's places; more places than that is an error.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Iterator
from decimal import Context, Decimal, InvalidOperation
from functools import partial
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

from cmrules._periods import period_bounds
from cmrules.errors import InputError, InputProblem
from cmrules.inputs._fast import INPUT_DIGITS, Slow, build_fast_validator, in_period, limits
from cmrules.inputs._keys import FLOAT_ID, employee_id, hidden_character
from cmrules.inputs._text import FloatLiteral as FloatLiteral  # re-exported: readers and writers use it
from cmrules.inputs._text import date_text, number_text, period_text
from cmrules.spec._model import InputField

_T = TypeVar("_T")


_WIDE = Context(prec=60, traps=[InvalidOperation])


def _read(parse: Callable[[str], _T], text: str) -> _T:
    """``parse(text)``, its ``ValueError`` (which says why) as the field's ``input.type`` problem."""
    try:
        return parse(text)
    except ValueError as exc:
        raise PydanticCustomError("type", str(exc)) from None


def _exact(places: int | None, spec: InputField) -> Any:
    exp = Decimal(1).scaleb(-places) if places is not None else None
    ge, gt, le, lt = limits(spec)
    smallest = Decimal(1).scaleb(-INPUT_DIGITS)  # the finest decimal or rate

    def check(value: Any) -> Decimal:
        kind = type(value)
        number: Decimal
        if kind is Decimal:
            number = value
        elif kind is int:
            number = Decimal(value)
        elif isinstance(value, (float, FloatLiteral)):
            raise PydanticCustomError(
                "float", 'a binary float is not exact: write it as a string ("12.50") or an integer'
            )
        elif isinstance(value, Decimal):
            number = value
        elif isinstance(value, int) and not isinstance(value, bool):
            number = Decimal(value)
        elif isinstance(value, str):
            number = _read(number_text, value)
        else:
            raise PydanticCustomError("type", "expected a number as text, an integer or a Decimal")
        if not number.is_finite():
            raise PydanticCustomError("type", "not a finite number")
        if number and number.adjusted() >= INPUT_DIGITS:  # no arithmetic: any exponent is safe
            raise PydanticCustomError(
                "constraint", f"out of range: at most {INPUT_DIGITS} digits before the decimal point"
            )
        if exp is None and number != number.quantize(smallest, context=_WIDE):
            raise PydanticCustomError("constraint", f"more than {INPUT_DIGITS} decimal places")
        if exp is not None:
            try:
                exact = number.quantize(exp, context=_WIDE)
            except InvalidOperation:
                raise PydanticCustomError("constraint", "too large") from None
            if exact != number:
                raise PydanticCustomError("constraint", f"more than {places} decimal places")
            number = exact if exact else abs(exact)  # -0.00 is 0.00
        if ge is not None and not number >= ge:
            raise PydanticCustomError("constraint", f"must be >= {ge}")
        if gt is not None and not number > gt:
            raise PydanticCustomError("constraint", f"must be > {gt}")
        if le is not None and not number <= le:
            raise PydanticCustomError("constraint", f"must be <= {le}")
        if lt is not None and not number < lt:
            raise PydanticCustomError("constraint", f"must be < {lt}")
        return number

    return check


def _reportable(value: Any) -> Any:
    """``value`` as an error reports it: an integer too long to print is described instead."""
    if isinstance(value, int) and value.bit_length() > 1000:
        return f"<an integer of about {value.bit_length() * 30103 // 100000} digits>"  # log10(2)
    return value


def _sorted_map(value: dict[str, Any]) -> dict[str, Any]:
    """A map in key order: the same map whatever the order it came in (deterministic slips)."""
    return dict(sorted(value.items()))


def _lengths(allowed: list[int]) -> Any:
    """A check that a list has one of the ``allowed`` lengths (``lengths: [3, 6]``)."""
    wanted = " or ".join(str(n) for n in allowed)

    def check(value: list[Any]) -> list[Any]:
        if len(value) not in allowed:
            raise PydanticCustomError("size", f"must have {wanted} items, not {len(value)}")
        return value

    return check


def _date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        raise PydanticCustomError("type", "expected a date, not a date and time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return _read(date_text, value)
    raise PydanticCustomError("type", "expected a date YYYY-MM-DD")


def _period(value: Any) -> Any:
    return _read(period_text, value)  # its message says why a date or a number is not a period


def _employee(value: Any) -> Any:
    """An employee id: text, or a whole number read as its decimal text (``1001`` → ``"1001"``);
    a float is refused (``input.float``), and so is blank text (``input.missing``); spaces
    around an id are dropped, as the readers drop them (:func:`~cmrules.inputs._keys.with_keys`)."""
    if type(value) is str:
        if not value.strip():
            raise PydanticCustomError("missing", "the employee id is blank")
        return _visible(value.strip())
    if isinstance(value, (float, FloatLiteral)):
        raise PydanticCustomError("float", FLOAT_ID)
    if isinstance(value, bool):
        raise PydanticCustomError("type", "an employee id is text or a whole number, not true or false")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _visible(str(value))
    raise PydanticCustomError("type", "expected an employee id: text or a whole number")


def _visible(text: str) -> str:
    """``text``, an employee id, when every character of it shows (:func:`hidden_character`)."""
    hidden = hidden_character(text)
    if hidden is not None:
        raise PydanticCustomError("type", hidden)
    return text


def _int_bounds(spec: InputField) -> dict[str, Any]:
    return {k: v for k, v in zip(("ge", "gt", "le", "lt"), limits(spec), strict=True) if v is not None}


def field_type(spec: InputField, places: int, name: str) -> Any:
    """The pydantic type of one declared field."""
    kind = spec.type
    if spec.enum is not None and kind in ("str", "int"):
        return Literal[tuple(spec.enum)]
    if kind == "money":
        return Annotated[Decimal, BeforeValidator(_exact(places, spec))]
    if kind in ("decimal", "rate"):
        return Annotated[Decimal, BeforeValidator(_exact(None, spec))]
    if kind == "int":
        return Annotated[int, Field(strict=True, **_int_bounds(spec))]
    if kind == "bool":
        return Annotated[bool, Field(strict=True)]
    if kind == "str" and name == "employee":
        return Annotated[str, BeforeValidator(_employee)]
    if kind == "str":
        return Annotated[str, Field(strict=True)]
    if kind == "date":
        return Annotated[dt.date, BeforeValidator(_date)]
    if kind == "period":
        return Annotated[str, BeforeValidator(_period)]
    if kind == "list":
        assert spec.of is not None
        item_t = field_type(spec.of, places, name)
        bounds = Field(max_length=spec.max_items, min_length=spec.min_items)
        if spec.lengths is not None:
            return Annotated[list[item_t], bounds, AfterValidator(_lengths(spec.lengths))]  # type: ignore[valid-type]
        return Annotated[list[item_t], bounds]  # type: ignore[valid-type]
    if kind == "record":
        assert spec.fields is not None
        return record_model(spec.fields, places, name)
    if kind == "map":
        assert spec.values is not None
        value_t = field_type(spec.values, places, name)
        if spec.keys:
            return record_model({k: spec.values for k in spec.keys}, places, name)
        return Annotated[
            dict[str, value_t],  # type: ignore[valid-type]  # built at run time from the schema
            Field(max_length=spec.max_items),
            AfterValidator(_sorted_map),
        ]
    raise ValueError(kind)


def _empty_by_default(spec: InputField) -> bool:
    """Whether an absent top-level field means "none": a list, or a map of free keys. A map
    that declares its ``keys`` is read key by key, so it is required unless it has a default."""
    return spec.type == "list" or (spec.type == "map" and not spec.keys)


def record_model(fields: dict[str, InputField], places: int, name: str, top: bool = False) -> Any:
    """A TypedDict-like pydantic model that validates into a plain dict.

    Only top-level fields may be absent (those with a default, and lists and maps,
    which default to empty); every field of a nested record is required.
    """
    from typing_extensions import TypedDict  # pydantic needs typing_extensions' on 3.11

    annotations: dict[str, Any] = {}
    required: list[str] = []
    for key, spec in fields.items():
        typ = field_type(spec, places, key)
        annotations[key] = typ
        if not top or ("default" not in spec.model_fields_set and not _empty_by_default(spec)):
            required.append(key)
    make_typed_dict: Any = TypedDict  # a class built at run time from the schema
    td = make_typed_dict(f"R_{name}", dict.fromkeys(annotations, Any), total=False)
    td.__annotations__ = annotations
    td.__pydantic_config__ = ConfigDict(extra="forbid")
    td.__required_keys__ = frozenset(required)
    td.__optional_keys__ = frozenset(set(annotations) - set(required))
    return td


_CODES = {
    "missing": "input.missing",
    "extra_forbidden": "input.unknown",
    "float": "input.float",
    "constraint": "input.constraint",
    "literal_error": "input.enum",
    "size": "input.size",
    "too_long": "input.size",
    "too_short": "input.size",
    "greater_than_equal": "input.constraint",
    "greater_than": "input.constraint",
    "less_than_equal": "input.constraint",
    "less_than": "input.constraint",
}


def field_path(loc: tuple[Any, ...]) -> str:
    """A pydantic error location as the field path users write (``bookings[2].amount``)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "<input>"


class InputValidator:
    """Validates one employee-period and fills defaults."""

    def __init__(self, fields: dict[str, InputField], places: int):
        self.fields = fields
        self.adapter = TypeAdapter(record_model(fields, places, "input", top=True))
        self.defaults = {
            k: v.default if v.default is not None else ([] if v.type == "list" else {})
            for k, v in fields.items()
            if "default" in v.model_fields_set or _empty_by_default(v)
        }
        factories = {k: partial(_default, value) for k, value in self.defaults.items()}
        self.dated_in_period = any(in_period(spec) for spec in fields.values())
        converter = partial(_converter, places)
        self.canonical = build_fast_validator(fields, converter, factories, places, canonical=True)
        self.fast = build_fast_validator(fields, converter, factories, places)
        #: the ruleset's input checks (``checks:``), run on every validated record; None: none
        self.checks: Callable[[dict[str, Any]], None] | None = None

    def __call__(self, raw: Any) -> dict[str, Any]:
        try:  # the canonical checker inline: one Python call fewer per record on the common path
            data = self.canonical(raw)
        except Slow:
            data = self._validated(raw)
        if self.checks is not None:
            self.checks(data)
        return data

    def _validated(self, raw: Any) -> dict[str, Any]:
        """``raw`` that the canonical checker left: the converting checker, else the reference."""
        try:
            return self.fast(raw)
        except Slow:
            return self.reference(raw)

    def reference(self, raw: Any) -> dict[str, Any]:
        """Validate with the pydantic model: the reference, and the source of every error."""
        employee = (employee_id(raw.get("employee")) if isinstance(raw, dict) else None) or "<unknown>"
        if not isinstance(raw, dict):
            raise InputError(
                [
                    InputProblem(
                        employee, "<input>", raw, "an employee's input is a mapping of fields", "input.type"
                    )
                ]
            )
        try:
            data: dict[str, Any] = self.adapter.validate_python(raw)
        except ValidationError as exc:
            problems: list[InputProblem] = []
            for err in exc.errors(include_url=False):
                loc = tuple(err["loc"])
                # a Literal union reports per choice; keep one problem per field
                if problems and problems[-1].field == field_path(loc):
                    continue
                code = _CODES.get(err["type"], "input.type")
                # pydantic gives a missing field's parent as its input: the value is absent
                value = None if err["type"] == "missing" else _reportable(err.get("input"))
                message = err["msg"]
                if loc == ("employee",) and message == "Field required":
                    message = "Field required: no employee id (a blank cell, or no employee column)"
                if code == "input.unknown" and loc and isinstance(loc[-1], str):
                    message += _did_you_mean(loc[-1], _names_at(self.fields, loc[:-1]))
                problems.append(InputProblem(employee, field_path(loc), value, message, code))
            raise InputError(problems) from None
        for key, value in self.defaults.items():
            if key not in data:
                data[key] = _default(value)
        if self.dated_in_period:
            first, last = period_bounds(data["period"])
            outside = [
                InputProblem(
                    employee,
                    path,
                    day.isoformat(),
                    f"must fall in the period {data['period']} ({first} to {last})",
                    "input.constraint",
                )
                for name, spec in self.fields.items()
                for path, day in _dates_in_period(spec, data[name], name)
                if not first <= day <= last
            ]
            if outside:
                raise InputError(outside)
        return data


def _did_you_mean(name: str, known: list[str]) -> str:
    """``; did you mean 'x'?`` for the declared name nearest ``name``, or nothing."""
    near = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"; did you mean {near[0]!r}?" if near else ""


def _names_at(fields: dict[str, InputField], loc: tuple[Any, ...]) -> list[str]:
    """The field names declared for the record at ``loc`` (a pydantic location)."""
    names: dict[str, InputField] | None = fields
    spec: InputField | None = None
    for part in loc:
        if isinstance(part, int):
            spec = spec.of if spec is not None else None
        else:
            spec = names.get(part) if names is not None else None
        if spec is None:
            return []
        names = spec.fields if spec.type == "record" else None
        if spec.type == "map" and spec.keys and spec.values is not None:
            names = dict.fromkeys(spec.keys, spec.values)
    return list(names or ())


def _dates_in_period(spec: InputField, value: Any, path: str) -> Iterator[tuple[str, dt.date]]:
    """Every ``in_period`` date inside ``value`` (validated against ``spec``), with its path."""
    if spec.in_period:
        yield path, value
    elif spec.type == "list" and spec.of is not None:
        for i, item in enumerate(value):
            yield from _dates_in_period(spec.of, item, f"{path}[{i}]")
    elif spec.type == "record" and spec.fields is not None:
        for key, field_spec in spec.fields.items():
            yield from _dates_in_period(field_spec, value[key], f"{path}.{key}")
    elif spec.type == "map" and spec.values is not None:
        for key, item in value.items():
            yield from _dates_in_period(spec.values, item, f"{path}.{key}")


def _converter(places: int, spec: InputField) -> Any:
    """The reference converter of a scalar field, shared by the fast path."""
    if spec.type == "money":
        return _exact(places, spec)
    if spec.type in ("decimal", "rate"):
        return _exact(None, spec)
    return _date if spec.type == "date" else _period


def _default(value: Any) -> Any:
    """A top-level default, converted at load (:mod:`cmrules.inputs._values`): lists and maps
    are copied for each employee, so one input never sees another's."""
    return list(value) if isinstance(value, list) else (dict(value) if isinstance(value, dict) else value)
