"""A loaded ruleset: one or more dated versions of one plan, each compiled once."""

from __future__ import annotations

import bisect
import datetime as dt
import decimal
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cmrules._money import CONTEXT
from cmrules._periods import period_start
from cmrules.compile._checks import refusals
from cmrules.compile._program import BalanceSpec, Program
from cmrules.compile._runtime import RuleFailure
from cmrules.errors import CmrulesError, EmployeeError, EvaluationError, InputError, InputProblem
from cmrules.inputs._text import PERIOD_RE, period_text
from cmrules.inputs._validator import InputValidator
from cmrules.ruleset._engines import resolve_engine
from cmrules.ruleset._include import ModuleText
from cmrules.ruleset._many import Duplicates, employee_of, evaluate_one
from cmrules.ruleset._stream import Outcome, stream_outcomes
from cmrules.slip import PaySlip, RunState, SlipInfo, fixed_context, in_fixed_context
from cmrules.spec._model import RulesetDoc


@dataclass
class Version:
    """One compiled ruleset file.

    It pickles as its source text, file name and hash (``source``: the YAML text it was
    compiled from); unpickling compiles that text once per process
    (:func:`cmrules.ruleset._load.restore_version`).
    """

    doc: RulesetDoc
    program: Program
    file: str
    sha256: str
    validator: InputValidator
    source: str | None = None
    #: the modules it includes (name, file, sha256, text), in the order merged
    modules: tuple[ModuleText, ...] = ()
    _params: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    _info: SlipInfo = field(init=False)
    _money_facts: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        facts = self.program.facts
        names = tuple(name for name, _ in facts)
        hashes = tuple((m.name, m.sha256) for m in self.modules)
        self._info = SlipInfo(self.doc.id, self.doc.version, self.sha256, self.doc.currency, names, hashes)
        self._money_facts = tuple(i for i, (_, typ) in enumerate(facts) if typ.kind == "money")
        if self.program.checks:
            self.validator.checks = self._check

    def _check(self, data: dict[str, Any]) -> None:
        """Refuse ``data`` (validated) when one of the ruleset's input checks fails (``input.check``)."""
        employee = data["employee"]
        try:
            params = self.params_at(data["period"])
        except InputError as exc:
            raise InputError(
                [InputProblem(employee, p.field, p.value, p.message, p.code) for p in exc.problems]
            ) from None
        problems = refusals(self.program.checks, data, params, self.program.namespace)
        if problems:
            raise InputError(problems)

    @property
    def id(self) -> str:
        """The ruleset's id."""
        return self.doc.id

    @property
    def version(self) -> str:
        """This version's name."""
        return self.doc.version

    @property
    def balances(self) -> tuple[BalanceSpec, ...]:
        """The balances an employee carries from period to period under this version: the built-in
        ``carried_deductions`` first, then the declared ones in file order."""
        return self.program.balances

    def covers(self, day: dt.date) -> bool:
        """Whether ``day`` lies within this version's effective dates."""
        doc = self.doc
        return doc.effective_from <= day and (doc.effective_to is None or day <= doc.effective_to)

    def params_at(self, period: str) -> tuple[Any, ...]:
        """Values of the dated parameters in force on the period's first day (cached)."""
        cached = self._params.get(period)
        if cached is None:
            day = period_start(period)
            values = []
            for name, dated in self.program.dated:
                in_force = [v for start, v in dated if start <= day]
                if not in_force:
                    raise InputError(
                        [
                            InputProblem(
                                "<unknown>",
                                "period",
                                period,
                                f"parameter '{name}' has no value in force on {day}",
                                "input.period",
                            )
                        ]
                    )
                values.append(in_force[-1])
            cached = self._params[period] = tuple(values)
        return cached

    @in_fixed_context
    def evaluate(self, inputs: Mapping[str, Any], *, engine: str = "native") -> PaySlip:
        """Validate one employee-period and evaluate it with this version, whatever the date,
        by the engine of that name (:func:`~cmrules.ruleset._engines.resolve_engine`)."""
        return resolve_engine(engine)(self, inputs)

    def run(self, data: dict[str, Any], plan: Callable[..., Any] | None = None) -> PaySlip:
        """Evaluate already validated input (with ``plan`` in place of the program's ``run``,
        e.g. the durable backend's gated variant bound to its matches)."""
        program = self.program
        employee, period = data["employee"], data["period"]
        params = self._params.get(period)
        if params is None:
            try:
                params = self.params_at(period)
            except InputError as exc:
                raise InputError(
                    [InputProblem(employee, p.field, p.value, p.message, p.code) for p in exc.problems]
                ) from None
        lines: list[tuple[Any, ...]] = []
        notices: list[tuple[Any, ...]] = []
        trace: list[tuple[Any, ...]] = []
        saved, context = decimal.getcontext(), fixed_context()
        if saved is not context:  # Ruleset.evaluate has already switched: do not again
            decimal.setcontext(context)
        try:
            facts, earnings, deductions = (plan or program.run)(
                data, params, lines.append, notices.append, trace.append
            )
            facts = self._with_places(facts)
        except RuleFailure as exc:
            raise EvaluationError(employee, program.rules[exc.index].id, exc.message) from None
        finally:
            if saved is not context:
                decimal.setcontext(saved)
        return PaySlip(
            RunState(program, data, params, facts, lines),
            self._info,
            notices,
            trace,
            earnings,
            deductions,
            self,
        )

    def _with_places(self, values: tuple[Any, ...]) -> tuple[Any, ...]:
        """Fact values, money facts shown with the ruleset's places when that is exact
        (run in the evaluation context: a fact too long for the places stays as it is)."""
        exp = self.program.rounder.exp
        out: list[Any] | None = None
        for i in self._money_facts:
            value = values[i]
            if type(value) is not decimal.Decimal or (value.same_quantum(exp) and value):
                continue  # the common case: already in the ruleset's places
            if value.adjusted() < _DIGITS_FOR_PLACES:
                exact = value.quantize(exp)
                if exact == value:
                    out = out or list(values)
                    out[i] = exact if exact else abs(exact)  # 0.00, never -0.00
        return values if out is None else tuple(out)


def _period_problem(period: Any) -> str:
    """Why ``period`` (which :data:`PERIOD_RE` refused) is not a period."""
    try:
        period_text(period)
    except ValueError as exc:
        return str(exc)
    raise AssertionError(period)  # pragma: no cover - PERIOD_RE and period_text agree


#: A money fact with this many digits before the point keeps its own form (quantizing
#: it to the ruleset's places could exceed the context's 34 significant digits).
_DIGITS_FOR_PLACES = CONTEXT.prec - 9


class Ruleset:
    """A plan: its versions sorted by ``effective_from``.

    ``evaluate`` picks the version in force on the first day of the input's
    period; ``version(v)`` gives one version to apply whatever the date.
    """

    def __init__(self, versions: list[Version]):
        self.versions = sorted(versions, key=lambda v: v.doc.effective_from)
        self._starts = [v.doc.effective_from for v in self.versions]
        self._by_period: dict[str, Version] = {}  # periods already resolved

    @property
    def id(self) -> str:
        """The plan's id (its latest version's)."""
        return self.versions[-1].id

    @property
    def latest(self) -> Version:
        """The version with the latest ``effective_from``."""
        return self.versions[-1]

    @property
    def doc(self) -> RulesetDoc:
        """The latest version's document."""
        return self.latest.doc

    def version(self, name: str) -> Version:
        """The version called ``name`` (``KeyError`` listing the versions when there is none)."""
        for v in self.versions:
            if v.version == name:
                return v
        raise KeyError(
            f"ruleset {self.id} has no version {name!r}; it has {[v.version for v in self.versions]}"
        )

    def version_for(self, period: str, employee: str = "<unknown>") -> Version:
        """The version in force on the first day of ``period`` (``InputError`` when none is)."""
        if not isinstance(period, str) or not PERIOD_RE.match(period):
            problem = InputProblem(employee, "period", period, _period_problem(period), "input.type")
            raise InputError([problem])
        day = period_start(period)
        i = bisect.bisect_right(self._starts, day) - 1
        if i < 0 or not self.versions[i].covers(day):
            spans = ", ".join(
                f"{v.version} from {v.doc.effective_from}"
                + (f" to {v.doc.effective_to}" if v.doc.effective_to else "")
                for v in self.versions
            )
            raise InputError(
                [
                    InputProblem(
                        employee,
                        "period",
                        period,
                        f"no version of {self.id} is in force on {day} ({spans})",
                        "input.period",
                    )
                ]
            )
        return self.versions[i]

    @in_fixed_context
    def evaluate(self, inputs: Mapping[str, Any], *, engine: str = "native") -> PaySlip:
        """Validate one employee-period and evaluate it with the version in force (in cmrules'
        own decimal context, whatever the caller's, which is left as it was)."""
        if engine == "native" and type(inputs) is dict:  # the common case, one dict lookup
            period = inputs.get("period")
            version = self._by_period.get(period) if type(period) is str else None
            if version is not None:
                return version.run(version.validator(inputs))
        employee = employee_of(inputs)
        if not isinstance(inputs, Mapping):
            raise InputError(
                [
                    InputProblem(
                        employee,
                        "<input>",
                        inputs,
                        "an employee's input is a mapping of fields",
                        "input.type",
                    )
                ]
            )
        if "period" not in inputs:  # a missing field, as the input validator words it
            raise InputError([InputProblem(employee, "period", None, "Field required", "input.missing")])
        version = self.version_for(inputs.get("period"), employee)  # type: ignore[arg-type]
        if len(self._by_period) < 10_000:
            self._by_period[inputs["period"]] = version
        return version.evaluate(inputs, engine=engine)

    def evaluate_many(
        self, inputs: Iterable[Mapping[str, Any]], *, engine: str = "native"
    ) -> tuple[list[PaySlip], list[CmrulesError]]:
        """Evaluate everyone; one bad employee never loses the others' slips.

        Each failure is an :class:`~cmrules.errors.EmployeeError` naming the employee: bad
        input, a rule that failed, any other exception while they were evaluated
        (``eval.internal``), or a record repeating an employee and period already given
        (``input.duplicate``: paid once, never twice). An interrupt, ``MemoryError`` and a
        :class:`~cmrules.errors.UsageError` (e.g. an engine that cannot run) stop it.
        """
        slips: list[PaySlip] = []
        failures: list[CmrulesError] = []

        def evaluate(item: Any) -> PaySlip:
            return self.evaluate(item, engine=engine)

        with Duplicates() as seen:
            for number, item in enumerate(inputs, start=1):
                duplicate = seen.check(item, number)
                if duplicate is not None:
                    failures.append(duplicate)
                    continue
                try:
                    slips.append(evaluate_one(evaluate, item))
                except EmployeeError as exc:
                    failures.append(exc)
        return slips, failures

    def stream(
        self, records: Iterable[Any], *, jobs: int | None = 1, period: str | None = None
    ) -> Iterator[Outcome]:
        """Pay ``records`` (any iterable of mappings) lazily: one :class:`Outcome` per record, in input order.

        An outcome has ``record`` (the 1-based position), ``slip`` (a :class:`PaySlip`, or
        None) and ``failures`` (the rows of the errors file: ``employee``, ``record``,
        ``field``, ``value``, ``message``, ``code``), as :meth:`evaluate_many` fails them
        (bad input, a failed rule, ``eval.internal``, ``input.duplicate``). ``period``
        (``YYYY-MM``) fills or overrides every record's period. ``jobs`` > 1 pays batches
        of records on that many worker processes (``None``: the CPUs this process may use),
        each compiling this ruleset once; outcomes still come in input order, and a worker
        that dies raises :class:`ChildProcessError`. Worker processes are started with
        ``spawn``: a script that uses them needs ``if __name__ == "__main__":``.
        """
        return stream_outcomes(self, records, jobs=jobs, period=period)

    def __reduce__(self) -> tuple[Any, ...]:
        """A ruleset pickles as its versions (each as its source text and hash)."""
        return Ruleset, (self.versions,)

    def __repr__(self) -> str:
        return f"Ruleset({self.id}, versions={[v.version for v in self.versions]})"


def versions_of(evaluator: Ruleset | Version) -> list[Version]:
    """The versions of a plan (in date order), or the one version given."""
    return list(evaluator.versions) if isinstance(evaluator, Ruleset) else [evaluator]


def money_places(evaluator: Ruleset | Version) -> int:
    """The decimal places of the ruleset's money (the largest of its versions')."""
    return max(version.doc.rounding.places for version in versions_of(evaluator))
