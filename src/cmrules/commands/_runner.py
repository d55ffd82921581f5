"""The operations behind the ``cmrules`` command, importable from Python.

Each command of :mod:`cmrules.cli` is one function here that returns a result
object (with a ``render()`` for the terminal where that helps); the CLI only
parses arguments, prints and picks the exit code:

* :func:`check_paths`: load rulesets and collect every located error;
* :func:`run_file`: evaluate a file of employee-periods and write the slips;
* :func:`explain_employee` / :func:`explain_slip`: one slip with its arithmetic,
  the trace of the rules that fired and why the others did not;
* :func:`run_tests`: the YAML test cases beside rulesets (and any suite added to
  :data:`SUITES`);
* :func:`diff_rulesets` / :func:`diff_records`: two rulesets or versions on the
  same inputs, whatever their dates.

A ruleset is named by a path (a file, or a folder of dated versions of one plan)
or ``path@version`` to apply one version of a plan whatever the period.
"""

from __future__ import annotations

import datetime as dt
import json
import keyword
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import yaml

from cmrules.compile._program import RuleInfo
from cmrules.compile._runtime import UNKNOWN
from cmrules.errors import EvaluationError, InputError, Issue, RulesetError, UsageError
from cmrules.expr import _explain as ex
from cmrules.inputs._text import PERIOD_RE
from cmrules.outputs import OUTPUT_FORMATS, errors_path, write_slips
from cmrules.outputs.render._common import failure_value, format_value
from cmrules.ruleset._load import is_version, load_ruleset
from cmrules.ruleset._ruleset import Ruleset, Version
from cmrules.slip._payslip import PaySlip
from cmrules.sources import read_inputs
from cmrules.testing._cases import CaseResult, case_files
from cmrules.testing._cases import run_file as run_case_file

__all__ = [
    "FORMAT_BY_SUFFIX",
    "SUITES",
    "CheckResult",
    "DiffReport",
    "EmployeeDiff",
    "Evaluator",
    "Explanation",
    "LineChange",
    "Miss",
    "Outcome",
    "Progress",
    "ProgressBar",
    "RunResult",
    "TestReport",
    "UsageError",
    "check_paths",
    "describe",
    "diff_records",
    "diff_rulesets",
    "evaluate_records",
    "explain_employee",
    "explain_slip",
    "format_failure",
    "open_ruleset",
    "run_file",
    "run_tests",
    "yaml_case_suite",
]

#: What evaluates one employee-period: a plan (the version follows the period) or one version.
Evaluator = Ruleset | Version


# ---------------------------------------------------------------------------- rulesets


def open_ruleset(spec: str | Path) -> Evaluator:
    """Load ``spec``: a ruleset path, or ``path@version`` for one version of a plan.

    Raises :class:`RulesetError` (with every located issue) or :class:`UsageError`
    when the named version does not exist.
    """
    text = str(spec)
    path, version = Path(text), None
    if not path.exists() and "@" in text:
        head, _, version = text.rpartition("@")
        path = Path(head)
    ruleset = load_ruleset(path)
    if version is None:
        return ruleset
    try:
        return ruleset.version(version)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None


def describe(evaluator: Evaluator) -> str:
    """``id version`` of a version, ``id [v1, v2]`` of a plan."""
    if isinstance(evaluator, Version):
        return f"{evaluator.id} {evaluator.version}"
    versions = [v.version for v in evaluator.versions]
    return f"{evaluator.id} {versions[0]}" if len(versions) == 1 else f"{evaluator.id} {versions}"


def _dateless(evaluator: Evaluator) -> Evaluator:
    """A single-version plan as its version, applied whatever the period (what-if)."""
    if isinstance(evaluator, Ruleset) and len(evaluator.versions) == 1:
        return evaluator.versions[0]
    return evaluator


# ---------------------------------------------------------------------------- check


@dataclass
class CheckResult:
    """One path given to ``check``: the loaded plan, or every issue found (or a skipped tests file)."""

    path: str
    ruleset: Ruleset | None = None
    issues: list[Issue] = field(default_factory=list)
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return self.ruleset is not None or self.skipped

    def render(self) -> str:
        if self.skipped:
            return f"{self.path}: skipped (test cases: run them with cmrules test)"
        if self.ruleset is None:
            count = len(self.issues)
            head = f"{self.path}: {count} error{'s' if count != 1 else ''}"
            return "\n".join([head, *(str(issue) for issue in self.issues)])
        rules = sum(1 for r in self.ruleset.latest.program.rules if r.kind == "rule")
        versions = ", ".join(v.version for v in self.ruleset.versions)
        plural = "s" if rules != 1 else ""
        return f"{self.path}: ok ({self.ruleset.id}, version {versions}, {rules} rule{plural})"


def check_paths(paths: Iterable[str | Path]) -> list[CheckResult]:
    """Load each path (file or plan folder); every error of every file is reported, none stops.

    ``*.tests.yaml`` files (as a shell glob ``rulesets/*.yaml`` gives them) are skipped.
    """
    results = []
    for path in paths:
        if str(path).endswith(".tests.yaml"):
            results.append(CheckResult(str(path), skipped=True))
            continue
        try:
            results.append(CheckResult(str(path), ruleset=load_ruleset(path)))
        except RulesetError as exc:
            results.append(CheckResult(str(path), issues=exc.errors))
    return results


# ---------------------------------------------------------------------------- evaluate


@dataclass
class Outcome:
    """One input record evaluated: its slip, or the problems that stopped it."""

    record: int  # 1-based position in the input
    slip: PaySlip | None
    failures: list[dict[str, Any]] = field(default_factory=list)


def _with_period(record: Any, period: str | None) -> Any:
    if period is None or not isinstance(record, dict):
        return record
    return {**record, "period": period}


def evaluate_records(
    evaluator: Evaluator, records: Iterable[Any], *, period: str | None = None
) -> Iterator[Outcome]:
    """Evaluate each record in order; a bad one yields its failures and never stops the rest.

    ``period`` (``YYYY-MM``) fills or overrides every record's period. Each failure is a
    dict with ``employee``, ``record``, ``field`` (a path such as ``bookings[0].amount``),
    ``value``, ``message`` and ``code``.
    """
    if period is not None and not PERIOD_RE.match(period):
        raise UsageError(f"--period must be YYYY-MM, not {period!r}")
    evaluate = evaluator.evaluate
    for number, record in enumerate(records, start=1):
        try:
            yield Outcome(number, evaluate(_with_period(record, period)))
        except (InputError, EvaluationError) as exc:
            yield Outcome(number, None, [{**p, "record": number} for p in exc.to_dicts()])


def format_failure(failure: Mapping[str, Any]) -> str:
    """One failure as a line for a terminal: who, which record, field path, value, why."""
    field = str(failure.get("field"))
    shown = failure_value(failure.get("value"))
    where = f" (record {failure['record']})" if "record" in failure else ""
    what = f"rule {field[5:]} failed" if field.startswith("rule:") else f"{field} = {shown}"
    why = f"{failure.get('message')} [{failure.get('code')}]"
    return f"employee {failure.get('employee')}{where}: {what}: {why}"


#: Reports (done, total, stage) as a run goes: stage is "evaluating", then "writing".
Progress = Callable[[int, int, str], None]


class ProgressBar:
    """A one-line progress bar that appears only once a run has lasted ``delay`` seconds.

    Called as a :data:`Progress`; each stage (evaluating, writing) fills the bar anew.
    Pass ``enabled=stream.isatty()``: a file or pipe never receives it.
    """

    def __init__(self, stream: IO[str], *, enabled: bool, delay: float = 1.0, width: int = 30):
        self.stream, self.enabled, self.delay, self.width = stream, enabled, delay, width
        self.start = time.monotonic()
        self.last = 0.0
        self.stage = ""
        self.shown = False

    def __call__(self, done: int, total: int, stage: str = "evaluating") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        same_stage = stage == self.stage
        if now - self.start < self.delay or (now - self.last < 0.1 and done < total and same_stage):
            return
        self.last, self.stage = now, stage
        filled = self.width * done // total if total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        percent = 100 * done // total if total else 100
        self.stream.write(f"\r{stage:<10} [{bar}] {done:,}/{total:,} {percent:3d}% {now - self.start:.1f}s")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """Erase the bar so later messages start on a clean line."""
        if self.shown:
            self.stream.write("\r" + " " * (self.width + 52) + "\r")
            self.stream.flush()
            self.shown = False


@dataclass
class RunResult:
    """What :func:`run_file` did."""

    slips: int
    failures: list[dict[str, Any]]
    failed_records: int
    out: Path | None
    errors_file: Path | None
    rendered: str | None  # the output text when no ``out`` was given
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.failures


#: Output formats by file suffix, for when ``--format`` is not given.
FORMAT_BY_SUFFIX = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".txt": "text"}


def run_file(
    ruleset: str | Path | Evaluator,
    input_path: str | Path,
    out: str | Path | None,
    fmt: str,
    period: str | None = None,
    progress: Progress | None = None,
    *,
    input_format: str | None = None,
) -> RunResult:
    """Evaluate every employee-period of ``input_path`` and write the slips to ``out`` in ``fmt``.

    Bad records are collected as failures while the others are evaluated; with ``out`` the
    slips file (or HTML folder) is replaced atomically and the failures go to
    :func:`cmrules.outputs._io.errors_path` (see :func:`cmrules.outputs._io.write_slips` for the order);
    without ``out`` the rendered text is returned in ``rendered``. ``progress`` is called
    with (done, total, "evaluating") as records are evaluated, then with (done, total,
    "writing") as HTML pages are written.
    """
    if fmt not in OUTPUT_FORMATS:
        raise UsageError(f"unknown output format {fmt!r} (known: {', '.join(OUTPUT_FORMATS)})")
    if fmt == "html" and out is None:
        raise UsageError("html output is a folder of pages: give an output folder")
    started = time.monotonic()
    evaluator = ruleset if isinstance(ruleset, Ruleset | Version) else open_ruleset(ruleset)
    records = read_inputs(input_path, input_format)
    total = len(records)
    slips: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    failed = 0
    for outcome in evaluate_records(evaluator, records, period=period):
        if outcome.slip is not None:
            slips.append(outcome.slip.to_dict())
        else:
            failed += 1
            failures.extend(outcome.failures)
        if progress is not None and (outcome.record % 256 == 0 or outcome.record == total):
            progress(outcome.record, total, "evaluating")
    del records  # free the input before the output is rendered
    target = Path(out) if out is not None else None
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
    writing = None if progress is None else lambda done, total: progress(done, total, "writing")
    rendered = write_slips(slips, failures, target, fmt, writing)
    return RunResult(
        slips=len(slips),
        failures=failures,
        failed_records=failed,
        out=target,
        errors_file=errors_path(target, fmt) if target is not None and failures else None,
        rendered=rendered,
        seconds=time.monotonic() - started,
    )


# ---------------------------------------------------------------------------- explain

_KEYWORDS = frozenset(keyword.kwlist) | {"true", "false", "none"}
_TOKEN = re.compile(
    r"""(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
    r"""|(?P<num>\d[\d_]*(?:\.\d+)?%?)"""
    r"""|(?P<name>[^\W\d]\w*(?:\s*\.\s*[^\W\d]\w*)*)"""
    r"""|(?P<op>\*\*|[*/-])"""
)
_OPS = {"*": "×", "/": "÷", "-": "−", "**": "^"}
_MISSING = object()


def show_value(value: Any, places: int = 2) -> str:
    """A value as explanations show it: numbers with separators, strings quoted, long lists counted."""
    if value is UNKNOWN:
        return "<unknown>"
    if value is None or isinstance(value, bool | int | Decimal):
        return ex.show(value, None, places)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        inner = ", ".join(show_value(v, places) for v in value)
        return f"[{inner}]" if len(value) <= 6 and len(inner) <= 60 else f"[{_count(len(value), 'item')}]"
    if isinstance(value, dict):
        inner = ", ".join(f"{k}: {show_value(v, places)}" for k, v in value.items())
        return f"{{{inner}}}" if len(inner) <= 80 else f"{{{_count(len(value), 'field')}}}"
    return str(value)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def substitute(
    text: str, values: Mapping[str, Any], places: int = 2, rates: frozenset[str] = frozenset()
) -> str:
    """``text`` (an expression) with every name whose value is known replaced by that value.

    ``c.amount`` resolves through a record value of ``c``; ``lines.x`` and ``totals.x`` are
    looked up whole; names in ``rates`` show as percentages. Keywords, function names and
    names bound inside the expression stay; operators read as in line explanations (× ÷ −).
    """

    def replace(match: re.Match[str]) -> str:
        if match.group("op") is not None:
            return _OPS[match.group("op")]
        name = match.group("name")
        if name is None or name in _KEYWORDS:
            return match.group(0)
        dotted = re.sub(r"\s+", "", name)
        if dotted in values:
            value = values[dotted]
            if dotted in rates and isinstance(value, Decimal):
                return ex.show_rate(value)
            return show_value(value, places)
        head, *fields = dotted.split(".")
        value = values.get(head, _MISSING)
        for part in fields:
            value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
        return match.group(0) if value is _MISSING else show_value(value, places)

    return _TOKEN.sub(replace, " ".join(text.split()))


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


@dataclass
class Explanation:
    """One slip explained: lines with arithmetic, notices, facts, fired rules, and misses."""

    slip: PaySlip
    version: Version
    misses: list[Miss]

    def render(self) -> str:
        slip, places = self.slip, self.version.program.rounder.places
        money = lambda v: ex.show(v, None, places)  # noqa: E731
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
        out += ["", "Rules that fired, in order (with the values they read):"]
        rates = _rates(self.version)
        for n, entry in enumerate(slip.trace, start=1):
            item = f" [{entry['item']}]" if "item" in entry else ""
            made = f"  → line {', '.join(map(str, entry['lines']))}" if entry["lines"] else ""
            out.append(f"  {n}. {entry['rule_id']}{item}{made}")
            reads = ", ".join(f"{k} = {_show_read(k, v, rates)}" for k, v in entry["read"].items())
            if reads:
                out.append(f"       read {reads}")
        out += ["", "Rules that did not fire, and why:"]
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
        return "\n".join(out) + "\n"


def _show_read(name: str, value: Any, rates: frozenset[str]) -> str:
    """A value a rule read, from the trace: rates as percentages, the rest as :func:`_show_json`."""
    if name in rates and isinstance(value, str):
        return ex.show_rate(Decimal(value))
    return _show_json(value)


def _show_json(value: Any) -> str:
    """A JSON-ready trace value, compactly, numbers as facts show them (long lists counted).

    The trace writes a ``Decimal`` as its digits (``"3000.00"``): such strings get
    separators (``3,000.00``); other strings are shown unquoted.
    """
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return format_value(value)
    if isinstance(value, list):
        inner = ", ".join(_show_json(v) for v in value)
        return f"[{inner}]" if len(value) <= 6 and len(inner) <= 60 else f"[{_count(len(value), 'item')}]"
    if isinstance(value, dict):
        inner = ", ".join(f"{k}: {_show_json(v)}" for k, v in value.items())
        return f"{{{inner}}}" if len(inner) <= 80 else f"{{{_count(len(value), 'field')}}}"
    return str(value)


def _rates(version: Version) -> frozenset[str]:
    """The parameters and inputs of ``version`` that are rates (shown as percentages)."""
    rates = {n for n, p in version.doc.parameters.items() if p.type == "rate"}
    return frozenset(rates | {n for n, f in version.doc.inputs.items() if f.type == "rate"})


#: At most this many elements of one list rule are explained one by one.
MAX_ELEMENTS = 10


def explain_slip(version: Version, data: Mapping[str, Any], slip: PaySlip) -> Explanation:
    """Explain ``slip``, made by ``version`` from the validated input ``data``."""
    places = version.program.rounder.places
    rates = _rates(version)

    def sub(text: str, values: Mapping[str, Any]) -> str:
        return substitute(text, values, places, rates)

    lets = {rule.id: rule.let for rule in version.doc.rules}
    fired: dict[str, set[int | None]] = {}
    for entry in slip.trace:
        fired.setdefault(entry["rule_id"], set()).add(entry.get("item"))
    misses: list[Miss] = []
    for rule in version.program.rules:
        if rule.kind == "fact":
            continue
        values = _reads_of(slip, rule)
        unknown = [n for n, v in values.items() if v is UNKNOWN]
        when = " ".join(rule.when.split()) if rule.when else None
        miss = Miss(rule.id, dict(rule.label), "", when, rule.for_each)
        if unknown:  # rules reading an unknown fact never run
            if rule.id not in fired:
                miss.reason = f"not run: {', '.join(unknown)} unknown (no rule set it, and no default)"
                misses.append(miss)
            continue
        definitions = [(n, sub(t, values)) for n, t in lets.get(rule.id, {}).items()]
        if rule.for_each is None:
            if rule.id not in fired:
                miss.values, miss.lets = values, definitions
                miss.shown = sub(when, values) if when else None
                miss.reason = "the condition is false"
                misses.append(miss)
            continue
        var, _, source = rule.for_each.partition(" in ")
        var, source = var.strip(), " ".join(source.split())
        elements = values.get(source, slip.run_state.data.get(source, _MISSING))
        if not isinstance(elements, list):  # not a plain list name: no per-element detail
            if rule.id not in fired:
                miss.values, miss.reason = values, "no element of the list satisfied the condition"
                misses.append(miss)
            continue
        if not elements:
            if rule.id not in fired:
                miss.values, miss.reason = values, f"the list {source} is empty"
                misses.append(miss)
            continue
        done = fired.get(rule.id, set())
        missed = [i for i in range(len(elements)) if i not in done]
        for index in missed[:MAX_ELEMENTS]:
            local = {**values, var: elements[index]}
            element = show_value(elements[index], places)
            misses.append(
                Miss(
                    rule.id,
                    dict(rule.label),
                    f"the condition is false for element {index}: {var} = {element}",
                    when,
                    rule.for_each,
                    index,
                    local,
                    sub(when, local) if when else None,
                    [(n, sub(t, local)) for n, t in lets.get(rule.id, {}).items()],
                )
            )
        if len(missed) > MAX_ELEMENTS:
            rest = len(missed) - MAX_ELEMENTS
            misses.append(
                Miss(rule.id, dict(rule.label), f"… and {rest} more elements", for_each=rule.for_each)
            )
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
) -> Explanation:
    """Evaluate one employee of an input file and explain the slip.

    ``period`` fills or overrides the period as in :func:`run_file`; when the file holds
    several periods of the employee it also picks one. Raises :class:`UsageError` when
    the employee is not there (or is ambiguous), :class:`InputError` when their input is bad.
    """
    evaluator = ruleset if isinstance(ruleset, Ruleset | Version) else open_ruleset(ruleset)
    records = read_inputs(input_path, input_format)
    matches = [r for r in records if r.get("employee") == employee]
    if period is not None and len(matches) > 1:
        matches = [r for r in matches if r.get("period") == period]
    if not matches:
        known = [str(r.get("employee")) for r in records[:10]]
        raise UsageError(f"employee {employee!r} is not in {input_path} (first ids: {', '.join(known)})")
    if len(matches) > 1:
        periods = ", ".join(str(r.get("period")) for r in matches)
        raise UsageError(f"employee {employee!r} appears {len(matches)} times ({periods}): give --period")
    if period is not None and not PERIOD_RE.match(period):
        raise UsageError(f"--period must be YYYY-MM, not {period!r}")
    record = _with_period(matches[0], period)
    version = _version_of(evaluator, record)
    data = version.validator(record)
    return explain_slip(version, data, version.run(data))


# ---------------------------------------------------------------------------- test

#: A test suite: given the paths of ``cmrules test``, the results of its checks.
TestSuite = Callable[[Sequence[Path]], list[CaseResult]]


def yaml_case_suite(paths: Sequence[Path]) -> list[CaseResult]:
    """The ``*.tests.yaml`` cases found under ``paths`` (see :mod:`cmrules.testing._cases`)."""
    results: list[CaseResult] = []
    for file in case_files(list(paths)):
        try:
            results.extend(run_case_file(file))
        except RulesetError as exc:
            results.append(CaseResult(str(file), "<load>", [str(e) for e in exc.errors]))
        except (OSError, yaml.YAMLError) as exc:
            results.append(CaseResult(str(file), "<load>", [f"cannot read the tests file: {exc}"]))
    return results


def _ruleset_paths(paths: Sequence[Path]) -> list[Path]:
    """Ruleset files and plan folders under ``paths`` (a folder with several versions is one plan)."""
    found: set[Path] = set()
    for path in paths:
        candidates = [path] if path.is_file() else sorted(path.rglob("*.y*ml"))
        for file in candidates:
            if not is_version(file):
                continue
            siblings = [p for p in file.parent.iterdir() if is_version(p)]
            in_plan = path.is_dir() and file.parent != path and len(siblings) > 1
            found.add(file.parent if in_plan else file)
    return sorted(found)


def _loaded_rulesets(paths: Iterable[Path]) -> Iterator[tuple[Path, Ruleset]]:
    """Each ruleset under ``paths`` that loads, with its path (the cases suite and
    `cmrules check` report the ones that do not)."""
    for path in _ruleset_paths(list(paths)):
        try:
            ruleset = load_ruleset(path)
        except RulesetError:
            continue
        yield path, ruleset


def invariant_suite(paths: Sequence[Path], max_examples: int = 50) -> list[CaseResult]:
    """The ``invariants:`` of every ruleset under ``paths``, searched with hypothesis."""
    from cmrules.testing._invariants import check_invariants  # hypothesis is only needed here

    results: list[CaseResult] = []
    for path, ruleset in _loaded_rulesets(paths):
        if not any(v.program.invariants for v in ruleset.versions):
            continue
        for result in check_invariants(ruleset, max_examples=max_examples).results:
            failed = [] if result.passed else result.render().splitlines()
            results.append(CaseResult(str(path), f"invariant {result.invariant.id}", failed))
    return results


def coverage_reports(paths: Sequence[str | Path], max_examples: int | None = None) -> list[Any]:
    """Rule coverage (:func:`cmrules.testing.rule_coverage`) of every ruleset under ``paths``:
    how often each rule fired and made its line or notice over generated inputs."""
    from cmrules.testing._coverage import DEFAULT_EXAMPLES, rule_coverage  # hypothesis is only needed here

    examples = max_examples or DEFAULT_EXAMPLES
    return [
        rule_coverage(ruleset, max_examples=examples) for _, ruleset in _loaded_rulesets(map(Path, paths))
    ]


#: The suites ``cmrules test`` runs, by name: YAML cases and ruleset invariants. Add a
#: suite here and every ``cmrules test`` and :func:`run_tests` call runs it too.
SUITES: dict[str, TestSuite] = {"cases": yaml_case_suite, "invariants": invariant_suite}


@dataclass
class TestReport:
    """Results of :func:`run_tests`, by suite name."""

    __test__ = False  # not a pytest class

    results: dict[str, list[CaseResult]]

    @property
    def failed(self) -> list[CaseResult]:
        return [r for rs in self.results.values() for r in rs if not r.passed]

    @property
    def count(self) -> int:
        return sum(len(rs) for rs in self.results.values())

    @property
    def ok(self) -> bool:
        return self.count > 0 and not self.failed

    def render(self) -> str:
        out = []
        for result in self.failed:
            out.append(f"FAIL {result.file} :: {result.name}")
            out += [f"    {d}" for d in result.differences]
        counts = ", ".join(f"{len(rs)} {name}" for name, rs in self.results.items() if rs)
        if self.count == 0:
            out.append("no tests found (looked for *.tests.yaml)")
        else:
            passed = self.count - len(self.failed)
            out.append(f"{passed} passed, {len(self.failed)} failed ({counts})")
        return "\n".join(out) + "\n"


def run_tests(paths: Iterable[str | Path], suites: Mapping[str, TestSuite] | None = None) -> TestReport:
    """Run every suite (default :data:`SUITES`) on ``paths``: files or folders."""
    chosen = SUITES if suites is None else suites
    files = [Path(p) for p in paths]
    return TestReport({name: suite(files) for name, suite in chosen.items()})


# ---------------------------------------------------------------------------- diff


@dataclass(frozen=True)
class LineChange:
    """One rule's signed line total before and after (``None``: no line on that side).

    ``label`` is the new version's label of the rule (the old one's when only it made lines).
    """

    rule_id: str
    label: dict[str, str]
    old: Decimal | None
    new: Decimal | None

    @property
    def change(self) -> Decimal:
        return (self.new or Decimal(0)) - (self.old or Decimal(0))


@dataclass
class EmployeeDiff:
    employee: str
    period: str
    old_net: Decimal
    new_net: Decimal
    lines: list[LineChange]

    @property
    def change(self) -> Decimal:
        return self.new_net - self.old_net


def _line_changes(old: PaySlip, new: PaySlip) -> list[LineChange]:
    totals: dict[str, list[Any]] = {}
    for side, slip in ((0, old), (1, new)):
        for line in slip.lines:
            entry = totals.setdefault(line.rule_id, [line.label, None, None])
            entry[1 + side] = (entry[1 + side] or Decimal(0)) + line.amount
            if side == 1:
                entry[0] = line.label
    return [LineChange(rule_id, dict(label), a, b) for rule_id, (label, a, b) in totals.items() if a != b]


@dataclass
class DiffReport:
    """Two rulesets on the same inputs: per employee, then who gains and who loses."""

    old: str
    new: str
    employees: list[EmployeeDiff]
    failures: list[dict[str, Any]]  # each with ``side``: "old", "new" or "both"
    currency: str = ""

    @property
    def gainers(self) -> list[EmployeeDiff]:
        return sorted((e for e in self.employees if e.change > 0), key=lambda e: -e.change)

    @property
    def losers(self) -> list[EmployeeDiff]:
        return sorted((e for e in self.employees if e.change < 0), key=lambda e: e.change)

    def totals(self) -> dict[str, Any]:
        old = sum((e.old_net for e in self.employees), Decimal(0))
        new = sum((e.new_net for e in self.employees), Decimal(0))
        return {
            "employees": len(self.employees),
            "gain": {"count": len(self.gainers), "amount": sum((e.change for e in self.gainers), Decimal(0))},
            "lose": {"count": len(self.losers), "amount": -sum((e.change for e in self.losers), Decimal(0))},
            "unchanged": len(self.employees) - len(self.gainers) - len(self.losers),
            "old_net": old,
            "new_net": new,
            "change": new - old,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: amounts as decimal strings."""
        t = self.totals()
        return {
            "old": self.old,
            "new": self.new,
            "employees": [
                {
                    "employee": e.employee,
                    "period": e.period,
                    "old_net": str(e.old_net),
                    "new_net": str(e.new_net),
                    "change": str(e.change),
                    "lines": [
                        {
                            "rule_id": c.rule_id,
                            "label": dict(c.label),
                            "old": None if c.old is None else str(c.old),
                            "new": None if c.new is None else str(c.new),
                            "change": str(c.change),
                        }
                        for c in e.lines
                    ],
                }
                for e in self.employees
            ],
            "totals": {
                **t,
                "gain": {"count": t["gain"]["count"], "amount": str(t["gain"]["amount"])},
                "lose": {"count": t["lose"]["count"], "amount": str(t["lose"]["amount"])},
                **{k: str(t[k]) for k in ("old_net", "new_net", "change")},
            },
            "failures": self.failures,
        }

    def render(self) -> str:
        m = _signed
        rows = [("employee", "period", "old net", "new net", "change")]
        rows += [
            (e.employee, e.period, _plain(e.old_net), _plain(e.new_net), m(e.change)) for e in self.employees
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        out = [f"old: {self.old}", f"new: {self.new}", ""]
        for n, row in enumerate(rows):
            cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
            cells += [c.rjust(w) for c, w in zip(row[2:], widths[2:], strict=True)]
            out.append("  ".join(cells).rstrip())
            if n == 0:
                continue
            for c in self.employees[n - 1].lines:
                before = "no line" if c.old is None else _plain(c.old)
                after = "no line" if c.new is None else _plain(c.new)
                label = f"{c.label['zh']} {c.label['en']}"
                out.append(f"    {c.rule_id} ({label}): {before} → {after} ({m(c.change)})")
        t = self.totals()
        out += [
            "",
            f"{t['employees']} employees: {t['gain']['count']} gain {_plain(t['gain']['amount'])}, "
            f"{t['lose']['count']} lose {_plain(t['lose']['amount'])}, {t['unchanged']} unchanged",
            f"net pay in all: {_plain(t['old_net'])} → {_plain(t['new_net'])} ({m(t['change'])})"
            + (f" {self.currency}" if self.currency else ""),
        ]
        if self.gainers:
            top = self.gainers[0]
            out.append(f"largest gain: {top.employee} {top.period} {m(top.change)}")
        if self.losers:
            low = self.losers[0]
            out.append(f"largest loss: {low.employee} {low.period} {m(low.change)}")
        if self.failures:
            out += ["", f"{len(self.failures)} problems (these employees are left out):"]
            out += [f"  {f['side']}: {format_failure(f)}" for f in self.failures]
        return "\n".join(out) + "\n"


def _plain(value: Decimal) -> str:
    if value.as_tuple().exponent > -2:  # type: ignore[operator]  # 0 → 0.00, as money is shown
        value = value.quantize(Decimal("0.01"))
    return f"{value:,f}"


def _signed(value: Decimal) -> str:
    return f"+{_plain(value)}" if value > 0 else _plain(value)


def diff_records(
    old: Evaluator, new: Evaluator, records: Sequence[Any], *, period: str | None = None
) -> DiffReport:
    """Evaluate ``records`` with both; a single-version ruleset applies whatever the period.

    Employees that fail on either side are listed in ``failures`` and left out of the totals.
    """
    old, new = _dateless(old), _dateless(new)
    before = evaluate_records(old, records, period=period)
    after = evaluate_records(new, records, period=period)
    employees, failures, currency = [], [], ""
    for a, b in zip(before, after, strict=True):
        failures += [{**f, "side": "both" if f in b.failures else "old"} for f in a.failures]
        failures += [{**f, "side": "new"} for f in b.failures if f not in a.failures]
        if a.slip is None or b.slip is None:
            continue
        currency = currency or a.slip.currency
        changes = _line_changes(a.slip, b.slip)
        employees.append(EmployeeDiff(a.slip.employee, a.slip.period, a.slip.net, b.slip.net, changes))
    return DiffReport(describe(old), describe(new), employees, failures, currency)


def diff_rulesets(
    old: str | Path,
    new: str | Path,
    input_path: str | Path,
    period: str | None = None,
    *,
    input_format: str | None = None,
) -> DiffReport:
    """:func:`diff_records` on ruleset paths (``folder@version`` picks a version) and an input file."""
    report = diff_records(
        open_ruleset(old), open_ruleset(new), read_inputs(input_path, input_format), period=period
    )
    report.old, report.new = f"{old} ({report.old})", f"{new} ({report.new})"
    return report
