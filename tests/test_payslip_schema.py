"""The shipped pay-slip JSON Schema, checked with jsonschema (if installed) and by hand.

The schema is generated from the types of the slip's JSON form (``cmrules.slip.SlipJSON``);
the shipped file must equal the generated one, and real slips must fit the types.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from importlib import resources
from typing import Any, get_args

import pytest
from pydantic import TypeAdapter
from real_slips import bar_slip, case_slips

from cmrules.outputs.render._common import NOTICE_KIND_LABELS
from cmrules.slip import SlipJSON, slip_json_schema
from cmrules.slip._lines import carry_notice
from cmrules.slip._schema import schema_text
from cmrules.spec._model import NoticeKind, SlipCategory

SHIPPED = {
    "bank_client_manager",
    "bar_customer_manager",
    "duty_manager_checklist",
    "sales_contest",
    "securities_client_manager",
    "bar_net_pay",
    "cn_monthly_wage",
}


def _schema() -> dict[str, Any]:
    text = resources.files("cmrules").joinpath("payslip.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@pytest.fixture
def slip() -> dict[str, Any]:
    return bar_slip()


# A small validator for exactly the keywords the schema uses, so this test still fails
# on a bad slip where jsonschema is not installed.
_KNOWN = {
    "$schema", "$id", "$defs", "$ref", "title", "description", "type", "properties",
    "required", "additionalProperties", "items", "enum", "pattern", "minLength", "minimum",
    "anyOf",
}  # fmt: skip
_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float | Decimal) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _keywords(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            if key in ("properties", "$defs"):
                for sub in value.values():
                    found |= _keywords(sub)
            elif key in ("items", "additionalProperties") and isinstance(value, dict):
                found |= _keywords(value)
            elif key == "anyOf":
                for sub in value:
                    found |= _keywords(sub)
    return found


def _errors(value: Any, node: dict[str, Any], root: dict[str, Any], at: str = "$") -> list[str]:
    if "$ref" in node:
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return _errors(value, target, root, at)
    errors: list[str] = []
    if "type" in node:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        if not any(_TYPES[t](value) for t in types):
            return [f"{at}: not {node['type']}"]
    if "enum" in node and value not in node["enum"]:
        errors.append(f"{at}: {value!r} not in enum")
    if "anyOf" in node and all(_errors(value, sub, root, at) for sub in node["anyOf"]):
        errors.append(f"{at}: matches no alternative")
    if isinstance(value, str):
        if "pattern" in node and not re.search(node["pattern"], value, re.ASCII):
            errors.append(f"{at}: {value!r} does not match {node['pattern']}")
        if len(value) < node.get("minLength", 0):
            errors.append(f"{at}: too short")
    if _TYPES["number"](value) and "minimum" in node and value < node["minimum"]:
        errors.append(f"{at}: below minimum")
    if isinstance(value, dict):
        properties = node.get("properties", {})
        errors += [f"{at}: missing {key!r}" for key in node.get("required", []) if key not in value]
        for key, item in value.items():
            if key in properties:
                errors += _errors(item, properties[key], root, f"{at}.{key}")
            elif node.get("additionalProperties", True) is False:
                errors.append(f"{at}: unexpected {key!r}")
    if isinstance(value, list) and "items" in node:
        for index, item in enumerate(value):
            errors += _errors(item, node["items"], root, f"{at}[{index}]")
    return errors


def hand_check(slip: Any) -> list[str]:
    schema = _schema()
    return _errors(slip, schema, schema)


def _set(path: str, value: Any) -> Callable[[dict], None]:
    def mutate(slip: dict) -> None:
        *parents, last = path.split(".")
        node: Any = slip
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DELETE:
            del node[last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return mutate


_DELETE = object()

BAD = {
    "missing totals.net": _set("totals.net", _DELETE),
    "extra top-level key": _set("extra", 1),
    "extra key in ruleset": _set("ruleset.title", "x"),
    "extra key in line": _set("lines.0.note", "x"),
    "extra key in totals": _set("totals.gross", "1.00"),
    "amount with separators": _set("lines.0.amount", "3,000.00"),
    "amount as number": _set("lines.0.amount", 3000),
    "amount with exponent": _set("totals.net", "3.11E+3"),
    "unknown category": _set("lines.0.category", "bonus"),
    "label without en": _set("lines.0.label", {"zh": "底薪"}),
    "negative item index": _set("lines.2.item", {"index": -1, "value": 12}),
    "item without value": _set("lines.2.item", {"index": 0}),
    "short sha256": _set("ruleset.sha256", "abc"),
    "bad period": _set("period", "2024-5"),
    "lowercase currency": _set("currency", "cny"),
    "unknown notice kind": _set("notices.0.kind", "threat"),
    "trace line not int": _set("trace.1.lines", ["0"]),
    "extra key in trace": _set("trace.0.when", "x"),
}

GOOD = {
    "any fact": _set("facts.anything", {"nested": [1, "2", None]}),
    "any item value": _set("lines.4.item", {"index": 0, "value": [1, {"a": None}]}),
    "any trace read": _set("trace.0.read", {"x": [1, 2], "y": None}),
    "no trace": _set("trace", _DELETE),
    "no lines (a summary)": _set("lines", _DELETE),
    "notice without rule": _set("notices.0.rule_id", None),
    "whole-number amount": _set("totals.carry_forward", "0"),
}


def test_schema_uses_only_keywords_the_hand_check_knows() -> None:
    assert _keywords(_schema()) <= _KNOWN


def test_real_slip_passes_hand_check(slip: dict) -> None:
    assert hand_check(slip) == []


def test_schema_enums_follow_the_language() -> None:
    """Notice kinds are the ruleset language's plus the engine's own carry-forward notice."""
    defs = _schema()["$defs"]
    kinds = set(get_args(NoticeKind)) | {carry_notice(Decimal("1.00")).kind}
    assert set(defs["notice"]["properties"]["kind"]["enum"]) == kinds
    assert defs["line"]["properties"]["category"]["enum"] == list(get_args(SlipCategory))  # rules' + caps'
    assert set(NOTICE_KIND_LABELS) == kinds  # the renderers name every kind in zh and en


@pytest.mark.slow
def test_every_shipped_ruleset_makes_valid_slips() -> None:
    """The slip of every YAML case shipped beside the five rulesets, against the schema."""
    slips = case_slips()
    assert {s["ruleset"]["id"] for s in slips} == SHIPPED
    kinds = {n["kind"] for s in slips for n in s["notices"]}
    assert {"score", "prize", "grade", "ultimatum", "compliance", "carry_forward"} <= kinds
    failed = {f"{s['ruleset']['id']} {s['employee']}": hand_check(s) for s in slips}
    assert {k: v for k, v in failed.items() if v} == {}
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(_schema())
    invalid = {
        f"{s['ruleset']['id']} {s['employee']}": [e.message for e in validator.iter_errors(s)] for s in slips
    }
    assert {k: v for k, v in invalid.items() if v} == {}


def test_real_slip_is_consistent(slip: dict) -> None:
    amounts = [Decimal(line["amount"]) for line in slip["lines"]]
    totals = {k: Decimal(v) for k, v in slip["totals"].items()}
    assert totals["earnings"] == sum(a for a in amounts if a > 0)
    assert totals["deductions"] == sum(a for a in amounts if a < 0)  # negative, like the lines
    assert totals["net"] - totals["carry_forward"] == totals["earnings"] + totals["deductions"]
    assert all(index < len(slip["lines"]) for t in slip["trace"] for index in t["lines"])


@pytest.mark.parametrize("name", sorted(BAD))
def test_hand_check_rejects(slip: dict, name: str) -> None:
    BAD[name](slip)
    assert hand_check(slip) != []


@pytest.mark.parametrize("name", sorted(GOOD))
def test_hand_check_accepts(slip: dict, name: str) -> None:
    GOOD[name](slip)
    assert hand_check(slip) == []


def test_jsonschema_agrees(slip: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = _schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert [e.message for e in validator.iter_errors(slip)] == []
    for name, mutate in BAD.items():
        bad = copy.deepcopy(slip)
        mutate(bad)
        assert list(validator.iter_errors(bad)), name
    for name, mutate in GOOD.items():
        good = copy.deepcopy(slip)
        mutate(good)
        assert [e.message for e in validator.iter_errors(good)] == [], name


# ---------------------------------------------------------------------------- generated from the types


def test_shipped_schema_is_generated_from_the_types() -> None:
    shipped = resources.files("cmrules").joinpath("payslip.schema.json").read_text(encoding="utf-8")
    assert shipped == schema_text(), "regenerate: cmrules schema > src/cmrules/payslip.schema.json"
    assert json.loads(shipped) == slip_json_schema()


def test_schema_command_prints_the_schema() -> None:
    command = [sys.executable, "-m", "cmrules", "schema"]
    done = subprocess.run(command, capture_output=True, check=True, timeout=60)
    assert done.stdout == schema_text().encode("utf-8")
    assert done.stderr == b""


def test_generated_schema_names_and_closes_every_object() -> None:
    schema = slip_json_schema()
    assert list(schema)[:4] == ["$schema", "$id", "title", "description"]
    assert set(schema["$defs"]) == {
        "amount", "balance", "item", "line", "non_positive_amount", "notice", "ruleset", "text", "totals",
        "trace_entry",
    }  # fmt: skip
    objects = [schema, *(d for d in schema["$defs"].values() if d.get("type") == "object")]
    assert all(node["additionalProperties"] is False for node in objects)
    assert "title" not in json.dumps(schema["$defs"])  # pydantic's generated titles are dropped


def test_real_slips_fit_the_types() -> None:
    """Every slip of the shipped cases validates strictly against ``SlipJSON`` (no extra keys)."""
    adapter = TypeAdapter(SlipJSON)
    for slip in case_slips():
        assert adapter.validate_python(slip, strict=True) == slip


def test_the_types_reject_what_the_schema_rejects(slip: dict) -> None:
    adapter = TypeAdapter(SlipJSON)
    for name in ("extra key in line", "amount as number", "unknown notice kind", "short sha256"):
        bad = copy.deepcopy(slip)
        BAD[name](bad)
        with pytest.raises(ValueError):
            adapter.validate_python(bad, strict=True)


def test_deductions_are_negative_in_the_json_and_the_schema_says_so(slip: dict) -> None:
    """One sign convention: totals.deductions is signed like the deduction lines it adds up."""
    assert slip["totals"]["deductions"] == "-900.00"
    schema = slip_json_schema()
    totals = schema["$defs"]["totals"]
    assert "negative" in totals["properties"]["deductions"]["description"]
    assert "negative" in schema["description"] and "totals.deductions" in schema["description"]
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(slip)
    positive = {**slip, "totals": {**slip["totals"], "deductions": "900.00"}}
    assert [e.message for e in validator.iter_errors(positive)]
    nothing = {**slip, "totals": {**slip["totals"], "deductions": "0.00"}}
    validator.validate(nothing)
