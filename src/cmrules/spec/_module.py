"""The module document: shared parameters, tables, tiers, inputs, facts, rules, invariants,
balances, caps and input checks that rulesets ``include:``, and the ``overrides:`` a ruleset
(or module) replaces included entries with.

A module has no header of a ruleset (``id``, ``version``, dates, rounding): it takes the
including ruleset's. Its entries are validated as the ruleset's own once merged, so that
their errors are located in the module's file; this model checks the module's header, and
:func:`module_header_problems` words what is wrong with one (a ruleset's header key, a
misspelt key, a name that is not a module name).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field, ValidationError

from cmrules._yaml import Located
from cmrules.spec._common import Bilingual, Reference, Strict

#: A module's name: ``cn/iit``, ``payroll_common``: lowercase words joined by ``/``.
MODULE_NAME = r"^[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)*$"

#: Sections of name -> entry, and sections of entries in a list (named by their ``id``).
NAMED_SECTIONS = ("parameters", "inputs", "facts", "tables", "tiers", "balances")
LISTED_SECTIONS = ("rules", "invariants", "caps", "checks")


class _Sections(Strict):
    """The sections a module declares (and an override replaces), each checked once merged."""

    parameters: dict[str, Any] = Field(default_factory=dict)
    inputs: dict[str, Any] = Field(default_factory=dict)
    facts: dict[str, Any] = Field(default_factory=dict)
    tables: dict[str, Any] = Field(default_factory=dict)
    tiers: dict[str, Any] = Field(default_factory=dict)
    rules: list[dict[str, Any]] = Field(default_factory=list)
    invariants: list[dict[str, Any]] = Field(default_factory=list)
    balances: dict[str, Any] = Field(default_factory=dict)
    caps: list[dict[str, Any]] = Field(default_factory=list)
    checks: list[dict[str, Any]] = Field(default_factory=list)


class Overrides(_Sections):
    """Entries that replace included ones of the same name (or rule / invariant id)."""


class ModuleHeader(_Sections):
    """A module file's own keys (its entries are checked once merged into a ruleset)."""

    module: Annotated[str, Field(pattern=MODULE_NAME)]
    title: Bilingual | None = None
    description: str | None = None
    references: list[Reference] = Field(default_factory=list)
    include: list[str] = Field(default_factory=list)
    overrides: Overrides = Overrides()


class IncludeHeader(Strict):
    """The include keys of a ruleset, checked before its includes are read."""

    include: list[str] = Field(default_factory=list)
    overrides: Overrides = Overrides()


#: What a module's header looks like, for the messages of a wrong one.
MODULE_SHAPE = (
    "a module starts with 'module: <name>' (lowercase words joined by '/', such as 'cn/iit'), then "
    "its optional title {zh: …, en: …}, description, references, include, overrides and sections; "
    "it has no ruleset header (cmrules, id, version, dates, currency, rounding): it takes the "
    "including ruleset's"
)
#: A ruleset's header keys, which a module takes from the ruleset that includes it.
RULESET_KEYS = ("cmrules", "id", "version", "currency", "rounding", "effective_from", "effective_to")


@dataclass(frozen=True)
class HeaderProblem:
    """One problem of a module's (or an including file's) header: its message, the path it is at
    and whether it is located at the key (an unknown key) rather than at the value."""

    message: str
    path: tuple[Any, ...]
    at_key: bool = False

    def position(self, located: Located) -> tuple[int, int]:
        """The line and column of the problem in the file ``located`` indexes: of its key, or value."""
        return located.key_at(self.path) if self.at_key else located.at(self.path)


def module_header_problems(data: dict[str, Any]) -> list[HeaderProblem]:
    """Every problem of the header of the module ``data`` (a mapping with a ``module`` key),
    worded for a person who wrote a ruleset's header, or a misspelt key, where a module's is."""
    try:
        ModuleHeader.model_validate(data)
    except ValidationError as exc:
        return [_worded(err, ModuleHeader, "a module") for err in exc.errors(include_url=False)]
    return []


def include_header_problems(data: dict[str, Any]) -> list[HeaderProblem]:
    """Every problem of the ``include`` and ``overrides`` keys of a ruleset ``data``."""
    try:
        IncludeHeader.model_validate({k: data[k] for k in ("include", "overrides") if k in data})
    except ValidationError as exc:
        return [_worded(err, IncludeHeader, "a ruleset") for err in exc.errors(include_url=False)]
    return []


def _worded(err: Any, model: type[Strict], owner: str) -> HeaderProblem:
    loc = tuple(err["loc"])
    key = loc[-1] if loc else ""
    if err["type"] == "extra_forbidden" and len(loc) == 1 and key in RULESET_KEYS:
        return HeaderProblem(f"'{key}' is a ruleset's header key, not a module's: {MODULE_SHAPE}", loc, True)
    if err["type"] == "extra_forbidden" and loc == ("items",):
        message = "'items' (values per item of a list) are declared by the ruleset, not by a module"
        return HeaderProblem(message, loc, True)
    if err["type"] == "extra_forbidden":
        known = model.model_fields if len(loc) == 1 else Overrides.model_fields
        where = owner if len(loc) == 1 else ".".join(map(str, loc[:-1]))
        close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else f" (known: {', '.join(known)})"
        return HeaderProblem(f"unknown key '{key}' in {where}{hint}", loc, True)
    if loc == ("module",):
        return HeaderProblem(f"module name {err.get('input')!r} is not a module's name: {MODULE_SHAPE}", loc)
    if loc[:1] == ("include",):
        return HeaderProblem(
            f"include lists modules: a list of .yaml files or shipped module names, such as "
            f"include: [rates.yaml, cn/iit]; {'.'.join(map(str, loc))} is {err.get('input')!r}",
            loc,
        )
    if owner == "a module" and loc[:1] == ("title",):
        return HeaderProblem(f"title is a label in both languages, {{zh: …, en: …}}; {MODULE_SHAPE}", loc)
    if owner == "a module" and loc and loc[0] in ("module", "description", "references"):
        return HeaderProblem(f"{'.'.join(map(str, loc))}: {err['msg']}; {MODULE_SHAPE}", loc)
    return HeaderProblem(f"{'.'.join(map(str, loc))}: {err['msg']}", loc)


def not_a_module(target: str, file: str, data: Any, located: Located) -> str:
    """Why the file ``target`` (``file``, its ``data`` indexed by ``located``) included as a
    module is not one, and what a module looks like."""
    header = [k for k in ("cmrules", "id") if isinstance(data, dict) and k in data]
    if header:
        line, col = located.key_at((header[0],))
        return (
            f"{target!r} is a ruleset (its header '{header[0]}:' at {file}:{line}:{col}), not a module: "
            f"a ruleset is never included; {MODULE_SHAPE}"
        )
    return f"{target!r} is not a module (it has no 'module:' key): {MODULE_SHAPE}"
