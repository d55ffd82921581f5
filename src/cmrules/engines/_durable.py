"""The durable-rules backend: its Rete network matches rule conditions, the plan does the rest.

``Ruleset.evaluate(inputs, engine="durable")`` validates the input as the native
engine does, asserts facts about it into a fresh durable-rules session, and runs
a variant of the same generated plan (:meth:`Program.gated`) in which every
translated rule fires only where the Rete network matched it.  Arithmetic
(Decimal), lines, facts, notices and the slip are the native engine's own code
(:meth:`Version.run`), so both engines give byte-identical slips.

What the Rete network matches
-----------------------------
The leading ``and`` operands of a rule's ``when`` that compare an input with a
constant: the input is a scalar input (int, money, decimal, rate, bool, str,
period), a field of a record input, or, in a ``for_each: x in <list input>``
rule, the element ``x`` or its field ``x.f``; the constant is a literal or a
parameter without dated values; the comparison is ``== != < <= > >=`` (chains
too), ``in``/``not in`` a literal tuple, a bool input alone, or ``not``,
``and``, ``or`` of those.

What stays in Python, and why
-----------------------------
* Conditions on facts, line sums (``lines.x``), totals and ``let`` names: the
  plan computes them while it runs, after the match (the Rete network only sees
  what was asserted up front).
* Arithmetic and function calls: the engine computes in C doubles, and an
  integer division by zero in a condition kills the process.
* Dated parameters (the registered network is one per version, not per period),
  dates, and ``in`` a list input (the engine has no ``$in``, and joins across
  facts crash it).
* Every operand after the first one kept in Python: that operand may raise (a
  division by zero, a table without a matching row), and the native engine only
  evaluates it when the operands before it hold, so only a prefix is matched.

How values reach the engine
---------------------------
One fact for the employee's scalars (kind 0), and one per element of every list
whose elements a matched condition reads (its kind, index and fields, plus
copies of the scalars those rules read: the engine never joins facts).  Numbers
become exact 64-bit integers: a field compared with constants of at most ``s``
decimal places is sent as ``2·⌊v·10^s⌋``, plus 1 when ``v·10^s`` is not whole,
and a constant ``c`` as ``2·c·10^s``, so ``<``, ``==`` … agree with Decimal
exactly (an inexact value lies strictly between two even numbers); values beyond
±10^18 are clamped beyond every constant.  A string is sent as the index of the
constant it equals (-1 for none): only equality is asked of strings, and no text
reaches the engine.

Modules: :mod:`~cmrules.engines._durable_translate` (conditions to terms),
:mod:`~cmrules.engines._durable_numbers` (values to integers),
:mod:`~cmrules.engines._durable_plan` (the JSON rules and facts of a version),
and the guarded host, :mod:`~cmrules.engines._durable_host`.

Hazards (reproduced in :mod:`cmrules.engines._durable_host`): one host per
process with no dispatcher thread, one lock around every engine call, one
session per evaluation deleted afterwards, the session id of the returned state
and of every firing checked; an ``exception`` in the state, a failing callback
or an unexpected firing raises :class:`~cmrules.errors.EvaluationError` with
code ``eval.engine`` naming the rule.  Without durable-rules, or on Python
3.13+, :class:`EngineUnavailable` says why.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from functools import partial
from typing import Any

from cmrules.engines._durable_core import DurableEngineError, DurableUnavailable
from cmrules.engines._durable_host import DurableHost, get_host
from cmrules.engines._durable_plan import ENGINE_RULE, DurablePlan, translate
from cmrules.errors import CmrulesError, EvaluationError
from cmrules.ruleset._engines import EngineVersion
from cmrules.slip._payslip import PaySlip

__all__ = ["EngineUnavailable", "durable_plan", "evaluate_durable"]


class EngineUnavailable(CmrulesError):
    """``engine="durable"`` cannot run: durable-rules is missing or unsupported, or refused the ruleset."""


_plans: dict[int, DurablePlan] = {}  # id(version) -> plan, dropped with the version
_plans_lock = threading.Lock()


def _host() -> DurableHost:
    try:
        return get_host()
    except DurableUnavailable as exc:
        raise EngineUnavailable(f'engine="durable" is unavailable: {exc}') from exc


def durable_plan(version: EngineVersion) -> DurablePlan:
    """How durable-rules matches ``version`` (translated on first use; needs no engine)."""
    plan = _plans.get(id(version))
    if plan is None:
        with _plans_lock:
            plan = _plans.get(id(version))
            if plan is None:
                plan = _plans[id(version)] = translate(version.program)
                weakref.finalize(version, _plans.pop, id(version), None)
    return plan


def _register(host: DurableHost, version: EngineVersion, plan: DurablePlan) -> None:
    with _plans_lock:
        if plan.registered:
            return
        try:
            host.register(plan.name, plan.rules)
        except (DurableEngineError, ValueError, TypeError) as exc:
            raise EngineUnavailable(
                f"durable-rules refused ruleset {version.id} {version.version}: {exc}"
            ) from exc
        plan.registered = True


def evaluate_durable(version: EngineVersion, inputs: Mapping[str, Any]) -> PaySlip:
    """Evaluate one employee-period with ``version``, durable-rules matching the conditions.

    The ``durable`` engine of :data:`cmrules.ruleset._engines.ENGINES`.
    """
    host = _host()
    plan = durable_plan(version)
    data = version.validator(inputs)
    if plan.run is None:  # no condition the Rete network can decide: the plan is the native one
        return version.run(data)
    if not plan.registered:
        _register(host, version, plan)
    employee = data["employee"]
    try:
        firings = host.match(plan.name, plan.facts(data))
    except DurableEngineError as exc:
        raise EvaluationError(
            employee, plan.rule_id(exc.rule_name), f"durable-rules: {exc.message}", code="eval.engine"
        ) from exc
    except (TypeError, ValueError, KeyError) as exc:  # a fact the host refused: never a wrong slip
        raise EvaluationError(
            employee, ENGINE_RULE, f"durable-rules refused the facts: {exc}", code="eval.engine"
        ) from exc
    return version.run(data, partial(plan.run, G=plan.matches(firings)))
