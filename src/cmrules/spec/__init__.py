"""Stage 2, the document: pydantic models of the ruleset language and located validation.

Input: the Python values and locations :mod:`cmrules._yaml` composed from YAML text.
Output: a validated :class:`~cmrules.spec._model.RulesetDoc` (expressions still text),
or located issues. Nothing here knows what an expression means.
"""
