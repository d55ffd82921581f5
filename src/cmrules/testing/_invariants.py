"""Search counterexamples to a ruleset's invariants with hypothesis.

An invariant is compiled at load time (see ``cmrules.compile._build``); its expressions
read the ruleset's inputs, parameters and facts, ``lines.<rule>`` and
``totals.<category>`` (amounts as rules read them: deductions, fines and
forfeitures positive), and the slip's ``net``, ``carry_forward``, ``earnings``,
``deductions`` and ``notices`` (the codes).

- ``always: <condition>`` must hold on every slip (where ``given`` holds).
- ``monotonic: <number>`` with ``increasing_in: <input>`` must never go down
  when the input grows and everything else stays (``decreasing_in``: never up);
  ``given`` must hold before and after.  How an input grows: see
  :func:`cmrules.testing.grown_inputs`.

A valid input on which the ruleset fails to evaluate breaks every law.
"""

from __future__ import annotations

import decimal
import warnings
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import yaml
from hypothesis import assume, given, reject
from hypothesis.errors import HypothesisWarning, InvalidArgument, Unsatisfiable
from hypothesis.strategies import SearchStrategy

from cmrules._money import CONTEXT
from cmrules.compile._program import InvariantExpr, InvariantInfo
from cmrules.compile._runtime import UNKNOWN
from cmrules.errors import EvaluationError, InputError
from cmrules.ruleset._ruleset import Ruleset, Version, versions_of
from cmrules.slip import PaySlip, json_value
from cmrules.testing._coverage import CoverageReport, check_run_options, rule_coverage
from cmrules.testing._growth import Growth, grown_inputs
from cmrules.testing._plan import inputs
from cmrules.testing._repeat import collapse_repeats
from cmrules.testing._report import slip_summary
from cmrules.testing._rulesets import as_ruleset
from cmrules.testing._settings import profile, search_settings, with_seed

__all__ = ["Counterexample", "InvariantReport", "InvariantResult", "check_invariant", "check_invariants"]


@dataclass
class Counterexample:
    """The shrunk input that breaks a law, and what it gives."""

    message: str
    input: dict[str, Any]
    slip: PaySlip | None
    values: dict[str, Any] = field(default_factory=dict)  # what the law read on ``slip``
    change: str | None = None  # monotonic: how the input grew
    grown_input: dict[str, Any] | None = None
    grown_slip: PaySlip | None = None
    grown_values: dict[str, Any] = field(default_factory=dict)


@dataclass
class InvariantResult:
    """The search for one invariant of one ruleset version."""

    version: Version
    invariant: InvariantInfo
    examples: int  # examples on which the law was checked and held
    counterexample: Counterexample | None = None
    problem: str | None = None  # the search itself failed (e.g. ``given`` never held)

    @property
    def passed(self) -> bool:
        """No counterexample was found and the search ran."""
        return self.counterexample is None and self.problem is None

    @property
    def name(self) -> str:
        """The ruleset, its version and the invariant, as reports name them."""
        return f"{self.version.id} {self.version.version} invariant {self.invariant.id}"

    def render(self) -> str:
        """The result in words: the law, and the shrunk counterexample with its slips if broken."""
        inv = self.invariant
        law = f"{inv.kind}: {inv.law.text}"
        if inv.direction:
            law += f"  ({'increasing' if inv.direction > 0 else 'decreasing'} in {inv.perturb})"
        if inv.given is not None:
            law += f"  given: {inv.given.text}"
        head = [f"{self.name} {'holds' if self.passed else 'is BROKEN'}", f"  law: {law}"]
        if self.problem is not None:
            return "\n".join([*head, f"  {self.problem}"])
        cx = self.counterexample
        if cx is None:
            return "\n".join([*head, f"  held on {self.examples} examples"])
        out = [*head, f"  {cx.message}", "  shrunk input (a YAML test case input):"]
        out.append("    " + _yaml(cx.input))
        if cx.values:
            out.append("  the law read: " + _shown(cx.values))
        if cx.slip is not None:
            out += ["  slip:", *slip_summary(cx.slip, "    ")]
        if cx.change is not None:
            out.append(f"  grown: {cx.change}")
            if cx.grown_values:
                out.append("  the law read after: " + _shown(cx.grown_values))
            if cx.grown_slip is not None:
                out += ["  slip after:", *slip_summary(cx.grown_slip, "    ")]
        return "\n".join(out)


@dataclass
class InvariantReport:
    """Every invariant searched by :func:`check_invariants`, and the rule coverage of
    its inputs when asked for (``coverage=True``; it does not change :attr:`ok`)."""

    results: list[InvariantResult]
    coverage: CoverageReport | None = None

    @property
    def ok(self) -> bool:
        """Every invariant held."""
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> list[InvariantResult]:
        """The invariants broken or not searched."""
        return [r for r in self.results if not r.passed]

    def render(self) -> str:
        """Each failure rendered, the count of laws that held, and the coverage if measured."""
        held = len(self.results) - len(self.failures)
        parts = [r.render() for r in self.failures]
        parts.append(f"{held} of {len(self.results)} invariants held")
        if self.coverage is not None:
            parts.append(self.coverage.render().rstrip("\n"))
        return "\n\n".join(parts) + "\n"

    def raise_on_failure(self) -> None:
        """Raise ``AssertionError`` with the rendered report when a law is broken."""
        if not self.ok:
            raise AssertionError(self.render())

    def __str__(self) -> str:
        return self.render()


_NEVER_CHECKED = "never checked: `given` (or a fact the law reads) did not hold on any example"


class _Broken(Exception):
    def __init__(self, counterexample: Counterexample):
        super().__init__(counterexample.message)
        self.counterexample = counterexample


class _Unknown(Exception):
    """The law reads a fact no rule set for this input: it does not apply."""


def _values(expr: InvariantExpr, slip: PaySlip) -> list[Any]:
    """The values a law reads: the slip's totals and notices, or what the run left behind."""
    state = slip.run_state
    out = []
    for ref in expr.refs:
        kind, key = ref
        if kind == "slip":
            value = [n.code for n in slip.notices] if key == "notices" else getattr(slip, key)
        else:
            value = state.value(ref, ())
            if value is UNKNOWN:
                raise _Unknown(state.program.facts[key][0])
        out.append(value)
    return out


def _evaluate(expr: InvariantExpr, slip: PaySlip) -> tuple[Any, dict[str, Any]]:
    values = _values(expr, slip)
    shown = dict(zip(expr.names, values, strict=True))
    with decimal.localcontext(CONTEXT):
        return expr.fn(*values), shown


class _Judge:
    """Runs one invariant on drawn inputs; raises :class:`_Broken` with what breaks it."""

    def __init__(self, version: Version, invariant: InvariantInfo):
        self.version, self.inv = version, invariant
        self.held = 0

    def slip(self, raw: dict[str, Any]) -> tuple[dict[str, Any], PaySlip]:
        try:
            data = self.version.validator(raw)
        except InputError as exc:  # refused by the ruleset's own checks (checks:): not a valid input
            if all(p.code == "input.check" for p in exc.problems):
                reject()
            raise
        try:
            return data, self.version.run(data)
        except EvaluationError as exc:
            raise _Broken(Counterexample(f"the ruleset fails on a valid input: {exc}", raw, None)) from None

    def law(self, raw: dict[str, Any], data: dict[str, Any], slip: PaySlip) -> tuple[Any, dict[str, Any]]:
        """The law's value on one slip, after checking ``given`` (not applicable: assume fails)."""
        try:
            if self.inv.given is not None:
                holds, _ = _evaluate(self.inv.given, slip)
                assume(holds)
            return _evaluate(self.inv.law, slip)
        except _Unknown:
            reject()
        except ArithmeticError as exc:
            message = f"the law itself fails: {type(exc).__name__} {exc}"
            raise _Broken(Counterexample(message, raw, slip)) from None

    def always(self, raw: dict[str, Any]) -> None:
        data, slip = self.slip(raw)
        holds, values = self.law(raw, data, slip)
        if not holds:
            raise _Broken(Counterexample("the law is false on this input", raw, slip, values))
        self.held += 1

    def monotonic(self, growth: Growth) -> None:
        data, slip = self.slip(growth.base)
        before, values = self.law(growth.base, data, slip)
        grown_data, grown_slip = self.slip(growth.grown)
        after, grown_values = self.law(growth.grown, grown_data, grown_slip)
        up = self.inv.direction > 0
        if (after < before) if up else (after > before):
            verb = "went down" if up else "went up"
            message = f"{self.inv.law.text} {verb} from {before} to {after} when {growth.change}"
            raise _Broken(
                Counterexample(
                    message,
                    growth.base,
                    slip,
                    values,
                    growth.change,
                    growth.grown,
                    grown_slip,
                    grown_values,
                )
            )
        self.held += 1


def check_invariant(
    version: Version,
    invariant: InvariantInfo | str,
    *,
    max_examples: int | None = None,
    seed: int | None = 0,
    max_list_size: int = 3,
    overrides: Mapping[str, Any] | None = None,
    sizes: Mapping[str, int | tuple[int, int]] | None = None,
) -> InvariantResult:
    """Search a counterexample to one invariant of one version (by id or compiled).

    The options are those of :func:`check_invariants`.
    """
    check_run_options(max_examples, seed, max_list_size)
    fixed = _overrides(overrides)
    if isinstance(invariant, str):
        found = [i for i in version.program.invariants if i.id == invariant]
        if not found:
            known = ", ".join(i.id for i in version.program.invariants) or "none"
            raise InvalidArgument(f"{version.id} {version.version} has no invariant {invariant!r} ({known})")
        invariant = found[0]
    judge = _Judge(version, invariant)
    if invariant.direction:
        assert invariant.perturb is not None
        strategy: SearchStrategy[Any] = grown_inputs(
            version, invariant.perturb, max_list_size=max_list_size, sizes=_sizes(sizes), **fixed
        )
        law: Callable[[Any], None] = judge.monotonic
    else:
        strategy = inputs(version, max_list_size=max_list_size, sizes=_sizes(sizes), **fixed)
        law = judge.always

    def test(example: Any) -> None:
        law(example)

    chosen = search_settings(max_examples, seed, report_multiple_bugs=False)
    run = with_seed(chosen(given(strategy)(test)), seed)
    try:
        with warnings.catch_warnings():  # hypothesis' repr of a shrunk 900-order input: not shown
            warnings.filterwarnings("ignore", "Generating overly large repr", HypothesisWarning)
            run()
    except _Broken as exc:  # hypothesis re-raises the shrunk example's failure last
        return InvariantResult(version, invariant, 0, exc.counterexample)
    except Unsatisfiable:
        return InvariantResult(version, invariant, 0, problem=_NEVER_CHECKED)
    if judge.held == 0:
        return InvariantResult(version, invariant, 0, problem=_NEVER_CHECKED)
    return InvariantResult(version, invariant, judge.held)


def check_invariants(
    ruleset: Ruleset | Version | str | PathLike[str],
    *,
    max_examples: int | None = None,
    seed: int | None = 0,
    max_list_size: int = 3,
    only: Collection[str] | None = None,
    coverage: bool = False,
    overrides: Mapping[str, Any] | None = None,
    sizes: Mapping[str, int | tuple[int, int]] | None = None,
) -> InvariantReport:
    """Search counterexamples to every invariant of every version of ``ruleset``.

    The search runs with the loaded hypothesis profile (``settings.default``), cmrules'
    preferences where the profile keeps hypothesis' defaults (see
    :mod:`cmrules.testing._settings`). ``max_examples=None`` takes the profile's (100 by
    default). ``seed=0`` (the default) makes the search reproducible for the same code and
    imports (hypothesis also draws literals of the local modules imported); ``seed=None`` lets
    hypothesis choose as for any test (the profile's ``derandomize``, ``--hypothesis-seed``,
    else a new seed each call).
    ``overrides`` fix or restrict input fields as the keywords of :func:`inputs` do
    (``{"dismissed": False, "orders": st.lists(order, min_size=1)}``); ``sizes`` aims the
    lengths of lists (``{"orders": (590, 910)}``: every ``orders`` list has 590 to 910
    elements, an int exactly that many).
    ``only`` restricts the search to the invariants with those ids: a list, tuple or
    set of ids (a single id is ``only=["net_never_negative"]``; a bare string is
    refused, as hypothesis refuses one where it wants a collection).
    ``coverage=True`` also measures :func:`rule_coverage` with the same options and
    puts it in the report (``report.coverage``, rendered after the laws).
    """
    check_run_options(max_examples, seed, max_list_size)
    if isinstance(only, str):
        raise InvalidArgument(f"only={only!r} must be a collection of invariant ids: only=[{only!r}]")
    if only is not None and not all(isinstance(i, str) for i in only):
        raise InvalidArgument(f"only={only!r} must be a collection of invariant ids (str)")
    if not isinstance(coverage, bool):
        raise InvalidArgument(f"coverage={coverage!r} must be True or False")
    ruleset = as_ruleset(ruleset)
    versions = versions_of(ruleset)
    wanted = set(only) if only is not None else None
    if wanted is not None:
        known = {i.id for v in versions for i in v.program.invariants}
        if wanted - known:
            raise InvalidArgument(f"no invariant(s) {sorted(wanted - known)}; known: {sorted(known)}")
    options: dict[str, Any] = {"seed": seed, "max_list_size": max_list_size, "overrides": overrides}
    results = [
        check_invariant(version, inv, max_examples=max_examples, sizes=sizes, **options)
        for version in versions
        for inv in version.program.invariants
        if wanted is None or inv.id in wanted
    ]
    if not coverage:
        return InvariantReport(results)
    examples = profile().max_examples if max_examples is None else max_examples
    options = {"seed": seed, "max_list_size": max_list_size, "sizes": _sizes(sizes)}
    measured = rule_coverage(ruleset, max_examples=examples, **options, **_overrides(overrides))
    return InvariantReport(results, measured)


def _overrides(overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping) or not all(isinstance(k, str) for k in overrides):
        raise InvalidArgument(f"overrides={overrides!r} must be a dict of input names to values, strategies")
    return dict(overrides)


def _sizes(sizes: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if sizes is not None and not isinstance(sizes, Mapping):
        raise InvalidArgument(f"sizes={sizes!r} must be a dict of list paths to a length or (low, high)")
    return None if sizes is None else dict(sizes)


# ---------------------------------------------------------------------------- rendering


def _yaml(data: Mapping[str, Any]) -> str:
    shown = collapse_repeats(json_value(dict(data)))  # 600 equal orders: one {repeat: 600, item: ...}
    text: str = yaml.safe_dump(
        shown, allow_unicode=True, default_flow_style=True, sort_keys=False, width=10_000
    )
    return text.strip()


def _shown(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} = {json_value(v)}" for k, v in values.items())
