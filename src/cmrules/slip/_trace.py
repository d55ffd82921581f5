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


#: How :func:`trace_entries` reads one value a rule read: ``(name, how, what)``, ``how`` one of
#: ``input``, ``local``, ``fact``, ``dated`` (``what`` the key), ``value`` (``what`` the value:
#: a constant, JSON-ready) or ``sum`` (``what`` the ``lines.<id>`` / ``totals.<category>`` key).
Reader = tuple[str, str, Any]


def trace_readers(program: Program, rule_index: int) -> tuple[str, tuple[Reader, ...]]:
    """The trace's id of rule ``rule_index`` of ``program`` and how the trace reads the values
    it read: made once per version, the constants (parameters, tables) already JSON-ready."""
    rule = program.rules[rule_index]
    out: list[Reader] = []
    for name, (kind, key) in zip(rule.trace_names, rule.trace_refs, strict=True):
        if kind == "const":
            out.append((name, "value", json_value(program.namespace[key])))
        elif kind in ("input", "local", "fact", "dated"):
            out.append((name, kind, key))
        else:
            out.append((name, "sum", (kind, key)))
    return rule.trace_id, tuple(out)


def trace_entries(
    state: RunState,
    program: Program,
    raw_trace: list[tuple[Any, ...]],
    ordered: list[tuple[Any, ...]],
    readers: dict[int, tuple[str, tuple[Reader, ...]]],
) -> list[dict[str, Any]]:
    """The rules (``fact:<id>`` for facts) that fired in firing order, with the values as they
    read them (Decimal, date, the input's own lists and dicts: the writer converts them once, in
    C, instead of copying each here) and the indexes of the lines each made.

    ``ordered`` is the run's raw lines in the slip's order (declaration order of their rules);
    ``readers`` the :func:`trace_readers` of the program's rules, kept per version and filled
    here as rules first fire."""
    made: dict[tuple[int, int | None], list[int]] = {}
    for n, raw in enumerate(ordered):
        key = (raw[0], raw[2])
        if key in made:
            made[key].append(n)
        else:
            made[key] = [n]
    data, params, facts = state.data, state.params, state.facts
    sums: dict[tuple[str, str], Any] | None = None
    out = []
    for r, index, values in raw_trace:
        try:
            rule_id, plan = readers[r]
        except KeyError:
            rule_id, plan = readers[r] = trace_readers(program, r)
        read = {}
        for name, how, what in plan:
            if how == "input":
                read[name] = data[what]
            elif how == "value":
                read[name] = what
            elif how == "local":
                read[name] = values[what]
            elif how == "fact":
                read[name] = facts[what]
            elif how == "dated":
                read[name] = params[what]
            else:
                if sums is None:
                    sums = state.sums()
                read[name] = sums.get(what, program.rounder.exp * 0)
        entry = {"rule_id": rule_id, "read": read, "lines": made.get((r, index), [])}
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
