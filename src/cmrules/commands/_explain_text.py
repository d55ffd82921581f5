"""An explained slip as text: a rule over a list is one entry (count, sum, an example) unless its
items are asked for; rules that did not fire with the failed condition, its values and how far."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cmrules.commands._how_far import next_brackets
from cmrules.commands._values import fields_read_json, rates_of, show_read, show_value
from cmrules.commands._what_if import Change, WhatIf, what_if
from cmrules.expr import _explain as ex
from cmrules.expr import _show as sh
from cmrules.ruleset._ruleset import Version
from cmrules.slip._payslip import PaySlip

__all__ = ["MAX_ELEMENTS", "Explanation", "Miss"]

#: At most this many elements of one list rule are explained one by one (unless all are asked for).
MAX_ELEMENTS = 10


@dataclass
class Miss:
    """A rule that did not fire (or one element of its list it did not fire for), and why."""

    rule_id: str
    label: dict[str, str]
    reason: str
    when: str | None = None
    for_each: str | None = None
    item: int | None = None  # the element's index, for a rule that fired for others
    values: dict[str, Any] = field(default_factory=dict)  # names read, with their values
    shown: str | None = None  # the condition with the values put in
    lets: list[tuple[str, str]] = field(default_factory=list)  # (name, definition with values)
    far: list[str] = field(default_factory=list)  # how far each failed comparison is from holding
    of: int | None = None  # for a rule over a list: how many of its elements it did not fire for
    total: int | None = None  # ... out of how many


@dataclass
class Explanation:
    """One slip explained: lines with arithmetic, notices, facts, fired rules, and misses.

    ``record`` is the employee's input as read (what :meth:`what_if` changes)."""

    slip: PaySlip
    version: Version
    misses: list[Miss]
    record: Mapping[str, Any] | None = None

    def render(self, items: bool = False, rule: str | None = None) -> str:
        """The explanation as text: lines, totals, notices, facts, next brackets, rules fired, rules
        not fired. Lines, trace entries and misses of a rule over a list are grouped (count, sum, one
        example) unless ``items`` (every item) or ``rule`` (that rule's items) asks for them."""
        text = _Text(self, items, rule)
        return "\n".join([*text.lines(), *text.brackets(), *text.trace(), *text.misses()]) + "\n"

    def what_if(self, changes: Sequence[str | Change] | Mapping[str, Any]) -> WhatIf:
        """This employee's slip again with ``changes`` made to their input (see
        :func:`cmrules.commands.what_if`)."""
        record = self.record if self.record is not None else self.slip.run_state.data
        return what_if(self.version, record, changes)


def _span(numbers: list[int]) -> str:
    if len(numbers) > 1 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]}–{numbers[-1]}"
    return ", ".join(map(str, numbers[:6])) + (", …" if len(numbers) > 6 else "")


class _Text:
    def __init__(self, explanation: Explanation, items: bool, rule: str | None):
        self.e, self.slip, self.version = explanation, explanation.slip, explanation.version
        self.items, self.rule = items, rule
        self.places = self.version.program.rounder.places
        self.texts = {r.id: repr(r.model_dump()) for r in self.version.doc.rules}

    def expanded(self, rule_id: str) -> bool:
        return self.items or self.rule == rule_id

    def money(self, value: Decimal) -> str:
        return sh.show(value, None, self.places)

    def lines(self) -> list[str]:
        slip = self.slip
        out = [
            f"Employee {slip.employee} · period {slip.period} · "
            f"ruleset {slip.ruleset['id']} {slip.ruleset['version']}",
            "",
            "Lines (each with its arithmetic; a rule over a list: its count, sum and an example):",
        ]
        groups: dict[str, list[int]] = {}
        for n, line in enumerate(slip.lines):
            if line.index is not None:
                groups.setdefault(line.rule_id, []).append(n)
        for n, line in enumerate(slip.lines):
            numbers = groups.get(line.rule_id)
            if numbers is None or len(numbers) == 1:
                item = f" [{line.index}]" if line.index is not None else ""
                out.append(
                    f"  {n}. {line.rule_id}{item}  {line.label['zh']} {line.label['en']}  "
                    f"{line.category}  {line.amount:,f}"
                )
                out.append(f"       {line.explanation}")
                continue
            if numbers[0] != n:
                continue
            total = sum((slip.lines[k].amount for k in numbers), Decimal(0))
            out.append(
                f"  {_span(numbers)}. {line.rule_id} ×{len(numbers)}  {line.label['zh']} {line.label['en']}  "
                f"{line.category}  {total:,f}"
            )
            if self.expanded(line.rule_id):
                for k in numbers:
                    each = slip.lines[k]
                    out.append(f"       [{each.index}] {each.amount:,f}: {each.explanation}")
            else:
                out.append(f"       e.g. [{line.index}] {line.amount:,f}: {line.explanation}")
                out.append(f"       (each item: --rule {line.rule_id} or --items)")
        if not slip.lines:
            out.append("  (none)")
        out.append(
            f"Totals: earnings {self.money(slip.earnings)} · deductions {self.money(slip.deductions)} · "
            f"net {self.money(slip.net)} · carried forward {self.money(slip.carry_forward)}"
        )
        out += ["", "Notices:"]
        for notice in slip.notices:
            out.append(f"  [{notice.kind}] {notice.code} ({notice.rule_id})")
            out += [f"       {text}" for text in notice.text.values()]
        if not slip.notices:
            out.append("  (none)")
        out += ["", "Facts:"]
        out += [f"  {name} = {show_value(value, self.places)}" for name, value in slip.facts.items()]
        return out

    def brackets(self) -> list[str]:
        """For each tier a line applied (rules not over a list): how far its next bracket is and what
        reaching it adds to the line."""
        out = []
        state, program = self.slip.run_state, self.version.program
        for line in self.slip.lines:
            rule = line.rule
            if line.index is not None or rule.explain is None or rule.kind == "cap":
                continue
            env = state.env(rule.explain_vars, rule.explain_refs, line._values)
            ctx = ex.Ctx(program.namespace, env, self.places)
            for call, x, start in next_brackets(rule.explain, ctx):
                name = call.arg.name if isinstance(call.arg, ex.Var | ex.Value) and call.arg.name else "it"
                text = (
                    f"  {rule.id}: {sh.show(start - x, None, self.places)} more {name} reach the next "
                    f"bracket (from {sh.show(start, None, self.places)})"
                )
                if call is rule.explain:  # the line is the tier: reaching the bracket is worth exactly
                    rounder = program.rounder
                    now = abs(line.amount)
                    then = call.tier(start).quantize(rounder.exp, rounding=rounder.mode)
                    text += f", worth {self.money(then - now)} on this line ({self.money(then)})"
                out.append(text)
        return ["", "Next brackets:", *out] if out else []

    def trace(self) -> list[str]:
        out = ["", "Rules that fired, in order (with the values they read):"]
        rates = rates_of(self.version)
        entries = self.slip.trace
        groups: dict[str, list[int]] = {}
        for n, entry in enumerate(entries):
            if "item" in entry:
                groups.setdefault(entry["rule_id"], []).append(n)
        for n, entry in enumerate(entries, start=1):
            numbers = groups.get(entry["rule_id"])
            grouped = numbers is not None and len(numbers) > 1 and not self.expanded(entry["rule_id"])
            if grouped and numbers is not None:
                if numbers[0] != n - 1:
                    continue
                made = [k for m in numbers for k in entries[m]["lines"]]
                shown = f"  → lines {_span(made)}" if made else ""
                out.append(f"  {n}. {entry['rule_id']} ×{len(numbers)}{shown}")
                out.append(f"       e.g. [{entry['item']}] read {self._reads(entry, rates)}")
                continue
            item = f" [{entry['item']}]" if "item" in entry else ""
            line_no = f"  → line {', '.join(map(str, entry['lines']))}" if entry["lines"] else ""
            out.append(f"  {n}. {entry['rule_id']}{item}{line_no}")
            reads = self._reads(entry, rates)
            if reads:
                out.append(f"       read {reads}")
        return out

    def _reads(self, entry: Mapping[str, Any], rates: frozenset[str]) -> str:
        text = self.texts.get(entry["rule_id"], "")
        return ", ".join(
            fields_read_json(k, v, text, rates) if isinstance(v, dict) else f"{k} = {show_read(k, v, rates)}"
            for k, v in entry["read"].items()
        )

    def misses(self) -> list[str]:
        out = ["", "Rules that did not fire, and why:"]
        done: set[str] = set()
        for miss in self.e.misses:
            if miss.item is None and miss.of is None:
                out += self._miss(miss, "", "")
            elif self.expanded(miss.rule_id):
                if miss.item is None:
                    out.append(f"  {miss.rule_id}  {miss.reason}")
                else:
                    out += self._miss(miss, f" [{miss.item}]", "")
            elif miss.rule_id not in done:
                done.add(miss.rule_id)
                out.append(
                    f"  {miss.rule_id}  {miss.label['zh']} {miss.label['en']}  (for {miss.for_each}): "
                    f"not for {miss.of:,} of {miss.total:,} elements"
                )
                out += self._miss(miss, "", "e.g. ")[1:]
                out.append(f"       (each element: --rule {miss.rule_id} or --items)")
        if not self.e.misses:
            out.append("  (every rule fired)")
        return out

    def _miss(self, miss: Miss, item: str, example: str) -> list[str]:
        loop = f"  (for {miss.for_each})" if miss.for_each and item else ""
        out = [f"  {miss.rule_id}{item}  {miss.label['zh']} {miss.label['en']}{loop}"]
        if miss.item is not None:
            out.append(f"       {example}{miss.reason.removeprefix('the condition is false for ')}")
        if miss.when:
            shown = f": {miss.shown} is false" if miss.shown else ""
            out.append(f"       when {miss.when}{shown}")
        for name, definition in miss.lets:
            out.append(f"         where {name} = {definition}")
        out += [f"       {far}" for far in miss.far]
        if miss.item is None and not miss.shown:
            out.append(f"       {miss.reason}")
        return out
