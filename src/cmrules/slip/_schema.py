"""The pay slip's JSON Schema, generated from the types of its JSON form.

The shipped ``cmrules/payslip.schema.json`` is this module's output and is never
edited by hand; after changing a type in :mod:`cmrules.slip._json`, regenerate it::

    cmrules schema > src/cmrules/payslip.schema.json

(``tests/test_payslip_schema.py`` fails while the shipped file differs.)
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import TypeAdapter

from cmrules.slip._json import SlipJSON

__all__ = ["SCHEMA_ID", "schema_text", "slip_json_schema"]

SCHEMA_ID = "urn:cmrules:payslip:1"
_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_TITLE = "cmrules pay slip"
#: The def of a JSON value of any shape (pydantic's ``JsonValue``): inlined as ``{}``.
_ANY = "JsonValue"


def _def_name(name: str) -> str:
    """``TraceEntryJSON`` -> ``trace_entry``: the schema names a def after its type."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.removesuffix("JSON")).lower()


def _clean(node: Any, names: dict[str, str]) -> Any:
    """``node`` without generated titles, with defs renamed and any-value refs inlined."""
    if isinstance(node, list):
        return [_clean(item, names) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and value == f"#/$defs/{_ANY}":
            continue
        if key == "$ref":
            out[key] = "#/$defs/" + names[value.removeprefix("#/$defs/")]
        elif key in ("properties", "$defs"):
            out[key] = {names.get(k, k) if key == "$defs" else k: _clean(v, names) for k, v in value.items()}
        elif key == "description":
            out[key] = " ".join(value.split())
        elif key != "title":
            out[key] = _clean(value, names)
    if out.get("additionalProperties") == {}:
        del out["additionalProperties"]  # any value, as without the keyword
    return out


def slip_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a slip's JSON form, :class:`~cmrules.slip.SlipJSON`.

    Generated with pydantic from the types; their docstrings are the descriptions, defs are
    named after the types (``LineJSON`` -> ``line``), every object is closed.
    """
    raw = TypeAdapter(SlipJSON).json_schema()
    defs = {k: v for k, v in raw.pop("$defs", {}).items() if k != _ANY}
    names = {k: _def_name(k) for k in defs}
    body = _clean(raw, names)
    head = {"$schema": _DIALECT, "$id": SCHEMA_ID, "title": _TITLE, "description": body.pop("description")}
    return {**head, **body, "$defs": _clean({"$defs": defs}, names)["$defs"]}


def schema_text() -> str:
    """:func:`slip_json_schema` as the shipped file holds it: indented JSON and a final newline."""
    return json.dumps(slip_json_schema(), indent=2, ensure_ascii=False) + "\n"
