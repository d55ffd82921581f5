"""Numbers, dates and periods written as text, read strictly.

Files give every value as text, and a lenient reading pays the wrong amount without
a word: ``"41000,50"`` (a decimal comma) must not become 4,100,050.00, ``"３０００"``
(full-width digits) must not pass for 3000, ``"20240503"`` is not obviously a date,
and ``"2024-05\\n"`` is not a period. Each reader here accepts one plain form (ASCII
digits, a comma only between groups of three digits, dates ``YYYY-MM-DD`` or the
``YYYY/M/D`` Chinese Excel writes) and raises :class:`ValueError` with a sentence
that says what is wrong, naming the offending character.

``re`` and ``datetime`` do not do this by themselves: ``\\d`` matches any Unicode
digit, ``$`` matches before a trailing newline, ``Decimal`` reads Arabic-Indic
digits, and ``date.fromisoformat`` accepts ``20240503`` and ISO week dates.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal

__all__ = ["PERIOD_RE", "FloatLiteral", "date_text", "number_text", "period_text"]

#: A pay period ``YYYY-MM`` (ASCII digits, years 0001–9998, nothing after it).
PERIOD_RE = re.compile(r"(?!0000|9999)\d{4}-(0[1-9]|1[0-2])\Z", re.ASCII)


class FloatLiteral(str):
    """The source text of a float literal (``"1.5"``) in a data file, kept so money is never a float.

    The readers of :mod:`cmrules.sources` produce it; the validators refuse it where an exact
    number is required (``input.float``) while still quoting the text.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"FloatLiteral({str.__repr__(self)})"


_PLAIN = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", re.ASCII)
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_SLASH_DATE = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})", re.ASCII)
#: A month as HR writes it besides ``YYYY-MM``: ``2024/5``, ``2024.05``, ``2024年5月``, ``202405``.
_MONTH_LIKE = re.compile(r"(\d{4})(?:(?:[-/.]|年)(\d{1,2})月?|(\d{2}))", re.ASCII)
_BLANK = " \t"
_COMMA = (
    "a comma is read only as a thousands separator between groups of three digits "
    "(41,000.50); write the decimal point as '.'"
)


def _foreign(text: str) -> str | None:
    """A sentence naming the first character that is not printable ASCII, if any."""
    for ch in text:
        if not (" " <= ch <= "~"):
            name = unicodedata.name(ch, "") or "a control character"
            return f"contains {ch!r} (U+{ord(ch):04X}, {name}): write it with ASCII characters only"
    return None


def number_text(text: str) -> Decimal:
    """A number written ``12345.67``, ``12,345.67``, ``-3`` or ``1E-3`` (blanks around it allowed)."""
    body = text.strip(_BLANK)
    if _PLAIN.fullmatch(body):  # the common case; an ASCII pattern, so nothing foreign in it
        return Decimal(body)
    if _GROUPED.fullmatch(body):
        return Decimal(body.replace(",", ""))
    raise ValueError(_foreign(body) or (_COMMA if "," in body else "not a number"))


def period_text(text: str) -> str:
    """A period ``YYYY-MM``, exactly (a date is refused saying what a period is)."""
    if isinstance(text, str) and PERIOD_RE.match(text):
        return text
    if isinstance(text, dt.datetime):  # readers take the 1st at 00:00 as its month
        raise ValueError("expected a month like 2024-05, not a date and time (the 1st at 00:00 is its month)")
    if isinstance(text, dt.date):  # readers take the 1st as its month
        raise ValueError("expected a month like 2024-05, not a date (a date on the 1st is its month)")
    if not isinstance(text, str):
        raise ValueError("expected a period YYYY-MM")
    raise ValueError(_month_hint(text) or _foreign(text) or "expected a period YYYY-MM (years 0001 to 9998)")


def _month_hint(text: str) -> str | None:
    """Why ``text``, a month as HR or Excel writes it (``2024/5``, ``2024年5月``, ``202405``, or
    the date on the month's 1st), is not a period, with the spelling to use; None for other text.

    Only the message changes: such text stays refused, because the duplicate check compares the
    period's text, so one month must have one spelling."""
    body = text.strip(_BLANK)
    found = _MONTH_LIKE.fullmatch(body)
    if found is None:
        dated = _ISO_DATE.fullmatch(body) or _SLASH_DATE.fullmatch(body)
        if dated is None or int(dated.group(3)) != 1:
            return None
        year, month = int(dated.group(1)), int(dated.group(2))
        if 1 <= year <= 9998 and 1 <= month <= 12:
            return f"expected a period YYYY-MM, not the date {text}: write {year:04d}-{month:02d}"
        return None
    year, month = int(found.group(1)), int(found.group(2) or found.group(3))
    if 1 <= year <= 9998 and 1 <= month <= 12:
        return f"expected a period YYYY-MM: write it as {year:04d}-{month:02d}"
    return None


def date_text(text: str) -> dt.date:
    """A date ``YYYY-MM-DD``, or ``YYYY/M/D`` as Chinese Excel writes it."""
    found = _ISO_DATE.fullmatch(text) or _SLASH_DATE.fullmatch(text)
    if found is None:
        raise ValueError(_foreign(text) or "expected a date YYYY-MM-DD (or YYYY/M/D)")
    year, month, day = (int(part) for part in found.groups())
    if not 1 <= month <= 12:
        raise ValueError(f"not a date: month {month} does not exist")
    if year == 0:
        raise ValueError("not a date: year 0 does not exist")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"not a date: day {day} does not exist in {year:04d}-{month:02d}") from None
