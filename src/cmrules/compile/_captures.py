"""What a rule's trace entry captures when it fires, besides its local names: the line sums
(``lines.<rule>``) and totals (``totals.<category>``) it read.

A trace entry shows the values a rule read. Inputs, parameters and facts are still there after
the run; a line sum or a total is not kept (the slip would add up its lines again to show one).
The plan already holds it, in the variable the rule's expression read, so the trace tuple takes
it along: ``TR((rule, index, (<locals>, <sums>)))``, the sums in the order of the rule's
``trace_refs``.

Stratification runs every reader after every writer, so the captured value is the one the
slip's own sums give: the same additions in the same order. The one difference is the empty
sum: a rule's line sum starts at ``_Z`` (``0``) where the slip shows 0 with the ruleset's places,
which :mod:`cmrules.slip._trace` writes for a captured sum whose text is ``0`` (a sum of lines,
rounded to the ruleset's places, has that text only when the ruleset has no places). The totals of a cap's
lines (``waiver``, ``deferral``) are not captured: a cap may round to fewer places than the
ruleset, and its total, started at 0 with the ruleset's places, would show more places than
the sum of its lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cmrules.expr._symbols import Symbol

__all__ = ["capture_code", "captured"]

#: Totals a trace entry reads from the slip's sums instead (see the module docstring).
_NOT_CAPTURED = frozenset({("totals", "waiver"), ("totals", "deferral")})


def captured(refs: Sequence[tuple[str, Any]]) -> tuple[int, ...]:
    """The positions in ``refs`` (a rule's ``trace_refs``) of the sums its trace tuple captures."""
    return tuple(
        k
        for k, ref in enumerate(refs)
        if ref[0] in ("lines", "totals") and (ref[0], ref[1]) not in _NOT_CAPTURED
    )


def capture_code(reads: Sequence[Symbol], refs: Sequence[tuple[str, Any]]) -> str:
    """The code of the captured sums in a trace tuple (``"L0, T_fine, "``), after the locals;
    ``reads`` are the symbols ``refs`` were made from, in the same order."""
    return "".join(f"{reads[k].var}, " for k in captured(refs))
