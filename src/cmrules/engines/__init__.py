"""Optional evaluation backends beside the native generated plan.

``durable`` runs the match of rule conditions in durable-rules' Rete network
(``Ruleset.evaluate(inputs, engine="durable")``); ``durable_host`` is the guarded
host it drives.  Neither imports durable-rules until it is first used.
"""
