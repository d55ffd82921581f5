"""Checking a durable-rules JSON ruleset before it reaches the C core, and the field names it claims.

Only single-fact conditions that compare a field with a constant pass
(:func:`compile_rule`): a multi-key condition silently tests one key only, the
operator-inside form ``{"n": {"$gte": 1}}`` silently matches every fact, ``$nex``
matches the engine's own state fact, ``$div`` by zero kills the process, and
values of different JSON types are compared after ad-hoc coercion, so each field
gets one type.  Field names are identified by a 32-bit hash in the engine:
:class:`FieldNames` refuses two names with one hash, process-wide.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cmrules.engines._durable_core import fnv1_32, value_kind

__all__ = ["RESERVED_FIELDS", "SENTINEL", "FieldNames", "compile_rule"]

#: The hidden rule name and fact field of every session's sentinel.
SENTINEL = "cmrules_sentinel__"
#: Field names the engine or the host uses itself.
RESERVED_FIELDS = ("sid", "id", "$s", SENTINEL)

_FIELD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
_RULE_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}\Z")
_MAX_DEPTH = 16
_ORDER_OPS = ("$gt", "$gte", "$lt", "$lte")
_EQ_OPS = ("$eq", "$neq")
_BOOL_OPS = ("$and", "$or")


class FieldNames:
    """The field names in use in this process, by their 32-bit engine hash (no two may share one)."""

    def __init__(self, reserved: Iterable[str]) -> None:
        self._field_hash: dict[str, int] = {}
        self._hash_owner: dict[int, str] = {}
        for name in reserved:
            self.claim(name, name)

    def __contains__(self, field: object) -> bool:
        return field in self._field_hash

    def check(self, field: Any, where: str) -> None:
        """Refuse an invalid or reserved name, or one whose hash another name has claimed."""
        if not isinstance(field, str) or not _FIELD_RE.match(field):
            raise ValueError(f"{where}: invalid field name {field!r} (need {_FIELD_RE.pattern})")
        if field in RESERVED_FIELDS:
            raise ValueError(f"{where}: field name {field!r} is reserved")
        owner = self._hash_owner.get(fnv1_32(field))
        if owner is not None and owner != field:
            raise ValueError(f"{where}: field {field!r} has the same 32-bit engine hash as {owner!r}")

    def claim(self, field: str, where: str) -> None:
        """Claim ``field``'s hash for it (``ValueError`` when another name holds the hash)."""
        if field in self._field_hash:
            return
        h = fnv1_32(field)
        owner = self._hash_owner.get(h)
        if owner is not None and owner != field:
            raise ValueError(f"{where}: field {field!r} has the same engine hash as {owner!r}")
        self._hash_owner[h] = field
        self._field_hash[field] = h


def compile_rule(
    rs_name: str, rule_name: Any, body: Any, field_types: dict[str, str], names: FieldNames
) -> dict[str, Any]:
    """The checked form of one rule ``{"all": [{"m": <condition>}]}`` (+ ``"pri"``).

    Records each field's type (int, str or bool) in ``field_types``; raises
    ``ValueError`` or ``TypeError`` for anything the engine would get wrong.
    """
    where = f"ruleset {rs_name!r}, rule {rule_name!r}"
    if not isinstance(rule_name, str) or not _RULE_RE.match(rule_name):
        raise ValueError(f"{where}: rule names must match {_RULE_RE.pattern}")
    if rule_name == SENTINEL:
        raise ValueError(f"{where}: the rule name is reserved")
    if not isinstance(body, Mapping) or "all" not in body or set(body) - {"all", "pri"}:
        raise ValueError(f'{where}: expected {{"all": [{{"m": <condition>}}]}} (+ "pri")')
    out: dict[str, Any] = {}
    if "pri" in body:
        pri = body["pri"]
        if isinstance(pri, bool) or not isinstance(pri, int) or not 0 <= pri <= 2**31 - 1:
            raise ValueError(f"{where}: pri must be a non-negative int")
        out["pri"] = pri
    terms = body["all"]
    if (
        not isinstance(terms, Sequence)
        or isinstance(terms, str)
        or len(terms) != 1
        or not isinstance(terms[0], Mapping)
        or list(terms[0]) != ["m"]
    ):
        raise ValueError(
            f'{where}: "all" must hold exactly one {{"m": <condition>}} '
            "(joins across facts are not supported)"
        )
    out["all"] = [{"m": _compile_cond(terms[0]["m"], field_types, where, 0, names)}]
    return out


def _compile_cond(
    cond: Any, field_types: dict[str, str], where: str, depth: int, names: FieldNames
) -> dict[str, Any]:
    if depth > _MAX_DEPTH:
        raise ValueError(f"{where}: conditions nested deeper than {_MAX_DEPTH}")
    if not isinstance(cond, Mapping) or len(cond) != 1:
        raise ValueError(
            f"{where}: each condition must be a dict with exactly one key "
            f"(a multi-key dict silently tests only one of them), got {cond!r}"
        )
    ((key, arg),) = cond.items()
    if key in _BOOL_OPS:
        if not isinstance(arg, Sequence) or isinstance(arg, str) or not arg:
            raise ValueError(f"{where}: {key} needs a non-empty list of conditions")
        return {key: [_compile_cond(c, field_types, where, depth + 1, names) for c in arg]}
    if key in _ORDER_OPS or key in _EQ_OPS:
        if not isinstance(arg, Mapping) or len(arg) != 1:
            raise ValueError(f'{where}: expected {{"{key}": {{"field": <constant>}}}}')
        ((field, value),) = arg.items()
        kind = _typed_field(field, value, field_types, where, names)
        if key in _ORDER_OPS and kind != "int":
            raise ValueError(f"{where}: {key} compares ints only ({field!r} is {kind})")
        return {key: {field: value}}
    if isinstance(key, str) and key.startswith("$"):
        raise ValueError(
            f"{where}: operator {key!r} is not supported (allowed: $and $or $eq $neq $gt $gte $lt $lte)"
        )
    _typed_field(key, arg, field_types, where, names)
    return {key: arg}


def _typed_field(field: Any, value: Any, field_types: dict[str, str], where: str, names: FieldNames) -> str:
    names.check(field, where)
    if isinstance(value, Mapping | list | tuple):
        raise ValueError(
            f"{where}: field {field!r} must be compared with a constant; "
            "expressions, other facts and the value-side operator form are rejected"
        )
    kind = value_kind(value, f"{where}, field {field!r}")
    seen = field_types.setdefault(field, kind)
    if seen != kind:
        raise ValueError(f"{where}: field {field!r} is compared as both {seen} and {kind}")
    return kind
