"""The module document: shared parameters, tables, tiers, inputs, facts, rules, invariants,
balances, caps and input checks that rulesets ``include:``, and the ``overrides:`` a ruleset
(or module) replaces included entries with.

A module has no header of a ruleset (``id``, ``version``, dates, rounding): it takes the
including ruleset's. Its entries are validated as the ruleset's own once merged, so that
their errors are located in the module's file; this model checks the module's header.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

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
