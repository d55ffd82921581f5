"""Optional evaluation backends beside the native generated plan.

A backend is an engine of the registry :data:`cmrules.ruleset._engines.ENGINES`,
which names it as ``"module:function"`` and imports it on first use: ``durable``
is :func:`cmrules.engines._durable.evaluate_durable`, which matches rule conditions
in durable-rules' Rete network (``Ruleset.evaluate(inputs, engine="durable")``).
The registry sits below :mod:`cmrules.ruleset` and this package above it, so the
core never imports a backend, and a backend never needs more of a version than
:class:`~cmrules.ruleset._engines.EngineVersion`.

The durable backend, by concern: ``_durable`` (the engine entry and the plan
cache), ``_durable_translate`` (conditions to terms over input fields),
``_durable_numbers`` (values to exact integers), ``_durable_plan`` (the JSON rules
and facts of one version), ``_durable_host`` (the guarded host and its sessions),
``_durable_rules`` (checking rules before they reach the engine) and
``_durable_core`` (loading the C core).  None imports durable-rules until it is
first used.
"""

from cmrules.engines._durable import durable_plan
from cmrules.ruleset._engines import ENGINES, ENTRY_POINT_GROUP, engine_names, resolve_engine

__all__ = ["ENGINES", "ENTRY_POINT_GROUP", "durable_plan", "engine_names", "resolve_engine"]
