"""``cmrules test``: the YAML test cases beside rulesets, their invariants, and rule coverage.

Each suite of :data:`SUITES` takes the paths given and returns one
:class:`~cmrules.testing._cases.CaseResult` per check; add a suite there and every
``cmrules test`` and :func:`run_tests` call runs it too.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import yaml

from cmrules.errors import RulesetError, UsageError
from cmrules.ruleset._load import is_module, is_version, load_module, load_ruleset
from cmrules.ruleset._ruleset import Ruleset
from cmrules.run import Progress
from cmrules.testing import run_case_file
from cmrules.testing._cases import CaseResult, case_files
from cmrules.testing._ledger_cases import is_months_file, run_months_file

if TYPE_CHECKING:
    from cmrules.testing._coverage import CoverageReport


#: A test suite: given the paths of ``cmrules test``, the results of its checks.
TestSuite = Callable[[Sequence[Path]], list[CaseResult]]


def yaml_case_suite(paths: Sequence[Path], progress: Progress | None = None) -> list[CaseResult]:
    """The ``*.tests.yaml`` cases found under ``paths`` (see :mod:`cmrules.testing._cases`).

    ``progress`` is called with (files done, files, "cases") after each file.
    """
    results: list[CaseResult] = []
    files = case_files(list(paths))
    for done, file in enumerate(files, start=1):
        try:
            results.extend(run_months_file(file) if is_months_file(file) else run_case_file(file))
        except RulesetError as exc:
            results.append(CaseResult(str(file), "<load>", [str(e) for e in exc.errors]))
        except (OSError, yaml.YAMLError) as exc:
            results.append(CaseResult(str(file), "<load>", [f"cannot read the tests file: {exc}"]))
        if progress is not None:
            progress(done, len(files), "cases")
    return results


def _ruleset_paths(paths: Sequence[Path]) -> list[Path]:
    """Ruleset files and plan folders under ``paths`` (a folder with several versions is one plan)."""
    found: set[Path] = set()
    for path in paths:
        candidates = [path] if path.is_file() else sorted(path.rglob("*.y*ml"))
        for file in candidates:
            if not is_version(file):
                continue
            if is_module(file):  # a module is checked on its own, never a version of a plan
                found.add(file)
                continue
            siblings = [p for p in file.parent.iterdir() if is_version(p) and not is_module(p)]
            in_plan = path.is_dir() and file.parent != path and len(siblings) > 1
            found.add(file.parent if in_plan else file)
    return sorted(found)


def _load(path: Path) -> Ruleset:
    """The ruleset at ``path``, or the module there compiled on its own."""
    return load_module(path) if path.is_file() and is_module(path) else load_ruleset(path)


def _loaded_rulesets(paths: Iterable[Path]) -> Iterator[tuple[Path, Ruleset]]:
    """Each ruleset under ``paths`` that loads, with its path (the cases suite and
    `cmrules check` report the ones that do not)."""
    for path in _ruleset_paths(list(paths)):
        try:
            ruleset = _load(path)
        except RulesetError:
            continue
        yield path, ruleset


def invariant_suite(
    paths: Sequence[Path],
    max_examples: int = 50,
    progress: Progress | None = None,
    sizes: Mapping[str, int | tuple[int, int]] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> list[CaseResult]:
    """The ``invariants:`` of every ruleset under ``paths``, searched with hypothesis.

    ``progress`` is called with (rulesets done, rulesets, "invariants") after each ruleset.
    ``sizes`` and ``overrides`` are those of :func:`cmrules.testing.check_invariants`, each
    applied to the rulesets that have that input (a size hint no ruleset can take fails).
    """
    try:
        from cmrules.testing._invariants import check_invariants  # hypothesis is only needed here
    except ModuleNotFoundError as exc:
        if exc.name != "hypothesis":
            raise
        hint = "invariants not searched: hypothesis is not installed (pip install 'cmrules[testing]')"
        return [CaseResult(", ".join(map(str, paths)), "invariants", [hint])]

    results: list[CaseResult] = []
    rulesets = _ruleset_paths(list(paths))
    used: set[str] = set()
    for done, path in enumerate(rulesets, start=1):
        try:  # the cases suite and `cmrules check` report the rulesets that do not load
            ruleset = _load(path)
        except RulesetError:
            ruleset = None
        if ruleset is not None and any(v.program.invariants for v in ruleset.versions):
            hints, fixed = _its_own(ruleset, sizes, overrides)
            used |= set(hints)
            report = check_invariants(ruleset, max_examples=max_examples, sizes=hints, overrides=fixed)
            for result in report.results:
                failed = [] if result.passed else result.render().splitlines()
                results.append(CaseResult(str(path), f"invariant {result.invariant.id}", failed))
        if progress is not None:
            progress(done, len(rulesets), "invariants")
    for hint in sorted(set(sizes or {}) - used):
        where = ", ".join(map(str, paths))
        problem = f"no ruleset with invariants has a list input {hint!r}"
        results.append(CaseResult(where, f"size {hint}", [problem]))
    return results


def _its_own(
    ruleset: Ruleset,
    sizes: Mapping[str, int | tuple[int, int]] | None,
    overrides: Mapping[str, Any] | None,
) -> tuple[dict[str, int | tuple[int, int]], dict[str, Any]]:
    """The size hints and overrides that name inputs of ``ruleset`` (a list, for a size hint)."""
    from cmrules.testing._boundaries import list_field
    from cmrules.testing._rulesets import input_fields

    fields = {k: f for v in ruleset.versions for k, f in input_fields(v).items()}
    hints = {k: n for k, n in (sizes or {}).items() if list_field(k, fields) is not None}
    return hints, {k: v for k, v in (overrides or {}).items() if k in fields}


def coverage_reports(
    paths: Sequence[str | Path],
    max_examples: int | None = None,
    sizes: Mapping[str, int | tuple[int, int]] | None = None,
) -> list[CoverageReport]:
    """Rule coverage (:func:`cmrules.testing.rule_coverage`) of every ruleset under ``paths``:
    how often each rule fired and made its line or notice over generated inputs (``sizes``:
    as for :func:`invariant_suite`)."""
    try:
        from cmrules.testing._coverage import DEFAULT_EXAMPLES, rule_coverage  # hypothesis only here
    except ModuleNotFoundError as exc:
        if exc.name != "hypothesis":
            raise
        raise UsageError("--coverage needs hypothesis: pip install 'cmrules[testing]'") from exc

    examples = max_examples or DEFAULT_EXAMPLES
    return [
        rule_coverage(ruleset, max_examples=examples, sizes=_its_own(ruleset, sizes, None)[0] or None)
        for _, ruleset in _loaded_rulesets(map(Path, paths))
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
        """The checks that failed, suite by suite."""
        return [r for rs in self.results.values() for r in rs if not r.passed]

    @property
    def count(self) -> int:
        """How many checks ran."""
        return sum(len(rs) for rs in self.results.values())

    @property
    def ok(self) -> bool:
        """True when some check ran and none failed."""
        return self.count > 0 and not self.failed

    def render(self) -> str:
        """Each failure with its differences, then ``N passed, N failed (counts by suite)``."""
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


def run_tests(
    paths: Iterable[str | Path],
    suites: Mapping[str, TestSuite] | None = None,
    progress: Progress | None = None,
    sizes: Mapping[str, int | tuple[int, int]] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> TestReport:
    """Run every suite (default :data:`SUITES`) on ``paths``: files or folders.

    ``progress`` is handed to each suite that takes a ``progress`` keyword (the shipped ones
    call it per file of cases and per ruleset of invariants, with the suite's name as stage);
    ``sizes`` and ``overrides`` (see :func:`invariant_suite`) likewise to each that takes them.
    """
    chosen = SUITES if suites is None else suites
    files = [Path(p) for p in paths]
    given = {"progress": progress, "sizes": sizes, "overrides": overrides}
    results = {}
    for name, suite in chosen.items():
        options = {k: v for k, v in given.items() if v is not None and _takes(suite, k)}
        results[name] = cast("Callable[..., list[CaseResult]]", suite)(files, **options)
    return TestReport(results)


def _takes(suite: Callable[..., object], keyword: str) -> bool:
    try:
        return keyword in inspect.signature(suite).parameters
    except (TypeError, ValueError):  # a callable without a signature
        return False


# ---------------------------------------------------------------------------- diff
