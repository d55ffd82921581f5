"""Which rules fired and which did not, with the values they read: a slip's trace and its
``why_not``, rendered from the run's raw tuples only when someone reads them."""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, Any

from cmrules.compile._runtime import UNKNOWN
from cmrules.slip._json import json_value
from cmrules.slip._state import RunState

if TYPE_CHECKING:
    from cmrules.compile._program import Program

#: The rule index of a raw line, notice or trace tuple: what orders them by declaration.
rule_index = itemgetter(0)


def trace_entries(
    state: RunState, program: Program, raw_trace: list[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    """The rules (``fact:<id>`` for facts) that fired in firing order, with the values as they
    read them (Decimal, date, the input's own lists and dicts: the writer converts them once, in
    C, instead of copying each here) and the indexes of the lines each made."""
    rules = program.rules
    made: dict[tuple[int, int | None], list[int]] = {}
    for n, (r, _, index, _, _) in enumerate(sorted(state.raw_lines, key=rule_index)):
        made.setdefault((r, index), []).append(n)
    data, params, facts, names = state.data, state.params, state.facts, program.namespace
    out = []
    for r, index, values in raw_trace:
        rule = rules[r]
        read = {}
        for name, (kind, key) in zip(rule.trace_names, rule.trace_refs, strict=True):
            if kind == "input":
                read[name] = data[key]
            elif kind == "local":
                read[name] = values[key]
            elif kind == "fact":
                read[name] = facts[key]
            elif kind == "dated":
                read[name] = params[key]
            elif kind == "const":
                read[name] = names[key]
            else:
                read[name] = state.value((kind, key), values)
        entry = {"rule_id": rule.trace_id, "read": read, "lines": made.get((r, index), [])}
        if index is not None:
            entry["item"] = index
        out.append(entry)
    return out


def why_not(state: RunState, program: Program, raw_trace: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Every rule that did not fire, with its condition and the values it read.

    Names local to one element or ``let`` are not kept for rules that never
    fired; they are shown as ``"<per element>"``.
    """
    fired = {r for r, *_ in raw_trace}
    out = []
    for rule in program.rules:
        if rule.index in fired or rule.kind == "fact":
            continue
        values = {}
        for name, ref in zip(rule.when_names, rule.when_refs, strict=True):
            values[name] = "<per element>" if ref[0] == "local" else json_value(state.value(ref, ()))
        unknown = [n for n, v in values.items() if v is UNKNOWN]
        out.append(
            {
                "rule_id": rule.id,
                "when": " ".join((rule.when or "").split()),
                "for_each": rule.for_each,
                "values": {n: ("<unknown>" if v is UNKNOWN else v) for n, v in values.items()},
                "reason": (
                    f"facts {', '.join(unknown)} are unknown"
                    if unknown
                    else "no element of the list satisfied the condition"
                    if rule.for_each
                    else "the condition is false"
                ),
            }
        )
    return out
