"""``cmrules explain``: one slip with its arithmetic, the rules that fired and why the others did not."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from cmrules.commands._open import evaluator_of
from cmrules.commands._values import MISSING, rates_of, show_read, show_value, substitute
from cmrules.compile._program import RuleInfo
from cmrules.compile._runtime import UNKNOWN
from cmrules.errors import InputError, InputProblem, UsageError
from cmrules.expr import _explain as ex
from cmrules.ruleset._ruleset import Version
from cmrules.run import Evaluator, check_period, with_period
from cmrules.slip._payslip import PaySlip
from cmrules.sources import open_records

#: At most this many elements of one list rule are explained one by one.
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


@dataclass
class Explanation:
    """One slip explained: lines with arithmetic, notices, facts, fired rules, and misses."""

    slip: PaySlip
    version: Version
    misses: list[Miss]

    def render(self) -> str:
        """The explanation as text: lines, totals, notices, facts, rules fired, rules not fired."""
        return "\n".join([*self._slip_part(), *self._trace_part(), *self._misses_part()]) + "\n"

    def _slip_part(self) -> list[str]:
        slip, places = self.slip, self.version.program.rounder.places

        def money(value: Decimal) -> str:
            return ex.show(value, None, places)

        out = [
            f"Employee {slip.employee} · period {slip.period} · "
            f"ruleset {slip.ruleset['id']} {slip.ruleset['version']}",
            "",
            "Lines (each with its arithmetic):",
        ]
        for n, line in enumerate(slip.lines):
            item = f" [{line.index}]" if line.index is not None else ""
            out.append(
                f"  {n}. {line.rule_id}{item}  {line.label['zh']} {line.label['en']}  "
                f"{line.category}  {line.amount:,f}"
            )
            out.append(f"       {line.explanation}")
        if not slip.lines:
            out.append("  (none)")
        out.append(
            f"Totals: earnings {money(slip.earnings)} · deductions {money(slip.deductions)} · "
            f"net {money(slip.net)} · carried forward {money(slip.carry_forward)}"
        )
        out += ["", "Notices:"]
        for notice in slip.notices:
            out.append(f"  [{notice.kind}] {notice.code} ({notice.rule_id})")
            out += [f"       {text}" for text in notice.text.values()]
        if not slip.notices:
            out.append("  (none)")
        out += ["", "Facts:"]
        out += [f"  {name} = {show_value(value, places)}" for name, value in slip.facts.items()]
        return out

    def _trace_part(self) -> list[str]:
        out = ["", "Rules that fired, in order (with the values they read):"]
        rates = rates_of(self.version)
        for n, entry in enumerate(self.slip.trace, start=1):
            item = f" [{entry['item']}]" if "item" in entry else ""
            made = f"  → line {', '.join(map(str, entry['lines']))}" if entry["lines"] else ""
            out.append(f"  {n}. {entry['rule_id']}{item}{made}")
            reads = ", ".join(f"{k} = {show_read(k, v, rates)}" for k, v in entry["read"].items())
            if reads:
                out.append(f"       read {reads}")
        return out

    def _misses_part(self) -> list[str]:
        out = ["", "Rules that did not fire, and why:"]
        for miss in self.misses:
            item = f" [{miss.item}]" if miss.item is not None else ""
            loop = f"  (for {miss.for_each})" if miss.for_each else ""
            out.append(f"  {miss.rule_id}{item}  {miss.label['zh']} {miss.label['en']}{loop}")
            if miss.when:
                out.append(f"       when {miss.when}")
            for name, definition in miss.lets:
                out.append(f"         where {name} = {definition}")
            if miss.shown:
                out.append(f"         is   {miss.shown}  → false")
            out.append(f"       {miss.reason}")
        if not self.misses:
            out.append("  (every rule fired)")
        return out


def _reads_of(slip: PaySlip, rule: RuleInfo) -> dict[str, Any]:
    """Every non-local name the rule reads, with its value from the finished run.

    Stratification runs every reader after every writer, so the final input,
    parameters, facts, line sums and totals are the values the rule saw; only
    rule-local names (the element, ``let``) are unknown for a rule that did not fire.
    """
    state = slip.run_state
    return {
        name: state.value(ref, ())
        for name, ref in zip(rule.trace_names, rule.trace_refs, strict=True)
        if ref[0] != "local"
    }


class _Explainer:
    """Why each rule of one finished run did not fire (or not for some elements of its list)."""

    def __init__(self, version: Version, slip: PaySlip):
        self.slip = slip
        self.places = version.program.rounder.places
        self.rates = rates_of(version)
        self.lets = {rule.id: rule.let for rule in version.doc.rules}
        self.fired: dict[str, set[int | None]] = {}
        for entry in slip.trace:
            self.fired.setdefault(entry["rule_id"], set()).add(entry.get("item"))

    def sub(self, text: str, values: Mapping[str, Any]) -> str:
        return substitute(text, values, self.places, self.rates)

    def misses(self, rule: RuleInfo) -> list[Miss]:
        """The misses of ``rule``: none when it fired (for every element of its list)."""
        values = _reads_of(self.slip, rule)
        unknown = [n for n, v in values.items() if v is UNKNOWN]
        when = " ".join(rule.when.split()) if rule.when else None
        miss = Miss(rule.id, dict(rule.label), "", when, rule.for_each)
        fired = rule.id in self.fired
        if unknown:  # rules reading an unknown fact never run
            miss.reason = f"not run: {', '.join(unknown)} unknown (no rule set it, and no default)"
            return [] if fired else [miss]
        if rule.for_each is None:
            miss.values = values
            miss.lets = [(n, self.sub(t, values)) for n, t in self.lets.get(rule.id, {}).items()]
            miss.shown = self.sub(when, values) if when else None
            miss.reason = "the condition is false"
            return [] if fired else [miss]
        var, _, source = rule.for_each.partition(" in ")
        var, source = var.strip(), " ".join(source.split())
        elements = values.get(source, self.slip.run_state.data.get(source, MISSING))
        miss.values = values
        if not isinstance(elements, list):  # not a plain list name: no per-element detail
            miss.reason = "no element of the list satisfied the condition"
            return [] if fired else [miss]
        if not elements:
            miss.reason = f"the list {source} is empty"
            return [] if fired else [miss]
        return self._element_misses(rule, values, when, var, elements)

    def _element_misses(
        self, rule: RuleInfo, values: dict[str, Any], when: str | None, var: str, elements: list[Any]
    ) -> list[Miss]:
        done = self.fired.get(rule.id, set())
        missed = [i for i in range(len(elements)) if i not in done]
        misses = []
        for index in missed[:MAX_ELEMENTS]:
            local = {**values, var: elements[index]}
            element = show_value(elements[index], self.places)
            misses.append(
                Miss(
                    rule.id,
                    dict(rule.label),
                    f"the condition is false for element {index}: {var} = {element}",
                    when,
                    rule.for_each,
                    index,
                    local,
                    self.sub(when, local) if when else None,
                    [(n, self.sub(t, local)) for n, t in self.lets.get(rule.id, {}).items()],
                )
            )
        if len(missed) > MAX_ELEMENTS:
            rest = len(missed) - MAX_ELEMENTS
            misses.append(
                Miss(rule.id, dict(rule.label), f"… and {rest} more elements", for_each=rule.for_each)
            )
        return misses


def explain_slip(version: Version, data: Mapping[str, Any], slip: PaySlip) -> Explanation:
    """Explain ``slip``, made by ``version`` from the validated input ``data``."""
    explainer = _Explainer(version, slip)
    misses = [
        miss for rule in version.program.rules if rule.kind != "fact" for miss in explainer.misses(rule)
    ]
    return Explanation(slip, version, misses)


def _version_of(evaluator: Evaluator, record: Mapping[str, Any]) -> Version:
    if isinstance(evaluator, Version):
        return evaluator
    employee = record.get("employee")
    return evaluator.version_for(record.get("period"), employee if isinstance(employee, str) else "<unknown>")  # type: ignore[arg-type]


def explain_employee(
    ruleset: str | Path | Evaluator,
    input_path: str | Path,
    employee: str,
    period: str | None = None,
    *,
    input_format: str | None = None,
    encoding: str | None = None,
) -> Explanation:
    """Evaluate one employee of an input file and explain the slip.

    ``period`` fills or overrides the period as in :func:`~cmrules.commands.run_file`; when
    the file holds several periods of the employee it also picks one. Raises
    :class:`UsageError` when the employee is not there (or is ambiguous),
    :class:`InputError` when their input is bad (``input.unreadable`` when their record
    cannot be read; other records that cannot be read do not matter). ``encoding`` is
    that of a text input (see :func:`cmrules.sources.open_records`).
    """
    evaluator = evaluator_of(ruleset)
    records: list[dict[str, Any]] = []
    for item in open_records(input_path, input_format, encoding=encoding):
        if item.error is None and isinstance(item.data, dict):
            records.append(item.data)
        elif item.employee == employee:
            where = f"record {item.number}" + (f", line {item.line}" if item.line else "")
            message = f"{item.error} ({where})"
            raise InputError([InputProblem(employee, "<record>", None, message, "input.unreadable")])
    matches = [r for r in records if r.get("employee") == employee]
    if period is not None and len(matches) > 1:
        matches = [r for r in matches if r.get("period") == period]
    if not matches:
        known = [str(r.get("employee")) for r in records[:10]]
        raise UsageError(f"employee {employee!r} is not in {input_path} (first ids: {', '.join(known)})")
    if len(matches) > 1:
        periods = ", ".join(str(r.get("period")) for r in matches)
        raise UsageError(f"employee {employee!r} appears {len(matches)} times ({periods}): give --period")
    check_period(period)
    record = with_period(matches[0], period)
    version = _version_of(evaluator, record)
    data = version.validator(record)
    return explain_slip(version, data, version.run(data))
