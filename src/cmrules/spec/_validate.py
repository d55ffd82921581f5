"""Validate a document against the language's models, every problem located.

A problem inside one entry (a parameter, input, fact, table, tier, rule or
invariant) does not hide the others: the document is validated again without the
broken entries, so their neighbours can still be compiled and checked, and the
names of the broken ones are returned so that their readers are not reported as
reading unknown names. A problem of the header key that nothing depends on (``id``,
``title``, the dates …) is stood in for; one of ``rounding`` (money places depend on
it), or a section of the wrong shape, stops there: nothing after it is sound.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import ValidationError

from cmrules._yaml import Located
from cmrules.errors import IssueSink
from cmrules.spec._model import RulesetDoc

_PYDANTIC_CODES = {
    "extra_forbidden": "schema.unknown_key",
    "missing": "schema.missing_key",
    "literal_error": "schema.value",
    "string_pattern_mismatch": "schema.value",
    "greater_than_equal": "schema.value",
    "less_than_equal": "schema.value",
    "too_short": "schema.value",
    "value_error": "schema.value",
    "date_from_datetime_inexact": "schema.value",
}
_NAMED = ("parameters", "inputs", "facts", "tables", "tiers", "items", "balances")  # name -> entry
_LISTED = ("rules", "invariants", "caps", "checks")  # sections of entries in a list
#: Header keys that no check of the rest depends on, with a stand-in for the required ones.
_INERT = ("cmrules", "description", "currency", "references", "effective_to", "include")
_STAND_INS: dict[str, Any] = {
    "id": "invalid",
    "version": "invalid",
    "title": {"zh": "?", "en": "?"},
    "effective_from": dt.date(2000, 1, 1),
}


@dataclass(frozen=True)
class Validated:
    """A document whose broken entries (reported) are left out, and what to check it with."""

    doc: RulesetDoc
    located: Located  # positions of the document without the broken entries
    broken: frozenset[str]  # names and rule ids declared by broken entries


def validate(data: dict[str, Any], located: Located, sink: IssueSink) -> Validated | None:
    """The validated document, or None when its header is broken (problems are in ``sink``)."""
    broken: set[str] = set()
    # the document's own checks run once its fields are valid, and a repaired entry is validated
    # again: a few rounds
    for _ in range(6):
        try:
            return Validated(RulesetDoc.model_validate(data), located, frozenset(broken))
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
        _report(errors, data, located, sink)
        errors = [err for err in errors if not _repair(err, data)]
        if not errors:
            continue
        pruned = _prune(errors, data, located, broken)
        if pruned is None:
            return None
        data, located = pruned
    return None


def _repair(err: Any, data: dict[str, Any]) -> bool:
    """Mend ``data`` where ``err`` (already reported) is, so that the entry it is in is still checked
    (its expressions, the names it declares) and nothing that reads it is reported as reading an
    unknown name: an unknown key is removed, a value outside its choices becomes the first choice.
    False (nothing changed) when it cannot be mended this way; the entry is then left out."""
    loc = tuple(err["loc"])
    if len(loc) < 3 or _entry(loc) is None or not all(isinstance(p, (str, int)) for p in loc):
        return False  # a header key, or an entry as a whole (its own checks)
    parent: Any = data
    for part in loc[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return False
    if not isinstance(parent, dict) or loc[-1] not in parent:
        return False
    if err["type"] == "extra_forbidden":
        del parent[loc[-1]]
        return True
    choices = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
    if err["type"] == "literal_error" and choices:
        parent[loc[-1]] = choices[0]
        return True
    return False


def _prune(
    errors: list[Any], data: dict[str, Any], located: Located, broken: set[str]
) -> tuple[dict[str, Any], Located] | None:
    """``data`` without the entries the errors are in (their names added to ``broken``), or
    None when an error is in the header."""
    found = [_entry(tuple(err["loc"])) for err in errors]
    entries = [entry for entry in found if entry is not None]
    if len(entries) < len(found):
        return None
    pruned = {k: v for k, v in data.items() if (k, None) not in entries}
    pruned |= {k: v for k, v in _STAND_INS.items() if (k, None) in entries}
    for section, key in entries:
        if section in _NAMED and key is not None:
            pruned[section] = {k: v for k, v in pruned[section].items() if k != key}
            broken.add(key)
    for section in _LISTED:
        dropped = {key for s, key in entries if s == section and key is not None}
        if dropped:
            items = data[section]
            for n in dropped:  # a broken rule's id: 'lines.<id>' and forfeits of it are not reported
                rule_id = items[n].get("id") if isinstance(items[n], dict) else None
                if isinstance(rule_id, str):
                    broken.add(rule_id)
            pruned[section] = [item for n, item in enumerate(items) if n not in dropped]
            located = located.without(section, dropped)
    return pruned, located


def _entry(loc: tuple[Any, ...]) -> tuple[str, Any] | None:
    """What a problem is inside: an entry (its section and key or index), a header key
    that nothing else depends on (the key and None), or None for the rest of the header.
    The dates' own check (``effective_to`` before ``effective_from``) is on ``effective_to``."""
    if not loc:
        return "effective_to", None
    if len(loc) >= 2 and (
        (loc[0] in _NAMED and isinstance(loc[1], str)) or (loc[0] in _LISTED and isinstance(loc[1], int))
    ):
        return loc[0], loc[1]
    if loc[0] in _INERT or loc[0] in _STAND_INS:
        return loc[0], None
    return None


def _report(errors: list[Any], data: dict[str, Any], located: Located, sink: IssueSink) -> None:
    for err in errors:
        loc = tuple(err["loc"])
        code = _PYDANTIC_CODES.get(err["type"], "schema.type")
        rule_id = _rule_id(data, loc)
        if code == "schema.unknown_key":
            line, col = located.key_at(loc)
            message = f"unknown key '{loc[-1]}'" + _where(loc[:-1]) + _did_you_mean(loc)
        elif code == "schema.missing_key":
            line, col = located.at(loc[:-1])
            message = f"missing key '{loc[-1]}'" + _where(loc[:-1])
        else:
            line, col = located.at(loc)
            message = f"{_where(loc, lead='')}: {err['msg']}".lstrip(": ")
            if err["type"] == "literal_error":
                choices = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
                close = difflib.get_close_matches(str(err.get("input")), choices, n=1, cutoff=0.6)
                message += f"; did you mean '{close[0]}'?" if close else ""
        sink.add(code, message, line, col, rule_id)


def _where(loc: tuple[Any, ...], lead: str = " in ") -> str:
    shown = ".".join(str(p) for p in loc if not isinstance(p, str) or not p.startswith("function"))
    return f"{lead}{shown}" if shown else ""


def _rule_id(data: dict[str, Any], loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] in ("rules", "caps") and isinstance(loc[1], int):
        rules = data.get(loc[0])
        if isinstance(rules, list) and loc[1] < len(rules) and isinstance(rules[loc[1]], dict):
            rid = rules[loc[1]].get("id")
            return rid if isinstance(rid, str) else None
    return None


def _did_you_mean(loc: tuple[Any, ...]) -> str:
    """``; did you mean 'amount'?`` for the unknown key at ``loc``, when a known key there is close."""
    close = difflib.get_close_matches(str(loc[-1]), _keys_at(loc[:-1]), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


@cache
def _schema() -> dict[str, Any]:
    return RulesetDoc.model_json_schema()


def _keys_at(loc: tuple[Any, ...]) -> list[str]:
    """The keys the language defines for the mapping at ``loc`` (from the models' JSON schema)."""
    schema = _schema()
    defs = schema.get("$defs", {})

    def alternatives(node: dict[str, Any]) -> list[dict[str, Any]]:
        if "$ref" in node:
            return alternatives(defs[node["$ref"].rsplit("/", 1)[-1]])
        subs = node.get("anyOf", []) + node.get("oneOf", []) + node.get("allOf", [])
        return [alt for sub in subs for alt in alternatives(sub)] if subs else [node]

    nodes = [schema]
    for part in loc:
        nxt: list[dict[str, Any]] = []
        for node in (alt for n in nodes for alt in alternatives(n)):
            if isinstance(part, int) and isinstance(node.get("items"), dict):
                nxt.append(node["items"])
            elif isinstance(part, str) and part in node.get("properties", {}):
                nxt.append(node["properties"][part])
            elif isinstance(part, str) and isinstance(node.get("additionalProperties"), dict):
                nxt.append(node["additionalProperties"])
        nodes = nxt
    return sorted({key for n in nodes for alt in alternatives(n) for key in alt.get("properties", {})})
