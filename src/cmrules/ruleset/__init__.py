"""A loaded ruleset: its compiled, dated versions, how to load them, and the engine registry.

``_ruleset`` holds :class:`Version` and :class:`Ruleset`, ``_load`` reads and
compiles ruleset files, and ``_engines`` names the engines that evaluate a version
(the backends themselves live in :mod:`cmrules.engines`, above this stage).
"""
