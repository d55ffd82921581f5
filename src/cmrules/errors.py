"""The error tree: every error cmrules raises on purpose, and the stable error codes.

::

    CmrulesError                  every error cmrules raises on purpose
    ├── UsageError                misuse of the API or CLI (unknown employee, bad period, …)
    │   └── EngineUnavailable     engine="durable" cannot run here
    ├── LedgerError               the ledger did not do what was asked; the file is unchanged
    │   ├── LedgerBusy            another process is writing to the ledger: retry (exit 75)
    │   ├── LedgerFileError       the file is damaged, not a ledger, or of a newer schema (exit 1)
    │   └── LedgerRefused         a re-run that would lose paid slips, a close with failures (exit 1)
    ├── RulesetError              a ruleset that does not load; .errors: located Issues
    ├── InputFileError            a file of employees that cannot be read as a whole
    └── EmployeeError             one employee's failure: employee, field, value, code
        ├── InputError            bad input data for one employee; .problems
        └── EvaluationError       a rule failed while paying one employee

Every ruleset problem becomes a located :class:`Issue` with a stable code; a load
collects all issues of a file and raises one :class:`RulesetError`.  Bad input
raises :class:`InputError`, naming the employee, the field path and the value.
Every error pickles (with its attributes), so it crosses process boundaries.
"""

from __future__ import annotations

import reprlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

#: Every stable error code with a one-line description (docs/errors.md mirrors it).
CODES: dict[str, str] = {
    # YAML layer
    "yaml.syntax": "The file is not valid YAML.",
    "yaml.tab": "A tab character is used for indentation.",
    "yaml.duplicate_key": "A mapping has the same key twice.",
    "yaml.alias": "YAML anchors, aliases and merge keys are not allowed.",
    "yaml.tag": "A YAML tag outside the core schema (e.g. !!python/object) is not allowed.",
    "yaml.too_deep": "The document nests deeper than the limit.",
    "yaml.too_large": "The file is larger than the limit.",
    "yaml.key_type": "A mapping key is not a plain string.",
    "yaml.file": "The file or folder cannot be read.",
    # document structure
    "schema.unknown_key": "A key that the language does not define.",
    "schema.missing_key": "A required key is absent.",
    "schema.type": "A value has the wrong type or form.",
    "schema.value": "A value is out of its allowed set or range.",
    "schema.name": "A name is not a valid identifier or is reserved.",
    "schema.duplicate_name": "Two declarations or rules share one name or id.",
    # expressions
    "expr.syntax": "An expression does not parse.",
    "expr.forbidden": "An expression uses a construct outside the whitelist.",
    "expr.unknown_name": "An expression names something that is not declared.",
    "expr.unknown_function": "An expression calls a function that is not whitelisted.",
    "expr.unknown_field": "An expression reads a record field that is not declared.",
    "expr.type": "Operand types do not fit the operation.",
    "expr.arity": "A function is called with the wrong number of arguments.",
    "expr.too_complex": "An expression is too long or too deeply nested.",
    "expr.power": "An exponent that is not a small integer literal.",
    "expr.overflow": "Whole-number arithmetic of constants gives more than 34 digits.",
    # rules, facts, tables, parameters
    "rule.unknown_target": "A rule sets, contributes to or forfeits something undeclared.",
    "rule.conflict": "Several rules set one fact that declares no combination.",
    "rule.cycle": "Rules depend on each other in a cycle.",
    "rule.no_effect": "A rule has no consequence.",
    "table.overlap": "Rows of a UNIQUE decision table overlap.",
    "table.cell": "A decision-table cell is malformed or does not fit its column.",
    "tier.order": "Tier brackets are not in strictly ascending order.",
    "param.value": "A parameter value does not fit its type.",
    "param.dates": "Dated parameter values are missing or not in date order.",
    "plan.version": "The versions of a plan disagree or overlap.",
    "invariant.form": "An invariant is malformed.",
    # input and evaluation (raised as InputError / EvaluationError)
    "input.missing": "A required input field is absent.",
    "input.unknown": "An input field that the ruleset does not declare.",
    "input.type": "An input value has the wrong type.",
    "input.float": "A binary float where an exact number is required.",
    "input.constraint": "An input value breaks a declared constraint.",
    "input.enum": "An input value is not one of the declared choices.",
    "input.size": "An input list or map exceeds its declared bound.",
    "input.period": "No ruleset version is in force for the period.",
    "input.duplicate": "A record repeats an employee and period already given in the same input.",
    "input.unreadable": "A record of an input file cannot be read (it does not parse, or is not an object).",
    "input.check": "A record fails one of the ruleset's input checks (checks:).",
    "eval.arithmetic": "Arithmetic failed while a rule ran (e.g. division by zero).",
    "eval.engine": "The evaluation backend failed.",
    "eval.internal": "An unexpected error while one employee was paid; the others are still paid.",
    "ledger.balance_given": "A record run through the ledger gives a balance the ledger holds.",
    "ledger.period_mismatch": "A record run through the ledger is for another period than the run's.",
    # includes (modules)
    "include.file": "An included module cannot be found or read, or is not a module.",
    "include.url": "An include is a URL or an absolute path (a module is a file, or a shipped name).",
    "include.cycle": "Modules include each other in a cycle.",
    "include.clash": "A name is declared twice across a ruleset and the modules it includes.",
    "include.override": "An override replaces a name that no included module declares.",
}


class CmrulesError(Exception):
    """Base of every error cmrules raises on purpose."""


class UsageError(CmrulesError):
    """A request that cannot be served as asked (unknown employee, bad period, …)."""


class EngineUnavailable(UsageError):
    """``engine="durable"`` cannot run: durable-rules is missing or unsupported, or refused the ruleset."""


@dataclass(frozen=True)
class Issue:
    """One located ruleset problem."""

    code: str
    message: str
    file: str = "<string>"
    line: int = 0
    column: int = 0
    rule_id: str | None = None
    excerpt: str = ""

    def __post_init__(self) -> None:
        if self.code not in CODES:  # a programming error, never a user error
            raise ValueError(f"unregistered error code {self.code!r}")

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        rule = f" [rule {self.rule_id}]" if self.rule_id else ""
        head = f"{where}: {self.code}{rule}: {self.message}"
        return f"{head}\n{self.excerpt}" if self.excerpt else head


class RulesetError(CmrulesError):
    """A ruleset failed to load; ``errors`` holds every issue found, in file order."""

    def __init__(self, errors: list[Issue]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.file, e.line, e.column, e.code))
        count = len(self.errors)
        head = f"{count} error{'s' if count != 1 else ''} in ruleset"
        super().__init__(head + "\n" + "\n".join(str(e) for e in self.errors))

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.errors,), self.__dict__


class InputFileError(CmrulesError):
    """An input file could not be read: where (path, 1-based line and column if known) and why."""

    def __init__(
        self, path: str | PathLike[str], line: int | None, message: str, column: int | None = None
    ) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.message = message
        where = self.path
        if line is not None:
            where += f":{line}" if column is None else f":{line}:{column}"
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.path, self.line, self.message, self.column), self.__dict__


@dataclass(frozen=True)
class InputProblem:
    """One bad input value of one employee."""

    employee: str
    field: str
    value: Any
    message: str
    code: str

    def to_dict(self) -> dict[str, Any]:
        """The problem as a row of the errors file: the value JSON-ready."""
        return {
            "employee": self.employee,
            "field": self.field,
            "value": _json_value(self.value),
            "message": self.message,
            "code": self.code,
        }


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return shown(value, str)


_SHALLOW = reprlib.Repr()
_SHALLOW.maxlevel = 8
_SHALLOW.maxlist = _SHALLOW.maxtuple = _SHALLOW.maxdict = _SHALLOW.maxset = 50
_SHALLOW.maxstring = _SHALLOW.maxother = 200


def shown(value: Any, text: Callable[[Any], str] = repr) -> str:
    """``text(value)`` (``repr`` by default), or a shortened repr of a value nested too deeply to
    print whole: a bad value of thousands of levels still makes a readable error, never a
    ``RecursionError``."""
    try:
        return text(value)
    except RecursionError:
        return _SHALLOW.repr(value)


class EmployeeError(CmrulesError):
    """One employee's failure: the employee, the field (``rule:<id>`` for a rule) and value at
    fault, why (``message``) and a stable ``code``.

    ``text`` is the error's text; by default ``employee E: FIELD = VALUE: MESSAGE``.
    """

    def __init__(
        self, employee: str, field: str, value: Any, message: str, code: str, text: str | None = None
    ) -> None:
        self.employee = employee
        self.field = field
        self.value = value
        self.message = message
        self.code = code
        super().__init__(
            f"employee {employee}: {field} = {shown(value)}: {message}" if text is None else text
        )

    def to_dicts(self) -> list[dict[str, Any]]:
        """The failure as rows of the errors file (employee, field, value, message, code)."""
        return [
            {
                "employee": self.employee,
                "field": self.field,
                "value": _json_value(self.value),
                "message": self.message,
                "code": self.code,
            }
        ]

    def __reduce__(self) -> tuple[Any, ...]:
        args = (self.employee, self.field, self.value, self.message, self.code, str(self))
        return type(self), args, self.__dict__


class InputError(EmployeeError):
    """Input for one employee does not fit the ruleset's input schema.

    ``problems`` lists every bad value; ``employee``, ``field``, ``value``, ``message`` and
    ``code`` are those of the first.
    """

    def __init__(self, problems: list[InputProblem]) -> None:
        self.problems = problems
        first = problems[0]
        text = "; ".join(
            f"employee {p.employee}: {p.field} = {shown(p.value)}: {p.message}" for p in problems
        )
        super().__init__(first.employee, first.field, first.value, first.message, first.code, text)

    def to_dicts(self) -> list[dict[str, Any]]:
        """Every problem as a row of the errors file."""
        return [p.to_dict() for p in self.problems]

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.problems,), self.__dict__


class EvaluationError(EmployeeError):
    """A rule failed while running for one employee; ``field`` is ``rule:<rule_id>``."""

    def __init__(self, employee: str, rule_id: str, message: str, code: str = "eval.arithmetic"):
        self.rule_id = rule_id
        text = f"employee {employee}: rule {rule_id}: {message}"
        super().__init__(employee, f"rule:{rule_id}", None, message, code, text)

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.employee, self.rule_id, self.message, self.code), self.__dict__


@dataclass
class IssueSink:
    """Collects issues for one file so that all are reported at once."""

    file: str
    source: str
    issues: list[Issue] = field(default_factory=list)
    # the source's lines, split once for every excerpt (10,000 errors must not split it 10,000 times)
    _lines: list[str] | None = field(default=None, init=False, repr=False, compare=False)

    def add(self, code: str, message: str, line: int, column: int, rule_id: str | None = None) -> None:
        """Record one issue at ``line``:``column`` (1-based), with an excerpt of the source."""
        if self._lines is None:
            self._lines = self.source.splitlines()
        shown = _excerpt_of(self._lines, line, column)
        self.issues.append(Issue(code, message, self.file, line, column, rule_id, shown))


def _blank(ch: str) -> str:
    if ch == "\t":
        return "\t"
    return "  " if unicodedata.east_asian_width(ch) in ("W", "F") else " "


EXCERPT_WIDTH = 160


def excerpt(source: str, line: int, column: int) -> str:
    """The source line with a caret under ``column`` (both 1-based); a long line is cut around it."""
    return _excerpt_of(source.splitlines(), line, column)


def _excerpt_of(lines: list[str], line: int, column: int) -> str:
    """:func:`excerpt` of a source already split into ``lines``."""
    if not 1 <= line <= len(lines):
        return ""
    text = lines[line - 1]
    at = max(column - 1, 0)
    if len(text) > EXCERPT_WIDTH:
        start = max(0, min(at - EXCERPT_WIDTH // 2, len(text) - EXCERPT_WIDTH))
        end = start + EXCERPT_WIDTH
        head = "…" if start else ""
        text = head + text[start:end] + ("…" if end < len(text) else "")
        at = at - start + len(head)
    pad = "".join(_blank(ch) for ch in text[:at])
    return f"  {line:>4} | {text}\n       | {pad}^"
