"""``cmrules explain``: one slip with its arithmetic, the rules that fired and why the others did not."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cmrules.commands._explain_text import MAX_ELEMENTS, Explanation, Miss
from cmrules.commands._how_far import Mover, failed_comparisons
from cmrules.commands._open import evaluator_of, version_of
from cmrules.commands._values import MISSING, fields_read, rates_of, substitute
from cmrules.compile._program import RuleInfo
from cmrules.compile._runtime import UNKNOWN
from cmrules.errors import InputError, InputFileError, InputProblem, UsageError
from cmrules.ruleset._ruleset import Version, money_places
from cmrules.run import Evaluator, check_period, with_period
from cmrules.slip._payslip import PaySlip
from cmrules.sources import open_records
from cmrules.sources._headers import header_map, rename_source


class EmployeeNotFound(InputFileError, UsageError):
    """The employee ``cmrules explain`` asks about is not in the input file: an input error naming
    the file and the employee (exit 1 on the command line), and a :class:`UsageError` for callers
    that caught that before."""


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
    """Why each rule of one finished run did not fire (or not for some elements of its list), and
    how far each failed comparison is from holding."""

    def __init__(self, version: Version, slip: PaySlip, record: Mapping[str, Any] | None, limit: int | None):
        self.slip, self.limit = slip, limit
        self.places = version.program.rounder.places
        self.rates = rates_of(version)
        self.lets = {rule.id: rule.let for rule in version.doc.rules}
        self.texts = {rule.id: repr(rule.model_dump()) for rule in version.doc.rules}
        self.mover = Mover(version, record, slip) if record is not None else None
        self.fired: dict[str, set[int | None]] = {}
        for entry in slip.trace:
            self.fired.setdefault(entry["rule_id"], set()).add(entry.get("item"))

    def sub(self, text: str, values: Mapping[str, Any]) -> str:
        return substitute(text, values, self.places, self.rates)

    def far(self, when: str | None, values: Mapping[str, Any]) -> list[str]:
        if not when:
            return []
        worth = self.mover.worth if self.mover is not None else None
        return failed_comparisons(when, values, self.places, worth)

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
            if fired:
                return []
            miss.values = values
            miss.lets = [(n, self.sub(t, values)) for n, t in self.lets.get(rule.id, {}).items()]
            miss.shown = self.sub(when, values) if when else None
            miss.far = self.far(when, values) if rule.kind != "builtin" else []
            miss.reason = "the condition is false"
            return [miss]
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
        for index in missed if self.limit is None else missed[: self.limit]:
            local = {**values, var: elements[index]}
            element = fields_read(var, elements[index], self.texts[rule.id], self.places, self.rates)
            misses.append(
                Miss(
                    rule.id,
                    dict(rule.label),
                    f"the condition is false for element {index}: {element}",
                    when,
                    rule.for_each,
                    index,
                    local,
                    self.sub(when, local) if when else None,
                    [(n, self.sub(t, local)) for n, t in self.lets.get(rule.id, {}).items()],
                    of=len(missed),
                    total=len(elements),
                )
            )
        if self.limit is not None and len(missed) > self.limit:
            rest = len(missed) - self.limit
            misses.append(
                Miss(
                    rule.id,
                    dict(rule.label),
                    f"… and {rest} more elements",
                    for_each=rule.for_each,
                    of=len(missed),
                    total=len(elements),
                )
            )
        return misses


def explain_slip(
    version: Version,
    data: Mapping[str, Any],
    slip: PaySlip,
    record: Mapping[str, Any] | None = None,
    *,
    limit: int | None = MAX_ELEMENTS,
) -> Explanation:
    """Explain ``slip``, made by ``version`` from the validated input ``data`` (read from ``record``,
    which how-far and what-if change: ``data`` when not given). Of a rule over a list, at most
    ``limit`` elements it did not fire for are explained one by one (None: all)."""
    record = data if record is None else record
    explainer = _Explainer(version, slip, record, limit)
    misses = [
        miss for rule in version.program.rules if rule.kind != "fact" for miss in explainer.misses(rule)
    ]
    return Explanation(slip, version, misses, record)


def explain_employee(
    ruleset: str | Path | Evaluator,
    input_path: str | Path,
    employee: str,
    period: str | None = None,
    *,
    input_format: str | None = None,
    encoding: str | None = None,
    limit: int | None = MAX_ELEMENTS,
) -> Explanation:
    """Evaluate one employee of an input file and explain the slip.

    ``period`` fills or overrides the period as in :func:`~cmrules.commands.run_file`; when
    the file holds several periods of the employee it also picks one. Raises
    :class:`~cmrules.errors.InputFileError` naming the employee and the file when the employee
    is not there (:class:`EmployeeNotFound`, also a :class:`UsageError` as it was before),
    :class:`UsageError` when they are there for several periods and ``period`` picks none,
    :class:`InputError` (``input.duplicate``, naming the records) when one period of theirs
    is there more than once (``cmrules run`` pays the first and refuses the repeat),
    :class:`InputError` when their input is bad (``input.unreadable`` when their record
    cannot be read; other records that cannot be read do not matter). ``encoding`` is
    that of a text input (see :func:`cmrules.sources.open_records`). ``limit``: as for
    :func:`explain_slip`.
    """
    evaluator = evaluator_of(ruleset)
    records: list[dict[str, Any]] = []
    numbers: dict[int, int] = {}  # id of a record -> its number in the file
    source = open_records(input_path, input_format, encoding=encoding, places=money_places(evaluator))
    for item in rename_source(source, header_map(evaluator)):  # HR's headers, as `run` reads them
        if item.error is None and isinstance(item.data, dict):
            records.append(item.data)
            numbers[id(item.data)] = item.number
        elif item.employee == employee:
            where = f"record {item.number}" + (f", line {item.line}" if item.line else "")
            message = f"{item.error} ({where})"
            raise InputError([InputProblem(employee, "<record>", None, message, "input.unreadable")])
    matches = [r for r in records if r.get("employee") == employee]
    if period is not None and len(matches) > 1:
        matches = [r for r in matches if r.get("period") == period]
    if not matches:
        known = [str(r.get("employee")) for r in records[:10]]
        raise EmployeeNotFound(
            input_path, None, f"employee {employee!r} is not in this file (first ids: {', '.join(known)})"
        )
    if len(matches) > 1 and len({r.get("period") for r in matches}) == 1:
        raise _repeated(employee, matches[0].get("period"), [numbers[id(r)] for r in matches])
    if len(matches) > 1:
        periods = ", ".join(str(r.get("period")) for r in matches)
        raise UsageError(f"employee {employee!r} appears {len(matches)} times ({periods}): give --period")
    check_period(period)
    record = with_period(matches[0], period)
    version = version_of(evaluator, record)
    data = version.validator(record)
    return explain_slip(version, data, version.run(data), record, limit=limit)


def _repeated(employee: str, period: Any, numbers: list[int]) -> InputError:
    """The ``input.duplicate`` of an employee and period that records ``numbers`` all give."""
    listed = ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"
    message = (
        f"employee {employee} and period {period} appear in records {listed}: "
        f"`cmrules run` pays record {numbers[0]} and refuses the repeat; remove it to explain the slip"
    )
    return InputError([InputProblem(employee, "employee", employee, message, "input.duplicate")])
