"""Which rules fired and which did not, with the values they read: a slip's trace and its
``why_not``, rendered from the run's raw tuples only when someone reads them."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from cmrules.compile._captures import captured
from cmrules.compile._runtime import UNKNOWN
from cmrules.slip._json import json_value
from cmrules.slip._state import RunState

if TYPE_CHECKING:
    from cmrules.compile._program import Program, RuleInfo
    from cmrules.expr._types import T

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


class TraceWriters:
    """Per rule of one program, a small generated function that makes the rule's trace entry
    from its raw trace tuple at once (:func:`trace_entries`), made for the whole program the
    first time a slip of it writes its trace.

    The entry of rule ``r`` reads, in its generated function ``_t<r>(D, P, F, V, I, M, S)``
    (validated input, dated parameters, facts, the tuple's values, element index, the lines
    made per ``(rule, index)``, the run state), each value where the rule read it: a Decimal
    becomes its text right there (as the writer would write it; ``0.00``, never ``-0.00``),
    other values stay as read (dates, the input's lists and dicts: the writer converts them in
    C), constants are JSON-ready already. The source holds only generated names, integer
    indexes the compiler produced and fixed punctuation: every name, key and constant is bound
    in the functions' namespace (as :mod:`cmrules.compile._explainers` does)."""

    __slots__ = ("functions", "program", "source")

    def __init__(self, program: Program):
        self.program = program
        namespace: dict[str, Any] = {
            "__builtins__": {"str": str, "abs": abs},
            "_D": Decimal,
            "_z": str(program.rounder.exp * 0),
            "_sum": uncaptured_sum,
        }
        #: The generated source of every rule's entry function.
        self.source = "\n".join(_source(program, rule, namespace) for rule in program.rules) + "\n"
        exec(compile(self.source, "<cmrules trace>", "exec"), namespace)  # see above
        self.functions: list[Callable[..., dict[str, Any]]] = [
            namespace[f"_t{r}"] for r in range(len(program.rules))
        ]


def _source(program: Program, rule: RuleInfo, namespace: dict[str, Any]) -> str:
    """The source of the trace entry function of ``rule``, its names bound in ``namespace``."""
    r = int(rule.index)
    namespace[f"_i{r}"] = rule.trace_id
    sums = dict.fromkeys(captured(rule.trace_refs))
    first = sum(1 for kind, _ in rule.trace_refs if kind == "local")  # captured sums follow
    read = []
    for j, (name, (kind, key)) in enumerate(zip(rule.trace_names, rule.trace_refs, strict=True)):
        namespace[f"_n{r}_{j}"] = name
        if kind == "const":
            namespace[f"_c{r}_{j}"] = json_value(program.namespace[key])
            value = f"_c{r}_{j}"
        elif kind == "input":
            namespace[f"_k{r}_{j}"] = key
            value = _text(f"D[_k{r}_{j}]", program.input_types.get(key))
        elif kind in ("local", "fact", "dated"):
            declared = program.facts[key][1] if kind == "fact" else None
            value = _text(f"{_TUPLES[kind]}[{int(key)}]", declared)
        elif j in sums:  # a sum, always a Decimal; "0" (no places) is a line sum of no line
            k = first + list(sums).index(j)
            value = f'(_z if (s := str(x if (x := V[{k}]) else abs(x))) == "0" else s)'
        else:
            namespace[f"_k{r}_{j}"] = (kind, key)
            value = _text(f"_sum(S, _k{r}_{j})")
        read.append(f"_n{r}_{j}: {value}")
    made = "M.get((" + str(r) + ", I)) or []" if rule.category is not None else "[]"
    item = ', "item": I' if rule.for_each else ""
    return (
        f"def _t{r}(D, P, F, V, I, M, S):\n"
        f'    return {{"rule_id": _i{r}, "read": {{{", ".join(read)}}}, "lines": {made}{item}}}'
    )


#: The argument of a trace entry function holding each kind of value read by position.
_TUPLES = {"local": "V", "fact": "F", "dated": "P"}


def _text(code: str, declared: T | None = None) -> str:
    """The code of the value ``code`` reads, a Decimal as its text (as the writer's ``default``
    writes it), anything else as it is. A value ``declared`` of a type that is no number with
    places (a count, a flag, a text, a date, a list...) is left as it is without looking: should
    it be a Decimal after all, the writer converts it the same way."""
    if declared is not None and declared.kind not in ("decimal", "money"):
        return code
    return f"(str(x if x else abs(x)) if (x := {code}).__class__ is _D else x)"


def uncaptured_sum(state: RunState, key: tuple[str, str]) -> Any:
    """A line sum or total the trace tuple did not capture, from the slip's sums."""
    return state.sums().get(key, state.program.rounder.exp * 0)


def trace_entries(
    state: RunState,
    program: Program,
    raw_trace: list[tuple[Any, ...]],
    ordered: list[tuple[Any, ...]],
    writers: TraceWriters,
) -> list[dict[str, Any]]:
    """The rules (``fact:<id>`` for facts) that fired in firing order, with the values as they
    read them (a Decimal as its text; dates and the input's own lists and dicts as they are:
    the writer converts them once, in C, instead of copying each here) and the indexes of the
    lines each made.

    ``ordered`` is the run's raw lines in the slip's order (declaration order of their rules);
    ``writers`` the :class:`TraceWriters` of ``program``, kept per version."""
    made: dict[tuple[int, int | None], list[int]] = {}
    for n, raw in enumerate(ordered):
        key = (raw[0], raw[2])
        if key in made:
            made[key].append(n)
        else:
            made[key] = [n]
    data, params, facts, entry = state.data, state.params, state.facts, writers.functions
    try:
        return [entry[r](data, params, facts, values, index, made, state) for r, index, values in raw_trace]
    except IndexError:  # a trace tuple without the captured sums (a slip pickled before them)
        return read_entries(state, program, raw_trace, ordered)


def read_entries(
    state: RunState,
    program: Program,
    raw_trace: list[tuple[Any, ...]],
    ordered: list[tuple[Any, ...]],
) -> list[dict[str, Any]]:
    """:func:`trace_entries` read through each rule's :func:`trace_readers`, the sums from the
    slip's lines: the entries of trace tuples that captured no sums."""
    made: dict[tuple[int, int | None], list[int]] = {}
    for n, raw in enumerate(ordered):
        made.setdefault((raw[0], raw[2]), []).append(n)
    data, params, facts = state.data, state.params, state.facts
    out = []
    for r, index, values in raw_trace:
        rule_id, plan = trace_readers(program, r)
        read = {}
        for name, how, what in plan:
            if how == "input":
                value = data[what]
            elif how == "value":
                value = what
            elif how == "local":
                value = values[what]
            elif how == "fact":
                value = facts[what]
            elif how == "dated":
                value = params[what]
            else:
                value = uncaptured_sum(state, what)
            read[name] = json_value(value) if type(value) is Decimal else value
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
