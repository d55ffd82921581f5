"""Loading durable-rules' C core, and what it can be given: its errors, hash and value kinds.

durable-rules is imported only here, and only when the host is first created:
:func:`load_engine` raises :class:`DurableUnavailable` saying why it cannot be
used (Python 3.13 or later, not installed, or a version the guards of
:mod:`cmrules.engines._durable_host` were not verified on).
"""

from __future__ import annotations

import importlib
import sys
from decimal import Decimal
from types import ModuleType
from typing import Any

__all__ = [
    "SUPPORTED_VERSIONS",
    "DurableEngineError",
    "DurableUnavailable",
    "fnv1_32",
    "load_engine",
    "value_kind",
]

#: durable-rules versions whose C internals the host's guards were verified on.
SUPPORTED_VERSIONS = frozenset({"2.0.28"})

_INT_MAX = 2**63 - 1  # JSON integers are parsed with atoll: saturate beyond this
_MAX_STR_BYTES = 65535


class DurableUnavailable(Exception):
    """durable-rules cannot be used in this interpreter (missing, unsupported)."""


class DurableEngineError(Exception):
    """The engine misbehaved, or an action callback failed, during a call."""

    def __init__(self, rule_name: str | None, message: str) -> None:
        self.rule_name = rule_name
        self.message = message
        where = f"rule {rule_name!r}: " if rule_name else ""
        super().__init__(f"{where}{message}")


def fnv1_32(text: str) -> int:
    """The C core's ``fnv1Hash32`` (``char`` is signed on x86-64 and arm64 Linux)."""
    h = 0x811C9DC5
    for byte in text.encode():
        if byte >= 0x80:
            byte |= 0xFFFFFF00  # sign extension of a negative char
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def load_engine() -> ModuleType:
    """Import the C module ``durable_rules_engine`` (:class:`DurableUnavailable` says why not)."""
    if sys.version_info >= (3, 13):
        v = "{}.{}".format(*sys.version_info[:2])
        raise DurableUnavailable(
            f"durable-rules does not support Python {v} (it fails to import on 3.13 "
            "and later); use Python 3.11 or 3.12 for the durable backend"
        )
    try:
        core = importlib.import_module("durable_rules_engine")  # C core of durable-rules
    except ImportError as exc:
        raise DurableUnavailable(
            f"durable-rules is not installed ({exc}); install it with: pip install 'cmrules[durable]'"
        ) from exc
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("durable-rules")
    except PackageNotFoundError:
        found = "unknown"
    if found not in SUPPORTED_VERSIONS:
        raise DurableUnavailable(
            f"durable-rules {found} is installed, but this backend is only verified "
            f"against {', '.join(sorted(SUPPORTED_VERSIONS))}; "
            "pip install 'durable-rules==2.0.28'"
        )
    return core


def value_kind(value: Any, where: str) -> str:
    """Classify a scalar as 'bool', 'int' or 'str'; refuse everything else."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        if not -_INT_MAX <= value <= _INT_MAX:
            raise ValueError(f"{where}: integer {value} is outside the signed 64-bit range")
        return "int"
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{where}: strings may not contain NUL characters")
        if len(value) > _MAX_STR_BYTES // 4 and len(value.encode()) > _MAX_STR_BYTES:
            raise ValueError(f"{where}: string longer than {_MAX_STR_BYTES} bytes")
        return "str"
    if isinstance(value, float | Decimal):
        raise TypeError(
            f"{where}: {type(value).__name__} {value!r} refused; the engine compares "
            "numbers as C long long / double, so pass money as integer minor units"
        )
    raise TypeError(f"{where}: unsupported value type {type(value).__name__}; use int, str or bool")
