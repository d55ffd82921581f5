"""The durable-rules engine: its Rete network matches rule conditions, the plan does the rest.

``Ruleset.evaluate(inputs, engine="durable")`` (the ``durable`` engine of the
registry :mod:`cmrules.ruleset._engines`) validates the input as the native
engine does, asserts facts about it into a fresh durable-rules session, and runs
a variant of the same generated plan (:meth:`Program.gated`) in which every
translated rule fires only where the Rete network matched it.  Arithmetic
(Decimal), lines, facts, notices and the slip are the native engine's own code
(the version's ``run``), so both engines give byte-identical slips. Balances are
supported the same way: their values before the period are input fields (a condition
comparing one with a constant is matched like any input's), and their values after are
computed by the plan's last nodes, after every rule.

The backend, by concern: :mod:`~cmrules.engines._durable_translate` picks the
leading operands of a condition the Rete network can decide (comparisons of an
input field with a constant) and says why the rest stays in Python;
:mod:`~cmrules.engines._durable_numbers` encodes values as exact 64-bit integers;
:mod:`~cmrules.engines._durable_plan` builds the JSON rules and the facts of one
version; :mod:`~cmrules.engines._durable_host` drives the engine, guarded against
its hazards (one host per process with no dispatcher thread, one lock around every
engine call, one session per evaluation deleted afterwards, session ids checked).

An ``exception`` in the engine's state, a failing callback or an unexpected firing
raises :class:`~cmrules.errors.EvaluationError` with code ``eval.engine`` naming
the rule.  Without durable-rules, on Python 3.13+, or when durable-rules refuses a
ruleset, :class:`EngineUnavailable` says why.
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
from cmrules.errors import EngineUnavailable, EvaluationError
from cmrules.ruleset._engines import EngineVersion
from cmrules.slip._payslip import PaySlip

__all__ = ["durable_plan", "evaluate_durable"]


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
