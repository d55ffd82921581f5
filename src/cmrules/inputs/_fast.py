"""A generated fast path for input validation.

The pydantic model of :mod:`cmrules.inputs._validator` is the reference: it decides what
is valid and words every error.  Validating with it costs several times the
evaluation itself, so each ruleset also gets a straight-line checker generated
from the same schema.  It accepts only input that is plainly valid (exact
types, no coercion beyond the reference's own converters, which it calls) and
returns the same dict; on anything else it gives up and the pydantic model
runs.  A test holds the two to the same results.

Text from files takes the common case inline: a money string with exactly the ruleset's
places (``"1234.50"``: ASCII digits, at most 15 before the point, an optional ``-``) is
``Decimal(text)`` and a date ``YYYY-MM-DD`` is ``date.fromisoformat(text)``, without
calling the reference converter; any other text (blanks, thousands separators, fewer or
more places, ``YYYY/M/D`` dates) goes through the converter, and whatever the inline
reading would refuse (a bound, a day that does not exist) goes to the reference, which
words the error. ``tests/test_fast_money.py`` holds the inline reading to the reference.

The generated code contains only generated identifiers and ``repr`` of
declared field names; no ruleset text is executed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from cmrules._periods import period_bounds
from cmrules.spec._model import InputField


class Slow(Exception):
    """Raised by generated checkers: let the reference validator decide."""


def money_pattern(places: int, signed: bool = True) -> re.Pattern[str]:
    """The money text the generated checker reads inline: ASCII digits, 1 to 15 of them before
    the point, exactly ``places`` after it (no point when ``places`` is 0), a ``-`` if ``signed``.

    Such a text is always inside the ±10^15 every number of an input keeps to."""
    sign = "-?" if signed else ""
    return re.compile(sign + r"[0-9]{1,15}" + (rf"\.[0-9]{{{places}}}" if places else ""), re.ASCII)


#: The date text the generated checker reads inline (``date.fromisoformat`` decides the rest).
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


class _Gen:
    def __init__(self, converter: Callable[[InputField], Callable[[Any], Any]], places: int, canonical: bool):
        self.canonical = canonical
        self.exp = Decimal(1).scaleb(-places)
        self.zero = Decimal(0).quantize(self.exp)
        self.signed_money = money_pattern(places).fullmatch
        self.unsigned_money = money_pattern(places, signed=False).fullmatch
        self.date_text = DATE_PATTERN.fullmatch
        self.lines: list[str] = []
        self.ns: dict[str, Any] = {"Decimal": Decimal, "date": dt.date, "Slow": Slow}
        self.converter = converter
        self.count = 0
        self.has_period = False  # the top level has the built-in ``period``, read once at the start

    def name(self, value: Any) -> str:
        var = f"c{len(self.ns)}"
        self.ns[var] = value
        return var

    def fresh(self) -> str:
        self.count += 1
        return f"x{self.count}"

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def bounds(self, spec: InputField, src: str, *, upper_only: bool = False) -> str:
        """`` or <src> out of bounds`` for the bounds of :func:`limits` (only ``le``, ``lt`` when
        ``upper_only``), or ``""``."""
        out = ""
        for op, bound in zip(("<", "<=", ">", ">="), limits(spec), strict=True):
            if bound is not None and not (upper_only and op in ("<", "<=")):
                whole = spec.type == "int" and bound == bound.to_integral_value()
                out += f" or {src} {op} {self.name(int(bound) if whole else bound)}"
        return out

    def value(self, spec: InputField, src: str, indent: int, path: str) -> str:
        """Emit checks of ``src``; return the expression of its validated value."""
        kind = spec.type
        if spec.enum is not None and kind in ("str", "int"):
            choices = self.name(frozenset(spec.enum))
            self.emit(
                indent,
                f"if type({src}) is not {'str' if kind == 'str' else 'int'} "
                f"or {src} not in {choices}: raise Slow",
            )
            return src
        if self.canonical and kind in ("money", "date"):
            return self.canonical_scalar(spec, src, indent)
        if kind in ("money", "decimal", "rate", "date", "period"):
            conv = self.name(self.converter(spec))
            if kind == "date":  # the common cases inline, the rest through the reference converter
                iso = self.name(self.date_text)
                day = (
                    f"({src} if type({src}) is date else date.fromisoformat({src}) "
                    f"if type({src}) is str and {iso}({src}) is not None else {conv}({src}))"
                )
                if not spec.in_period:
                    return day
                out = self.fresh()
                self.emit(indent, f"{out} = {day}")
                self.emit(indent, f"if not _lo <= {out} <= _hi: raise Slow")
                return out
            if kind != "money":
                return f"{conv}({src})"
            out = self.fresh()
            self.emit(indent, f"if type({src}) is Decimal:")
            self.emit(indent + 1, f"{out} = {src}.quantize({self.name(self.exp)})")
            self.emit(indent + 1, f"if {out} != {src}{self.bounds(spec, out)}: raise Slow")
            self.emit(indent + 1, f"if not {out}: {out} = {self.name(self.zero)}  # 0.00, never -0.00")
            self.money_text(spec, src, out, indent)
            self.emit(indent, "else:")
            self.emit(indent + 1, f"{out} = {conv}({src})")
            return out
        if kind in ("int", "bool", "str"):
            checks = self.bounds(spec, src) if kind == "int" else ""
            if path == "employee":
                # an id: not blank, no spaces around, every character shows
                checks = f" or not {src} or {src}.strip() != {src} or not {src}.isprintable()"
            self.emit(indent, f"if type({src}) is not {kind}{checks}: raise Slow")
            return src
        if kind == "list":
            assert spec.of is not None
            size = (
                f"len({src}) > {spec.max_items}"
                if spec.min_items == 0
                else f"not {spec.min_items} <= len({src}) <= {spec.max_items}"
            )
            self.emit(indent, f"if type({src}) is not list or {size}: raise Slow")
            lengths = getattr(spec, "lengths", None)
            if lengths:
                self.emit(indent, f"if len({src}) not in {self.name(frozenset(lengths))}: raise Slow")
            item = self.fresh()
            out = self.fresh()
            mark = len(self.lines)
            self.emit(indent, f"for {item} in {src}:")
            result = self.value(spec.of, item, indent + 1, path + "[]")
            if len(self.lines) == mark + 1:  # no statements: one comprehension
                self.lines[mark:] = []
                self.emit(indent, f"{out} = [{result} for {item} in {src}]")
            elif result == item:  # only checks: the elements pass unchanged
                self.emit(indent, f"{out} = {src}[:]")
            else:
                self.lines.insert(mark, "    " * indent + f"{out} = []")
                self.emit(indent + 1, f"{out}.append({result})")
            return out
        if kind == "record":
            assert spec.fields is not None
            return self.record(spec.fields, src, indent, path + ".")
        if kind == "map":
            assert spec.values is not None
            if spec.keys:
                return self.record({k: spec.values for k in spec.keys}, src, indent, path + ".")
            self.emit(indent, f"if type({src}) is not dict or len({src}) > {spec.max_items}: raise Slow")
            key, item, out = self.fresh(), self.fresh(), self.fresh()
            self.emit(indent, f"{out} = {{}}")
            self.emit(indent, f"for {key}, {item} in {src}.items():")
            self.emit(indent + 1, f"if type({key}) is not str: raise Slow")
            result = self.value(spec.values, item, indent + 1, path + "{}")
            self.emit(indent + 1, f"{out}[{key}] = {result}")
            return f"dict(sorted({out}.items()))"  # the same map whatever the order it came in
        raise ValueError(kind)

    def money_text(self, spec: InputField, src: str, out: str, indent: int) -> None:
        """Emit the inline reading of money text (:func:`money_pattern`) into ``out``.

        The pattern keeps the text inside ±10^15, so only tighter declared bounds are checked;
        a field that takes no negative amount (``ge: 0``, ``gt: 0``) reads only unsigned text."""
        ge, gt, le, lt = limits(spec)
        # no negative amount is valid: "-0.00" (which the converter reads as 0.00) goes to it
        unsigned = (ge is not None and ge >= 0) or (gt is not None and gt >= 0)
        if lt == LIMIT:
            lt = None
        if gt == -LIMIT:
            gt = None
        if ge == 0:  # unsigned text is >= 0
            ge = None
        pattern = self.name(self.unsigned_money if unsigned else self.signed_money)
        self.emit(indent, f"elif type({src}) is str and {pattern}({src}) is not None:")
        self.emit(indent + 1, f"{out} = Decimal({src})")
        if not unsigned:
            self.emit(indent + 1, f"if not {out}: {out} = {self.name(self.zero)}  # 0.00, never -0.00")
        checks = [
            f"{out} {op} {self.name(bound)}"
            for op, bound in zip(("<", "<=", ">", ">="), (ge, gt, le, lt), strict=True)
            if bound is not None
        ]
        if checks:
            self.emit(indent + 1, f"if {' or '.join(checks)}: raise Slow")

    def canonical_scalar(self, spec: InputField, src: str, indent: int) -> str:
        """Checks that the date or money ``src`` already is what the converter would return;
        the value passes as is."""
        if spec.type == "date":
            # exactly a date: being one of the period's days is lying between its first and last
            within = f" or {src} not in _days" if spec.in_period else ""
            self.emit(indent, f"if type({src}) is not date{within}: raise Slow")
        else:
            exp = self.name(self.exp)
            ge, gt = spec.ge, spec.gt
            if ge == 0 and gt is None:  # no sign: >= 0 and never -0.00 (which the reference makes 0.00)
                sign = f" or {src}.is_signed()"
                upper_only = True
            else:  # -0.00 goes to the converter, which makes it 0.00
                sign = f" or not {src} and {src}.is_signed()"
                upper_only = False
            check = f"not {src}.same_quantum({exp}){sign}{self.bounds(spec, src, upper_only=upper_only)}"
            self.emit(indent, f"if type({src}) is not Decimal or {check}: raise Slow")
        return src

    def record(
        self,
        fields: dict[str, InputField],
        src: str,
        indent: int,
        prefix: str,
        defaults: Mapping[str, Any] | None = None,
        *,
        sized: bool = False,
    ) -> str:
        """Emit checks of the record ``src``; return the expression of the validated dict.

        Without defaults every field is required, so reading each one and checking
        the size rules out unknown keys more cheaply than comparing key sets
        (``sized``: the caller has already checked that ``src`` is such a dict).
        """
        if defaults is None:
            if not sized:
                self.emit(indent, f"if type({src}) is not dict or len({src}) != {len(fields)}: raise Slow")
        else:
            allowed = self.name(frozenset(fields))
            self.emit(indent, f"if type({src}) is not dict or not {src}.keys() <= {allowed}: raise Slow")
        values = []
        unchanged = defaults is None
        for key, spec in fields.items():
            item = self.fresh()
            default = (defaults or {}).get(key, _MISSING)
            if prefix + key == "period" and self.has_period:  # read and checked at the start
                unchanged = False
                values.append(f"{key!r}: _pb[0]")
                continue
            if default is _MISSING:
                self.emit(indent, f"{item} = {src}[{key!r}]")
                result = self.value(spec, item, indent, prefix + key)
                unchanged = unchanged and result == item
                values.append(f"{key!r}: {result}")
                continue
            out = self.fresh()
            missing = self.name(_MISSING)
            self.emit(indent, f"{item} = {src}.get({key!r}, {missing})")
            self.emit(indent, f"if {item} is {missing}:")
            made = default()
            immutable = not isinstance(made, (list, dict))  # made once, shared by every input
            self.emit(indent + 1, f"{out} = {self.name(made) if immutable else self.name(default) + '()'}")
            self.emit(indent, "else:")
            result = self.value(spec, item, indent + 1, prefix + key)
            self.emit(indent + 1, f"{out} = {result}")
            values.append(f"{key!r}: {out}")
        if unchanged:  # every field passes as it is: a shallow copy keeps the caller's dict apart
            return f"{src}.copy()"
        return "{" + ", ".join(values) + "}"


_MISSING = object()

#: A period as a checker reads it: the converted value, its days with its first and last day,
#: and its first and last day alone.
PeriodEntry = tuple[Any, tuple[frozenset[dt.date], dt.date, dt.date], tuple[dt.date, dt.date]]

#: At most this many periods are remembered by one checker (each with its days).
KNOWN_PERIODS = 512


def period_reader(
    convert: Callable[[Any], Any],
) -> tuple[dict[str, PeriodEntry], Callable[[Any], PeriodEntry]]:
    """The periods a checker has read, and how it reads one it has not: ``convert`` (the reference
    converter, which raises on anything but a period) and then the days of that period.

    A checker looks a ``str`` period up first (one dictionary lookup instead of the converter and
    the period's bounds on every record) and checks ``in_period`` dates by membership in its days,
    which for a ``date`` is the same as lying between its first and last day."""
    known: dict[str, PeriodEntry] = {}

    def learn(raw: Any) -> PeriodEntry:
        period = convert(raw)
        first, last = period_bounds(period)
        days = frozenset(first + dt.timedelta(days=d) for d in range((last - first).days + 1))
        entry = (period, (days, first, last), (first, last))
        if type(raw) is str and len(known) < KNOWN_PERIODS:
            known[raw] = entry
        return entry

    return known, learn


def _as_is(value: Any) -> Any:
    return value


#: No number of an input has this many digits before the decimal point (nor, for
#: decimals and rates, after it): sums of a month's inputs stay exact in 34 digits.
INPUT_DIGITS = 15
LIMIT = Decimal(10) ** INPUT_DIGITS


def limits(spec: InputField) -> tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None]:
    """The ``ge, gt, le, lt`` bounds of a number field: as declared, and inside ±10^15 when
    no declared bound is tighter."""
    ge, gt, le, lt = spec.ge, spec.gt, spec.le, spec.lt
    if not (le is not None and le < LIMIT) and not (lt is not None and lt <= LIMIT):
        lt = LIMIT
    if not (ge is not None and ge > -LIMIT) and not (gt is not None and gt >= -LIMIT):
        gt = -LIMIT
    return ge, gt, le, lt


def in_period(spec: InputField) -> bool:
    """Whether ``spec`` or any field inside it is a date that must fall in the period."""
    inner = [spec.of, spec.values, *(spec.fields or {}).values()]
    return spec.in_period or any(in_period(s) for s in inner if s is not None)


def build_fast_validator(
    fields: dict[str, InputField],
    converter: Callable[[InputField], Callable[[Any], Any]],
    defaults: Mapping[str, Callable[[], Any]],
    places: int,
    *,
    canonical: bool = False,
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A checker for ``fields``; ``converter`` gives the reference converter of a money,
    decimal, date or period field, and ``defaults`` the default factories of top-level names.

    A ``canonical`` checker converts nothing: it accepts only values already in the
    form the converters return (``Decimal`` money with exactly the ruleset's places,
    ``date`` objects), which payroll scripts that build inputs in Python pass, and
    copies records instead of rebuilding them.  Anything else goes to the converting one.
    """
    gen = _Gen(converter, places, canonical)
    gen.emit(0, "def check(raw):")
    gen.emit(1, "try:")
    gen.has_period = "period" in fields and fields["period"].type == "period"
    dated = any(in_period(spec) for spec in fields.values())
    if gen.has_period or dated:
        # the period, converted and with its days, from the periods this checker has already read
        known, learn = period_reader(converter(fields["period"]) if gen.has_period else _as_is)
        gen.emit(2, "_pk = raw['period']")
        gen.emit(2, f"_pb = {gen.name(known)}.get(_pk) if type(_pk) is str else None")
        gen.emit(2, f"if _pb is None: _pb = {gen.name(learn)}(_pk)")
    if dated:  # the days of the period, its first and last
        gen.emit(2, "_days, _lo, _hi = _pb[1]" if canonical else "_lo, _hi = _pb[2]")
    gen.emit(2, f"if type(raw) is dict and len(raw) == {len(fields)}:  # every field given")
    out = gen.record(fields, "raw", 3, "", sized=True)
    gen.emit(3, f"return {out}")
    out = gen.record(fields, "raw", 2, "", defaults)
    gen.emit(2, f"return {out}")
    gen.emit(1, "except Exception:")
    gen.emit(2, "raise Slow from None")
    source = "\n".join(gen.lines) + "\n"
    code = compile(source, "<cmrules input checker>", "exec")
    exec(code, gen.ns)  # generated from the declared schema only; see module docstring
    check: Callable[[dict[str, Any]], dict[str, Any]] = gen.ns["check"]
    return check
