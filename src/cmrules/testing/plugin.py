"""pytest plugin: collects YAML test cases and invariants beside rulesets.

Registered through the ``pytest11`` entry point, so ``pytest rulesets/`` runs

- every case of every ``*.tests.yaml`` file (one item per case, named
  ``case: <name>``; a failure shows expected against actual per field, the
  slip's lines with their arithmetic, and the rule trace), and
- every law of every ruleset ``*.yaml`` that declares ``invariants:`` (one item
  per law, named ``invariant: <id>``; a failure shows the shrunk input and the
  slip that breaks it).

Invariants run with the loaded hypothesis profile (``--hypothesis-profile``,
``settings.load_profile``) and ``--hypothesis-seed`` when given; cmrules only fills in
what the profile leaves at hypothesis' defaults (no deadline, no example database, quiet,
slow-data health checks off: :mod:`cmrules.testing._settings`). Without a seed the
search is random unless the profile derandomizes. ``cmrules_max_examples`` (ini option)
sets the hypothesis examples per invariant; unset, the profile's ``max_examples``.
``--cmrules-coverage`` adds a terminal section with the rule coverage
(:func:`cmrules.testing.rule_coverage`, twice as many examples) of every ruleset
whose invariants were collected.  Keep deliberately broken rulesets out of collection with
``collect_ignore_glob`` in a ``conftest.py`` beside them.  Hypothesis is imported
only when an invariant runs, and nothing of cmrules (loader, cases, reports) before a
ruleset or tests file is collected: a pytest run that collects none pays nothing for the plugin.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

    from cmrules.compile._program import InvariantInfo
    from cmrules.ruleset._ruleset import Ruleset, Version
    from cmrules.testing._cases import CaseResult

_CASES = re.compile(r"^(cases|months)\s*:", re.MULTILINE)
_RULESET = re.compile(r"^cmrules\s*:", re.MULTILINE)
_INVARIANTS = re.compile(r"^invariants\s*:", re.MULTILINE)
_MODULE = re.compile(r"^module\s*:", re.MULTILINE)  # a module rulesets include (not a ruleset)
DEFAULT_MAX_EXAMPLES = 100  # hypothesis' own default, the coverage section's without a profile


_COVERED = pytest.StashKey[list[Path]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``cmrules_max_examples`` ini option and the ``--cmrules-coverage`` flag."""
    parser.addini(
        "cmrules_max_examples",
        "hypothesis examples per ruleset invariant (cmrules plugin; default: the hypothesis profile's)",
        default="",
    )
    parser.addoption(
        "--cmrules-coverage",
        action="store_true",
        help="report how often each rule fired and made its line or notice over generated "
        "inputs, for every ruleset whose invariants are collected (cmrules plugin)",
    )


def _max_examples(config: pytest.Config) -> int | None:
    """The ini option's examples per invariant; None when unset (the hypothesis profile's)."""
    raw = config.getini("cmrules_max_examples")
    if not str(raw).strip():
        return None
    try:
        return int(raw)
    except ValueError:
        raise pytest.UsageError(f"cmrules_max_examples must be a whole number, not {raw!r}") from None


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    """With ``--cmrules-coverage``: the rule coverage of every ruleset whose invariants were collected."""
    paths = config.stash.get(_COVERED, [])
    if not paths:
        return
    from cmrules.testing._coverage import rule_coverage  # hypothesis is imported only here

    terminalreporter.section("cmrules rule coverage")
    for path in paths:
        examples = _max_examples(config)
        terminalreporter.write(f"{path}\n{rule_coverage(path, max_examples=examples, seed=_seed(config))}")


def _seed(config: pytest.Config) -> int | None:
    """``--hypothesis-seed`` as a whole number, or None: the profile and hypothesis decide
    (a seed that is not a number reaches hypothesis as ``global_force_seed`` unless the
    profile derandomizes)."""
    raw = config.getoption("hypothesis_seed", None)
    try:
        return None if raw is None else int(raw)
    except ValueError:
        return None


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A ``*.tests.yaml`` with ``cases:``, or a ruleset ``*.yaml``/``*.yml`` with ``invariants:``;
    decided from the text alone, without importing cmrules."""
    name = file_path.name
    if name.endswith(".tests.yaml"):
        if _CASES.search(_text(file_path)):
            return CasesFile.from_parent(parent, path=file_path)
        return None
    if file_path.suffix in (".yaml", ".yml"):
        text = _text(file_path)
        if (_RULESET.search(text) or _MODULE.search(text)) and _INVARIANTS.search(text):
            return InvariantsFile.from_parent(parent, path=file_path)
    return None


class _Failed(Exception):
    """A failure whose message is the whole report (no Python traceback)."""


class _ReportItem(pytest.Item):
    """An item whose failures are reported by their message alone."""

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        """The failure's report; a Python traceback only for an unexpected error."""
        if isinstance(excinfo.value, _Failed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class LoadFailure(_ReportItem):
    """The file could not be loaded: one failing item with every located error."""

    def __init__(self, *, message: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message = message

    def runtest(self) -> None:
        """Fail with every located load error."""
        raise _Failed(self.message)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """The file, no line, ``load <file name>``."""
        return self.path, None, f"load {self.path.name}"


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


class CasesFile(pytest.File):
    """A ``*.tests.yaml`` file: one item per case."""

    def collect(self) -> Iterator[pytest.Item]:
        """Load the cases and their ruleset: one item per case, or one failing ``load`` item."""
        from cmrules.errors import RulesetError
        from cmrules.testing._cases import load_cases
        from cmrules.testing._ledger_cases import is_months_file

        if is_months_file(self.path):
            yield MonthsItem.from_parent(self, name="months")
            return
        try:
            ruleset, cases = load_cases(self.path)
        except RulesetError as exc:
            yield LoadFailure.from_parent(self, name="load", message=str(exc))
            return
        text = _text(self.path)
        names = _unique([f"case: {case.get('name', f'#{i + 1}')}" for i, case in enumerate(cases)])
        for name, case in zip(names, cases, strict=True):
            yield CaseItem.from_parent(self, name=name, ruleset=ruleset, case=case, line=_line_of(text, case))


def _line_of(text: str, case: dict[str, Any]) -> int | None:
    """The 0-based line of ``name: <case name>`` in the file, for the report's location."""
    name = str(case.get("name", ""))
    for number, line in enumerate(text.splitlines()):
        if name and "name:" in line and name in line:
            return number
    return None


class CaseItem(_ReportItem):
    """One case of a ``*.tests.yaml`` file, named ``case: <name>``."""

    def __init__(self, *, ruleset: Ruleset, case: dict[str, Any], line: int | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ruleset, self.case, self.line = ruleset, case, line

    def runtest(self) -> None:
        """Evaluate the case's input and compare the slip (or error) with what it expects."""
        from cmrules.testing._cases import run_case

        result = run_case(self.ruleset, self.case, str(self.path))
        if not result.passed:
            raise _Failed(_case_report(result))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """The tests file and the line of the case's name."""
        return self.path, self.line, self.name


class MonthsItem(_ReportItem):
    """A ``*.tests.yaml`` of ``months:``: the months run through one in-memory ledger."""

    def runtest(self) -> None:
        """Run the months in order; fail with every slip that differs from what its month expects."""
        from cmrules.testing._ledger_cases import run_months_file

        failed = [r for r in run_months_file(self.path) if not r.passed]
        if failed:
            raise _Failed("\n\n".join(_case_report(r) for r in failed))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """The tests file, ``months``."""
        return self.path, None, "months"


def _case_report(result: CaseResult) -> str:
    from cmrules.testing._report import slip_summary, trace_lines

    out = [f"{result.file} :: {result.name}", "expected vs actual:"]
    out += [f"  {d}" for d in result.differences]
    if result.slip is not None:
        out += ["slip:", *slip_summary(result.slip, "  ")]
        out += ["rule trace (rules that fired, the values they read, the lines they made):"]
        out += trace_lines(result.slip, "  ")
    return "\n".join(out)


class InvariantsFile(pytest.File):
    """A ruleset file that declares ``invariants:``: one item per law of every version."""

    def collect(self) -> Iterator[pytest.Item]:
        """Load the ruleset: one item per invariant, or one failing ``load`` item."""
        from cmrules.errors import RulesetError
        from cmrules.ruleset._load import is_module, load_module, load_ruleset

        try:
            ruleset = (load_module if is_module(self.path) else load_ruleset)(self.path)
        except RulesetError as exc:
            yield LoadFailure.from_parent(self, name="load", message=str(exc))
            return
        if self.config.getoption("cmrules_coverage"):
            self.config.stash.setdefault(_COVERED, []).append(self.path)
        for version in ruleset.versions:
            for inv in version.program.invariants:
                yield InvariantItem.from_parent(
                    self, name=f"invariant: {inv.id}", version=version, invariant=inv
                )


class InvariantItem(_ReportItem):
    """One invariant of one ruleset version, named ``invariant: <id>``."""

    def __init__(self, *, version: Version, invariant: InvariantInfo, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.version, self.invariant = version, invariant

    def runtest(self) -> None:
        """Search a counterexample with hypothesis; fail with the shrunk input and its slip."""
        from cmrules.testing._invariants import check_invariant  # hypothesis is imported only here

        config = self.config
        result = check_invariant(
            self.version, self.invariant, max_examples=_max_examples(config), seed=_seed(config)
        )
        if not result.passed:
            raise _Failed(result.render())

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """The ruleset file and the line of the invariant."""
        return self.path, self.invariant.position[0] - 1, self.name
