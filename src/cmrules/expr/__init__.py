"""Stage 3, expressions: parse (exact literals), check against the whitelist, type, explain.

Input: expression text and the names in scope. Output: checked, typed Python source
(only generated identifiers) and an explanation tree that shows the arithmetic with
actual values. No ruleset text ever reaches ``eval`` or ``exec``.
"""
