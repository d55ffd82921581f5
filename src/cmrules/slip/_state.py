"""What a run leaves behind: the state the slip reads values from when someone asks,
and the fixed decimal context every slip value is computed in, whatever the caller's."""

from __future__ import annotations

import decimal
import inspect
import threading
from collections.abc import Callable
from decimal import Decimal, getcontext, setcontext
from functools import wraps
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, overload

from cmrules._money import CONTEXT

if TYPE_CHECKING:
    from cmrules.compile._program import Program

__all__ = ["RunState", "fixed_cached", "fixed_context", "in_fixed_context"]

_P = ParamSpec("_P")
_R = TypeVar("_R")
_T = TypeVar("_T")
_LOCAL = threading.local()
_ZERO = Decimal(0)


def fixed_context() -> decimal.Context:
    """This thread's copy of cmrules' one evaluation context (:data:`cmrules._money.CONTEXT`).

    Nothing cmrules runs changes it (only its flags move), so one copy per thread
    serves every evaluation and every lazily computed slip value."""
    try:
        context: decimal.Context = _LOCAL.context
    except AttributeError:
        context = _LOCAL.context = CONTEXT.copy()
    return context


def in_fixed_context(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """``function`` run under :func:`fixed_context`, the caller's context restored (untouched)
    afterwards: a slip's values never depend on the precision or rounding of the caller."""

    @wraps(function)
    def fixed(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        # wraps every evaluation: the thread's context read inline, not through fixed_context()
        saved = getcontext()
        try:
            context: decimal.Context = _LOCAL.context
        except AttributeError:  # this thread's first
            context = fixed_context()
        if saved is context:  # already inside: nested lazy values
            return function(*args, **kwargs)
        setcontext(context)
        try:
            return function(*args, **kwargs)
        finally:
            setcontext(saved)

    if not _one_argument(function):
        return fixed
    one: Callable[[Any], _R] = function

    @wraps(function)
    def fixed_one(arg: Any) -> _R:  # a property or a method of no arguments: no packing
        saved = getcontext()
        try:
            context: decimal.Context = _LOCAL.context
        except AttributeError:
            context = fixed_context()
        if saved is context:
            return one(arg)
        setcontext(context)
        try:
            return one(arg)
        finally:
            setcontext(saved)

    return fixed_one  # type: ignore[return-value]


def _one_argument(function: Callable[..., Any]) -> bool:
    """Whether ``function`` is plain Python taking exactly one positional argument (``self``)."""
    code = getattr(function, "__code__", None)
    if code is None or getattr(function, "__defaults__", None) or code.co_kwonlyargcount:
        return False
    return code.co_argcount == 1 and not code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS)


class fixed_cached(Generic[_T, _R]):
    """A ``cached_property`` computed in :func:`fixed_context`: the first read runs the function
    under cmrules' context (the caller's restored afterwards) and keeps the value in the
    instance's ``__dict__``, where every later read finds it without calling anything.

    Later reads are plain attributes, where ``cached_property`` stacked on :func:`in_fixed_context`
    made three calls and took a lock (Python 3.11): a slip reads several of these on every
    ``to_json``."""

    def __init__(self, function: Callable[[_T], _R]):
        self.function = function
        self.fixed = in_fixed_context(function)
        self.name = function.__name__
        self.__doc__ = function.__doc__

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type[Any] | None = None) -> fixed_cached[_T, _R]: ...

    @overload
    def __get__(self, instance: _T, owner: type[Any] | None = None) -> _R: ...

    def __get__(self, instance: _T | None, owner: type[Any] | None = None) -> fixed_cached[_T, _R] | _R:
        if instance is None:
            return self
        value = self.fixed(instance)  # the first read only: later ones find the value itself
        instance.__dict__[self.name] = value
        return value


class RunState:
    """What a run leaves behind, to find the values rules read when someone asks."""

    __slots__ = ("_sums", "data", "facts", "params", "program", "raw_lines")
    _sums: dict[tuple[str, str], Decimal]

    def __init__(
        self,
        program: Program,
        data: dict[str, Any],
        params: tuple[Any, ...],
        facts: tuple[Any, ...],
        raw_lines: list[tuple[Any, ...]],
    ):
        # one store per name, no tuple built and unpacked; ``_sums`` stays unset until read
        # (made on every evaluation, read only when an explanation asks)
        self.program = program
        self.data = data
        self.params = params
        self.facts = facts
        self.raw_lines = raw_lines

    def value(self, ref: tuple[str, Any], local: tuple[Any, ...]) -> Any:
        """The value a rule read through ``ref``; ``local`` holds its element and ``let`` names."""
        kind, key = ref
        if kind == "local":
            return local[key]
        if kind == "input":
            return self.data[key]
        if kind == "const":
            return self.program.namespace[key]
        if kind == "dated":
            return self.params[key]
        if kind == "fact":
            return self.facts[key]
        return self.sums().get((kind, key), self.program.rounder.exp * 0)

    @in_fixed_context
    def sums(self) -> dict[tuple[str, str], Decimal]:
        """``lines.<rule>`` and ``totals.<category>`` as rules read them (amounts as written)."""
        try:
            return self._sums
        except AttributeError:  # the first read
            pass
        sums: dict[tuple[str, str], Decimal] = {}
        rules, zero = self.program.rules, _ZERO
        for raw in self.raw_lines:  # 0 + each amount, in this context, as the rules added them
            rule, amount = rules[raw[0]], raw[1]
            key: tuple[str, Any] = ("lines", rule.id)
            sums[key] = sums.get(key, zero) + amount
            key = ("totals", rule.category)
            sums[key] = sums.get(key, zero) + amount
        self._sums = sums
        return sums

    def env(
        self, names: tuple[str, ...], refs: tuple[tuple[str, Any], ...], local: tuple[Any, ...]
    ) -> dict[str, Any]:
        """The values of ``names`` (read through ``refs``) as an expression's environment."""
        env = {}
        data = self.data  # the kinds an explanation reads most, inline; the rest by :meth:`value`
        for name, ref in zip(names, refs, strict=True):
            kind, key = ref
            if kind == "input":
                env[name] = data[key]
            elif kind == "local":
                env[name] = local[key]
            elif kind == "const":
                env[name] = self.program.namespace[key]
            else:
                env[name] = self.value(ref, local)
        return env
