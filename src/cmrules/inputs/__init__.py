"""Stage 4, one employee's inputs: the schema validator, the generated fast checker, value conversion.

Input: a ruleset's declared ``inputs:`` (from :mod:`cmrules.spec`). Output: a validator
that turns one raw record (strings from files, or Python values) into canonical values
(``Decimal`` money at the ruleset's places, ``date`` objects), or an
:class:`~cmrules.errors.InputError` naming the employee, the field and the value.
"""
