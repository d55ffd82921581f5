"""The durable plan of one program: the JSON rules sent to durable-rules, their gates, and the facts.

:func:`translate` turns the translatable leading operands of every rule's
condition (:mod:`cmrules.engines._durable_translate`) into one durable-rules
JSON rule per rule, matched against one fact: the employee's scalars (kind 0),
or one element of a list input (kind 1, 2, …) with copies of the scalars its
rules read, because the engine never joins facts.  Field names are ``x0``,
``x1`` …; values are encoded by :mod:`cmrules.engines._durable_numbers`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from cmrules.compile._program import Gate, Program
from cmrules.engines._durable_numbers import (
    decimal_places,
    encode_bool,
    encode_constant,
    encode_number,
    encode_text,
)
from cmrules.engines._durable_translate import Key, RuleScope, Term, Translator, walk

__all__ = ["ENGINE_RULE", "DurablePlan", "FactField", "ListFacts", "translate"]

#: The rule id an engine failure that belongs to no rule is reported under.
ENGINE_RULE = "(durable engine)"

_DURABLE_OPS = {"==": "$eq", "!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}


@dataclass
class FactField:
    """One field of the asserted facts: where its value comes from and how it is encoded."""

    name: str  # the field's name in the engine's facts
    source: str  # input name (scalars) or list input name (elements)
    sub: str | None  # record field
    encode: Callable[[Any], Any]


@dataclass
class ListFacts:
    """The facts of one list input: one per element, of kind ``kind``."""

    kind: int
    source: str
    fields: list[FactField]
    copied: list[str]  # the scalar fields its rules read too


@dataclass
class DurablePlan:
    """How durable-rules matches one version: built on first use, once per version."""

    name: str  # the ruleset's name in the host (a hash of its rules)
    rules: dict[str, Any]  # the durable-rules JSON ruleset: ``r<rule index>`` -> condition
    gates: dict[int, Gate]  # rule index -> how much of its condition the Rete network decides
    rule_ids: list[str]  # rule index -> rule id
    scalars: list[FactField] = field(default_factory=list)  # read by rules, of the scalar fact or copied
    scalar_fact: bool = False  # whether some rule is matched against the scalar fact
    lists: list[ListFacts] = field(default_factory=list)
    run: Callable[..., Any] | None = None  # the gated plan; None when no rule is matched
    registered: bool = False  # with the process's host

    @property
    def matched_rules(self) -> dict[str, Gate]:
        """Rule id -> its gate: the rules whose conditions the Rete network (partly) decides."""
        return {self.rule_ids[i]: gate for i, gate in self.gates.items()}

    def condition(self, rule_id: str) -> Any:
        """The durable-rules JSON rule sent for one matched rule."""
        return self.rules[f"r{self.rule_ids.index(rule_id)}"]

    def facts(self, data: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The facts to assert for one validated input."""
        scalars = {}
        for f in self.scalars:
            value = data[f.source]
            scalars[f.name] = f.encode(value if f.sub is None else value[f.sub])
        out: list[dict[str, Any]] = [{"k": 0, **scalars}] if self.scalar_fact else []
        for lst in self.lists:
            shared = {"k": lst.kind, **{name: scalars[name] for name in lst.copied}}
            for n, elem in enumerate(data[lst.source]):
                fact = {**shared, "i": n}
                for f in lst.fields:
                    fact[f.name] = f.encode(elem if f.sub is None else elem[f.sub])
                out.append(fact)
        return out

    def matches(self, firings: Iterable[tuple[str, Mapping[str, Any]]]) -> set[tuple[int, int | None]]:
        """The gate set ``G`` of the plan: ``(rule index, element index or None)`` per firing."""
        gates = self.gates
        out = set()
        for rule_name, fact in firings:
            index = int(rule_name[1:])
            out.add((index, fact["i"] if gates[index].per_element else None))
        return out

    def rule_id(self, rule_name: str | None) -> str:
        """The id of the rule a durable rule name stands for (:data:`ENGINE_RULE` for none)."""
        if rule_name is not None and rule_name in self.rules:
            return self.rule_ids[int(rule_name[1:])]
        return ENGINE_RULE


def translate(program: Program) -> DurablePlan:
    """The durable plan of ``program`` (pure: needs no engine)."""
    return _Builder(program).plan()


class _Builder:
    """Builds one :class:`DurablePlan`: encodings per field, then rules, gates and fact fields."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.translator = Translator(program)
        self.found: dict[int, tuple[RuleScope, list[Term]]] = {}
        for index in sorted(program.whens):
            rule = self.translator.rule(index)
            terms = self.translator.terms(rule)
            if terms:
                self.found[index] = (rule, terms)
        # one scale per number field: the most decimal places of the constants it meets;
        # one code per string constant of a text field
        self.scales: dict[Key, int] = {}
        self.codes: dict[Key, dict[str, int]] = {}
        kinds = self.translator.kinds
        for _, terms in self.found.values():
            for term in terms:
                for key, _, value in walk(term):
                    if kinds[key] == "num":
                        self.scales[key] = max(self.scales.get(key, 0), decimal_places(value))
                    elif kinds[key] == "text":
                        self.codes.setdefault(key, {}).setdefault(value, len(self.codes[key]))
        self.names: dict[Key, str] = {}

    def plan(self) -> DurablePlan:
        """The plan: one rule and gate per rule with an encodable leading condition."""
        rules: dict[str, Any] = {}
        gates: dict[int, Gate] = {}
        used: dict[tuple[str, str | None], set[Key]] = {}  # ("s", None) or ("e", list) -> keys read
        list_kinds: dict[str, int] = {}
        for index, (rule, terms) in self.found.items():
            conditions, keys = [], set()
            for term in terms:
                condition = self.emit(term)
                if condition is None:
                    break
                conditions.append(condition)
                keys |= {key for key, _, _ in walk(term)}
            if not conditions:
                continue
            per_element = any(key[0] == "e" for key in keys)
            if per_element:
                assert rule.list_name is not None
                kind = list_kinds.setdefault(rule.list_name, len(list_kinds) + 1)
                group: tuple[str, str | None] = ("e", rule.list_name)
            else:
                kind, group = 0, ("s", None)
            used.setdefault(group, set()).update(keys)
            rules[f"r{index}"] = {"all": [{"m": {"$and": [{"$eq": {"k": kind}}, *conditions]}}]}
            gates[index] = Gate(len(conditions), per_element)
        scalars = [
            self.field(key) for key in self.order(k for ks in used.values() for k in ks if k[0] == "s")
        ]
        lists = []
        for list_name, kind in list_kinds.items():
            read = self.order(used[("e", list_name)])
            fields = [self.field(key) for key in read if key[0] == "e"]
            lists.append(
                ListFacts(kind, list_name, fields, [self.names[key] for key in read if key[0] == "s"])
            )
        digest = hashlib.sha256(json.dumps(rules, sort_keys=True).encode()).hexdigest()[:40]
        return DurablePlan(
            name=f"cmrules-{digest}",
            rules=rules,
            gates=gates,
            rule_ids=[info.id for info in self.program.rules],
            scalars=scalars,
            scalar_fact=("s", None) in used,
            lists=lists,
            run=self.program.gated(gates) if gates else None,
        )

    def emit(self, term: Term) -> dict[str, Any] | None:
        """The durable-rules JSON condition of ``term`` (None when a constant cannot be encoded)."""
        if term[0] != "cmp":
            parts = [self.emit(part) for part in term[1]]
            if any(part is None for part in parts):
                return None
            return {"$and" if term[0] == "all" else "$or": parts}
        _, key, op, value = term
        kind = self.translator.kinds[key]
        if kind == "num":
            value = encode_constant(value, self.scales[key])
            if value is None:
                return None
        elif kind == "text":
            value = self.codes[key][value]
        name = self.names.setdefault(key, f"x{len(self.names)}")
        return {_DURABLE_OPS[op]: {name: value}}

    def field(self, key: Key) -> FactField:
        """The fact field of one input field, with its encoding."""
        kind = self.translator.kinds[key]
        encode: Callable[[Any], Any]
        if kind == "num":
            encode = partial(encode_number, scale=self.scales[key])
        elif kind == "text":
            encode = partial(encode_text, self.codes[key])
        else:
            encode = encode_bool
        return FactField(self.names[key], key[1], key[2], encode)

    def order(self, keys: Iterable[Key]) -> list[Key]:
        """``keys`` (deduplicated) in the order of their field names ``x0``, ``x1`` …."""
        return sorted(set(keys), key=lambda key: int(self.names[key][1:]))
