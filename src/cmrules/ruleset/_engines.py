"""The engine registry: which code evaluates a version for ``evaluate(inputs, engine=name)``.

An engine is a function ``engine(version, inputs) -> PaySlip`` that validates one
employee-period and evaluates it with one version (:class:`EngineVersion` is all
it may use of the version).  Engines are named, never imported, here:

* :data:`ENGINES` maps each built-in name to ``"module:function"``, a string
  resolved with :mod:`importlib` on first use.  ``native`` is the generated plan;
  ``durable`` is the optional durable-rules backend in :mod:`cmrules.engines`.
* Other packages add engines through the entry-point group ``cmrules.engines``
  (:data:`ENTRY_POINT_GROUP`), e.g. in their ``pyproject.toml``::

      [project.entry-points."cmrules.engines"]
      mine = "my_package.engine:evaluate"

  A built-in name always wins over an entry point of the same name.

This module sits below :mod:`cmrules.ruleset._ruleset` and imports nothing of
the stages above it: the backends live above ``ruleset`` (they use a version's
program and validator), so the core knows them by name only, and importing
``cmrules`` or evaluating natively never imports a backend.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any, NoReturn, Protocol

from cmrules.compile._program import Program
from cmrules.inputs._validator import InputValidator
from cmrules.slip._payslip import PaySlip

__all__ = ["ENGINES", "ENTRY_POINT_GROUP", "Engine", "EngineVersion", "engine_names", "resolve_engine"]


class EngineVersion(Protocol):
    """What an engine may use of a compiled version (:class:`~cmrules.ruleset._ruleset.Version`)."""

    @property
    def id(self) -> str:
        """The ruleset's id."""

    @property
    def version(self) -> str:
        """The version's name."""

    @property
    def program(self) -> Program:
        """The compiled program of the version."""

    @property
    def validator(self) -> InputValidator:
        """The input validator: raw input mapping -> validated data (raises ``InputError``)."""

    def run(self, data: dict[str, Any], plan: Callable[..., Any] | None = None) -> PaySlip:
        """The native evaluation of validated ``data`` (with ``plan`` in place of the program's run)."""


#: An engine: validate one employee-period and evaluate it with one version.
Engine = Callable[[EngineVersion, Mapping[str, Any]], PaySlip]

#: Built-in engines: name -> ``"module:function"``, imported on first use.
ENGINES: Mapping[str, str] = {
    "native": "cmrules.ruleset._engines:evaluate_native",
    "durable": "cmrules.engines._durable:evaluate_durable",
}

#: The entry-point group in which other packages register engines.
ENTRY_POINT_GROUP = "cmrules.engines"

_resolved: dict[str, Engine] = {}
_lock = threading.Lock()


def evaluate_native(version: EngineVersion, inputs: Mapping[str, Any]) -> PaySlip:
    """The reference engine: the version's generated plan, run by the version itself."""
    return version.run(version.validator(inputs))


def engine_names() -> list[str]:
    """Every known engine name: the built-in ones, then the entry points' in sorted order."""
    extra = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)} - set(ENGINES)
    return [*ENGINES, *sorted(extra)]


def resolve_engine(name: str) -> Engine:
    """The engine called ``name`` (imported on first use, then cached).

    Raises ``ValueError`` naming the known engines when there is none of that name.
    An engine whose extra is missing still resolves; it says why when called.
    """
    if not isinstance(name, str):
        _unknown(name)
    engine = _resolved.get(name)
    if engine is None:
        with _lock:
            engine = _resolved.get(name)
            if engine is None:
                engine = _resolved[name] = _load(name)
    return engine


def _load(name: str) -> Engine:
    target = ENGINES.get(name)
    if target is not None:
        module, _, function = target.partition(":")
        engine: Engine = getattr(importlib.import_module(module), function)
        return engine
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            loaded: Engine = ep.load()
            return loaded
    _unknown(name)


def _unknown(name: object) -> NoReturn:
    names = [repr(known) for known in engine_names()]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    raise ValueError(f"unknown engine {name!r}: use {listed}")
