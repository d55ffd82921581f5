"""A slip as the ledger keeps it: its JSON form at one level of detail, zlib-compressed or not.

The level (``Ledger(keep=)``) is ``lines`` by default: who, when, ruleset, notices, facts,
totals, balances and the lines with their explanations — everything ``cmrules run`` writes
to CSV, text, HTML, Excel or Parquet, and its JSON with ``--detail lines``. ``trace`` also
keeps every rule that fired with the values it read (about twice the bytes and time), and
``summary`` leaves the lines out. The JSON is ``PaySlip.to_dict(keep)`` in its own key order
(so an export is byte for byte what ``cmrules run`` writes) serialized by orjson; with
``compress`` (the default) it is stored zlib-compressed (level 1: most of the gain, least time).
"""

from __future__ import annotations

import zlib
from typing import Any

import orjson

from cmrules.errors import UsageError
from cmrules.slip import DETAILS, Detail, PaySlip

__all__ = ["KEEP_DEFAULT", "check_export", "check_keep", "pack", "unpack"]

#: The level of detail a ledger keeps unless told otherwise.
KEEP_DEFAULT: Detail = "lines"


def check_keep(keep: str) -> Detail:
    """``keep`` when it is a detail level (``UsageError`` otherwise)."""
    if keep not in DETAILS:
        raise UsageError(f"Ledger(keep={keep!r}): keep one of {', '.join(DETAILS)}")
    return keep


def pack(slip: PaySlip, keep: Detail, compress: bool) -> tuple[bytes, str, str]:
    """The stored body of ``slip``, its detail and its packing (``zlib`` or ``json``)."""
    body = orjson.dumps(slip.to_dict(keep))
    return (zlib.compress(body, 1), keep, "zlib") if compress else (body, keep, "json")


def unpack(body: bytes | str, packing: str) -> dict[str, Any]:
    """A stored slip read back as its JSON dict (rows of schema 1 are JSON text)."""
    if packing == "zlib":
        assert isinstance(body, bytes)
        body = zlib.decompress(body)
    data: dict[str, Any] = orjson.loads(body)
    return data


def check_export(kept: list[str], detail: str | None, fmt_default: Detail) -> Detail:
    """The level an export writes: ``detail``, else the format's default (``fmt_default``) when the
    slips keep that much, else the least level they keep; asking for more than they keep is refused."""
    least = min((DETAILS.index(k) for k in kept), default=len(DETAILS) - 1)
    if detail is None:
        return DETAILS[min(DETAILS.index(fmt_default), least)]
    if DETAILS.index(detail) > least:
        raise UsageError(
            f"this ledger kept the slips at detail {DETAILS[least]!r}: it cannot export {detail!r}"
            " (open it with Ledger(path, keep='trace') to keep the trace of later runs)"
        )
    return detail  # type: ignore[return-value]
